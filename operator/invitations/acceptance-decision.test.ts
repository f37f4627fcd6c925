import { describe, expect, it } from 'vitest';
import { judgeInvitation } from './acceptance-decision.js';
import type { AcceptanceFacts } from './acceptance-decision.js';
import type { InvitationRecord } from './invitation-record.js';
import { pendingRecord } from './invitation-record.fixture.js';

// Not marked as sent at a time: acceptance does not depend on it.
const { sentAt: _sentAt, ...record }: InvitationRecord = pendingRecord({ messageId: '<m>' });
const base: AcceptanceFacts = { record, tokenMatches: true, userActive: true, now: Date.parse('2026-01-02T00:00:00Z') };

describe('judgeInvitation', () => {
  it.each([
    { name: 'valid', facts: {}, verdict: { ok: true } },
    { name: 'unknown invitation', facts: { record: undefined, tokenMatches: false }, verdict: { ok: false, page: 'invalid', status: 404 } },
    { name: 'wrong secret for a known id', facts: { tokenMatches: false }, verdict: { ok: false, page: 'invalid', status: 404 } },
    { name: 'restored record (no hash) never accepts', facts: { record: { ...record, tokenHash: '' } }, verdict: { ok: false, page: 'invalid', status: 404 } },
    { name: 'already used', facts: { record: { ...record, state: 'accepted' as const } }, verdict: { ok: false, page: 'invalid', status: 409 } },
    { name: 'revoked', facts: { record: { ...record, state: 'revoked' as const } }, verdict: { ok: false, page: 'invalid', status: 404 } },
    { name: 'user deleted, inactive or changed', facts: { userActive: false }, verdict: { ok: false, page: 'invalid', status: 404 } },
    { name: 'an earlier invitation put back (status acted on a later resend)', facts: { superseded: true }, verdict: { ok: false, page: 'invalid', status: 404 } },
    { name: 'expired', facts: { now: Date.parse('2026-01-08T00:00:00Z') }, verdict: { ok: false, page: 'expired', status: 410 } },
    { name: 'expired but wrong secret says nothing about expiry', facts: { now: Date.parse('2026-02-01T00:00:00Z'), tokenMatches: false }, verdict: { ok: false, page: 'invalid', status: 404 } },
  ])('$name', ({ facts, verdict }) => {
    expect(judgeInvitation({ ...base, ...facts })).toEqual(verdict);
  });
});
