// Whole passes of the events-out controller over seeded caches and the in-memory writer: the
// outbox is written before a delivery is handed over, outcomes are applied by a later pass,
// backoff and give-up, a conflicting write, and webhooks removed. POSTs are scripted.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ACCOUNT_KINDS } from '../api/index.js';
import type { Tenant, User } from '../api/index.js';
import type { Cached } from '../context.js';
import { fakeOperatorContext, tenantNamespace, tenantObject } from '../context.fixture.js';
import { ManualClock } from '../runtime/clock.js';
import { ApiError, TransientError } from '../runtime/errors.js';
import { FakeKubeWriter } from '../runtime/fake-kube-writer.js';
import type { HistoryItem } from '../runtime/history.js';
import { builtinKinds } from '../runtime/kinds.js';
import type { KubeObject } from '../runtime/kinds.js';
import { exponentialRateLimiter } from '../runtime/rate-limiter.js';
import type { DeliveryJob } from './delivery-queue.js';
import { EventsOutController } from './events-controller.js';
import { WEBHOOK_BACKOFF } from './feature.js';
import { eventsOutMetrics } from './metrics.js';
import { decodeOutbox } from './outbox.js';
import type { OutboxState } from './outbox.js';
import { OUTBOX_DATA_KEY, outboxSecretName } from './outbox-store.js';
import type { PostOutcome } from './webhook-post.js';

const OPERATOR_NS = 'blink-accounts-system';
const NS = 'tenant-acme';
const HOOK = { name: 'audit', url: 'https://hooks.acme.example/blink', secretRef: { name: 'signing', key: 'secret' }, retryFor: '10s' };
const OUTBOX = `create Secret ${OPERATOR_NS}/${outboxSecretName('acme')}`;
const OUTBOX_UPDATE = `replace Secret ${OPERATOR_NS}/${outboxSecretName('acme')}`;
const TENANT_STATUS = 'patch Tenant acme/status';

const h = (event: string, second: number): HistoryItem => ({ at: `2026-12-07T10:00:${String(second).padStart(2, '0')}Z`, event, reason: 'R', message: event });

function user(history: HistoryItem[], name = 'ann'): Cached<User> {
  return { apiVersion: 'accounts.blinkops.com/v1alpha1', kind: 'User', metadata: { name, namespace: NS, uid: `uid-${name}`, resourceVersion: '1' }, spec: { email: `${name}@acme.example`, role: 'Builder' }, status: { history } } as Cached<User>;
}

async function setup(options: { webhooks?: (typeof HOOK)[] } = {}) {
  const clock = new ManualClock(Date.parse('2026-12-07T10:00:00Z'));
  const tenant = tenantObject('acme', { displayName: 'Acme', notifications: { webhooks: options.webhooks ?? [HOOK] } });
  const fake = await fakeOperatorContext({ tenants: [tenant], namespaces: [tenantNamespace('acme')], users: [user([])], clock, namespace: OPERATOR_NS });
  const writer = new FakeKubeWriter([{ kind: ACCOUNT_KINDS.tenant, object: tenant }]);
  const jobs: { job: DeliveryJob; writesBefore: number }[] = [];
  const outcomes: PostOutcome[] = [];
  const requeued: string[] = [];
  const registry = new Registry();
  const controller = new EventsOutController({
    ctx: fake.ctx,
    queue: { enqueue: (job) => (jobs.push({ job, writesBefore: writer.writes.length }), true) },
    backoff: exponentialRateLimiter({ ...WEBHOOK_BACKOFF, random: () => 0 }),
    metrics: eventsOutMetrics(registry),
    requeue: (t) => requeued.push(t),
    send: () => Promise.resolve(outcomes.shift() ?? { ok: true, status: 204 }),
  });
  /** One pass; the Tenant cache then sees what the pass wrote (as its watch would). */
  const pass = async () => {
    try {
      return await controller.reconcile('acme', writer.reconcileContext('acme', { clock }));
    } finally {
      const stored = writer.stored<Cached<Tenant>>(ACCOUNT_KINDS.tenant, undefined, 'acme');
      if (stored) fake.caches.tenants.set(stored);
    }
  };
  const outbox = (): OutboxState | undefined => {
    const secret = writer.stored<KubeObject & { data?: Record<string, string> }>(builtinKinds.secret, OPERATOR_NS, outboxSecretName('acme'));
    return secret ? decodeOutbox(Buffer.from(secret.data?.[OUTBOX_DATA_KEY] ?? '', 'base64')) : undefined;
  };
  const condition = () => writer.stored<Cached<Tenant>>(ACCOUNT_KINDS.tenant, undefined, 'acme')?.status?.conditions?.find((c) => c.type === 'WebhookDelivery');
  const count = async (outcome: string) => (await registry.getSingleMetric('blink_accounts_webhook_deliveries_total')?.get())?.values.find((v) => v.labels['outcome'] === outcome)?.value ?? 0;
  return { fake, writer, jobs, outcomes, requeued, pass, outbox, condition, count, clock, tenant };
}

