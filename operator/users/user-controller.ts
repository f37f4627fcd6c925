// The User controller: gather (caches) → decide (planUser, deriveUserStatus: pure) → act
// (the invitation record Secret, SMTP, status). Email delivery is at least once and never
// twice for one invitation: the record says "sending" BEFORE the message goes to SMTP, "sent"
// after the 250; a record still "sending" after a crash is treated as possibly delivered.
import addressparser from 'nodemailer/lib/addressparser';
import type { Role, Tenant, User } from '../api/index.js';
import type { RandomBytes } from '../apikeys/random.js';
import { renderInvitationEmail } from '../invitations/email.js';
import { DEFAULT_INVITATION_TTL, expiresAt, generateInvitationToken, hashInvitationToken } from '../invitations/token.js';
import type { OperatorContext } from '../operator.js';
import { ACCOUNT_KINDS, FINALIZER } from '../operator.js';
import type { Clock } from '../runtime/clock.js';
import type { ReconcileContext } from '../runtime/controller.js';
import { kubeTime } from '../runtime/conditions.js';
import { TransientError } from '../runtime/errors.js';
import type { ReconcileResult } from '../runtime/errors.js';
import type { Informer } from '../runtime/informer.js';
import { builtinKinds } from '../runtime/kinds.js';
import type { KubeObject } from '../runtime/kinds.js';
import { addFinalizer, hasFinalizer, removeFinalizer, writeStatus } from '../runtime/status-writer.js';
import { checkEmailDomain } from '../tenants/email-domain.js';
import { ACCEPTANCE_PREFIX } from './acceptance-page.js';
import { invitationMessageId, invitationSecretName, plainRecord, recordFromSecret, secretFromRecord } from './invitation-record.js';
import type { InvitationRecord, RecordLocation, SecretObject, StoredInvitationRecord } from './invitation-record.js';
import { planUser } from './plan.js';
import type { Blocker, IssueReason } from './plan.js';
import { loadSmtpSettings, SmtpSettingsError } from './smtp.js';
import type { Mailer, SmtpSettings } from './smtp.js';
import { deriveUserStatus } from './user-status.js';

/** What the User controller needs besides the operator context. */
export interface UserControllerDeps {
  readonly ctx: OperatorContext;
  readonly invitations: Informer<SecretObject>;
  readonly mailer: Mailer;
  readonly clock: Clock;
  readonly random?: RandomBytes;
  /** Longest wait between retries of a failed send. @default 60_000 */
  readonly maxRetryDelayMs?: number;
}

type UserObject = User & KubeObject;

/** What acting produced: the record as it now is, and why sending could not start. */
interface ActResult {
  readonly record: StoredInvitationRecord | undefined;
  readonly sendProblem?: Blocker;
  /** Retry with backoff after writing status (SMTP failures). */
  readonly retry?: string;
}

const ISSUE_NOTES: Readonly<Record<IssueReason, string>> = {
  Created: 'Emailed an invitation',
  Resend: 'Emailed a new invitation (resend requested); the previous link no longer works',
  Reactivated: 'Emailed a new invitation (re-activated before accepting)',
  RetryDelivery: 'Emailed the invitation after an SMTP failure',
  EmailChanged: 'Emailed an invitation to the new address',
};

/** Why the operator cannot act on a User in this namespace, if it cannot. */
export function blockerFor(tenant: Tenant | undefined, namespace: string, email: string): Blocker | undefined {
  if (!tenant) return { reason: 'NotInTenantNamespace', message: `Namespace ${namespace} belongs to no Tenant handled by this operator` };
  const domain = checkEmailDomain(tenant, email);
  return domain.allowed ? undefined : { reason: domain.reason, message: domain.message };
}

