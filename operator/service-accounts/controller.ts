// The ServiceAccount controller: one API key per service account, in a Secret,
// with declarative rotation and self-repair (PRODUCT.md §4, R10-R14).
//
// gather (caches; a live read of the Secret before any key changes, so a stale
// cache never causes a rotation) → decide (`planKey`, `desiredStatus`, pure) →
// act (at most one Secret write, one status write, an Event).
import type { ServiceAccount } from '../api/index.js';
import { generateApiKey } from '../apikeys/index.js';
import type { RandomBytes } from '../apikeys/index.js';
import { parseDuration } from '../api-values/duration.js';
import type { OperatorContext } from '../operator.js';
import { ACCOUNT_KINDS, FINALIZER, MANAGED_LABELS, TENANT_LABEL } from '../operator.js';
import type { ReconcileContext } from '../runtime/controller.js';
import { isNotFound, TransientError } from '../runtime/errors.js';
import type { ReconcileResult } from '../runtime/errors.js';
import type { Informer } from '../runtime/informer.js';
import { builtinKinds } from '../runtime/kinds.js';
import type { KubeObject } from '../runtime/kinds.js';
import { addFinalizer, removeFinalizer, writeStatus } from '../runtime/status-writer.js';
import type { CachedApiKeySecret, IssuedKeyRecord, PreviousKeyRecord } from './api-key-secret.js';
import {
  API_KEY_SECRET_TYPE,
  ApiKeySecretMeta,
  apiKeySecretLabels,
  apiKeySecretName,
  buildApiKeySecret,
  controllerOwnerUid,
  ownerReferenceTo,
  recordedAnnotations,
  toCachedApiKeySecret,
} from './api-key-secret.js';
import type { KeyPlan, ObservedSecret, SecretOwnership } from './key-plan.js';
import { issuesNewKey, planKey } from './key-plan.js';
import type { KeyProblem } from './status.js';
import { desiredStatus } from './status.js';

type SA = ServiceAccount & KubeObject;

/** What the reconciler works with. */
export interface ServiceAccountControllerDeps {
  readonly ctx: OperatorContext;
  readonly secrets: Informer<CachedApiKeySecret>;
  /** Randomness of new keys. @default the OS CSPRNG */
  readonly random?: RandomBytes;
}

function ownershipOf(secret: KubeObject, sa: SA): SecretOwnership {
  const owner = controllerOwnerUid(secret);
  if (owner === sa.metadata?.uid) return 'this';
  const labels = secret.metadata?.labels ?? {};
  const ours =
    labels['app.kubernetes.io/managed-by'] === MANAGED_LABELS['app.kubernetes.io/managed-by'] &&
    labels[ApiKeySecretMeta.serviceAccountLabel] === sa.metadata?.name &&
    (secret as { type?: string }).type === API_KEY_SECRET_TYPE;
  if (!ours) return 'foreign';
  // Owner reference removed by hand: still this account's Secret if it holds the key status records.
  const recorded = secret.metadata?.annotations?.[ApiKeySecretMeta.fingerprint];
  if (owner === undefined && recorded !== undefined && recorded === sa.status?.fingerprint) return 'this';
  return 'stale';
}

function desiredLabels(tenant: string, sa: SA, keyId: string): Record<string, string> {
  return apiKeySecretLabels(MANAGED_LABELS, TENANT_LABEL, tenant, sa.metadata?.name ?? '', keyId);
}

function observeSecret(secret: CachedApiKeySecret | undefined, sa: SA, tenant: string): ObservedSecret | undefined {
  if (!secret) return undefined;
  const recorded = recordedAnnotations(secret);
  const labels = secret.metadata?.labels ?? {};
  const wantLabels = desiredLabels(tenant, sa, secret.observedKey.keyId ?? '');
  const refs = secret.metadata?.ownerReferences ?? [];
  return {
    ownership: ownershipOf(secret, sa),
    key: secret.observedKey,
    recordedFingerprint: recorded.fingerprint,
    revision: recorded.revision,
    createdAt: recorded.createdAt,
    previousExpiresAt: recorded.previousExpiresAt,
    metadataCurrent: Object.entries(wantLabels).every(([k, v]) => labels[k] === v) && refs.length === 1 && refs[0]?.uid === sa.metadata?.uid && refs[0]?.controller === true,
  };
}

function gracePeriodMs(sa: SA): number {
  const text = sa.spec?.keyRotation?.gracePeriod;
  if (!text) return 0;
  try {
    return parseDuration(text);
  } catch {
    // The schema validates it; an unparsable value means no grace period.
    return 0;
  }
}

