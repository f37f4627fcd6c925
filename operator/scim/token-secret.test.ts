import { describe, expect, it } from 'vitest';
import { seededRandom } from '../apikeys/seeded-random.js';
import type { KubeObject } from '../runtime/kinds.js';
import { generateScimToken, parseScimToken, SCIM_TOKEN_PATTERN, SCIM_TOKEN_PREFIX } from './token.js';
import { buildScimTokenSecret, planScimToken, ScimTokenMeta, toCachedScimTokenSecret, tokenMatches, trustedToken } from './token-secret.js';

const key = Buffer.alloc(32, 7);
const tenant: KubeObject = { metadata: { name: 'acme', uid: 'tenant-uid-1' } };
const t0 = Date.parse('2026-01-01T00:00:00Z');
const token1 = generateScimToken(seededRandom('one'));
const token2 = generateScimToken(seededRandom('two'));

function cached(object: KubeObject): ReturnType<typeof toCachedScimTokenSecret> {
  return toCachedScimTokenSecret(JSON.parse(JSON.stringify(object)) as KubeObject);
}

describe('SCIM token format', () => {
  it('is blink_scim_<id>_<secret><checksum>, checked offline', () => {
    expect(token1.token).toMatch(SCIM_TOKEN_PATTERN);
    expect(token1.token.startsWith(SCIM_TOKEN_PREFIX)).toBe(true);
    expect(parseScimToken(token1.token)).toEqual({ ok: true, value: { tokenId: token1.tokenId } });
    expect(parseScimToken(token1.token.slice(0, -1) + (token1.token.endsWith('0') ? '1' : '0')).ok).toBe(false);
    expect(parseScimToken(`blink_sa_${token1.token.slice(SCIM_TOKEN_PREFIX.length)}`).ok).toBe(false);
  });
});

describe('the token Secret', () => {
  const secret = buildScimTokenSecret({ tenant, namespace: 'tenant-acme', token: token1, revision: 0, nowMs: t0, signingKey: key });

  it('caches only the hash: the token is gone before anything stores the object', () => {
    const view = cached(secret);
    expect(JSON.stringify(view)).not.toContain(token1.token);
    expect(JSON.stringify(view)).not.toContain(Buffer.from(token1.token).toString('base64'));
    expect(view.tokenHash).toBe(token1.hash);
  });

  it('verifies the issued token for this Tenant only, and nothing else', () => {
    const trusted = trustedToken(key, cached(secret), tenant);
    expect(trusted).toBeDefined();
    expect(tokenMatches(trusted, token1.token, t0)).toBe(true);
    expect(tokenMatches(trusted, token2.token, t0)).toBe(false);
    expect(tokenMatches(trusted, '', t0)).toBe(false);
    expect(trustedToken(key, cached(secret), { metadata: { name: 'acme', uid: 'another-uid' } })).toBeUndefined();
    expect(trustedToken(key, cached(secret), { metadata: { name: 'other', uid: 'tenant-uid-1' } })).toBeUndefined();
    expect(trustedToken(Buffer.alloc(32, 8), cached(secret), tenant)).toBeUndefined();
  });

  it('never trusts a token someone wrote into the Secret, or an edited record', () => {
    const forged = { ...secret, data: { token: Buffer.from(token2.token).toString('base64') } };
    expect(trustedToken(key, cached(forged), tenant)).toBeUndefined();
    const edited = { ...secret, metadata: { ...secret.metadata, annotations: { ...secret.metadata?.annotations, [ScimTokenMeta.revision]: '9' } } };
    expect(trustedToken(key, cached(edited), tenant)).toBeUndefined();
  });

  it('keeps the previous token working until the end of its grace period, and not after', () => {
    const rotated = buildScimTokenSecret({ tenant, namespace: 'tenant-acme', token: token2, revision: 1, previous: { tokenId: token1.tokenId, hash: token1.hash, expiresAtMs: t0 + 60_000 }, nowMs: t0, signingKey: key });
    const trusted = trustedToken(key, cached(rotated), tenant);
    expect(tokenMatches(trusted, token2.token, t0)).toBe(true);
    expect(tokenMatches(trusted, token1.token, t0 + 59_999)).toBe(true);
    expect(tokenMatches(trusted, token1.token, t0 + 60_000)).toBe(false);
  });
});

describe('planScimToken', () => {
  const trusted = { revision: 1, tokenId: 'id1', hash: 'h'.repeat(64) };
  const base = { enabled: true, exists: true, trusted, revision: 1, graceMs: 3_600_000, nowMs: t0 };
  it.each([
    ['SCIM off, no Secret', { ...base, enabled: false, exists: false }, 'none'],
    ['SCIM off, a Secret', { ...base, enabled: false }, 'delete'],
    ['first token', { ...base, exists: false, trusted: undefined }, 'issue First'],
    ['an untrusted Secret', { ...base, trusted: undefined }, 'issue Untrusted'],
    ['same revision', base, 'none'],
    ['revision raised', { ...base, revision: 2 }, 'issue Rotated'],
  ])('%s → %s', (_, input, expected) => {
    const plan = planScimToken(input);
    expect(plan.action === 'issue' ? `issue ${plan.why}` : plan.action).toBe(expected);
  });
  it('keeps the current token as previous for the grace period on a rotation, none with a zero grace or an untrusted one', () => {
    expect(planScimToken({ ...base, revision: 2 })).toMatchObject({ previous: { tokenId: 'id1', expiresAtMs: t0 + 3_600_000 } });
    expect(planScimToken({ ...base, revision: 2, graceMs: 0 })).toMatchObject({ previous: undefined });
    expect(planScimToken({ ...base, trusted: undefined })).not.toHaveProperty('previous');
  });
});
