// The act step of the ServiceAccount controller: carries out a KeyPlan with at
// most one Secret write and one Event (two writes when a kept key moves to another
// data key of the template), and says which key the account now has; and the
// finalizer's one write, the delete of the account's Secret. Table-tested against the fake writer (key-act.test.ts).
import { generateApiKey } from '../apikeys/index.js';
import type { RandomBytes } from '../apikeys/index.js';
import type { ServiceAccount } from '../api/index.js';
import { ApiError, TransientError } from '../runtime/errors.js';
import { builtinKinds } from '../runtime/kinds.js';
import type { KubeObject } from '../runtime/kinds.js';
import { PatchType } from '../runtime/kube-client.js';
import type { ActContext } from '../runtime/kube-writer.js';
import type { CachedApiKeySecret, IssuedKeyRecord, PreviousKeyRecord } from './api-key-secret.js';
import { ApiKeySecretMeta, buildApiKeySecret, dataDigest, ownerReferenceTo } from './api-key-secret.js';
import { SIGNATURE_ANNOTATION, signKeyRecord } from './key-signing.js';
import type { SignedKeyRecord } from './key-signing.js';
import type { KeyPlan } from './key-plan.js';
import { moveKeyPatch, planTemplateWrites, secretTemplateOf } from './secret-template.js';
import type { SecretTemplate } from './secret-template.js';
import type { KeyProblem } from './service-account-status.js';

type SA = ServiceAccount & KubeObject;

/** What applying a key plan needs besides the plan. */
export interface KeyActInput {
  readonly sa: SA;
  readonly secretName: string;
  /** The Secret as last observed (live when the plan changes the key). */
  readonly secret: CachedApiKeySecret | undefined;
  /** Labels the Secret should carry for a key id. */
  readonly labelsFor: (keyId: string) => Record<string, string>;
  readonly now: number;
  /** Signs what the Secret records (key-signing.ts). */
  readonly signingKey: Buffer;
  readonly random?: RandomBytes | undefined;
  /** spec.secretTemplate with its defaults. @default no template */
  readonly template?: SecretTemplate | undefined;
}

/** What the account now has: a key (for status) or a problem, its previous key while that still works, and when to look again. */
export interface KeyActResult {
  readonly key: IssuedKeyRecord | KeyProblem;
  /** The previous key and when it stops working (RFC 3339), as signed into the Secret. */
  readonly previous?: { readonly keyId: string; readonly expiresAt: string } | undefined;
  readonly requeueAfterMs?: number;
}

/**
 * The plan was made without a Secret (none cached) but the API server has one (409
 * AlreadyExists on create): nothing was written; read the Secret live and plan again.
 */
export interface SecretExists {
  readonly secretExists: true;
}

/** The key a signed record describes, for status. */
function heldKey(record: SignedKeyRecord, fingerprint: string): IssuedKeyRecord {
  return { keyId: record.keyId, fingerprint, revision: record.revision, createdAt: record.createdAt };
}

/** The previous key of a signed record, for status. */
function previousOf(record: SignedKeyRecord): KeyActResult['previous'] {
  return record.previous ? { keyId: record.previous.keyId, expiresAt: record.previous.expiresAt } : undefined;
}

/** The signature of `record` once owned by `sa` (and without its previous key, when asked). */
function signatureFor(input: KeyActInput, record: SignedKeyRecord, withoutPrevious = false): string {
  return signKeyRecord(input.signingKey, { ...record, ownerUid: input.sa.metadata?.uid ?? '', serviceAccount: input.sa.metadata?.name ?? '', previous: withoutPrevious ? undefined : record.previous });
}

/** The record annotations as the signed record says (a copy for people; never read back), and the signature. */
function recordAnnotations(input: KeyActInput, record: SignedKeyRecord, fingerprint: string, withoutPrevious = false): Record<string, string | null> {
  const previous = withoutPrevious ? undefined : record.previous;
  return {
    [ApiKeySecretMeta.fingerprint]: fingerprint,
    [ApiKeySecretMeta.revision]: String(record.revision),
    [ApiKeySecretMeta.createdAt]: record.createdAt,
    [ApiKeySecretMeta.previousKeyId]: previous?.keyId ?? null,
    [ApiKeySecretMeta.previousExpiresAt]: previous?.expiresAt ?? null,
    [SIGNATURE_ANNOTATION]: signatureFor(input, record, withoutPrevious),
  };
}

