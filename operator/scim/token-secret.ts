// The Secret holding a tenant's SCIM token (`blink-scim-token` in the tenant
// namespace): how it is written and signed, how the cache sees it (the token
// replaced by its hash before anything stores it), and the pure decision of
// when to issue, rotate or delete it (`planScimToken`). Same rules as API keys:
// prefix and checksum, hashed in every cache, signed by the operator with the
// record-signing key (runtime/record-signing.ts) so a token someone else writes
// into the Secret never verifies, rotation with a grace period for the previous one.
import { MANAGED_LABELS, COMPONENT_LABEL, COMPONENTS, SCIM_TOKEN_SECRET, TENANT_LABEL } from '../api/index.js';
import type { Tenant } from '../api/index.js';
import { parseDuration } from '../api/index.js';
import { DEFAULT_SCIM_TOKEN_GRACE } from '../api/index.js';
import type { KubeObject } from '../runtime/kinds.js';
import { signCanonical, verifyCanonical } from '../runtime/record-signing.js';
import { hashScimToken, parseScimToken, verifyScimToken } from './token.js';
import type { GeneratedScimToken } from './token.js';

/** `type` of the token Secret (the chart's secretPolicy lets only the operator write `accounts.blinkops.com/` types). */
export const SCIM_TOKEN_SECRET_TYPE = 'accounts.blinkops.com/scim-token';
/** Data key of the token. */
export const SCIM_TOKEN_DATA_KEY = 'token';
/** Data key of the previous token's hash during a rotation grace period (a hash, never a token). */
export const PREVIOUS_TOKEN_HASH_DATA_KEY = 'previousTokenHash';
/** What the token-Secret informer asks for: the operator's labels and the Secret type. */
export const SCIM_TOKEN_WATCH = {
  labelSelector: `${COMPONENT_LABEL}=${COMPONENTS.scimToken},app.kubernetes.io/managed-by=blink-accounts-operator`,
  fieldSelector: `type=${SCIM_TOKEN_SECRET_TYPE}`,
} as const;

/** Annotations of the token Secret (nothing secret). */
export const ScimTokenMeta = {
  tokenId: 'accounts.blinkops.com/scim-token-id',
  fingerprint: 'accounts.blinkops.com/scim-token-fingerprint',
  revision: 'accounts.blinkops.com/scim-token-revision',
  createdAt: 'accounts.blinkops.com/scim-token-created-at',
  tenantUid: 'accounts.blinkops.com/scim-tenant-uid',
  previousTokenId: 'accounts.blinkops.com/scim-previous-token-id',
  previousExpiresAt: 'accounts.blinkops.com/scim-previous-token-expires-at',
  signature: 'accounts.blinkops.com/scim-token-signature',
} as const;

/** The token Secret as cached: no data, only the hashes. */
export interface CachedScimTokenSecret extends KubeObject {
  type?: string;
  /** Hex SHA-256 of data.token when it is a well-formed token; memory only. */
  tokenHash?: string;
  /** data.previousTokenHash, if any; memory only. */
  previousTokenHash?: string;
}

function decode(value: unknown): string | undefined {
  return typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : undefined;
}

/** The informer transform: the token is replaced by its hash before the object is stored. */
export function toCachedScimTokenSecret(secret: KubeObject): CachedScimTokenSecret {
  const { data, stringData: _s, tokenHash: _t, previousTokenHash: _p, ...rest } = secret as KubeObject & { data?: Record<string, unknown>; stringData?: unknown; tokenHash?: unknown; previousTokenHash?: unknown };
  const token = decode(data?.[SCIM_TOKEN_DATA_KEY]);
  const previous = decode(data?.[PREVIOUS_TOKEN_HASH_DATA_KEY]);
  return {
    ...rest,
    ...(token !== undefined && parseScimToken(token).ok ? { tokenHash: hashScimToken(token) } : {}),
    ...(previous !== undefined && /^[0-9a-f]{64}$/.test(previous) ? { previousTokenHash: previous } : {}),
  };
}

