import { describe, expect, it } from 'vitest';
import { API_KEY_PATTERN, API_KEY_PREFIX, fingerprintOf, generateApiKey, hashApiKey, parseApiKey, verifyApiKey } from './api-key.js';
import { BASE62_ALPHABET } from './base62.js';
import { TOKEN_CHECKSUM_LENGTH, TOKEN_ID_LENGTH, TOKEN_SECRET_LENGTH, TokenParseError } from './checksummed-token.js';
import type { TokenParseErrorCode } from './checksummed-token.js';
import { seededRandom } from './seeded-random.js';

const sample = (seed: string) => generateApiKey(seededRandom(seed));

function errorCode(text: string): TokenParseErrorCode | 'ok' {
  const parsed = parseApiKey(text);
  return parsed.ok ? 'ok' : parsed.error.code;
}

describe('generateApiKey', () => {
  it('writes blink_sa_<12 id>_<43 secret><6 checksum>', () => {
    const { key, keyId } = sample('format');
    expect(key).toMatch(/^blink_sa_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}$/);
    expect(key).toMatch(API_KEY_PATTERN);
    expect(key).toHaveLength(API_KEY_PREFIX.length + 12 + 1 + 43 + 6);
    expect(key.slice(API_KEY_PREFIX.length, API_KEY_PREFIX.length + 12)).toBe(keyId);
  });

  it('carries at least 256 bits of randomness in the secret part', () => {
    expect(TOKEN_SECRET_LENGTH * Math.log2(62)).toBeGreaterThanOrEqual(256);
    expect(TOKEN_ID_LENGTH * Math.log2(62)).toBeGreaterThan(64);
  });

  it('uses the OS random source by default and never repeats', () => {
    const keys = Array.from({ length: 200 }, () => generateApiKey());
    expect(new Set(keys.map((k) => k.key)).size).toBe(200);
    expect(new Set(keys.map((k) => k.keyId)).size).toBe(200);
    for (const { key } of keys) expect(parseApiKey(key).ok).toBe(true);
  });

  it('is deterministic for an injected source', () => {
    expect(sample('x')).toEqual(sample('x'));
    expect(sample('x').key).not.toBe(sample('y').key);
  });

  it('returns the fingerprint of the key', () => {
    const { key, fingerprint } = sample('fp');
    expect(fingerprint).toBe(fingerprintOf(key));
  });
});

describe('parseApiKey', () => {
  const { key, keyId } = sample('parse');

  it('returns the embedded key id and nothing secret', () => {
    expect(parseApiKey(key)).toEqual({ ok: true, value: { keyId } });
  });

  it.each<[string, string, TokenParseErrorCode]>([
    ['empty', '', 'wrong-prefix'],
    ['another vendor', `ghp_${'a'.repeat(36)}`, 'wrong-prefix'],
    ['an invitation token', `blink_inv_${'a'.repeat(12)}_${'b'.repeat(49)}`, 'wrong-prefix'],
    ['upper-case prefix', key.replace('blink_sa_', 'BLINK_SA_'), 'wrong-prefix'],
    ['leading space', ` ${key}`, 'wrong-prefix'],
    ['trailing newline', `${key}\n`, 'malformed'],
    ['truncated', key.slice(0, -1), 'malformed'],
    ['one character too many', `${key}a`, 'malformed'],
    ['prefix only', API_KEY_PREFIX, 'malformed'],
    ['missing separator', key.replace(`${keyId}_`, `${keyId}x`), 'malformed'],
    ['dash in the secret', `${key.slice(0, 30)}-${key.slice(31)}`, 'malformed'],
    ['non-ASCII letter', `${key.slice(0, 30)}é${key.slice(31)}`, 'malformed'],
    ['huge input', `${API_KEY_PREFIX}${'a'.repeat(100_000)}`, 'malformed'],
    ['wrong checksum', key.slice(0, -1) + (key.endsWith('0') ? '1' : '0'), 'bad-checksum'],
  ])('rejects %s as %s', (_, text, code) => {
    const parsed = parseApiKey(text);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error).toBeInstanceOf(TokenParseError);
    expect(parsed.error.code).toBe(code);
  });

  it('rejects non-string input without throwing', () => {
    expect(errorCode(undefined as unknown as string)).toBe('wrong-prefix');
  });

  describe.each(['s1', 's2', 's3', 's4'])('typos in sample key %s', (seed) => {
    const { key: original } = sample(seed);

    it('rejects every single-character substitution', () => {
      let tried = 0;
      for (let at = 0; at < original.length; at++) {
        for (const char of `${BASE62_ALPHABET}_-`) {
          if (char === original[at]) continue;
          const typo = original.slice(0, at) + char + original.slice(at + 1);
          expect(errorCode(typo), `substitution at ${at}`).not.toBe('ok');
          tried++;
        }
      }
      expect(tried).toBeGreaterThan(original.length * 60);
    });

    it('rejects every adjacent transposition that changes the key', () => {
      for (let at = 0; at + 1 < original.length; at++) {
        if (original[at] === original[at + 1]) continue;
        const typo = original.slice(0, at) + original.charAt(at + 1) + original.charAt(at) + original.slice(at + 2);
        expect(errorCode(typo), `transposition at ${at}`).not.toBe('ok');
      }
    });

    it('rejects a dropped or doubled character anywhere', () => {
      for (let at = 0; at < original.length; at++) {
        expect(errorCode(original.slice(0, at) + original.slice(at + 1))).not.toBe('ok');
        expect(errorCode(original.slice(0, at) + original.charAt(at) + original.slice(at))).not.toBe('ok');
      }
    });
  });

  it('checks the checksum over the key id too, not only the secret', () => {
    const typo = key.slice(0, API_KEY_PREFIX.length) + (keyId.startsWith('A') ? 'B' : 'A') + key.slice(API_KEY_PREFIX.length + 1);
    expect(errorCode(typo)).toBe('bad-checksum');
  });

  it('puts the checksum in the last six characters', () => {
    expect(TOKEN_CHECKSUM_LENGTH).toBe(6);
    const body = key.slice(0, -6);
    const other = parseApiKey(body + 'zzzzzz');
    expect(other.ok).toBe(false);
  });
});

