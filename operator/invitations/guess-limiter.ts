// What a wrong acceptance link costs, and whom. Every request that does not carry the right token
// of a live invitation (a guess, garbage, a stale or mistyped link) takes one token from its
// client's bucket and one from a bucket shared by all clients; the right token takes nothing, so
// nobody's wrong guesses can make an invitee wait (acceptance-page.ts checks the token first).
//
// There is deliberately no bucket per invitation. Such a bucket is charged by anyone who knows the
// invitation id, which is not secret (status, Message-ID, the token's own prefix), so it turns every
// guesser into someone who can lock the invitee out of their own link; and it buys no security:
// the secret is 256 bits (43 base62 characters), so even at the global bound's full rate for a
// century (about 6 × 10^9 guesses at the default 2/s) the chance of hitting one invitation's
// secret is below 2^-220. The buckets bound the work guessers cause and the rate of guessing
// overall, which is all there is to bound.
import type { Clock } from '../runtime/clock.js';
import { ClientRateLimiter } from './client-rate-limiter.js';
import type { ClientRateLimiterOptions, RateDecision } from './client-rate-limiter.js';

/** Options of {@link GuessLimiter}. */
export interface GuessLimiterOptions {
  /** Wrong or garbage links per client (IP address, or IPv6 /64). @default burst 20, one more every 5 s */
  readonly perClient?: Omit<ClientRateLimiterOptions, 'clock'>;
  /** Wrong or garbage links from all clients together. @default burst 200, two more a second */
  readonly global?: Pick<ClientRateLimiterOptions, 'burst' | 'refillPerSecond'>;
  readonly clock: Clock;
}

const ALL_CLIENTS = '*';

/** A per-client and a global token bucket, charged together for each request without the right token. */
export class GuessLimiter {
  private readonly perClient: ClientRateLimiter;
  private readonly global: ClientRateLimiter;

  constructor(options: GuessLimiterOptions) {
    this.perClient = new ClientRateLimiter({ ...options.perClient, clock: options.clock });
    this.global = new ClientRateLimiter({ burst: 200, refillPerSecond: 2, ...options.global, maxClients: 1, clock: options.clock });
  }

  /**
   * Charges one wrong link to `client` and to the global bucket, or refuses when either is empty.
   * A refusal charges neither: a client already refused does not drain the budget of the others,
   * and a refusal by the global bucket does not also cost the client.
   */
  take(client: string): RateDecision {
    const own = this.perClient.check(client);
    if (!own.allowed) return own;
    const all = this.global.check(ALL_CLIENTS);
    if (!all.allowed) return all;
    this.perClient.take(client);
    this.global.take(ALL_CLIENTS);
    return { allowed: true };
  }

  /** Clients currently tracked (bounded by `perClient.maxClients`). */
  get size(): number {
    return this.perClient.size;
  }
}
