// Per-client token buckets for the acceptance page: each client (IP address) may make `burst`
// requests at once and `refillPerSecond` more every second. Memory is bounded: past `maxClients`
// the least recently seen clients are forgotten first.
import type { Clock } from '../runtime/clock.js';

/** Options of {@link ClientRateLimiter}. */
export interface ClientRateLimiterOptions {
  /** Requests a client may make at once. @default 20 */
  readonly burst?: number;
  /** Requests a client regains per second. @default 0.2 (one every five seconds) */
  readonly refillPerSecond?: number;
  /** Most clients tracked at once. @default 10_000 */
  readonly maxClients?: number;
  readonly clock: Clock;
}

/** The verdict on one request. */
export type RateDecision = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

/** Token buckets keyed by client. */
export class ClientRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly burst: number;
  private readonly refill: number;
  private readonly maxClients: number;

  constructor(private readonly options: ClientRateLimiterOptions) {
    this.burst = options.burst ?? 20;
    this.refill = options.refillPerSecond ?? 0.2;
    this.maxClients = options.maxClients ?? 10_000;
  }

  /** Takes one token for `client`. */
  take(client: string): RateDecision {
    const now = this.options.clock.now();
    const tokens = this.tokensAt(client, now);
    this.buckets.delete(client);
    if (tokens < 1) {
      this.buckets.set(client, { tokens, at: now });
      return this.refusal(tokens);
    }
    this.buckets.set(client, { tokens: tokens - 1, at: now });
    this.evict();
    return { allowed: true };
  }

  /** What {@link take} would answer for `client` now, without taking anything or remembering the client. */
  check(client: string): RateDecision {
    const tokens = this.tokensAt(client, this.options.clock.now());
    return tokens < 1 ? this.refusal(tokens) : { allowed: true };
  }

  private tokensAt(client: string, now: number): number {
    const bucket = this.buckets.get(client);
    // A clock that steps back (NTP, a test's clock) refills nothing rather than draining the bucket.
    return bucket ? Math.min(this.burst, bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * this.refill) : this.burst;
  }

  private refusal(tokens: number): RateDecision {
    return { allowed: false, retryAfterSeconds: this.refill > 0 ? Math.ceil((1 - tokens) / this.refill) : 3600 };
  }

  /** Clients currently tracked. */
  get size(): number {
    return this.buckets.size;
  }

  private evict(): void {
    // Map order is least recently used first (take() re-inserts); the oldest client's bucket has
    // refilled the most, so forgetting it costs the least.
    for (const client of this.buckets.keys()) {
      if (this.buckets.size <= this.maxClients) return;
      this.buckets.delete(client);
    }
  }
}