describe('hashApiKey / verifyApiKey', () => {
  const { key } = sample('hash');
  const other = sample('hash-other').key;

  it('stores a lowercase hex SHA-256', () => {
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKey(key)).toBe(hashApiKey(key));
    expect(hashApiKey(key)).not.toBe(hashApiKey(other));
  });

  it('uses HMAC when a pepper is given, and the pepper matters', () => {
    const peppered = hashApiKey(key, 'pepper-1');
    expect(peppered).toMatch(/^[0-9a-f]{64}$/);
    expect(peppered).not.toBe(hashApiKey(key));
    expect(peppered).not.toBe(hashApiKey(key, 'pepper-2'));
    expect(hashApiKey(key, Buffer.from('pepper-1'))).toBe(peppered);
  });

  it('verifies only the right key with the right pepper', () => {
    expect(verifyApiKey(key, hashApiKey(key))).toBe(true);
    expect(verifyApiKey(other, hashApiKey(key))).toBe(false);
    expect(verifyApiKey(key, hashApiKey(key, 'p'), 'p')).toBe(true);
    expect(verifyApiKey(key, hashApiKey(key, 'p'))).toBe(false);
    expect(verifyApiKey(key, hashApiKey(key), 'p')).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['too short', 'ab'.repeat(31)],
    ['too long', 'ab'.repeat(33)],
    ['upper-case hex', 'AB'.repeat(32)],
    ['not hex', 'zz'.repeat(32)],
  ])('never verifies against a %s stored hash, and does not throw', (_, stored) => {
    expect(verifyApiKey(key, stored)).toBe(false);
  });
});

describe('fingerprintOf', () => {
  const { key } = sample('fingerprint');

  it('is sha256: + 12 hex, stable, and different per key', () => {
    expect(fingerprintOf(key)).toMatch(/^sha256:[0-9a-f]{12}$/);
    expect(fingerprintOf(key)).toBe(fingerprintOf(key));
    expect(fingerprintOf(key)).not.toBe(fingerprintOf(sample('fingerprint-2').key));
  });

  it('never reveals a prefix (or any part) of the stored hash', () => {
    for (const seed of ['a', 'b', 'c', 'd', 'e']) {
      const k = sample(seed).key;
      const hex = fingerprintOf(k).slice('sha256:'.length);
      expect(hashApiKey(k)).not.toContain(hex);
      expect(hashApiKey(k, 'pepper')).not.toContain(hex);
    }
  });

  it('contains nothing of the key', () => {
    expect(fingerprintOf(key)).not.toContain(key.slice(API_KEY_PREFIX.length, API_KEY_PREFIX.length + 6));
  });
});

describe('secrecy of error messages', () => {
  it('never puts the key, or a part of its secret, into an error', () => {
    const { key } = sample('secrecy');
    const secret = key.slice(API_KEY_PREFIX.length + TOKEN_ID_LENGTH + 1);
    const variants = [
      key.slice(0, -1),
      `${key}x`,
      key.slice(0, -1) + (key.endsWith('0') ? '1' : '0'),
      `${key.slice(0, 40)}!${key.slice(41)}`,
      key.replace(API_KEY_PREFIX, 'blink_xx_'),
    ];
    for (const text of variants) {
      const parsed = parseApiKey(text);
      expect(parsed.ok).toBe(false);
      if (parsed.ok) continue;
      const rendered = [parsed.error.message, String(parsed.error), JSON.stringify(parsed.error), parsed.error.stack ?? ''].join('\n');
      for (let at = 0; at + 8 <= secret.length; at += 4) expect(rendered).not.toContain(secret.slice(at, at + 8));
    }
  });
});
