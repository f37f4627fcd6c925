// Who is this API key? Answered from the operator's caches in microseconds:
// parse and checksum first (a typo never costs a lookup), then the Secret by
// key id (the cache holds only the key's hash), a constant-time hash compare,
// and the service account that owns the Secret: it must exist, not be deleting,
// and be the Secret's controller owner (same uid), and its status must name
// the key (current, or previous until the expiry status gives). A previous key
// verifies until its grace period ends. Everything about the key comes from the
// record the operator signed; the Secret's annotations are never believed.
//
// The service-accounts feature provides the verifier (FeatureServices.apiKeyVerifier);
// the access API receives it from operator.ts.
import type { ServiceAccount } from '../api/index.js';
import { parseApiKey, verifyApiKey } from '../apikeys/index.js';
import type { OperatorContext } from '../context.js';
import { effectiveWorkspaces } from '../policy/index.js';
import type { ApiKeyVerifier, AuthenticatedServiceAccount, AuthFailure, AuthFailureReason } from '../policy/index.js';
import type { KubeObject } from '../runtime/kinds.js';
import type { CachedApiKeySecret } from './api-key-secret.js';
import { ApiKeySecretMeta, apiKeySecretName, checkSignature, controllerOwnerUid, KEY_ID_INDEX } from './api-key-secret.js';
import type { SignedKeyRecord } from './key-signing.js';
import { parseDuration } from '../api/index.js';
import type { Informer } from '../runtime/informer.js';
import { currentKeyExpiredUnused } from './key-usage.js';

/** Where the verifier looks things up (the operator's caches; object literals in unit tests). */
export interface VerifierSources {
  /** Cached API-key Secrets whose current or previous key has this id. */
  secretsWithKeyId(keyId: string): readonly CachedApiKeySecret[];
  serviceAccount(namespace: string, name: string): (ServiceAccount & KubeObject) | undefined;
  /** Name of the Tenant owning the namespace, if any. */
  tenantOf(namespace: string): string | undefined;
  /** Names of the Workspaces in the namespace. */
  workspacesIn(namespace: string): readonly string[];
  now(): number;
  /** The key that signs what the operator wrote into each Secret (key-signing.ts). */
  readonly signingKey: Buffer;
  /** Told of every key that verified (key-usage.ts records its last use). @default nobody */
  readonly usage?: { note(namespace: string, name: string, keyId: string, usedAt: number): void };
}

type Match = { secret: CachedApiKeySecret; record: SignedKeyRecord; keyState: 'current' | 'previous' } | { failure: 'expired' } | undefined;

function matchKey(key: string, keyId: string, secret: CachedApiKeySecret, now: number, signingKey: Buffer): Match {
  const observed = secret.observedKey;
  // Only what the operator issued verifies: its signature covers the account, both key hashes and
  // the previous key's expiry, so no key, id, hash or expiry written by anyone else counts. Everything
  // below reads the signed record, never the Secret's annotations.
  const { state, record } = checkSignature(signingKey, secret);
  if (state !== 'valid' || !record) return undefined;
  if (observed.state === 'ok' && record.keyId === keyId && observed.keyId === keyId && verifyApiKey(key, record.hash)) return { secret, record, keyState: 'current' };
  const previous = record.previous;
  if (previous?.keyId === keyId && verifyApiKey(key, previous.hash)) {
    const expiresAt = Date.parse(previous.expiresAt);
    if (!Number.isFinite(expiresAt) || now >= expiresAt) return { failure: 'expired' };
    return { secret, record, keyState: 'previous' };
  }
  return undefined;
}

/** Whether the signed previous key's expiry is within spec.keyRotation.gracePeriod of the current key's issue (a shortened grace period counts at once). */
function withinGracePeriod(record: SignedKeyRecord, sa: ServiceAccount & KubeObject): boolean {
  const issued = Date.parse(record.createdAt);
  const expires = record.previous ? Date.parse(record.previous.expiresAt) : Number.NaN;
  const grace = parseDuration(sa.spec?.keyRotation?.gracePeriod ?? '0s') ?? 0;
  return Number.isFinite(expires) && Number.isFinite(issued) && expires <= issued + grace + 1000;
}

/**
 * Whether the account's status (written only by the operator) names the key: as its current key, or as
 * its previous key before the expiry status gives. A previous key status still calls current is the
 * moment between a rotation's Secret write and its status write. A key a replayed Secret still holds
 * after status moved on (an old key, or one repaired away) is refused even if its record is signed.
 */
function statusNamesKey(sa: ServiceAccount & KubeObject, keyId: string, keyState: 'current' | 'previous', now: number): boolean {
  const status = sa.status;
  if (status?.keyId === keyId) return true;
  if (keyState !== 'previous' || status?.previousKeyId !== keyId) return false;
  const expires = Date.parse(status.previousKeyExpiresAt ?? '');
  return Number.isFinite(expires) && now < expires;
}

