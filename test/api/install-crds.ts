// Installs the CRDs of crds/ into the test control plane, once per test file;
// idempotent (server-side apply), so test files may race to do it.
import { fileURLToPath } from 'node:url';
import { ApiextensionsV1Api } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { applyObjects, readManifests } from '../../operator/kube/apply.js';
import { eventually } from '../harness/kube.js';

/** The folder of the committed CRDs. */
export const CRDS_DIR = fileURLToPath(new URL('../../crds/', import.meta.url));

/** Applies crds/ and waits until every CRD is Established. Returns the CRD names. */
export async function installCrds(kc: KubeConfig): Promise<string[]> {
  const crds = await readManifests(CRDS_DIR);
  await applyObjects(kc, crds, 'blink-accounts-test');
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  const names = crds.map((crd) => crd.metadata?.name ?? '');
  for (const name of names) {
    await eventually(
      async () => {
        const crd = await ext.readCustomResourceDefinition({ name });
        return crd.status?.conditions?.find((c) => c.type === 'Established' && c.status === 'True');
      },
      30_000,
      `CRD ${name} to be Established`,
    );
  }
  return names;
}
