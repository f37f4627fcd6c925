// Table tests of the User act step against the fake writer and a recording
// mailer: the record writes around each send, the Events, and what status
// then reads (the record, a send problem, a retry).
import { describe, expect, it } from 'vitest';
import type { Tenant, User } from '../api/index.js';
import { pendingRecord } from '../invitations/invitation-record.fixture.js';
import { invitationSecretName, recordFromSecret, secretFromRecord } from '../invitations/invitation-record.js';
import type { SecretObject, StoredInvitationRecord } from '../invitations/invitation-record.js';
import type { DeliveryResult, Mailer, OutgoingMessage } from '../invitations/smtp.js';
import { FakeKubeWriter } from '../runtime/fake-kube-writer.js';
import { builtinKinds } from '../runtime/kinds.js';
import type { KubeObject } from '../runtime/kinds.js';
import { planUser } from './user-plan.js';
import type { UnrecordedOutcome, UserPlan } from './user-plan.js';
import { applyUserPlan } from './user-act.js';
import type { UserActInput } from './user-act.js';

const NOW = Date.parse('2026-01-02T00:00:00Z');
const KEY = Buffer.alloc(32, 7);
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const smtpSecret = { metadata: { name: 'smtp', namespace: 'ops' }, data: { host: b64('127.0.0.1'), port: b64('2525'), from: b64('Blink <no-reply@blink.example>') } };
const user = { metadata: { name: 'jane', namespace: 'tenant-acme', uid: 'u1' }, spec: { email: 'jane@acme.example', role: 'Builder', workspaces: ['w'] }, status: { acceptedAt: '2026-01-01T10:00:00Z' } } as User & KubeObject;
const tenant = { metadata: { name: 'acme' }, spec: { displayName: 'Acme' } } as Tenant;
const location = { namespace: 'tenant-acme', userName: 'jane', tenantName: 'acme' };
const recordSecret = (): SecretObject => ({ ...secretFromRecord(location, pendingRecord({ email: 'jane@acme.example' }), KEY), metadata: { ...secretFromRecord(location, pendingRecord(), KEY).metadata, resourceVersion: '5' } });

/**
 * A mailer that answers `outcome`. Like the SMTP one, a message that gets to its end (sent, or
 * unconfirmed) asks `beforeEnd` first and is abandoned (failed, not ended) when that rejects.
 */
function recordingMailer(outcome: DeliveryResult): Mailer & { sent: OutgoingMessage[]; ended: OutgoingMessage[] } {
  const sent: OutgoingMessage[] = [];
  const ended: OutgoingMessage[] = [];
  return {
    sent,
    ended,
    async send(_settings, message, hooks) {
      sent.push(message);
      if (outcome.outcome === 'failed') return outcome;
      try {
        await hooks?.beforeEnd?.();
      } catch (error) {
        return { outcome: 'failed', error: (error as Error).message, reason: 'SmtpError' };
      }
      ended.push(message);
      return outcome;
    },
  };
}

interface Row {
  readonly name: string;
  readonly plan: UserPlan;
  readonly withRecord: boolean;
  readonly withSmtp?: boolean;
  readonly outcome?: DeliveryResult;
  readonly writes: string[];
  readonly events: string[];
  readonly emails: number;
  /** The record state and delivery afterwards, as stored. */
  readonly stored?: string;
  readonly sendProblem?: string;
  readonly retry?: boolean;
}