/** What {@link verifyKey} decides: the verifier's answer, and until when (epoch ms) a yes stays a yes if nothing in the cache changes. */
export interface TimedVerification {
  readonly result: AuthenticatedServiceAccount | AuthFailure;
  /** For a yes: the first moment the clock alone would turn it into a no (a previous key's expiry, the current key's unused expiry); Infinity when none. */
  readonly validUntil: number;
}

const no = (reason: AuthFailureReason): TimedVerification => ({ result: { ok: false, reason }, validUntil: -Infinity });

/** Epoch ms of an RFC 3339 time; NaN when absent or unreadable (a yes that would depend on it is never kept). */
const epochOf = (text: string | undefined): number => Date.parse(text ?? '');

/**
 * Verifies `key` at `sources.now()` (notes the use of a key that verified). The one decision behind
 * {@link createApiKeyVerifier} and the verified keys kept ready by verified-keys.ts.
 */
export function verifyKey(sources: VerifierSources, key: string): TimedVerification {
  if (typeof key !== 'string') return no('malformed');
  const parsed = parseApiKey(key);
  if (!parsed.ok) return no('malformed');
  const { keyId } = parsed.value;
  const now = sources.now();
  let failure: AuthFailureReason = 'unknown-key';
  // Key ids are 71 random bits; a list is still tried in full rather than assumed unique.
  for (const secret of sources.secretsWithKeyId(keyId)) {
    const match = matchKey(key, keyId, secret, now, sources.signingKey);
    if (!match) continue;
    if ('failure' in match) {
      failure = match.failure;
      continue;
    }
    const namespace = secret.metadata?.namespace ?? '';
    const name = secret.metadata?.labels?.[ApiKeySecretMeta.serviceAccountLabel];
    const sa = name ? sources.serviceAccount(namespace, name) : undefined;
    if (!sa || sa.metadata?.deletionTimestamp || !sa.metadata?.uid || controllerOwnerUid(secret) !== sa.metadata.uid) return no('no-service-account');
    // The account's own Secret only, and a previous key only within the grace period its spec allows now.
    if (secret.metadata?.name !== apiKeySecretName(name ?? '')) return no('unknown-key');
    if (match.keyState === 'previous' && !withinGracePeriod(match.record, sa)) return no('expired');
    if (!statusNamesKey(sa, keyId, match.keyState, now)) return no(match.keyState === 'previous' ? 'expired' : 'unknown-key');
    // A current key unused for spec.keyRotation.expireUnusedAfter (status says when it was last used) is dead.
    const unused = match.keyState === 'current' ? currentKeyExpiredUnused(sa, now) : undefined;
    if (unused?.expired) return no('expired-unused');
    const tenant = sources.tenantOf(namespace);
    if (!tenant) return no('no-tenant');
    sources.usage?.note(namespace, sa.metadata.name ?? '', keyId, now);
    // Every check above that reads the clock, and when it turns: a previous key's expiry (signed, and as
    // status gives it unless status already calls it current), the current key's unused expiry.
    const validUntil =
      match.keyState === 'previous'
        ? Math.min(epochOf(match.record.previous?.expiresAt), sa.status?.keyId === keyId ? Infinity : epochOf(sa.status?.previousKeyExpiresAt))
        : (unused?.at ?? Infinity);
    const result: AuthenticatedServiceAccount = {
      ok: true,
      tenant,
      namespace,
      name: sa.metadata.name ?? '',
      uid: sa.metadata.uid,
      role: sa.spec.role,
      workspaces: effectiveWorkspaces(sa.spec.role, sa.spec.workspaces ?? [], sources.workspacesIn(namespace)),
      keyId,
      keyState: match.keyState,
    };
    return { result, validUntil };
  }
  return no(failure);
}

/** A verifier over `sources`: every key verified afresh (verified-keys.ts keeps verified keys ready). */
export function createApiKeyVerifier(sources: VerifierSources): ApiKeyVerifier {
  return { authenticate: (key) => verifyKey(sources, key).result };
}

/** Verifier sources reading the caches of a running operator. */
export function cacheSources(ctx: OperatorContext, secrets: Informer<CachedApiKeySecret>, signingKey: Buffer, usage?: VerifierSources['usage']): VerifierSources {
  return {
    ...(usage ? { usage } : {}),
    secretsWithKeyId: (keyId) => secrets.byIndex(KEY_ID_INDEX, keyId),
    serviceAccount: (namespace, name) => ctx.caches.serviceAccounts.get(`${namespace}/${name}`),
    tenantOf: (namespace) => ctx.tenants.forNamespace(namespace)?.metadata?.name,
    workspacesIn: (namespace) => ctx.caches.workspaces.byIndex('namespace', namespace).map((w) => w.metadata?.name ?? ''),
    now: () => ctx.clock.now(),
    signingKey,
  };
}
