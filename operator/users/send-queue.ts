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
  /** Monotonic milliseconds, for {@link SEND_SETTLE_MS} and lateness. @default performance.now */
  readonly now?: () => number;
  /**
   * A send is late once it has run this long, or has waited its turn while the queue started no
   * send for this long (the relay holds every slot). @default 10_000
   */
  readonly lateAfterMs?: number;
  /**
   * Told once when a send becomes late (checked about every tenth of `lateAfterMs`): the
   * controller looks at the User, whose status stops waiting for the outcome (status-wait.ts).
   */
  readonly onLate?: (job: SendJob) => void;
}

/** A bounded-concurrency queue of invitation sends, one per record at a time. */
export class InvitationSendQueue {
  private readonly concurrency: number;
  private readonly waiting = new Map<string, SendJob>();
  /** Every job waiting or running, by invitation id: a User pass asks about its own send without a scan of the queue. */
  private readonly byInvitation = new Map<string, SendJob>();
  private readonly running = new Map<string, SendJob>();
  private readonly idle = new Set<() => void>();
  /** Sends that ended with their outcome written, by invitation id, until the cache shows it (or SEND_SETTLE_MS). */
  private readonly settling = new Map<string, number>();
  /** When each running send started (monotonic ms), by record key. */
  private readonly startedAt = new Map<string, number>();
  /** When the queue last started a send, or became busy from idle (monotonic ms). */
  private lastStartMs = 0;
  /** Invitation ids already told late (onLate is called once per send). */
  private readonly toldLate = new Set<string>();
  private ticker: NodeJS.Timeout | undefined;
  private readonly lateAfterMs: number;
  private stopped = false;

  constructor(private readonly options: SendQueueOptions) {
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
    this.lateAfterMs = options.lateAfterMs ?? 10_000;
  }

  /** Queues a send; one still waiting for the same record is dropped (its invitation was replaced). */
  enqueue(job: SendJob): void {
    if (this.stopped) return;
    if (this.waiting.size === 0 && this.running.size === 0) this.lastStartMs = this.now();
    const replaced = this.waiting.get(job.key);
    if (replaced) {
      this.toldLate.delete(replaced.invitationId);
      this.forget(replaced);
    }
    this.waiting.delete(job.key);
    this.waiting.set(job.key, job);
    this.byInvitation.set(job.invitationId, job);
    if (this.options.onLate && !this.ticker) {
      this.ticker = setInterval(() => this.checkLate(), Math.max(100, Math.floor(this.lateAfterMs / 10)));
      this.ticker.unref();
    }
    this.pump();
  }

  /**
   * Whether the send of `invitationId` is late: running for `lateAfterMs` or more, or waiting while
   * the queue started no send for that long. False for a send not in this queue (see {@link has}).
   */
  isLate(invitationId: string): boolean {
    const job = this.byInvitation.get(invitationId);
    if (!job) return false;
    const now = this.now();
    if (this.running.get(job.key) === job) return now - (this.startedAt.get(job.key) ?? now) >= this.lateAfterMs;
    return now - this.lastStartMs >= this.lateAfterMs;
  }

  /** Drops `job` from the index by invitation id, unless a newer job of that id took its place. */
  private forget(job: SendJob): void {
    if (this.byInvitation.get(job.invitationId) === job) this.byInvitation.delete(job.invitationId);
  }

  /** Tells `onLate` of each send that became late since the last check (the ticker calls it; tests may). */
  checkLate(): void {
    const now = this.now();
    const late: SendJob[] = [];
    for (const [key, job] of this.running) if (now - (this.startedAt.get(key) ?? now) >= this.lateAfterMs && !this.toldLate.has(job.invitationId)) late.push(job);
    if (this.waiting.size > 0 && now - this.lastStartMs >= this.lateAfterMs) for (const job of this.waiting.values()) if (!this.toldLate.has(job.invitationId)) late.push(job);
    for (const job of late) {
      this.toldLate.add(job.invitationId);
      this.options.onLate?.(job);
    }
  }

  /**
   * Whether this process still has the send of `invitationId` waiting or in flight, or finished it
   * (its outcome written) less than SEND_SETTLE_MS ago and {@link settled} was not called: a
   * reconcile on a cache that still shows the record "preparing" must not take a finished send for
   * an interrupted one (its guarded rewrite would only fail with 409).
   */
  has(invitationId: string): boolean {
    if (this.byInvitation.has(invitationId)) return true;
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
    for (const job of this.waiting.values()) this.forget(job);
    this.waiting.clear();
    this.stopTicker();
  }

  private stopTicker(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
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
      this.lastStartMs = this.now();
      this.startedAt.set(key, this.lastStartMs);
      void this.start(job);
    }
    if (this.waiting.size === 0 && this.running.size === 0) {
      this.stopTicker();
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
      this.forget(job);
      this.startedAt.delete(job.key);
      this.toldLate.delete(job.invitationId);
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
