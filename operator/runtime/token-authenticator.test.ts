import { describe, expect, it } from 'vitest';
import type { Clock } from './clock.js';
import { jwtExpiry, TokenAuthenticator, tokenKey, TtlLruCache } from './token-authenticator.js';
import type { AccessReviewer, ResourceAttributes, ReviewedUser, TokenReviewResult } from './token-authenticator.js';

const AUDIENCE = 'blink-accounts-access-api';
const ATTRS: ResourceAttributes = { group: 'accounts.blinkops.com', resource: 'accessreviews', verb: 'create', namespace: 'tenant-a' };

function manualClock(start = 1_000_000): Clock & { advance(ms: number): void } {
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
    const { reviewer, seen } = fakeReviewer({ good: { user: alice, audiences: [AUDIENCE] } }, {});
    const auth = new TokenAuthenticator({ reviewer, audience: AUDIENCE, clock, allowedTtlMs: 10_000 });
    const caller = await auth.authenticate('good');
    expect(caller).toEqual({ key: tokenKey('good'), user: alice });
    clock.advance(9_999);
    await auth.authenticate('good');
    expect(seen.tokens).toHaveLength(1);
    clock.advance(1);
    await auth.authenticate('good');
    expect(seen.tokens).toHaveLength(2);
  });

  it('rejects a token of another audience, an unknown one and an empty one', async () => {
    const { reviewer } = fakeReviewer({ other: { user: alice, audiences: ['https://kubernetes.default.svc'] } }, {});
    const auth = new TokenAuthenticator({ reviewer, audience: AUDIENCE, clock: manualClock() });
    expect(await auth.authenticate('other')).toBeUndefined();
    expect(await auth.authenticate('garbage')).toBeUndefined();
    expect(await auth.authenticate('')).toBeUndefined();
  });

  it('does not trust an answer whose audiences leave out its own', async () => {
    const reviewer: AccessReviewer = {
      reviewToken: () => Promise.resolve({ authenticated: true, user: alice, audiences: ['something-else'] }),
      reviewAccess: () => Promise.resolve(true),
    };
    const auth = new TokenAuthenticator({ reviewer, audience: AUDIENCE, clock: manualClock() });
    expect(await auth.authenticate('t')).toBeUndefined();
  });

  it('keeps a negative answer for the shorter denied TTL', async () => {
    const clock = manualClock();
    const { reviewer, seen } = fakeReviewer({}, {});
    const auth = new TokenAuthenticator({ reviewer, audience: AUDIENCE, clock, allowedTtlMs: 10_000, deniedTtlMs: 2_000 });
    await auth.authenticate('bad');
    clock.advance(1_999);
    await auth.authenticate('bad');
    expect(seen.tokens).toHaveLength(1);
    clock.advance(1);
    await auth.authenticate('bad');
    expect(seen.tokens).toHaveLength(2);
  });

  it('never caches a positive answer past the expiry of the JWT', async () => {
    const clock = manualClock(1_700_000_000_000);
    const exp = Math.floor(clock.now() / 1000) + 3;
    const jwt = `x.${Buffer.from(JSON.stringify({ exp })).toString('base64url')}.sig`;
    const { reviewer, seen } = fakeReviewer({ [jwt]: { user: alice, audiences: [AUDIENCE] } }, {});
    const auth = new TokenAuthenticator({ reviewer, audience: AUDIENCE, clock, allowedTtlMs: 10_000 });
    await auth.authenticate(jwt);
    clock.advance(3_000);
    await auth.authenticate(jwt);
    expect(seen.tokens).toHaveLength(2);
  });

  it('checks access per namespace and caches allowed and denied answers with their TTLs', async () => {
    const clock = manualClock();
    const { reviewer, seen } = fakeReviewer({ good: { user: alice, audiences: [AUDIENCE] } }, { [alice.username]: ['tenant-a'] });
    const auth = new TokenAuthenticator({ reviewer, audience: AUDIENCE, clock, allowedTtlMs: 10_000, deniedTtlMs: 2_000 });
    const caller = await auth.authenticate('good');
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
    const { reviewer, seen } = fakeReviewer({ good: { user: alice, audiences: [AUDIENCE] } }, {});
    const auth = new TokenAuthenticator({ reviewer, audience: AUDIENCE, clock: manualClock() });
    const callers = await Promise.all(Array.from({ length: 20 }, () => auth.authenticate('good')));
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
    await expect(auth.authenticate('t')).rejects.toThrow('API server down');
    expect((await auth.authenticate('t'))?.user).toEqual(alice);
  });

  it('keys its caches by the SHA-256 of the token, never the token', async () => {
    const { reviewer } = fakeReviewer({ 'secret-token-value': { user: alice, audiences: [AUDIENCE] } }, { [alice.username]: ['*'] });
    const auth = new TokenAuthenticator({ reviewer, audience: AUDIENCE, clock: manualClock() });
    const caller = await auth.authenticate('secret-token-value');
    if (!caller) throw new Error('not authenticated');
    await auth.allowed(caller, ATTRS);
    expect(caller.key).toMatch(/^[0-9a-f]{64}$/);
    const inside = JSON.stringify(auth, (_k, v: unknown) => (v instanceof Map ? [...v.entries()] : v));
    expect(inside).not.toContain('secret-token-value');
    expect(inside).toContain(tokenKey('secret-token-value'));
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

  it('forgets expired entries', () => {
    const clock = manualClock();
    const cache = new TtlLruCache<number>(10, clock);
    cache.set('a', 1, 100);
    clock.advance(100);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});

describe('jwtExpiry', () => {
  it('reads exp of a JWT and nothing of other strings', () => {
    expect(jwtExpiry(`h.${Buffer.from('{"exp":12}').toString('base64url')}.s`)).toBe(12_000);
    expect(jwtExpiry('opaque')).toBeUndefined();
    expect(jwtExpiry('a.!!!.c')).toBeUndefined();
  });
});
