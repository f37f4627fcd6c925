// Who is this API key? Answered from the operator's caches in microseconds:
// parse and checksum first (a typo never costs a lookup), then the Secret by
// key id (the cache holds only the key's hash), a constant-time hash compare,
// and the service account that owns the Secret: it must exist, not be deleting,
// and be the Secret's controller owner (same uid). A previous key verifies
// until its grace period ends.
//
// The service-accounts feature provides the verifier (FeatureServices.apiKeyVerifier);
// the access API receives it from operator.ts.
import type { ServiceAccount } from '../api/index.js';
import { parseApiKey, verifyApiKey } from '../apikeys/index.js';
import type { OperatorContext } from '../context.js';
import { effectiveWorkspaces } from '../policy/index.js';
import type { ApiKeyVerifier, AuthFailureReason } from '../policy/index.js';
import type { KubeObject } from '../runtime/kinds.js';
import type { CachedApiKeySecret } from './api-key-secret.js';
import { ApiKeySecretMeta, apiKeySecretName, controllerOwnerUid, KEY_ID_INDEX, recordedAnnotations, signatureState } from './api-key-secret.js';
import { parseDuration } from '../api/index.js';
import type { Informer } from '../runtime/informer.js';

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
}

type Match = { secret: CachedApiKeySecret; keyState: 'current' | 'previous' } | { failure: 'expired' } | undefined;

function matchKey(key: string, keyId: string, secret: CachedApiKeySecret, now: number, signingKey: Buffer): Match {
  const observed = secret.observedKey;
  const recorded = recordedAnnotations(secret);
  // Only what the operator issued verifies: its signature covers the account, both key hashes and
  // the previous key's expiry, so no key, fingerprint or expiry written by anyone else counts.
  if (signatureState(signingKey, secret) !== 'valid') return undefined;
  // A key edited by hand (fingerprint no longer the one written with it) is dead at once.
  if (observed.state === 'ok' && observed.keyId === keyId && observed.hash && observed.fingerprint === recorded.fingerprint) {
    if (verifyApiKey(key, observed.hash)) return { secret, keyState: 'current' };
  }
  if (recorded.previousKeyId === keyId && observed.previousKeyHash && verifyApiKey(key, observed.previousKeyHash)) {
    if (recorded.previousExpiresAt === undefined || now >= recorded.previousExpiresAt) return { failure: 'expired' };
    return { secret, keyState: 'previous' };
  }
  return undefined;
}

/** Whether the previous key's expiry is within spec.keyRotation.gracePeriod of the current key's issue (a shortened grace period counts at once). */
function withinGracePeriod(secret: CachedApiKeySecret, sa: ServiceAccount & KubeObject): boolean {
  const recorded = recordedAnnotations(secret);
  const issued = recorded.createdAt === undefined ? Number.NaN : Date.parse(recorded.createdAt);
  const grace = parseDuration(sa.spec?.keyRotation?.gracePeriod ?? '0s') ?? 0;
  return recorded.previousExpiresAt !== undefined && Number.isFinite(issued) && recorded.previousExpiresAt <= issued + grace + 1000;
}

/** A verifier over `sources`. */
export function createApiKeyVerifier(sources: VerifierSources): ApiKeyVerifier {
  return {
    authenticate(key) {
      if (typeof key !== 'string') return { ok: false, reason: 'malformed' };
      const parsed = parseApiKey(key);
      if (!parsed.ok) return { ok: false, reason: 'malformed' };
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
        if (!sa || sa.metadata?.deletionTimestamp || !sa.metadata?.uid || controllerOwnerUid(secret) !== sa.metadata.uid) return { ok: false, reason: 'no-service-account' };
        // The account's own Secret only, and a previous key only within the grace period its spec allows now.
        if (secret.metadata?.name !== apiKeySecretName(name ?? '')) return { ok: false, reason: 'unknown-key' };
        if (match.keyState === 'previous' && !withinGracePeriod(secret, sa)) return { ok: false, reason: 'expired' };
        const tenant = sources.tenantOf(namespace);
        if (!tenant) return { ok: false, reason: 'no-tenant' };
        return {
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
      }
      return { ok: false, reason: failure };
    },
  };
}

/** Verifier sources reading the caches of a running operator. */
export function cacheSources(ctx: OperatorContext, secrets: Informer<CachedApiKeySecret>, signingKey: Buffer): VerifierSources {
  return {
    secretsWithKeyId: (keyId) => secrets.byIndex(KEY_ID_INDEX, keyId),
    serviceAccount: (namespace, name) => ctx.caches.serviceAccounts.get(`${namespace}/${name}`),
    tenantOf: (namespace) => ctx.tenants.forNamespace(namespace)?.metadata?.name,
    workspacesIn: (namespace) => ctx.caches.workspaces.byIndex('namespace', namespace).map((w) => w.metadata?.name ?? ''),
    now: () => ctx.clock.now(),
    signingKey,
  };
}
