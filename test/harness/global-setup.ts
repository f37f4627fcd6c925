// Starts one embedded control plane for the whole test run and hands its state
// to the tests through vitest's provide/inject. With BLINK_TEST_KUBECONFIG set,
// tests use that cluster instead (tests that restart kube-apiserver then skip
// themselves with a reason).
import { fileURLToPath } from 'node:url';
import { ApiextensionsV1Api, KubeConfig } from '@kubernetes/client-node';
import type { TestProject } from 'vitest/node';
import { applyObjects, readManifests } from '../../operator/kube/apply.js';
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

/** Installs the product's CRDs (every test file may rely on them) and waits until they are served. */
async function installCrds(state: ClusterState): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(state.kubeconfig);
  const crds = await readManifests(fileURLToPath(new URL('../../crds/', import.meta.url)));
  await applyObjects(kc, crds);
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  for (const crd of crds) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const read = await ext.readCustomResourceDefinition({ name: crd.metadata?.name ?? '' });
      if (read.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`CRD ${crd.metadata?.name} was not Established within 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** The operator's own namespace (its Lease, its shared keys), as every installation has it. */
async function createOperatorNamespace(state: ClusterState): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(state.kubeconfig);
  await applyObjects(kc, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'blink-accounts-system' } }]);
  // The role ClusterRoles ship as manifests, installed with the CRDs (the operator only binds them).
  await applyObjects(kc, await readManifests(fileURLToPath(new URL('../../deploy/rbac/cluster-roles.yaml', import.meta.url))));
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const reaped = await reapStaleClusters();
  if (reaped.length > 0) say(`Removed control planes left by earlier runs: ${reaped.join(', ')}`);
  const binaries = await ensureBinaries(say);
  const name = `test-${process.pid}`;
  const started = Date.now();
  const state = await startCluster({ name, binaries, ownerPid: process.pid });
  say(`Control plane ${name} ready in ${((Date.now() - started) / 1000).toFixed(1)}s at ${state.server}`);
  await installCrds(state);
  await createOperatorNamespace(state);
  project.provide('cluster', state);
  return async () => {
    await stopCluster(name);
  };
}
