// Table tests of a whole User reconcile without a server: seeded caches
// (context.fixture.ts), the fake writer and a recording mailer. Each pass starts
// from caches caught up with what the fake holds (as after a restart). The rows
// assert on what a person and the API server see (the writes in order, the
// Events, the conditions and phase, the emails), never on the invitation
// record's fields: how a record is stored (or signed) is the record's business.
import { describe, expect, it, vi } from 'vitest';
import { ACCOUNT_KINDS, FINALIZER } from '../api/index.js';
import type { User } from '../api/index.js';
import type { Cached } from '../context.js';
import { fakeOperatorContext, tenantNamespace, tenantObject } from '../context.fixture.js';
import { INVITATION_SELECTOR, invitationSecretName, recordFromSecret, secretFromRecord } from '../invitations/invitation-record.js';
import type { SecretObject, StoredInvitationRecord } from '../invitations/invitation-record.js';
import type { DeliveryResult, Mailer, OutgoingMessage } from '../invitations/smtp.js';
import { ManualClock } from '../runtime/clock.js';
import { TransientError } from '../runtime/errors.js';
import type { ReconcileResult } from '../runtime/errors.js';
import { seededCache } from '../runtime/fake-cache.js';
import { FakeKubeWriter } from '../runtime/fake-kube-writer.js';
import { builtinKinds } from '../runtime/kinds.js';
import { createLogger } from '../runtime/logger.js';
import { InvitationSendQueue } from './send-queue.js';
import { STATUS_WAIT_MAX_MS, STATUS_WAIT_MS } from './status-wait.js';
import { userReconciler } from './user-controller.js';

const NS = 'tenant-acme';
const RECORD = invitationSecretName('jane');
const SIGNING_KEY = Buffer.alloc(32, 3);
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const smtp = { metadata: { name: 'smtp', namespace: 'ops' }, data: { host: b64('127.0.0.1'), port: b64('2525'), from: b64('Blink <no-reply@blink.example>') } };

function jane(spec: Partial<User['spec']> = {}, meta: Record<string, unknown> = {}): Cached<User> {
  return {
    apiVersion: 'accounts.blinkops.com/v1alpha1',
    kind: 'User',
    metadata: { name: 'jane', namespace: NS, uid: 'user-uid', resourceVersion: '3', generation: 1, finalizers: [FINALIZER], ...meta },
    spec: { email: 'jane@acme.example', role: 'Builder', ...spec },
  } as Cached<User>;
}

/** A mailer answering `outcome` (after `beforeEnd`, as the SMTP one does), recording what it was given. */
function recordingMailer(outcome: DeliveryResult = { outcome: 'sent' }): Mailer & { sent: OutgoingMessage[] } {
  const sent: OutgoingMessage[] = [];
  return {
    sent,
    async send(_settings, message, hooks) {
      sent.push(message);
      if (outcome.outcome === 'failed') return outcome;
      await hooks?.beforeEnd?.();
      return outcome;
    },
  };
}

interface World {
  readonly fake: FakeKubeWriter;
  readonly mailer: Mailer & { sent: OutgoingMessage[] };
  readonly clock: ManualClock;
  readonly tenantDomains?: string[];
  readonly inTenant?: boolean;
}

function world(user: Cached<User>, options: { outcome?: DeliveryResult; tenantDomains?: string[]; inTenant?: boolean } = {}): World {
  return {
    fake: new FakeKubeWriter([
      { kind: ACCOUNT_KINDS.user, object: user },
      { kind: builtinKinds.secret, object: smtp },
    ]),
    mailer: recordingMailer(options.outcome),
    clock: new ManualClock(Date.UTC(2026, 5, 1)),
    ...(options.tenantDomains ? { tenantDomains: options.tenantDomains } : {}),
    ...(options.inTenant === false ? { inTenant: false } : {}),
  };
}

