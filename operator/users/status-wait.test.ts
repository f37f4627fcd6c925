import { describe, expect, it } from 'vitest';
import type { UserStatus } from '../api/index.js';
import { pendingRecord } from '../invitations/invitation-record.fixture.js';
import type { ReadInvitationRecord } from '../invitations/invitation-record.js';
import { planUser } from './user-plan.js';
import { trustRecord } from './record-trust.js';
import { believedStatus, STATUS_WAIT_MS, statusMayWait, statusRecords } from './status-wait.js';
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
    mustReport: false,
    nowMs: issued.issuedAtMs + 100,
    ...overrides,
  });

  it('waits while the issued invitation is on its way, for what is left of STATUS_WAIT_MS', () => {
    expect(statusMayWait(facts())).toBe(STATUS_WAIT_MS - 100);
    expect(statusMayWait(facts({ record: { invitationId: issued.invitationId, state: 'pending', delivery: 'sending' } }))).toBe(STATUS_WAIT_MS - 100);
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
    { name: 'STATUS_WAIT_MS are over', facts: { nowMs: issued.issuedAtMs + STATUS_WAIT_MS } },
  ])('writes now: $name', ({ facts: overrides }) => {
    expect(statusMayWait(facts(overrides))).toBeUndefined();
  });
});
