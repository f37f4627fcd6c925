import { describe, expect, it } from 'vitest';
import type { Clock } from './clock.js';
import { ReviewThrottledError } from './review-limiter.js';
import { TokenAuthenticator, tokenKey, TtlLruCache } from './token-authenticator.js';
import type { AccessReviewer, ResourceAttributes, ReviewedUser, TokenReviewResult } from './token-authenticator.js';

const AUDIENCE = 'blink-accounts-access-api';
const START = 1_000_000;
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** A JWT shaped like a projected ServiceAccount token (its signature is not checked locally), for AUDIENCE, valid an hour from START. */
function jwt(subject: string, claims: Record<string, unknown> = {}): string {
  return `${b64({ alg: 'RS256', kid: 'k' })}.${b64({ sub: subject, aud: [AUDIENCE], exp: Math.floor(START / 1000) + 3600, ...claims })}.c2lnbmF0dXJl`;
}
const good = jwt('good');
const bad = jwt('bad');
const ATTRS: ResourceAttributes = { group: 'accounts.blinkops.com', resource: 'accessreviews', verb: 'create', namespace: 'tenant-a' };

function manualClock(start = START): Clock & { advance(ms: number): void } {
  let now = start;
  return { now: () => now, setTimer: () => ({ cancel() {} }), advance: (ms) => void (now += ms) };
}

const alice: ReviewedUser = { username: 'system:serviceaccount:platform:alice', uid: 'u1', groups: ['system:serviceaccounts'] };

/** A reviewer as an object literal: which tokens are valid (with their audiences), who may ask about which namespace. */
function fakeReviewer(tokens: Record<string, { user: ReviewedUser; audiences: string[] }>, grants: Record<string, string[]>) {
  const seen = { tokens: [] as string[], access: [] as string[] };
  const reviewer: AccessReviewer = {
    reviewToken(token, audiences) {
      seen.tokens.push(token);
      const known = tokens[token];
      const matching = known?.audiences.filter((a) => audiences.includes(a)) ?? [];
      const result: TokenReviewResult = known && matching.length > 0 ? { authenticated: true, user: known.user, audiences: matching } : { authenticated: false };
      return Promise.resolve(result);
    },
    reviewAccess(user, attributes) {
      seen.access.push(`${user.username}@${attributes.namespace ?? '*'}`);
      const namespaces = grants[user.username] ?? [];
      return Promise.resolve(namespaces.includes('*') || namespaces.includes(attributes.namespace ?? ''));
    },
  };
  return { reviewer, seen };
}

