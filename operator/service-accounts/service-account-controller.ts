// The ServiceAccount controller: one API key per service account, in a Secret,
// with declarative rotation and self-repair (R10-R14).
//
// fetch → gone: done → finalizer (deleting: remove the Secret) → tenant check →
// gather the Secret (cache; a live read before a key replaces a cached Secret, so a
// stale cache never causes a rotation; none cached: create, and a 409 AlreadyExists
// means read it live and plan again) → decide (`planKey`, pure) → act (`applyKeyPlan`: at
// most one Secret write and an Event) → restart targets if a new key replaced the
// one they had (`decideRestart`, `restartTargets`) → copies of the key in other
// namespaces (spec.delivery: `deliverKey`, delivery/) → status (`desiredStatus`,
// written only when it differs). An account gone from the cache still has its
// copies removed (they cannot carry owner references across namespaces).
import type { RandomBytes } from '../apikeys/index.js';
import { ACCOUNT_KINDS, CONDITIONS, FINALIZER, MANAGED_LABELS, TENANT_LABEL } from '../api/index.js';
import type { ServiceAccount } from '../api/index.js';
import { parseDuration } from '../api-values/duration.js';
import type { OperatorContext } from '../context.js';
import type { ReconcileContext } from '../runtime/controller.js';
import { isNotFound, TransientError } from '../runtime/errors.js';
import type { ReconcileResult } from '../runtime/errors.js';
import type { Informer } from '../runtime/informer.js';
import { builtinKinds } from '../runtime/kinds.js';
import type { KubeObject } from '../runtime/kinds.js';
import type { KubeWriter } from '../runtime/kube-writer.js';
import { finalizerStep, writeStatus } from '../runtime/status-writer.js';
import { OwnWrites } from '../runtime/own-writes.js';
import type { CachedApiKeySecret } from './api-key-secret.js';
import { API_KEY_SECRET_TYPE, ApiKeySecretMeta, apiKeySecretLabels, apiKeySecretName, checkSignature, controllerOwnerUid, toCachedApiKeySecret } from './api-key-secret.js';
import type { SignedKeyRecord } from './key-signing.js';
import { applyKeyPlan, deleteKeySecret } from './key-act.js';
import type { KeyPlan, ObservedSecret, SecretOwnership } from './key-plan.js';
import { issuesNewKey, planKey } from './key-plan.js';
import { restartTargets } from './restart-act.js';
import { decideRestart } from './restart-targets.js';
import { lookAgainAfterMs, nextRotationAt } from './rotation-schedule.js';
import { secretTemplateOf } from './secret-template.js';
import { desiredStatus, KEY_EXPIRED_UNUSED, serviceAccountTransitions } from './service-account-status.js';
import { currentKeyExpiredUnused } from './key-usage.js';
import { specChangedBy } from '../runtime/history.js';
import { deliverKey, removeCopiesOf } from './delivery/deliver-key.js';
import type { DeliveryCaches, DeliveryOutcome } from './delivery/deliver-key.js';
import { KEY_DELIVERED_REASONS, mergeRollouts } from './delivery/delivery-plan.js';
import { COPIES_BY_ACCOUNT_INDEX } from './delivery/key-copy.js';

type SA = ServiceAccount & KubeObject;

/** What the reconciler works with. */
export interface ServiceAccountControllerDeps {
  readonly ctx: OperatorContext;
  readonly secrets: Informer<CachedApiKeySecret>;
  /** Copies of keys in other namespaces, and the Namespaces that opted in to receive them (spec.delivery). */
  readonly delivery: DeliveryCaches;
  /** Signs API-key records (key-signing.ts). */
  readonly signingKey: Buffer;
  /** Randomness of new keys. @default the OS CSPRNG */
  readonly random?: RandomBytes;
}

/** Whose a Secret with the account's Secret name is. */
export function ownershipOf(secret: CachedApiKeySecret, sa: SA): SecretOwnership {
  const owner = controllerOwnerUid(secret);
  if (owner === sa.metadata?.uid) return 'this';
  const labels = secret.metadata?.labels ?? {};
  const ours =
    labels['app.kubernetes.io/managed-by'] === MANAGED_LABELS['app.kubernetes.io/managed-by'] &&
    labels[ApiKeySecretMeta.serviceAccountLabel] === sa.metadata?.name &&
    secret.type === API_KEY_SECRET_TYPE;
  if (!ours) return 'foreign';
  // Owner reference removed by hand: still this account's Secret if it holds the key status records
  // (the key itself, not the fingerprint annotation; its signature is checked next).
  const held = secret.observedKey.fingerprint;
  if (owner === undefined && held !== undefined && held === sa.status?.fingerprint) return 'this';
  return 'stale';
}

