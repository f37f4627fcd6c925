// The tenant's hourly cap on invitation emails (Tenant spec.invitationEmailsPerHour), so that a
// tenant Admin cannot mail any address without limit (new users, resend loops, create/delete
// loops). The decision is pure (decideInvitationSend, table-tested); what it counts comes from
// the invitation records, which carry their recent emails and survive restarts, merged into an
// in-memory ledger that also remembers what this process sent since: a record the cache has not
// caught up with yet, or one whose User was deleted since.
import type { InvitationRecord, SentEmail } from '../invitations/invitation-record.js';

/** The window the cap is counted over: one hour, sliding. */
export const INVITATION_WINDOW_MS = 3_600_000;

/** May the tenant send an invitation email now? */
export type InvitationSendDecision =
  | { readonly allowed: true; readonly sentInWindow: number }
  /** `nextAt`: the first instant at which one more email fits in the window. */
  | { readonly allowed: false; readonly sentInWindow: number; readonly nextAt: number };

/** Decides from the times of the tenant's emails (ms), the cap, and now. */
export function decideInvitationSend(sentAt: readonly number[], perHour: number, now: number): InvitationSendDecision {
  const cap = Math.max(1, Math.floor(perHour));
  // An email counts for an hour after it went out; one stamped in the future (clock skew) counts too.
  const inWindow = sentAt.filter((at) => at > now - INVITATION_WINDOW_MS).sort((a, b) => a - b);
  if (inWindow.length < cap) return { allowed: true, sentInWindow: inWindow.length };
  // Once all but cap - 1 of them have left the window, one more fits.
  const leaving = inWindow[inWindow.length - cap] as number;
  return { allowed: false, sentInWindow: inWindow.length, nextAt: leaving + INVITATION_WINDOW_MS };
}

/** The emails a record accounts for: its recent emails, or for a record older than them, its current email. */
export function emailsOfRecord(record: InvitationRecord): readonly SentEmail[] {
  if (record.recentEmails) return record.recentEmails;
  if (record.delivery === 'failed') return [];
  const at = Date.parse(record.attemptedAt ?? record.sentAt ?? '');
  return Number.isNaN(at) ? [] : [{ invitationId: record.invitationId, at }];
}

/** The emails of a record after a new send started (`email`): the last hour's, plus this one. */
export function withEmail(previous: InvitationRecord | undefined, email: SentEmail, limit: number): readonly SentEmail[] {
  // An invitation interrupted before its message could be accepted (still "preparing") never went out.
  const interrupted = previous?.delivery === 'preparing' ? previous.invitationId : undefined;
  const recent = (previous ? emailsOfRecord(previous) : []).filter((e) => e.at > email.at - INVITATION_WINDOW_MS && e.invitationId !== email.invitationId && e.invitationId !== interrupted);
  return [...recent, email].slice(-Math.max(1, limit));
}

/**
 * Emails per tenant, by invitation id, within the window. Merging is a union: a stale copy of a
 * record from the cache never removes what a newer one added; an email that certainly failed is
 * forgotten and stays forgotten (a stale copy that still lists it does not bring it back).
 */
export class InvitationLedger {
  private readonly tenants = new Map<string, Map<string, number>>();
  private readonly failed = new Map<string, number>();

  /** Adds emails of `tenant` (idempotent). */
  merge(tenant: string, emails: Iterable<SentEmail>): void {
    let known = this.tenants.get(tenant);
    for (const email of emails) {
      if (this.failed.has(email.invitationId)) continue;
      if (!known) this.tenants.set(tenant, (known = new Map()));
      known.set(email.invitationId, email.at);
    }
  }

  /** An email that certainly was not accepted: it does not count. */
  forget(tenant: string, invitationId: string, now: number): void {
    this.tenants.get(tenant)?.delete(invitationId);
    this.failed.set(invitationId, now);
  }

  /** The times of `tenant`'s emails within the window ending `now`; prunes older ones. */
  sends(tenant: string, now: number): number[] {
    const cutoff = now - INVITATION_WINDOW_MS;
    for (const [id, at] of this.failed) if (at <= cutoff) this.failed.delete(id);
    const known = this.tenants.get(tenant);
    if (!known) return [];
    for (const [id, at] of known) if (at <= cutoff) known.delete(id);
    if (known.size === 0) this.tenants.delete(tenant);
    return [...known.values()];
  }
}
