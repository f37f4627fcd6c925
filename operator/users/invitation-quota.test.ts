import { describe, expect, it } from 'vitest';
import { pendingRecord } from '../invitations/invitation-record.fixture.js';
import { decideInvitationSend, emailsOfRecord, INVITATION_WINDOW_MS, InvitationLedger, withEmail } from './invitation-quota.js';
import type { InvitationSendDecision } from './invitation-quota.js';

const NOW = Date.parse('2026-01-02T12:00:00Z');
const MIN = 60_000;
const ago = (minutes: number) => NOW - minutes * MIN;

describe('decideInvitationSend', () => {
  it.each<{ name: string; sent: number[]; perHour: number; decision: InvitationSendDecision }>([
    { name: 'nothing sent', sent: [], perHour: 2, decision: { allowed: true, sentInWindow: 0 } },
    { name: 'one of two', sent: [ago(10)], perHour: 2, decision: { allowed: true, sentInWindow: 1 } },
    { name: 'two of two: the older one leaves the window first', sent: [ago(10), ago(50)], perHour: 2, decision: { allowed: false, sentInWindow: 2, nextAt: ago(50) + INVITATION_WINDOW_MS } },
    { name: 'order of the input does not matter', sent: [ago(50), ago(10)], perHour: 2, decision: { allowed: false, sentInWindow: 2, nextAt: ago(50) + INVITATION_WINDOW_MS } },
    { name: 'older than an hour does not count', sent: [ago(61), ago(60), ago(10)], perHour: 2, decision: { allowed: true, sentInWindow: 1 } },
    { name: 'exactly an hour ago has left the window', sent: [ago(60), ago(1)], perHour: 2, decision: { allowed: true, sentInWindow: 1 } },
    { name: 'cap lowered below what was sent: wait until enough have left', sent: [ago(50), ago(40), ago(30), ago(20)], perHour: 2, decision: { allowed: false, sentInWindow: 4, nextAt: ago(30) + INVITATION_WINDOW_MS } },
    { name: 'cap of one', sent: [ago(5)], perHour: 1, decision: { allowed: false, sentInWindow: 1, nextAt: ago(5) + INVITATION_WINDOW_MS } },
    { name: 'a send stamped in the future (clock skew) counts', sent: [NOW + MIN], perHour: 1, decision: { allowed: false, sentInWindow: 1, nextAt: NOW + MIN + INVITATION_WINDOW_MS } },
    { name: 'a nonsensical cap counts as one', sent: [ago(5)], perHour: 0, decision: { allowed: false, sentInWindow: 1, nextAt: ago(5) + INVITATION_WINDOW_MS } },
    { name: 'default cap, 99 sent', sent: Array.from({ length: 99 }, (_, i) => ago(i % 59)), perHour: 100, decision: { allowed: true, sentInWindow: 99 } },
  ])('$name', ({ sent, perHour, decision }) => {
    expect(decideInvitationSend(sent, perHour, NOW)).toEqual(decision);
  });
});

describe('emails of a record', () => {
  it.each([
    { name: 'its recent emails', record: pendingRecord({ recentEmails: [{ invitationId: 'a', at: 1 }] }), emails: [{ invitationId: 'a', at: 1 }] },
    { name: 'an older record: its current email', record: pendingRecord({ attemptedAt: '2026-01-01T00:00:00.500Z' }), emails: [{ invitationId: 'AbCdEf123456', at: Date.parse('2026-01-01T00:00:00.500Z') }] },
    { name: 'an older record without attempt time: when it was sent', record: pendingRecord(), emails: [{ invitationId: 'AbCdEf123456', at: Date.parse('2026-01-01T00:00:01Z') }] },
    { name: 'an older failed record: none', record: pendingRecord({ delivery: 'failed', attemptedAt: '2026-01-01T00:00:00Z' }), emails: [] },
  ])('$name', ({ record, emails }) => {
    expect(emailsOfRecord(record)).toEqual(emails);
  });

  it('a new send keeps the last hour of the record, adds itself, and is bounded', () => {
    const previous = pendingRecord({ recentEmails: [{ invitationId: 'old', at: ago(61) }, { invitationId: 'b', at: ago(30) }, { invitationId: 'c', at: ago(1) }] });
    expect(withEmail(previous, { invitationId: 'd', at: NOW }, 100)).toEqual([{ invitationId: 'b', at: ago(30) }, { invitationId: 'c', at: ago(1) }, { invitationId: 'd', at: NOW }]);
    expect(withEmail(previous, { invitationId: 'd', at: NOW }, 2)).toEqual([{ invitationId: 'c', at: ago(1) }, { invitationId: 'd', at: NOW }]);
    expect(withEmail(undefined, { invitationId: 'd', at: NOW }, 100)).toEqual([{ invitationId: 'd', at: NOW }]);
  });

  it('a send after one interrupted before the end of its message (still "preparing") does not count the interrupted one', () => {
    const previous = pendingRecord({ invitationId: 'c', delivery: 'preparing', recentEmails: [{ invitationId: 'b', at: ago(30) }, { invitationId: 'c', at: ago(1) }] });
    expect(withEmail(previous, { invitationId: 'd', at: NOW }, 100)).toEqual([{ invitationId: 'b', at: ago(30) }, { invitationId: 'd', at: NOW }]);
  });
});

describe('InvitationLedger', () => {
  it('unions what it is told per tenant, forgets failed emails for good, prunes the past', () => {
    const ledger = new InvitationLedger();
    ledger.merge('acme', [{ invitationId: 'a', at: ago(50) }, { invitationId: 'b', at: ago(10) }]);
    ledger.merge('acme', [{ invitationId: 'a', at: ago(50) }]);
    ledger.merge('other', [{ invitationId: 'z', at: ago(5) }]);
    expect(ledger.sends('acme', NOW).sort()).toEqual([ago(50), ago(10)]);
    ledger.forget('acme', 'b', NOW);
    // A stale copy of the record that still lists the failed email does not bring it back.
    ledger.merge('acme', [{ invitationId: 'b', at: ago(10) }]);
    expect(ledger.sends('acme', NOW)).toEqual([ago(50)]);
    expect(ledger.sends('acme', NOW + 11 * MIN)).toEqual([]);
    expect(ledger.sends('other', NOW)).toEqual([ago(5)]);
  });
});
