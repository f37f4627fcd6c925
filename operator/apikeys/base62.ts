// Base62 (0-9, A-Z, a-z): URL-safe, no padding, selects as one word on double-click.

/** The base62 alphabet, in value order. */
export const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

const BASE = 62n;
const VALUE_OF: ReadonlyMap<string, bigint> = new Map([...BASE62_ALPHABET].map((char, index) => [char, BigInt(index)]));

/** Matches a non-empty string made only of base62 characters. */
export const BASE62_PATTERN = /^[0-9A-Za-z]+$/;

/** Encodes a non-negative integer as exactly `length` base62 characters (left-padded with `0`). */
export function encodeBase62(value: bigint, length: number): string {
  if (value < 0n) throw new RangeError('encodeBase62 needs a non-negative value');
  let rest = value;
  let out = '';
  while (rest > 0n) {
    out = BASE62_ALPHABET.charAt(Number(rest % BASE)) + out;
    rest /= BASE;
  }
  if (out.length > length) throw new RangeError(`value does not fit in ${length} base62 characters`);
  return out.padStart(length, '0');
}

/** Decodes base62 text to an integer, or `undefined` when it holds a non-base62 character. */
export function decodeBase62(text: string): bigint | undefined {
  let value = 0n;
  for (const char of text) {
    const digit = VALUE_OF.get(char);
    if (digit === undefined) return undefined;
    value = value * BASE + digit;
  }
  return value;
}
