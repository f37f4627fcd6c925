// A bound on the reviews (TokenReview, SubjectAccessReview) one replica asks the API server for:
// at most `maxConcurrent` in flight, at most `maxQueued` waiting for a slot, and a token bucket on
// how many may be admitted (`burst`, then `perSecond`). What does not fit is refused at once with
// a ReviewThrottledError, never queued without bound: whoever sends tokens the caches do not know
// can use up the budget, but can neither pile up work in this process nor push the API server
// past `burst + perSecond × t` reviews.
import type { Clock } from './clock.js';

/** Options of {@link ReviewLimiter}. */
export interface ReviewLimiterOptions {
  /** Reviews in flight at once. @default 8 */
  readonly maxConcurrent?: number;
  /** Admitted reviews waiting for a free slot; more are refused. @default 32 */
  readonly maxQueued?: number;
  /** Reviews admitted per second once the burst is spent. @default 20 */
  readonly perSecond?: number;
  /** Reviews admitted at once after a quiet spell. @default 40 */
  readonly burst?: number;
  readonly clock: Clock;
}

/** A review was not asked for: the budget is spent. Retry after `retryAfterSeconds`. */
export class ReviewThrottledError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('Too many reviews at once; not asked');
    this.name = 'ReviewThrottledError';
  }
}

/** What happened to reviews, for tests, logs and the benchmark. */
export interface ReviewLimiterCounts {
  /** Reviews started. */
  started: number;
  /** Reviews refused (rate spent, or the queue full). */
  throttled: number;
}

/** Bounds concurrent and per-second reviews; see the file's comment. */
export class ReviewLimiter {
  readonly counts: ReviewLimiterCounts = { started: 0, throttled: 0 };
  private readonly maxConcurrent: number;
  private readonly maxQueued: number;
  private readonly perSecond: number;
  private readonly burst: number;
  private tokens: number;
  private at: number;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly options: ReviewLimiterOptions) {
    this.maxConcurrent = Math.max(1, options.maxConcurrent ?? 8);
    this.maxQueued = Math.max(0, options.maxQueued ?? 32);
    this.perSecond = options.perSecond ?? 20;
    this.burst = options.burst ?? 40;
    this.tokens = this.burst;
    this.at = options.clock.now();
  }

  /** Runs `review` within the bounds, or rejects at once with {@link ReviewThrottledError}. */
  async run<T>(review: () => Promise<T>): Promise<T> {
    this.admit();
    // A finished review hands its slot to the first waiter, so nobody can slip in between.
    if (this.running >= this.maxConcurrent) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    this.counts.started++;
    try {
      return await review();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  /** Reviews in flight and waiting. */
  get load(): { readonly running: number; readonly waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  /** Takes a token and a place, or throws; a refusal takes neither. */
  private admit(): void {
    const now = this.options.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + (Math.max(0, now - this.at) / 1000) * this.perSecond);
    this.at = now;
    const queueFull = this.running >= this.maxConcurrent && this.waiting.length >= this.maxQueued;
    if (this.tokens < 1 || queueFull) {
      this.counts.throttled++;
      const retryAfterSeconds = this.tokens < 1 && this.perSecond > 0 ? Math.max(1, Math.ceil((1 - this.tokens) / this.perSecond)) : 1;
      throw new ReviewThrottledError(retryAfterSeconds);
    }
    this.tokens -= 1;
  }
}
