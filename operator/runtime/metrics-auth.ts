// Who may read /metrics: it names tenants and counts their people and keys, so
// only an authenticated and authorized scraper gets it, as with
// controller-runtime's secure metrics (and kube-rbac-proxy): the bearer token is
// checked with a TokenReview against the API server's own audiences (a pod's
// ServiceAccount token, as Prometheus sends it), then a SubjectAccessReview asks
// whether that identity may `get` the non-resource URL /metrics. Both answers
// are cached briefly, rejected tokens apart from accepted ones (junk cannot
// evict a scraper), and reviews in flight are bounded. /healthz and /readyz stay
// open for the kubelet.
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import type { KubeClient } from './kube-client.js';
import { MAX_BEARER_TOKEN_LENGTH } from './bearer-token-precheck.js';
import { kubeAccessReviewer, subjectAccessReview, tokenKey, TtlLruCache } from './token-authenticator.js';
import type { ReviewedUser, TokenReviewResult } from './token-authenticator.js';

/** The non-resource URL and verb a scraper needs (`nonResourceURLs: ["/metrics"], verbs: ["get"]`). */
export const METRICS_PERMISSION = { path: '/metrics', verb: 'get' } as const;

/** What the metrics endpoint answers a request: serve it, or refuse with a status and a plain message. */
export type MetricsVerdict = { readonly status: 200 } | { readonly status: 401 | 403 | 429 | 503; readonly message: string };

/** Decides whether a request to /metrics is served, from its Authorization header. */
export interface MetricsAuthorizer {
  authorize(authorization: string | undefined): Promise<MetricsVerdict>;
}

/** The two reviews a metrics request needs: the API server in production, object literals in unit tests. */
export interface MetricsReviewer {
  /** TokenReview of `token` for the API server's own audiences. */
  reviewToken(token: string): Promise<TokenReviewResult>;
  /** SubjectAccessReview: may `user` get the non-resource URL /metrics? */
  mayGetMetrics(user: ReviewedUser): Promise<boolean>;
}

/** Longest token looked at; a longer one is refused without a review (the access API's bound). */
export const MAX_TOKEN_LENGTH = MAX_BEARER_TOKEN_LENGTH;
const TOKEN_SHAPE = /^[\x21-\x7e]+$/;

/** The bearer token of an Authorization header, or undefined when there is none or it cannot be a token (no review is spent on it). */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer +(\S+) *$/i.exec(authorization ?? '');
  const token = match?.[1];
  if (token === undefined || token.length > MAX_TOKEN_LENGTH || !TOKEN_SHAPE.test(token)) return undefined;
  return token;
}

/** The `exp` claim of a JWT in ms, unverified (only to cap how long an answer is reused; TokenReview verifies). */
function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** A MetricsReviewer that asks the API server (the operator needs `create` on tokenreviews and subjectaccessreviews). */
export function kubeMetricsReviewer(client: KubeClient): MetricsReviewer {
  const reviewer = kubeAccessReviewer(client);
  return {
    // No audiences: the API server checks the token against its own (what a pod's ServiceAccount token carries).
    reviewToken: (token) => reviewer.reviewToken(token, []),
    mayGetMetrics: (user) => subjectAccessReview(client, user, { nonResourceAttributes: { ...METRICS_PERMISSION } }),
  };
}

/** Options of {@link SecureMetricsAuthorizer}. */
export interface SecureMetricsOptions {
  readonly reviewer: MetricsReviewer;
  readonly clock?: Clock;
  /** How long an accepted and allowed token is trusted (never past its own expiry). @default 10_000 */
  readonly allowedTtlMs?: number;
  /** How long a refusal is remembered. @default 2_000 */
  readonly deniedTtlMs?: number;
  /** Tokens remembered, per cache (accepted; refused). @default 1_000 */
  readonly maxEntries?: number;
  /** Reviews in flight at once; a request that would need one more gets 429. @default 4 */
  readonly maxConcurrentReviews?: number;
}

type Decision = 200 | 401 | 403;

const MESSAGES = {
  401: 'Unauthorized: send a Kubernetes bearer token (Authorization: Bearer <ServiceAccount token>)',
  403: 'Forbidden: the token\'s identity may not get /metrics (bind a ClusterRole granting get on nonResourceURLs ["/metrics"])',
} as const;

/** TokenReview + SubjectAccessReview for /metrics, cached and bounded. */
export class SecureMetricsAuthorizer implements MetricsAuthorizer {
  private readonly reviewer: MetricsReviewer;
  private readonly clock: Clock;
  private readonly allowedTtlMs: number;
  private readonly deniedTtlMs: number;
  private readonly maxConcurrent: number;
  private readonly accepted: TtlLruCache<Decision>;
  private readonly refused: TtlLruCache<Decision>;
  private readonly pending = new Map<string, Promise<Decision>>();
  /** Reviews sent (cache misses), for tests. */
  readonly reviews = { token: 0, access: 0 };

  constructor(options: SecureMetricsOptions) {
    this.reviewer = options.reviewer;
    this.clock = options.clock ?? systemClock;
    this.allowedTtlMs = options.allowedTtlMs ?? 10_000;
    this.deniedTtlMs = options.deniedTtlMs ?? 2_000;
    this.maxConcurrent = options.maxConcurrentReviews ?? 4;
    const max = options.maxEntries ?? 1_000;
    this.accepted = new TtlLruCache(max, this.clock);
    this.refused = new TtlLruCache(max, this.clock);
  }

  async authorize(authorization: string | undefined): Promise<MetricsVerdict> {
    const token = bearerToken(authorization);
    if (token === undefined) return { status: 401, message: MESSAGES[401] };
    const key = tokenKey(token);
    let decision = this.accepted.get(key) ?? this.refused.get(key) ?? this.pending.get(key);
    if (decision === undefined) {
      if (this.pending.size >= this.maxConcurrent) return { status: 429, message: 'Too many scrapes are being checked; retry shortly' };
      const review = this.review(token, key).finally(() => this.pending.delete(key));
      this.pending.set(key, review);
      decision = review;
    }
    try {
      const status = await decision;
      return status === 200 ? { status } : { status, message: MESSAGES[status] };
    } catch {
      return { status: 503, message: 'Service Unavailable: the API server could not review the token; retry shortly' };
    }
  }

  private async review(token: string, key: string): Promise<Decision> {
    this.reviews.token++;
    const result = await this.reviewer.reviewToken(token);
    let decision: Decision = 401;
    if (result.authenticated) {
      this.reviews.access++;
      decision = (await this.reviewer.mayGetMetrics(result.user)) ? 200 : 403;
    }
    if (decision === 200) {
      const expiry = jwtExpiry(token);
      const ttl = Math.min(this.allowedTtlMs, expiry === undefined ? Infinity : expiry - this.clock.now());
      if (ttl > 0) this.accepted.set(key, decision, ttl);
    } else {
      this.refused.set(key, decision, this.deniedTtlMs);
    }
    return decision;
  }
}