/** Carries out `plan`. */
export async function applyKeyPlan(act: ActContext, plan: KeyPlan, input: KeyActInput): Promise<KeyActResult | SecretExists> {
  const { sa, secretName, secret } = input;
  const namespace = sa.metadata?.namespace ?? '';
  switch (plan.action) {
    case 'conflict':
      return { key: { reason: 'SecretConflict', message: `Secret ${secretName} exists and is not managed for this service account: delete or rename it` } };
    case 'create':
    case 'repair':
    case 'rotate': {
      const issued = await issueKey(act, plan, input);
      if (issued === 'exists') return { secretExists: true };
      const { record, previous } = issued;
      return {
        key: record,
        ...(previous ? { previous: { keyId: previous.keyId, expiresAt: new Date(previous.expiresAt).toISOString() }, requeueAfterMs: previous.expiresAt - input.now } : {}),
      };
    }
    case 'cleanup-expired-previous': {
      const current = secret as CachedApiKeySecret;
      const fingerprint = current.observedKey.fingerprint ?? '';
      await act.client.patch(builtinKinds.secret, namespace, secretName, {
        metadata: {
          resourceVersion: current.metadata?.resourceVersion,
          labels: input.labelsFor(plan.record.keyId),
          annotations: recordAnnotations(input, plan.record, fingerprint, true),
          ownerReferences: [ownerReferenceTo(sa)],
        },
        data: { previousKeyHash: null },
      });
      act.log.info({ secret: secretName, previousKeyId: plan.record.previous?.keyId }, 'Removed the expired previous API key');
      await act.recorder.event(sa, 'Normal', 'PreviousKeyExpired', 'The grace period of the previous API key ended; only the current key verifies');
      return { key: heldKey(plan.record, fingerprint) };
    }
    case 'sign-from-status':
      return { key: await signFromStatus(act, plan, input) };
    case 'keep': {
      const current = secret as CachedApiKeySecret;
      await keepKey(act, plan, current, input);
      return {
        key: heldKey(plan.record, current.observedKey.fingerprint ?? ''),
        previous: previousOf(plan.record),
        ...(plan.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs } : {}),
      };
    }
  }
}

/**
 * Signs a record written before signatures, once, from what status says about its key (the plan's
 * revision and issue time), without a previous key: its annotations and any previous key hash go.
 */
async function signFromStatus(act: ActContext, plan: Extract<KeyPlan, { action: 'sign-from-status' }>, input: KeyActInput): Promise<IssuedKeyRecord> {
  const { sa, secretName } = input;
  const current = input.secret as CachedApiKeySecret;
  const { keyId = '', hash = '', fingerprint = '' } = current.observedKey;
  const record: SignedKeyRecord = {
    namespace: sa.metadata?.namespace ?? '',
    serviceAccount: sa.metadata?.name ?? '',
    ownerUid: sa.metadata?.uid ?? '',
    keyId,
    hash,
    revision: plan.revision,
    createdAt: plan.createdAt,
    previous: undefined,
  };
  await act.client.patch(builtinKinds.secret, sa.metadata?.namespace ?? '', secretName, {
    metadata: {
      resourceVersion: current.metadata?.resourceVersion,
      labels: input.labelsFor(keyId),
      annotations: recordAnnotations(input, record, fingerprint),
      ownerReferences: [ownerReferenceTo(sa)],
    },
    data: { previousKeyHash: null },
  });
  act.log.info({ secret: secretName, keyId, revision: plan.revision }, 'Signed an API key record written before signatures, from status');
  return heldKey(record, fingerprint);
}

/**
 * Keeps the key and brings the rest of the Secret to the template (and the operator's labels and
 * owner back, if removed): one merge patch; a renamed key data key is a move on the API server.
 */
async function keepKey(act: ActContext, plan: Extract<KeyPlan, { action: 'keep' }>, current: CachedApiKeySecret, input: KeyActInput): Promise<void> {
  const { fixMetadata } = plan;
  const { sa, secretName } = input;
  const namespace = sa.metadata?.namespace ?? '';
  const template = input.template ?? secretTemplateOf(undefined);
  const writes = planTemplateWrites(
    { labels: current.metadata?.labels ?? {}, annotations: current.metadata?.annotations ?? {}, dataDigests: current.dataDigests, keyDataKey: current.keyDataKey },
    template,
    dataDigest,
  );
  let resourceVersion = current.metadata?.resourceVersion ?? '';
  if (fixMetadata || writes?.merge) {
    const operatorLabels = fixMetadata ? input.labelsFor(plan.record.keyId) : {};
    const record = fixMetadata ? recordAnnotations(input, plan.record, current.observedKey.fingerprint ?? '') : {};
    const annotations = { ...writes?.merge?.metadata.annotations, ...record };
    const updated = await act.client.patch(builtinKinds.secret, namespace, secretName, {
      metadata: {
        resourceVersion,
        labels: { ...writes?.merge?.metadata.labels, ...operatorLabels },
        ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
        ...(fixMetadata ? { ownerReferences: [ownerReferenceTo(sa)] } : {}),
      },
      ...(writes?.merge && Object.keys(writes.merge.data).length > 0 ? { data: writes.merge.data } : {}),
    });
    resourceVersion = updated.metadata?.resourceVersion ?? resourceVersion;
    if (fixMetadata) act.log.info({ secret: secretName }, 'Restored the labels, owner, record and signature of the API key Secret');
    if (writes?.merge) act.log.info({ secret: secretName }, 'Applied the Secret template');
  }
  if (writes?.moveKey) {
    await act.client.patch(builtinKinds.secret, namespace, secretName, moveKeyPatch(writes.moveKey, resourceVersion), { type: PatchType.json });
    act.log.info({ secret: secretName, from: writes.moveKey.from, to: writes.moveKey.to, keyId: current.observedKey.keyId }, 'Moved the API key to another data key');
    await act.recorder.event(sa, 'Normal', 'KeyMoved', `The API key ${current.observedKey.keyId ?? ''} moved from data key ${writes.moveKey.from} to ${writes.moveKey.to} of Secret ${secretName}; the key is unchanged`);
  }
}

