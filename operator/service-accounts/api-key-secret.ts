// The Secret that holds a service account's API key: its name, labels and
// annotations, how it is written, and the in-memory view the operator keeps of
// it. The informer replaces the key with its hash and fingerprint before the
// object reaches the cache (`toCachedApiKeySecret`), so no cache, index or
// reconcile ever holds a key it did not generate itself.
import { createHash } from 'node:crypto';
import { API_VERSION } from '../api/index.js';
import type { ServiceAccount } from '../api/index.js';
import { fingerprintOf, hashApiKey, parseApiKey } from '../apikeys/index.js';
import type { TokenParseErrorCode } from '../apikeys/index.js';
import type { Informer } from '../runtime/informer.js';
import { builtinKinds } from '../runtime/kinds.js';
import type { KubeObject, OwnerReference } from '../runtime/kinds.js';
import type { Manager } from '../runtime/manager.js';
import { SIGNATURE_ANNOTATION, signKeyRecord, verifyKeyRecord } from './key-signing.js';
import type { SignedKeyRecord } from './key-signing.js';
import { DEFAULT_KEY_DATA_KEY, KEY_DATA_KEY_ANNOTATION, secretTemplateOf, templateContent } from './secret-template.js';
import type { SecretTemplate } from './secret-template.js';

/** `type` of every API-key Secret. */
export const API_KEY_SECRET_TYPE = 'accounts.blinkops.com/api-key';
/** Data key of the API key unless spec.secretTemplate.keyName names another. */
export const API_KEY_DATA_KEY = DEFAULT_KEY_DATA_KEY;
/** Data key of the previous key's hash during a rotation grace period (a hash, never a key). */
export const PREVIOUS_KEY_HASH_DATA_KEY = 'previousKeyHash';
/** Label selector of the API-key Secret informer: the operator never lists other Secrets (a literal, like INVITATION_SELECTOR). */
export const API_KEY_SECRET_SELECTOR = 'app.kubernetes.io/component=api-key,app.kubernetes.io/managed-by=blink-accounts-operator';
/**
 * What the API-key Secret informer asks the API server for: the operator's labels and its Secret type,
 * so a Secret someone else labels `component=api-key` is never sent, let alone cached.
 */
export const API_KEY_SECRET_WATCH = { labelSelector: API_KEY_SECRET_SELECTOR, fieldSelector: `type=${API_KEY_SECRET_TYPE}` } as const;

/** Labels and annotations of an API-key Secret. */
export const ApiKeySecretMeta = {
  componentLabel: 'app.kubernetes.io/component',
  serviceAccountLabel: 'accounts.blinkops.com/service-account',
  keyIdLabel: 'accounts.blinkops.com/key-id',
  /** Fingerprint of the key written with it: a key edited by hand no longer matches. */
  fingerprint: 'accounts.blinkops.com/key-fingerprint',
  /** spec.keyRotation.revision the key was issued for. */
  revision: 'accounts.blinkops.com/key-revision',
  /** When the key was issued (RFC 3339 with milliseconds). */
  createdAt: 'accounts.blinkops.com/key-created-at',
  previousKeyId: 'accounts.blinkops.com/previous-key-id',
  /** Until when the previous key verifies (RFC 3339 with milliseconds). */
  previousExpiresAt: 'accounts.blinkops.com/previous-key-expires-at',
} as const;

/** Name of the Secret of a service account. */
export function apiKeySecretName(serviceAccountName: string): string {
  return `${serviceAccountName}-api-key`;
}

/** What the stored key is, without the key: only its id, hash and fingerprint. */
export interface ObservedKey {
  /** `ok`, `missing` (no apiKey data), or why the stored text is not a valid key. */
  readonly state: 'ok' | 'missing' | TokenParseErrorCode;
  readonly keyId?: string;
  /** Stored hash of the key (hex SHA-256); memory only, never logged or written anywhere. */
  readonly hash?: string;
  readonly fingerprint?: string;
  /** data.previousKeyHash, if any. */
  readonly previousKeyHash?: string;
}

