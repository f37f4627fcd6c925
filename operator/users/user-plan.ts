// What the User controller does next, decided from what it observed (pure, table-tested in
// user-plan.test.ts; the finalizer is the controller's finalizer step, before this). The invitation record, not status, says whether the person
// accepted; status is only a copy for people.
import type { InvitationRecord } from '../invitations/invitation-record.js';
import type { InvitationSendDecision } from './invitation-quota.js';

/** Why the operator cannot act on a User (reported as Ready=False with this reason). */
export interface Blocker {
  /** Stable CamelCase reason, e.g. `NotInTenantNamespace`, `EmailDomainNotAllowed`. */
  readonly reason: string;
  readonly message: string;
}

/** The facts the plan depends on. */
export interface UserObservation {
  /** spec.active (default true). */
  readonly active: boolean;
  readonly email: string;
  /** spec.invitation.resend (default 0). */
  readonly resend: number;
  /** The invitation record, if its Secret exists and is believed (record-trust.ts: signed by the operator, not an earlier one put back). */
  readonly record: InvitationRecord | undefined;
  /**
   * What record-trust.ts made of the record Secret. `legacy`: unsigned, from before signatures;
   * `tampered`: not believed. @default `trusted` with a record, else `absent`
   */
  readonly trust?: 'absent' | 'trusted' | 'legacy' | 'tampered';
  /** status.invitation.resend: the resend counter of the last invitation the operator recorded (what a tampered record falls back on). */
  readonly lastResendInStatus?: number | undefined;
  /** status.acceptedAt: used only to rebuild a lost record, never to decide the phase alone. */
  readonly acceptedAtInStatus: string | undefined;
  readonly blocker: Blocker | undefined;
  readonly now: number;
  /** Longest wait between retries of a failed send. */
  readonly maxRetryDelayMs: number;
  /** What this process learnt from SMTP about the record's invitation but could not write yet. */
  readonly unrecorded?: UnrecordedOutcome | undefined;
  /** This process still has the record's email waiting or in flight in its send queue, or finished it and the cache has not shown the record it left (send-queue.ts). @default false */
  readonly sendInFlight?: boolean;
  /**
   * The identity provider vouches for this person: the User came through SCIM (source label scim)
   * and its Tenant has SCIM on with lifecycle ActiveAtOnce. Such a User is Active without an email.
   * @default false
   */
  readonly provisionedActive?: boolean;
}

/**
 * The SMTP outcome of an invitation this process sent, kept in memory until the record says it:
 * when the write after the 250 (or the refusal) fails (an API-server outage), the record stays
 * "sending", which on its own must read as "possibly delivered". The process that got the answer
 * knows better, and writes it on the next reconcile instead of reporting DeliveryUnconfirmed.
 */
export interface UnrecordedOutcome {
  readonly invitationId: string;
  /** The record fields the outcome sets (delivery, sentAt or the failure). */
  readonly fields: Partial<InvitationRecord>;
  readonly delivered: boolean;
}

/** First wait after a failed send; doubles per consecutive failure up to the maximum. */
export const FIRST_RETRY_DELAY_MS = 1_000;

/** How long to wait after `failedAttempts` consecutive failed sends. */
export function retryDelayMs(failedAttempts: number, maxMs: number): number {
  return Math.min(maxMs, FIRST_RETRY_DELAY_MS * 2 ** Math.min(Math.max(0, failedAttempts - 1), 30));
}

/** Why a new invitation is issued. */
export type IssueReason = 'Created' | 'Resend' | 'Reactivated' | 'RetryDelivery' | 'Interrupted' | 'EmailChanged' | 'Unsigned' | 'Replaced';

/** The one next step. */
export type UserPlan =
  /** New token (the old one dies), new expiry, new email. */
  | { readonly action: 'issue'; readonly reason: IssueReason }
  /** Mark the pending invitation revoked: its link stops working. */
  | { readonly action: 'revoke' }
  /**
   * The last send certainly failed and its backoff has not run out. The backoff lives in the
   * record, not only in the work queue: the record writes of each attempt trigger reconciles of
   * their own, which must not turn retries into a tight loop (nor may a restart).
   */
  | { readonly action: 'waitForRetry'; readonly retryInMs: number }
  /**
   * An invitation is due but the tenant sent its hourly cap of emails (Tenant
   * spec.invitationEmailsPerHour): nothing is written or sent; look again at `nextAt`.
   */
  | { readonly action: 'throttled'; readonly reason: IssueReason; readonly nextAt: number; readonly perHour: number }
  /** The identity provider vouches for the person (`provisionedActive`): record them accepted now, without an email. */
  | { readonly action: 'provisionActive' }
  /** The record is gone but status says the person accepted: write an accepted record back. */
  | { readonly action: 'restoreAccepted'; readonly acceptedAt: string }
  /** The record still says "sending" but this process has the SMTP answer: write it. */
  | { readonly action: 'recordOutcome'; readonly outcome: UnrecordedOutcome }
  | { readonly action: 'none' };

