// Who is calling, and may they: a Kubernetes bearer token checked with
// TokenReview, permission checked with SubjectAccessReview, both cached so that
// a decision stays a lookup (the pattern of kube-rbac-proxy and
// controller-runtime's metrics authentication). Cache keys are the SHA-256 of
// the token; the token itself is never stored, logged or returned.
//
// Whoever can reach the port can send tokens, so what a token the caches do not
// know costs is bounded (issue 22 §5): it is first checked locally
// (bearer-token-precheck.ts: a JWT, unexpired, for our audience); only then is it
// reviewed, within a ReviewLimiter's concurrency and rate; and what the API
// server rejects is remembered in a small cache of its own, so no number of junk
// tokens evicts an accepted caller (accepted answers are only ever made by the
// API server's yes, so only real callers fill their cache). A token the API
// server accepted before is reviewed again (every `allowedTtlMs`) on a budget of
// its own, which unknown tokens cannot spend: a flood delays no known caller.
import { hash } from 'node:crypto';
import { precheckBearerToken } from './bearer-token-precheck.js';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import type { KubeClient } from './kube-client.js';
import { ReviewLimiter, ReviewThrottledError } from './review-limiter.js';
import type { ReviewLimiterOptions } from './review-limiter.js';

/** The identity a TokenReview vouched for. */
export interface ReviewedUser {
  readonly username: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

/** What a TokenReview said. */
export type TokenReviewResult = { readonly authenticated: true; readonly user: ReviewedUser; readonly audiences: readonly string[] } | { readonly authenticated: false };

/** What a SubjectAccessReview asks about (its `resourceAttributes`). */
export interface ResourceAttributes {
  readonly group: string;
  readonly resource: string;
  readonly verb: string;
  /** Omitted: cluster-wide. A namespaced question is also satisfied by a cluster-wide grant. */
  readonly namespace?: string;
}

/** The two reviews, behind one small interface: the API server in production, object literals in unit tests. */
export interface AccessReviewer {
  /** TokenReview of `token` for `audiences`. */
  reviewToken(token: string, audiences: readonly string[]): Promise<TokenReviewResult>;
  /** SubjectAccessReview: may `user` do `attributes`? */
  reviewAccess(user: ReviewedUser, attributes: ResourceAttributes): Promise<boolean>;
}

interface TokenReviewStatus {
  status?: { authenticated?: boolean; user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> }; audiences?: string[] };
}

interface SubjectAccessReviewStatus {
  status?: { allowed?: boolean; denied?: boolean };
}

/** An AccessReviewer that asks the API server (needs `create` on tokenreviews and subjectaccessreviews). */
export function kubeAccessReviewer(client: KubeClient): AccessReviewer {
  return {
    async reviewToken(token, audiences) {
      const review = await client.request<TokenReviewStatus>('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences: [...audiences] } },
        timeoutMs: 10_000,
      });
      const status = review.status;
      if (!status?.authenticated || !status.user?.username) return { authenticated: false };
      const { username, uid, groups, extra } = status.user;
      return { authenticated: true, user: { username, ...(uid ? { uid } : {}), groups: groups ?? [], ...(extra ? { extra } : {}) }, audiences: status.audiences ?? [] };
    },
    reviewAccess: (user, attributes) => subjectAccessReview(client, user, { resourceAttributes: { ...attributes } }),
  };
}

/** Asks kube-apiserver (SubjectAccessReview) whether `user` may do what `attributes` say (a resource or a non-resource URL). */
export async function subjectAccessReview(
  client: KubeClient,
  user: ReviewedUser,
  attributes: { readonly resourceAttributes: object } | { readonly nonResourceAttributes: object },
): Promise<boolean> {
  const review = await client.request<SubjectAccessReviewStatus>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: user.username,
        groups: [...user.groups],
        ...(user.uid ? { uid: user.uid } : {}),
        ...(user.extra ? { extra: user.extra } : {}),
        ...attributes,
      },
    },
    timeoutMs: 10_000,
  });
  return review.status?.allowed === true && review.status.denied !== true;
}