/** What the signature covers: everything that decides which tokens verify for which tenant. */
interface TokenRecord {
  readonly namespace: string;
  readonly tenant: string;
  readonly tenantUid: string;
  readonly tokenId: string;
  readonly hash: string;
  readonly revision: number;
  readonly createdAt: string;
  readonly previous?: { readonly tokenId: string; readonly hash: string; readonly expiresAt: string } | undefined;
}

function canonical(record: TokenRecord): unknown[] {
  return [
    'blink-scim-token/v1',
    record.namespace,
    record.tenant,
    record.tenantUid,
    record.tokenId,
    record.hash,
    record.revision,
    record.createdAt,
    record.previous ? [record.previous.tokenId, record.previous.hash, record.previous.expiresAt] : null,
  ];
}

/** The record a cached Secret claims (undefined when a part is missing). */
function recordOf(secret: CachedScimTokenSecret): TokenRecord | undefined {
  const a = secret.metadata?.annotations ?? {};
  const tokenId = a[ScimTokenMeta.tokenId];
  const revision = Number(a[ScimTokenMeta.revision]);
  const createdAt = a[ScimTokenMeta.createdAt];
  const tenantUid = a[ScimTokenMeta.tenantUid];
  const tenant = secret.metadata?.labels?.[TENANT_LABEL];
  if (!secret.tokenHash || !tokenId || !Number.isSafeInteger(revision) || !createdAt || !tenantUid || !tenant) return undefined;
  const previousId = a[ScimTokenMeta.previousTokenId];
  const previousExpiresAt = a[ScimTokenMeta.previousExpiresAt];
  const previous = previousId && previousExpiresAt && secret.previousTokenHash ? { tokenId: previousId, hash: secret.previousTokenHash, expiresAt: previousExpiresAt } : undefined;
  return { namespace: secret.metadata?.namespace ?? '', tenant, tenantUid, tokenId, hash: secret.tokenHash, revision, createdAt, previous };
}

/** What the operator knows of a tenant's token Secret once its signature is checked. */
export interface TrustedToken {
  readonly revision: number;
  readonly tokenId: string;
  readonly hash: string;
  readonly previous?: { readonly tokenId: string; readonly hash: string; readonly expiresAtMs: number } | undefined;
}

/** The token record of `secret` if the operator signed it for this very Tenant (name and uid); else undefined. */
export function trustedToken(signingKey: Buffer, secret: CachedScimTokenSecret | undefined, tenant: KubeObject): TrustedToken | undefined {
  if (!secret) return undefined;
  const record = recordOf(secret);
  if (!record || record.tenant !== tenant.metadata?.name || record.tenantUid !== tenant.metadata?.uid) return undefined;
  if (!verifyCanonical(signingKey, canonical(record), secret.metadata?.annotations?.[ScimTokenMeta.signature])) return undefined;
  const previous = record.previous ? { tokenId: record.previous.tokenId, hash: record.previous.hash, expiresAtMs: Date.parse(record.previous.expiresAt) } : undefined;
  return { revision: record.revision, tokenId: record.tokenId, hash: record.hash, previous };
}

/** Whether `presented` is the tenant's token now: the current one, or the previous one within its grace period. */
export function tokenMatches(trusted: TrustedToken | undefined, presented: string, nowMs: number): boolean {
  const parsed = parseScimToken(presented);
  if (!trusted || !parsed.ok) return false;
  if (parsed.value.tokenId === trusted.tokenId) return verifyScimToken(presented, trusted.hash);
  const previous = trusted.previous;
  return previous !== undefined && parsed.value.tokenId === previous.tokenId && nowMs < previous.expiresAtMs && verifyScimToken(presented, previous.hash);
}

/** What to do with a tenant's token Secret. */
export type ScimTokenPlan =
  | { readonly action: 'none' }
  | { readonly action: 'delete'; readonly why: string }
  | { readonly action: 'issue'; readonly revision: number; readonly previous?: { readonly tokenId: string; readonly hash: string; readonly expiresAtMs: number } | undefined; readonly why: 'First' | 'Rotated' | 'Untrusted' };

