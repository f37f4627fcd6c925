// The objects a synthesized stack declares, and what the cluster holds of them.
import type { KubernetesObject } from '@kubernetes/client-node';
import { ApiException, KubernetesObjectApi } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { expect } from 'vitest';
import { API_VERSION, withDefaults } from '../../operator/api/index.js';
import { manifestsOfStack } from '../../operator/iac/index.js';
import { adminKubeConfig } from '../harness/kube.js';

/** Synthesized Terraform JSON, as far as the test reads it. */
export type Configuration = Parameters<typeof manifestsOfStack>[0];

export function objectsOf(configuration: Configuration): KubernetesObject[] {
  return [...manifestsOfStack(configuration).values()].map((yaml) => parse(yaml) as KubernetesObject);
}

export function keyOf(object: KubernetesObject): string {
  return `${object.kind}/${object.metadata?.name}`;
}

/** A stored object of the API, with what the tests read. */
export type StoredObject = KubernetesObject & { spec?: unknown; status?: { conditions?: { type: string; status: string }[] } };

/** The object as stored, or undefined when it does not exist. */
export async function getStored(object: KubernetesObject): Promise<StoredObject | undefined> {
  const metadata = { name: object.metadata?.name ?? '', ...(object.metadata?.namespace ? { namespace: object.metadata.namespace } : {}) };
  try {
    return (await KubernetesObjectApi.makeApiClient(adminKubeConfig()).read({ apiVersion: API_VERSION, kind: object.kind ?? '', metadata })) as StoredObject;
  } catch (error) {
    if (error instanceof ApiException && error.code === 404) return undefined;
    throw error;
  }
}

/** Asserts each object exists with exactly the declared spec (plus the schema defaults the API server adds); returns resourceVersions by kind/name. */
export async function expectDeclared(objects: KubernetesObject[]): Promise<Map<string, string>> {
  const versions = new Map<string, string>();
  for (const object of objects) {
    const stored = await getStored(object);
    expect(stored, keyOf(object)).toBeDefined();
    expect(stored?.spec, keyOf(object)).toEqual((withDefaults(object) as { spec?: unknown }).spec);
    versions.set(keyOf(object), stored?.metadata?.resourceVersion ?? '');
  }
  return versions;
}

export async function expectGone(objects: KubernetesObject[]): Promise<void> {
  for (const object of objects) expect(await getStored(object), keyOf(object)).toBeUndefined();
}

