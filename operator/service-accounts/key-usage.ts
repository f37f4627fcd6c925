// When was each API key last used, and is it unused for too long?
//
// Design (issue 27 §2): every replica serves the access API, so every replica
// records what it sees. A successful authentication is noted in memory; when the
// account's status (as this replica's cache has it) says the key was last used
// more than `intervalMs` (default one hour) before this use, the replica writes
// the new time itself: a JSON merge patch of the status subresource that sets only
// `keyLastUsedAt` (or `previousKeyLastUsedAt`), carrying the cached
// resourceVersion. That lock makes the write "only forward": if anyone wrote the
// object since (another replica recording the same hour, the controller), the
// API server answers 409 and the replica looks again at its refreshed cache,
// where the other write usually makes its own unnecessary. So a key costs at most
// one status write per interval however heavily it is used and however many
// replicas see it; no Lease, annotation or leader hop is needed, and the time lives
// in status, which only the operator writes (never in an annotation that could
// steer verification). The controller carries both fields over in its own status
// writes (status.ts) and drops them with the key they describe.
//
// Expiry (spec.keyRotation.expireUnusedAfter) counts from keyLastUsedAt, or from
// keyCreatedAt for a key never used; it is exact to within `intervalMs`.
import type { ServiceAccount } from '../api/index.js';
import type { Clock } from '../runtime/clock.js';
import { kubeTime } from '../runtime/conditions.js';
import { ApiError } from '../runtime/errors.js';
import type { KubeObject } from '../runtime/kinds.js';
import type { KubeWriter } from '../runtime/kube-writer.js';
import type { Logger } from '../runtime/logger.js';
import { ACCOUNT_KINDS, parseDuration } from '../api/index.js';

/** How often a key's last use is written at most. */
export const DEFAULT_USAGE_WRITE_INTERVAL_MS = 3_600_000;