describe('TokenAuthenticator', () => {
  it('authenticates a token for its audience and caches the answer for the allowed TTL', async () => {
    const clock = manualClock();
    const { reviewer, seen } = fakeReviewer({ [good]: { user: alice, audiences: [AUDIENCE] } }, {});
    const auth = new TokenAuthenticator({ reviewer, audience: AUDIENCE, clock, allowedTtlMs: 10_000 });
    const caller = await auth.authenticate(good);
    expect(caller).toEqual({ key: tokenKey(good), user: alice, id: 1 });
    clock.advance(9_999);
    await auth.authenticate(good);
    expect(seen.tokens).toHaveLength(1);
    clock.advance(1);
    await auth.authenticate(good);
    expect(seen.tokens).toHaveLength(2);
  });

  it('rejects a token of another audience, an unknown one and an empty one', async () => {
    const other = jwt('other', { aud: ['https://kubernetes.default.svc'] });
    const { reviewer, seen } = fakeReviewer({ [other]: { user: alice, audiences: ['https://kubernetes.default.svc'] } }, {});
    const auth = new TokenAuthenticator({ reviewer, audience: AUDIENCE, clock: manualClock() });
    expect(await auth.authenticate(other)).toBeUndefined();
    expect(await auth.authenticate('garbage')).toBeUndefined();
    expect(await auth.authenticate('')).toBeUndefined();
    // The audience said so already: the API server was not asked.
    expect(seen.tokens).toEqual([]);
    // A JWT that claims the audience but is not one the API server issued: asked, and refused.
    expect(await auth.authenticate(jwt('forged'))).toBeUndefined();
    expect(seen.tokens).toHaveLength(1);
  });

  it('does not trust an answer whose audiences leave out its own', async () => {
    const reviewer: AccessReviewer = {
      reviewToken: () => Promise.resolve({ authenticated: true, user: alice, audiences: ['something-else'] }),
      reviewAccess: () => Promise.resolve(true),
    };
    const auth = new TokenAuthenticator({ reviewer, audience: AUDIENCE, clock: manualClock() });
    expect(await auth.authenticate(jwt('t'))).toBeUndefined();
  });

  it('keeps a negative answer for the shorter denied TTL', async () => {
    const clock = manualClock();
    const { reviewer, seen } = fakeReviewer({}, {});
    const auth = new TokenAuthenticator({ reviewer, audience: AUDIENCE, clock, allowedTtlMs: 10_000, deniedTtlMs: 2_000 });
    await auth.authenticate(bad);
    clock.advance(1_999);
    await auth.authenticate(bad);
    expect(seen.tokens).toHaveLength(1);
    clock.advance(1);
    await auth.authenticate(bad);
    expect(seen.tokens).toHaveLength(2);
  });

  it('never caches a positive answer past the expiry of the JWT', async () => {
    const clock = manualClock();
    const shortLived = jwt('short', { exp: Math.floor(clock.now() / 1000) + 3 });
    const { reviewer, seen } = fakeReviewer({ [shortLived]: { user: alice, audiences: [AUDIENCE] } }, {});
    const auth = new TokenAuthenticator({ reviewer, audience: AUDIENCE, clock, allowedTtlMs: 10_000 });
    expect(await auth.authenticate(shortLived)).toBeDefined();
    clock.advance(2_999);
    expect(await auth.authenticate(shortLived)).toBeDefined();
    expect(seen.tokens).toHaveLength(1);
    // Expired: not served from the cache, and not worth a review either.
    clock.advance(1);
    expect(await auth.authenticate(shortLived)).toBeUndefined();
    expect(seen.tokens).toHaveLength(1);
  });

  it('answers at once (knownCaller, knownAllowed) only what the caches hold live, the same answers and TTLs; a renewed token keeps its decisions', async () => {
    const clock = manualClock();
    const other = jwt('other');
    const { reviewer, seen } = fakeReviewer({ [good]: { user: alice, audiences: [AUDIENCE] }, [other]: { user: alice, audiences: [AUDIENCE] } }, { [alice.username]: ['tenant-a'] });
    const auth = new TokenAuthenticator({ reviewer, audience: AUDIENCE, clock, allowedTtlMs: 10_000, deniedTtlMs: 2_000 });
    // Nothing is known before a review: unknown tokens and rejected ones alike go to authenticate.
    expect(auth.knownCaller(good)).toBeUndefined();
    expect(auth.knownCaller('')).toBeUndefined();
    expect(auth.knownCaller('junk')).toBeUndefined();
    const caller = await auth.authenticate(good);
    if (!caller) throw new Error('not authenticated');
    expect(auth.knownCaller(good)).toBe(caller);
    expect(auth.knownAllowed(caller, ATTRS)).toBeUndefined();
    await auth.allowed(caller, ATTRS);
    await auth.allowed(caller, { ...ATTRS, namespace: 'tenant-b' });
    expect(auth.knownAllowed(caller, ATTRS)).toBe(true);
    expect(auth.knownAllowed(caller, { ...ATTRS, namespace: 'tenant-b' })).toBe(false);
    expect(auth.knownAllowed(caller, { ...ATTRS, verb: 'delete' })).toBeUndefined();
    // Another token of the same user is another caller: nothing it asked is known for it.
    const second = await auth.authenticate(other);
    if (!second) throw new Error('not authenticated');
    expect(second.id).not.toBe(caller.id);
    expect(auth.knownAllowed(second, ATTRS)).toBeUndefined();
    // The denied answer expires after its TTL, the allowed one after its own; the caller with the token's.
    clock.advance(2_000);
    expect(auth.knownAllowed(caller, { ...ATTRS, namespace: 'tenant-b' })).toBeUndefined();
    expect(auth.knownAllowed(caller, ATTRS)).toBe(true);
    clock.advance(8_000);
    expect(auth.knownCaller(good)).toBeUndefined();
    expect(auth.knownAllowed(caller, ATTRS)).toBeUndefined();
    // Renewed (reviewed again): the same id; a decision cached after the renewal is found under it.
    const renewed = await auth.authenticate(good);
    expect(renewed?.id).toBe(caller.id);
    expect(seen.tokens).toHaveLength(3);
  });

  it('checks access per namespace and caches allowed and denied answers with their TTLs', async () => {
    const clock = manualClock();
    const { reviewer, seen } = fakeReviewer({ [good]: { user: alice, audiences: [AUDIENCE] } }, { [alice.username]: ['tenant-a'] });
    const auth = new TokenAuthenticator({ reviewer, audience: AUDIENCE, clock, allowedTtlMs: 10_000, deniedTtlMs: 2_000 });
    const caller = await auth.authenticate(good);
    if (!caller) throw new Error('not authenticated');
    expect(await auth.allowed(caller, ATTRS)).toBe(true);
    expect(await auth.allowed(caller, { ...ATTRS, namespace: 'tenant-b' })).toBe(false);
    expect(await auth.allowed(caller, ATTRS)).toBe(true);
    expect(await auth.allowed(caller, { ...ATTRS, namespace: 'tenant-b' })).toBe(false);
    expect(seen.access).toEqual([`${alice.username}@tenant-a`, `${alice.username}@tenant-b`]);
    clock.advance(2_000);
    await auth.allowed(caller, ATTRS);
    await auth.allowed(caller, { ...ATTRS, namespace: 'tenant-b' });
    expect(seen.access).toHaveLength(3);
    clock.advance(8_000);
    await auth.allowed(caller, ATTRS);
    expect(seen.access).toHaveLength(4);
  });

  it('shares one review among concurrent requests with the same token', async () => {
    const { reviewer, seen } = fakeReviewer({ [good]: { user: alice, audiences: [AUDIENCE] } }, {});
    const auth = new TokenAuthenticator({ reviewer, audience: AUDIENCE, clock: manualClock() });
    const callers = await Promise.all(Array.from({ length: 20 }, () => auth.authenticate(good)));
    expect(callers.every((c) => c?.user.username === alice.username)).toBe(true);
    expect(seen.tokens).toHaveLength(1);
  });

  it('does not cache a review that failed', async () => {
    let calls = 0;
    const reviewer: AccessReviewer = {
      reviewToken: () => (++calls === 1 ? Promise.reject(new Error('API server down')) : Promise.resolve({ authenticated: true, user: alice, audiences: [AUDIENCE] })),
      reviewAccess: () => Promise.resolve(true),
    };
    const auth = new TokenAuthenticator({ reviewer, audience: AUDIENCE, clock: manualClock() });
    await expect(auth.authenticate(good)).rejects.toThrow('API server down');
    expect((await auth.authenticate(good))?.user).toEqual(alice);
  });

  it('keys its caches by the SHA-256 of the token, never the token', async () => {
    const secret = jwt('secret-token-value');
    const { reviewer } = fakeReviewer({ [secret]: { user: alice, audiences: [AUDIENCE] } }, { [alice.username]: ['*'] });
    const auth = new TokenAuthenticator({ reviewer, audience: AUDIENCE, clock: manualClock() });
    const caller = await auth.authenticate(secret);
    if (!caller) throw new Error('not authenticated');
    await auth.allowed(caller, ATTRS);
    expect(caller.key).toMatch(/^[0-9a-f]{64}$/);
    const inside = JSON.stringify(auth, (_k, v: unknown) => (v instanceof Map ? [...v.entries()] : v));
    expect(inside).not.toContain(secret);
    expect(inside).not.toContain(secret.split('.')[1]);
    expect(inside).toContain(tokenKey(secret));
  });
});

