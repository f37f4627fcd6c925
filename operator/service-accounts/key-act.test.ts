// Table tests of the ServiceAccount act step against the fake writer: which
// writes and Events each plan makes, and which key the account then has.
import { describe, expect, it } from 'vitest';
import type { ServiceAccount } from '../api/index.js';
import { generateApiKey } from '../apikeys/index.js';
import { FakeKubeWriter } from '../runtime/fake-kube-writer.js';
import { ApiError, isConflict, TransientError } from '../runtime/errors.js';
import { builtinKinds } from '../runtime/kinds.js';
import type { KubeObject } from '../runtime/kinds.js';
import type { CachedApiKeySecret } from './api-key-secret.js';
import { API_KEY_DATA_KEY, ApiKeySecretMeta, buildApiKeySecret, checkSignature, ownerReferenceTo, toCachedApiKeySecret } from './api-key-secret.js';
import type { SignedKeyRecord } from './key-signing.js';
import { applyKeyPlan, deleteKeySecret } from './key-act.js';
import { secretTemplateOf } from './secret-template.js';
import type { KeyActResult } from './key-act.js';
import type { KeyPlan } from './key-plan.js';

const NOW = Date.UTC(2026, 0, 1, 12);
type SA = ServiceAccount & KubeObject;
const sa: SA = { metadata: { name: 'ci', namespace: 'tenant-acme', uid: 'uid-1' }, spec: { role: 'Builder', keyRotation: { revision: 1 } }, status: { keyId: 'OldKeyId0001' } } as SA;
const labelsFor = (keyId: string): Record<string, string> => ({ 'app.kubernetes.io/component': 'api-key', 'accounts.blinkops.com/key-id': keyId });
const old = generateApiKey();
const signingKey = Buffer.alloc(32, 7);
/** The fixtures' Secrets judged as account ci's (they carry no service-account label). */
const AS_CI = { ownerUid: 'uid-1', serviceAccount: 'ci' } as const;

function rawSecret(extra: { previous?: boolean } = {}): KubeObject {
  const raw = buildApiKeySecret({
    namespace: 'tenant-acme',
    name: 'ci-api-key',
    labels: labelsFor(old.keyId),
    owner: ownerReferenceTo(sa),
    content: {
      key: old.key,
      record: { keyId: old.keyId, fingerprint: old.fingerprint, revision: 0, createdAt: new Date(NOW - 1000).toISOString() },
      previous: extra.previous ? { keyId: 'PrevKeyId001', hash: '1'.repeat(64), expiresAt: NOW - 1 } : undefined,
    },
    signingKey,
    resourceVersion: '7',
  });
  return raw;
}

/** The Secret as the operator's cache holds it (hashes, not keys). */
function existingSecret(extra: { previous?: boolean } = {}): CachedApiKeySecret {
  return toCachedApiKeySecret(rawSecret(extra));
}

/** The record the operator signed into the Secret (what a keep or cleanup plan carries). */
function signedOf(extra: { previous?: boolean } = {}): SignedKeyRecord {
  const record = checkSignature(signingKey, existingSecret(extra), AS_CI).record;
  if (!record) throw new Error('the fixture Secret is not signed');
  return record;
}

function keyIn(fake: FakeKubeWriter): string | undefined {
  const data = fake.stored<KubeObject & { data?: Record<string, string> }>(builtinKinds.secret, 'tenant-acme', 'ci-api-key')?.data?.[API_KEY_DATA_KEY];
  return data === undefined ? undefined : Buffer.from(data, 'base64').toString('utf8');
}

interface Row {
  readonly name: string;
  readonly plan: KeyPlan;
  readonly secret: 'none' | 'current' | 'with-expired-previous';
  readonly writes: string[];
  readonly events: string[];
  /** 'new': a new key is in the Secret; 'old': the old one still is; 'none': no Secret. */
  readonly key: 'new' | 'old' | 'none';
  readonly problem?: string;
  readonly requeue?: number;
}

