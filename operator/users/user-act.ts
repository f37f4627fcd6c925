// The act step of the User controller: carries out a UserPlan on the invitation
// record (a Secret), the mailer and Events. Email goes out at least once and
// never twice for one invitation: the record says "sending" BEFORE the message
// goes to SMTP and "sent" after the 250; a record still "sending" after a crash
// is treated as possibly delivered. Table-tested against the fake writer and a
// recording mailer (user-act.test.ts).
import addressparser from 'nodemailer/lib/addressparser';
import { INVITATION_EMAILS_PER_HOUR_MAX } from '../api/index.js';
import type { Role, Tenant, User } from '../api/index.js';
import type { RandomBytes } from '../apikeys/random.js';
import { ACCEPTANCE_PREFIX } from '../invitations/acceptance-page.js';
import { renderInvitationEmail } from '../invitations/email.js';
import { invitationMessageId, invitationSecretName, isRecordOf, plainRecord, secretFromRecord } from '../invitations/invitation-record.js';
import type { InvitationRecord, RecordLocation, SecretObject, StoredInvitationRecord } from '../invitations/invitation-record.js';
import { loadSmtpSettings, SmtpSettingsError } from '../invitations/smtp.js';
import type { DeliveryResult, Mailer, SmtpSettings, SmtpSettingsCache } from '../invitations/smtp.js';
import { DEFAULT_INVITATION_TTL, expiresAt, generateInvitationToken, hashInvitationToken } from '../invitations/token.js';
import { kubeTime } from '../runtime/conditions.js';
import { isConflict, isNotFound, TransientError } from '../runtime/errors.js';
import { builtinKinds } from '../runtime/kinds.js';
import type { KubeObject } from '../runtime/kinds.js';
import type { ActContext } from '../runtime/kube-writer.js';
import { withEmail } from './invitation-quota.js';
import type { Blocker, IssueReason, UnrecordedOutcome, UserPlan } from './user-plan.js';
import type { InvitationSendQueue } from './send-queue.js';

type UserObject = User & KubeObject;

/** What the act step needs besides the plan. */
export interface UserActInput {
  readonly user: UserObject;
  /** The tenant (defined whenever the plan issues an invitation). */
  readonly tenant: Tenant | undefined;
  readonly location: RecordLocation;
  /** The record as read from the cache, and the resourceVersion of its Secret. */
  readonly stored: StoredInvitationRecord | undefined;
  readonly resourceVersion: string | undefined;
  readonly now: () => number;
  readonly mailer: Mailer;
  readonly smtpSecret: { readonly namespace: string; readonly name: string } | undefined;
  /** Where the SMTP settings are read through (the controller's, kept across reconciles). @default read live for every invitation */
  readonly smtpSettings?: SmtpSettingsCache | undefined;
  /** Base URL of the acceptance page for the tenant. */
  readonly publicUrl: string;
  readonly random?: RandomBytes | undefined;
  /** Signs every record written (runtime/record-signing.ts). */
  readonly signingKey: Buffer;
  /**
   * Where the email of an issued invitation goes out (send-queue.ts): the act step writes the
   * "preparing" record and returns; SMTP runs in the queue. @default sent here, awaited
   */
  readonly sendQueue?: InvitationSendQueue | undefined;
  /** Aborts when this replica stops leading: a send not yet at the end of its message is abandoned. */
  readonly signal?: AbortSignal | undefined;
  /** Told the record a queued send ended with (the controller's hourly-cap ledger forgets a failed one). */
  readonly onDelivered?: ((record: StoredInvitationRecord) => void) | undefined;
  /**
   * SMTP outcomes not written to their record yet, by invitation id (the controller's, kept across
   * reconciles): set before the write that follows SMTP, cleared once a write succeeded.
   */
  readonly unrecorded?: Map<string, UnrecordedOutcome> | undefined;
}