/**
 * The next step when the record is not believed (record-trust.ts): it grants nothing and takes
 * nothing away. A person status says accepted stays so; an Invited one gets a new invitation only
 * when the spec asks for one (a raised resend counter), or when status has no invitation to fall
 * back on. So editing the record never makes the operator send an email of its own accord.
 */
function planTampered(observed: UserObservation): UserPlan {
  if (observed.acceptedAtInStatus || observed.blocker || !observed.active) return { action: 'none' };
  if (observed.lastResendInStatus === undefined) return { action: 'issue', reason: 'Replaced' };
  return observed.resend > observed.lastResendInStatus ? { action: 'issue', reason: 'Resend' } : { action: 'none' };
}

/** Decides the next step for a User. */
export function planUser(observed: UserObservation): UserPlan {
  if (observed.trust === 'tampered') return planTampered(observed);
  if (observed.trust === 'legacy') {
    // An unsigned record from before signatures: signed again only from what status says, never from what it says.
    if (observed.acceptedAtInStatus) return { action: 'restoreAccepted', acceptedAt: observed.acceptedAtInStatus };
    return observed.blocker || !observed.active ? { action: 'none' } : { action: 'issue', reason: 'Unsigned' };
  }
  const record = observed.record && observed.record.email === observed.email ? observed.record : undefined;
  if (observed.blocker) return record?.state === 'pending' ? { action: 'revoke' } : { action: 'none' };
  if (!record) {
    // The acceptance is a durable fact: a lost record is rebuilt from status rather than re-inviting.
    if (observed.record === undefined && observed.acceptedAtInStatus) return { action: 'restoreAccepted', acceptedAt: observed.acceptedAtInStatus };
    if (!observed.active) return { action: 'none' };
    if (observed.provisionedActive) return { action: 'provisionActive' };
    return { action: 'issue', reason: observed.record ? 'EmailChanged' : 'Created' };
  }
  if (!observed.active) return record.state === 'pending' ? { action: 'revoke' } : { action: 'none' };
  if (observed.provisionedActive && record.state !== 'accepted') return { action: 'provisionActive' };
  switch (record.state) {
    case 'accepted':
      return { action: 'none' };
    case 'revoked':
      return { action: 'issue', reason: 'Reactivated' };
    case 'pending':
      if (observed.resend > record.resend) return { action: 'issue', reason: 'Resend' };
      // (Not while its send is still in this process's queue: the send writes the outcome itself.)
      if (record.delivery === 'sending' && observed.unrecorded?.invitationId === record.invitationId && !observed.sendInFlight) return { action: 'recordOutcome', outcome: observed.unrecorded };
      // Stopped before the end of the message left (a crash, a lost leadership): nothing reached anyone.
      // Unless this process is still sending it: then it is on its way.
      if (record.delivery === 'preparing') return observed.sendInFlight ? { action: 'none' } : { action: 'issue', reason: 'Interrupted' };
      // Only a delivery that certainly failed is retried; "sending" may have reached the person.
      if (record.delivery === 'failed') {
        const due = Date.parse(record.attemptedAt ?? record.issuedAt) + retryDelayMs(record.failedAttempts ?? 1, observed.maxRetryDelayMs);
        return observed.now >= due || Number.isNaN(due) ? { action: 'issue', reason: 'RetryDelivery' } : { action: 'waitForRetry', retryInMs: due - observed.now };
      }
      return { action: 'none' };
  }
}

/** Holds back an `issue` the tenant's hourly cap does not allow (`decision`, from decideInvitationSend); any other plan goes through. */
export function throttleIssue(plan: UserPlan, decision: InvitationSendDecision, perHour: number): UserPlan {
  if (plan.action !== 'issue' || decision.allowed) return plan;
  return { action: 'throttled', reason: plan.reason, nextAt: decision.nextAt, perHour };
}

/** Phase from intent and the record. */
export function phaseOf(active: boolean, record: InvitationRecord | undefined, email: string): 'Invited' | 'Active' | 'Inactive' {
  if (!active) return 'Inactive';
  return record?.state === 'accepted' && record.email === email ? 'Active' : 'Invited';
}