/** One pass of a fresh reconciler (as after a restart) with caches caught up with the fake. */
async function pass(w: World): Promise<ReconcileResult> {
  const users = (await w.fake.list<Cached<User>>(ACCOUNT_KINDS.user, { namespace: NS })).items;
  const records = (await w.fake.list<SecretObject>(builtinKinds.secret, { namespace: NS, query: { labelSelector: INVITATION_SELECTOR } })).items;
  const { ctx } = await fakeOperatorContext({
    clock: w.clock,
    tenants: w.inTenant === false ? [] : [tenantObject('acme', { displayName: 'Acme', ...(w.tenantDomains ? { allowedEmailDomains: w.tenantDomains } : {}) })],
    namespaces: w.inTenant === false ? [] : [tenantNamespace('acme')],
    users,
    options: { smtpSecret: { namespace: 'ops', name: 'smtp' } },
  });
  const invitations = await seededCache<SecretObject>(builtinKinds.secret, records);
  w.fake.calls.length = 0;
  w.fake.events.length = 0;
  return userReconciler({ ctx, invitations: invitations.informer, mailer: w.mailer, clock: w.clock, signingKey: SIGNING_KEY })(`${NS}/jane`, w.fake.reconcileContext(`${NS}/jane`, { clock: w.clock }));
}

/** Writes as `verb Kind name[/subresource]`. */
const writes = (w: World): string[] => w.fake.calls.filter((c) => c.verb !== 'get' && c.verb !== 'list').map((c) => `${c.verb} ${c.kind} ${c.name}${c.subresource ? `/${c.subresource}` : ''}`);
const events = (w: World): string[] => w.fake.events.map((e) => `${e.type} ${e.reason}`);
const stored = (w: World): Cached<User> | undefined => w.fake.stored<Cached<User>>(ACCOUNT_KINDS.user, NS, 'jane');
const condition = (w: World, type: string): string | undefined => {
  const c = stored(w)?.status?.conditions?.find((x) => x.type === type);
  return c ? `${c.status} ${c.reason}` : undefined;
};

describe('userReconciler, a whole pass', () => {
  it('a new user: finalizer, the invitation record, one email, then status Invited', async () => {
    const w = world(jane({}, { finalizers: [] }));
    await pass(w);
    const done = writes(w);
    expect(done[0]).toBe('patch User jane');
    expect(done.filter((x) => x.includes(`Secret ${RECORD}`)).length).toBeGreaterThan(0);
    expect(done.at(-1)).toBe('patch User jane/status');
    expect(w.mailer.sent.map((m) => m.to)).toEqual(['jane@acme.example']);
    expect(stored(w)?.status?.phase).toBe('Invited');
    expect(condition(w, 'InvitationSent')).toBe('True Sent');
  });

  it('after a restart, an invited user whose email went out costs no write and no email', async () => {
    const w = world(jane());
    await pass(w);
    const emails = w.mailer.sent.length;
    await pass(w);
    expect(writes(w)).toEqual([]);
    expect(events(w)).toEqual([]);
    expect(w.mailer.sent.length).toBe(emails);
  });

  it('a user outside any tenant namespace gets no record and no email, and says why', async () => {
    const w = world(jane(), { inTenant: false });
    await pass(w);
    expect(writes(w)).toEqual(['patch User jane/status']);
    expect(w.mailer.sent).toEqual([]);
    expect(condition(w, 'Ready')).toBe('False NotInTenantNamespace');
  });

  it('an email outside the tenant\'s allowed domains gets no record and no email', async () => {
    const w = world(jane(), { tenantDomains: ['other.example'] });
    await pass(w);
    expect(writes(w)).toEqual(['patch User jane/status']);
    expect(w.mailer.sent).toEqual([]);
    expect(condition(w, 'Ready')).toBe('False EmailDomainNotAllowed');
  });

  it('a failed send is said in status (the runtime need not say it again) and retried', async () => {
    const w = world(jane(), { outcome: { outcome: 'failed', error: 'connection refused', reason: 'SmtpError' } });
    const failed = pass(w);
    await expect(failed).rejects.toBeInstanceOf(TransientError);
    await expect(failed).rejects.toMatchObject({ reportedInStatus: true });
    expect(writes(w).at(-1)).toBe('patch User jane/status');
    expect(condition(w, 'InvitationSent')).toBe('False SmtpError');
  });

  it('deactivating an invited user: the invitation revoked, status Inactive, the two Events, no email', async () => {
    const w = world(jane());
    await pass(w);
    const current = stored(w) as Cached<User>;
    w.fake.put(ACCOUNT_KINDS.user, { ...current, metadata: { ...current.metadata, generation: 2 }, spec: { ...current.spec, active: false } });
    const emails = w.mailer.sent.length;
    await pass(w);
    expect(stored(w)?.status?.phase).toBe('Inactive');
    expect(events(w)).toEqual(['Normal InvitationRevoked', 'Normal Deactivated']);
    expect(writes(w).at(-1)).toBe('patch User jane/status');
    expect(w.mailer.sent.length).toBe(emails);
  });

  it('deleting a user: its record is read live and deleted with a uid precondition, then the finalizer goes', async () => {
    const w = world(jane());
    await pass(w);
    const recordUid = w.fake.stored(builtinKinds.secret, NS, RECORD)?.metadata?.uid;
    const current = stored(w) as Cached<User>;
    w.fake.put(ACCOUNT_KINDS.user, { ...current, metadata: { ...current.metadata, deletionTimestamp: '2026-06-01T00:00:00Z' } });
    await pass(w);
    expect(w.fake.calls.map((c) => `${c.verb} ${c.kind} ${c.name}`)).toEqual([`get Secret ${RECORD}`, `delete Secret ${RECORD}`, 'patch User jane']);
    expect(w.fake.calls[1]?.body).toMatchObject({ preconditions: { uid: recordUid } });
    expect(w.fake.stored(builtinKinds.secret, NS, RECORD)).toBeUndefined();
  });
});

