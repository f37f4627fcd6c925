// Table tests of a whole ServiceAccount reconcile without a server, in the manner of
// cert-manager's issuing_controller_test.go: seeded caches (context.fixture.ts) and the
// fake writer; each row says which calls the pass makes, in order, which Events it
// records and what status it leaves. The orderings that matter most: the Secret is read
// live before a key replaces a cached one; a 409 AlreadyExists on create means read it and
// plan again; a pass after a restart (new reconciler, caches rebuilt) writes nothing.
import { describe, expect, it } from 'vitest';
import { ACCOUNT_KINDS, FINALIZER } from '../api/index.js';
import type { ServiceAccount } from '../api/index.js';
import type { Cached } from '../context.js';
import { fakeOperatorContext, tenantNamespace, tenantObject } from '../context.fixture.js';
import { ManualClock } from '../runtime/clock.js';
import { ApiError } from '../runtime/errors.js';
import { FakeKubeWriter } from '../runtime/fake-kube-writer.js';
import { seededCache } from '../runtime/fake-cache.js';
import { builtinKinds } from '../runtime/kinds.js';
import type { KubeObject } from '../runtime/kinds.js';
import type { CachedApiKeySecret } from './api-key-secret.js';
import { toCachedApiKeySecret } from './api-key-secret.js';
import { serviceAccountReconciler } from './service-account-controller.js';
import type { DeliveryCaches } from './delivery/deliver-key.js';
import { accountOfCopy, COPIES_BY_ACCOUNT_INDEX } from './delivery/key-copy.js';

type SA = Cached<ServiceAccount>;
const NS = 'tenant-acme';
const KEY = `${NS}/etl-runner`;
const SECRET = 'etl-runner-api-key';
const signingKey = Buffer.alloc(32, 7);

function account(extra: { revision?: number; status?: SA['status']; finalizer?: boolean } = {}): SA {
  return {
    apiVersion: 'accounts.blinkops.com/v1alpha1',
    kind: 'ServiceAccount',
    metadata: { name: 'etl-runner', namespace: NS, uid: 'sa-uid-1', resourceVersion: '10', generation: 1, ...(extra.finalizer === false ? {} : { finalizers: [FINALIZER] }) },
    spec: { role: 'Builder', ...(extra.revision !== undefined ? { keyRotation: { revision: extra.revision } } : {}) },
    ...(extra.status ? { status: extra.status } : {}),
  } as SA;
}

/** Deterministic key material, never the same twice in a run (a repaired key differs from the one it replaces). */
let state = 1;
function counterRandom(): (size: number) => Uint8Array {
  return (size) =>
    Uint8Array.from({ length: size }, () => {
      state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
      return state >>> 24;
    });
}

/** One pass of a fresh reconciler (as after a restart) over caches holding `sa` and `secrets`, writing to `fake`. */
async function pass(fake: FakeKubeWriter, sa: SA, secrets: readonly KubeObject[], clock = new ManualClock(Date.UTC(2026, 5, 1))): Promise<Awaited<ReturnType<ReturnType<typeof serviceAccountReconciler>>>> {
  const { ctx } = await fakeOperatorContext({ clock, tenants: [tenantObject('acme')], namespaces: [tenantNamespace('acme')], serviceAccounts: [sa] });
  const cache = await seededCache<CachedApiKeySecret>(builtinKinds.secret, secrets.map((s) => toCachedApiKeySecret(s)));
  const reconcile = serviceAccountReconciler({ ctx, secrets: cache.informer, signingKey, random: counterRandom(), delivery: await noDelivery() });
  return reconcile(KEY, fake.reconcileContext(KEY, { clock }));
}

/** Delivery caches holding `copies` and the opted-in Namespaces `namespaces` (none: an account without spec.delivery). */
async function noDelivery(copies: readonly KubeObject[] = [], namespaces: readonly KubeObject[] = []): Promise<DeliveryCaches> {
  return {
    copies: (await seededCache<CachedApiKeySecret>(builtinKinds.secret, copies.map((c) => toCachedApiKeySecret(c)), { [COPIES_BY_ACCOUNT_INDEX]: (c) => [accountOfCopy(c) ?? ''].filter(Boolean) })).informer,
    optedIn: (await seededCache(builtinKinds.namespace, namespaces)).informer,
  };
}

