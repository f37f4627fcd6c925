// The CLI's writes: the same requests kubectl sends, with the CLI's field manager and, for
// --dry-run, dryRun=All (the API server runs validation and admission, and stores nothing).
import type { KindDescriptor, KubeObject } from '../runtime/kinds.js';
import { objectPath } from '../runtime/kinds.js';
import { PatchType } from '../runtime/kube-client.js';
import type { KubeClient, Query } from '../runtime/kube-client.js';

/** Field manager of every write of the CLI (metadata.managedFields shows who changed what). */
export const CLI_FIELD_MANAGER = 'blink-accounts-cli';

function query(dryRun: boolean, withManager = true): Query {
  return { ...(withManager ? { fieldManager: CLI_FIELD_MANAGER } : {}), ...(dryRun ? { dryRun: 'All' } : {}) };
}

/** Creates `object`; with dryRun the server only validates and admits it. */
export function createObject<T extends KubeObject>(client: KubeClient, kind: KindDescriptor, object: T, dryRun: boolean): Promise<T> {
  return client.create<T>(kind, object, query(dryRun));
}

/** Merge-patches an object. */
export function mergePatch<T extends KubeObject>(client: KubeClient, kind: KindDescriptor, namespace: string | undefined, name: string, patch: object, dryRun: boolean): Promise<T> {
  return client.request<T>('PATCH', objectPath(kind, namespace, name), { body: patch, contentType: PatchType.merge, query: query(dryRun) });
}

/** Deletes an object; rejects with the API error (404 included). */
export async function deleteObject(client: KubeClient, kind: KindDescriptor, namespace: string | undefined, name: string, dryRun: boolean): Promise<void> {
  await client.request('DELETE', objectPath(kind, namespace, name), { query: query(dryRun, false) });
}
