import { describe, expect, it } from 'vitest';
import { DurationParseError } from '../api-values/duration.js';
import { generateApiKey } from '../apikeys/api-key.js';
import { TokenParseError } from '../apikeys/checksummed-token.js';
import { seededRandom } from '../apikeys/seeded-random.js';
import {
  DEFAULT_INVITATION_TTL,
  INVITATION_TOKEN_PATTERN,
  INVITATION_TOKEN_PREFIX,
  expiresAt,
  generateInvitationToken,
  hashInvitationToken,
  isExpired,
  parseInvitationToken,
  timeUntilExpiry,
  verifyInvitationToken,
} from './token.js';

const sample = (seed: string) => generateInvitationToken(seededRandom(seed));

describe('generateInvitationToken', () => {
  it('writes blink_inv_<12 id>_<49> with the id embedded', () => {
    const { token, invitationId } = sample('format');
    expect(token).toMatch(/^blink_inv_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}$/);
    expect(token).toMatch(INVITATION_TOKEN_PATTERN);
    expect(token.slice(INVITATION_TOKEN_PREFIX.length, INVITATION_TOKEN_PREFIX.length + 12)).toBe(invitationId);
  });

  it('is URL-safe: encodeURIComponent leaves it unchanged', () => {
    const { token } = generateInvitationToken();
    expect(encodeURIComponent(token)).toBe(token);
    expect(new URL(`https://example.test/accept?token=${token}`).searchParams.get('token')).toBe(token);
  });

  it('never repeats with the default source', () => {
    const tokens = Array.from({ length: 200 }, () => generateInvitationToken());
    expect(new Set(tokens.map((t) => t.token)).size).toBe(200);
    expect(new Set(tokens.map((t) => t.invitationId)).size).toBe(200);
  });

  it('carries at least 256 bits in the secret part', () => {
    const secret = sample('entropy').token.slice(INVITATION_TOKEN_PREFIX.length + 13, -6);
    expect(secret.length * Math.log2(62)).toBeGreaterThanOrEqual(256);
  });
});

describe('parseInvitationToken', () => {
  const { token, invitationId } = sample('parse');

  it('returns the invitation id only', () => {
    expect(parseInvitationToken(token)).toEqual({ ok: true, value: { invitationId } });
  });

  it.each([
    ['an API key', () => generateApiKey(seededRandom('k')).key, 'wrong-prefix'],
    ['empty', () => '', 'wrong-prefix'],
    ['truncated', () => token.slice(0, -3), 'malformed'],
    ['percent-encoded junk', () => `${INVITATION_TOKEN_PREFIX}%3Cscript%3E`, 'malformed'],
    ['a typo', () => token.slice(0, 20) + (token[20] === 'a' ? 'b' : 'a') + token.slice(21), 'bad-checksum'],
  ])('rejects %s', (_, make, code) => {
    const text = make();
    const parsed = parseInvitationToken(text);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error).toBeInstanceOf(TokenParseError);
    expect(parsed.error.code).toBe(code);
    if (text.length > INVITATION_TOKEN_PREFIX.length + 25) expect(parsed.error.message).not.toContain(text.slice(INVITATION_TOKEN_PREFIX.length + 13, INVITATION_TOKEN_PREFIX.length + 25));
  });
});

describe('hashInvitationToken / verifyInvitationToken', () => {
  const { token } = sample('hash');

  it('verifies the token only against its own hash', () => {
    const stored = hashInvitationToken(token);
    expect(stored).toMatch(/^[0-9a-f]{64}$/);
    expect(verifyInvitationToken(token, stored)).toBe(true);
    expect(verifyInvitationToken(sample('other').token, stored)).toBe(false);
    expect(verifyInvitationToken(token, '')).toBe(false);
  });

  it('honours a pepper', () => {
    const stored = hashInvitationToken(token, 'pepper');
    expect(stored).not.toBe(hashInvitationToken(token));
    expect(verifyInvitationToken(token, stored, 'pepper')).toBe(true);
    expect(verifyInvitationToken(token, stored)).toBe(false);
  });
});

describe('expiry', () => {
  const issued = new Date('2026-01-01T00:00:00Z');

  it.each<[number | string, string]>([
    [DEFAULT_INVITATION_TTL, '2026-01-08T00:00:00.000Z'],
    ['30m', '2026-01-01T00:30:00.000Z'],
    ['1h30m', '2026-01-01T01:30:00.000Z'],
    ['0s', '2026-01-01T00:00:00.000Z'],
    [60_000, '2026-01-01T00:01:00.000Z'],
  ])('expiresAt(issued, %j) is %s', (ttl, expected) => {
    expect(expiresAt(issued, ttl).toISOString()).toBe(expected);
  });

  it('rejects a bad TTL with a typed error', () => {
    expect(() => expiresAt(issued, '7d')).toThrow(DurationParseError);
    expect(() => expiresAt(issued, -1)).toThrow(RangeError);
    expect(() => expiresAt(issued, Number.NaN)).toThrow(RangeError);
  });

  it('treats the expiry instant itself as expired', () => {
    const expiry = expiresAt(issued, '1h');
    expect(isExpired(expiry, new Date('2026-01-01T00:59:59.999Z'))).toBe(false);
    expect(isExpired(expiry, new Date('2026-01-01T01:00:00.000Z'))).toBe(true);
    expect(isExpired(expiry, new Date('2026-02-01T00:00:00.000Z'))).toBe(true);
  });

  it('says how long until expiry, never negative', () => {
    const expiry = expiresAt(issued, '1h');
    expect(timeUntilExpiry(expiry, issued)).toBe(3_600_000);
    expect(timeUntilExpiry(expiry, new Date('2026-01-02T00:00:00Z'))).toBe(0);
  });
});