describe('EventsOutController', () => {
  it('starts from now, writes an event into the outbox before it hands it over, and takes it out once delivered', async () => {
    const t = await setup();
    t.fake.caches.users.set(user([h('Invited', 0)]));
    await t.pass();
    // What happened before the outbox is not sent.
    expect(t.writer.writes).toEqual([OUTBOX, TENANT_STATUS]);
    expect(t.outbox()?.events).toEqual([]);
    expect(t.condition()).toMatchObject({ status: 'True', reason: 'EventsDelivered' });
    expect(t.jobs).toHaveLength(0);

    t.fake.caches.users.set(user([h('Invited', 0), h('InvitationSent', 1)]));
    await t.pass();
    expect(t.writer.writes.slice(2)).toEqual([OUTBOX_UPDATE]);
    expect(t.outbox()?.events.map((e) => e.name)).toEqual(['user.invitation.sent']);
    expect(t.jobs).toHaveLength(1);
    expect(t.jobs[0]?.writesBefore).toBe(3);

    await t.jobs[0]?.job.run();
    expect(t.requeued).toEqual(['acme']);
    await t.pass();
    expect(t.outbox()?.events).toEqual([]);
    expect(await t.count('delivered')).toBe(1);
    // Nothing new: nothing written, nothing handed over.
    const writes = t.writer.writes.length;
    await t.pass();
    expect(t.writer.writes.length).toBe(writes);
    expect(t.jobs).toHaveLength(1);
  });

  it('waits out the backoff after a failure, then gives up past retryFor with the condition and a Warning Event, and goes on with the next event', async () => {
    const t = await setup();
    await t.pass();
    t.fake.caches.users.set(user([h('Invited', 0), h('InvitationSent', 1)]));
    await t.pass();
    expect(t.jobs).toHaveLength(1);
    t.outcomes.push({ ok: false, error: 'HTTP 503' }, { ok: false, error: 'HTTP 503' });
    await t.jobs[0]?.job.run();
    expect(await t.pass()).toEqual({ requeueAfterMs: 1_000 });
    expect(t.jobs).toHaveLength(1);
    expect(t.condition()).toMatchObject({ status: 'False', reason: 'DeliveryFailing', message: 'Webhook "audit" is failing (HTTP 503): its events wait in the outbox and are retried with backoff' });

    await t.clock.advance(1_000);
    await t.pass();
    expect(t.jobs).toHaveLength(2);
    expect(t.jobs[1]?.job.key).toBe(t.jobs[0]?.job.key);
    await t.jobs[1]?.job.run();
    expect(await t.pass()).toEqual({ requeueAfterMs: 2_000 });

    await t.clock.advance(10_000);
    await t.pass();
    expect(t.outbox()?.events.map((e) => e.name)).toEqual(['user.invitation.sent']);
    expect(t.condition()).toMatchObject({ status: 'False', reason: 'DeliveryAbandoned' });
    expect(t.writer.events.map((e) => [e.type, e.reason])).toEqual([['Warning', 'DeliveryAbandoned']]);
    expect(await t.count('abandoned')).toBe(1);
    expect(await t.count('failed')).toBe(2);
    // The next event of the account goes out at once, and its delivery clears the condition.
    expect(t.jobs).toHaveLength(3);
    await t.jobs[2]?.job.run();
    await t.pass();
    expect(t.outbox()?.events).toEqual([]);
    expect(t.condition()).toMatchObject({ status: 'True', reason: 'EventsDelivered' });
  });

  it('a conflicting outbox write loses no outcome and hands nothing over twice', async () => {
    const t = await setup();
    await t.pass();
    t.fake.caches.users.set(user([h('Invited', 0)]));
    await t.pass();
    await t.jobs[0]?.job.run();
    // Another leader wrote the outbox meanwhile (the same content, a newer resourceVersion).
    const secret = t.writer.stored<KubeObject>(builtinKinds.secret, OPERATOR_NS, outboxSecretName('acme'));
    t.writer.put(builtinKinds.secret, structuredClone(secret) as KubeObject);
    await expect(t.pass()).rejects.toBeInstanceOf(TransientError);
    expect(t.outbox()?.events).toHaveLength(1);
    await t.pass();
    expect(t.outbox()?.events).toEqual([]);
    expect(t.jobs).toHaveLength(1);
    // Counted once, when the outbox recorded it.
    expect(await t.count('delivered')).toBe(1);
  });

  it('a Tenant status write that conflicts delays the condition, not the delivery', async () => {
    const t = await setup();
    await t.pass();
    t.fake.caches.users.set(user([h('Invited', 0)]));
    await t.pass();
    t.outcomes.push({ ok: false, error: 'HTTP 500' });
    await t.jobs[0]?.job.run();
    // The failure turns the condition to DeliveryFailing, whose write conflicts; bob's event goes out all the same.
    t.fake.caches.users.set(user([h('Invited', 1)], 'bob'));
    t.writer.failNext('patch', new ApiError('Operation cannot be fulfilled on tenants "acme": the object has been modified', 409, 'Conflict'));
    await expect(t.pass()).rejects.toThrow();
    expect(t.jobs.map((j) => j.job.key)).toEqual(['acme\naudit\nuid-ann', 'acme\naudit\nuid-bob']);
    await t.pass();
    expect(t.condition()).toMatchObject({ reason: 'DeliveryFailing' });
  });

  it('removing the webhooks deletes the outbox and the condition', async () => {
    const t = await setup();
    await t.pass();
    expect(t.outbox()).toBeDefined();
    const current = t.writer.stored<Cached<Tenant>>(ACCOUNT_KINDS.tenant, undefined, 'acme') as Cached<Tenant>;
    t.fake.caches.tenants.set({ ...current, spec: { displayName: 'Acme' } });
    await t.pass();
    expect(t.writer.writes.slice(-2)).toEqual([`delete Secret ${OPERATOR_NS}/${outboxSecretName('acme')}`, TENANT_STATUS]);
    expect(t.outbox()).toBeUndefined();
    expect(t.condition()).toBeUndefined();
  });

  it('an attempt not made (the replica stopped leading) is neither a failure nor a delivery: the event is handed over again', async () => {
    const t = await setup();
    await t.pass();
    t.fake.caches.users.set(user([h('Invited', 0)]));
    await t.pass();
    t.outcomes.push({ ok: false, error: 'not the leader', notSent: true });
    await t.jobs[0]?.job.run();
    expect(await t.pass()).toBeUndefined();
    expect(t.jobs).toHaveLength(2);
    expect(t.condition()).toMatchObject({ status: 'True' });
    expect(await t.count('failed')).toBe(0);
  });

  it('announces a removal once the account is gone, after its last transitions', async () => {
    const t = await setup();
    await t.pass();
    t.fake.caches.users.set(user([h('Invited', 0)]));
    await t.pass();
    t.fake.caches.users.remove(user([h('Invited', 0)]));
    await t.pass();
    expect(t.outbox()?.events.map((e) => [e.name, e.sequence])).toEqual([['user.invited', 1], ['user.removed', 2]]);
    expect(t.outbox()?.objects).toEqual({});
    // One at a time per account: the removal waits for the first.
    expect(t.jobs).toHaveLength(1);
    await t.jobs[0]?.job.run();
    await t.pass();
    expect(t.jobs).toHaveLength(2);
  });
});