/** `verb Kind name[/subresource]` of every call, reads included (order is the point). */
function calls(fake: FakeKubeWriter): string[] {
  return fake.calls.map((c) => `${c.verb} ${c.kind} ${c.name}${c.subresource ? `/${c.subresource}` : ''}`);
}

function conditions(fake: FakeKubeWriter): Record<string, string> {
  const sa = fake.stored<SA>(ACCOUNT_KINDS.serviceAccount, NS, 'etl-runner');
  return Object.fromEntries((sa?.status?.conditions ?? []).map((c) => [c.type, `${c.status} ${c.reason}`]));
}

/** A fake holding an account that was issued a key by a first pass: the account, its Secret, and the fake. */
async function issued(extra: Parameters<typeof account>[0] = {}): Promise<{ fake: FakeKubeWriter; sa: SA; secret: KubeObject }> {
  const fake = new FakeKubeWriter([{ kind: ACCOUNT_KINDS.serviceAccount, object: account(extra) }]);
  await pass(fake, account(extra), []);
  const sa = fake.stored<SA>(ACCOUNT_KINDS.serviceAccount, NS, 'etl-runner') as SA;
  const secret = fake.stored<KubeObject>(builtinKinds.secret, NS, SECRET) as KubeObject;
  fake.calls.length = 0;
  fake.events.length = 0;
  return { fake, sa, secret };
}