const S = `Secret tenant-acme/${invitationSecretName('jane')}`;
const rows: Row[] = [
  {
    name: 'issue, sent: preparing record, sending record before the end of the message, then sent record',
    plan: { action: 'issue', reason: 'Created' },
    withRecord: false,
    outcome: { outcome: 'sent' },
    writes: [`create ${S}`, `replace ${S}`, `replace ${S}`],
    events: ['Normal/InvitationSent'],
    emails: 1,
    stored: 'pending/sent',
  },
  {
    name: 'issue, SMTP refused: failed record, Warning, retry',
    plan: { action: 'issue', reason: 'Created' },
    withRecord: false,
    outcome: { outcome: 'failed', error: '421 try later', reason: 'SmtpError' },
    writes: [`create ${S}`, `replace ${S}`],
    events: ['Warning/InvitationFailed'],
    emails: 1,
    stored: 'pending/failed',
    retry: true,
  },
  {
    name: 'issue, hand-off unconfirmed: the sending record stays, never sent twice',
    plan: { action: 'issue', reason: 'Resend' },
    withRecord: true,
    outcome: { outcome: 'unconfirmed', error: 'socket closed' },
    writes: [`replace ${S}`, `replace ${S}`],
    events: ['Warning/DeliveryUnconfirmed'],
    emails: 1,
    stored: 'pending/sending',
  },
  { name: 'issue without SMTP settings: nothing written or sent, a send problem', plan: { action: 'issue', reason: 'Created' }, withRecord: false, withSmtp: false, writes: [], events: [], emails: 0, sendProblem: 'SmtpNotConfigured', retry: true },
  { name: 'revoke: the record marked revoked, one Event', plan: { action: 'revoke' }, withRecord: true, writes: [`replace ${S}`], events: ['Normal/InvitationRevoked'], emails: 0, stored: 'revoked/sent' },
  { name: 'revoke without a record: nothing', plan: { action: 'revoke' }, withRecord: false, writes: [], events: [], emails: 0 },
  { name: 'restore an accepted record from status', plan: { action: 'restoreAccepted', acceptedAt: '2026-01-01T10:00:00Z' }, withRecord: false, writes: [`create ${S}`], events: [], emails: 0, stored: 'accepted/sent' },
  {
    name: 'throttled by the hourly cap: nothing written or sent, a send problem, look again at nextAt',
    plan: { action: 'throttled', reason: 'Created', nextAt: NOW + 90_000, perHour: 2 },
    withRecord: false,
    writes: [],
    events: ['Warning/InvitationRateLimited'],
    emails: 0,
    sendProblem: 'InvitationRateLimited',
  },
  { name: 'wait for a retry: nothing now', plan: { action: 'waitForRetry', retryInMs: 900 }, withRecord: true, writes: [], events: [], emails: 0 },
  { name: 'none', plan: { action: 'none' }, withRecord: true, writes: [], events: [], emails: 0 },
];

