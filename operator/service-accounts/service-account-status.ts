// The status a service account should have, from what was observed (pure).
// Conditions: KeyIssued, ReferencesResolved, Ready, RolloutRestarted once the
// account has restart targets, and KeyDelivered once it has spec.delivery; reasons are stable, messages
// carry no timestamps and nothing secret (the key id and fingerprint are not secret).
import { CONDITIONS, REASONS } from '../api/index.js';
import { HISTORY_MAX } from '../api/history.js';
import type { Role, ServiceAccountStatus } from '../api/index.js';
import type { Condition } from '../runtime/conditions.js';
import { appendHistory } from '../runtime/history.js';
import type { SpecManagerLookup, Transition } from '../runtime/history.js';
import { kubeTime, setCondition } from '../runtime/conditions.js';
import { effectiveWorkspaces } from '../policy/index.js';
import type { IssuedKeyRecord } from './api-key-secret.js';

/** Listed workspaces that do not exist, sorted. */
export function missingWorkspaces(listed: readonly string[], existing: readonly string[]): string[] {
  const have = new Set(existing);
  return [...new Set(listed.filter((name) => !have.has(name)))].sort();
}

/** Why no key can be issued. */
export interface KeyProblem {
  readonly reason: 'NotInTenantNamespace' | 'SecretConflict';
  readonly message: string;
}

/** What {@link desiredStatus} needs. */
export interface StatusInputs {
  readonly generation: number | undefined;
  readonly current: ServiceAccountStatus | undefined;
  readonly role: Role;
  readonly listedWorkspaces: readonly string[];
  readonly existingWorkspaces: readonly string[];
  readonly secretName: string;
  /** The key in the Secret after this reconcile, or why there is none. */
  readonly key: IssuedKeyRecord | KeyProblem;
  readonly now: number;
  /** The previous key while it still works, as signed into the Secret (expiry in RFC 3339). */
  readonly previousKey?: { readonly keyId: string; readonly expiresAt: string } | undefined;
  /** When spec.keyRotation.every rotates the key next (epoch ms), if it does. */
  readonly nextRotationAt?: number | undefined;
  /** The key the restart targets last got (status.rolledOutKeyId). */
  readonly rolledOutKeyId?: string | undefined;
  /** The outcome of this reconcile's rollout restart; undefined keeps the condition as it was. */
  readonly rollout?: { readonly status: 'True' | 'False'; readonly reason: string; readonly message: string } | undefined;
  /** The account has restart targets (without, RolloutRestarted is dropped). */
  readonly hasRestartTargets?: boolean;
  /** The current key went unused for spec.keyRotation.expireUnusedAfter (key-usage.ts): Ready=False, KeyExpiredUnused. */
  readonly expiredUnused?: { readonly after: string } | undefined;
  /**
   * Copies of the key in other namespaces (spec.delivery, delivery/deliver-key.ts): the KeyDelivered
   * condition (undefined: none is wanted, the condition goes) and status.deliveredTo.
   */
  readonly delivery?: {
    readonly condition: { readonly status: 'True' | 'False'; readonly reason: string; readonly message: string } | undefined;
    readonly deliveredTo: readonly { readonly namespace: string; readonly secretName: string; readonly keyId: string }[];
  };
  /** Transitions of this reconcile for status.history (history.ts), and who changed the spec last. */
  readonly transitions?: readonly Transition[];
  readonly specManager?: string | SpecManagerLookup | undefined;
}

/** Why the current key stopped verifying unused (Ready=False). */
export const KEY_EXPIRED_UNUSED = 'KeyExpiredUnused';

/**
 * The last-use times status keeps, carried over from `current` for the keys that are still there: the
 * current key's own, and the previous key's (which, right after a rotation, is the old current key's).
 */
function lastUses(current: ServiceAccountStatus | undefined, keyId: string, previousKeyId: string | undefined): Pick<ServiceAccountStatus, 'keyLastUsedAt' | 'previousKeyLastUsedAt'> {
  const keyLastUsedAt = current?.keyId === keyId ? current.keyLastUsedAt : undefined;
  const previousKeyLastUsedAt =
    previousKeyId === undefined ? undefined : current?.previousKeyId === previousKeyId ? current.previousKeyLastUsedAt : current?.keyId === previousKeyId ? current.keyLastUsedAt : undefined;
  return { ...(keyLastUsedAt ? { keyLastUsedAt } : {}), ...(previousKeyLastUsedAt ? { previousKeyLastUsedAt } : {}) };
}

