// Service-account API keys (PRODUCT §4): `blink_sa_<keyId>_<secret><checksum>`, see README.md.
import { secureRandomBytes } from './random.js';
import type { RandomBytes } from './random.js';
import { generateToken, parseToken, tokenPatternSource } from './checksummed-token.js';
import type { ParseResult, TokenFormat } from './checksummed-token.js';
import { fingerprintSecret, hashSecret, verifySecret } from './secret-hash.js';
import type { Pepper } from './secret-hash.js';

/** The fixed prefix of every service-account API key. */
export const API_KEY_PREFIX = 'blink_sa_';

/** Matches a whole API key by shape (the checksum is checked by `parseApiKey`). */
export const API_KEY_PATTERN = new RegExp(`^${tokenPatternSource(API_KEY_PREFIX)}$`);

const FORMAT: TokenFormat = { prefix: API_KEY_PREFIX, label: 'service-account API key' };

/** A newly generated API key. */
export interface GeneratedApiKey {
  /** The secret key; goes into the service account's Secret and nowhere else. */
  readonly key: string;
  /** Non-secret id embedded in the key, for an O(1) lookup of the stored hash. */
  readonly keyId: string;
  /** Non-secret fingerprint for status, logs and Events. */
  readonly fingerprint: string;
}

/** What a well-formed API key tells without a lookup; deliberately holds nothing secret. */
export interface ParsedApiKey {
  /** Non-secret id embedded in the key. */
  readonly keyId: string;
}

/** Generates a new API key from `random` (default: the OS CSPRNG). */
export function generateApiKey(random: RandomBytes = secureRandomBytes): GeneratedApiKey {
  const { token, id } = generateToken(FORMAT, random);
  return { key: token, keyId: id, fingerprint: fingerprintSecret(token) };
}

/** Checks prefix, shape and checksum of `text` offline; never throws, and the error never contains the text. */
export function parseApiKey(text: string): ParseResult<ParsedApiKey> {
  const parsed = parseToken(FORMAT, text);
  return parsed.ok ? { ok: true, value: { keyId: parsed.value.id } } : parsed;
}

/** The hash stored for `key`: hex SHA-256, or HMAC-SHA-256 when a `pepper` is configured. */
export function hashApiKey(key: string, pepper?: Pepper): string {
  return hashSecret(key, pepper);
}

/** Whether `key` matches `storedHash` (from `hashApiKey` with the same pepper), in constant time. */
export function verifyApiKey(key: string, storedHash: string, pepper?: Pepper): boolean {
  return verifySecret(key, storedHash, pepper);
}

/** The non-secret fingerprint of `key` (`sha256:` + 12 hex of a domain-separated digest, unrelated to the stored hash). */
export function fingerprintOf(key: string): string {
  return fingerprintSecret(key);
}