/** The revision the Tenant asks for. */
export function wantedRevision(tenant: Pick<Tenant, 'spec'>): number {
  return tenant.spec?.provisioning?.scim?.tokenRotation?.revision ?? 0;
}

/** Grace period of the previous token after a rotation (ms). */
export function gracePeriodMs(tenant: Pick<Tenant, 'spec'>): number {
  return parseDuration(tenant.spec?.provisioning?.scim?.tokenRotation?.gracePeriod ?? DEFAULT_SCIM_TOKEN_GRACE) ?? 3_600_000;
}

/**
 * Decides the token Secret of a tenant: none while SCIM is off (an existing one is deleted, which
 * revokes the token at once); a first token; a new one when the Tenant's rotation revision grew
 * (the current one kept as previous for the grace period); a new one, without a previous, when the
 * Secret is not one the operator signed for this Tenant (edited, copied from another tenant, or
 * left by a deleted Tenant of the same name).
 */
export function planScimToken(input: { readonly enabled: boolean; readonly exists: boolean; readonly trusted: TrustedToken | undefined; readonly revision: number; readonly graceMs: number; readonly nowMs: number }): ScimTokenPlan {
  if (!input.enabled) return input.exists ? { action: 'delete', why: 'SCIM provisioning is not enabled' } : { action: 'none' };
  if (!input.exists) return { action: 'issue', revision: input.revision, why: 'First' };
  if (!input.trusted) return { action: 'issue', revision: input.revision, why: 'Untrusted' };
  if (input.trusted.revision < input.revision) {
    const previous = input.graceMs > 0 ? { tokenId: input.trusted.tokenId, hash: input.trusted.hash, expiresAtMs: input.nowMs + input.graceMs } : undefined;
    return { action: 'issue', revision: input.revision, previous, why: 'Rotated' };
  }
  return { action: 'none' };
}

/** The token Secret to write for `tenant` with a new `token`. */
export function buildScimTokenSecret(options: {
  readonly tenant: KubeObject;
  readonly namespace: string;
  readonly token: GeneratedScimToken;
  readonly revision: number;
  readonly previous?: { readonly tokenId: string; readonly hash: string; readonly expiresAtMs: number } | undefined;
  readonly nowMs: number;
  readonly signingKey: Buffer;
}): KubeObject & { type: string; data: Record<string, string> } {
  const { tenant, namespace, token, revision, previous, nowMs, signingKey } = options;
  const name = tenant.metadata?.name ?? '';
  const createdAt = new Date(nowMs).toISOString();
  const record: TokenRecord = {
    namespace,
    tenant: name,
    tenantUid: tenant.metadata?.uid ?? '',
    tokenId: token.tokenId,
    hash: token.hash,
    revision,
    createdAt,
    previous: previous ? { tokenId: previous.tokenId, hash: previous.hash, expiresAt: new Date(previous.expiresAtMs).toISOString() } : undefined,
  };
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: SCIM_TOKEN_SECRET,
      namespace,
      labels: { ...MANAGED_LABELS, [COMPONENT_LABEL]: COMPONENTS.scimToken, [TENANT_LABEL]: name },
      annotations: {
        [ScimTokenMeta.tokenId]: token.tokenId,
        [ScimTokenMeta.fingerprint]: token.fingerprint,
        [ScimTokenMeta.revision]: String(revision),
        [ScimTokenMeta.createdAt]: createdAt,
        [ScimTokenMeta.tenantUid]: record.tenantUid,
        ...(record.previous ? { [ScimTokenMeta.previousTokenId]: record.previous.tokenId, [ScimTokenMeta.previousExpiresAt]: record.previous.expiresAt } : {}),
        [ScimTokenMeta.signature]: signCanonical(signingKey, canonical(record)),
      },
    },
    type: SCIM_TOKEN_SECRET_TYPE,
    data: {
      [SCIM_TOKEN_DATA_KEY]: Buffer.from(token.token).toString('base64'),
      ...(record.previous ? { [PREVIOUS_TOKEN_HASH_DATA_KEY]: Buffer.from(record.previous.hash).toString('base64') } : {}),
    },
  };
}
