// Invitation emails go out here, not inside the User reconcile: one slow or unreachable SMTP
// server (one tenant's relay) must not hold up every other tenant's invitations, nor any
// Invited → Active transition. Sends are keyed by invitation record (`namespace/user`): at most
// one in flight per record (a newer send for it waits, and replaces one still waiting), and at
// most `concurrency` in all. At-most-once per invitation across crashes is the record's doing
// (user-act.ts: "preparing" before the message, "sending" before its end, both guarded writes);
// this queue only keeps the process from waiting.
import { recordFromSecret } from '../invitations/invitation-record.js';
import type { SecretObject } from '../invitations/invitation-record.js';
import type { Logger } from '../runtime/logger.js';

/** How many invitation emails are in flight at once unless the feature is told otherwise. */
export const DEFAULT_SEND_CONCURRENCY = 4;

/** One send: what to run, for which record and invitation. */
export interface SendJob {
  /** `namespace/user` of the record. */
  readonly key: string;
  readonly invitationId: string;
  /** Sends and records the outcome; never needs to be retried by the queue (the controller retries failures). */
  readonly run: () => Promise<void>;
}

/**
 * How long a finished send still counts as in flight while the controller's cache has not shown
 * the record it wrote (see {@link InvitationSendQueue.settled}).
 */
export const SEND_SETTLE_MS = 30_000;

/** Options of {@link InvitationSendQueue}. */
export interface SendQueueOptions {
  /** Sends in flight at once. @default 4 */
  readonly concurrency?: number;
  readonly log: Logger;
  /**
   * Told when a send threw (its outcome could not be written, say the API server is away): the
   * controller looks at the User again with backoff, and writes what this process remembers.
   */
  readonly onError?: (job: SendJob) => void;
  /** Monotonic milliseconds, for {@link SEND_SETTLE_MS}. @default performance.now */
  readonly now?: () => number;
}

/** A bounded-concurrency queue of invitation sends, one per record at a time. */
export class InvitationSendQueue {
  private readonly concurrency: number;
  private readonly waiting = new Map<string, SendJob>();
  private readonly running = new Map<string, SendJob>();
  private readonly idle = new Set<() => void>();
  /** Sends that ended with their outcome written, by invitation id, until the cache shows it (or SEND_SETTLE_MS). */
  private readonly settling = new Map<string, number>();
  private stopped = false;

  constructor(private readonly options: SendQueueOptions) {
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
  }

  /** Queues a send; one still waiting for the same record is dropped (its invitation was replaced). */
  enqueue(job: SendJob): void {
    if (this.stopped) return;
    this.waiting.delete(job.key);
    this.waiting.set(job.key, job);
    this.pump();
  }

  /**
   * Whether this process still has the send of `invitationId` waiting or in flight, or finished it
   * (its outcome written) less than SEND_SETTLE_MS ago and {@link settled} was not called: a
   * reconcile on a cache that still shows the record "preparing" must not take a finished send for
   * an interrupted one (its guarded rewrite would only fail with 409).
   */
  has(invitationId: string): boolean {
    for (const job of this.waiting.values()) if (job.invitationId === invitationId) return true;
    for (const job of this.running.values()) if (job.invitationId === invitationId) return true;
    const finishedAt = this.settling.get(invitationId);
    if (finishedAt === undefined) return false;
    if (this.now() - finishedAt < SEND_SETTLE_MS) return true;
    this.settling.delete(invitationId);
    return false;
  }

  /** The cache shows the record the send of `invitationId` left: it no longer counts as in flight. */
  settled(invitationId: string): void {
    this.settling.delete(invitationId);
  }

  private now(): number {
    return this.options.now?.() ?? performance.now();
  }

  /** Sends in flight now. */
  get inFlight(): number {
    return this.running.size;
  }

  /** Starts nothing more (the process stops, or is no longer leader); sends in flight finish. */
  stop(): void {
    this.stopped = true;
    this.waiting.clear();
  }

  /** Resolves once nothing waits or runs. */
  drained(): Promise<void> {
    if (this.waiting.size === 0 && this.running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.add(resolve));
  }

  private pump(): void {
    for (const [key, job] of this.waiting) {
      if (this.stopped || this.running.size >= this.concurrency) return;
      // One send per record at a time: the next one for it waits until this one is done.
      if (this.running.has(key)) continue;
      this.waiting.delete(key);
      this.running.set(key, job);
      void this.start(job);
    }
    if (this.waiting.size === 0 && this.running.size === 0) {
      for (const resolve of this.idle) resolve();
      this.idle.clear();
    }
  }

  private async start(job: SendJob): Promise<void> {
    try {
      await job.run();
      this.settling.set(job.invitationId, this.now());
      // Bounded: entries the controller never settles (a User deleted meanwhile) go with age.
      if (this.settling.size > 1024) for (const [id, at] of this.settling) if (this.now() - at >= SEND_SETTLE_MS) this.settling.delete(id);
    } catch (error) {
      // The record says what happened (or still says "preparing" / "sending", which the controller handles).
      this.options.log.warn({ err: error, invitationId: job.invitationId }, 'An invitation send ended with an error');
      this.options.onError?.(job);
    } finally {
      this.running.delete(job.key);
      this.pump();
    }
  }
}

/**
 * Whether this change of an invitation record is a send's outcome: the record went from
 * "preparing" or "sending" to "sent" or "failed" for the same invitation. The User pass it brings
 * writes the one status of that invitation (status-wait.ts), so the controller queues it in the
 * priority lane, ahead of first passes of Users never seen. Only the order of passes depends on
 * it: the pass itself believes only what the signed record says (record-trust.ts).
 */
export function sendOutcomeArrived(previous: SecretObject | undefined, object: SecretObject): boolean {
  const before = recordFromSecret(previous);
  const after = recordFromSecret(object);
  if (!before || !after || before.invitationId !== after.invitationId) return false;
  return (before.delivery === 'preparing' || before.delivery === 'sending') && (after.delivery === 'sent' || after.delivery === 'failed');
}