/** What acting produced: the record as it now is, why sending could not start, and whether to retry. */
export interface UserActResult {
  readonly record: StoredInvitationRecord | undefined;
  readonly sendProblem?: Blocker;
  /** Retry with backoff after writing status (SMTP failures). */
  readonly retry?: string;
  /** Look again after this long (a send's backoff that has not run out). */
  readonly retryInMs?: number;
  /** The issued invitation's email was handed to the send queue: `record` is its "preparing" record. */
  readonly queued?: boolean;
}

const ISSUE_NOTES: Readonly<Record<IssueReason, string>> = {
  Created: 'Emailed an invitation',
  Resend: 'Emailed a new invitation (resend requested); the previous link no longer works',
  Reactivated: 'Emailed a new invitation (re-activated before accepting)',
  RetryDelivery: 'Emailed the invitation after an SMTP failure',
  Interrupted: 'Emailed the invitation again: the previous attempt stopped before its email could be accepted (the operator restarted)',
  EmailChanged: 'Emailed an invitation to the new address',
  Unsigned: "Emailed a new invitation: the previous one was recorded without the operator's signature (by an older version) and cannot be trusted; its link no longer works",
  Replaced: 'Emailed a new invitation in place of one whose record was changed by someone other than the operator',
};

/** Carries out `plan`. */
export async function applyUserPlan(act: ActContext, plan: UserPlan, input: UserActInput): Promise<UserActResult> {
  const { user, stored } = input;
  switch (plan.action) {
    case 'revoke':
    {
      if (!stored) return { record: stored };
      const record = await saveRecord(act, input, { ...plainRecord(stored), state: 'revoked' }, stored.resourceVersion);
      await act.recorder.event(user, 'Normal', 'InvitationRevoked', 'Revoked the pending invitation; its link no longer works');
      return { record };
    }
    case 'provisionActive': {
      const now = kubeTime(input.now());
      const provisioned: InvitationRecord = {
        invitationId: 'provisioned',
        tokenHash: '',
        email: user.spec.email,
        issuedAt: now,
        expiresAt: now,
        state: 'accepted',
        acceptedAt: now,
        resend: user.spec.invitation?.resend ?? 0,
        delivery: 'sent',
        messageId: invitationMessageId('provisioned'),
      };
      const record = await saveRecord(act, input, provisioned, stored?.resourceVersion ?? input.resourceVersion);
      await act.recorder.event(user, 'Normal', 'ProvisionedActive', 'Active without an invitation email: provisioned through SCIM, and the Tenant\'s SCIM lifecycle is ActiveAtOnce');
      return { record };
    }
    case 'restoreAccepted': {
      const now = kubeTime(input.now());
      const restored: InvitationRecord = {
        invitationId: user.status?.invitation?.id ?? 'restored',
        tokenHash: '',
        email: user.spec.email,
        issuedAt: now,
        expiresAt: now,
        state: 'accepted',
        acceptedAt: plan.acceptedAt,
        resend: user.spec.invitation?.resend ?? 0,
        delivery: 'sent',
        messageId: invitationMessageId('restored'),
      };
      const record = await saveRecord(act, input, restored, input.resourceVersion);
      act.log.warn('Rebuilt the missing invitation record from status.acceptedAt');
      return { record };
    }
    case 'recordOutcome': {
      if (!stored) return { record: stored };
      const { outcome } = plan;
      const { failedAttempts: _failures, ...rest } = plainRecord(stored);
      const record = await saveRecord(act, input, { ...(outcome.delivered ? rest : plainRecord(stored)), ...outcome.fields }, stored.resourceVersion);
      input.unrecorded?.delete(outcome.invitationId);
      act.log.info({ invitationId: outcome.invitationId, delivered: outcome.delivered }, 'Recorded the SMTP outcome of an invitation after the first write failed');
      if (!outcome.delivered) {
        await act.recorder.event(user, 'Warning', 'InvitationFailed', `Sending the invitation failed: ${outcome.fields.deliveryError ?? 'unknown SMTP error'}`);
        return { record, retry: `Sending the invitation failed: ${outcome.fields.deliveryError ?? 'unknown SMTP error'}` };
      }
      await act.recorder.event(user, 'Normal', 'InvitationSent', ISSUE_NOTES.Created);
      return { record };
    }
    case 'issue':
      return issueInvitation(act, plan.reason, input);
    case 'waitForRetry':
      return { record: stored, retryInMs: plan.retryInMs };
    case 'throttled': {
      const problem = throttledProblem(plan.perHour, plan.nextAt);
      // One Event when the User starts waiting, not one per look (status says the rest).
      const waiting = user.status?.conditions?.some((c) => c.type === 'InvitationSent' && c.reason === INVITATION_RATE_LIMITED);
      if (!waiting) await act.recorder.event(user, 'Warning', INVITATION_RATE_LIMITED, `The invitation email waits: ${problem.message}`);
      return { record: stored, sendProblem: problem, retryInMs: Math.max(1_000, plan.nextAt - input.now()) };
    }
    case 'none':
      return { record: stored };
  }
}

