import { describe, expect, it } from 'vitest';
import type { UserStatus } from '../api/index.js';
import { pendingRecord } from '../invitations/invitation-record.fixture.js';
import { DELIVERY_UNCONFIRMED_MESSAGE, deriveUserStatus, MAX_EXPIRY_REQUEUE_MS } from './user-status.js';
import type { UserStatusInputs } from './user-status.js';

const NOW = Date.parse('2026-01-02T00:00:00Z');
const pending = pendingRecord({ resend: 2, messageId: '<m>' });
const base: UserStatusInputs = {
  generation: 3,
  active: true,
  email: 'jane@acme.example',
  groups: ['devs'],
  workspaces: ['prod', 'dev'],
  existingGroups: new Set(['devs']),
  existingWorkspaces: new Set(['prod', 'dev']),
  record: pending,
  blocker: undefined,
  sendProblem: undefined,
  previous: undefined,
  now: NOW,
};

function conditions(status: UserStatus): Record<string, string> {
  return Object.fromEntries((status.conditions ?? []).map((c) => [c.type, `${c.status}/${c.reason}`]));
}

describe('deriveUserStatus', () => {
  const cases: { name: string; input: Partial<UserStatusInputs>; phase: string; conditions: Record<string, string> }[] = [
    {
      name: 'invited, sent, valid',
      input: {},
      phase: 'Invited',
      conditions: { Ready: 'False/InvitationPending', InvitationSent: 'True/Sent', InvitationExpired: 'False/NotExpired', ReferencesResolved: 'True/AllReferencesResolved' },
    },
    {
      name: 'invited, delivery unconfirmed',
      input: { record: { ...pending, delivery: 'sending' } },
      phase: 'Invited',
      conditions: { Ready: 'False/InvitationPending', InvitationSent: 'Unknown/DeliveryUnconfirmed', InvitationExpired: 'False/NotExpired', ReferencesResolved: 'True/AllReferencesResolved' },
    },
    {
      name: 'invited, SMTP failed',
      input: { record: { ...pending, delivery: 'failed', deliveryError: 'EPROTOCOL 421: down' } },
      phase: 'Invited',
      conditions: { Ready: 'False/InvitationPending', InvitationSent: 'False/SmtpError', InvitationExpired: 'False/NotExpired', ReferencesResolved: 'True/AllReferencesResolved' },
    },
    {
      name: 'invited, the server offered no STARTTLS and TLS is required',
      input: { record: { ...pending, delivery: 'failed', deliveryError: 'ETLS 502: Error upgrading connection with STARTTLS', deliveryFailure: 'SmtpTlsRequired' } },
      phase: 'Invited',
      conditions: { Ready: 'False/InvitationPending', InvitationSent: 'False/SmtpTlsRequired', InvitationExpired: 'False/NotExpired', ReferencesResolved: 'True/AllReferencesResolved' },
    },
    {
      name: 'invited, the TLS handshake failed',
      input: { record: { ...pending, delivery: 'failed', deliveryError: 'ETLS: self-signed certificate', deliveryFailure: 'SmtpTlsFailed' } },
      phase: 'Invited',
      conditions: { Ready: 'False/InvitationPending', InvitationSent: 'False/SmtpTlsFailed', InvitationExpired: 'False/NotExpired', ReferencesResolved: 'True/AllReferencesResolved' },
    },
    {
      name: 'invited, expired: phase stays Invited',
      input: { now: Date.parse('2026-01-08T00:00:00Z') },
      phase: 'Invited',
      conditions: { Ready: 'False/InvitationPending', InvitationSent: 'True/Sent', InvitationExpired: 'True/Expired', ReferencesResolved: 'True/AllReferencesResolved' },
    },
    {
      name: 'no SMTP settings yet',
      input: { record: undefined, sendProblem: { reason: 'SmtpNotConfigured', message: 'no SMTP' } },
      phase: 'Invited',
      conditions: { Ready: 'False/InvitationPending', InvitationSent: 'False/SmtpNotConfigured', ReferencesResolved: 'True/AllReferencesResolved' },
    },
    {
      name: 'accepted: Active, invitation conditions gone',
      input: { record: { ...pending, state: 'accepted', acceptedAt: '2026-01-01T10:00:00Z' } },
      phase: 'Active',
      conditions: { Ready: 'True/Active', ReferencesResolved: 'True/AllReferencesResolved' },
    },
    {
      name: 'deactivated after accepting',
      input: { active: false, record: { ...pending, state: 'accepted', acceptedAt: '2026-01-01T10:00:00Z' } },
      phase: 'Inactive',
      conditions: { Ready: 'True/Inactive', ReferencesResolved: 'True/AllReferencesResolved' },
    },
    {
      name: 'deactivated before accepting',
      input: { active: false, record: { ...pending, state: 'revoked' } },
      phase: 'Inactive',
      conditions: { Ready: 'True/Inactive', ReferencesResolved: 'True/AllReferencesResolved' },
    },
    {
      name: 'missing references',
      input: { groups: ['devs', 'ghosts'], workspaces: ['prod', 'nowhere'] },
      phase: 'Invited',
      conditions: { Ready: 'False/InvitationPending', InvitationSent: 'True/Sent', InvitationExpired: 'False/NotExpired', ReferencesResolved: 'False/MissingReferences' },
    },
    {
      name: 'blocked',
      input: { blocker: { reason: 'NotInTenantNamespace', message: 'no tenant' } },
      phase: 'Invited',
      conditions: { Ready: 'False/NotInTenantNamespace', ReferencesResolved: 'True/AllReferencesResolved' },
    },
  ];

  it.each(cases)('$name', ({ input, phase, conditions: expected }) => {
    const { status } = deriveUserStatus({ ...base, ...input });
    expect(status.phase).toBe(phase);
    expect(conditions(status)).toEqual(expected);
    for (const condition of status.conditions ?? []) expect(condition.observedGeneration).toBe(3);
  });

  it('lists existing groups and workspaces in declared order, and names the missing ones', () => {
    const { status } = deriveUserStatus({ ...base, groups: ['devs', 'ghosts', 'devs'], workspaces: ['nowhere', 'prod', 'dev', 'void'] });
    expect(status.groups).toEqual(['devs']);
    expect(status.workspaces).toEqual(['prod', 'dev']);
    expect(status.conditions?.find((c) => c.type === 'ReferencesResolved')?.message).toBe('Group "ghosts" does not exist; Workspaces "nowhere", "void" do not exist');
  });

  it('reports the pending invitation, the acted-on resend counter, and requeues at the expiry (capped)', () => {
    const { status, requeueAfterMs } = deriveUserStatus(base);
    expect(status.invitation).toEqual({ id: 'AbCdEf123456', sentAt: '2026-01-01T00:00:01Z', expiresAt: '2026-01-08T00:00:00Z', resend: 2, recordSigned: true });
    expect(requeueAfterMs).toBe(MAX_EXPIRY_REQUEUE_MS);
    const soon = deriveUserStatus({ ...base, record: { ...pending, expiresAt: '2026-01-02T00:00:05Z' } });
    expect(soon.requeueAfterMs).toBe(5_000);
    expect(deriveUserStatus({ ...base, now: Date.parse('2026-01-09T00:00:00Z') }).requeueAfterMs).toBeUndefined();
  });

  it('tells the admin how to get out of an unconfirmed delivery', () => {
    const { status } = deriveUserStatus({ ...base, record: { ...pending, delivery: 'sending' } });
    expect(status.conditions?.find((c) => c.type === 'InvitationSent')?.message).toBe(DELIVERY_UNCONFIRMED_MESSAGE);
    expect(DELIVERY_UNCONFIRMED_MESSAGE).toContain('spec.invitation.resend');
  });

  it('puts the SMTP error in the condition', () => {
    const { status } = deriveUserStatus({ ...base, record: { ...pending, delivery: 'failed', deliveryError: 'ESOCKET: connect ECONNREFUSED 127.0.0.1:25' } });
    expect(status.conditions?.find((c) => c.type === 'InvitationSent')?.message).toContain('ECONNREFUSED');
  });

  it('is stable: deriving again from its own output changes nothing (no write)', () => {
    const first = deriveUserStatus(base).status;
    const second = deriveUserStatus({ ...base, previous: first, now: NOW + 60_000 }).status;
    expect(second).toEqual(first);
  });

  describe('with a record that is not believed (tampered)', () => {
    const tampered = { reason: 'InvitationRecordTampered', message: 'The invitation record Secret blink-invitation-jane was changed' };
    const invitedBefore = deriveUserStatus(base).status;
    const activeBefore = deriveUserStatus({ ...base, record: { ...pending, state: 'accepted', acceptedAt: '2026-01-01T10:00:00Z' } }).status;

    it('an Active user stays Active with its acceptance, Ready=False says why', () => {
      const { status } = deriveUserStatus({ ...base, record: undefined, tampered, previous: activeBefore });
      expect(status.phase).toBe('Active');
      expect(status.acceptedAt).toBe('2026-01-01T10:00:00Z');
      expect(conditions(status)).toEqual({ Ready: 'False/InvitationRecordTampered', ReferencesResolved: 'True/AllReferencesResolved' });
    });

    it('an Invited user stays Invited with the invitation status last recorded, not what the record says', () => {
      const { status } = deriveUserStatus({ ...base, record: undefined, tampered, previous: invitedBefore });
      expect(status.phase).toBe('Invited');
      expect(status.acceptedAt).toBeUndefined();
      expect(status.invitation).toEqual(invitedBefore.invitation);
      expect(conditions(status)).toEqual({ Ready: 'False/InvitationRecordTampered', InvitationSent: 'True/Sent', InvitationExpired: 'False/NotExpired', ReferencesResolved: 'True/AllReferencesResolved' });
    });

    it('a user without status (restored) is Invited, and deactivation still makes it Inactive', () => {
      expect(deriveUserStatus({ ...base, record: undefined, tampered, previous: undefined }).status.phase).toBe('Invited');
      expect(deriveUserStatus({ ...base, active: false, record: undefined, tampered, previous: activeBefore }).status.phase).toBe('Inactive');
    });

    it('a blocker (e.g. DuplicateEmail) is what Ready shows', () => {
      const { status } = deriveUserStatus({ ...base, record: undefined, tampered, blocker: { reason: 'DuplicateEmail', message: 'owned by jane' }, previous: invitedBefore });
      expect(conditions(status).Ready).toBe('False/DuplicateEmail');
    });
  });

  it('keeps transition times of unchanged conditions and drops ones that no longer apply', () => {
    const invited = deriveUserStatus(base).status;
    const active = deriveUserStatus({ ...base, previous: invited, now: NOW + 1000_000, record: { ...pending, state: 'accepted', acceptedAt: '2026-01-02T00:10:00Z' } }).status;
    expect(active.invitation).toBeUndefined();
    expect(active.acceptedAt).toBe('2026-01-02T00:10:00Z');
    const refs = (s: UserStatus) => s.conditions?.find((c) => c.type === 'ReferencesResolved')?.lastTransitionTime;
    expect(refs(active)).toBe(refs(invited));
    expect(active.conditions?.map((c) => c.type)).toEqual(['Ready', 'ReferencesResolved']);
  });
});
