import { describe, expect, it } from 'vitest';
import type { UserStatus } from '../api/index.js';
import { pendingRecord } from '../invitations/invitation-record.fixture.js';
import type { ReadInvitationRecord } from '../invitations/invitation-record.js';
import { planUser } from './user-plan.js';
import { trustRecord } from './record-trust.js';
import { believedStatus, missedInvitation, STATUS_WAIT_MAX_MS, STATUS_WAIT_MS, statusMayWait, statusRecords } from './status-wait.js';
import type { IssuedInvitation, StatusWaitFacts } from './status-wait.js';

const email = 'jane@acme.example';
const issued: IssuedInvitation = { invitationId: 'AbCdEf123456', expiresAt: '2026-01-08T10:00:00Z', resend: 0, issuedAtMs: 1_000 };
const read = (integrity: ReadInvitationRecord['integrity'], overrides: Parameters<typeof pendingRecord>[0] = {}): ReadInvitationRecord => ({ integrity, record: { ...pendingRecord({ invitationId: issued.invitationId, ...overrides }), resourceVersion: '5' } });

describe('believedStatus', () => {
  it('adds the invitation this process issued, signed, to a status that does not record it yet', () => {
    expect(believedStatus(undefined, issued)?.invitation).toEqual({ id: issued.invitationId, expiresAt: issued.expiresAt, resend: 0, recordSigned: true });
    const older: UserStatus = { phase: 'Invited', invitation: { id: 'Older0000000', resend: 0, recordSigned: true, sentAt: '2026-01-01T10:00:00Z' } } as UserStatus;
    expect(believedStatus(older, { ...issued, resend: 1 })?.invitation).toMatchObject({ id: issued.invitationId, resend: 1, recordSigned: true });
    expect(believedStatus(older, { ...issued, resend: 1 })?.phase).toBe('Invited');
  });

  it('is status alone once status records it, says accepted, or nothing was issued', () => {
    const recorded = { invitation: { id: issued.invitationId, resend: 0, recordSigned: true, sentAt: '2026-01-01T10:00:00Z' } } as UserStatus;
    expect(believedStatus(recorded, issued)).toBe(recorded);
    const accepted = { acceptedAt: '2026-01-01T10:00:00Z' } as UserStatus;
    expect(believedStatus(accepted, issued)).toBe(accepted);
    expect(believedStatus(undefined, undefined)).toBeUndefined();
    expect(statusRecords(recorded, issued)).toBe(true);
    expect(statusRecords(accepted, issued)).toBe(true);
    expect(statusRecords(undefined, issued)).toBe(false);
  });

  // The record-trust rules hold in the window before the one status write as they do after it:
  // what status would have said ("a signed invitation is pending") comes from the memory.
  it.each<{ name: string; read: ReadInvitationRecord | undefined; withMemory: string; without: string }>([
    { name: 'the record deleted by someone else', read: undefined, withMemory: 'tampered', without: 'absent' },
    { name: 'its signature removed', read: read('unsigned'), withMemory: 'tampered', without: 'legacy' },
    { name: 'patched to accepted without a signature', read: read('unsigned', { state: 'accepted', acceptedAt: '2026-01-01T10:00:00Z' }), withMemory: 'tampered', without: 'tampered' },
    { name: 'patched to accepted, the signature kept', read: read('forged', { state: 'accepted', acceptedAt: '2026-01-01T10:00:00Z' }), withMemory: 'tampered', without: 'tampered' },
    { name: 'the signed record as written', read: read('signed'), withMemory: 'trusted', without: 'trusted' },
  ])('in the window, $name: $withMemory (without the memory: $without)', ({ read: r, withMemory, without }) => {
    expect(trustRecord(r, believedStatus(undefined, issued), email).trust).toBe(withMemory);
    expect(trustRecord(r, undefined, email).trust).toBe(without);
  });

  it('in the window, a deleted record mails nobody of the operator\'s own accord; a raised resend does', () => {
    const believed = believedStatus(undefined, issued);
    const observe = (resend: number) =>
      planUser({ active: true, email, resend, record: undefined, trust: trustRecord(undefined, believed, email).trust, lastResendInStatus: believed?.invitation?.resend, acceptedAtInStatus: undefined, blocker: undefined, now: 0, maxRetryDelayMs: 60_000 });
    expect(observe(0)).toEqual({ action: 'none' });
    expect(observe(1)).toEqual({ action: 'issue', reason: 'Resend' });
    // Without the memory the same pass would issue a new invitation ("Created"): the memory is what stops it.
    expect(planUser({ active: true, email, resend: 0, record: undefined, trust: trustRecord(undefined, undefined, email).trust, acceptedAtInStatus: undefined, blocker: undefined, now: 0, maxRetryDelayMs: 60_000 })).toEqual({ action: 'issue', reason: 'Created' });
  });
});