describe('TokenAuthenticator under a flood of junk tokens (issue 22 §5)', () => {
  const junk = (i: number): string[] => [
    `garbage-${i}`,
    `${b64({ alg: 'RS256' })}.${b64({ aud: [AUDIENCE], exp: Math.floor(START / 1000) - 1, n: i })}.c2ln`,
    jwt(`other-${i}`, { aud: 'another-audience' }),
    `${b64({ alg: 'none' })}.${b64({ aud: [AUDIENCE], exp: Math.floor(START / 1000) + 60, n: i })}.c2ln`,
  ];

  it('refuses tokens that cannot be valid without asking the API server, and remembers none of them', async () => {
    const { reviewer, seen } = fakeReviewer({}, {});
    const auth = new TokenAuthenticator({ reviewer, audience: AUDIENCE, clock: manualClock() });
    for (let i = 0; i < 250; i++) for (const token of junk(i)) expect(await auth.authenticate(token)).toBeUndefined();
    expect(seen.tokens).toEqual([]);
    expect(auth.refusals).toEqual({ precheck: 1_000, throttled: 0 });
    const inside = JSON.stringify(auth, (_k, v: unknown) => (v instanceof Map ? [...v.entries()] : v));
    expect(inside).not.toContain(tokenKey('garbage-1'));
  });

  it('keeps rejected tokens out of the cache of accepted ones: junk never evicts a valid caller', async () => {
    const { reviewer, seen } = fakeReviewer({ [good]: { user: alice, audiences: [AUDIENCE] } }, {});
    const clock = manualClock();
    const auth = new TokenAuthenticator({ reviewer, audience: AUDIENCE, clock, maxEntries: 2, maxDeniedEntries: 2, tokenReviewLimits: { burst: 1_000 } });
    expect(await auth.authenticate(good)).toBeDefined();
    for (let i = 0; i < 100; i++) expect(await auth.authenticate(jwt(`forged-${i}`))).toBeUndefined();
    expect(seen.tokens).toHaveLength(101);
    expect((await auth.authenticate(good))?.user).toEqual(alice);
    expect(seen.tokens).toHaveLength(101);
  });

  it('bounds TokenReviews per second: beyond the burst, unknown tokens are refused at once (ReviewThrottledError) and not cached', async () => {
    const clock = manualClock();
    const { reviewer, seen } = fakeReviewer({ [good]: { user: alice, audiences: [AUDIENCE] } }, {});
    const auth = new TokenAuthenticator({ reviewer, audience: AUDIENCE, clock, tokenReviewLimits: { burst: 3, perSecond: 2 } });
    const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => auth.authenticate(jwt(`forged-${i}`)).then(() => 'reviewed', (e: unknown) => (e instanceof ReviewThrottledError ? `throttled ${e.retryAfterSeconds}s` : 'failed'))));
    expect(outcomes).toEqual([...Array(3).fill('reviewed'), ...Array(7).fill('throttled 1s')]);
    expect(seen.tokens).toHaveLength(3);
    expect(auth.refusals.throttled).toBe(7);
    // A valid caller whose token is not cached yet waits for the budget like anyone (503, Retry-After) ...
    await expect(auth.authenticate(good)).rejects.toBeInstanceOf(ReviewThrottledError);
    // ... and gets in when it comes back: the refusal was not remembered.
    clock.advance(500);
    expect((await auth.authenticate(good))?.user).toEqual(alice);
    expect(seen.tokens).toHaveLength(4);
  });

  it('reviews a token the API server accepted before on a budget of its own: a flood does not delay its renewal', async () => {
    const clock = manualClock();
    const { reviewer, seen } = fakeReviewer({ [good]: { user: alice, audiences: [AUDIENCE] } }, {});
    const auth = new TokenAuthenticator({ reviewer, audience: AUDIENCE, clock, allowedTtlMs: 10_000, tokenReviewLimits: { burst: 2, perSecond: 0.01 } });
    expect(await auth.authenticate(good)).toBeDefined();
    for (let second = 0; second < 30; second++) {
      await Promise.all(Array.from({ length: 50 }, (_, i) => auth.authenticate(jwt(`forged-${second}-${i}`)).catch(() => undefined)));
      expect({ second, user: (await auth.authenticate(good))?.user }).toEqual({ second, user: alice });
      clock.advance(1_000);
    }
    // Three renewals of the good token (every 10 s), one review of a forged token; 1,499 refused unasked.
    expect(seen.tokens.filter((t) => t === good)).toHaveLength(3);
    expect(seen.tokens).toHaveLength(4);
    expect(auth.refusals.throttled).toBe(1_499);
  });

  it('a token rejected on renewal (ServiceAccount deleted) loses its own budget', async () => {
    const clock = manualClock();
    const tokens: Record<string, { user: ReviewedUser; audiences: string[] }> = { [good]: { user: alice, audiences: [AUDIENCE] } };
    const { reviewer } = fakeReviewer(tokens, {});
    const auth = new TokenAuthenticator({ reviewer, audience: AUDIENCE, clock, tokenReviewLimits: { burst: 1, perSecond: 0.001 } });
    expect(await auth.authenticate(good)).toBeDefined();
    delete tokens[good];
    clock.advance(10_000);
    expect(await auth.authenticate(good)).toBeUndefined();
    clock.advance(2_000);
    await expect(auth.authenticate(good)).rejects.toBeInstanceOf(ReviewThrottledError);
  });

  it('bounds concurrent TokenReviews: the rest wait in a bounded queue, beyond it they are refused', async () => {
    const releases: (() => void)[] = [];
    let inFlight = 0;
    let most = 0;
    const reviewer: AccessReviewer = {
      reviewToken: () =>
        new Promise((resolve) => {
          most = Math.max(most, ++inFlight);
          releases.push(() => {
            inFlight--;
            resolve({ authenticated: false });
          });
        }),
      reviewAccess: () => Promise.resolve(false),
    };
    const auth = new TokenAuthenticator({ reviewer, audience: AUDIENCE, clock: manualClock(), tokenReviewLimits: { maxConcurrent: 2, maxQueued: 3, burst: 100 } });
    const answers = Array.from({ length: 8 }, (_, i) => auth.authenticate(jwt(`forged-${i}`)).then(() => 'answered', (e: unknown) => (e instanceof ReviewThrottledError ? 'throttled' : 'failed')));
    await new Promise((resolve) => setImmediate(resolve));
    expect(auth.load.token).toEqual({ running: 2, waiting: 3 });
    while (releases.length > 0 || inFlight > 0) {
      releases.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await Promise.all(answers)).toEqual([...Array(5).fill('answered'), ...Array(3).fill('throttled')]);
    expect(most).toBe(2);
  });

  it('keeps denied access answers apart from allowed ones', async () => {
    const { reviewer, seen } = fakeReviewer({ [good]: { user: alice, audiences: [AUDIENCE] } }, { [alice.username]: ['tenant-a'] });
    const auth = new TokenAuthenticator({ reviewer, audience: AUDIENCE, clock: manualClock(), maxEntries: 2, maxDeniedEntries: 2 });
    const caller = await auth.authenticate(good);
    if (!caller) throw new Error('not authenticated');
    expect(await auth.allowed(caller, ATTRS)).toBe(true);
    for (let i = 0; i < 50; i++) expect(await auth.allowed(caller, { ...ATTRS, namespace: `tenant-x${i}` })).toBe(false);
    const asked = seen.access.length;
    expect(await auth.allowed(caller, ATTRS)).toBe(true);
    expect(seen.access).toHaveLength(asked);
  });
});