describe('serviceAccountReconciler, a whole pass', () => {
  it('a new account: finalizer, Secret, status, and one KeyIssued Event', async () => {
    const fake = new FakeKubeWriter([{ kind: ACCOUNT_KINDS.serviceAccount, object: account({ finalizer: false }) }]);
    await pass(fake, account({ finalizer: false }), []);
    expect(calls(fake)).toEqual(['patch ServiceAccount etl-runner', `create Secret ${SECRET}`, 'patch ServiceAccount etl-runner/status']);
    expect(fake.events.map((e) => `${e.type} ${e.reason}`)).toEqual(['Normal KeyIssued']);
    expect(conditions(fake)).toMatchObject({ KeyIssued: 'True KeyIssued', Ready: 'True Ready' });
  });

  it('the pass its own writes bring, on a cache that has not shown them yet, writes nothing (no status PATCH bound to fail with 409); the account as written is reconciled as usual', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const fake = new FakeKubeWriter([{ kind: ACCOUNT_KINDS.serviceAccount, object: account({ finalizer: false }) }]);
    const { ctx } = await fakeOperatorContext({ clock, tenants: [tenantObject('acme')], namespaces: [tenantNamespace('acme')], serviceAccounts: [account({ finalizer: false })] });
    const cache = await seededCache<CachedApiKeySecret>(builtinKinds.secret, []);
    const reconcile = serviceAccountReconciler({ ctx, secrets: cache.informer, signingKey, random: counterRandom(), delivery: await noDelivery() });
    await reconcile(KEY, fake.reconcileContext(KEY, { clock }));
    expect(calls(fake)).toEqual(['patch ServiceAccount etl-runner', `create Secret ${SECRET}`, 'patch ServiceAccount etl-runner/status']);
    // The Secret's event brings the next pass; the account's cache still holds it as it was (version 10).
    fake.calls.length = 0;
    expect(await reconcile(KEY, fake.reconcileContext(KEY, { clock }))).toBeUndefined();
    expect(calls(fake)).toEqual([]);
    // A fresh reconciler (no memory of those writes) on the same cache would write status again, with the stale version.
    const fresh = serviceAccountReconciler({ ctx, secrets: cache.informer, signingKey, random: counterRandom(), delivery: await noDelivery() });
    await fresh(KEY, fake.reconcileContext(KEY, { clock })).catch(() => undefined);
    expect(calls(fake)).toContain('patch ServiceAccount etl-runner');
  });

  it('after a restart (new reconciler, caches rebuilt), a converged account costs no write', async () => {
    const { fake, sa, secret } = await issued();
    await pass(fake, sa, [secret]);
    expect(fake.writes).toEqual([]);
    expect(fake.events).toEqual([]);
  });

  it('after a restart with status lost (restored from a backup), keeps the key in the Secret and writes status once', async () => {
    const { fake, sa, secret } = await issued();
    const keyId = sa.status?.keyId;
    const bare = { ...sa, status: undefined } as unknown as SA;
    fake.put(ACCOUNT_KINDS.serviceAccount, bare);
    await pass(fake, fake.stored<SA>(ACCOUNT_KINDS.serviceAccount, NS, 'etl-runner') as SA, [secret]);
    expect(calls(fake)).toEqual(['patch ServiceAccount etl-runner/status']);
    expect(fake.stored<SA>(ACCOUNT_KINDS.serviceAccount, NS, 'etl-runner')?.status?.keyId).toBe(keyId);
    expect(fake.events).toEqual([]);
  });

  it('a rotation reads the Secret live before replacing it, then replaces it and says so', async () => {
    const { fake, sa, secret } = await issued();
    const rotated = { ...sa, metadata: { ...sa.metadata, generation: 2 }, spec: { ...sa.spec, keyRotation: { revision: 1 } } } as SA;
    fake.put(ACCOUNT_KINDS.serviceAccount, rotated);
    await pass(fake, fake.stored<SA>(ACCOUNT_KINDS.serviceAccount, NS, 'etl-runner') as SA, [secret]);
    expect(calls(fake)).toEqual([`get Secret ${SECRET}`, `replace Secret ${SECRET}`, 'patch ServiceAccount etl-runner/status']);
    expect(fake.events.map((e) => `${e.type} ${e.reason}`)).toEqual(['Normal KeyRotated']);
    expect(fake.stored<SA>(ACCOUNT_KINDS.serviceAccount, NS, 'etl-runner')?.status?.keyRevision).toBe(1);
  });

  it('a rotation the cache has not seen yet, already made live (another replica): the live read finds it, nothing is replaced', async () => {
    const { fake, sa, secret: before } = await issued();
    const wanted = { ...sa, metadata: { ...sa.metadata, generation: 2 }, spec: { ...sa.spec, keyRotation: { revision: 1 } } } as SA;
    fake.put(ACCOUNT_KINDS.serviceAccount, wanted);
    // The other replica's pass rotated the key; this replica's caches still hold the old Secret.
    await pass(fake, fake.stored<SA>(ACCOUNT_KINDS.serviceAccount, NS, 'etl-runner') as SA, [before]);
    const rotatedBySomeoneElse = fake.stored<SA>(ACCOUNT_KINDS.serviceAccount, NS, 'etl-runner') as SA;
    fake.calls.length = 0;
    fake.events.length = 0;
    await pass(fake, rotatedBySomeoneElse, [before]);
    expect(calls(fake)).toEqual([`get Secret ${SECRET}`]);
    expect(fake.events).toEqual([]);
  });

  it('no Secret cached but one exists (the cache lagged): the create gets 409, the Secret is read live and the plan made again; no second key', async () => {
    const { fake, sa } = await issued();
    const keyId = sa.status?.keyId;
    await pass(fake, sa, []);
    expect(calls(fake)).toEqual([`create Secret ${SECRET}`, `get Secret ${SECRET}`]);
    expect(fake.events).toEqual([]);
    expect(fake.stored<SA>(ACCOUNT_KINDS.serviceAccount, NS, 'etl-runner')?.status?.keyId).toBe(keyId);
  });

  it('a deleted Secret (gone from cache and server) is repaired: a new key, a Warning Event, status follows', async () => {
    const { fake, sa } = await issued();
    fake.remove(builtinKinds.secret, NS, SECRET);
    await pass(fake, sa, []);
    expect(calls(fake)).toEqual([`create Secret ${SECRET}`, 'patch ServiceAccount etl-runner/status']);
    expect(fake.events.map((e) => `${e.type} ${e.reason}`)).toEqual(['Warning SecretDeleted']);
    expect(fake.stored<SA>(ACCOUNT_KINDS.serviceAccount, NS, 'etl-runner')?.status?.keyId).not.toBe(sa.status?.keyId);
  });

  it('Ready=False written by the runtime for an earlier failure is replaced by the first good pass, in one write, then none', async () => {
    const { fake, sa, secret } = await issued();
    const conditionsBefore = sa.status?.conditions ?? [];
    const failed = {
      ...sa,
      status: {
        ...sa.status,
        conditions: [
          ...conditionsBefore.filter((c) => c.type !== 'Ready'),
          { type: 'Ready', status: 'False', reason: 'ReconcileError', message: 'Creating Secret etl-runner-api-key failed: exceeded quota', lastTransitionTime: '2026-06-01T00:00:00Z', observedGeneration: 1 },
          { type: 'Stalled', status: 'True', reason: 'ReconcileError', message: 'Creating Secret etl-runner-api-key failed: exceeded quota', lastTransitionTime: '2026-06-01T00:00:00Z', observedGeneration: 1 },
        ],
      },
    } as SA;
    fake.put(ACCOUNT_KINDS.serviceAccount, failed);
    await pass(fake, fake.stored<SA>(ACCOUNT_KINDS.serviceAccount, NS, 'etl-runner') as SA, [secret]);
    expect(calls(fake)).toEqual(['patch ServiceAccount etl-runner/status']);
    expect(conditions(fake)).toEqual({ ReferencesResolved: 'True AllReferencesResolved', KeyIssued: 'True KeyIssued', Ready: 'True Ready' });
    fake.calls.length = 0;
    await pass(fake, fake.stored<SA>(ACCOUNT_KINDS.serviceAccount, NS, 'etl-runner') as SA, [secret]);
    expect(fake.writes).toEqual([]);
  });

  it('an account outside any tenant namespace gets no key, and says why', async () => {
    const fake = new FakeKubeWriter([{ kind: ACCOUNT_KINDS.serviceAccount, object: account() }]);
    const clock = new ManualClock();
    const { ctx } = await fakeOperatorContext({ clock, serviceAccounts: [account()] });
    const cache = await seededCache<CachedApiKeySecret>(builtinKinds.secret, []);
    await serviceAccountReconciler({ ctx, secrets: cache.informer, signingKey, delivery: await noDelivery() })(KEY, fake.reconcileContext(KEY, { clock }));
    expect(calls(fake)).toEqual(['patch ServiceAccount etl-runner/status']);
    expect(conditions(fake)).toMatchObject({ KeyIssued: 'False NotInTenantNamespace', Ready: 'False NotInTenantNamespace' });
  });

  it('a refused create fails the pass before any status or Event (the runtime reports it if it lasts)', async () => {
    const fake = new FakeKubeWriter([{ kind: ACCOUNT_KINDS.serviceAccount, object: account() }]);
    fake.failNext('create', new ApiError('forbidden', 403, 'Forbidden', { statusMessage: 'secrets "etl-runner-api-key" is forbidden: exceeded quota: q' }));
    await expect(pass(fake, account(), [])).rejects.toThrow(`Creating Secret ${SECRET} failed`);
    expect(calls(fake)).toEqual([`create Secret ${SECRET}`]);
    expect(fake.events).toEqual([]);
  });
});