describe('statusMayWait', () => {
  const facts = (overrides: Partial<StatusWaitFacts> = {}): StatusWaitFacts => ({
    issued,
    record: { invitationId: issued.invitationId, state: 'pending', delivery: 'preparing' },
    sendInFlight: true,
    sendLate: false,
    mustReport: false,
    nowMs: issued.issuedAtMs + 100,
    ...overrides,
  });

  it('waits while the issued invitation is on its way and not late, at most what is left of STATUS_WAIT_MAX_MS (the send queue tells when it is late)', () => {
    expect(statusMayWait(facts())).toBe(STATUS_WAIT_MAX_MS - 100);
    expect(statusMayWait(facts({ record: { invitationId: issued.invitationId, state: 'pending', delivery: 'sending' } }))).toBe(STATUS_WAIT_MAX_MS - 100);
    // Waiting its turn behind other emails of a queue that keeps sending: still waiting, long after STATUS_WAIT_MS.
    expect(statusMayWait(facts({ nowMs: issued.issuedAtMs + 5 * STATUS_WAIT_MS }))).toBe(STATUS_WAIT_MAX_MS - 5 * STATUS_WAIT_MS);
  });

  it('an invitation taken up again after its send threw waits STATUS_WAIT_MS from the first issue in all', () => {
    expect(statusMayWait(facts({ issued: { ...issued, takenUpAgain: true } }))).toBe(STATUS_WAIT_MS - 100);
  });

  it.each<{ name: string; facts: Partial<StatusWaitFacts> }>([
    { name: 'nothing issued by this process', facts: { issued: undefined } },
    { name: 'no record', facts: { record: undefined } },
    { name: 'the outcome is in: sent', facts: { record: { invitationId: issued.invitationId, state: 'pending', delivery: 'sent' } } },
    { name: 'the outcome is in: failed', facts: { record: { invitationId: issued.invitationId, state: 'pending', delivery: 'failed' } } },
    { name: 'accepted meanwhile', facts: { record: { invitationId: issued.invitationId, state: 'accepted', delivery: 'sending' } } },
    { name: 'another invitation', facts: { record: { invitationId: 'Other0000000', state: 'pending', delivery: 'preparing' } } },
    { name: 'the send is no longer in this process (it threw)', facts: { sendInFlight: false } },
    { name: 'something to report (blocker, tampering, a send that could not start)', facts: { mustReport: true } },
    { name: 'the send is late (running, or waiting on a stuck queue, for STATUS_WAIT_MS)', facts: { sendLate: true } },
    { name: 'STATUS_WAIT_MAX_MS are over', facts: { nowMs: issued.issuedAtMs + STATUS_WAIT_MAX_MS } },
    { name: 'taken up again, and STATUS_WAIT_MS since the first issue are over', facts: { issued: { ...issued, takenUpAgain: true }, nowMs: issued.issuedAtMs + STATUS_WAIT_MS } },
  ])('writes now: $name', ({ facts: overrides }) => {
    expect(statusMayWait(facts(overrides))).toBeUndefined();
  });
});

describe('missedInvitation', () => {
  const accepted = { ...pendingRecord({ state: 'accepted', acceptedAt: '2026-01-01T00:05:00Z', issuedAt: '2026-01-01T00:00:00Z' }) };
  const created = '2026-01-01T00:00:00Z';

  it('an emailed invitation of this User accepted before status recorded it: recorded now', () => {
    expect(missedInvitation(accepted, undefined, created)).toEqual({ id: accepted.invitationId, sentAt: accepted.sentAt, expiresAt: accepted.expiresAt, resend: 0, recordSigned: true });
    // A resend accepted before status recorded it (status still has the earlier one).
    expect(missedInvitation(accepted, { invitation: { id: 'Older0000000', resend: 0 } } as UserStatus, created)?.id).toBe(accepted.invitationId);
  });

  it.each<{ name: string; record: Parameters<typeof missedInvitation>[0]; status: UserStatus | undefined; createdAt: string | undefined }>([
    { name: 'status recorded it', record: accepted, status: { invitation: { id: accepted.invitationId, resend: 0 } } as UserStatus, createdAt: created },
    { name: 'status says accepted already', record: accepted, status: { acceptedAt: '2026-01-01T00:05:00Z' } as UserStatus, createdAt: created },
    { name: 'not accepted', record: pendingRecord(), status: undefined, createdAt: created },
    { name: 'no token: provisioned through SCIM, or rebuilt from status', record: { ...accepted, tokenHash: '' }, status: undefined, createdAt: created },
    { name: 'issued before this User was created: a User restored from a backup finds its earlier record', record: accepted, status: undefined, createdAt: '2026-03-01T00:00:00Z' },
    { name: 'no creation time', record: accepted, status: undefined, createdAt: undefined },
    { name: 'no record', record: undefined, status: undefined, createdAt: created },
  ])('nothing to record: $name', ({ record, status, createdAt }) => {
    expect(missedInvitation(record, status, createdAt)).toBeUndefined();
  });
});
