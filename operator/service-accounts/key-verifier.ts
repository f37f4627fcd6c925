// Who is this API key? Answered from the operator's caches in microseconds:
// parse and checksum first (a typo never costs a lookup), then the Secret by
// key id (the cache holds only the key's hash), a constant-time hash compare,
// and the service account that owns the Secret: it must exist, not be deleting,
// and be the Secret's controller owner (same uid). A previous key verifies
// until its grace period ends.
//
// The access API gets the verifier of a running operator with
// `apiKeyVerifierOf(ctx)` (any feature, any registration order).
import type { Role, ServiceAccount } from '../api/index.js';
import { parseApiKey, verifyApiKey } from '../apikeys/index.js';
import type { OperatorContext } from '../operator.js';
import type { KubeObject } from '../runtime/kinds.js';
import type { CachedApiKeySecret } from './api-key-secret.js';
import { ApiKeySecretMeta, apiKeySecretInformer, controllerOwnerUid, KEY_ID_INDEX, recordedAnnotations } from './api-key-secret.js';
import { effectiveWorkspaces } from './status.js';

/** A key that verified: the principal it stands for. */
export interface AuthenticatedServiceAccount {
  readonly ok: true;
  /** Name of the Tenant. */
  readonly tenant: string;
  readonly namespace: string;
  /** Name of the ServiceAccount. */
  readonly name: string;
  readonly uid: string;
  readonly role: Role;
  /** Workspaces it can act in now (Admin: every workspace of the tenant), sorted. */
  readonly workspaces: readonly string[];
  /** Non-secret id of the key that verified. */
  readonly keyId: string;
  /** `previous`: a rotated-away key still in its grace period. */
  readonly keyState: 'current' | 'previous';
}

/** Why a key did not verify. Callers should answer every one the same way (401), and may log the reason. */
export type AuthFailureReason =
  /** Wrong prefix, shape or checksum: rejected without a lookup. */
  | 'malformed'
  /** No live key with this id and hash (unknown, rotated away, altered). */
  | 'unknown-key'
  /** A previous key whose grace period is over. */
  | 'expired'
  /** The service account is gone, deleting, or does not own the Secret. */
  | 'no-service-account'
  /** The namespace belongs to no Tenant (of this operator). */
  | 'no-tenant';

/** A key that did not verify. */
export interface AuthFailure {
  readonly ok: false;
  readonly reason: AuthFailureReason;
}

/** Authenticates service-account API keys. */
export interface ApiKeyVerifier {
  /** Never throws; never logs or keeps `key`. */
  authenticate(key: string): AuthenticatedServiceAccount | AuthFailure;
}

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
}

type Match = { secret: CachedApiKeySecret; keyState: 'current' | 'previous' } | { failure: 'expired' } | undefined;

function matchKey(key: string, keyId: string, secret: CachedApiKeySecret, now: number): Match {
  const observed = secret.observedKey;
  const recorded = recordedAnnotations(secret);
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
        const match = matchKey(key, keyId, secret, now);
        if (!match) continue;
        if ('failure' in match) {
          failure = match.failure;
          continue;
        }
        const namespace = secret.metadata?.namespace ?? '';
        const name = secret.metadata?.labels?.[ApiKeySecretMeta.serviceAccountLabel];
        const sa = name ? sources.serviceAccount(namespace, name) : undefined;
        if (!sa || sa.metadata?.deletionTimestamp || !sa.metadata?.uid || controllerOwnerUid(secret) !== sa.metadata.uid) return { ok: false, reason: 'no-service-account' };
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
export function cacheSources(ctx: OperatorContext): VerifierSources {
  const secrets = apiKeySecretInformer(ctx.manager);
  return {
    secretsWithKeyId: (keyId) => secrets.byIndex(KEY_ID_INDEX, keyId),
    serviceAccount: (namespace, name) => ctx.caches.serviceAccounts.get(`${namespace}/${name}`),
    tenantOf: (namespace) => ctx.tenantForNamespace(namespace)?.metadata?.name,
    workspacesIn: (namespace) => ctx.caches.workspaces.byIndex('namespace', namespace).map((w) => w.metadata?.name ?? ''),
    now: () => ctx.clock.now(),
  };
}

const verifiers = new WeakMap<OperatorContext, ApiKeyVerifier>();

/**
 * The API-key verifier of an operator, created on first use (it registers the API-key
 * Secret informer, so call it from a feature's `register`, or later).
 */
export function apiKeyVerifierOf(ctx: OperatorContext): ApiKeyVerifier {
  let verifier = verifiers.get(ctx);
  if (!verifier) {
    verifier = createApiKeyVerifier(cacheSources(ctx));
    verifiers.set(ctx, verifier);
  }
  return verifier;
}
