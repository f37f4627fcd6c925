// What makes a key "one the operator issued": every API-key Secret carries an
// HMAC-SHA256 signature over the record the operator wrote (which account, the
// key id and hash, revision, issue time, and the previous key with its expiry),
// made with a key kept in the operator's own namespace. Anyone who can write
// Secrets in a tenant namespace can still write a key there, but not a valid
// signature: such a key never verifies, and the controller replaces it with a
// Warning Event.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { KubeWriter } from '../runtime/kube-writer.js';
import { loadSharedKey } from '../runtime/shared-key.js';

/** Secret (in the operator namespace) holding the signing key. */
export const KEY_SIGNING_SECRET = 'blink-accounts-key-signing';
/** Annotation of an API-key Secret holding the signature. */
export const SIGNATURE_ANNOTATION = 'accounts.blinkops.com/key-signature';

/** The record a signature covers. */
export interface SignedKeyRecord {
  readonly namespace: string;
  readonly serviceAccount: string;
  /** uid of the owning ServiceAccount: a re-created account of the same name does not inherit a key. */
  readonly ownerUid: string;
  readonly keyId: string;
  /** Hex SHA-256 of the key. */
  readonly hash: string;
  readonly revision: number;
  readonly createdAt: string;
  readonly previous?: { readonly keyId: string; readonly hash: string; readonly expiresAt: string } | undefined;
}

function canonical(record: SignedKeyRecord): string {
  // Fixed field order: the signature never depends on how an object was built.
  return JSON.stringify([
    'blink-api-key-record/v1',
    record.namespace,
    record.serviceAccount,
    record.ownerUid,
    record.keyId,
    record.hash,
    record.revision,
    record.createdAt,
    record.previous ? [record.previous.keyId, record.previous.hash, record.previous.expiresAt] : null,
  ]);
}

/** The signature of a record (`v1.` + hex HMAC-SHA256). */
export function signKeyRecord(signingKey: Buffer, record: SignedKeyRecord): string {
  return `v1.${createHmac('sha256', signingKey).update(canonical(record)).digest('hex')}`;
}

/** Whether `signature` is the signature of `record` (constant-time). */
export function verifyKeyRecord(signingKey: Buffer, record: SignedKeyRecord, signature: string | undefined): boolean {
  if (signature === undefined) return false;
  const expected = Buffer.from(signKeyRecord(signingKey, record));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Reads (or creates) the signing key. */
export async function loadKeySigningKey(client: Pick<KubeWriter, 'get' | 'create'>, namespace: string): Promise<Buffer> {
  try {
    return await loadSharedKey(client, namespace, KEY_SIGNING_SECRET, 'key-signing');
  } catch (error) {
    throw new Error(`Reading or creating the API-key signing key, Secret ${namespace}/${KEY_SIGNING_SECRET}, failed: the operator's namespace must exist and the operator may get and create Secrets in it`, { cause: error });
  }
}