/** Reason of InvitationSent=False while the tenant's hourly cap holds an invitation back. */
export const INVITATION_RATE_LIMITED = 'InvitationRateLimited';

/**
 * Why the invitation waits. The instant is the one exception to "no timestamps in messages": it
 * is what the admin needs to know, and it stays the same while nothing else changes.
 */
export function throttledProblem(perHour: number, nextAt: number): Blocker {
  return {
    reason: INVITATION_RATE_LIMITED,
    message: `The tenant sent ${perHour === 1 ? 'its 1 invitation email' : `its ${perHour} invitation emails`} allowed per hour (Tenant spec.invitationEmailsPerHour); this one goes out at ${kubeTime(Math.ceil(nextAt / 1000) * 1000)} or later`,
  };
}

/** Writes a record: create when there is none, else replace guarded by the resourceVersion read. */
async function saveRecord(act: ActContext, input: Pick<UserActInput, 'location' | 'signingKey'>, record: InvitationRecord, resourceVersion: string | undefined): Promise<StoredInvitationRecord> {
  const secret = secretFromRecord(input.location, record, input.signingKey, resourceVersion);
  const saved = resourceVersion ? await act.client.replace<SecretObject>(builtinKinds.secret, secret) : await act.client.create<SecretObject>(builtinKinds.secret, secret);
  return { ...record, resourceVersion: saved.metadata?.resourceVersion ?? '' };
}

function senderOf(tenant: Tenant, settings: SmtpSettings): { name: string; address: string } {
  if (tenant.spec?.sender) return { name: tenant.spec.displayName, address: tenant.spec.sender };
  const [parsed] = addressparser(settings.from);
  return { name: parsed?.name || tenant.spec?.displayName || 'Blink', address: parsed?.address ?? settings.from };
}

/**
 * Issues a new invitation: record "preparing" first, then SMTP up to the end of the message,
 * record "sending", send the end (from here on the person may have it), then "sent" or "failed".
 * The "sending" write is guarded by the resourceVersion of the "preparing" one, so a replica that
 * lost its leadership (or a process another one took over from) stops before the end of the
 * message instead of mailing the person a second time.
 */
