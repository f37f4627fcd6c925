// The CSRF key of the acceptance form, shared by every replica: a Secret in the operator
// namespace, created by whichever replica needs it first (a create race ends in one Secret:
// the loser's create gets 409 and it reads the winner's).
import { randomBytes } from 'node:crypto';
import { MANAGED_LABELS } from '../api/index.js';
import { isConflict, isNotFound } from '../runtime/errors.js';
import { builtinKinds } from '../runtime/kinds.js';
import type { KubeClient } from '../runtime/kube-client.js';
import type { SecretObject } from './invitation-record.js';

/** Name of the Secret holding the CSRF key. */
export const CSRF_SECRET_NAME = 'blink-accounts-csrf';
const KEY = 'key';
const KEY_BYTES = 32;

function keyOf(secret: SecretObject): Buffer | undefined {
  const value = secret.data?.[KEY];
  const key = value === undefined ? undefined : Buffer.from(value, 'base64');
  return key && key.length >= KEY_BYTES ? key : undefined;
}

/** Returns a function resolving to the shared key; it reads (or creates) the Secret once, and again after a failure. */
export function sharedCsrfKey(client: KubeClient, namespace: string): () => Promise<Buffer> {
  let cached: Promise<Buffer> | undefined;
  const load = async (): Promise<Buffer> => {
    try {
      const existing = keyOf(await client.get<SecretObject>(builtinKinds.secret, namespace, CSRF_SECRET_NAME));
      if (existing) return existing;
      throw new Error(`Secret ${namespace}/${CSRF_SECRET_NAME} has no usable "${KEY}"`);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    const secret: SecretObject = {
      metadata: { name: CSRF_SECRET_NAME, namespace, labels: { ...MANAGED_LABELS, 'app.kubernetes.io/component': 'csrf' } },
      type: 'Opaque',
      data: { [KEY]: randomBytes(KEY_BYTES).toString('base64') },
    };
    try {
      const created = keyOf(await client.create(builtinKinds.secret, secret));
      if (created) return created;
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
    const winner = keyOf(await client.get<SecretObject>(builtinKinds.secret, namespace, CSRF_SECRET_NAME));
    if (!winner) throw new Error(`Secret ${namespace}/${CSRF_SECRET_NAME} has no usable "${KEY}"`);
    return winner;
  };
  return () => {
    cached ??= load().catch((error: unknown) => {
      cached = undefined;
      throw error;
    });
    return cached;
  };
}
