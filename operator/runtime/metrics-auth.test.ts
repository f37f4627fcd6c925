import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { bearerToken, MAX_TOKEN_LENGTH, SecureMetricsAuthorizer } from './metrics-auth.js';
import type { MetricsReviewer } from './metrics-auth.js';
import type { ReviewedUser } from './token-authenticator.js';

describe('bearerToken', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['Bearer', undefined],
    ['Bearer ', undefined],
    ['Basic dXNlcjpwYXNz', undefined],
    ['Bearer abc def', undefined],
    ['Bearer abc\u0000', undefined],
    ['Bearer é', undefined],
    [`Bearer ${'a'.repeat(MAX_TOKEN_LENGTH + 1)}`, undefined],
    ['Bearer eyJ.a.b', 'eyJ.a.b'],
    ['bearer  tok', 'tok'],
  ])('%j -> %j', (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });
});

/** A reviewer that knows `scraper` (allowed) and `stranger` (valid, not allowed), counting reviews; `pause` holds reviews open. */
function reviewer(options: { failing?: boolean; pause?: Promise<void> } = {}): MetricsReviewer & { calls: { token: number; access: number } } {
  const calls = { token: 0, access: 0 };
  const user = (username: string): ReviewedUser => ({ username, groups: [] });
  return {
    calls,
    async reviewToken(token) {
      calls.token++;
      await options.pause;
      if (options.failing) throw new Error('connection refused');
      if (token === 'scraper') return { authenticated: true, user: user('prometheus'), audiences: [] };
      if (token === 'stranger') return { authenticated: true, user: user('someone'), audiences: [] };
      return { authenticated: false };
    },
    mayGetMetrics(u) {
      calls.access++;
      return Promise.resolve(u.username === 'prometheus');
    },
  };
}

describe('SecureMetricsAuthorizer', () => {
  it('answers 401 without a valid token, 403 without the permission, 200 with it', async () => {
    const r = reviewer();
    const auth = new SecureMetricsAuthorizer({ reviewer: r, clock: new ManualClock() });
    expect((await auth.authorize(undefined)).status).toBe(401);
    expect((await auth.authorize('Bearer junk')).status).toBe(401);
    expect((await auth.authorize('Bearer stranger')).status).toBe(403);
    expect((await auth.authorize('Bearer scraper')).status).toBe(200);
    // A missing header costs no review.
    expect(r.calls).toEqual({ token: 3, access: 2 });
  });

  it('reuses answers for their TTL, and junk tokens never evict an accepted scraper', async () => {
    const clock = new ManualClock();
    const r = reviewer();
    const auth = new SecureMetricsAuthorizer({ reviewer: r, clock, maxEntries: 10 });
    expect((await auth.authorize('Bearer scraper')).status).toBe(200);
    for (let i = 0; i < 100; i++) expect((await auth.authorize(`Bearer junk-${i}`)).status).toBe(401);
    expect((await auth.authorize('Bearer scraper')).status).toBe(200);
    expect(r.calls.access).toBe(1);
    await clock.advance(10_001);
    expect((await auth.authorize('Bearer scraper')).status).toBe(200);
    expect(r.calls.access).toBe(2);
  });

  it('bounds reviews in flight (429 beyond) and shares one review between equal tokens', async () => {
    let release: () => void = () => {};
    const pause = new Promise<void>((resolve) => (release = resolve));
    const r = reviewer({ pause });
    const auth = new SecureMetricsAuthorizer({ reviewer: r, clock: new ManualClock(), maxConcurrentReviews: 2 });
    const first = [auth.authorize('Bearer scraper'), auth.authorize('Bearer scraper'), auth.authorize('Bearer junk-1')];
    expect(await auth.authorize('Bearer junk-2')).toMatchObject({ status: 429 });
    release();
    expect((await Promise.all(first)).map((v) => v.status)).toEqual([200, 200, 401]);
    expect(r.calls.token).toBe(2);
  });

  it('answers 503, and caches nothing, when the API server cannot review', async () => {
    const r = reviewer({ failing: true });
    const auth = new SecureMetricsAuthorizer({ reviewer: r, clock: new ManualClock() });
    expect(await auth.authorize('Bearer scraper')).toMatchObject({ status: 503 });
    expect(await auth.authorize('Bearer scraper')).toMatchObject({ status: 503 });
    expect(r.calls.token).toBe(2);
  });
});