/** The transitions status.history records for this reconcile of a service account (pure). */
export function serviceAccountTransitions(input: {
  readonly current: ServiceAccountStatus | undefined;
  readonly role: Role;
  readonly action: string;
  readonly reason?: string | undefined;
  readonly keyId: string | undefined;
  readonly expiredUnused: boolean;
  /** Revision of the key this pass ends with, and now (ms): name a replacement an interrupted pass made. */
  readonly keyRevision?: number | undefined;
  readonly now?: number | undefined;
}): Transition[] {
  const out: Transition[] = [];
  const { current, keyId } = input;
  if (current?.role !== undefined && current.role !== input.role) out.push({ event: 'RoleChanged', reason: 'SpecChanged', message: `Role changed from ${current.role} to ${input.role}`, fromSpec: true, field: 'role' });
  if (keyId !== undefined && keyId !== current?.keyId) {
    if (input.action === 'rotate') out.push({ event: 'KeyRotated', reason: input.reason ?? 'Requested', message: `Rotated the API key to ${keyId}`, fromSpec: input.reason !== 'Scheduled', field: 'keyRotation.revision' });
    else if (input.action === 'repair') out.push({ event: 'KeyRepaired', reason: input.reason ?? 'KeyAltered', message: `Replaced a deleted or altered API key with ${keyId}` });
    else if (current?.keyId) {
      // A pass wrote this key and stopped before status said so (the operator was killed): this pass
      // adopts it, and names the replacement by what it was, never as a first key.
      const due = current.nextRotationAt !== undefined && input.now !== undefined && Date.parse(current.nextRotationAt) <= input.now;
      if (input.keyRevision !== undefined && input.keyRevision > (current.keyRevision ?? 0)) out.push({ event: 'KeyRotated', reason: 'Requested', message: `Rotated the API key to ${keyId}`, fromSpec: true, field: 'keyRotation.revision' });
      else if (due) out.push({ event: 'KeyRotated', reason: 'Scheduled', message: `Rotated the API key to ${keyId}` });
      else out.push({ event: 'KeyRepaired', reason: 'KeyAltered', message: `Replaced a deleted or altered API key with ${keyId}` });
    } else out.push({ event: 'KeyIssued', reason: 'Created', message: `Issued API key ${keyId}` });
  }
  const wasExpired = current?.conditions?.some((c) => c.type === 'Ready' && c.reason === KEY_EXPIRED_UNUSED) ?? false;
  if (input.expiredUnused && !wasExpired) out.push({ event: KEY_EXPIRED_UNUSED, reason: KEY_EXPIRED_UNUSED, message: `API key ${keyId ?? ''} went unused for spec.keyRotation.expireUnusedAfter and stopped verifying` });
  return out;
}

function isProblem(key: IssuedKeyRecord | KeyProblem): key is KeyProblem {
  return 'reason' in key;
}

/** The desired status; equal to `current` (no write) when nothing changed. */
export function desiredStatus(input: StatusInputs): ServiceAccountStatus {
  const generation = input.generation;
  const og = generation !== undefined ? { observedGeneration: generation } : {};
  let conditions: Condition[] = (input.current?.conditions ?? []) as Condition[];
  const set = (type: string, ok: boolean, reason: string, message: string): void => {
    conditions = setCondition(conditions, { type, status: ok ? 'True' : 'False', reason, message, ...og }, input.now);
  };

  const missing = missingWorkspaces(input.listedWorkspaces, input.existingWorkspaces);
  if (missing.length === 0) set(CONDITIONS.referencesResolved, true, REASONS.allReferencesResolved, 'Every listed workspace exists');
  else set(CONDITIONS.referencesResolved, false, REASONS.missingReferences, `Workspaces not found in this namespace: ${missing.join(', ')}`);

  const key = input.key;
  if (isProblem(key)) {
    set('KeyIssued', false, key.reason, key.message);
    set('Ready', false, key.reason, key.message);
  } else {
    set('KeyIssued', true, 'KeyIssued', `API key ${key.keyId} is in Secret ${input.secretName}`);
    if (input.expiredUnused)
      set(
        CONDITIONS.ready,
        false,
        KEY_EXPIRED_UNUSED,
        `API key ${key.keyId} was not used for ${input.expiredUnused.after} (spec.keyRotation.expireUnusedAfter) and no longer verifies: raise spec.keyRotation.revision to issue a new key`,
      );
    else if (missing.length === 0) set('Ready', true, 'Ready', 'The API key works with the declared role and workspaces');
    else set(CONDITIONS.ready, false, REASONS.missingReferences, `The API key works, but workspaces are missing: ${missing.join(', ')}`);
  }

  if (input.rollout) {
    conditions = setCondition(conditions, { type: CONDITIONS.rolloutRestarted, ...input.rollout, ...og }, input.now);
  } else if (!input.hasRestartTargets) {
    conditions = conditions.filter((c) => c.type !== CONDITIONS.rolloutRestarted);
  }

  if (input.delivery?.condition) {
    conditions = setCondition(conditions, { type: CONDITIONS.keyDelivered, ...input.delivery.condition, ...og }, input.now);
  } else if (input.delivery) {
    conditions = conditions.filter((c) => c.type !== CONDITIONS.keyDelivered);
  }
  const delivered = input.delivery ? input.delivery.deliveredTo : input.current?.deliveredTo;

  const status: ServiceAccountStatus = {
    ...(isProblem(key)
      ? {}
      : { secretName: input.secretName, keyId: key.keyId, fingerprint: key.fingerprint, keyCreatedAt: key.createdAt, keyRevision: key.revision }),
    ...(input.previousKey && !isProblem(key) ? { previousKeyId: input.previousKey.keyId, previousKeyExpiresAt: input.previousKey.expiresAt } : {}),
    ...(isProblem(key) ? {} : lastUses(input.current, key.keyId, input.previousKey?.keyId)),
    ...(input.nextRotationAt !== undefined && !isProblem(key) ? { nextRotationAt: kubeTime(input.nextRotationAt) } : {}),
    ...(input.rolledOutKeyId ? { rolledOutKeyId: input.rolledOutKeyId } : {}),
    workspaces: effectiveWorkspaces(input.role, input.listedWorkspaces, input.existingWorkspaces),
    ...(delivered && delivered.length > 0 ? { deliveredTo: delivered.map((d) => ({ namespace: d.namespace, secretName: d.secretName, keyId: d.keyId })) } : {}),
    conditions: conditions as ServiceAccountStatus['conditions'] & Condition[],
    role: input.role,
    ...og,
  };
  // History only rides along a write that happens anyway: every transition also changes a field above.
  const history = input.transitions?.length ? appendHistory(input.current?.history, input.transitions, input.now, input.specManager, HISTORY_MAX) : input.current?.history;
  return history?.length ? { ...status, history } : status;
}
