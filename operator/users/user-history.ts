// The transitions of a User that status.history records (pure; user-history.test.ts),
// read off the status this reconcile writes anyway against the one it replaces:
// a history entry never causes a write of its own.
import { HISTORY_MAX } from '../api/history.js';
import type { Role, UserStatus } from '../api/index.js';
import { appendHistory } from '../runtime/history.js';
import type { SpecManagerLookup, Transition } from '../runtime/history.js';

/** What changed between `previous` and `next` (the role from spec), as history transitions. */
export function userTransitions(previous: UserStatus | undefined, next: UserStatus, role: Role, email: string): Transition[] {
  const out: Transition[] = [];
  const before = previous?.invitation;
  const after = next.invitation;
  if (after?.id && after.id !== before?.id) {
    out.push(
      before?.id || previous?.phase === 'Inactive' || previous?.acceptedAt
        ? { event: 'Invited', reason: 'Resent', message: `A new invitation was issued to ${email}; earlier links stop working`, fromSpec: true, field: 'invitation.resend' }
        : { event: 'Invited', reason: 'Created', message: `Invited ${email}`, fromSpec: true },
    );
  }
  if (after?.sentAt && after.sentAt !== before?.sentAt) out.push({ event: 'InvitationSent', reason: 'Sent', message: `The invitation email was handed to the SMTP server for ${email}` });
  const expired = (status: UserStatus | undefined): boolean => status?.conditions?.some((c) => c.type === 'InvitationExpired' && c.status === 'True') ?? false;
  if (expired(next) && !expired(previous)) out.push({ event: 'InvitationExpired', reason: 'Expired', message: 'The invitation link expired before it was accepted' });
  const from = previous?.phase;
  if (next.phase !== from) {
    if (next.phase === 'Active' && from === 'Inactive') out.push({ event: 'Reactivated', reason: 'SpecChanged', message: 'The user is active again (spec.active)', fromSpec: true, field: 'active' });
    else if (next.phase === 'Active') out.push({ event: 'Accepted', reason: 'InvitationLink', message: `${email} accepted the invitation through its emailed link` });
    else if (next.phase === 'Inactive') out.push({ event: 'Deactivated', reason: 'SpecChanged', message: 'The user was deactivated (spec.active is false) and has no access', fromSpec: true, field: 'active' });
  }
  if (previous?.role !== undefined && previous.role !== role) out.push({ event: 'RoleChanged', reason: 'SpecChanged', message: `Role changed from ${previous.role} to ${role}`, fromSpec: true, field: 'role' });
  return out;
}

/** `next` with the role in effect and the history: the previous one plus this pass's transitions. */
export function withUserHistory(previous: UserStatus | undefined, next: UserStatus, role: Role, email: string, now: number, specManager: string | SpecManagerLookup | undefined): UserStatus {
  const transitions = userTransitions(previous, next, role, email);
  const history = transitions.length > 0 ? appendHistory(previous?.history, transitions, now, specManager, HISTORY_MAX) : previous?.history;
  return { ...next, role, ...(history?.length ? { history } : {}) };
}