/** Epoch ms of an RFC 3339 time, undefined when absent or unreadable. */
function epoch(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Whether a use at `usedAt` must be written, given the time status records (the write budget: once per `intervalMs`). */
export function usageWriteDue(recordedAt: string | undefined, usedAt: number, intervalMs: number): boolean {
  const recorded = epoch(recordedAt);
  return recorded === undefined || usedAt - recorded >= intervalMs;
}

/** What {@link unusedExpiry} decides. */
export interface UnusedExpiry {
  readonly expired: boolean;
  /** When the key expires (or expired) unused; undefined without spec.keyRotation.expireUnusedAfter. */
  readonly at: number | undefined;
}

/** Whether the current key went unused for `expireUnusedAfterMs` (since its last use, or its issue when never used). */
export function unusedExpiry(input: { readonly lastUsedAt: string | undefined; readonly createdAt: string | undefined; readonly expireUnusedAfterMs: number | undefined; readonly now: number }): UnusedExpiry {
  if (input.expireUnusedAfterMs === undefined) return { expired: false, at: undefined };
  const since = Math.max(epoch(input.lastUsedAt) ?? -Infinity, epoch(input.createdAt) ?? -Infinity);
  if (!Number.isFinite(since)) return { expired: false, at: undefined };
  const at = since + input.expireUnusedAfterMs;
  return { expired: input.now >= at, at };
}

/** spec.keyRotation.expireUnusedAfter in ms; undefined when unset (an unreadable value counts as unset: admission refuses it). */
export function expireUnusedAfterMs(sa: Pick<ServiceAccount, 'spec'>): number | undefined {
  const text = sa.spec?.keyRotation?.expireUnusedAfter;
  return text ? parseDuration(text) : undefined;
}

/** Whether the current key of `sa` is expired unused at `now` (the verifier and the controller ask the same). */
export function currentKeyExpiredUnused(sa: Pick<ServiceAccount, 'spec' | 'status'>, now: number): UnusedExpiry {
  return unusedExpiry({ lastUsedAt: sa.status?.keyLastUsedAt, createdAt: sa.status?.keyCreatedAt, expireUnusedAfterMs: expireUnusedAfterMs(sa), now });
}

type SA = ServiceAccount & KubeObject;

/** What the recorder needs. */
export interface KeyUsageRecorderOptions {
  readonly client: Pick<KubeWriter, 'patch'>;
  /** The account as this replica's cache has it now. */
  readonly serviceAccount: (namespace: string, name: string) => SA | undefined;
  readonly clock: Clock;
  readonly log: Logger;
  /** @default DEFAULT_USAGE_WRITE_INTERVAL_MS */
  readonly intervalMs?: number;
  /** Retries after a 409 (each after `retryDelayMs`, from the refreshed cache); after any other failure the next use tries again, `retryDelayMs` later at the earliest. @default 3 */
  readonly conflictRetries?: number;
  /** @default 1000 */
  readonly retryDelayMs?: number;
}

/** Records the last use of keys into status, within the write budget (see the file comment). */
export class KeyUsageRecorder {
  private readonly intervalMs: number;
  /** Per `namespace/name/keyId`: the latest use seen, what this replica last wrote, a write in flight. */
  private readonly keys = new Map<string, { usedAt: number; written: number; inFlight: boolean; retryAt: number }>();
  /** Status writes made (successful), for tests and logs. */
  writes = 0;

  constructor(private readonly options: KeyUsageRecorderOptions) {
    this.intervalMs = options.intervalMs ?? DEFAULT_USAGE_WRITE_INTERVAL_MS;
  }

  /** Notes a successful authentication; starts a status write when one is due. Never throws. */
  note(namespace: string, name: string, keyId: string, usedAt: number): void {
    const id = `${namespace}/${name}/${keyId}`;
    let entry = this.keys.get(id);
    if (!entry) {
      entry = { usedAt, written: -Infinity, inFlight: false, retryAt: -Infinity };
      this.keys.set(id, entry);
    }
    entry.usedAt = Math.max(entry.usedAt, usedAt);
    // A write that failed (not a conflict) is tried again by a later use, but not before `retryDelayMs`:
    // with the API server refusing, every authentication would otherwise start a write of its own.
    if (entry.inFlight || usedAt - entry.written < this.intervalMs || this.options.clock.now() < entry.retryAt) return;
    void this.write(id, namespace, name, keyId, this.options.conflictRetries ?? 3);
  }

  private async write(id: string, namespace: string, name: string, keyId: string, retries: number): Promise<void> {
    const entry = this.keys.get(id);
    if (!entry) return;
    const sa = this.options.serviceAccount(namespace, name);
    const field = sa?.status?.keyId === keyId ? 'keyLastUsedAt' : sa?.status?.previousKeyId === keyId ? 'previousKeyLastUsedAt' : undefined;
    // The account or the key moved on (deleted, rotated away): nothing to record.
    if (!sa || !field || !usageWriteDue(sa.status?.[field], entry.usedAt, this.intervalMs)) {
      this.forget(id, entry);
      return;
    }
    entry.inFlight = true;
    let retrying = false;
    try {
      await this.options.client.patch(ACCOUNT_KINDS.serviceAccount, namespace, name, { metadata: { resourceVersion: sa.metadata?.resourceVersion }, status: { [field]: kubeTime(entry.usedAt) } }, { subresource: 'status' });
      entry.written = entry.usedAt;
      this.writes += 1;
      this.options.log.debug({ namespace, serviceAccount: name, keyId, field }, 'Recorded the last use of an API key');
    } catch (error) {
      if (error instanceof ApiError && error.code === 409 && retries > 0) {
        // Someone wrote the account since this cache saw it: look again once the cache has the newer version.
        retrying = true;
        this.options.clock.setTimer(() => {
          entry.inFlight = false;
          void this.write(id, namespace, name, keyId, retries - 1);
        }, this.options.retryDelayMs ?? 1000);
        return;
      }
      entry.retryAt = this.options.clock.now() + (this.options.retryDelayMs ?? 1000);
      this.options.log.debug({ err: error, namespace, serviceAccount: name, keyId }, 'Could not record the last use of an API key; a later use tries again');
    } finally {
      if (!retrying) entry.inFlight = false;
    }
  }

  private forget(id: string, entry: { written: number }): void {
    // Keep a note of a recent write (the cache may lag behind it); drop the rest.
    if (this.options.clock.now() - entry.written >= this.intervalMs) this.keys.delete(id);
  }
}
