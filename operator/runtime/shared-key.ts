// A random key shared by every replica, kept in a Secret of the operator's own
// namespace (which tenants cannot read or write): created by whichever replica
// needs it first; a create race ends in one Secret (the loser's create gets 409
// and it reads the winner's). The CSRF key of the acceptance form and the key
// that signs API-key records are two of these.
import { randomBytes } from 'node:crypto';
import { COMPONENT_LABEL, MANAGED_LABELS } from '../api/labels.js';
import { isConflict, isNotFound } from './errors.js';
import { builtinKinds } from './kinds.js';
import type { KubeObject } from './kinds.js';
import type { KubeWriter } from './kube-writer.js';

const KEY = 'key';
const KEY_BYTES = 32;

type SecretWithData = KubeObject & { data?: Record<string, string>; type?: string };

/** The key a shared-key Secret holds, when it is usable (at least 32 bytes); also read by the CLI to verify. */
export function keyOf(secret: SecretWithData): Buffer | undefined {
  const value = secret.data?.[KEY];
  const key = value === undefined ? undefined : Buffer.from(value, 'base64');
  return key && key.length >= KEY_BYTES ? key : undefined;
}

/** Reads the key of Secret `namespace/name`, creating the Secret with a new random key when it does not exist. */
export async function loadSharedKey(client: Pick<KubeWriter, 'get' | 'create'>, namespace: string, name: string, component: string): Promise<Buffer> {
  const unusable = (): Error => new Error(`Secret ${namespace}/${name} has no usable "${KEY}" (at least ${KEY_BYTES} bytes): delete it and the operator creates a new one`);
  try {
    const existing = keyOf(await client.get<SecretWithData>(builtinKinds.secret, namespace, name));
    if (existing) return existing;
    throw unusable();
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  const secret: SecretWithData = {
    metadata: { name, namespace, labels: { ...MANAGED_LABELS, [COMPONENT_LABEL]: component } },
    type: 'Opaque',
    data: { [KEY]: randomBytes(KEY_BYTES).toString('base64') },
  };
  try {
    const created = keyOf(await client.create(builtinKinds.secret, secret));
    if (created) return created;
  } catch (error) {
    if (!isConflict(error)) throw error;
  }
  const winner = keyOf(await client.get<SecretWithData>(builtinKinds.secret, namespace, name));
  if (!winner) throw unusable();
  return winner;
}

/** A function resolving to the shared key; it loads it once, and again after a failure. */
export function sharedKey(client: Pick<KubeWriter, 'get' | 'create'>, namespace: string, name: string, component: string): () => Promise<Buffer> {
  let cached: Promise<Buffer> | undefined;
  return () => {
    cached ??= loadSharedKey(client, namespace, name, component).catch((error: unknown) => {
      cached = undefined;
      throw error;
    });
    return cached;
  };
}