/** True when the Secret's record annotations say what the signed record says (a human-readable copy; never read back). */
function annotationsShow(secret: CachedApiKeySecret, record: SignedKeyRecord, fingerprint: string | undefined): boolean {
  const a = secret.metadata?.annotations ?? {};
  const want: Record<string, string | undefined> = {
    [ApiKeySecretMeta.fingerprint]: fingerprint,
    [ApiKeySecretMeta.revision]: String(record.revision),
    [ApiKeySecretMeta.createdAt]: record.createdAt,
    [ApiKeySecretMeta.previousKeyId]: record.previous?.keyId,
    [ApiKeySecretMeta.previousExpiresAt]: record.previous?.expiresAt,
  };
  return Object.entries(want).every(([k, v]) => a[k] === v);
}

function observeSecret(secret: CachedApiKeySecret | undefined, sa: SA, labelsFor: (keyId: string) => Record<string, string>, signingKey: Buffer): ObservedSecret | undefined {
  if (!secret) return undefined;
  const labels = secret.metadata?.labels ?? {};
  const wantLabels = labelsFor(secret.observedKey.keyId ?? '');
  const refs = secret.metadata?.ownerReferences ?? [];
  // Judged as this account's Secret: a removed label or owner reference is restored, not a forgery.
  const { state, record } = checkSignature(signingKey, secret, { ownerUid: sa.metadata?.uid ?? '', serviceAccount: sa.metadata?.name ?? '' });
  return {
    ownership: ownershipOf(secret, sa),
    signature: state,
    signed: record,
    key: secret.observedKey,
    metadataCurrent:
      record !== undefined &&
      annotationsShow(secret, record, secret.observedKey.fingerprint) &&
      Object.entries(wantLabels).every(([k, v]) => labels[k] === v) &&
      refs.length === 1 &&
      refs[0]?.uid === sa.metadata?.uid &&
      refs[0]?.controller === true,
  };
}

/** A duration of spec.keyRotation in ms; undefined when unset. The schema validates it; an unparsable value counts as unset. */
function rotationMs(sa: SA, field: 'gracePeriod' | 'every'): number | undefined {
  const text = sa.spec?.keyRotation?.[field];
  if (!text) return undefined;
  try {
    return parseDuration(text);
  } catch {
    return undefined;
  }
}

async function liveSecret(client: KubeWriter, namespace: string, name: string): Promise<CachedApiKeySecret | undefined> {
  try {
    return toCachedApiKeySecret(await client.get(builtinKinds.secret, namespace, name));
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw new TransientError(`Could not read Secret ${namespace}/${name}`, { cause: error });
  }
}

/** Deletion path: the copies and the Secret go first, explicitly (garbage collection may not run), if they are this account's. */
async function finalizeServiceAccount(rc: ReconcileContext, sa: SA, delivery: DeliveryCaches): Promise<void> {
  await removeCopiesOf(rc, delivery, sa.metadata?.namespace ?? '', sa.metadata?.name ?? '', sa);
  const secret = await liveSecret(rc.client, sa.metadata?.namespace ?? '', apiKeySecretName(sa.metadata?.name ?? ''));
  if (secret && ownershipOf(secret, sa) !== 'foreign') await deleteKeySecret(rc, secret);
}

/** A Warning Event when KeyDelivered turns False or says something new (the recorder folds repeats into one series). */
async function reportDeliveryProblem(rc: ReconcileContext, sa: SA, delivery: DeliveryOutcome): Promise<void> {
  const condition = delivery.condition;
  if (!condition || condition.status === 'True') return;
  const before = sa.status?.conditions?.find((c) => c.type === CONDITIONS.keyDelivered);
  if (before?.status === 'False' && before.reason === condition.reason && before.message === condition.message) return;
  rc.log.warn({ reason: condition.reason }, 'The API key was not delivered everywhere spec.delivery asks');
  await rc.recorder.event(sa, 'Warning', condition.reason, condition.message);
}

