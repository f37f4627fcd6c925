// What a test file needs to talk to the control plane of the run.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, inject } from 'vitest';
import type { ClusterState } from '../../operator/dev-cluster/cluster.js';

const run = promisify(execFile);

let outsideVitest: ClusterState | undefined;

/** Lets the harness serve a program that is not a vitest run (`npm run chaos`) with its own control plane. */
export function useClusterOutsideVitest(state: ClusterState): void {
  outsideVitest = state;
}

/** The control plane of this test run. */
export function cluster(): ClusterState {
  return outsideVitest ?? inject('cluster');
}

/** An admin KubeConfig for the control plane of this test run. */
export function adminKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(cluster().kubeconfig);
  return kc;
}

/** Runs the built kubectl against the test control plane; rejects on a non-zero exit. */
export async function kubectl(args: string[], options: { kubeconfig?: string; input?: string } = {}): Promise<{ stdout: string; stderr: string }> {
  const state = cluster();
  const child = run(state.binaries.kubectl, args, { env: { ...process.env, KUBECONFIG: options.kubeconfig ?? state.kubeconfig }, maxBuffer: 32 * 1024 * 1024 });
  if (options.input !== undefined) {
    child.child.stdin?.end(options.input);
  }
  return child;
}

/** A fresh namespace for the calling test file, created before its tests and deleted after them. */
export function useNamespace(prefix: string): { readonly name: string } {
  const holder = { name: `${prefix}-${randomBytes(3).toString('hex')}` };
  beforeAll(async () => {
    await adminKubeConfig().makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: holder.name, labels: { 'blink-test': 'true' } } } });
  });
  afterAll(async () => {
    await adminKubeConfig()
      .makeApiClient(CoreV1Api)
      .deleteNamespace({ name: holder.name })
      .catch(() => undefined);
  });
  return holder;
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
}