const rows: Row[] = [
  { name: 'create: one Secret create, KeyIssued', plan: { action: 'create' }, secret: 'none', writes: ['create Secret tenant-acme/ci-api-key'], events: ['Normal/KeyIssued'], key: 'new' },
  { name: 'create over a leftover: one replace', plan: { action: 'create' }, secret: 'current', writes: ['replace Secret tenant-acme/ci-api-key'], events: ['Normal/KeyIssued'], key: 'new' },
  { name: 'repair a deleted Secret: create, Warning', plan: { action: 'repair', reason: 'SecretDeleted' }, secret: 'none', writes: ['create Secret tenant-acme/ci-api-key'], events: ['Warning/SecretDeleted'], key: 'new' },
  { name: 'repair an altered key: replace, Warning', plan: { action: 'repair', reason: 'KeyAltered' }, secret: 'current', writes: ['replace Secret tenant-acme/ci-api-key'], events: ['Warning/KeyAltered'], key: 'new' },
  { name: 'rotate without grace: replace, KeyRotated', plan: { action: 'rotate', gracePeriodMs: 0, reason: 'Requested' }, secret: 'current', writes: ['replace Secret tenant-acme/ci-api-key'], events: ['Normal/KeyRotated'], key: 'new' },
  {
    name: 'rotate with grace: replace, look again when it ends',
    plan: { action: 'rotate', gracePeriodMs: 60_000, reason: 'Requested' },
    secret: 'current',
    writes: ['replace Secret tenant-acme/ci-api-key'],
    events: ['Normal/KeyRotated'],
    key: 'new',
    requeue: 60_000,
  },
  { name: 'conflict: nothing written', plan: { action: 'conflict' }, secret: 'current', writes: [], events: [], key: 'old', problem: 'SecretConflict' },
  { name: 'keep: nothing written', plan: { action: 'keep', record: signedOf(), fixMetadata: false }, secret: 'current', writes: [], events: [], key: 'old' },
  { name: 'keep, fix metadata: one patch, no Event', plan: { action: 'keep', record: signedOf(), fixMetadata: true }, secret: 'current', writes: ['patch Secret tenant-acme/ci-api-key'], events: [], key: 'old' },
  { name: 'keep during grace: look again at expiry', plan: { action: 'keep', record: signedOf(), fixMetadata: false, requeueAfterMs: 5_000 }, secret: 'current', writes: [], events: [], key: 'old', requeue: 5_000 },
  {
    name: 'expired previous key: one patch, PreviousKeyExpired',
    plan: { action: 'cleanup-expired-previous', record: signedOf({ previous: true }) },
    secret: 'with-expired-previous',
    writes: ['patch Secret tenant-acme/ci-api-key'],
    events: ['Normal/PreviousKeyExpired'],
    key: 'old',
  },
  {
    name: 'sign a record from before signatures from status: one patch, no Event',
    plan: { action: 'sign-from-status', revision: 3, createdAt: '2025-12-31T00:00:00.000Z' },
    secret: 'current',
    writes: ['patch Secret tenant-acme/ci-api-key'],
    events: [],
    key: 'old',
  },
];