/** Builds the reconciler of ServiceAccounts. */
export function serviceAccountReconciler(deps: ServiceAccountControllerDeps): (key: string, rc: ReconcileContext) => Promise<ReconcileResult> {
  const { ctx, secrets } = deps;
  const kind = ACCOUNT_KINDS.serviceAccount;
  // Versions of accounts this controller's own writes (finalizer, status) replaced and the cache may not show yet.
  const own = new OwnWrites();
  return async (key, rc) => {
    // Fetch; gone: done.
    const cached = ctx.caches.serviceAccounts.get(key);
    if (!cached) own.forget(key);
    // The cache lags this controller's own write of the account: the watch event of the account as
    // written brings the next pass; this one would only plan from the old status and write it again (409).
    if (cached && own.behind(key, cached.metadata?.resourceVersion)) {
      rc.log.debug({ resourceVersion: cached.metadata?.resourceVersion }, 'Skipped: the cache has not shown this controller\'s own write yet');
      return undefined;
    }
    if (!cached) {
      // Gone: copies of its key may be left in other namespaces (deleted while the operator was down).
      const [namespace = '', name = ''] = key.split('/');
      if (deps.delivery.copies.byIndex(COPIES_BY_ACCOUNT_INDEX, key).length > 0) await removeCopiesOf(rc, deps.delivery, namespace, name);
      return undefined;
    }
    // Finalizer.
    const step = await finalizerStep(rc.client, kind, cached, FINALIZER, (sa) => finalizeServiceAccount(rc, sa, deps.delivery));
    if (step.done) return undefined;
    const sa = step.object;
    if (sa !== cached) own.wrote(key, cached.metadata?.resourceVersion, sa.metadata?.resourceVersion);
    const namespace = sa.metadata?.namespace ?? '';
    const secretName = apiKeySecretName(sa.metadata?.name ?? '');
    const now = ctx.clock.now();
    const statusInputs = {
      generation: sa.metadata?.generation,
      role: sa.spec.role,
      listedWorkspaces: sa.spec.workspaces ?? [],
      existingWorkspaces: ctx.caches.workspaces.byIndex('namespace', namespace).map((w) => w.metadata?.name ?? ''),
      secretName,
      now,
    };
    // Tenant check.
    const tenant = ctx.tenants.forNamespace(namespace);
    if (!tenant) {
      const key = { reason: 'NotInTenantNamespace' as const, message: `Namespace ${namespace} belongs to no Tenant: no API key is issued` };
      await writeStatus(rc.client, kind, sa, desiredStatus({ ...statusInputs, current: sa.status, key }));
      return undefined;
    }
    const labelsFor = (keyId: string): Record<string, string> => apiKeySecretLabels(MANAGED_LABELS, TENANT_LABEL, tenant.metadata?.name ?? '', sa.metadata?.name ?? '', keyId);

    // Plan (pure). A key that replaces a cached Secret, or a conflict, is confirmed against the API server
    // first; with no Secret cached the key is created at once: a 409 AlreadyExists (the cache lagged) means
    // read it live and plan again.
    // A key that went unused too long stays dead: rotating away from it gives it no grace period.
    const unused = currentKeyExpiredUnused(sa, now);
    const decide = (secret: CachedApiKeySecret | undefined): KeyPlan =>
      planKey({
        now,
        desiredRevision: sa.spec.keyRotation?.revision ?? 0,
        gracePeriodMs: unused.expired ? 0 : (rotationMs(sa, 'gracePeriod') ?? 0),
        everyMs: rotationMs(sa, 'every'),
        status: { keyId: sa.status?.keyId, fingerprint: sa.status?.fingerprint, keyCreatedAt: sa.status?.keyCreatedAt, keyRevision: sa.status?.keyRevision },
        secret: observeSecret(secret, sa, labelsFor, deps.signingKey),
      });
    let secret = secrets.get(`${namespace}/${secretName}`);
    let plan = decide(secret);
    if (secret && (issuesNewKey(plan) || plan.action === 'conflict')) {
      secret = await liveSecret(rc.client, namespace, secretName);
      plan = decide(secret);
    }
    rc.log.debug({ action: plan.action }, 'Planned the API key');

    // Act: the key, then the workloads that must read a new one, then status.
    const template = secretTemplateOf(sa.spec.secretTemplate);
    const act = (): ReturnType<typeof applyKeyPlan> => applyKeyPlan(rc, plan, { sa, secretName, secret, labelsFor, now, signingKey: deps.signingKey, random: deps.random, template });
    let acted = await act();
    if ('secretExists' in acted) {
      secret = await liveSecret(rc.client, namespace, secretName);
      plan = decide(secret);
      rc.log.debug({ action: plan.action }, 'The API key Secret existed after all: planned again with the live Secret');
      acted = await act();
      if ('secretExists' in acted) throw new TransientError(`Secret ${namespace}/${secretName} appeared and went while the key was issued`);
    }
    const keyId = 'keyId' in acted.key ? acted.key.keyId : undefined;
    const targets = sa.spec.keyRotation?.restartTargets ?? [];
    const restart = decideRestart({ targets, keyId, rolledOutKeyId: sa.status?.rolledOutKeyId });
    const rollout = restart === 'restart' && keyId ? await restartTargets(rc, sa, targets, secretName, keyId, now) : undefined;
    // Copies of the key in other namespaces, once there is a key (and their restart targets).
    const delivery: DeliveryOutcome =
      'keyId' in acted.key
        ? await deliverKey(rc, ctx, deps.delivery, {
            sa,
            id: { tenant: tenant.metadata?.name ?? '', sourceNamespace: namespace, serviceAccount: sa.metadata?.name ?? '', uid: sa.metadata?.uid ?? '', sourceSecret: secretName, keyId: acted.key.keyId, fingerprint: acted.key.fingerprint },
            template,
            signingKey: deps.signingKey,
            now,
          })
        : {
            condition: (sa.spec.delivery ?? []).length > 0 ? { status: 'False', reason: KEY_DELIVERED_REASONS.noKey, message: `No key is delivered while the account has none: ${acted.key.message}` } : undefined,
            deliveredTo: sa.status?.deliveredTo ?? [],
            rollouts: [],
          };
    const rolloutOutcome = mergeRollouts([...(rollout ? [rollout] : []), ...delivery.rollouts]);
    await reportDeliveryProblem(rc, sa, delivery);
    const createdAt = 'createdAt' in acted.key ? acted.key.createdAt : undefined;
    const next = nextRotationAt(createdAt, rotationMs(sa, 'every'));
    // Expired unused: the key status names, kept by this pass (a new key starts a new count).
    const expiredUnused = unused.expired && keyId !== undefined && keyId === sa.status?.keyId;
    const after = sa.spec.keyRotation?.expireUnusedAfter ?? '';
    const transitions = serviceAccountTransitions({ current: sa.status, role: sa.spec.role, action: plan.action, reason: 'reason' in plan ? plan.reason : undefined, keyId, expiredUnused, keyRevision: 'revision' in acted.key ? acted.key.revision : undefined, now });
    const written = await writeStatus(
      rc.client,
      kind,
      sa,
      desiredStatus({
        ...statusInputs,
        current: sa.status,
        key: acted.key,
        previousKey: acted.previous,
        nextRotationAt: next,
        rolledOutKeyId: restart === 'none' ? sa.status?.rolledOutKeyId : keyId,
        rollout: rolloutOutcome,
        hasRestartTargets: targets.length > 0 || (sa.spec.delivery ?? []).some((d) => (d.restartTargets ?? []).length > 0),
        delivery: { condition: delivery.condition, deliveredTo: delivery.deliveredTo },
        expiredUnused: expiredUnused ? { after } : undefined,
        transitions,
        specManager: specChangedBy(sa),
      }),
    );
    if (written) own.wrote(key, sa.metadata?.resourceVersion, written.metadata?.resourceVersion);
    if (transitions.some((t) => t.event === KEY_EXPIRED_UNUSED)) {
      rc.log.warn({ keyId, expireUnusedAfter: after }, 'An API key expired unused');
      await rc.recorder.event(sa, 'Warning', KEY_EXPIRED_UNUSED, `API key ${keyId ?? ''} was not used for ${after} and no longer verifies; raise spec.keyRotation.revision to issue a new key`);
    }
    // A scheduled rotation, or an unused key's expiry, comes due with no event to wake the controller: look again then.
    const wakeAt = [next, expiredUnused ? undefined : unused.at].filter((t): t is number => t !== undefined);
    const lookAgain = lookAgainAfterMs(now, acted.requeueAfterMs, wakeAt.length > 0 ? Math.min(...wakeAt) : undefined);
    return lookAgain !== undefined ? { requeueAfterMs: lookAgain } : undefined;
  };
}
