import { describe, expect, it } from 'vitest';
import { pendingRecord } from '../invitations/invitation-record.fixture.js';
import type { ReadInvitationRecord } from '../invitations/invitation-record.js';
import { tamperedMessage, trustRecord } from './record-trust.js';
import type { TrustedStatus } from './record-trust.js';

const email = 'jane@acme.example';
const read = (integrity: ReadInvitationRecord['integrity'], overrides: Parameters<typeof pendingRecord>[0] = {}): ReadInvitationRecord => ({ integrity, record: { ...pendingRecord(overrides), resourceVersion: '5' } });
const accepted = { state: 'accepted' as const, acceptedAt: '2026-01-01T10:00:00Z' };
const acceptedStatus: TrustedStatus = { acceptedAt: '2026-01-01T10:00:00Z' };
const invitedStatus = (resend: number, recordSigned?: boolean): TrustedStatus => ({ invitation: { id: 'AbCdEf123456', resend, ...(recordSigned !== undefined ? { recordSigned } : {}) } });

describe('trustRecord', () => {
  it.each<{ name: string; read: ReadInvitationRecord | undefined; status: TrustedStatus | undefined; trust: string }>([
    { name: 'no Secret: absent', read: undefined, status: undefined, trust: 'absent' },
    { name: 'no Secret, status says accepted: absent (written again from status)', read: undefined, status: acceptedStatus, trust: 'absent' },
    { name: 'no Secret, status has an invitation from before signatures: absent', read: undefined, status: invitedStatus(0), trust: 'absent' },
    { name: 'no Secret while status says a signed invitation is pending: tampered (deleted by someone else)', read: undefined, status: invitedStatus(0, true), trust: 'tampered' },
    { name: 'signed pending: trusted', read: read('signed'), status: invitedStatus(0, true), trust: 'trusted' },
    { name: 'signed accepted, status empty (restored without status): trusted, the signature is the proof', read: read('signed', accepted), status: undefined, trust: 'trusted' },
    { name: 'signed accepted, status accepted: trusted', read: read('signed', accepted), status: acceptedStatus, trust: 'trusted' },
    { name: 'forged (state patched to accepted): tampered', read: read('forged', accepted), status: invitedStatus(0, true), trust: 'tampered' },
    { name: 'forged (revoked on an Active user): tampered', read: read('forged', { state: 'revoked' }), status: acceptedStatus, trust: 'tampered' },
    { name: 'forged and unreadable: tampered', read: { integrity: 'forged', record: undefined }, status: undefined, trust: 'tampered' },
    { name: 'signed but earlier: pending while status says accepted (a replay): tampered', read: read('signed', { state: 'revoked' }), status: acceptedStatus, trust: 'tampered' },
    { name: 'signed but earlier: a lower resend than status acted on (a replay): tampered', read: read('signed', { resend: 1 }), status: invitedStatus(2, true), trust: 'tampered' },
    { name: 'signed, of another address (an earlier User of the name), status accepted: tampered', read: read('signed', { ...accepted, email: 'john@acme.example' }), status: acceptedStatus, trust: 'tampered' },
    { name: 'signed, of another address, no status: trusted (the plan sees another address)', read: read('signed', { email: 'john@acme.example' }), status: undefined, trust: 'trusted' },
    { name: 'unsigned (upgrade), status accepted: legacy, signed again from status', read: read('unsigned', accepted), status: acceptedStatus, trust: 'legacy' },
    { name: 'unsigned (upgrade), status accepted, record says revoked: legacy, status decides', read: read('unsigned', { state: 'revoked' }), status: acceptedStatus, trust: 'legacy' },
    { name: 'unsigned saying accepted, status not accepted: tampered, grants nothing', read: read('unsigned', accepted), status: invitedStatus(0), trust: 'tampered' },
    { name: 'unsigned saying accepted, no status: tampered, grants nothing', read: read('unsigned', accepted), status: undefined, trust: 'tampered' },
    { name: 'unsigned pending (upgrade), status from before signatures: legacy', read: read('unsigned'), status: invitedStatus(0), trust: 'legacy' },
    { name: 'unsigned pending, status says it was signed (signature removed): tampered', read: read('unsigned'), status: invitedStatus(0, true), trust: 'tampered' },
  ])('$name', ({ read: r, status, trust }) => {
    expect(trustRecord(r, status, email).trust).toBe(trust);
  });

  it('says what to do, without secrets or timestamps', () => {
    expect(tamperedMessage('blink-invitation-jane', 'x', true)).toContain('delete that Secret');
    expect(tamperedMessage('blink-invitation-jane', 'x', false)).toContain('Increase spec.invitation.resend');
    expect(tamperedMessage('blink-invitation-jane', 'x', false)).not.toMatch(/\d{4}-\d{2}-\d{2}/);
  });
});