describe('applyKeyPlan', () => {
  it.each(rows)('$name', async (row) => {
    const previous = row.secret === 'with-expired-previous';
    const secret = row.secret === 'none' ? undefined : existingSecret({ previous });
    const fake = new FakeKubeWriter(secret ? [{ kind: builtinKinds.secret, object: rawSecret({ previous }) }] : []);
    const acted = await applyKeyPlan(fake.act(), row.plan, { sa, secretName: 'ci-api-key', secret, labelsFor, now: NOW, signingKey });
    expect(acted).not.toHaveProperty('secretExists');
    const result = acted as KeyActResult;
    expect(fake.writes).toEqual(row.writes);
    expect(fake.events.map((e) => `${e.type}/${e.reason}`)).toEqual(row.events);
    const stored = keyIn(fake);
    if (row.key === 'none') expect(stored).toBeUndefined();
    else if (row.key === 'old') expect(stored).toBe(old.key);
    else {
      expect(stored).toMatch(/^blink_sa_/);
      expect(stored).not.toBe(old.key);
      // Status gets the key id and fingerprint of what is in the Secret, never the key.
      expect('keyId' in result.key && stored?.includes(result.key.keyId)).toBe(true);
    }
    if (row.problem) expect(result.key).toMatchObject({ reason: row.problem });
    expect(result.requeueAfterMs).toBe(row.requeue);
    // No Event note ever carries a key.
    for (const event of fake.events) expect(event.note).not.toContain('blink_sa_');
  });

  // No Secret cached, so the key is created without a live read first; the API server has one (the cache lagged).
  it.each<[string, KeyPlan]>([
    ['create', { action: 'create' }],
    ['repair a deleted Secret', { action: 'repair', reason: 'SecretDeleted' }],
  ])('%s over a Secret the cache did not have yet: one refused create, nothing changed, no Event, "read it live"', async (_name, plan) => {
    const fake = new FakeKubeWriter([{ kind: builtinKinds.secret, object: rawSecret() }]);
    const result = await applyKeyPlan(fake.act(), plan, { sa, secretName: 'ci-api-key', secret: undefined, labelsFor, now: NOW, signingKey });
    expect(result).toEqual({ secretExists: true });
    expect(fake.writes).toEqual(['create Secret tenant-acme/ci-api-key']);
    expect(fake.events).toEqual([]);
    expect(keyIn(fake)).toBe(old.key);
  });

  it('restores the record annotations and signature from the signed record, never from the edited annotations', async () => {
    // Someone set the revision annotation and stretched the previous key's expiry: the plan carries what was signed.
    const raw = rawSecret();
    const edited = { ...raw, metadata: { ...raw.metadata, annotations: { ...raw.metadata?.annotations, [ApiKeySecretMeta.revision]: String(2 ** 53 - 1), [ApiKeySecretMeta.previousKeyId]: 'PrevKeyId001', [ApiKeySecretMeta.previousExpiresAt]: '2099-01-01T00:00:00.000Z' } } };
    const fake = new FakeKubeWriter([{ kind: builtinKinds.secret, object: edited }]);
    const result = (await applyKeyPlan(fake.act(), { action: 'keep', record: signedOf(), fixMetadata: true }, { sa, secretName: 'ci-api-key', secret: toCachedApiKeySecret(edited), labelsFor, now: NOW, signingKey })) as KeyActResult;
    const stored = toCachedApiKeySecret(fake.stored(builtinKinds.secret, 'tenant-acme', 'ci-api-key') as KubeObject);
    expect(stored.metadata?.annotations?.[ApiKeySecretMeta.revision]).toBe('0');
    expect(stored.metadata?.annotations?.[ApiKeySecretMeta.previousKeyId]).toBeUndefined();
    expect(stored.metadata?.annotations?.[ApiKeySecretMeta.previousExpiresAt]).toBeUndefined();
    expect(checkSignature(signingKey, stored, AS_CI)).toMatchObject({ state: 'valid', record: { revision: 0, previous: undefined } });
    expect(result.key).toMatchObject({ keyId: old.keyId, revision: 0 });
    expect(result.previous).toBeUndefined();
  });

  it('signs a record from before signatures with the revision and issue time status gives, and drops its previous key', async () => {
    const raw = rawSecret({ previous: true });
    const annotations = { ...raw.metadata?.annotations };
    delete annotations['accounts.blinkops.com/key-signature'];
    annotations[ApiKeySecretMeta.revision] = String(2 ** 53 - 1);
    const unsigned = { ...raw, metadata: { ...raw.metadata, annotations } };
    const fake = new FakeKubeWriter([{ kind: builtinKinds.secret, object: unsigned }]);
    const createdAt = '2025-12-31T00:00:00.000Z';
    const result = (await applyKeyPlan(fake.act(), { action: 'sign-from-status', revision: 3, createdAt }, { sa, secretName: 'ci-api-key', secret: toCachedApiKeySecret(unsigned), labelsFor, now: NOW, signingKey })) as KeyActResult;
    const stored = fake.stored<KubeObject & { data?: Record<string, string> }>(builtinKinds.secret, 'tenant-acme', 'ci-api-key') as KubeObject & { data?: Record<string, string> };
    expect(Object.keys(stored.data ?? {})).toEqual(['apiKey']);
    expect(checkSignature(signingKey, toCachedApiKeySecret(stored), AS_CI)).toMatchObject({ state: 'valid', record: { keyId: old.keyId, revision: 3, createdAt, previous: undefined } });
    expect(stored.metadata?.annotations?.[ApiKeySecretMeta.revision]).toBe('3');
    expect(result.key).toEqual({ keyId: old.keyId, fingerprint: old.fingerprint, revision: 3, createdAt });
    expect(keyIn(fake)).toBe(old.key);
  });

  it('a refused write fails the step with no Event (the queue retries), saying which write and why', async () => {
    const refusal = new ApiError('forbidden', 403, 'Forbidden');
    const fake = new FakeKubeWriter().failNext('create', refusal);
    const failed = applyKeyPlan(fake.act(), { action: 'create' }, { sa, secretName: 'ci-api-key', secret: undefined, labelsFor, now: NOW, signingKey });
    await expect(failed).rejects.toBeInstanceOf(TransientError);
    await expect(failed).rejects.toMatchObject({ message: 'Creating Secret ci-api-key failed', cause: refusal });
    expect(fake.events).toEqual([]);
  });

  it('a Secret that moved on since it was read conflicts instead of being overwritten', async () => {
    const secret = existingSecret();
    const raw = rawSecret();
    const fake = new FakeKubeWriter([{ kind: builtinKinds.secret, object: { ...raw, metadata: { ...raw.metadata, resourceVersion: '8' } } }]);
    await expect(applyKeyPlan(fake.act(), { action: 'rotate', gracePeriodMs: 0, reason: 'Requested' }, { sa, secretName: 'ci-api-key', secret, labelsFor, now: NOW, signingKey })).rejects.toSatisfy(isConflict);
    expect(keyIn(fake)).toBe(old.key);
  });
});

