// The operator's signature over records it keeps in tenant namespaces, where
// anyone who may write Secrets there can edit them: HMAC-SHA256 over a canonical
// JSON array whose first element names the kind of record (so a signature of one
// kind never verifies as another), with the key every replica shares in the
// Secret `blink-accounts-key-signing` of the operator's namespace
// (shared-key.ts). API-key Secrets (service-accounts/key-signing.ts) and
// invitation records (invitations/invitation-record.ts) are signed this way.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { KubeWriter } from './kube-writer.js';
import { sharedKey } from './shared-key.js';

/** Secret (in the operator namespace) holding the key that signs records; the same Secret service-accounts/key-signing.ts names. */
export const RECORD_SIGNING_SECRET = 'blink-accounts-key-signing';

/** The signature of `canonical` (`v1.` + hex HMAC-SHA256 of its JSON). The array's first element must name the record kind and version. */
export function signCanonical(signingKey: Buffer, canonical: readonly unknown[]): string {
  return `v1.${createHmac('sha256', signingKey).update(JSON.stringify(canonical)).digest('hex')}`;
}

/** Whether `signature` is the signature of `canonical` (constant-time). */
export function verifyCanonical(signingKey: Buffer, canonical: readonly unknown[], signature: string | undefined): boolean {
  if (signature === undefined) return false;
  const expected = Buffer.from(signCanonical(signingKey, canonical));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A function resolving to the record-signing key: read (or created) once, read again after a failure. */
export function recordSigningKey(client: Pick<KubeWriter, 'get' | 'create'>, namespace: string): () => Promise<Buffer> {
  const load = sharedKey(client, namespace, RECORD_SIGNING_SECRET, 'key-signing');
  return () =>
    load().catch((error: unknown) => {
      throw new Error(`Reading or creating the record-signing key, Secret ${namespace}/${RECORD_SIGNING_SECRET}, failed: the operator's namespace must exist and the operator may get and create Secrets in it`, { cause: error });
    });
}
