// The status a User should have, derived from spec, the invitation record and the caches
// (pure; user-status.test.ts). Condition messages carry no timestamps and no secrets, so a
// reconcile that changes nothing produces an identical status and no write.
import { REASONS } from '../api/index.js';
import type { UserStatus } from '../api/index.js';
import { SMTP_FAILURE_REASONS } from '../invitations/smtp.js';
import { isExpired } from '../invitations/token.js';
import type { Condition, ConditionInput } from '../runtime/conditions.js';
import { setCondition } from '../runtime/conditions.js';
import type { InvitationRecord } from '../invitations/invitation-record.js';
import type { Blocker } from './user-plan.js';
import { phaseOf } from './user-plan.js';

/** Condition types of a User. */
export const USER_CONDITIONS = {
  ready: 'Ready',
  invitationSent: 'InvitationSent',
  invitationExpired: 'InvitationExpired',
  referencesResolved: 'ReferencesResolved',
} as const;

/** Longest wait before looking at an invitation again (timers past ~24 days overflow; an hour keeps it cheap). */
export const MAX_EXPIRY_REQUEUE_MS = 3_600_000;

/** Inputs of {@link deriveUserStatus}. */
export interface UserStatusInputs {
  readonly generation: number | undefined;
  readonly active: boolean;
  readonly email: string;
  readonly groups: readonly string[];
  readonly workspaces: readonly string[];
  readonly existingGroups: ReadonlySet<string>;
  readonly existingWorkspaces: ReadonlySet<string>;
  readonly record: InvitationRecord | undefined;
  readonly blocker: Blocker | undefined;
  /** Why the invitation could not even be attempted (e.g. no SMTP settings). */
  readonly sendProblem: Blocker | undefined;
  /**
   * The record Secret is not believed (record-trust.ts; `record` is then undefined): phase,
   * invitation and acceptance stay as `previous` says, Ready=False says why.
   */
  readonly tampered?: Blocker | undefined;
  readonly previous: UserStatus | undefined;
  readonly now: number;
}

/** The derived status and when to look again (for the expiry to show). */
export interface DerivedUserStatus {
  readonly status: UserStatus;
  readonly requeueAfterMs: number | undefined;
}

/** Message of InvitationSent=Unknown: the admin's way out without risking a second email. */
export const DELIVERY_UNCONFIRMED_MESSAGE =
  'The invitation email was handed to the SMTP server but its delivery was not confirmed (the operator stopped or lost the connection). ' +
  'It is not sent again automatically, so the person is never mailed twice; if they did not get it, increase spec.invitation.resend.';

function quoteList(names: readonly string[]): string {
  return names.map((n) => `"${n}"`).join(', ');
}

function missingMessage(kind: string, names: readonly string[]): string {
  return names.length === 1 ? `${kind} ${quoteList(names)} does not exist` : `${kind}s ${quoteList(names)} do not exist`;
}

/** Derives the whole status of a User. */
export function deriveUserStatus(input: UserStatusInputs): DerivedUserStatus {
  const { tampered } = input;
  const record = !tampered && input.record && input.record.email === input.email ? input.record : undefined;
  const phase = tampered ? lastTrustedPhase(input.active, input.previous) : phaseOf(input.active, record, input.email);
  const generation = input.generation !== undefined ? { observedGeneration: input.generation } : {};
  const groups = unique(input.groups).filter((g) => input.existingGroups.has(g));
  const workspaces = unique(input.workspaces).filter((w) => input.existingWorkspaces.has(w));
  const missingGroups = unique(input.groups).filter((g) => !input.existingGroups.has(g));
  const missingWorkspaces = unique(input.workspaces).filter((w) => !input.existingWorkspaces.has(w));

  const conditions: ConditionInput[] = [];
  const ready = readyCondition(phase, input.blocker ?? tampered, input.email);
  conditions.push({ type: USER_CONDITIONS.ready, ...ready, ...generation });

  let requeueAfterMs: number | undefined;
  const pending = phase === 'Invited' && record?.state === 'pending' ? record : undefined;
  if (tampered && phase === 'Invited' && !input.blocker && input.sendProblem) {
    conditions.push({ type: USER_CONDITIONS.invitationSent, status: 'False', reason: input.sendProblem.reason, message: input.sendProblem.message, ...generation });
  }
  if (phase === 'Invited' && !input.blocker && !tampered) {
    const sent = sentCondition(pending, input.sendProblem, input.email);
    if (sent) conditions.push({ type: USER_CONDITIONS.invitationSent, ...sent, ...generation });
    if (pending) {
      const expiry = new Date(pending.expiresAt);
      const expired = isExpired(expiry, new Date(input.now));
      conditions.push({
        type: USER_CONDITIONS.invitationExpired,
        status: expired ? 'True' : 'False',
        reason: expired ? 'Expired' : 'NotExpired',
        message: expired ? 'The invitation link has expired; increase spec.invitation.resend to send a new one' : 'The invitation link is valid',
        ...generation,
      });
      if (!expired) requeueAfterMs = Math.min(MAX_EXPIRY_REQUEUE_MS, expiry.getTime() - input.now);
    }
  }
  conditions.push({
    type: USER_CONDITIONS.referencesResolved,
    ...(missingGroups.length + missingWorkspaces.length === 0
      ? { status: 'True' as const, reason: REASONS.allReferencesResolved, message: 'Every Group and Workspace in spec exists' }
      : {
          status: 'False' as const,
          reason: REASONS.missingReferences,
          message: [missingGroups.length ? missingMessage('Group', missingGroups) : '', missingWorkspaces.length ? missingMessage('Workspace', missingWorkspaces) : '']
            .filter(Boolean)
            .join('; '),
        }),
    ...generation,
  });

  // Conditions that no longer apply (e.g. InvitationSent once Active) are dropped; the rest keep their transition times.
  const kept = new Set(conditions.map((c) => c.type));
  // A record that is not believed says nothing new about the invitation: what status said stays.
  if (tampered && phase === 'Invited' && !input.blocker) for (const type of [USER_CONDITIONS.invitationSent, USER_CONDITIONS.invitationExpired]) kept.add(type);
  let list: Condition[] = (input.previous?.conditions ?? []).filter((c) => kept.has(c.type)) as Condition[];
  for (const condition of conditions) list = setCondition(list, condition, input.now);

  const status: UserStatus = {
    phase,
    groups,
    workspaces,
    ...(pending
      ? {
          invitation: {
            id: pending.invitationId,
            ...(pending.sentAt ? { sentAt: pending.sentAt } : {}),
            expiresAt: pending.expiresAt,
            resend: pending.resend,
            // Every record the controller derives status from is signed (record-trust.ts).
            recordSigned: true,
          },
        }
      : {}),
    ...(tampered && phase === 'Invited' && input.previous?.invitation ? { invitation: input.previous.invitation } : {}),
    ...(record?.state === 'accepted' && record.acceptedAt ? { acceptedAt: record.acceptedAt, acceptedBy: acceptedBy(record) } : {}),
    ...(tampered && input.previous?.acceptedAt ? { acceptedAt: input.previous.acceptedAt, ...(input.previous.acceptedBy ? { acceptedBy: input.previous.acceptedBy } : {}) } : {}),
    conditions: list,
    ...(input.generation !== undefined ? { observedGeneration: input.generation } : {}),
  };
  return { status, requeueAfterMs };
}