async function issueInvitation(act: ActContext, reason: IssueReason, input: UserActInput): Promise<UserActResult> {
  const { user, stored: previous } = input;
  const tenant = input.tenant as Tenant;
  let settings: SmtpSettings;
  // Each load of the kept settings is released once its send is over, or did not happen.
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    input.smtpSettings?.release();
  };
  try {
    settings = await (input.smtpSettings ? input.smtpSettings.load(act.client, input.smtpSecret) : loadSmtpSettings(act.client, input.smtpSecret));
  } catch (error) {
    release();
    if (!(error instanceof SmtpSettingsError)) throw error;
    return { record: previous, sendProblem: { reason: error.reason, message: error.message }, retry: error.message };
  }

  const { token, invitationId } = generateInvitationToken(input.random);
  const now = input.now();
  // Whole seconds, as Kubernetes timestamps are: the record, status and email all say the same instant.
  const expiry = new Date(kubeTime(expiresAt(new Date(now), tenant.spec?.invitationTTL ?? DEFAULT_INVITATION_TTL).getTime()));
  const preparing: InvitationRecord = {
    invitationId,
    tokenHash: hashInvitationToken(token),
    email: user.spec.email,
    issuedAt: kubeTime(now),
    expiresAt: kubeTime(expiry.getTime()),
    state: 'pending',
    resend: user.spec.invitation?.resend ?? 0,
    delivery: 'preparing',
    messageId: invitationMessageId(invitationId),
    attemptedAt: new Date(now).toISOString(),
    // A retry keeps counting failures (its pace survives restarts); anything else starts afresh.
    ...(reason === 'RetryDelivery' && previous?.failedAttempts ? { failedAttempts: previous.failedAttempts } : {}),
    // Counted against the tenant's hourly cap from now on, before anything leaves (a crash counts
    // too). No more than the cap can be in one hour, so that many are all the record needs to keep.
    recentEmails: withEmail(previous, { invitationId, at: now }, tenant.spec?.invitationEmailsPerHour ?? INVITATION_EMAILS_PER_HOUR_MAX),
  };
  // The intent is durable before anything leaves; a crash before "sending" means "certainly not delivered".
  let saved: StoredInvitationRecord;
  try {
    saved = await saveRecord(act, input, preparing, input.resourceVersion);
  } catch (error) {
    release();
    throw error;
  }
  const sending: InvitationRecord = { ...preparing, delivery: 'sending' };
  let committed: StoredInvitationRecord | undefined;
  const commit = async () => {
    // A replica that stopped leading stops here; the guarded write stops any other late one.
    if (input.signal?.aborted) throw new Error('No longer the leader: the invitation is left to the new leader');
    committed = await saveRecord(act, input, sending, saved.resourceVersion);
  };

  const from = senderOf(tenant, settings);
  const email = renderInvitationEmail({
    tenantDisplayName: tenant.spec?.displayName ?? tenant.metadata?.name ?? '',
    email: user.spec.email,
    role: user.spec.role as Role,
    workspaces: user.spec.workspaces ?? [],
    groups: user.spec.groups ?? [],
    expiresAt: expiry,
    ...(user.spec.displayName ? { displayName: user.spec.displayName } : {}),
    acceptUrl: `${input.publicUrl.replace(/\/+$/, '')}${ACCEPTANCE_PREFIX}${token}`,
    sender: from.address,
  });
  const deliver = async (): Promise<UserActResult> => {
    let result: DeliveryResult;
    try {
      result = await input.mailer.send(settings, { from, to: user.spec.email, subject: email.subject, text: email.text, html: email.html, messageId: sending.messageId }, { beforeEnd: commit });
    } finally {
      release();
    }
    // A failed send reads the Secret again before its retry (a password rotated since it was read).
    if (result.outcome !== 'sent') input.smtpSettings?.forget();
    try {
      return await recordDelivery(act, reason, input, result, { invitationId, saved, sending, committed: () => committed });
    } catch (error) {
      // Accepted, resent or revoked while its email was on its way: the record moved on, and says so.
      if (isConflict(error)) {
        act.log.info({ invitationId }, 'The invitation record changed while its email was being sent; left as it is');
        return { record: undefined };
      }
      throw error;
    }
  };
  const queue = input.sendQueue;
  if (!queue) return deliver();
  queue.enqueue({
    key: `${input.location.namespace}/${input.location.userName}`,
    invitationId,
    run: async () => {
      const delivered = await deliver();
      if (delivered.record) input.onDelivered?.(delivered.record);
    },
  });
  // The reconcile never waits on SMTP: the record says "preparing" until the queue moves it on.
  return { record: saved, queued: true };
}