/** A Secret as cached: `data` and `stringData` are gone, `observedKey` describes the key. */
export interface CachedApiKeySecret extends KubeObject {
  type?: string;
  observedKey: ObservedKey;
  /** Data key that holds the key (the key-data-key annotation, else apiKey). */
  keyDataKey: string;
  /** SHA-256 (hex) of every other data value except the previous key's hash (template data; nothing secret by declaration, still not kept in clear). */
  dataDigests: Record<string, string>;
}

/** The digest the cache keeps of template data values. */
export function dataDigest(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** The data key that holds the key of `secret` (its key-data-key annotation, else apiKey). */
export function keyDataKeyOf(secret: KubeObject): string {
  return secret.metadata?.annotations?.[KEY_DATA_KEY_ANNOTATION] || DEFAULT_KEY_DATA_KEY;
}

function decode(value: unknown): string | undefined {
  return typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : undefined;
}

/** Describes the key held in `data[keyDataKey]` without keeping it. */
export function observeKey(data: Record<string, unknown> | undefined, keyDataKey: string = API_KEY_DATA_KEY): ObservedKey {
  const key = decode(data?.[keyDataKey]);
  const previousHash = decode(data?.[PREVIOUS_KEY_HASH_DATA_KEY]);
  const previous = previousHash !== undefined ? { previousKeyHash: previousHash } : {};
  if (key === undefined) return { state: 'missing', ...previous };
  const parsed = parseApiKey(key);
  if (!parsed.ok) return { state: parsed.error.code, ...previous };
  return { state: 'ok', keyId: parsed.value.keyId, hash: hashApiKey(key), fingerprint: fingerprintOf(key), ...previous };
}

/** The informer transform: drops the Secret's data, keeping only what {@link observeKey} derives. */
export function toCachedApiKeySecret(secret: KubeObject): CachedApiKeySecret {
  const { data, stringData: _stringData, observedKey: _observed, keyDataKey: _k, dataDigests: _d, ...rest } = secret as KubeObject & { data?: Record<string, unknown>; stringData?: unknown };
  const keyDataKey = keyDataKeyOf(secret);
  const dataDigests: Record<string, string> = {};
  for (const [name, value] of Object.entries(data ?? {})) {
    if (name !== keyDataKey && name !== PREVIOUS_KEY_HASH_DATA_KEY) dataDigests[name] = dataDigest(decode(value) ?? '');
  }
  // Most key Secrets have no template data: one shared (frozen) empty record instead of one each.
  return { ...rest, observedKey: observeKey(data, keyDataKey), keyDataKey, dataDigests: Object.keys(dataDigests).length === 0 ? NO_DATA_DIGESTS : dataDigests };
}

const NO_DATA_DIGESTS: Record<string, string> = Object.freeze({}) as Record<string, string>;

const informers = new WeakMap<Manager, Informer<CachedApiKeySecret>>();

/** Index of cached API-key Secrets by key id (current and previous key). */
export const KEY_ID_INDEX = 'apiKeyId';

/** The ids of the keys a Secret holds, current and previous: what {@link KEY_ID_INDEX} indexes it by. */
export function keyIdsOf(secret: CachedApiKeySecret): string[] {
  const ids = [secret.observedKey.keyId, secret.metadata?.annotations?.[ApiKeySecretMeta.previousKeyId]];
  return ids.filter((id): id is string => typeof id === 'string' && id !== '');
}

/**
 * The one informer of API-key Secrets of a manager (label-selected, key replaced by its
 * hash), with the key-id index. Safe to call from several features in any order.
 */
export function apiKeySecretInformer(manager: Manager): Informer<CachedApiKeySecret> {
  let informer = informers.get(manager);
  if (!informer) {
    informer = manager.informer<CachedApiKeySecret>(builtinKinds.secret, {
      ...API_KEY_SECRET_WATCH,
      transform: (secret) => toCachedApiKeySecret(secret),
      indexes: {
        [KEY_ID_INDEX]: keyIdsOf,
      },
    });
    informers.set(manager, informer);
  }
  return informer;
}

/** The controller ownerReference of a service account's Secret. */
export function ownerReferenceTo(sa: ServiceAccount & KubeObject): OwnerReference {
  return { apiVersion: API_VERSION, kind: 'ServiceAccount', name: sa.metadata?.name ?? '', uid: sa.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/** The uid of the Secret's controller owner, if it is a ServiceAccount. */
export function controllerOwnerUid(secret: KubeObject): string | undefined {
  return secret.metadata?.ownerReferences?.find((ref) => ref.controller === true && ref.kind === 'ServiceAccount' && ref.apiVersion === API_VERSION)?.uid;
}

/** A key as the operator records it in the Secret's annotations. */
export interface IssuedKeyRecord {
  readonly keyId: string;
  readonly fingerprint: string;
  readonly revision: number;
  /** RFC 3339 with milliseconds. */
  readonly createdAt: string;
}

/** A previous key that still verifies until `expiresAt`. */
export interface PreviousKeyRecord {
  readonly keyId: string;
  readonly hash: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}

/** What the operator needs to write an API-key Secret. */
export interface ApiKeySecretContent {
  readonly key: string;
  readonly record: IssuedKeyRecord;
  readonly previous?: PreviousKeyRecord | undefined;
}

/** Labels of the Secret of `sa` holding key `keyId`. */
export function apiKeySecretLabels(managedLabels: Readonly<Record<string, string>>, tenantLabel: string, tenant: string, saName: string, keyId: string): Record<string, string> {
  return {
    ...managedLabels,
    [ApiKeySecretMeta.componentLabel]: 'api-key',
    [tenantLabel]: tenant,
    [ApiKeySecretMeta.serviceAccountLabel]: saName,
    [ApiKeySecretMeta.keyIdLabel]: keyId,
  };
}

/** Annotations recording the key (and the previous key in its grace period). */
export function apiKeySecretAnnotations(record: IssuedKeyRecord, previous: PreviousKeyRecord | undefined): Record<string, string> {
  return {
    [ApiKeySecretMeta.fingerprint]: record.fingerprint,
    [ApiKeySecretMeta.revision]: String(record.revision),
    [ApiKeySecretMeta.createdAt]: record.createdAt,
    ...(previous ? { [ApiKeySecretMeta.previousKeyId]: previous.keyId, [ApiKeySecretMeta.previousExpiresAt]: new Date(previous.expiresAt).toISOString() } : {}),
  };
}

/**
 * The record a Secret's signature must cover, rebuilt from the Secret as cached (its key, previous key hash
 * and annotations); undefined when it holds no valid key. Believed only once {@link checkSignature} says `valid`.
 */
export function signedRecordOf(secret: CachedApiKeySecret, overrides: { readonly ownerUid?: string; readonly withoutPrevious?: boolean } = {}): SignedKeyRecord | undefined {
  const { keyId, hash } = secret.observedKey;
  const recorded = recordedAnnotations(secret);
  if (secret.observedKey.state !== 'ok' || !keyId || !hash || !recorded.createdAt) return undefined;
  const previousHash = secret.observedKey.previousKeyHash;
  const previous =
    !overrides.withoutPrevious && recorded.previousKeyId !== undefined && previousHash !== undefined && recorded.previousExpiresAt !== undefined
      ? { keyId: recorded.previousKeyId, hash: previousHash, expiresAt: new Date(recorded.previousExpiresAt).toISOString() }
      : undefined;
  return {
    namespace: secret.metadata?.namespace ?? '',
    serviceAccount: secret.metadata?.labels?.[ApiKeySecretMeta.serviceAccountLabel] ?? '',
    ownerUid: overrides.ownerUid ?? controllerOwnerUid(secret) ?? '',
    keyId,
    hash,
    revision: recorded.revision,
    createdAt: recorded.createdAt,
    previous,
  };
}

// Cached objects are replaced, never edited, on every change: a verdict per object stays true.
const verdicts = new WeakMap<CachedApiKeySecret, { readonly signingKey: Buffer; readonly state: 'valid' | 'missing' | 'invalid'; readonly record: SignedKeyRecord | undefined }>();

/**
 * The operator's signature over what the cached Secret holds: `valid` with the record it covers, `missing`
 * (written before signatures) or `invalid`. Judged `as` an account, the account's uid and name replace the
 * Secret's owner reference and label (a removed owner or label is restored, not a forgery).
 */
export function checkSignature(
  signingKey: Buffer,
  secret: CachedApiKeySecret,
  as?: { readonly ownerUid: string; readonly serviceAccount: string },
): { readonly state: 'valid' | 'missing' | 'invalid'; readonly record: SignedKeyRecord | undefined } {
  const known = as ? undefined : verdicts.get(secret);
  if (known?.signingKey === signingKey) return known;
  const signature = secret.metadata?.annotations?.[SIGNATURE_ANNOTATION];
  const found = signature === undefined ? undefined : signedRecordOf(secret, as ? { ownerUid: as.ownerUid } : {});
  const record = found && as ? { ...found, serviceAccount: as.serviceAccount } : found;
  const state = signature === undefined ? 'missing' : record !== undefined && verifyKeyRecord(signingKey, record, signature) ? 'valid' : 'invalid';
  const verdict = { state, record: state === 'valid' ? record : undefined } as const;
  if (!as) verdicts.set(secret, { signingKey, ...verdict });
  return verdict;
}

/** Whether the cached Secret carries the operator's signature over what it holds: `valid`, `missing` (written before signatures) or `invalid`. */
export function signatureState(signingKey: Buffer, secret: CachedApiKeySecret, as?: { readonly ownerUid: string; readonly serviceAccount: string }): 'valid' | 'missing' | 'invalid' {
  return checkSignature(signingKey, secret, as).state;
}

/** The whole Secret (for create, or replace with `resourceVersion`): everything in one write, signed. */
export function buildApiKeySecret(options: {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly owner: OwnerReference;
  readonly content: ApiKeySecretContent;
  readonly signingKey: Buffer;
  readonly resourceVersion?: string | undefined;
  /** spec.secretTemplate: extra labels, annotations, data and the key's data key. @default none, apiKey */
  readonly template?: SecretTemplate;
}): KubeObject {
  const { content } = options;
  const signature = signKeyRecord(options.signingKey, {
    namespace: options.namespace,
    serviceAccount: options.labels[ApiKeySecretMeta.serviceAccountLabel] ?? options.owner.name,
    ownerUid: options.owner.uid,
    keyId: content.record.keyId,
    hash: hashApiKey(content.key),
    revision: content.record.revision,
    createdAt: content.record.createdAt,
    previous: content.previous ? { keyId: content.previous.keyId, hash: content.previous.hash, expiresAt: new Date(content.previous.expiresAt).toISOString() } : undefined,
  });
  const template = options.template ?? secretTemplateOf(undefined);
  const extra = templateContent(template);
  const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
  return {
    metadata: {
      name: options.name,
      namespace: options.namespace,
      ...(options.resourceVersion ? { resourceVersion: options.resourceVersion } : {}),
      // The operator's own labels and annotations last: admission refuses a template that sets them, and they win anyway.
      labels: { ...extra.labels, ...options.labels },
      annotations: { ...extra.annotations, ...apiKeySecretAnnotations(content.record, content.previous), [SIGNATURE_ANNOTATION]: signature },
      ownerReferences: [options.owner],
    },
    type: API_KEY_SECRET_TYPE,
    data: {
      ...extra.data,
      [template.keyName]: b64(content.key),
      ...(content.previous ? { [PREVIOUS_KEY_HASH_DATA_KEY]: b64(content.previous.hash) } : {}),
    },
  };
}

/**
 * Reads the key record from a Secret's annotations (undefined fields when absent). Unsigned text: only
 * {@link signedRecordOf} reads it, to rebuild the record a signature is checked against; nothing that
 * steers planning or verification reads it otherwise.
 */
export function recordedAnnotations(secret: KubeObject): {
  fingerprint: string | undefined;
  revision: number;
  createdAt: string | undefined;
  previousKeyId: string | undefined;
  previousExpiresAt: number | undefined;
} {
  const a = secret.metadata?.annotations ?? {};
  const revision = Number(a[ApiKeySecretMeta.revision] ?? '0');
  const expiresText = a[ApiKeySecretMeta.previousExpiresAt];
  const expires = expiresText !== undefined ? Date.parse(expiresText) : undefined;
  return {
    fingerprint: a[ApiKeySecretMeta.fingerprint],
    revision: Number.isFinite(revision) ? revision : 0,
    createdAt: a[ApiKeySecretMeta.createdAt],
    previousKeyId: a[ApiKeySecretMeta.previousKeyId],
    previousExpiresAt: expires !== undefined && Number.isFinite(expires) ? expires : undefined,
  };
}
