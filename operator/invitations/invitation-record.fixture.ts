// A builder of invitation records for the users unit tests.
import type { InvitationRecord } from './invitation-record.js';

/** A pending invitation of jane@acme.example, issued 2026-01-01 for 7 days and sent; `overrides` win. */
export function pendingRecord(overrides: Partial<InvitationRecord> = {}): InvitationRecord {
  return {
    invitationId: 'AbCdEf123456',
    tokenHash: 'a'.repeat(64),
    email: 'jane@acme.example',
    issuedAt: '2026-01-01T00:00:00Z',
    expiresAt: '2026-01-08T00:00:00Z',
    state: 'pending',
    resend: 0,
    delivery: 'sent',
    messageId: '<invitation.AbCdEf123456@blink-accounts.invalid>',
    sentAt: '2026-01-01T00:00:01Z',
    ...overrides,
  };
}