/** Records what SMTP answered to an issued invitation's email. */
async function recordDelivery(
  act: ActContext,
  reason: IssueReason,
  input: UserActInput,
  result: DeliveryResult,
  sent: { readonly invitationId: string; readonly saved: StoredInvitationRecord; readonly sending: InvitationRecord; readonly committed: () => StoredInvitationRecord | undefined },
): Promise<UserActResult> {
  const { user } = input;
  const { invitationId, saved, sending } = sent;
  const committed = sent.committed();
  // The record as last written: "sending" once committed, else still "preparing".
  const latest = (): string => (committed ?? saved).resourceVersion;
  switch (result.outcome) {
    case 'sent': {
      const { failedAttempts: _failures, ...delivered } = sending;
      const fields = { delivery: 'sent', sentAt: kubeTime(input.now()) } as const;
      // Remembered until written: an outage now must not leave a delivered email "unconfirmed".
      input.unrecorded?.set(invitationId, { invitationId, fields, delivered: true });
      const sent = await saveRecord(act, input, { ...delivered, ...fields }, latest());
      input.unrecorded?.delete(invitationId);
      act.log.info({ invitationId, reason }, 'Sent an invitation');
      await act.recorder.event(user, 'Normal', 'InvitationSent', ISSUE_NOTES[reason]);
      return { record: sent };
    }
    case 'failed': {
      // Certainly not delivered: it does not count against the cap.
      const recentEmails = (sending.recentEmails ?? []).filter((e) => e.invitationId !== invitationId);
      const fields = { delivery: 'failed', deliveryError: result.error, deliveryFailure: result.reason, failedAttempts: (sending.failedAttempts ?? 0) + 1, recentEmails } as const;
      input.unrecorded?.set(invitationId, { invitationId, fields, delivered: false });
      const failed = await saveRecord(act, input, { ...sending, ...fields }, latest());
      input.unrecorded?.delete(invitationId);
      act.log.warn({ invitationId, reason: result.reason, smtpError: result.error }, 'Could not send an invitation; retrying');
      await act.recorder.event(user, 'Warning', 'InvitationFailed', `Sending the invitation failed: ${result.error}`);
      return { record: failed, retry: `Sending the invitation failed: ${result.error}` };
    }
    case 'unconfirmed': {
      // A mailer that reports a possible delivery without having asked to end the message: record it as such all the same.
      const unconfirmed = committed ?? (await saveRecord(act, input, sending, saved.resourceVersion));
      act.log.warn({ invitationId, smtpError: result.error }, 'Handed an invitation to SMTP without a confirmation; not sending it again');
      await act.recorder.event(user, 'Warning', 'DeliveryUnconfirmed', `The SMTP server did not confirm the invitation email: ${result.error}`);
      return { record: unconfirmed };
    }
  }
}

/**
 * Deletion path: deleting the record kills any link at once (and forgets the acceptance: the user is
 * gone). Only the record the operator made (type and labels, precondition on its uid); a Secret of
 * someone else that has the record's name stays.
 */
export async function revokeEverything(rc: ActContext, user: User & KubeObject): Promise<void> {
  const namespace = user.metadata?.namespace ?? '';
  const name = invitationSecretName(user.metadata?.name ?? '');
  let secret: SecretObject | undefined;
  try {
    secret = await rc.client.get<SecretObject>(builtinKinds.secret, namespace, name);
  } catch (error) {
    if (!isNotFound(error)) throw new TransientError(`Could not read Secret ${namespace}/${name}`, { cause: error });
  }
  if (secret && isRecordOf(secret, user.metadata?.name ?? '')) {
    await rc.client.delete(builtinKinds.secret, namespace, name, { preconditions: { uid: secret.metadata?.uid } });
  } else if (secret) {
    rc.log.warn({ secret: name }, 'Left Secret alone on removing the user: it has the invitation record name but is not a record the operator made');
  }
  rc.log.info('Removed the user and revoked its invitation');
}

/** The Event of a phase change: accepted, re-activated or deactivated. */
export async function recordPhaseChange(rc: ActContext, user: User & KubeObject, from: string | undefined, to: string | undefined): Promise<void> {
  if (to === 'Active') await rc.recorder.event(user, 'Normal', from === 'Inactive' ? 'Reactivated' : 'Accepted', from === 'Inactive' ? 'The user is active again' : 'The invitation was accepted; the user is active');
  else if (to === 'Inactive') await rc.recorder.event(user, 'Normal', 'Deactivated', 'The user is deactivated and has no access');
}