describe('applyKeyPlan with a Secret template', () => {
  const template = secretTemplateOf({ labels: { team: 'data' }, annotations: { 'reloader.stakater.com/match': 'true' }, data: { tenant: 'acme' } });

  it('writes the template with a new key', async () => {
    const fake = new FakeKubeWriter();
    await applyKeyPlan(fake.act(), { action: 'create' }, { sa, secretName: 'ci-api-key', secret: undefined, labelsFor, now: NOW, signingKey, template });
    const stored = fake.stored<KubeObject & { data?: Record<string, string> }>(builtinKinds.secret, 'tenant-acme', 'ci-api-key');
    expect(stored?.metadata?.labels).toMatchObject({ team: 'data', 'app.kubernetes.io/component': 'api-key' });
    expect(stored?.metadata?.annotations).toMatchObject({ 'reloader.stakater.com/match': 'true' });
    expect(Object.keys(stored?.data ?? {}).sort()).toEqual(['apiKey', 'tenant']);
  });

  it('applies a changed template to a kept key with one patch, and the key stays', async () => {
    const fake = new FakeKubeWriter([{ kind: builtinKinds.secret, object: rawSecret() }]);
    const result = await applyKeyPlan(fake.act(), { action: 'keep', record: signedOf(), fixMetadata: false }, { sa, secretName: 'ci-api-key', secret: existingSecret(), labelsFor, now: NOW, signingKey, template });
    expect(fake.calls.filter((c) => c.verb !== 'get').map((c) => `${c.verb} ${c.kind}`)).toEqual(['patch Secret']);
    expect(keyIn(fake)).toBe(old.key);
    expect((result as KeyActResult).key).toMatchObject({ keyId: old.keyId });
    const stored = fake.stored<KubeObject & { data?: Record<string, string> }>(builtinKinds.secret, 'tenant-acme', 'ci-api-key');
    expect(stored?.metadata?.labels?.['team']).toBe('data');
    expect(Buffer.from(stored?.data?.['tenant'] ?? '', 'base64').toString()).toBe('acme');
  });

  it('writes nothing for a kept key whose Secret matches the template', async () => {
    const fake = new FakeKubeWriter();
    const raw = buildApiKeySecret({
      namespace: 'tenant-acme',
      name: 'ci-api-key',
      labels: labelsFor(old.keyId),
      owner: ownerReferenceTo(sa),
      content: { key: old.key, record: { keyId: old.keyId, fingerprint: old.fingerprint, revision: 0, createdAt: new Date(NOW - 1000).toISOString() } },
      signingKey,
      template,
    });
    const secret = toCachedApiKeySecret(raw);
    const record = checkSignature(signingKey, secret, AS_CI).record as SignedKeyRecord;
    await applyKeyPlan(fake.act(), { action: 'keep', record, fixMetadata: false }, { sa, secretName: 'ci-api-key', secret, labelsFor, now: NOW, signingKey, template });
    expect(fake.calls.filter((c) => c.verb !== 'get')).toEqual([]);
  });
});

describe('deleteKeySecret (the finalizer)', () => {
  it('deletes the Secret conditioned on the uid it observed', async () => {
    const secret = { ...rawSecret(), metadata: { ...rawSecret().metadata, uid: 'secret-uid-1' } };
    const fake = new FakeKubeWriter([{ kind: builtinKinds.secret, object: secret }]);
    await deleteKeySecret(fake.act(), toCachedApiKeySecret(secret));
    expect(fake.writes).toEqual(['delete Secret tenant-acme/ci-api-key']);
    expect(fake.calls.at(-1)?.body).toEqual({ preconditions: { uid: 'secret-uid-1' } });
    expect(fake.stored(builtinKinds.secret, 'tenant-acme', 'ci-api-key')).toBeUndefined();
  });

  it('leaves a Secret made again under the same name (another uid) alone: the delete is refused', async () => {
    const observed = { ...rawSecret(), metadata: { ...rawSecret().metadata, uid: 'secret-uid-1' } };
    const remade = { ...rawSecret(), metadata: { ...rawSecret().metadata, uid: 'secret-uid-2' } };
    const fake = new FakeKubeWriter([{ kind: builtinKinds.secret, object: remade }]);
    await expect(deleteKeySecret(fake.act(), toCachedApiKeySecret(observed))).rejects.toSatisfy(isConflict);
    expect(fake.stored(builtinKinds.secret, 'tenant-acme', 'ci-api-key')).toBeDefined();
  });
});