/** An authenticated caller. `key` is the SHA-256 of its token (hex): a cache key, never the token. */
export interface Caller {
  readonly key: string;
  readonly user: ReviewedUser;
  /**
   * A short name of the token in its authenticator's decision cache, the same for as long as the token
   * is accepted (a fresh 64-character key costs a lookup ~0.5 µs to hash; this one a few characters).
   */
  readonly id?: number;
}

/**
 * Who is calling and what may it do: what an HTTP handler needs ({@link TokenAuthenticator} in production).
 * Both may reject with a `ReviewThrottledError` (the review budget is spent: answer 503 with Retry-After)
 * or any other error (the review failed: 503 too); never with a yes.
 */
export interface CallerAuthenticator {
  /** The caller of a bearer token, or undefined when the token is not valid. */
  authenticate(token: string): Promise<Caller | undefined>;
  /** May the caller do `attributes`? */
  allowed(caller: Caller, attributes: ResourceAttributes): Promise<boolean>;
  /**
   * The caller of a token whose positive answer is cached and live, at once (no promise); undefined
   * when only {@link authenticate} can tell (unknown, rejected or expired answers all go there).
   */
  knownCaller?(token: string): Caller | undefined;
  /** The cached, live answer of {@link allowed}, at once; undefined when only `allowed` can tell. */
  knownAllowed?(caller: Caller, attributes: ResourceAttributes): boolean | undefined;
}

/** Options of {@link TokenAuthenticator}. */
export interface TokenAuthenticatorOptions {
  readonly reviewer: AccessReviewer;
  /** A token must be meant for this audience (TokenReview `spec.audiences`, checked again in its answer). */
  readonly audience: string;
  readonly clock?: Clock;
  /** How long a positive answer (valid token, allowed) is reused. @default 10_000 */
  readonly allowedTtlMs?: number;
  /** How long a negative answer (invalid token, not allowed) is reused. @default 2_000 */
  readonly deniedTtlMs?: number;
  /** Entries per cache of positive answers (valid tokens; token × allowed question); least recently used go first. @default 10_000 */
  readonly maxEntries?: number;
  /** Entries per cache of negative answers (rejected tokens; token × denied question), kept apart from the positive ones. @default 1_000 */
  readonly maxDeniedEntries?: number;
  /** Bounds on TokenReviews of tokens not accepted before. @default 8 in flight, 32 waiting, 40 at once then 20 a second */
  readonly tokenReviewLimits?: Omit<ReviewLimiterOptions, 'clock'>;
  /**
   * Bounds on TokenReviews of tokens accepted before (until their `exp`), again when their answer's TTL
   * ran out. Only the API server's yes puts a token there, so their rate is bounded by the real callers
   * (at most `maxEntries` per `allowedTtlMs`). @default 8 in flight, 1,000 waiting, 1,000 at once then 1,000 a second
   */
  readonly renewalReviewLimits?: Omit<ReviewLimiterOptions, 'clock'>;
  /** Bounds on SubjectAccessReviews (only for callers the API server authenticated). @default 16 in flight, 256 waiting, 400 at once then 100 a second */
  readonly accessReviewLimits?: Omit<ReviewLimiterOptions, 'clock'>;
}

/**
 * A map with per-entry expiry and a size bound, least recently used evicted first. A hit moves its
 * entry to the recent end only when it is not among the newest half already (by the order of sets
 * and moves): a hit is then two lookups, not a delete and a set, and an entry used since the last
 * `maxEntries / 2` sets is still never evicted before every older one.
 */
