// Retry pacing of the work queue, after client-go's default controller rate
// limiter: the larger of a per-key exponential backoff and an overall token bucket.
import type { Clock } from './clock.js';

/** Decides how long a key waits before its next retry. */
export interface RateLimiter {
  /** Delay before the next retry of `key`; counts a failure. */
  when(key: string): number;
  /** Forgets the failures of `key` (after a success). */
  forget(key: string): void;
  /** How many failures of `key` are counted. */
  retries(key: string): number;
}

/** Options of {@link exponentialRateLimiter}. */
export interface ExponentialOptions {
  /** First delay. @default 5 ms */
  readonly baseMs?: number;
  /** Largest delay. @default 300_000 (5 min) */
  readonly maxMs?: number;
  /**
   * Share of each delay taken off at random: a delay d becomes one in [d·(1-jitter), d], so keys
   * that failed together do not retry together. @default 0.5
   */
  readonly jitter?: number;
  /** Uniform in [0, 1). @default Math.random */
  readonly random?: () => number;
}

/** Per-key delay `base * 2^failures`, capped, less a random share (jitter). */
export function exponentialRateLimiter(options: ExponentialOptions = {}): RateLimiter {
  const base = options.baseMs ?? 5;
  const max = options.maxMs ?? 300_000;
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 0.5));
  const random = options.random ?? Math.random;
  const failures = new Map<string, number>();
  return {
    when(key) {
      const n = failures.get(key) ?? 0;
      failures.set(key, n + 1);
      // 2^60 overflows nothing useful; cap the exponent before multiplying.
      const delay = Math.min(max, base * 2 ** Math.min(n, 60));
      return Math.max(1, Math.round(delay * (1 - jitter * random())));
    },
    forget: (key) => void failures.delete(key),
    retries: (key) => failures.get(key) ?? 0,
  };
}

/** Options of {@link bucketRateLimiter}. */
export interface BucketOptions {
  /** Sustained retries per second over all keys. @default 10 */
  readonly qps?: number;
  /** Retries allowed at once. @default 100 */
  readonly burst?: number;
}

/** An overall token bucket: a storm of failures cannot hammer the API server. */
export function bucketRateLimiter(clock: Clock, options: BucketOptions = {}): RateLimiter {
  const qps = options.qps ?? 10;
  const burst = options.burst ?? 100;
  let tokens = burst;
  let last = clock.now();
  return {
    when() {
      const now = clock.now();
      tokens = Math.min(burst, tokens + ((now - last) / 1000) * qps);
      last = now;
      tokens -= 1;
      // A negative balance is a reservation: wait until it is paid back.
      return tokens >= 0 ? 0 : Math.ceil((-tokens / qps) * 1000);
    },
    forget: () => {},
    retries: () => 0,
  };
}

/** The larger delay of several limiters; failures are counted by each. */
export function maxOfRateLimiters(...limiters: RateLimiter[]): RateLimiter {
  return {
    when: (key) => Math.max(...limiters.map((l) => l.when(key))),
    forget: (key) => limiters.forEach((l) => l.forget(key)),
    retries: (key) => Math.max(...limiters.map((l) => l.retries(key))),
  };
}

/** client-go's default with jitter: 5 ms doubling to 5 min per key (less up to half at random), and 10 qps / burst 100 overall. */
export function defaultControllerRateLimiter(clock: Clock, random: () => number = Math.random): RateLimiter {
  return maxOfRateLimiters(exponentialRateLimiter({ random }), bucketRateLimiter(clock));
}

/** Exponential backoff with full jitter for reconnects: a random delay in [d/2, d], d doubling to `maxMs`. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly baseMs = 200,
    private readonly maxMs = 30_000,
    private readonly random: () => number = Math.random,
  ) {}

  /** Delay before the next attempt. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  /** Back to the first delay (after a success). */
  reset(): void {
    this.attempt = 0;
  }
}
