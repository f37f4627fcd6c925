// The User controller: fetch → gone: done → finalizer (deleting: revoke the
// invitation record) → tenant check (blocker) → plan (planUser, pure) → act
// (applyUserPlan: record, SMTP, Events) → status (deriveUserStatus, pure,
// written only when it differs).
import { ACCOUNT_KINDS, DEFAULT_INVITATION_EMAILS_PER_HOUR, FINALIZER, REASONS, SOURCE_LABEL, SOURCES } from '../api/index.js';
import type { Tenant, User } from '../api/index.js';
import type { RandomBytes } from '../apikeys/random.js';
import type { Cached, OperatorContext } from '../context.js';
import { invitationSecretName, plainRecord, readInvitationRecord } from '../invitations/invitation-record.js';
import type { RecordLocation, SecretObject, StoredInvitationRecord } from '../invitations/invitation-record.js';
import { SmtpSettingsCache } from '../invitations/smtp.js';
import type { Mailer } from '../invitations/smtp.js';
import { checkEmailDomain, emailClaim, intendsActive, normalizeEmail } from '../policy/index.js';
import type { EmailClaim } from '../policy/index.js';
import type { Clock } from '../runtime/clock.js';
import type { ReconcileContext } from '../runtime/controller.js';
import { isNotFound, TransientError } from '../runtime/errors.js';
import type { ReconcileResult } from '../runtime/errors.js';
import { NAMESPACE_INDEX } from '../runtime/informer.js';
import type { Informer } from '../runtime/informer.js';
import { builtinKinds } from '../runtime/kinds.js';
import type { KubeObject } from '../runtime/kinds.js';
import { KeyedMutex } from '../runtime/keyed-mutex.js';
import { finalizerStep, writeStatus } from '../runtime/status-writer.js';
import { OwnWrites } from '../runtime/own-writes.js';
import { decideInvitationSend, emailsOfRecord, InvitationLedger } from './invitation-quota.js';
import { planUser, throttleIssue } from './user-plan.js';
import { tamperedMessage, trustRecord } from './record-trust.js';
import type { Blocker, UnrecordedOutcome, UserPlan } from './user-plan.js';
import type { InvitationSendQueue } from './send-queue.js';
import { applyUserPlan, recordPhaseChange, revokeEverything } from './user-act.js';
import type { UserActResult } from './user-act.js';
import { deriveUserStatus } from './user-status.js';
import { believedStatus, missedInvitation, statusMayWait, statusRecords } from './status-wait.js';
import type { IssuedInvitation } from './status-wait.js';
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
  /** Signs and verifies invitation records (runtime/record-signing.ts). */
  readonly signingKey: Buffer;
  /** Where invitation emails go out (send-queue.ts). @default sent inside the reconcile */
  readonly sendQueue?: InvitationSendQueue;
}

type UserObject = User & KubeObject;

/** Why the operator cannot act on a User in this namespace, if it cannot (`claim`: whether it owns its email, policy/principals.ts). */
export function blockerFor(tenant: Tenant | undefined, namespace: string, email: string, claim: EmailClaim = { owns: true }): Blocker | undefined {
  if (!tenant) return { reason: REASONS.notInTenantNamespace, message: `Namespace ${namespace} belongs to no Tenant handled by this operator` };
  const domain = checkEmailDomain(tenant, email);
  if (!domain.allowed) return { reason: domain.reason, message: domain.message };
  return claim.owns ? undefined : { reason: REASONS.duplicateEmail, message: claim.message };
}

/** Whether the User's Ready condition already has `reason` (one Warning Event per episode, not per pass). */
function isReason(user: UserObject, reason: string): boolean {
  return user.status?.conditions?.some((c) => c.type === 'Ready' && c.reason === reason) ?? false;
}

/** The Users of `user`'s namespace with its email in normal form (itself included when cached). */
export function usersWithEmailOf(ctx: Pick<OperatorContext, 'indexes'>, user: KubeObject & { spec?: { email?: string } }): readonly Cached<User>[] {
  const email = normalizeEmail(user.spec?.email);
  return email === undefined ? [] : ctx.indexes.usersByEmail.get(`${user.metadata?.namespace ?? ''}/${email}`);
}