describe('serviceAccountReconciler, spec.delivery', () => {
  const PAYMENTS: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'payments', uid: 'ns-p', resourceVersion: '1', labels: { 'accounts.blinkops.com/accept-keys-from': 'acme' } } };
  const delivering = (sa: SA): SA => ({ ...sa, spec: { ...sa.spec, delivery: [{ namespace: 'payments' }] } }) as SA;

  /** One pass with the delivery caches holding `copies` and the opted-in `namespaces`. */
  async function deliveryPass(fake: FakeKubeWriter, sa: SA | undefined, secrets: readonly KubeObject[], copies: readonly KubeObject[], namespaces: readonly KubeObject[] = [PAYMENTS]): Promise<void> {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const { ctx } = await fakeOperatorContext({ clock, tenants: [tenantObject('acme')], namespaces: [tenantNamespace('acme')], serviceAccounts: sa ? [sa] : [] });
    const cache = await seededCache<CachedApiKeySecret>(builtinKinds.secret, secrets.map((s) => toCachedApiKeySecret(s)));
    await serviceAccountReconciler({ ctx, secrets: cache.informer, signingKey, delivery: await noDelivery(copies, namespaces) })(KEY, fake.reconcileContext(KEY, { clock }));
  }
  /** `verb Kind namespace/name` of every call. */
  const where = (fake: FakeKubeWriter): string[] => fake.calls.map((c) => `${c.verb} ${c.kind} ${c.namespace ?? ''}/${c.name}${c.subresource ? `/${c.subresource}` : ''}`);

  it('reads the copy live, then the key from the account\'s own Secret, creates the copy and records it; the next pass writes nothing', async () => {
    const { fake, sa, secret } = await issued();
    const stored = fake.put(ACCOUNT_KINDS.serviceAccount, delivering(sa)) as SA;
    await deliveryPass(fake, stored, [secret], []);
    expect(where(fake)).toEqual([`get Secret payments/${SECRET}`, `get Secret ${NS}/${SECRET}`, `create Secret payments/${SECRET}`, `patch ServiceAccount ${NS}/etl-runner/status`]);
    expect(fake.events.map((e) => `${e.type} ${e.reason}`)).toEqual(['Normal KeyDelivered']);
    const after = fake.stored<SA>(ACCOUNT_KINDS.serviceAccount, NS, 'etl-runner') as SA;
    expect(after.status?.deliveredTo).toEqual([{ namespace: 'payments', secretName: SECRET, keyId: sa.status?.keyId }]);
    expect(conditions(fake)).toMatchObject({ KeyDelivered: 'True Delivered', Ready: 'True Ready' });
    const copy = fake.stored<KubeObject & { data?: Record<string, string> }>(builtinKinds.secret, 'payments', SECRET) as KubeObject;
    expect((copy as { data?: Record<string, string> }).data?.['apiKey']).toBe((secret as { data?: Record<string, string> }).data?.['apiKey']);
    fake.calls.length = 0;
    fake.events.length = 0;
    await deliveryPass(fake, after, [secret], [copy]);
    expect(fake.writes).toEqual([]);
    expect(fake.events).toEqual([]);
  });

  it('never copies a key the account\'s own Secret holds but this pass did not settle on (altered since the cache saw it): nothing is written, the pass fails', async () => {
    const { fake, sa, secret } = await issued();
    const stored = fake.put(ACCOUNT_KINDS.serviceAccount, delivering(sa)) as SA;
    const planted = structuredClone(secret) as KubeObject & { data: Record<string, string> };
    planted.data['apiKey'] = Buffer.from('blink_sa_' + 'A'.repeat(60)).toString('base64');
    fake.put(builtinKinds.secret, planted);
    await expect(deliveryPass(fake, stored, [secret], [])).rejects.toThrow(/changed while its copies were written/);
    expect(fake.writes).toEqual([]);
  });

  it('a namespace without opt-in: no read or write there, KeyDelivered=False with a Warning Event', async () => {
    const { fake, sa, secret } = await issued();
    const stored = fake.put(ACCOUNT_KINDS.serviceAccount, delivering(sa)) as SA;
    await deliveryPass(fake, stored, [secret], [], []);
    expect(where(fake)).toEqual([`patch ServiceAccount ${NS}/etl-runner/status`]);
    expect(conditions(fake)).toMatchObject({ KeyDelivered: 'False NamespaceNotOptedIn', Ready: 'True Ready' });
    expect(fake.events.map((e) => `${e.type} ${e.reason}`)).toEqual(['Warning NamespaceNotOptedIn']);
  });

  it('an account gone from the cache (deleted while the operator was down) has its cached copies deleted, each by uid', async () => {
    const { fake, sa, secret } = await issued();
    const stored = fake.put(ACCOUNT_KINDS.serviceAccount, delivering(sa)) as SA;
    await deliveryPass(fake, stored, [secret], []);
    const copy = { ...(fake.stored<KubeObject>(builtinKinds.secret, 'payments', SECRET) as KubeObject) };
    fake.remove(ACCOUNT_KINDS.serviceAccount, NS, 'etl-runner');
    fake.calls.length = 0;
    await deliveryPass(fake, undefined, [secret], [copy]);
    expect(where(fake)).toEqual([`delete Secret payments/${SECRET}`]);
    expect(fake.calls[0]?.body).toMatchObject({ preconditions: { uid: copy.metadata?.uid } });
    expect(fake.stored(builtinKinds.secret, 'payments', SECRET)).toBeUndefined();
  });
});
