// Server-side apply of plain manifests (CRDs, examples), shared by the CLI and
// tests, through the runtime's KubeClient (the one Kubernetes client of the
// operator and the CLI). The resource of a kind is found by discovery, once
// per group/version, so any kind applies, custom or built-in.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import type { KindDescriptor, KubeObject } from '../runtime/kinds.js';
import { KubeClient } from '../runtime/kube-client.js';

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

interface ApiResourceList {
  resources?: { name: string; kind: string; namespaced: boolean }[];
}

/** Finds kinds by discovery (one request per group/version). */
export class KindResolver {
  private readonly lists = new Map<string, Promise<ApiResourceList>>();

  constructor(private readonly client: KubeClient) {}

  /** The resource of `apiVersion`/`kind`; throws when the server does not serve it. */
  async resolve(apiVersion: string, kind: string): Promise<KindDescriptor> {
    const slash = apiVersion.indexOf('/');
    const group = slash < 0 ? '' : apiVersion.slice(0, slash);
    const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
    let list = this.lists.get(apiVersion);
    if (!list) {
      list = this.client.request<ApiResourceList>('GET', group ? `/apis/${group}/${version}` : `/api/${version}`);
      this.lists.set(apiVersion, list);
      list.catch(() => this.lists.delete(apiVersion));
    }
    const resource = (await list).resources?.find((r) => r.kind === kind && !r.name.includes('/'));
    if (!resource) {
      this.lists.delete(apiVersion);
      throw new Error(`The API server does not serve kind ${kind} of ${apiVersion}`);
    }
    return { group, version, kind, plural: resource.name, namespaced: resource.namespaced };
  }
}

/** Applies objects with server-side apply, in order. */
export async function applyObjects(kc: KubeConfig, objects: KubernetesObject[], fieldManager = CLI_FIELD_MANAGER): Promise<KubernetesObject[]> {
  const client = new KubeClient(kc);
  const kinds = new KindResolver(client);
  const applied: KubernetesObject[] = [];
  try {
    for (const object of objects) {
      try {
        const kind = await kinds.resolve(object.apiVersion ?? '', object.kind ?? '');
        applied.push((await client.apply(kind, object as unknown as KubeObject, { fieldManager, force: true })) as unknown as KubernetesObject);
      } catch (error) {
        throw new Error(`Applying ${object.kind} ${object.metadata?.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata?.name} failed`, { cause: error });
      }
    }
  } finally {
    client.close();
  }
  return applied;
}