/** The reconcile function of the User controller. */
export function userReconciler(deps: UserControllerDeps): (key: string, rc: ReconcileContext) => Promise<ReconcileResult> {
  const { ctx, invitations, clock } = deps;
  // The tenants' recent invitation emails. Deciding that one more may go and noting it (in the
  // "preparing" record and here) hold the tenant's lock, so no two reconciles, however many
  // workers run, both take the last email of the hour.
  const ledger = new InvitationLedger();
  const capLock = new KeyedMutex();
  // SMTP outcomes whose record write failed (applyUserPlan), written by a later reconcile.
  const unrecorded = new Map<string, UnrecordedOutcome>();
  // The SMTP Secret, read once per burst of invitations rather than once per invitation. Its
  // freshness is real elapsed time, not the controller's clock: a test's stopped clock must not
  // keep a replaced Secret forever.
  const smtpSettings = new SmtpSettingsCache(() => performance.now());
  // Invitations this process issued whose status write waits for their email's outcome
  // (status-wait.ts), by User key, until a status write records them.
  const issued = new Map<string, IssuedInvitation>();
  // Versions of Users this controller's own status writes replaced and the cache may not show yet.
  // Only status writes: a pass on a cache behind the finalizer write goes on (the pass a send's
  // outcome brings must not wait for the finalizer's event, which comes in the normal lane).
  const own = new OwnWrites();
  return async (key, rc) => {
    // Fetch; gone: done.
    const cached = ctx.caches.users.get(key);
    if (!cached) {
      issued.delete(key);
      own.forget(key);
      return undefined;
    }
    // The cache lags this controller's own status write: the watch event of the User as written
    // brings the next pass; this one would only write the same status again from the old version (409).
    if (own.behind(key, cached.metadata?.resourceVersion)) {
      rc.log.debug({ resourceVersion: cached.metadata?.resourceVersion }, 'Skipped: the cache has not shown this controller\'s own status write yet');
      return undefined;
    }
    // Finalizer.
    const step = await finalizerStep(rc.client, ACCOUNT_KINDS.user, cached, FINALIZER, (user) => revokeEverything(rc, user));
    if (step.done) {
      issued.delete(key);
      return undefined;
    }
    const user = step.object;
    // What the operator last believed: status, and an invitation this process issued that status
    // does not record yet (its status write waits for the email's outcome).
    const mine = issued.get(key);
    if (mine && statusRecords(user.status, mine)) issued.delete(key);
    const believed = believedStatus(user.status, issued.get(key));
    const namespace = user.metadata?.namespace ?? '';
    const name = user.metadata?.name ?? '';
    const spec = user.spec;
    // Tenant check.
    const tenant = ctx.tenants.forNamespace(namespace);
    const blocker = blockerFor(tenant, namespace, spec.email, emailClaim(user, usersWithEmailOf(ctx, user)));
    // Plan: only a record the operator signed is believed (record-trust.ts).
    const secretName = invitationSecretName(name);
    let secret = invitations.get(`${namespace}/${secretName}`);
    // Status says a signed invitation is pending but the cache has no record: ask the API server
    // before calling it deleted (the cache may not have caught up with the write yet).
    if (!secret && !believed?.acceptedAt && believed?.invitation?.recordSigned) {
      try {
        secret = await rc.client.get<SecretObject>(builtinKinds.secret, namespace, secretName);
      } catch (error) {
        if (!isNotFound(error)) throw new TransientError(`Could not read Secret ${namespace}/${secretName}`, { cause: error });
      }
    }
    const read = readInvitationRecord(secret, deps.signingKey);
    const trust = trustRecord(read, believed, spec.email);
    const stored = trust.trust === 'trusted' ? read?.record : undefined;
    const active = intendsActive(user);
    // An outcome the record already holds (or that a newer invitation replaced) is not needed any more.
    if (stored && stored.delivery !== 'sending') unrecorded.delete(stored.invitationId);
    // The cache shows where a finished send left the record: it is not "in flight" any more.
    if (stored && stored.delivery !== 'preparing') deps.sendQueue?.settled(stored.invitationId);
    const planned = planUser({
      active,
      email: spec.email,
      resend: spec.invitation?.resend ?? 0,
      record: stored ? plainRecord(stored) : undefined,
      trust: trust.trust,
      lastResendInStatus: believed?.invitation?.resend,
      acceptedAtInStatus: user.status?.acceptedAt,
      provisionedActive: user.metadata?.labels?.[SOURCE_LABEL] === SOURCES.scim && tenant?.spec?.provisioning?.scim?.enabled === true && tenant.spec.provisioning.scim.lifecycle === 'ActiveAtOnce',
      blocker,
      now: clock.now(),
      maxRetryDelayMs: deps.maxRetryDelayMs ?? 60_000,
      unrecorded: stored ? unrecorded.get(stored.invitationId) : undefined,
      sendInFlight: stored ? (deps.sendQueue?.has(stored.invitationId) ?? false) : false,
    });
    // The tenant's hourly cap, counted only when an email is due (from the records in the cache,
    // which survive restarts, and what this process sent since).
    const tenantName = tenant?.metadata?.name ?? '';
    const perHour = tenant?.spec?.invitationEmailsPerHour ?? DEFAULT_INVITATION_EMAILS_PER_HOUR;
    const location: RecordLocation = { namespace, userName: name, tenantName: tenant?.metadata?.name ?? '' };
    const forgetFailed = (record: StoredInvitationRecord): void => {
      if (record.delivery === 'failed') ledger.forget(tenantName, record.invitationId, clock.now());
    };
    const decideAndAct = async (): Promise<UserActResult> => {
      if (planned.action === 'issue') {
        // Only signed records count: a stuffed history in an edited record must not use up the hour.
        for (const other of invitations.byIndex(NAMESPACE_INDEX, namespace)) {
          const counted = readInvitationRecord(other, deps.signingKey);
          if (counted?.integrity === 'signed' && counted.record) ledger.merge(tenantName, emailsOfRecord(counted.record));
        }
      }
      const plan = planned.action === 'issue' ? throttleIssue(planned, decideInvitationSend(ledger.sends(tenantName, clock.now()), perHour, clock.now()), perHour) : planned;
      // Act.
      const acted = await act(plan);
      if (plan.action === 'issue' && acted.record) {
        ledger.merge(tenantName, acted.record.recentEmails ?? []);
        forgetFailed(acted.record);
      }
      return acted;
    };
    const act = (plan: UserPlan): Promise<UserActResult> => applyUserPlan(rc, plan, {
      user,
      tenant,
      location,
      stored,
      resourceVersion: secret?.metadata?.resourceVersion,
      now: () => clock.now(),
      mailer: deps.mailer,
      smtpSecret: ctx.options.smtpSecret,
      smtpSettings,
      publicUrl: ctx.publicUrlFor(tenant),
      random: deps.random,
      unrecorded,
      signingKey: deps.signingKey,
      sendQueue: deps.sendQueue,
      signal: rc.signal,
      onDelivered: forgetFailed,
    });
    const acted = planned.action === 'issue' ? await capLock.run(tenantName, decideAndAct) : await decideAndAct();
    // A record not believed and not replaced by this pass: the User keeps its last trusted state.
    const detail = trust.trust === 'tampered' && !acted.record ? trust.detail : undefined;
    const tampered = detail !== undefined ? { reason: REASONS.invitationRecordTampered, message: tamperedMessage(secretName, detail, !!believed?.acceptedAt) } : undefined;
    if (tampered && !blocker && !isReason(user, REASONS.invitationRecordTampered)) {
      rc.log.warn({ secret: secretName, detail }, 'Ignored an invitation record the operator did not sign');
      await rc.recorder.event(user, 'Warning', REASONS.invitationRecordTampered, tampered.message);
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
      tampered,
      previous: believed,
      now: clock.now(),
    });
    // An invitation whose email was just handed to the send queue: remembered until status records it.
    // One that replaces an invitation status never recorded (its send threw) keeps the first one's
    // start, so status waits STATUS_WAIT_MS in all, however often the send is taken up again.
    if (acted.queued && acted.record) {
      const before = issued.get(key);
      const takenUpAgain = before !== undefined && (before.takenUpAgain === true || before.invitationId !== acted.record.invitationId);
      issued.set(key, { invitationId: acted.record.invitationId, expiresAt: acted.record.expiresAt, resend: acted.record.resend, issuedAtMs: before?.issuedAtMs ?? performance.now(), ...(takenUpAgain ? { takenUpAgain } : {}) });
    }
    // Its status ("Sending") waits for the pass the email's outcome brings, which writes the one
    // status of this invitation; once the send is late (the queue tells, STATUS_WAIT_MS), it is written as it is.
    const waitMs = statusMayWait({
      issued: issued.get(key),
      record: acted.record,
      sendInFlight: acted.record ? (deps.sendQueue?.has(acted.record.invitationId) ?? false) : false,
      sendLate: acted.record ? (deps.sendQueue?.isLate(acted.record.invitationId) ?? false) : false,
      mustReport: !!blocker || !!tampered || !!acted.sendProblem || !!acted.retry || derived.status.phase !== 'Invited',
      nowMs: performance.now(),
    });
    if (waitMs !== undefined) {
      const next = Math.min(derived.requeueAfterMs ?? Infinity, acted.retryInMs ?? Infinity, waitMs);
      return { requeueAfterMs: next };
    }
    const previousPhase = user.status?.phase;
    // An invitation accepted before status recorded it: its Invited (and InvitationSent) transitions
    // go into the history first, in this same write.
    const missed = missedInvitation(acted.record, user.status, user.metadata?.creationTimestamp);
    const before = missed ? withUserHistory(user.status, { ...(user.status ?? {}), phase: 'Invited', invitation: missed }, spec.role, spec.email, clock.now(), specChangedBy(user)) : user.status;
    const written = await writeStatus(rc.client, ACCOUNT_KINDS.user, user, withUserHistory(before, derived.status, spec.role, spec.email, clock.now(), specChangedBy(user)));
    if (written) own.wrote(key, user.metadata?.resourceVersion, written.metadata?.resourceVersion);
    // Status now says what the operator believes (a record it trusts, or what it kept from the last one).
    issued.delete(key);
    if (previousPhase !== derived.status.phase) await recordPhaseChange(rc, user, previousPhase, derived.status.phase);
    // The send failure is in status already (InvitationSent, Ready): the runtime need not say it again.
    if (acted.retry) throw new TransientError(acted.retry, { reportedInStatus: true });
    const next = Math.min(derived.requeueAfterMs ?? Infinity, acted.retryInMs ?? Infinity);
    return Number.isFinite(next) && next > 0 ? { requeueAfterMs: next } : undefined;
  };
}
