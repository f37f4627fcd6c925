import { describe, expect, it } from 'vitest';
import { BASE62_PATTERN } from './base62.js';
import { randomBase62, secureRandomBytes } from './random.js';
import type { RandomBytes } from './random.js';
import { seededRandom } from './seeded-random.js';

describe('randomBase62', () => {
  it('draws exactly the requested number of base62 characters', () => {
    const text = randomBase62(secureRandomBytes, 43);
    expect(text).toHaveLength(43);
    expect(BASE62_PATTERN.test(text)).toBe(true);
  });

  it('is reproducible with an injected source', () => {
    expect(randomBase62(seededRandom('a'), 20)).toBe(randomBase62(seededRandom('a'), 20));
    expect(randomBase62(seededRandom('a'), 20)).not.toBe(randomBase62(seededRandom('b'), 20));
  });

  it('drops biased bytes (248..255) instead of folding them onto low characters', () => {
    const bytes = [255, 248, 0, 249, 61, 62, 247];
    let at = 0;
    const source: RandomBytes = (size) => Uint8Array.from({ length: size }, () => bytes[at++ % bytes.length] ?? 0);
    // 0 → '0', 61 → 'z', 62 → '0', 247 → 247 % 62 = 61 → 'z'
    expect(randomBase62(source, 4)).toBe('0z0z');
  });

  it('uses every character with roughly equal frequency', () => {
    const counts = new Map<string, number>();
    const text = randomBase62(seededRandom('uniformity'), 62_000);
    for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
    expect(counts.size).toBe(62);
    for (const count of counts.values()) expect(count).toBeGreaterThan(800);
  });

  it('throws instead of looping forever on a broken source', () => {
    const broken: RandomBytes = (size) => new Uint8Array(size).fill(255);
    expect(() => randomBase62(broken, 8)).toThrow(/random source/);
  });
});
