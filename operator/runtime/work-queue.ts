// A level-triggered work queue keyed by `namespace/name`, with client-go's
// semantics: a key waits at most once (dirty set), is never handed to two
// workers at once (processing set), and is queued again once if it was added
// while being processed. Retries go through a rate limiter; `addAfter` delays.
// Three lanes, as in controller-runtime's priority queue (pkg/controller/priorityqueue:
// an item keeps the highest priority it was added with, and is still handed out once):
// - priority: passes that finish work already started (the User pass an invitation email's
//   outcome brings, which writes the status of that invitation), ahead of first passes of objects
//   never seen, so a queue of 20,000 new Users does not hold up the one write each started one
//   still owes. Unlike controller-runtime's queue, this lane is bounded: after
//   `maxPriorityRun` priority keys in a row, a waiting key of the other lanes goes next.
// - event: keys added by events (and requeue-after);
// - retry: keys whose backoff retry came due, behind events, so a storm of failing keys cannot
//   hold up objects that were never reconciled.
import type { Clock, Timer } from './clock.js';
import { timerDelay } from './clock.js';
import type { RateLimiter } from './rate-limiter.js';
import { defaultControllerRateLimiter } from './rate-limiter.js';

/** Where the queue reports what it does (the manager wires these to Prometheus). */
export interface WorkQueueMetrics {
  /** A key was added (counted even when it was already queued, as in client-go). */
  added(): void;
  /** Keys waiting to be handed out. */
  depth(depth: number): void;
  /** Seconds a key waited between being queued and being handed to a worker. */
  queued(seconds: number): void;
  /** Seconds a worker held a key. */
  worked(seconds: number): void;
  /** A rate-limited retry was scheduled. */
  retried(): void;
}

/** Options of {@link WorkQueue}. */
export interface WorkQueueOptions {
  readonly clock: Clock;
  /** @default client-go's: 5 ms doubling to 5 min per key, 10 qps / burst 100 overall */
  readonly rateLimiter?: RateLimiter;
  readonly metrics?: WorkQueueMetrics;
  /**
   * Priority keys handed out in a row while keys of the other lanes wait, before one of those goes
   * (the priority lane cannot starve the others). @default DEFAULT_MAX_PRIORITY_RUN
   */
  readonly maxPriorityRun?: number;
}

/**
 * Priority keys in a row before a waiting key of the other lanes goes: the priority lane gets at
 * most 4/5 of the workers' time while others wait. Its keys come from work the other lanes
 * started (one per first pass at most), so it keeps up with them.
 */
export const DEFAULT_MAX_PRIORITY_RUN = 4;

/** Which lane a queued key waits in: priority first, then events, backoff retries last. */
type Lane = 'priority' | 'event' | 'retry';

/** Lanes by rank: a key added again to a higher lane moves up; never down. */
const RANK: Record<Lane, number> = { priority: 2, event: 1, retry: 0 };