describe('userReconciler with the send queue: one status write per invitation', () => {
  /** One reconciler kept across passes (as in a running operator), its caches fed what the fake holds before each pass. */
  async function running(user: Cached<User>, outcome?: DeliveryResult) {
    const w = world(user, outcome ? { outcome } : {});
    const { ctx, caches } = await fakeOperatorContext({
      clock: w.clock,
      tenants: [tenantObject('acme', { displayName: 'Acme' })],
      namespaces: [tenantNamespace('acme')],
      users: [user],
      options: { smtpSecret: { namespace: 'ops', name: 'smtp' } },
    });
    const invitations = await seededCache<SecretObject>(builtinKinds.secret, []);
    const sendQueue = new InvitationSendQueue({ log: createLogger({ level: 'silent' }) });
    const reconcile = userReconciler({ ctx, invitations: invitations.informer, mailer: w.mailer, clock: w.clock, signingKey: SIGNING_KEY, sendQueue });
    const sync = async (): Promise<void> => {
      caches.users.set(stored(w) as Cached<User>);
      const record = w.fake.stored<SecretObject>(builtinKinds.secret, NS, RECORD);
      if (record) invitations.set(record);
      else if (invitations.informer.get(`${NS}/${RECORD}`)) invitations.remove(invitations.informer.get(`${NS}/${RECORD}`) as SecretObject);
      await new Promise((resolve) => setImmediate(resolve));
    };
    const pass = async (): Promise<ReconcileResult> => {
      await sync();
      return reconcile(`${NS}/jane`, w.fake.reconcileContext(`${NS}/jane`, { clock: w.clock }));
    };
    /** A pass on the caches as the last pass left them: the operator's own writes since not shown yet. */
    const stalePass = (): Promise<ReconcileResult> => reconcile(`${NS}/jane`, w.fake.reconcileContext(`${NS}/jane`, { clock: w.clock }));
    return { w, pass, stalePass, sendQueue };
  }
  const statusWrites = (w: World): number => writes(w).filter((x) => x === 'patch User jane/status').length;

  it('a new user: the issuing pass leaves status to the pass after the email, which writes it once (Sent)', async () => {
    const { w, pass, sendQueue } = await running(jane({}, { finalizers: [] }));
    const first = await pass();
    expect(statusWrites(w)).toBe(0);
    expect(first?.requeueAfterMs).toBeGreaterThan(0);
    expect(first?.requeueAfterMs).toBeLessThanOrEqual(STATUS_WAIT_MAX_MS);
    await sendQueue.drained();
    await pass();
    await pass();
    expect(statusWrites(w)).toBe(1);
    expect(stored(w)?.status?.phase).toBe('Invited');
    expect(stored(w)?.status?.invitation?.recordSigned).toBe(true);
    expect(condition(w, 'InvitationSent')).toBe('True Sent');
    expect(w.mailer.sent.length).toBe(1);
  });

  it('a pass before the cache shows the one status write (the wait\'s timer ahead of the write\'s echo) writes nothing, so no PATCH fails with 409', async () => {
    const { w, pass, stalePass, sendQueue } = await running(jane({}, { finalizers: [] }));
    await pass();
    await sendQueue.drained();
    await pass();
    expect(statusWrites(w)).toBe(1);
    const calls = w.fake.calls.length;
    expect(await stalePass()).toBeUndefined();
    expect(w.fake.calls.length).toBe(calls);
    // The echo of the write brings the next pass: nothing left to write.
    await pass();
    expect(statusWrites(w)).toBe(1);
    expect(condition(w, 'InvitationSent')).toBe('True Sent');
  });

  it('the record deleted while its email is on its way (status not written yet): tampered, no second email', async () => {
    // The send is held before it starts: the record stays "preparing" and the send in the queue.
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { w, pass, sendQueue } = await running(jane());
    const send = w.mailer.send.bind(w.mailer);
    w.mailer.send = async (settings, message, hooks) => {
      await gate;
      return send(settings, message, hooks);
    };
    await pass();
    expect(statusWrites(w)).toBe(0);
    await w.fake.delete(builtinKinds.secret, NS, RECORD);
    await pass();
    expect(condition(w, 'Ready')).toBe('False InvitationRecordTampered');
    expect(stored(w)?.status?.invitation?.recordSigned).toBe(true);
    release();
    await sendQueue.drained();
    await pass();
    // The held send could not move the deleted record on, so it abandoned its message.
    expect(w.fake.stored(builtinKinds.secret, NS, RECORD)).toBeUndefined();
    expect(w.mailer.sent.length).toBeLessThanOrEqual(1);
    expect(condition(w, 'Ready')).toBe('False InvitationRecordTampered');
  });

  it('a send that threw and is taken up again ("Interrupted") does not restart the wait: status comes STATUS_WAIT_MS after the first', async () => {
    const { w, pass, sendQueue } = await running(jane());
    let calls = 0;
    let fail: () => void = () => {};
    const failed = new Promise<void>((resolve) => (fail = resolve));
    w.mailer.send = async () => {
      calls += 1;
      if (calls > 1) return new Promise<DeliveryResult>(() => {});
      await failed;
      throw new Error('the API server went away');
    };
    const start = performance.now();
    await pass();
    expect(statusWrites(w)).toBe(0);
    fail();
    await sendQueue.drained();
    const spy = vi.spyOn(performance, 'now').mockReturnValue(start + STATUS_WAIT_MS + 1_000);
    try {
      // The record still says "preparing" and no send is in this process: a new invitation, and status now.
      await pass();
    } finally {
      spy.mockRestore();
    }
    expect(calls).toBe(2);
    expect(statusWrites(w)).toBe(1);
    expect(condition(w, 'InvitationSent')).toBe('Unknown Sending');
  });

  it('accepted before the one status write: the history still says Invited and InvitationSent, then Accepted', async () => {
    const { w, pass, sendQueue } = await running(jane({}, { creationTimestamp: '2026-06-01T00:00:00Z' }));
    await pass();
    await sendQueue.drained();
    expect(statusWrites(w)).toBe(0);
    // The person follows the link at once (the acceptance page writes the record, signed).
    const secret = w.fake.stored<SecretObject>(builtinKinds.secret, NS, RECORD) as SecretObject;
    const record = recordFromSecret(secret) as StoredInvitationRecord;
    const { resourceVersion: _rv, ...plain } = record;
    w.fake.put(builtinKinds.secret, secretFromRecord({ namespace: NS, userName: 'jane', tenantName: 'acme' }, { ...plain, state: 'accepted', acceptedAt: '2026-06-01T00:00:05Z' }, SIGNING_KEY, secret.metadata?.resourceVersion));
    await pass();
    expect(stored(w)?.status?.phase).toBe('Active');
    expect(stored(w)?.status?.history?.map((h) => h.event)).toEqual(['Invited', 'InvitationSent', 'Accepted']);
    expect(statusWrites(w)).toBe(1);
  });

  it('a send that takes longer than STATUS_WAIT_MS: the "Sending" status is written then', async () => {
    const { w, pass } = await running(jane());
    w.mailer.send = () => new Promise<DeliveryResult>(() => {});
    await pass();
    expect(statusWrites(w)).toBe(0);
    const now = performance.now();
    const spy = vi.spyOn(performance, 'now').mockReturnValue(now + STATUS_WAIT_MS + 1);
    try {
      await pass();
    } finally {
      spy.mockRestore();
    }
    expect(statusWrites(w)).toBe(1);
    expect(condition(w, 'InvitationSent')).toBe('Unknown Sending');
    expect(stored(w)?.status?.invitation?.recordSigned).toBe(true);
  });
});
