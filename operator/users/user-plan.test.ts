import { describe, expect, it } from 'vitest';
import type { InvitationRecord } from '../invitations/invitation-record.js';
import { pendingRecord } from '../invitations/invitation-record.fixture.js';
import { phaseOf, planUser, retryDelayMs, throttleIssue } from './user-plan.js';
import type { UserObservation, UserPlan } from './user-plan.js';

const pending = pendingRecord();

const base: UserObservation = {
  active: true,
  email: 'jane@acme.example',
  resend: 0,
  record: pending,
  acceptedAtInStatus: undefined,
  blocker: undefined,
  now: Date.parse('2026-01-02T00:00:00Z'),
  maxRetryDelayMs: 60_000,
};
const failedAt = (iso: string, failedAttempts: number): InvitationRecord => ({ ...pending, delivery: 'failed', attemptedAt: iso, failedAttempts });

const blocker = { reason: 'EmailDomainNotAllowed', message: 'not allowed' };

const cases: { name: string; observed: Partial<UserObservation>; plan: UserPlan }[] = [
  { name: 'new user: issue', observed: { record: undefined }, plan: { action: 'issue', reason: 'Created' } },
  { name: 'new user the identity provider vouches for (SCIM, ActiveAtOnce): Active without an email', observed: { record: undefined, provisionedActive: true }, plan: { action: 'provisionActive' } },
  { name: 'vouched-for user created inactive: nothing', observed: { record: undefined, provisionedActive: true, active: false }, plan: { action: 'none' } },
  { name: 'vouched-for user with a pending invitation (lifecycle switched): Active without an email', observed: { provisionedActive: true }, plan: { action: 'provisionActive' } },
  { name: 'vouched-for user re-activated after a revoke: Active, no new email', observed: { record: { ...pending, state: 'revoked' }, provisionedActive: true }, plan: { action: 'provisionActive' } },
  { name: 'vouched-for user already accepted: nothing', observed: { record: { ...pending, state: 'accepted', acceptedAt: '2026-01-01T00:00:00Z' }, provisionedActive: true }, plan: { action: 'none' } },
  { name: 'vouched-for user blocked (domain, duplicate email): nothing is granted', observed: { record: undefined, provisionedActive: true, blocker }, plan: { action: 'none' } },
  { name: 'new user created inactive: nothing to send', observed: { record: undefined, active: false }, plan: { action: 'none' } },
  { name: 'pending and sent: nothing', observed: {}, plan: { action: 'none' } },
  { name: 'pending, delivery unconfirmed: never re-sent automatically', observed: { record: { ...pending, delivery: 'sending' } }, plan: { action: 'none' } },
  { name: 'pending, still "preparing" (stopped before the end of the message): issue again', observed: { record: { ...pending, delivery: 'preparing' } }, plan: { action: 'issue', reason: 'Interrupted' } },
  { name: 'pending, "preparing", and this process is still sending it (send queue): nothing', observed: { record: { ...pending, delivery: 'preparing' }, sendInFlight: true }, plan: { action: 'none' } },
  {
    name: 'pending, "sending", but this process got the 250 and could not record it: record it (no email)',
    observed: { record: { ...pending, delivery: 'sending' }, unrecorded: { invitationId: pending.invitationId, fields: { delivery: 'sent' }, delivered: true } },
    plan: { action: 'recordOutcome', outcome: { invitationId: pending.invitationId, fields: { delivery: 'sent' }, delivered: true } },
  },
  {
    name: 'pending, "sending", the outcome in memory, but its send is still in this process (writing it now): nothing',
    observed: { record: { ...pending, delivery: 'sending' }, unrecorded: { invitationId: pending.invitationId, fields: { delivery: 'sent' }, delivered: true }, sendInFlight: true },
    plan: { action: 'none' },
  },
  { name: 'pending, "sending", an outcome of another invitation in memory: still unconfirmed', observed: { record: { ...pending, delivery: 'sending' }, unrecorded: { invitationId: 'Other0000001', fields: { delivery: 'sent' }, delivered: true } }, plan: { action: 'none' } },
  { name: 'failed once, 1 s ago: issue again', observed: { record: failedAt('2026-01-01T23:59:59Z', 1) }, plan: { action: 'issue', reason: 'RetryDelivery' } },
  { name: 'failed once, 0.4 s ago: wait the rest of 1 s', observed: { record: failedAt('2026-01-01T23:59:59.600Z', 1) }, plan: { action: 'waitForRetry', retryInMs: 600 } },
  { name: 'failed 3 times, 3 s ago: wait the rest of 4 s', observed: { record: failedAt('2026-01-01T23:59:57Z', 3) }, plan: { action: 'waitForRetry', retryInMs: 1_000 } },
  { name: 'failed 20 times: waits at most the maximum', observed: { record: failedAt('2026-01-01T23:59:30Z', 20) }, plan: { action: 'waitForRetry', retryInMs: 30_000 } },
  { name: 'failed, backoff not over, but resend raised: issue at once', observed: { resend: 1, record: failedAt('2026-01-01T23:59:59.900Z', 5) }, plan: { action: 'issue', reason: 'Resend' } },
  { name: 'failed record from an older version without attempt time: retry', observed: { record: { ...pending, delivery: 'failed' } }, plan: { action: 'issue', reason: 'RetryDelivery' } },
  { name: 'resend counter raised: issue', observed: { resend: 1 }, plan: { action: 'issue', reason: 'Resend' } },
  { name: 'resend raised while unconfirmed: issue', observed: { resend: 2, record: { ...pending, delivery: 'sending', resend: 1 } }, plan: { action: 'issue', reason: 'Resend' } },
  { name: 'resend counter equal to the record (status lost in a restore): nothing', observed: { resend: 3, record: { ...pending, resend: 3 } }, plan: { action: 'none' } },
  { name: 'resend counter lower than the record: nothing', observed: { resend: 1, record: { ...pending, resend: 3 } }, plan: { action: 'none' } },
  { name: 'accepted: nothing', observed: { record: { ...pending, state: 'accepted' } }, plan: { action: 'none' } },
  { name: 'accepted, resend raised: nothing (already accepted)', observed: { resend: 5, record: { ...pending, state: 'accepted' } }, plan: { action: 'none' } },
  { name: 'deactivated while pending: revoke', observed: { active: false }, plan: { action: 'revoke' } },
  { name: 'deactivated after accepting: nothing', observed: { active: false, record: { ...pending, state: 'accepted' } }, plan: { action: 'none' } },
  { name: 'deactivated and revoked: nothing', observed: { active: false, record: { ...pending, state: 'revoked' } }, plan: { action: 'none' } },
  { name: 're-activated before accepting: fresh invitation', observed: { record: { ...pending, state: 'revoked' } }, plan: { action: 'issue', reason: 'Reactivated' } },
  { name: 'record of another address (recreated user): issue', observed: { email: 'john@acme.example' }, plan: { action: 'issue', reason: 'EmailChanged' } },
  { name: 'record lost, status says accepted: restore it', observed: { record: undefined, acceptedAtInStatus: '2026-01-02T00:00:00Z' }, plan: { action: 'restoreAccepted', acceptedAt: '2026-01-02T00:00:00Z' } },
  { name: 'record lost, inactive, status says accepted: restore it', observed: { record: undefined, active: false, acceptedAtInStatus: '2026-01-02T00:00:00Z' }, plan: { action: 'restoreAccepted', acceptedAt: '2026-01-02T00:00:00Z' } },
  { name: 'blocked with a pending invitation: revoke', observed: { blocker }, plan: { action: 'revoke' } },
  { name: 'blocked without a record: nothing', observed: { blocker, record: undefined }, plan: { action: 'none' } },
  { name: 'blocked after accepting: nothing', observed: { blocker, record: { ...pending, state: 'accepted' } }, plan: { action: 'none' } },
  { name: 'duplicate email with a pending invitation: revoke it', observed: { blocker: { reason: 'DuplicateEmail', message: 'owned by jane' } }, plan: { action: 'revoke' } },
  { name: 'duplicate email, no record: no invitation', observed: { blocker: { reason: 'DuplicateEmail', message: 'owned by jane' }, record: undefined }, plan: { action: 'none' } },
  // The record is not believed (record-trust.ts): nothing it says steers; status and spec decide.
  { name: 'tampered, status says accepted: nothing (stays Active, no email)', observed: { trust: 'tampered', record: undefined, acceptedAtInStatus: '2026-01-01T10:00:00Z', lastResendInStatus: undefined }, plan: { action: 'none' } },
  { name: 'tampered, status says accepted, resend raised: nothing', observed: { trust: 'tampered', record: undefined, acceptedAtInStatus: '2026-01-01T10:00:00Z', resend: 4 }, plan: { action: 'none' } },
  { name: 'tampered, Invited: nothing until the admin asks (no email of its own accord)', observed: { trust: 'tampered', record: undefined, lastResendInStatus: 0 }, plan: { action: 'none' } },
  { name: 'tampered, Invited, resend raised: a new invitation', observed: { trust: 'tampered', record: undefined, lastResendInStatus: 0, resend: 1 }, plan: { action: 'issue', reason: 'Resend' } },
  { name: 'tampered, status has no invitation to fall back on: a new invitation', observed: { trust: 'tampered', record: undefined, lastResendInStatus: undefined }, plan: { action: 'issue', reason: 'Replaced' } },
  { name: 'tampered, inactive: nothing', observed: { trust: 'tampered', record: undefined, active: false, lastResendInStatus: undefined }, plan: { action: 'none' } },
  { name: 'tampered, blocked: nothing', observed: { trust: 'tampered', record: undefined, blocker, lastResendInStatus: undefined }, plan: { action: 'none' } },
  // An unsigned record from before signatures: signed again from status, never from itself.
  { name: 'unsigned (upgrade), status says accepted: sign it again from status', observed: { trust: 'legacy', record: undefined, acceptedAtInStatus: '2026-01-01T10:00:00Z' }, plan: { action: 'restoreAccepted', acceptedAt: '2026-01-01T10:00:00Z' } },
  { name: 'unsigned (upgrade), inactive, status says accepted: sign it again from status', observed: { trust: 'legacy', record: undefined, active: false, acceptedAtInStatus: '2026-01-01T10:00:00Z' }, plan: { action: 'restoreAccepted', acceptedAt: '2026-01-01T10:00:00Z' } },
  { name: 'unsigned (upgrade), pending: a new invitation (its token hash is not believed)', observed: { trust: 'legacy', record: undefined }, plan: { action: 'issue', reason: 'Unsigned' } },
  { name: 'unsigned (upgrade), inactive: nothing', observed: { trust: 'legacy', record: undefined, active: false }, plan: { action: 'none' } },
  { name: 'unsigned (upgrade), blocked: nothing', observed: { trust: 'legacy', record: undefined, blocker }, plan: { action: 'none' } },
];

