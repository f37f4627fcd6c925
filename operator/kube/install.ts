// What the product needs in a cluster before the operator starts, as every
// installation has it: the CRDs (served: Established), the operator's own
// namespace, and the role ClusterRoles it binds (it never writes them). npm
// start, the test harness and the benchmarks install it the same way.
import { fileURLToPath } from 'node:url';
import type { KubeConfig } from '@kubernetes/client-node';
import type { KindDescriptor, KubeObject } from '../runtime/kinds.js';
import { KubeClient } from '../runtime/kube-client.js';
import { applyObjects, readManifests } from './apply.js';

const CRD_KIND: KindDescriptor = { group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions', namespaced: false };

/** The operator's namespace of a default installation. */
export const OPERATOR_NAMESPACE = 'blink-accounts-system';

/** Applies crds/, waits until each CRD is served, then the operator namespace and deploy/rbac/cluster-roles.yaml; returns the CRD count. */
export async function installProduct(kc: KubeConfig, options: { readonly operatorNamespace?: string; readonly timeoutMs?: number } = {}): Promise<number> {
  const crds = await readManifests(fileURLToPath(new URL('../../crds/', import.meta.url)));
  await applyObjects(kc, crds);
  const client = new KubeClient(kc);
  try {
    for (const crd of crds) {
      const name = crd.metadata?.name ?? '';
      const deadline = Date.now() + (options.timeoutMs ?? 30_000);
      for (;;) {
        const read = await client.get<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>(CRD_KIND, undefined, name);
        if (read.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
        if (Date.now() > deadline) throw new Error(`CRD ${name} was not Established within ${(options.timeoutMs ?? 30_000) / 1000} s`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    client.close();
  }
  await applyObjects(kc, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: options.operatorNamespace ?? OPERATOR_NAMESPACE } }]);
  // The role ClusterRoles ship as manifests: the operator only binds them.
  await applyObjects(kc, await readManifests(fileURLToPath(new URL('../../deploy/rbac/cluster-roles.yaml', import.meta.url))));
  return crds.length;
}
