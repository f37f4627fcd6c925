// Starts one embedded control plane for the whole test run and hands its state
// to the tests through vitest's provide/inject. With BLINK_TEST_KUBECONFIG set,
// tests use that cluster instead (tests that restart kube-apiserver then skip
// themselves with a reason).
import { KubeConfig } from '@kubernetes/client-node';
import type { TestProject } from 'vitest/node';
import { installProduct } from '../../operator/kube/install.js';
import { ensureBinaries } from '../../operator/dev-cluster/binaries.js';
import { reapStaleClusters, startCluster, stopCluster } from '../../operator/dev-cluster/cluster.js';
import type { ClusterState } from '../../operator/dev-cluster/cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The control plane of this test run. */
    cluster: ClusterState;
  }
}

function say(message: string): void {
  process.stderr.write(`[control-plane] ${message}\n`);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const reaped = await reapStaleClusters();
  if (reaped.length > 0) say(`Removed control planes left by earlier runs: ${reaped.join(', ')}`);
  const binaries = await ensureBinaries(say);
  const name = `test-${process.pid}`;
  const started = Date.now();
  const state = await startCluster({ name, binaries, ownerPid: process.pid });
  say(`Control plane ${name} ready in ${((Date.now() - started) / 1000).toFixed(1)}s at ${state.server}`);
  const kc = new KubeConfig();
  kc.loadFromFile(state.kubeconfig);
  await installProduct(kc);
  project.provide('cluster', state);
  return async () => {
    await stopCluster(name);
  };
}