/** The reconcile function of the User controller. */
export function userReconciler(deps: UserControllerDeps): (key: string, rc: ReconcileContext) => Promise<ReconcileResult> {
  const { ctx, invitations, clock } = deps;
  return async (key, rc) => {
    // Gather.
    const user = ctx.caches.users.get(key);
    if (!user) return undefined;
    const namespace = user.metadata?.namespace ?? '';
    const name = user.metadata?.name ?? '';
    const spec = user.spec;
    const tenant = ctx.tenantForNamespace(namespace);
    const secretKey = `${namespace}/${invitationSecretName(name)}`;
    const secret = invitations.get(secretKey);
    const stored = recordFromSecret(secret);
    const active = spec.active !== false;
    const blocker = blockerFor(tenant, namespace, spec.email);

    // Decide.
    const plan = planUser({
      deleting: !!user.metadata?.deletionTimestamp,
      hasFinalizer: hasFinalizer(user, FINALIZER),
      active,
      email: spec.email,
      resend: spec.invitation?.resend ?? 0,
      record: stored ? plainRecord(stored) : undefined,
      acceptedAtInStatus: user.status?.acceptedAt,
      blocker,
      now: clock.now(),
      maxRetryDelayMs: deps.maxRetryDelayMs ?? 60_000,
    });

    // Act.
    const location: RecordLocation = { namespace, userName: name, tenantName: tenant?.metadata?.name ?? '' };
    let acted: ActResult = { record: stored };
    let retryInMs: number | undefined;
    switch (plan.action) {
      case 'finalize':
        // Deleting the record kills any link at once (and forgets the acceptance: the user is gone).
        await rc.client.delete(builtinKinds.secret, namespace, invitationSecretName(name));
        await removeFinalizer(rc.client, ACCOUNT_KINDS.user, user, FINALIZER);
        rc.log.info('Removed the user and revoked its invitation');
        return undefined;
      case 'addFinalizer':
        await addFinalizer(rc.client, ACCOUNT_KINDS.user, user, FINALIZER);
        return undefined;
      case 'revoke':
        if (stored) {
          acted = { record: await saveRecord(rc, location, { ...plainRecord(stored), state: 'revoked' }, stored.resourceVersion) };
          await rc.recorder.event(user, 'Normal', 'InvitationRevoked', 'Revoked the pending invitation; its link no longer works');
        }
        break;
      case 'restoreAccepted': {
        const now = kubeTime(clock.now());
        const restored: InvitationRecord = {
          invitationId: user.status?.invitation?.id ?? 'restored',
          tokenHash: '',
          email: spec.email,
          issuedAt: now,
          expiresAt: now,
          state: 'accepted',
          acceptedAt: plan.acceptedAt,
          resend: spec.invitation?.resend ?? 0,
          delivery: 'sent',
          messageId: invitationMessageId('restored'),
        };
        acted = { record: await saveRecord(rc, location, restored, secret?.metadata?.resourceVersion) };
        rc.log.warn('Rebuilt the missing invitation record from status.acceptedAt');
        break;
      }
      case 'issue':
        acted = await issue(deps, rc, user, tenant as Tenant, location, stored, secret?.metadata?.resourceVersion, plan.reason);
        break;
      case 'waitForRetry':
        retryInMs = plan.retryInMs;
        break;
      case 'none':
        break;
    }

    // Status.
    const derived = deriveUserStatus({
      generation: user.metadata?.generation,
      active,
      email: spec.email,
      groups: spec.groups ?? [],
      workspaces: spec.workspaces ?? [],
      existingGroups: new Set(ctx.caches.groups.byIndex('namespace', namespace).map((g) => g.metadata?.name ?? '')),
      existingWorkspaces: new Set(ctx.caches.workspaces.byIndex('namespace', namespace).map((w) => w.metadata?.name ?? '')),
      record: acted.record ? plainRecord(acted.record) : undefined,
      blocker,
      sendProblem: acted.sendProblem,
      previous: user.status,
      now: clock.now(),
    });
    const previousPhase = user.status?.phase;
    await writeStatus(rc.client, ACCOUNT_KINDS.user, user, derived.status);
    if (previousPhase !== derived.status.phase) await recordPhaseChange(rc, user, previousPhase, derived.status.phase);
    if (acted.retry) throw new TransientError(acted.retry);
    const next = Math.min(derived.requeueAfterMs ?? Infinity, retryInMs ?? Infinity);
    return Number.isFinite(next) && next > 0 ? { requeueAfterMs: next } : undefined;
  };
}

async function recordPhaseChange(rc: ReconcileContext, user: UserObject, from: string | undefined, to: string | undefined): Promise<void> {
  if (to === 'Active') await rc.recorder.event(user, 'Normal', from === 'Inactive' ? 'Reactivated' : 'Accepted', from === 'Inactive' ? 'The user is active again' : 'The invitation was accepted; the user is active');
  else if (to === 'Inactive') await rc.recorder.event(user, 'Normal', 'Deactivated', 'The user is deactivated and has no access');
}

/** Writes a record: create when there is none, else replace guarded by the resourceVersion read. */
async function saveRecord(rc: ReconcileContext, location: RecordLocation, record: InvitationRecord, resourceVersion: string | undefined): Promise<StoredInvitationRecord> {
  const secret = secretFromRecord(location, record, resourceVersion);
  const saved = resourceVersion ? await rc.client.replace<SecretObject>(builtinKinds.secret, secret) : await rc.client.create<SecretObject>(builtinKinds.secret, secret);
  return { ...record, resourceVersion: saved.metadata?.resourceVersion ?? '' };
}

