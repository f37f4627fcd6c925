// Injected randomness (tests seed it) and uniform base62 strings drawn from it.
import { randomBytes } from 'node:crypto';
import { BASE62_ALPHABET } from './base62.js';

/** A source of cryptographically secure random bytes; injected so tests can fix the output. */
export type RandomBytes = (size: number) => Uint8Array;

// 248 = 4 * 62: bytes at or above it are dropped so every character is equally likely.
const UNBIASED_LIMIT = 248;
const MAX_DRAWS = 64;

/** The default random source: the operating system's CSPRNG. */
export const secureRandomBytes: RandomBytes = (size) => randomBytes(size);

/** Draws `length` uniformly distributed base62 characters (log2(62) ≈ 5.95 bits each) from `random`. */
export function randomBase62(random: RandomBytes, length: number): string {
  let out = '';
  for (let draw = 0; out.length < length; draw++) {
    if (draw === MAX_DRAWS) throw new Error('The random source returned too few usable bytes');
    for (const byte of random(length - out.length + 8)) {
      if (byte >= UNBIASED_LIMIT) continue;
      out += BASE62_ALPHABET.charAt(byte % 62);
      if (out.length === length) break;
    }
  }
  return out;
}