describe('TtlLruCache', () => {
  it('evicts the least recently used entry past its bound', () => {
    const cache = new TtlLruCache<number>(2, manualClock());
    cache.set('a', 1, 1_000);
    cache.set('b', 2, 1_000);
    expect(cache.get('a')).toBe(1); // a is now the most recent
    cache.set('c', 3, 1_000);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
    expect(cache.size).toBe(2);
  });

  it('never evicts an entry used since the last half-capacity of sets before every older one', () => {
    const cache = new TtlLruCache<number>(4, manualClock());
    for (const key of ['a', 'b', 'c', 'd']) cache.set(key, 1, 1_000);
    expect(cache.get('a')).toBe(1); // the oldest, used: moved to the recent end
    expect(cache.get('d')).toBe(1); // among the newest half: stays where it is
    cache.set('e', 1, 1_000);
    cache.set('f', 1, 1_000);
    // b and c went first (the least recently used); a and d, used, stay.
    expect(['a', 'b', 'c', 'd', 'e', 'f'].filter((key) => cache.get(key) !== undefined)).toEqual(['a', 'd', 'e', 'f']);
    expect(cache.size).toBe(4);
  });

  it('forgets expired entries', () => {
    const clock = manualClock();
    const cache = new TtlLruCache<number>(10, clock);
    cache.set('a', 1, 100);
    clock.advance(100);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});