/** How the record says the person accepted: signed in at an issuer, or the link alone. */
function acceptedBy(record: { readonly acceptedIssuer?: string }): NonNullable<UserStatus['acceptedBy']> {
  return record.acceptedIssuer !== undefined ? { method: 'IdentityProviderSignIn', issuer: record.acceptedIssuer } : { method: 'InvitationLink' };
}

/** The phase status last recorded, by intent: Active or Inactive once status says the person accepted, else Invited or Inactive. */
export function lastTrustedPhase(active: boolean, previous: Pick<UserStatus, 'acceptedAt'> | undefined): 'Invited' | 'Active' | 'Inactive' {
  if (!active) return 'Inactive';
  return previous?.acceptedAt ? 'Active' : 'Invited';
}

function readyCondition(phase: string, blocker: Blocker | undefined, email: string): Omit<ConditionInput, 'type'> {
  if (blocker) return { status: 'False', reason: blocker.reason, message: blocker.message };
  switch (phase) {
    case 'Active':
      return { status: 'True', reason: 'Active', message: `${email} accepted the invitation and is active` };
    case 'Inactive':
      return { status: 'True', reason: 'Inactive', message: 'The user is deactivated (spec.active is false) and has no access' };
    default:
      return { status: 'False', reason: 'InvitationPending', message: `Waiting for ${email} to accept the invitation` };
  }
}

function sentCondition(pending: InvitationRecord | undefined, problem: Blocker | undefined, email: string): Omit<ConditionInput, 'type'> | undefined {
  if (problem) return { status: 'False', reason: problem.reason, message: problem.message };
  if (!pending) return undefined;
  switch (pending.delivery) {
    case 'sent':
      return { status: 'True', reason: 'Sent', message: `The invitation was emailed to ${email}` };
    case 'failed': {
      const error = pending.deliveryError ?? 'unknown SMTP error';
      switch (pending.deliveryFailure) {
        case SMTP_FAILURE_REASONS.tlsRequired:
          return {
            status: 'False',
            reason: SMTP_FAILURE_REASONS.tlsRequired,
            message: `The SMTP server did not accept STARTTLS and the SMTP Secret requires TLS (requireTLS), so nothing was sent in plaintext; retrying with backoff: ${error}`,
          };
        case SMTP_FAILURE_REASONS.tlsFailed:
          return {
            status: 'False',
            reason: SMTP_FAILURE_REASONS.tlsFailed,
            message: `The TLS connection to the SMTP server failed (is its certificate signed by a trusted CA? see caCert in the SMTP Secret); retrying with backoff: ${error}`,
          };
        default:
          return { status: 'False', reason: SMTP_FAILURE_REASONS.error, message: `Sending the invitation failed, retrying with backoff: ${error}` };
      }
    }
    case 'preparing':
      return { status: 'Unknown', reason: 'Sending', message: `The invitation email to ${email} is on its way to the SMTP server` };
    case 'sending':
      return { status: 'Unknown', reason: 'DeliveryUnconfirmed', message: DELIVERY_UNCONFIRMED_MESSAGE };
  }
}

function unique(names: readonly string[]): string[] {
  return [...new Set(names)];
}