function senderOf(tenant: Tenant, settings: SmtpSettings): { name: string; address: string } {
  if (tenant.spec?.sender) return { name: tenant.spec.displayName, address: tenant.spec.sender };
  const [parsed] = addressparser(settings.from);
  return { name: parsed?.name || tenant.spec?.displayName || 'Blink', address: parsed?.address ?? settings.from };
}

/** Issues a new invitation: record "sending" first, then SMTP, then "sent" or "failed". */
async function issue(
  deps: UserControllerDeps,
  rc: ReconcileContext,
  user: UserObject,
  tenant: Tenant,
  location: RecordLocation,
  previous: StoredInvitationRecord | undefined,
  resourceVersion: string | undefined,
  reason: IssueReason,
): Promise<ActResult> {
  const { ctx, clock, mailer } = deps;
  let settings: SmtpSettings;
  try {
    settings = await loadSmtpSettings(rc.client, ctx.options.smtpSecret);
  } catch (error) {
    if (!(error instanceof SmtpSettingsError)) throw error;
    const existing = recordFromSecret(deps.invitations.get(`${location.namespace}/${invitationSecretName(location.userName)}`));
    return { record: existing, sendProblem: { reason: error.reason, message: error.message }, retry: error.message };
  }

  const { token, invitationId } = generateInvitationToken(deps.random);
  const now = clock.now();
  // Whole seconds, as Kubernetes timestamps are: the record, status and email all say the same instant.
  const expiry = new Date(kubeTime(expiresAt(new Date(now), tenant.spec?.invitationTTL ?? DEFAULT_INVITATION_TTL).getTime()));
  const sending: InvitationRecord = {
    invitationId,
    tokenHash: hashInvitationToken(token),
    email: user.spec.email,
    issuedAt: kubeTime(now),
    expiresAt: kubeTime(expiry.getTime()),
    state: 'pending',
    resend: user.spec.invitation?.resend ?? 0,
    delivery: 'sending',
    messageId: invitationMessageId(invitationId),
    attemptedAt: new Date(now).toISOString(),
    // A retry keeps counting failures (its pace survives restarts); anything else starts afresh.
    ...(reason === 'RetryDelivery' && previous?.failedAttempts ? { failedAttempts: previous.failedAttempts } : {}),
  };
  // The intent is durable before anything leaves: from here on a crash means "possibly delivered".
  const saved = await saveRecord(rc, location, sending, resourceVersion);

  const from = senderOf(tenant, settings);
  const email = renderInvitationEmail({
    tenantDisplayName: tenant.spec?.displayName ?? tenant.metadata?.name ?? '',
    email: user.spec.email,
    role: user.spec.role as Role,
    workspaces: user.spec.workspaces ?? [],
    groups: user.spec.groups ?? [],
    expiresAt: expiry,
    ...(user.spec.displayName ? { displayName: user.spec.displayName } : {}),
    acceptUrl: `${ctx.publicUrlFor(tenant).replace(/\/+$/, '')}${ACCEPTANCE_PREFIX}${token}`,
    sender: from.address,
  });
  const result = await mailer.send(settings, { from, to: user.spec.email, subject: email.subject, text: email.text, html: email.html, messageId: sending.messageId });
  switch (result.outcome) {
    case 'sent': {
      const { failedAttempts: _failures, ...delivered } = sending;
      const sent = await saveRecord(rc, location, { ...delivered, delivery: 'sent', sentAt: kubeTime(clock.now()) }, saved.resourceVersion);
      rc.log.info({ invitationId, reason }, 'Sent an invitation');
      await rc.recorder.event(user, 'Normal', 'InvitationSent', ISSUE_NOTES[reason]);
      return { record: sent };
    }
    case 'failed': {
      const failed = await saveRecord(rc, location, { ...sending, delivery: 'failed', deliveryError: result.error, failedAttempts: (sending.failedAttempts ?? 0) + 1 }, saved.resourceVersion);
      rc.log.warn({ invitationId, smtpError: result.error }, 'Could not send an invitation; retrying');
      await rc.recorder.event(user, 'Warning', 'InvitationFailed', `Sending the invitation failed: ${result.error}`);
      return { record: failed, retry: `Sending the invitation failed: ${result.error}` };
    }
    case 'unconfirmed':
      rc.log.warn({ invitationId, smtpError: result.error }, 'Handed an invitation to SMTP without a confirmation; not sending it again');
      await rc.recorder.event(user, 'Warning', 'DeliveryUnconfirmed', `The SMTP server did not confirm the invitation email: ${result.error}`);
      return { record: saved };
  }
}
