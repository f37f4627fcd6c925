// What to do with a service account's API key, decided from what was observed
// (pure; table-tested in key-plan.test.ts). A key changes only on creation, a
// rotation (spec.keyRotation.revision above the key's revision, or the key older
// than spec.keyRotation.every) or a repair (the Secret was deleted or its key
// altered); everything else keeps it. The key's revision, issue time and previous
// key come only from the record the operator signed, or from status for a record
// written before signatures: an annotation edited by anyone else steers nothing.
import type { ObservedKey } from './api-key-secret.js';
import type { SignedKeyRecord } from './key-signing.js';
import { isRotationDue, nextRotationAt } from './rotation-schedule.js';

/** Whose the Secret with the service account's Secret name is. */
export type SecretOwnership =
  /** Controlled by this service account (same uid). */
  | 'this'
  /** Made by the operator for an earlier service account of the same name (a leftover). */
  | 'stale'
  /** Someone else's Secret: never touched. */
  | 'foreign';

/** The Secret as observed (cache, confirmed by a live read before any key changes). */
export interface ObservedSecret {
  readonly ownership: SecretOwnership;
  readonly key: ObservedKey;
  /**
   * The operator's signature over what the Secret holds (key-signing.ts): `invalid` means someone
   * else wrote the key or its record; `missing`, a Secret written before signatures existed.
   */
  readonly signature: 'valid' | 'missing' | 'invalid';
  /**
   * The record the signature covers, when it is `valid`: the only source of the key's revision, issue
   * time and previous key. The Secret's annotations are never read for them otherwise.
   */
  readonly signed: SignedKeyRecord | undefined;
  /** Labels, owner reference, signature and the record's annotations are as the operator writes them. */
  readonly metadataCurrent: boolean;
}

/** Everything the decision needs. */
export interface KeyObservation {
  readonly now: number;
  /** spec.keyRotation.revision (0 when unset). */
  readonly desiredRevision: number;
  /** spec.keyRotation.gracePeriod in ms. */
  readonly gracePeriodMs: number;
  /** spec.keyRotation.every in ms (undefined: no schedule). */
  readonly everyMs?: number | undefined;
  /** What status says about the current key. */
  readonly status: { readonly keyId?: string | undefined; readonly fingerprint?: string | undefined; readonly keyCreatedAt?: string | undefined; readonly keyRevision?: number | undefined };
  /** The Secret, or undefined when none exists. */
  readonly secret: ObservedSecret | undefined;
}

/** Why a key is rotated: spec.keyRotation.revision was raised, or spec.keyRotation.every came round. */
export type RotationReason = 'Requested' | 'Scheduled';

/** Why a key is replaced without a rotation. */
export type RepairReason = 'SecretDeleted' | 'KeyAltered';

/** What to do. */
export type KeyPlan =
  /** Issue the first key (creating the Secret, or replacing a leftover). */
  | { readonly action: 'create' }
  /** The old key is dead: issue a new one, no grace period, Warning Event. */
  | { readonly action: 'repair'; readonly reason: RepairReason }
  /** Replace the key (on request, or on schedule); the old one keeps verifying for `gracePeriodMs` when > 0. */
  | { readonly action: 'rotate'; readonly gracePeriodMs: number; readonly reason: RotationReason }
  /** A Secret of someone else has the name: touch nothing, report it. */
  | { readonly action: 'conflict' }
  /** The previous key's grace period is over: remove its hash, keep the key (`record`: what the operator signed). */
  | { readonly action: 'cleanup-expired-previous'; readonly record: SignedKeyRecord }
  /**
   * A Secret from before signatures, holding exactly the key status names: sign it once, from what
   * status says (revision, issue time), without a previous key. Nothing is taken from its annotations.
   */
  | { readonly action: 'sign-from-status'; readonly revision: number; readonly createdAt: string }
  /** Keep the key (`record`: what the operator signed); restore labels/owner if needed; look again when the previous key expires. */
  | { readonly action: 'keep'; readonly record: SignedKeyRecord; readonly fixMetadata: boolean; readonly requeueAfterMs?: number };

/** Actions that generate a new key. */
export function issuesNewKey(plan: KeyPlan): boolean {
  return plan.action === 'create' || plan.action === 'repair' || plan.action === 'rotate';
}

function isLater(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const ta = Date.parse(a);
  const tb = Date.parse(b);
  return Number.isFinite(ta) && Number.isFinite(tb) && ta > tb;
}

/** Epoch ms of an RFC 3339 time; undefined when absent or unreadable. */
function epochMs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Decides what to do with the key (see the file comment). */
export function planKey(observed: KeyObservation): KeyPlan {
  const { secret, status } = observed;
  const hadKey = status.fingerprint !== undefined;
  if (!secret) return hadKey ? { action: 'repair', reason: 'SecretDeleted' } : { action: 'create' };
  if (secret.ownership === 'foreign') return { action: 'conflict' };
  if (secret.ownership === 'stale') return hadKey ? { action: 'repair', reason: 'SecretDeleted' } : { action: 'create' };

  const { key } = secret;
  if (key.state !== 'ok' || key.fingerprint === undefined) return { action: 'repair', reason: 'KeyAltered' };
  const isStatusKey = hadKey && key.fingerprint === status.fingerprint && key.keyId === status.keyId;
  // A record from before signatures is trusted only for the key status names, and only with what
  // status says about it: signed once, without a previous key.
  if (secret.signature === 'missing') {
    return isStatusKey && status.keyCreatedAt !== undefined
      ? { action: 'sign-from-status', revision: status.keyRevision ?? 0, createdAt: status.keyCreatedAt }
      : { action: 'repair', reason: 'KeyAltered' };
  }
  // A wrong signature (a key, revision, issue time or previous key written by anyone else, or a
  // signing key since lost) means a new key, whatever else matches.
  const signed = secret.signature === 'valid' ? secret.signed : undefined;
  if (!signed) return { action: 'repair', reason: 'KeyAltered' };
  // A key other than the recorded one is accepted only if the operator issued it after the
  // recorded one (a write whose status update was lost to a restart).
  if (hadKey && !isStatusKey && !isLater(signed.createdAt, status.keyCreatedAt)) return { action: 'repair', reason: 'KeyAltered' };

  const gracePeriodMs = Math.max(0, observed.gracePeriodMs);
  if (observed.desiredRevision > signed.revision) return { action: 'rotate', gracePeriodMs, reason: 'Requested' };
  if (isRotationDue(observed.now, signed.createdAt, observed.everyMs)) return { action: 'rotate', gracePeriodMs, reason: 'Scheduled' };
  const previousExpiresAt = epochMs(signed.previous?.expiresAt);
  const hasPrevious = key.previousKeyHash !== undefined || signed.previous !== undefined;
  if (hasPrevious && (previousExpiresAt === undefined || observed.now >= previousExpiresAt)) return { action: 'cleanup-expired-previous', record: signed };
  // Look again when the previous key expires or the next rotation is due, whichever is first.
  const wakeUps = [previousExpiresAt, nextRotationAt(signed.createdAt, observed.everyMs)].filter((t): t is number => t !== undefined);
  return {
    action: 'keep',
    record: signed,
    fixMetadata: !secret.metadataCurrent,
    ...(wakeUps.length > 0 ? { requeueAfterMs: Math.min(...wakeUps) - observed.now } : {}),
  };
}
