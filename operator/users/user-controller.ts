// The User controller: fetch → gone: done → finalizer (deleting: revoke the
// invitation record) → tenant check (blocker) → plan (planUser, pure) → act
// (applyUserPlan: record, SMTP, Events) → status (deriveUserStatus, pure,
// written only when it differs).
import { ACCOUNT_KINDS, DEFAULT_INVITATION_EMAILS_PER_HOUR, FINALIZER, REASONS } from '../api/index.js';
import type { Tenant, User } from '../api/index.js';
import type { RandomBytes } from '../apikeys/random.js';
import type { OperatorContext } from '../context.js';
import { invitationSecretName, isRecordOf, plainRecord, recordFromSecret } from '../invitations/invitation-record.js';
import type { RecordLocation, SecretObject } from '../invitations/invitation-record.js';
import type { Mailer } from '../invitations/smtp.js';
import { checkEmailDomain, intendsActive } from '../policy/index.js';
import type { Clock } from '../runtime/clock.js';
import type { ReconcileContext } from '../runtime/controller.js';
import { isNotFound, TransientError } from '../runtime/errors.js';
import type { ReconcileResult } from '../runtime/errors.js';
import { NAMESPACE_INDEX } from '../runtime/informer.js';
import type { Informer } from '../runtime/informer.js';
import { builtinKinds } from '../runtime/kinds.js';
import type { KubeObject } from '../runtime/kinds.js';
import { finalizerStep, writeStatus } from '../runtime/status-writer.js';
import { decideInvitationSend, emailsOfRecord, InvitationLedger } from './invitation-quota.js';
import { planUser, throttleIssue } from './plan.js';
import type { Blocker, UnrecordedOutcome } from './plan.js';
import { applyUserPlan } from './user-act.js';
import { deriveUserStatus } from './user-status.js';
import { withUserHistory } from './user-history.js';
import { specChangedBy } from '../runtime/history.js';

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

/** Why the operator cannot act on a User in this namespace, if it cannot. */
export function blockerFor(tenant: Tenant | undefined, namespace: string, email: string): Blocker | undefined {
  if (!tenant) return { reason: REASONS.notInTenantNamespace, message: `Namespace ${namespace} belongs to no Tenant handled by this operator` };
  const domain = checkEmailDomain(tenant, email);
  return domain.allowed ? undefined : { reason: domain.reason, message: domain.message };
}

/**
 * Deletion path: deleting the record kills any link at once (and forgets the acceptance: the user is
 * gone). Only the record the operator made (type and labels, precondition on its uid); a Secret of
 * someone else that has the record's name stays.
 */
async function revokeEverything(rc: ReconcileContext, user: UserObject): Promise<void> {
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

async function recordPhaseChange(rc: ReconcileContext, user: UserObject, from: string | undefined, to: string | undefined): Promise<void> {
  if (to === 'Active') await rc.recorder.event(user, 'Normal', from === 'Inactive' ? 'Reactivated' : 'Accepted', from === 'Inactive' ? 'The user is active again' : 'The invitation was accepted; the user is active');
  else if (to === 'Inactive') await rc.recorder.event(user, 'Normal', 'Deactivated', 'The user is deactivated and has no access');
}

/** The reconcile function of the User controller. */
export function userReconciler(deps: UserControllerDeps): (key: string, rc: ReconcileContext) => Promise<ReconcileResult> {
  const { ctx, invitations, clock } = deps;
  // The tenants' recent invitation emails. The controller runs one worker, so deciding, sending and
  // noting an email here happen in order: no two reconciles both take the last email of the hour.
  const ledger = new InvitationLedger();
  // SMTP outcomes whose record write failed (applyUserPlan), written by a later reconcile.
  const unrecorded = new Map<string, UnrecordedOutcome>();
  return async (key, rc) => {
    // Fetch; gone: done.
    const cached = ctx.caches.users.get(key);
    if (!cached) return undefined;
    // Finalizer.
    const step = await finalizerStep(rc.client, ACCOUNT_KINDS.user, cached, FINALIZER, (user) => revokeEverything(rc, user));
    if (step.done) return undefined;
    const user = step.object;
    const namespace = user.metadata?.namespace ?? '';
    const name = user.metadata?.name ?? '';
    const spec = user.spec;
    // Tenant check.
    const tenant = ctx.tenants.forNamespace(namespace);
    const blocker = blockerFor(tenant, namespace, spec.email);
    // Plan.
    const secret = invitations.get(`${namespace}/${invitationSecretName(name)}`);
    const stored = recordFromSecret(secret);
    const active = intendsActive(user);
    // An outcome the record already holds (or that a newer invitation replaced) is not needed any more.
    if (stored && stored.delivery !== 'sending') unrecorded.delete(stored.invitationId);
    const planned = planUser({
      active,
      email: spec.email,
      resend: spec.invitation?.resend ?? 0,
      record: stored ? plainRecord(stored) : undefined,
      acceptedAtInStatus: user.status?.acceptedAt,
      blocker,
      now: clock.now(),
      maxRetryDelayMs: deps.maxRetryDelayMs ?? 60_000,
      unrecorded: stored ? unrecorded.get(stored.invitationId) : undefined,
    });
    // The tenant's hourly cap, counted only when an email is due (from the records in the cache,
    // which survive restarts, and what this process sent since).
    const tenantName = tenant?.metadata?.name ?? '';
    const perHour = tenant?.spec?.invitationEmailsPerHour ?? DEFAULT_INVITATION_EMAILS_PER_HOUR;
    if (planned.action === 'issue') {
      for (const other of invitations.byIndex(NAMESPACE_INDEX, namespace)) {
        const record = recordFromSecret(other);
        if (record) ledger.merge(tenantName, emailsOfRecord(record));
      }
    }
    const plan = planned.action === 'issue' ? throttleIssue(planned, decideInvitationSend(ledger.sends(tenantName, clock.now()), perHour, clock.now()), perHour) : planned;
    // Act.
    const location: RecordLocation = { namespace, userName: name, tenantName: tenant?.metadata?.name ?? '' };
    const acted = await applyUserPlan(rc, plan, {
      user,
      tenant,
      location,
      stored,
      resourceVersion: secret?.metadata?.resourceVersion,
      now: () => clock.now(),
      mailer: deps.mailer,
      smtpSecret: ctx.options.smtpSecret,
      publicUrl: ctx.publicUrlFor(tenant),
      random: deps.random,
      unrecorded,
    });
    if (plan.action === 'issue' && acted.record) {
      ledger.merge(tenantName, acted.record.recentEmails ?? []);
      if (acted.record.delivery === 'failed') ledger.forget(tenantName, acted.record.invitationId, clock.now());
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
    await writeStatus(rc.client, ACCOUNT_KINDS.user, user, withUserHistory(user.status, derived.status, spec.role, spec.email, clock.now(), specChangedBy(user)));
    if (previousPhase !== derived.status.phase) await recordPhaseChange(rc, user, previousPhase, derived.status.phase);
    // The send failure is in status already (InvitationSent, Ready): the runtime need not say it again.
    if (acted.retry) throw new TransientError(acted.retry, { reportedInStatus: true });
    const next = Math.min(derived.requeueAfterMs ?? Infinity, acted.retryInMs ?? Infinity);
    return Number.isFinite(next) && next > 0 ? { requeueAfterMs: next } : undefined;
  };
}
