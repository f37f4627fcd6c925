import { describe, expect, it } from 'vitest';
import { CSRF_TOKEN_TTL_MS, WeakSecretError, checkCsrfToken, issueCsrfToken } from './csrf.js';

const SECRET = 'a-server-secret-of-at-least-32-bytes!!';
const NOW = new Date('2026-01-01T12:00:00Z');
const later = (ms: number) => new Date(NOW.getTime() + ms);

describe('issueCsrfToken / checkCsrfToken', () => {
  const token = issueCsrfToken(SECRET, 'inv123', NOW);

  it('issues <expiry base36>.<43 base64url>', () => {
    expect(token).toMatch(/^[0-9a-z]+\.[A-Za-z0-9_-]{43}$/);
    expect(parseInt(token.split('.')[0] ?? '', 36)).toBe(NOW.getTime() + CSRF_TOKEN_TTL_MS);
  });

  it('is deterministic for a given clock', () => {
    expect(issueCsrfToken(SECRET, 'inv123', NOW)).toBe(token);
  });

  it('accepts its own token until the expiry', () => {
    expect(checkCsrfToken(SECRET, 'inv123', token, NOW)).toEqual({ ok: true });
    expect(checkCsrfToken(SECRET, 'inv123', token, later(CSRF_TOKEN_TTL_MS - 1))).toEqual({ ok: true });
  });

  it('expires at the expiry instant', () => {
    expect(checkCsrfToken(SECRET, 'inv123', token, later(CSRF_TOKEN_TTL_MS))).toEqual({ ok: false, reason: 'expired' });
  });

  it('honours a custom TTL', () => {
    const short = issueCsrfToken(SECRET, 'inv123', NOW, 1000);
    expect(checkCsrfToken(SECRET, 'inv123', short, later(999)).ok).toBe(true);
    expect(checkCsrfToken(SECRET, 'inv123', short, later(1000))).toEqual({ ok: false, reason: 'expired' });
  });

  it('is bound to the invitation id', () => {
    expect(checkCsrfToken(SECRET, 'inv124', token, NOW)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('is bound to the secret', () => {
    expect(checkCsrfToken(`${SECRET}x`, 'inv123', token, NOW)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('rejects a moved expiry (the MAC covers it)', () => {
    const [, mac] = token.split('.');
    const extended = `${(NOW.getTime() + 10 * CSRF_TOKEN_TTL_MS).toString(36)}.${mac}`;
    expect(checkCsrfToken(SECRET, 'inv123', extended, NOW)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('rejects a tampered MAC, including a non-canonical last character', () => {
    const at = token.length - 20;
    const flipped = token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
    expect(checkCsrfToken(SECRET, 'inv123', flipped, NOW)).toEqual({ ok: false, reason: 'mismatch' });
    // Flip the lowest (spare) bit of the last base64url character: decodes to the same bytes, still refused.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(token.at(-1) ?? '');
    const spare = token.slice(0, -1) + alphabet.charAt(last ^ 1);
    expect(Buffer.from(spare.split('.')[1] ?? '', 'base64url')).toEqual(Buffer.from(token.split('.')[1] ?? '', 'base64url'));
    expect(checkCsrfToken(SECRET, 'inv123', spare, NOW)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it.each([undefined, null, 42, '', 'abc', `${'z'.repeat(13)}.${'A'.repeat(43)}`, 'abc.short', `abc.${'A'.repeat(44)}`, `ABC.${'A'.repeat(43)}`, ['x']])(
    'rejects %j as malformed without throwing',
    (posted) => {
      expect(checkCsrfToken(SECRET, 'inv123', posted, NOW)).toEqual({ ok: false, reason: 'malformed' });
    },
  );

  it('refuses a short secret with a typed error that does not contain it', () => {
    expect(() => issueCsrfToken('short-secret', 'inv123', NOW)).toThrow(WeakSecretError);
    try {
      issueCsrfToken('short-secret', 'inv123', NOW);
    } catch (error) {
      expect((error as Error).message).not.toContain('short-secret');
    }
  });

  it('accepts a binary secret', () => {
    const secret = new Uint8Array(32).fill(7);
    expect(checkCsrfToken(secret, 'i', issueCsrfToken(secret, 'i', NOW), NOW)).toEqual({ ok: true });
  });
});
