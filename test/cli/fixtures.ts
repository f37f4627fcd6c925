// Running the CLI as a user does: `blink-accounts …` (bin/blink-accounts.js) and `kubectl blink …`
// (the real kubectl of the test control plane, finding bin/kubectl-blink on PATH).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { cluster } from '../harness/kube.js';

const BIN = fileURLToPath(new URL('../../bin/', import.meta.url));
const CLI = join(BIN, 'blink-accounts.js');

/** What a command did. */
export interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function runProcess(file: string, args: readonly string[], env: NodeJS.ProcessEnv, input?: string): Promise<Ran> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** PATH with the project's Node 24 first (as npm scripts have it), then kubectl, then the plugin. */
function pathWithPlugin(): string {
  return [dirname(process.execPath), dirname(cluster().binaries.kubectl), BIN, process.env['PATH'] ?? ''].join(':');
}

/** `blink-accounts <args>` with KUBECONFIG unset (tests pass --kubeconfig, or `env`). */
export function blinkAccounts(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  return runProcess(process.execPath, [CLI, ...args], { ...process.env, KUBECONFIG: '', ...env });
}

/** `kubectl <args>` with the plugin on PATH and KUBECONFIG set to `kubeconfig` (default: the test cluster's); `input` is written to its stdin. */
export function kubectlWithPlugin(args: readonly string[], kubeconfig = cluster().kubeconfig, input?: string): Promise<Ran> {
  return runProcess(cluster().binaries.kubectl, args, { ...process.env, PATH: pathWithPlugin(), KUBECONFIG: kubeconfig }, input);
}

/** A command line in bash with the plugin and kubectl on PATH (for the completion scripts). */
export function bash(script: string, env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  return runProcess('bash', ['-c', script], { ...process.env, PATH: pathWithPlugin(), ...env });
}

/** A command line in zsh with the plugin on PATH. */
export function runZsh(script: string): Promise<Ran> {
  return runProcess('zsh', ['-f', '-c', script], { ...process.env, PATH: pathWithPlugin(), KUBECONFIG: cluster().kubeconfig });
}

/** A copy of the test kubeconfig whose current context has `namespace` as its namespace (as `kubectl config set-context --current --namespace` makes). */
export async function kubeconfigWithNamespace(namespace: string): Promise<string> {
  const config = parse(await readFile(cluster().kubeconfig, 'utf8')) as { contexts: { name: string; context: Record<string, unknown> }[]; 'current-context': string };
  for (const c of config.contexts) if (c.name === config['current-context']) c.context['namespace'] = namespace;
  const path = join(await mkdtemp(join(tmpdir(), 'cli-kubeconfig-')), 'config');
  await writeFile(path, stringify(config));
  return path;
}

/** Writes a file for --from-csv. */
export async function csvFile(text: string): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'cli-csv-')), 'people.csv');
  await writeFile(path, text);
  return path;
}