/** A FIFO of keys that drops its consumed head now and then. */
class Fifo {
  private items: string[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(key: string): void {
    this.items.push(key);
  }

  shift(): string | undefined {
    if (this.head >= this.items.length) return undefined;
    const key = this.items[this.head] as string;
    this.head++;
    // Compact now and then so the array does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return key;
  }
}

/** A de-duplicating, rate-limited, delaying work queue. */
export class WorkQueue {
  private readonly clock: Clock;
  private readonly rateLimiter: RateLimiter;
  private readonly metrics: WorkQueueMetrics | undefined;
  private readonly lanes: Record<Lane, Fifo> = { priority: new Fifo(), event: new Fifo(), retry: new Fifo() };
  private readonly maxPriorityRun: number;
  /** Priority keys handed out since the last key of another lane. */
  private priorityRun = 0;
  /** Keys waiting in a lane (not in flight). A lane may also hold stale entries of a key that moved up. */
  private waitingKeys = 0;
  /** The dirty set: keys to hand out (again), with the lane each wants. */
  private readonly dirty = new Map<string, Lane>();
  private readonly processing = new Map<string, number>();
  private readonly queuedAt = new Map<string, number>();
  private readonly waiting = new Map<string, { at: number; timer: Timer }>();
  private readonly getters: ((key: string | undefined) => void)[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  private shuttingDown = false;

  constructor(options: WorkQueueOptions) {
    this.clock = options.clock;
    this.rateLimiter = options.rateLimiter ?? defaultControllerRateLimiter(options.clock);
    this.metrics = options.metrics;
    this.maxPriorityRun = Math.max(1, Math.floor(options.maxPriorityRun ?? DEFAULT_MAX_PRIORITY_RUN));
  }

  /** Keys waiting to be handed out (not counting delayed or in-flight keys). */
  get length(): number {
    return this.waitingKeys;
  }

  /** Keys currently held by workers. */
  get inFlight(): number {
    return this.processing.size;
  }

  /** Keys scheduled for later (requeue-after or backoff). */
  get delayed(): number {
    return this.waiting.size;
  }

  /** True once {@link shutDown} was called. */
  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /**
   * Queues `key` now. A key already waiting is not queued twice (a waiting retry moves up to the
   * events' lane); one in flight is queued again when done.
   */
  add(key: string): void {
    this.enqueue(key, 'event');
  }

  /**
   * Queues `key` now in the priority lane: for a pass that finishes work already started (see the
   * file's comment). A key already waiting in another lane moves up and is still handed out once;
   * one in flight is queued again, in this lane, when done.
   */
  addPriority(key: string): void {
    this.enqueue(key, 'priority');
  }

  private enqueue(key: string, lane: Lane): void {
    if (this.shuttingDown) return;
    this.metrics?.added();
    const wanted = this.dirty.get(key);
    if (wanted !== undefined) {
      if (RANK[lane] > RANK[wanted]) {
        this.dirty.set(key, lane);
        // Its entry in the lower lane goes stale; take() skips it.
        if (!this.processing.has(key)) this.lanes[lane].push(key);
      }
      return;
    }
    this.dirty.set(key, lane);
    if (!this.queuedAt.has(key)) this.queuedAt.set(key, this.clock.now());
    if (this.processing.has(key)) return;
    this.push(key, lane);
  }

  /**
   * Queues `key` after `ms` (at most MAX_TIMER_MS of clock.ts, about 24.8 days: a later look is brought forward to then, and
   * the reconcile asks again); when already scheduled, the earlier time wins.
   */
  addAfter(key: string, requestedMs: number): void {
    this.schedule(key, requestedMs, 'event');
  }

  private schedule(key: string, requestedMs: number, lane: Lane): void {
    if (this.shuttingDown) return;
    if (!(requestedMs > 0)) return this.enqueue(key, lane);
    const ms = timerDelay(requestedMs);
    const at = this.clock.now() + ms;
    const existing = this.waiting.get(key);
    if (existing && existing.at <= at) return;
    existing?.timer.cancel();
    const timer = this.clock.setTimer(() => {
      this.waiting.delete(key);
      this.enqueue(key, lane);
    }, ms);
    this.waiting.set(key, { at, timer });
  }

  /** Queues `key` after its backoff delay, in the retry lane (behind events), and counts a retry. */
  addRateLimited(key: string): number {
    const delay = this.rateLimiter.when(key);
    this.metrics?.retried();
    this.schedule(key, delay, 'retry');
    return delay;
  }

  /** Resets the backoff of `key` (call after a success or a terminal error). */
  forget(key: string): void {
    this.rateLimiter.forget(key);
  }

  /** Failures counted for `key` since its last {@link forget}. */
  retries(key: string): number {
    return this.rateLimiter.retries(key);
  }

  /**
   * The next key to work on; undefined once the queue is shut down or `signal` aborts
   * (a worker that stops waiting never swallows a key). Call {@link done} when finished.
   */
  get(signal?: AbortSignal): Promise<string | undefined> {
    if (signal?.aborted || (this.shuttingDown && this.length === 0)) return Promise.resolve(undefined);
    if (this.length > 0) return Promise.resolve(this.take());
    return new Promise((resolve) => {
      const getter = (key: string | undefined): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(key);
      };
      const onAbort = (): void => {
        const index = this.getters.indexOf(getter);
        if (index >= 0) this.getters.splice(index, 1);
        resolve(undefined);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.getters.push(getter);
    });
  }

  /** Marks `key` as finished; if it was added meanwhile, it is queued again. */
  done(key: string): void {
    const started = this.processing.get(key);
    if (started === undefined) return;
    this.processing.delete(key);
    this.metrics?.worked((this.clock.now() - started) / 1000);
    const lane = this.dirty.get(key);
    if (lane !== undefined && !this.shuttingDown) this.push(key, lane);
    if (this.processing.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Stops handing out keys; pending `get` calls resolve with undefined. Delayed keys are dropped. */
  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.waiting.values()) timer.cancel();
    this.waiting.clear();
    for (const resolve of this.getters.splice(0)) resolve(undefined);
  }

  /** Resolves once no key is held by a worker, or after `timeoutMs`; true when idle. */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.processing.size === 0) return true;
    let timer: Timer | undefined;
    const idle = await Promise.race([
      new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true))),
      new Promise<boolean>((resolve) => (timer = this.clock.setTimer(() => resolve(false), timeoutMs))),
    ]);
    timer?.cancel();
    return idle;
  }

  private push(key: string, lane: Lane): void {
    this.lanes[lane].push(key);
    this.waitingKeys++;
    const getter = this.getters.shift();
    if (getter) {
      getter(this.take());
      return;
    }
    this.metrics?.depth(this.length);
  }

  /**
   * The next waiting key: priority first, then events, then retries; after `maxPriorityRun`
   * priority keys in a row, a waiting key of the other lanes first (entries of a key that moved
   * lanes or left are skipped).
   */
  private take(): string {
    const order: readonly Lane[] = this.priorityRun >= this.maxPriorityRun ? ['event', 'retry', 'priority'] : ['priority', 'event', 'retry'];
    let key: string | undefined;
    for (const lane of order) {
      key = this.shiftLive(lane);
      if (key === undefined) continue;
      this.priorityRun = lane === 'priority' ? this.priorityRun + 1 : 0;
      break;
    }
    if (key === undefined) throw new Error('WorkQueue: a key was counted as waiting but none was queued');
    this.waitingKeys--;
    this.dirty.delete(key);
    const now = this.clock.now();
    this.processing.set(key, now);
    const at = this.queuedAt.get(key);
    this.queuedAt.delete(key);
    if (at !== undefined) this.metrics?.queued((now - at) / 1000);
    this.metrics?.depth(this.length);
    return key;
  }

  /** The first key of `lane` that still waits there, dropping stale entries before it. */
  private shiftLive(lane: Lane): string | undefined {
    for (let next = this.lanes[lane].shift(); next !== undefined; next = this.lanes[lane].shift()) {
      if (this.dirty.get(next) === lane && !this.processing.has(next)) return next;
    }
    return undefined;
  }
}