export class TtlLruCache<V> {
  private readonly entries = new Map<string, { value: V; expires: number; stamp: number }>();
  /** Sets and moves so far: an entry's `stamp` is its place in that order. */
  private stamps = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly clock: Clock,
  ) {}

  /** The live value of `key`, marking it most recently used. */
  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires <= this.clock.now()) {
      this.entries.delete(key);
      return undefined;
    }
    if (this.stamps - entry.stamp >= this.maxEntries / 2) {
      this.entries.delete(key);
      entry.stamp = ++this.stamps;
      this.entries.set(key, entry);
    }
    return entry.value;
  }

  /** Forgets `key`. */
  delete(key: string): void {
    this.entries.delete(key);
  }

  set(key: string, value: V, ttlMs: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expires: this.clock.now() + ttlMs, stamp: ++this.stamps });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

/** The SHA-256 of a token, hex: what identifies it in memory. */
export function tokenKey(token: string): string {
  // One-shot hash: no Hash object per request (about a third less time than createHash for a 1 KB token).
  return hash('sha256', token, 'hex');
}

/** What identifies a question of a caller in the decision caches (`#id` or the token's hash, then the question). */
function decisionKey(caller: Caller, attributes: ResourceAttributes): string {
  const who = caller.id === undefined ? caller.key : `#${caller.id}`;
  return `${who}|${attributes.namespace ?? ''}|${attributes.verb}|${attributes.resource}|${attributes.group}`;
}

/**
 * TokenReview and SubjectAccessReview with bounded, short-lived caches, positive and negative
 * answers apart. A token is checked locally before it is reviewed; reviews are bounded in number
 * (ReviewLimiter). Concurrent questions with the same key share one review. A review that fails
 * (API server unreachable) or is throttled rejects and is not cached.
 */
export class TokenAuthenticator implements CallerAuthenticator {
  readonly audience: string;
  private readonly reviewer: AccessReviewer;
  private readonly clock: Clock;
  private readonly allowedTtlMs: number;
  private readonly deniedTtlMs: number;
  private readonly tokens: TtlLruCache<Caller>;
  /** Tokens the API server accepted, until their `exp`, with their caller's id: their reviews take the renewal budget. */
  private readonly acceptedTokens: TtlLruCache<number>;
  /** The last caller id given (ids start at 1). */
  private callerIds = 0;
  private readonly rejectedTokens: TtlLruCache<true>;
  private readonly decisions: TtlLruCache<true>;
  private readonly deniedDecisions: TtlLruCache<true>;
  private readonly tokenReviews: ReviewLimiter;
  private readonly renewalReviews: ReviewLimiter;
  private readonly accessReviews: ReviewLimiter;
  private readonly pending = new Map<string, Promise<unknown>>();
  /** Reviews sent to the reviewer (cache misses), for tests and the benchmark. */
  readonly reviews = { token: 0, access: 0 };
  /** Questions refused without a review: tokens by the local check; tokens or access questions because the review budget was spent. */
  readonly refusals = { precheck: 0, throttled: 0 };

  constructor(options: TokenAuthenticatorOptions) {
    this.reviewer = options.reviewer;
    this.audience = options.audience;
    this.clock = options.clock ?? systemClock;
    this.allowedTtlMs = options.allowedTtlMs ?? 10_000;
    this.deniedTtlMs = options.deniedTtlMs ?? 2_000;
    const max = options.maxEntries ?? 10_000;
    const maxDenied = options.maxDeniedEntries ?? 1_000;
    this.tokens = new TtlLruCache(max, this.clock);
    this.acceptedTokens = new TtlLruCache(max, this.clock);
    this.rejectedTokens = new TtlLruCache(maxDenied, this.clock);
    this.decisions = new TtlLruCache(max, this.clock);
    this.deniedDecisions = new TtlLruCache(maxDenied, this.clock);
    this.tokenReviews = new ReviewLimiter({ ...options.tokenReviewLimits, clock: this.clock });
    this.renewalReviews = new ReviewLimiter({ maxQueued: 1_000, burst: 1_000, perSecond: 1_000, ...options.renewalReviewLimits, clock: this.clock });
    this.accessReviews = new ReviewLimiter({ maxConcurrent: 16, maxQueued: 256, burst: 400, perSecond: 100, ...options.accessReviewLimits, clock: this.clock });
  }

