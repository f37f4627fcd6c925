// Server-side apply of plain manifests (CRDs, examples), shared by the CLI and tests.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiextensionsV1Api, KubernetesObjectApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

/** Field manager of everything the CLI applies. */
export const CLI_FIELD_MANAGER = 'blink-accounts-cli';

/** Reads every object from the YAML files of a folder (sorted by file name), or of one file. */
export async function readManifests(path: string): Promise<KubernetesObject[]> {
  const files = path.endsWith('.yaml') || path.endsWith('.yml') ? [path] : (await readdir(path)).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => join(path, f));
  const objects: KubernetesObject[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(await readFile(file, 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
      const object = doc.toJS() as KubernetesObject | null;
      if (object) objects.push(object);
    }
  }
  return objects;
}

/** Applies objects with server-side apply, in order. */
export async function applyObjects(kc: KubeConfig, objects: KubernetesObject[], fieldManager = CLI_FIELD_MANAGER): Promise<KubernetesObject[]> {
  const client = KubernetesObjectApi.makeApiClient(kc);
  const applied: KubernetesObject[] = [];
  for (const object of objects) {
    try {
      // KubernetesObjectApi serializes built-in kinds through their typed models, which
      // silently drop enum, default and x-kubernetes-* of a CRD schema (they expect
      // _enum, xKubernetesValidations, ...); the typed patch call sends the body as is.
      if (object.kind === 'CustomResourceDefinition' && object.apiVersion === 'apiextensions.k8s.io/v1') {
        const crd = await kc
          .makeApiClient(ApiextensionsV1Api)
          .patchCustomResourceDefinition(
            { name: object.metadata?.name ?? '', body: object, fieldManager, force: true },
            setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
          );
        applied.push(crd);
        continue;
      }
      applied.push(await client.patch(object, undefined, undefined, fieldManager, true, PatchStrategy.ServerSideApply));
    } catch (error) {
      throw new Error(`Applying ${object.kind} ${object.metadata?.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata?.name} failed`, { cause: error });
    }
  }
  return applied;
}
