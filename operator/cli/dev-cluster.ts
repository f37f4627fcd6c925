// `blink-accounts dev-cluster up | down | status | kubeconfig`
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { ensureBinaries } from '../dev-cluster/binaries.js';
import { DEV_CLUSTER, readClusterState, runningComponents, startCluster, stopCluster } from '../dev-cluster/cluster.js';
import type { ClusterState } from '../dev-cluster/cluster.js';
import { outputOption, printStructured } from './options.js';
import type { OutputFormat } from './options.js';

export { DEV_CLUSTER } from '../dev-cluster/cluster.js';

function say(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Starts the dev cluster, or returns it when it is already running. */
export async function upDevCluster(name = DEV_CLUSTER): Promise<{ state: ClusterState; reused: boolean }> {
  const existing = await readClusterState(name);
  if (existing) {
    const running = await runningComponents(existing);
    if (running.length === Object.keys(existing.commands).length) return { state: existing, reused: true };
    say(`Cluster "${name}" is only partly running (${running.join(', ') || 'nothing'}); restarting it`);
    await stopCluster(name);
  }
  const binaries = await ensureBinaries(say);
  const started = Date.now();
  // A test that runs `start` names itself the owner, so the cluster dies with it.
  const owner = Number(process.env['BLINK_ACCOUNTS_OWNER_PID'] ?? '');
  const state = await startCluster({ name, binaries, progress: say, ...(Number.isInteger(owner) && owner > 0 ? { ownerPid: owner } : {}) });
  say(`Control plane "${name}" ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return { state, reused: false };
}

/** The lines that tell a person how to reach the cluster. */
export function usage(state: ClusterState): string {
  return [
    `  export KUBECONFIG=${state.kubeconfig}`,
    `  export PATH=${dirname(state.binaries.kubectl)}:$PATH   # the kubectl built with the control plane`,
    '  kubectl get ns',
  ].join('\n');
}

/** Registers the dev-cluster commands. */
export function registerDevCluster(program: Command): void {
  const devCluster = program
    .command('dev-cluster')
    .description('Run an embedded Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager) built from Go modules');

  devCluster
    .command('build')
    .description('Build the control-plane binaries into the cache, unless they are there already (or given by BLINK_ACCOUNTS_ASSETS)')
    .action(async () => {
      const binaries = await ensureBinaries(say);
      say(`Control-plane binaries: ${dirname(binaries.kubectl)}`);
    });

  devCluster
    .command('up')
    .description('Start the control plane (building it on first use) and print how to use it')
    .option('--name <name>', 'cluster name', DEV_CLUSTER)
    .action(async (options: { name: string }) => {
      const { state, reused } = await upDevCluster(options.name);
      say(reused ? `Control plane "${state.name}" is already running at ${state.server}` : `Control plane "${state.name}" is running at ${state.server}`);
      say(`Use it with:\n${usage(state)}\nStop it with: npx blink-accounts dev-cluster down`);
      process.stdout.write(`${state.kubeconfig}\n`);
    });

  devCluster
    .command('down')
    .description('Stop every process of the control plane and remove its data')
    .option('--name <name>', 'cluster name', DEV_CLUSTER)
    .action(async (options: { name: string }) => {
      const stopped = await stopCluster(options.name);
      say(stopped ? `Stopped control plane "${options.name}" and removed its data` : `No control plane "${options.name}" was running`);
    });

  outputOption(
    devCluster
      .command('status')
      .description('Show whether the control plane runs, and where')
      .option('--name <name>', 'cluster name', DEV_CLUSTER),
  ).action(async (options: { name: string; output: OutputFormat }) => {
    const state = await readClusterState(options.name);
    if (!state) {
      if (options.output !== 'text') printStructured({ name: options.name, running: false }, options.output);
      else say(`Control plane "${options.name}" is not running; start it with: npx blink-accounts dev-cluster up`);
      process.exitCode = 1;
      return;
    }
    const running = await runningComponents(state);
    const all = Object.keys(state.commands);
    if (options.output !== 'text') {
      const components = Object.fromEntries(all.map((c) => [c, running.includes(c as never) ? 'running' : 'stopped']));
      printStructured({ name: options.name, running: running.length === all.length, components, server: state.server, kubeconfig: state.kubeconfig, startedAt: state.startedAt }, options.output);
    } else {
      for (const component of all) process.stdout.write(`${component.padEnd(24)} ${running.includes(component as never) ? 'running' : 'stopped'}\n`);
      process.stdout.write(`server                   ${state.server}\nkubeconfig               ${state.kubeconfig}\nstarted                  ${state.startedAt}\n`);
    }
    if (running.length !== all.length) process.exitCode = 1;
  });

  devCluster
    .command('kubeconfig')
    .description('Print the path of the admin kubeconfig')
    .option('--name <name>', 'cluster name', DEV_CLUSTER)
    .action(async (options: { name: string }) => {
      const state = await readClusterState(options.name);
      if (!state) {
        say(`Control plane "${options.name}" is not running; start it with: npx blink-accounts dev-cluster up`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`${state.kubeconfig}\n`);
    });
}