  /** The caller of a bearer token, or undefined when the token is not valid for the audience. */
  async authenticate(token: string): Promise<Caller | undefined> {
    if (token === '') return undefined;
    const key = tokenKey(token);
    const known = this.tokens.get(key);
    if (known) return known;
    if (this.rejectedTokens.get(key)) return undefined;
    const precheck = precheckBearerToken(token, this.audience, this.clock.now());
    if (!precheck.ok) {
      this.refusals.precheck++;
      return undefined;
    }
    const budget = this.acceptedTokens.get(key) !== undefined ? this.renewalReviews : this.tokenReviews;
    const caller = await this.once(`t:${key}`, () =>
      this.limited(budget, async () => {
        this.reviews.token++;
        const review = await this.reviewer.reviewToken(token, [this.audience]);
        if (!review.authenticated || !review.audiences.includes(this.audience)) {
          this.acceptedTokens.delete(key);
          this.rejectedTokens.set(key, true, this.deniedTtlMs);
          return null;
        }
        // A positive answer never outlives the token itself.
        const lifetime = precheck.expiresAt - this.clock.now();
        // A renewed token keeps its id, so the decisions cached for it stay found.
        const accepted: Caller = { key, user: review.user, id: this.acceptedTokens.get(key) ?? ++this.callerIds };
        if (lifetime > 0) {
          this.tokens.set(key, accepted, Math.min(this.allowedTtlMs, lifetime));
          this.acceptedTokens.set(key, accepted.id ?? 0, lifetime);
        }
        return accepted;
      }),
    );
    return caller ?? undefined;
  }

  /** The caller of a token with a live positive answer in the cache (the same answer {@link authenticate} gives), else undefined. */
  knownCaller(token: string): Caller | undefined {
    if (token === '') return undefined;
    const key = tokenKey(token);
    return this.tokens.get(key);
  }

  /** The live cached answer of {@link allowed} (true or false, the same TTLs), else undefined. */
  knownAllowed(caller: Caller, attributes: ResourceAttributes): boolean | undefined {
    const key = decisionKey(caller, attributes);
    if (this.decisions.get(key)) return true;
    if (this.deniedDecisions.get(key)) return false;
    return undefined;
  }

  /** May the caller do `attributes`? */
  async allowed(caller: Caller, attributes: ResourceAttributes): Promise<boolean> {
    const key = decisionKey(caller, attributes);
    if (this.decisions.get(key)) return true;
    if (this.deniedDecisions.get(key)) return false;
    return this.once(`a:${key}`, () =>
      this.limited(this.accessReviews, async () => {
        this.reviews.access++;
        const allowed = await this.reviewer.reviewAccess(caller.user, attributes);
        if (allowed) this.decisions.set(key, true, this.allowedTtlMs);
        else this.deniedDecisions.set(key, true, this.deniedTtlMs);
        return allowed;
      }),
    );
  }

  /** Reviews in flight and waiting, by kind. */
  get load(): { readonly token: ReviewLimiter['load']; readonly renewal: ReviewLimiter['load']; readonly access: ReviewLimiter['load'] } {
    return { token: this.tokenReviews.load, renewal: this.renewalReviews.load, access: this.accessReviews.load };
  }

  private async limited<T>(limiter: ReviewLimiter, review: () => Promise<T>): Promise<T> {
    try {
      return await limiter.run(review);
    } catch (error) {
      if (error instanceof ReviewThrottledError) this.refusals.throttled++;
      throw error;
    }
  }

  private once<T>(key: string, run: () => Promise<T>): Promise<T> {
    const inFlight = this.pending.get(key) as Promise<T> | undefined;
    if (inFlight) return inFlight;
    const promise = run().finally(() => this.pending.delete(key));
    this.pending.set(key, promise);
    return promise;
  }
}