function recordOf(secret: CachedApiKeySecret): IssuedKeyRecord | undefined {
  const recorded = recordedAnnotations(secret);
  const { keyId, fingerprint } = secret.observedKey;
  if (secret.observedKey.state !== 'ok' || !keyId || !fingerprint || !recorded.createdAt) return undefined;
  return { keyId, fingerprint, revision: recorded.revision, createdAt: recorded.createdAt };
}

/** Builds the reconciler of ServiceAccounts. */
export function serviceAccountReconciler(deps: ServiceAccountControllerDeps): (key: string, rc: ReconcileContext) => Promise<ReconcileResult> {
  const { ctx, secrets } = deps;
  const kind = ACCOUNT_KINDS.serviceAccount;

  async function liveSecret(rc: ReconcileContext, namespace: string, name: string): Promise<CachedApiKeySecret | undefined> {
    try {
      return toCachedApiKeySecret(await rc.client.get(builtinKinds.secret, namespace, name));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw new TransientError(`Could not read Secret ${namespace}/${name}`, { cause: error });
    }
  }

  async function finalize(rc: ReconcileContext, sa: SA, namespace: string, secretName: string): Promise<ReconcileResult> {
    // The Secret goes first, explicitly (garbage collection may not run); then the finalizer.
    const secret = await liveSecret(rc, namespace, secretName);
    if (secret && ownershipOf(secret, sa) !== 'foreign') {
      await rc.client.delete(builtinKinds.secret, namespace, secretName, { preconditions: { uid: secret.metadata?.uid } });
      rc.log.info({ secret: secretName, keyId: secret.observedKey.keyId }, 'Deleted the API key Secret');
    }
    await removeFinalizer(rc.client, kind, sa, FINALIZER);
    return undefined;
  }

  return async (key, rc) => {
    let sa = ctx.caches.serviceAccounts.get(key);
    if (!sa) return undefined;
    const namespace = sa.metadata?.namespace ?? '';
    const name = sa.metadata?.name ?? '';
    const secretName = apiKeySecretName(name);
    if (sa.metadata?.deletionTimestamp) return sa.metadata.finalizers?.includes(FINALIZER) ? finalize(rc, sa, namespace, secretName) : undefined;

    const now = ctx.clock.now();
    const tenant = ctx.tenantForNamespace(namespace);
    const existingWorkspaces = ctx.caches.workspaces.byIndex('namespace', namespace).map((w) => w.metadata?.name ?? '');
    const statusInputs = {
      generation: sa.metadata?.generation,
      role: sa.spec.role,
      listedWorkspaces: sa.spec.workspaces ?? [],
      existingWorkspaces,
      secretName,
      now,
    };
    if (!tenant) {
      const problem: KeyProblem = { reason: 'NotInTenantNamespace', message: `Namespace ${namespace} belongs to no Tenant: no API key is issued` };
      await writeStatus(rc.client, kind, sa, desiredStatus({ ...statusInputs, current: sa.status, key: problem }));
      return undefined;
    }
    const tenantName = tenant.metadata?.name ?? '';

    sa = (await addFinalizer(rc.client, kind, sa, FINALIZER)) ?? sa;

    // Gather, then decide; a decision to issue a key is confirmed against the API server.
    const decide = (secret: CachedApiKeySecret | undefined): KeyPlan =>
      planKey({
        now,
        desiredRevision: sa.spec.keyRotation?.revision ?? 0,
        gracePeriodMs: gracePeriodMs(sa),
        status: { fingerprint: sa.status?.fingerprint, keyCreatedAt: sa.status?.keyCreatedAt },
        secret: observeSecret(secret, sa, tenantName),
      });
    let secret = secrets.get(`${namespace}/${secretName}`);
    let plan = decide(secret);
    if (issuesNewKey(plan) || plan.action === 'conflict') {
      secret = await liveSecret(rc, namespace, secretName);
      plan = decide(secret);
    }
    rc.log.debug({ action: plan.action }, 'Planned the API key');

    let issued: IssuedKeyRecord | KeyProblem;
    let requeueAfterMs: number | undefined;
    switch (plan.action) {
      case 'conflict':
        issued = { reason: 'SecretConflict', message: `Secret ${secretName} exists and is not managed for this service account: delete or rename it` };
        break;
      case 'create':
      case 'repair':
      case 'rotate': {
        const result = await issueKey(rc, sa, tenantName, secretName, secret, plan);
        issued = result.record;
        if (result.previous) requeueAfterMs = result.previous.expiresAt - now;
        break;
      }
      case 'cleanup-expired-previous': {
        const current = secret as CachedApiKeySecret;
        await rc.client.patch(builtinKinds.secret, namespace, secretName, {
          metadata: {
            resourceVersion: current.metadata?.resourceVersion,
            labels: desiredLabels(tenantName, sa, current.observedKey.keyId ?? ''),
            annotations: { [ApiKeySecretMeta.previousKeyId]: null, [ApiKeySecretMeta.previousExpiresAt]: null },
            ownerReferences: [ownerReferenceTo(sa)],
          },
          data: { previousKeyHash: null },
        });
        rc.log.info({ secret: secretName, previousKeyId: current.metadata?.annotations?.[ApiKeySecretMeta.previousKeyId] }, 'Removed the expired previous API key');
        await rc.recorder.event(sa, 'Normal', 'PreviousKeyExpired', 'The grace period of the previous API key ended; only the current key verifies');
        issued = recordOf(current) ?? { reason: 'SecretConflict', message: `Secret ${secretName} holds no valid key` };
        break;
      }
      case 'keep': {
        const current = secret as CachedApiKeySecret;
        if (plan.fixMetadata) {
          await rc.client.patch(builtinKinds.secret, namespace, secretName, {
            metadata: { resourceVersion: current.metadata?.resourceVersion, labels: desiredLabels(tenantName, sa, current.observedKey.keyId ?? ''), ownerReferences: [ownerReferenceTo(sa)] },
          });
          rc.log.info({ secret: secretName }, 'Restored the labels and owner of the API key Secret');
        }
        issued = recordOf(current) ?? { reason: 'SecretConflict', message: `Secret ${secretName} holds no valid key` };
        requeueAfterMs = plan.requeueAfterMs;
        break;
      }
    }

    await writeStatus(rc.client, kind, sa, desiredStatus({ ...statusInputs, current: sa.status, key: issued }));
    return requeueAfterMs !== undefined ? { requeueAfterMs: Math.max(1, Math.ceil(requeueAfterMs) + 50) } : undefined;
  };

  async function issueKey(
    rc: ReconcileContext,
    sa: SA,
    tenant: string,
    secretName: string,
    existing: CachedApiKeySecret | undefined,
    plan: Extract<KeyPlan, { action: 'create' | 'repair' | 'rotate' }>,
  ): Promise<{ record: IssuedKeyRecord; previous: PreviousKeyRecord | undefined }> {
    const namespace = sa.metadata?.namespace ?? '';
    const now = ctx.clock.now();
    const generated = generateApiKey(deps.random);
    const record: IssuedKeyRecord = { keyId: generated.keyId, fingerprint: generated.fingerprint, revision: sa.spec.keyRotation?.revision ?? 0, createdAt: new Date(now).toISOString() };
    const old = existing?.observedKey;
    const previous: PreviousKeyRecord | undefined =
      plan.action === 'rotate' && plan.gracePeriodMs > 0 && old?.keyId && old.hash ? { keyId: old.keyId, hash: old.hash, expiresAt: now + plan.gracePeriodMs } : undefined;
    const body = buildApiKeySecret({
      namespace,
      name: secretName,
      labels: desiredLabels(tenant, sa, record.keyId),
      owner: ownerReferenceTo(sa),
      content: { key: generated.key, record, previous },
      resourceVersion: existing?.metadata?.resourceVersion,
    });
    if (existing) await rc.client.replace(builtinKinds.secret, body);
    else await rc.client.create(builtinKinds.secret, body);

    const ids = { secret: secretName, keyId: record.keyId, fingerprint: record.fingerprint, revision: record.revision };
    switch (plan.action) {
      case 'create':
        rc.log.info(ids, 'Issued API key');
        await rc.recorder.event(sa, 'Normal', 'KeyIssued', `Issued API key ${record.keyId} (${record.fingerprint}) into Secret ${secretName}`);
        break;
      case 'rotate': {
        rc.log.info({ ...ids, previousKeyId: old?.keyId, gracePeriodMs: plan.gracePeriodMs }, 'Rotated API key');
        const grace = previous ? `; key ${previous.keyId} keeps working for ${plan.gracePeriodMs / 1000}s` : `; key ${old?.keyId ?? '(none)'} no longer works`;
        await rc.recorder.event(sa, 'Normal', 'KeyRotated', `Rotated the API key to revision ${record.revision}: issued key ${record.keyId} (${record.fingerprint})${grace}`);
        break;
      }
      case 'repair': {
        const what = plan.reason === 'SecretDeleted' ? `Secret ${secretName} was deleted` : `API key in Secret ${secretName} was altered`;
        rc.log.warn({ ...ids, reason: plan.reason, previousKeyId: sa.status?.keyId }, 'Replaced a deleted or altered API key');
        await rc.recorder.event(sa, 'Warning', plan.reason, `The ${what}: key ${sa.status?.keyId ?? '(unknown)'} no longer works; issued key ${record.keyId} (${record.fingerprint})`);
        break;
      }
    }
    return { record, previous };
  }
}
