// What to do with a service account's API key, decided from what was observed
// (pure; table-tested in key-plan.test.ts). A key changes only on creation, a
// rotation (spec.keyRotation.revision above the key's revision, or the key older
// than spec.keyRotation.every) or a repair (the Secret was deleted or its key
// altered); everything else keeps it.
import type { ObservedKey } from './api-key-secret.js';
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
  /** Fingerprint annotation written with the key. */
  readonly recordedFingerprint: string | undefined;
  /** Revision annotation (0 when absent). */
  readonly revision: number;
  /** Creation-time annotation (RFC 3339 with milliseconds). */
  readonly createdAt: string | undefined;
  /** Expiry of the previous key (epoch ms), when the Secret holds one. */
  readonly previousExpiresAt: number | undefined;
  /** Labels, owner reference and signature are as the operator writes them. */
  readonly metadataCurrent: boolean;
  /**
   * The operator's signature over what the Secret holds (key-signing.ts): `invalid` means someone
   * else wrote the key or its record; `missing`, a Secret written before signatures existed.
   */
  readonly signature: 'valid' | 'missing' | 'invalid';
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
  readonly status: { readonly keyId?: string | undefined; readonly fingerprint?: string | undefined; readonly keyCreatedAt?: string | undefined };
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
  /** The previous key's grace period is over: remove its hash, keep the key. */
  | { readonly action: 'cleanup-expired-previous' }
  /** Keep the key; restore labels/owner if needed; look again when the previous key expires. */
  | { readonly action: 'keep'; readonly fixMetadata: boolean; readonly requeueAfterMs?: number };

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

/** Decides what to do with the key (see the file comment). */
export function planKey(observed: KeyObservation): KeyPlan {
  const { secret, status } = observed;
  const hadKey = status.fingerprint !== undefined;
  if (!secret) return hadKey ? { action: 'repair', reason: 'SecretDeleted' } : { action: 'create' };
  if (secret.ownership === 'foreign') return { action: 'conflict' };
  if (secret.ownership === 'stale') return hadKey ? { action: 'repair', reason: 'SecretDeleted' } : { action: 'create' };

  const { key } = secret;
  if (key.state !== 'ok' || key.fingerprint === undefined) return { action: 'repair', reason: 'KeyAltered' };
  // A key or record the operator did not sign (planted, altered, or signed before signatures existed or
  // with a signing key since lost) is trusted only when it is exactly the key status records, and is then
  // signed again; anything else is replaced, whatever its annotations say.
  if (secret.signature !== 'valid' && (!hadKey || key.fingerprint !== status.fingerprint || key.keyId !== status.keyId)) return { action: 'repair', reason: 'KeyAltered' };
  // The operator writes the key and its fingerprint in one write: a mismatch is an edit by hand.
  if (key.fingerprint !== secret.recordedFingerprint) return { action: 'repair', reason: 'KeyAltered' };
  // A key other than the recorded one is accepted only if the operator issued it after the
  // recorded one (a write whose status update was lost to a restart).
  if (hadKey && key.fingerprint !== status.fingerprint && !isLater(secret.createdAt, status.keyCreatedAt)) return { action: 'repair', reason: 'KeyAltered' };

  const gracePeriodMs = Math.max(0, observed.gracePeriodMs);
  if (observed.desiredRevision > secret.revision) return { action: 'rotate', gracePeriodMs, reason: 'Requested' };
  if (isRotationDue(observed.now, secret.createdAt, observed.everyMs)) return { action: 'rotate', gracePeriodMs, reason: 'Scheduled' };
  const hasPrevious = key.previousKeyHash !== undefined || secret.previousExpiresAt !== undefined;
  if (hasPrevious && (secret.previousExpiresAt === undefined || observed.now >= secret.previousExpiresAt)) return { action: 'cleanup-expired-previous' };
  // Look again when the previous key expires or the next rotation is due, whichever is first.
  const wakeUps = [secret.previousExpiresAt, nextRotationAt(secret.createdAt, observed.everyMs)].filter((t): t is number => t !== undefined);
  return {
    action: 'keep',
    fixMetadata: !secret.metadataCurrent,
    ...(wakeUps.length > 0 ? { requeueAfterMs: Math.min(...wakeUps) - observed.now } : {}),
  };
}
