import { describe, expect, it } from 'vitest';
import { BASE62_ALPHABET, BASE62_PATTERN, decodeBase62, encodeBase62 } from './base62.js';

describe('base62', () => {
  it('has 62 distinct characters in value order', () => {
    expect(new Set(BASE62_ALPHABET).size).toBe(62);
    expect(BASE62_PATTERN.test(BASE62_ALPHABET)).toBe(true);
  });

  it.each([
    [0n, 6, '000000'],
    [61n, 2, '0z'],
    [62n, 2, '10'],
    [0xffffffffn, 6, '4gfFC3'],
  ])('encodes %s in %i characters as %s', (value, length, text) => {
    expect(encodeBase62(value, length)).toBe(text);
    expect(decodeBase62(text)).toBe(value);
  });

  it('round-trips large values', () => {
    const value = 2n ** 255n + 12345n;
    expect(decodeBase62(encodeBase62(value, 43))).toBe(value);
  });

  it('refuses values that do not fit, and negative values', () => {
    expect(() => encodeBase62(62n ** 6n, 6)).toThrow(RangeError);
    expect(() => encodeBase62(-1n, 6)).toThrow(RangeError);
  });

  it('decodes non-base62 text to undefined', () => {
    for (const text of ['ab-c', 'a_b', 'é', ' ']) expect(decodeBase62(text)).toBeUndefined();
  });
});