describe('planUser', () => {
  it.each(cases)('$name', ({ observed, plan }) => {
    expect(planUser({ ...base, ...observed })).toEqual(plan);
  });
});

describe('throttleIssue', () => {
  const held = { allowed: false as const, sentInWindow: 2, nextAt: 1_000_000 };
  const free = { allowed: true as const, sentInWindow: 1 };
  it.each<{ name: string; plan: UserPlan; decision: typeof held | typeof free; result: UserPlan }>([
    { name: 'issue within the cap: goes out', plan: { action: 'issue', reason: 'Created' }, decision: free, result: { action: 'issue', reason: 'Created' } },
    { name: 'issue over the cap: held until nextAt', plan: { action: 'issue', reason: 'Created' }, decision: held, result: { action: 'throttled', reason: 'Created', nextAt: 1_000_000, perHour: 2 } },
    { name: 'a resend is held too (resend loops)', plan: { action: 'issue', reason: 'Resend' }, decision: held, result: { action: 'throttled', reason: 'Resend', nextAt: 1_000_000, perHour: 2 } },
    { name: 'a retry is held too', plan: { action: 'issue', reason: 'RetryDelivery' }, decision: held, result: { action: 'throttled', reason: 'RetryDelivery', nextAt: 1_000_000, perHour: 2 } },
    { name: 'a revoke is never held', plan: { action: 'revoke' }, decision: held, result: { action: 'revoke' } },
    { name: 'restoring an acceptance is never held', plan: { action: 'restoreAccepted', acceptedAt: 'x' }, decision: held, result: { action: 'restoreAccepted', acceptedAt: 'x' } },
    { name: 'nothing to do stays nothing', plan: { action: 'none' }, decision: held, result: { action: 'none' } },
  ])('$name', ({ plan, decision, result }) => {
    expect(throttleIssue(plan, decision, 2)).toEqual(result);
  });
});

describe('retryDelayMs', () => {
  it.each([
    [0, 1_000],
    [1, 1_000],
    [2, 2_000],
    [3, 4_000],
    [6, 32_000],
    [7, 60_000],
    [1000, 60_000],
  ])('after %i failures: %i ms', (failures, delay) => {
    expect(retryDelayMs(failures, 60_000)).toBe(delay);
  });
});

describe('phaseOf', () => {
  it.each([
    { active: true, record: undefined, phase: 'Invited' },
    { active: true, record: pending, phase: 'Invited' },
    { active: true, record: { ...pending, state: 'accepted' as const }, phase: 'Active' },
    { active: false, record: { ...pending, state: 'accepted' as const }, phase: 'Inactive' },
    { active: false, record: pending, phase: 'Inactive' },
    { active: true, record: { ...pending, state: 'revoked' as const }, phase: 'Invited' },
  ])('active=$active, record $record.state → $phase', ({ active, record, phase }) => {
    expect(phaseOf(active, record, 'jane@acme.example')).toBe(phase);
  });

  it('ignores an acceptance recorded for another address', () => {
    expect(phaseOf(true, { ...pending, state: 'accepted' }, 'john@acme.example')).toBe('Invited');
  });
});