/**
 * Generates a key and writes it (create, or replace guarded by the resourceVersion read), then says so.
 * 'exists': a create found a Secret of that name (the plan saw none): nothing was written, no Event.
 */
async function issueKey(
  act: ActContext,
  plan: Extract<KeyPlan, { action: 'create' | 'repair' | 'rotate' }>,
  input: KeyActInput,
): Promise<{ record: IssuedKeyRecord; previous: PreviousKeyRecord | undefined } | 'exists'> {
  const { sa, secretName, secret: existing, now } = input;
  const generated = generateApiKey(input.random);
  const record: IssuedKeyRecord = { keyId: generated.keyId, fingerprint: generated.fingerprint, revision: sa.spec.keyRotation?.revision ?? 0, createdAt: new Date(now).toISOString() };
  const old = existing?.observedKey;
  const previous: PreviousKeyRecord | undefined =
    plan.action === 'rotate' && plan.gracePeriodMs > 0 && old?.keyId && old.hash ? { keyId: old.keyId, hash: old.hash, expiresAt: now + plan.gracePeriodMs } : undefined;
  const body = buildApiKeySecret({
    namespace: sa.metadata?.namespace ?? '',
    name: secretName,
    labels: input.labelsFor(record.keyId),
    owner: ownerReferenceTo(sa),
    content: { key: generated.key, record, previous },
    signingKey: input.signingKey,
    resourceVersion: existing?.metadata?.resourceVersion,
    ...(input.template ? { template: input.template } : {}),
  });
  try {
    if (existing) await act.client.replace(builtinKinds.secret, body);
    else await act.client.create(builtinKinds.secret, body);
  } catch (error) {
    if (!existing && error instanceof ApiError && error.code === 409) return 'exists';
    // Said in the account's status when it persists (runtime/failure-status.ts): what was refused, and why.
    throw new TransientError(`${existing ? 'Replacing' : 'Creating'} Secret ${secretName} failed`, { cause: error });
  }

  const ids = { secret: secretName, keyId: record.keyId, fingerprint: record.fingerprint, revision: record.revision };
  switch (plan.action) {
    case 'create':
      act.log.info(ids, 'Issued API key');
      await act.recorder.event(sa, 'Normal', 'KeyIssued', `Issued API key ${record.keyId} (${record.fingerprint}) into Secret ${secretName}`);
      break;
    case 'rotate': {
      act.log.info({ ...ids, previousKeyId: old?.keyId, gracePeriodMs: plan.gracePeriodMs, reason: plan.reason }, 'Rotated API key');
      const grace = previous ? `; key ${previous.keyId} keeps working for ${plan.gracePeriodMs / 1000}s` : `; key ${old?.keyId ?? '(none)'} no longer works`;
      const why = plan.reason === 'Scheduled' ? `on schedule (every ${sa.spec.keyRotation?.every ?? '?'})` : `to revision ${record.revision}`;
      await act.recorder.event(sa, 'Normal', 'KeyRotated', `Rotated the API key ${why}: issued key ${record.keyId} (${record.fingerprint})${grace}`);
      break;
    }
    case 'repair': {
      const what = plan.reason === 'SecretDeleted' ? `Secret ${secretName} was deleted` : `API key in Secret ${secretName} was altered`;
      act.log.warn({ ...ids, reason: plan.reason, previousKeyId: sa.status?.keyId }, 'Replaced a deleted or altered API key');
      await act.recorder.event(sa, 'Warning', plan.reason, `The ${what}: key ${sa.status?.keyId ?? '(unknown)'} no longer works; issued key ${record.keyId} (${record.fingerprint})`);
      break;
    }
  }
  return { record, previous };
}

/** Deletes an account's API key Secret (the finalizer's act step), conditioned on the uid observed. */
export async function deleteKeySecret(act: ActContext, secret: CachedApiKeySecret): Promise<void> {
  const name = secret.metadata?.name ?? '';
  await act.client.delete(builtinKinds.secret, secret.metadata?.namespace, name, { preconditions: { uid: secret.metadata?.uid } });
  act.log.info({ secret: name, keyId: secret.observedKey.keyId }, 'Deleted the API key Secret');
}