describe('applyUserPlan', () => {
  it('a User already waiting for the cap gets no second Event', async () => {
    const fake = new FakeKubeWriter([{ kind: builtinKinds.secret, object: smtpSecret }]);
    const waiting = { ...user, status: { conditions: [{ type: 'InvitationSent', status: 'False', reason: 'InvitationRateLimited', message: 'm', lastTransitionTime: '2026-01-01T00:00:00Z' }] } } as unknown as User & KubeObject;
    const input: UserActInput = { user: waiting, tenant, location, stored: undefined, resourceVersion: undefined, now: () => NOW, mailer: recordingMailer({ outcome: 'sent' }), smtpSecret: undefined, publicUrl: 'https://accounts.example/', signingKey: KEY };
    const result = await applyUserPlan(fake.act(), { action: 'throttled', reason: 'Created', nextAt: NOW + 1_500, perHour: 1 }, input);
    expect(fake.events).toEqual([]);
    expect(result.sendProblem?.message).toBe('The tenant sent its 1 invitation email allowed per hour (Tenant spec.invitationEmailsPerHour); this one goes out at 2026-01-02T00:00:02Z or later');
    expect(result.retryInMs).toBe(1_500);
  });

  it.each(rows)('$name', async (row) => {
    const seed: { kind: typeof builtinKinds.secret; object: KubeObject }[] = [{ kind: builtinKinds.secret, object: smtpSecret }];
    if (row.withRecord) seed.push({ kind: builtinKinds.secret, object: recordSecret() });
    const fake = new FakeKubeWriter(seed);
    const mailer = recordingMailer(row.outcome ?? { outcome: 'sent' });
    const stored: StoredInvitationRecord | undefined = row.withRecord ? recordFromSecret(recordSecret()) : undefined;
    const input: UserActInput = {
      user,
      tenant,
      location,
      stored,
      resourceVersion: row.withRecord ? '5' : undefined,
      now: () => NOW,
      mailer,
      smtpSecret: row.withSmtp === false ? undefined : { namespace: 'ops', name: 'smtp' },
      publicUrl: 'https://accounts.example/',
      signingKey: KEY,
    };
    const result = await applyUserPlan(fake.act(), row.plan, input);
    expect(fake.writes).toEqual(row.writes);
    expect(fake.events.map((e) => `${e.type}/${e.reason}`)).toEqual(row.events);
    expect(mailer.sent).toHaveLength(row.emails);
    const after = recordFromSecret(fake.stored<SecretObject>(builtinKinds.secret, 'tenant-acme', invitationSecretName('jane')));
    if (row.stored) expect(`${after?.state}/${after?.delivery}`).toBe(row.stored);
    if (row.stored) expect(result.record?.resourceVersion).toBe(fake.stored(builtinKinds.secret, 'tenant-acme', invitationSecretName('jane'))?.metadata?.resourceVersion);
    expect(result.sendProblem?.reason).toBe(row.sendProblem);
    expect(result.retry !== undefined).toBe(row.retry ?? false);
    if (row.plan.action === 'waitForRetry') expect(result.retryInMs).toBe(900);
    if (row.plan.action === 'throttled') expect(result.retryInMs).toBe(90_000);
  });

  it('an email delivered while the record write fails (API server down) is recorded as sent later, not left "unconfirmed" nor sent again', async () => {
    const fake = new FakeKubeWriter([{ kind: builtinKinds.secret, object: smtpSecret }]);
    const smtp = recordingMailer({ outcome: 'sent' });
    // The API server goes away between the end of the message and the 250.
    const mailer: Mailer = {
      send: (settings, message, hooks) =>
        smtp.send(settings, message, {
          beforeEnd: async () => {
            await hooks?.beforeEnd?.();
            fake.failNext('replace', new Error('connect ECONNREFUSED 127.0.0.1:6443'));
          },
        }),
    };
    const unrecorded = new Map<string, UnrecordedOutcome>();
    const input: UserActInput = { user, tenant, location, stored: undefined, resourceVersion: undefined, now: () => NOW, mailer, smtpSecret: { namespace: 'ops', name: 'smtp' }, publicUrl: 'https://accounts.example/', unrecorded, signingKey: KEY };
    await expect(applyUserPlan(fake.act(), { action: 'issue', reason: 'Created' }, input)).rejects.toThrow('ECONNREFUSED');
    const sending = recordFromSecret(fake.stored<SecretObject>(builtinKinds.secret, 'tenant-acme', invitationSecretName('jane')));
    expect(sending?.delivery).toBe('sending');
    expect(unrecorded.get(sending?.invitationId ?? '')?.delivered).toBe(true);

    const observed = { active: true, email: user.spec.email, resend: 0, record: sending, acceptedAtInStatus: undefined, blocker: undefined, now: NOW, maxRetryDelayMs: 60_000, unrecorded: unrecorded.get(sending?.invitationId ?? '') };
    const plan = planUser(observed);
    expect(plan.action).toBe('recordOutcome');
    const result = await applyUserPlan(fake.act(), plan, { ...input, stored: sending, resourceVersion: sending?.resourceVersion });
    expect(smtp.ended).toHaveLength(1);
    expect(result.record?.delivery).toBe('sent');
    expect(result.record?.invitationId).toBe(sending?.invitationId);
    expect(recordFromSecret(fake.stored<SecretObject>(builtinKinds.secret, 'tenant-acme', invitationSecretName('jane')))?.delivery).toBe('sent');
    expect(fake.events.map((e) => `${e.type}/${e.reason}`)).toEqual(['Normal/InvitationSent']);
    expect(unrecorded.size).toBe(0);
  });

  it('the "sending" write fails (another replica took the record over): the message is never ended, and recorded as failed', async () => {
    const fake = new FakeKubeWriter([{ kind: builtinKinds.secret, object: smtpSecret }]);
    const mailer = recordingMailer({ outcome: 'sent' });
    const input: UserActInput = { user, tenant, location, stored: undefined, resourceVersion: undefined, now: () => NOW, mailer, smtpSecret: { namespace: 'ops', name: 'smtp' }, publicUrl: 'https://accounts.example/', signingKey: KEY };
    // create (preparing) succeeds; the replace to "sending" meets a newer record.
    fake.failNext('replace', Object.assign(new Error('Operation cannot be fulfilled: the object has been modified'), { code: 409 }));
    const result = await applyUserPlan(fake.act(), { action: 'issue', reason: 'Created' }, input);
    expect(mailer.sent).toHaveLength(1);
    expect(mailer.ended).toHaveLength(0);
    expect(result.record?.delivery).toBe('failed');
    expect(fake.writes).toEqual([`create ${S}`, `replace ${S}`, `replace ${S}`]);
  });

  it('the email links to the acceptance page and the record holds only the token hash', async () => {
    const fake = new FakeKubeWriter([{ kind: builtinKinds.secret, object: smtpSecret }]);
    const mailer = recordingMailer({ outcome: 'sent' });
    await applyUserPlan(fake.act(), { action: 'issue', reason: 'Created' }, { user, tenant, location, stored: undefined, resourceVersion: undefined, now: () => NOW, mailer, smtpSecret: { namespace: 'ops', name: 'smtp' }, publicUrl: 'https://accounts.example/', signingKey: KEY });
    const link = /https:\/\/accounts\.example\/invitations\/(\S+)/.exec(mailer.sent[0]?.text ?? '')?.[1];
    expect(link).toMatch(/^blink_inv_/);
    const record = fake.stored<SecretObject>(builtinKinds.secret, 'tenant-acme', invitationSecretName('jane'));
    expect(JSON.stringify(record)).not.toContain(link ?? 'no link');
    expect(recordFromSecret(record)?.tokenHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    { outcome: { outcome: 'sent' } as DeliveryResult, counted: true },
    { outcome: { outcome: 'unconfirmed', error: 'socket closed' } as DeliveryResult, counted: true },
    { outcome: { outcome: 'failed', error: '421', reason: 'SmtpError' } as DeliveryResult, counted: false },
  ])('a $outcome.outcome email is counted for the hourly cap: $counted (with the record\'s earlier ones of the hour)', async ({ outcome, counted }) => {
    const earlier = [{ invitationId: 'Old000000001', at: NOW - 3_700_000 }, { invitationId: 'Rec000000001', at: NOW - 600_000 }];
    const fake = new FakeKubeWriter([{ kind: builtinKinds.secret, object: smtpSecret }, { kind: builtinKinds.secret, object: { ...secretFromRecord(location, pendingRecord({ recentEmails: earlier }), KEY), metadata: { ...secretFromRecord(location, pendingRecord(), KEY).metadata, resourceVersion: '5' } } }]);
    const stored = recordFromSecret(fake.stored<SecretObject>(builtinKinds.secret, 'tenant-acme', invitationSecretName('jane')));
    const result = await applyUserPlan(fake.act(), { action: 'issue', reason: 'Resend' }, { user, tenant, location, stored, resourceVersion: stored?.resourceVersion, now: () => NOW, mailer: recordingMailer(outcome), smtpSecret: { namespace: 'ops', name: 'smtp' }, publicUrl: 'https://accounts.example/', signingKey: KEY });
    const after = recordFromSecret(fake.stored<SecretObject>(builtinKinds.secret, 'tenant-acme', invitationSecretName('jane')));
    const expected = [{ invitationId: 'Rec000000001', at: NOW - 600_000 }, ...(counted ? [{ invitationId: after?.invitationId, at: NOW }] : [])];
    expect(after?.recentEmails).toEqual(expected);
    expect(result.record?.recentEmails).toEqual(expected);
  });
});
