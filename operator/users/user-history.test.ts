import { describe, expect, it } from 'vitest';
import type { UserStatus } from '../api/index.js';
import { userTransitions, withUserHistory } from './user-history.js';

const E = 'jane@example.com';
const invited: UserStatus = { phase: 'Invited', role: 'Builder', invitation: { id: 'i1', expiresAt: '2026-01-08T00:00:00Z', resend: 0 } };
const sent: UserStatus = { ...invited, invitation: { ...invited.invitation, sentAt: '2026-01-01T00:00:01Z' } };
const active: UserStatus = { phase: 'Active', role: 'Builder', acceptedAt: '2026-01-02T00:00:00Z' };

describe('userTransitions', () => {
  it.each<[string, UserStatus | undefined, UserStatus, 'Admin' | 'Builder' | 'Consumer', string[]]>([
    ['created: invited', undefined, invited, 'Builder', ['Invited/Created']],
    ['the email went out', invited, sent, 'Builder', ['InvitationSent/Sent']],
    ['resend: a new invitation', sent, { ...invited, invitation: { id: 'i2', expiresAt: 'x', resend: 1 } }, 'Builder', ['Invited/Resent']],
    ['accepted', sent, active, 'Builder', ['Accepted/InvitationLink']],
    ['the link expired (once)', sent, { ...sent, conditions: [{ type: 'InvitationExpired', status: 'True', reason: 'Expired', message: '', lastTransitionTime: 'x' }] }, 'Builder', ['InvitationExpired/Expired']],
    ['deactivated', active, { ...active, phase: 'Inactive' }, 'Builder', ['Deactivated/SpecChanged']],
    ['re-activated', { ...active, phase: 'Inactive' }, active, 'Builder', ['Reactivated/SpecChanged']],
    ['role changed', active, active, 'Admin', ['RoleChanged/SpecChanged']],
    ['nothing changed: nothing recorded', active, active, 'Builder', []],
    ['an upgrade from a status without role records no role change', { phase: 'Active' }, active, 'Admin', []],
  ])('%s', (_what, previous, next, role, expected) => {
    expect(userTransitions(previous, next, role, E).map((t) => `${t.event}/${t.reason}`)).toEqual(expected);
  });

  it('adds the role and the history to the status, and no history when nothing happened', () => {
    const next = withUserHistory(active, { ...active, phase: 'Inactive' }, 'Builder', E, Date.UTC(2026, 0, 3), 'kubectl-patch');
    expect(next.history).toEqual([{ at: '2026-01-03T00:00:00Z', event: 'Deactivated', reason: 'SpecChanged', message: 'The user was deactivated (spec.active is false) and has no access', by: 'kubectl-patch' }]);
    expect(withUserHistory(active, active, 'Builder', E, 0, undefined)).toEqual(active);
  });
});
