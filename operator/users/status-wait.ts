// One status write per invitation on the normal path (pure; status-wait.test.ts). The pass that
// issues an invitation writes the "preparing" record and hands the email to the send queue; the
// status it would write ("Sending") is replaced within moments by the one the send's outcome
// brings ("Sent"), so the User controller leaves its status to that pass: one users/status PATCH
// per User instead of two. Until status records the invitation, this process remembers it
// (`IssuedInvitation`) and judges the record as if status already said it was signed
// (`believedStatus`): deleting the record or stripping its signature in that window is tampering,
// as it is once status says so. The memory is lost with the process, but so is the send: a
// restarted operator finds a signed record and writes status from it (record-trust.ts).
import type { UserStatus } from '../api/index.js';
import type { DeliveryState } from '../invitations/invitation-record.js';

/**
 * How long a User's status waits for the outcome of its email once the email is late: running this
 * long, or waiting its turn while the send queue started no send for this long (real elapsed time;
 * the send queue's `lateAfterMs`, which tells the controller). Then the "Sending" status is written
 * after all, so a slow or stuck relay never leaves a User without status for longer. An email
 * waiting its turn in a queue that keeps sending is not late: like the minimal client, the one
 * status write follows its outcome (at N = 2,000 a wait counted from the issue ran out for most
 * Users behind the queue: 1.6 status writes per User).
 */
export const STATUS_WAIT_MS = 10_000;

/**
 * Longest time a User's status waits in any case, counted from the issue: a net under the send
 * queue's notice of a late send (the pass the outcome or that notice brings comes long before).
 */
export const STATUS_WAIT_MAX_MS = 15 * 60_000;

/** An invitation this process issued (a signed "preparing" record) that status does not record yet. */
export interface IssuedInvitation {
  readonly invitationId: string;
  readonly expiresAt: string;
  /** spec.invitation.resend it answers. */
  readonly resend: number;
  /** When it was issued, monotonic milliseconds (performance.now()). */
  readonly issuedAtMs: number;
  /**
   * It replaces an invitation of this process whose send threw (taken up again): status then
   * waits {@link STATUS_WAIT_MS} from the first issue in all, however often the send is retried.
   */
  readonly takenUpAgain?: boolean;
}

/**
 * The status the operator last believed: `status`, plus the invitation this process issued and
 * did not record in status yet (signed, as every record it writes). Once status records that
 * invitation (or an acceptance) it is status alone.
 */
export function believedStatus(status: UserStatus | undefined, issued: IssuedInvitation | undefined): UserStatus | undefined {
  if (!issued || status?.acceptedAt || status?.invitation?.id === issued.invitationId) return status;
  return { ...(status ?? {}), invitation: { id: issued.invitationId, expiresAt: issued.expiresAt, resend: issued.resend, recordSigned: true } } as UserStatus;
}

/** Whether status records `issued` (or an acceptance), so the memory of it can go. */
export function statusRecords(status: UserStatus | undefined, issued: IssuedInvitation): boolean {
  return !!status?.acceptedAt || status?.invitation?.id === issued.invitationId;
}

/** What {@link statusMayWait} looks at. */
export interface StatusWaitFacts {
  /** The invitation this process issued and status does not record yet. */
  readonly issued: IssuedInvitation | undefined;
  /** The record this pass believes (after acting), if any. */
  readonly record: { readonly invitationId: string; readonly state: string; readonly delivery: DeliveryState } | undefined;
  /** The record's email is still in this process's send queue (waiting, in flight, or written and not yet seen in the cache). */
  readonly sendInFlight: boolean;
  /** The send queue says the email is late (running, or waiting on a stuck queue, for {@link STATUS_WAIT_MS}). */
  readonly sendLate: boolean;
  /** Anything status must say now rather than later: a blocker, a record not believed, a send that could not start or must be retried. */
  readonly mustReport: boolean;
  /** Monotonic milliseconds now. */
  readonly nowMs: number;
}

/**
 * Whether this pass may leave the User's status to the pass that follows its email's outcome: only
 * for the invitation this process issued, still pending and on its way (preparing or sending, its
 * send in this process and not late), nothing else to report, and for at most
 * {@link STATUS_WAIT_MAX_MS}. Returns how long it may wait (ms, > 0), or undefined: write now.
 */
export function statusMayWait(facts: StatusWaitFacts): number | undefined {
  const { issued, record } = facts;
  if (!issued || !record || facts.mustReport || !facts.sendInFlight || facts.sendLate) return undefined;
  if (record.invitationId !== issued.invitationId || record.state !== 'pending') return undefined;
  if (record.delivery !== 'preparing' && record.delivery !== 'sending') return undefined;
  const left = issued.issuedAtMs + (issued.takenUpAgain ? STATUS_WAIT_MS : STATUS_WAIT_MAX_MS) - facts.nowMs;
  return left > 0 ? left : undefined;
}

/** How far the operator's clock may trail the API server's when an invitation is told from an earlier User's (see {@link missedInvitation}). */
const CLOCK_SKEW_MS = 60_000;

/**
 * The invitation a pass must record in status.history before what the record says now, because
 * status never recorded it: the person accepted (the record says so) before the one status write
 * of the invitation happened (the wait of this file, or a restart in between). Only an emailed
 * invitation (with a token) issued for this User object (not before it was created: a User
 * restored from a backup finds its earlier record, and was not invited again). Undefined: none.
 */
export function missedInvitation(
  record: { readonly invitationId: string; readonly tokenHash: string; readonly state: string; readonly issuedAt: string; readonly expiresAt: string; readonly resend: number; readonly sentAt?: string } | undefined,
  status: UserStatus | undefined,
  createdAt: string | undefined,
): NonNullable<UserStatus['invitation']> | undefined {
  if (!record || record.state !== 'accepted' || record.tokenHash === '' || status?.acceptedAt || status?.invitation?.id === record.invitationId) return undefined;
  const issued = Date.parse(record.issuedAt);
  const created = createdAt ? Date.parse(createdAt) : Number.NaN;
  if (Number.isNaN(issued) || Number.isNaN(created) || issued < created - CLOCK_SKEW_MS) return undefined;
  return { id: record.invitationId, ...(record.sentAt ? { sentAt: record.sentAt } : {}), expiresAt: record.expiresAt, resend: record.resend, recordSigned: true };
}
