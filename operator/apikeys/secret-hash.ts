// Hashes of high-entropy secrets (API keys, invitation tokens): what is stored instead of the secret.
// With ≥ 256 random bits a single SHA-256 is enough; no slow KDF is needed (NOTES.md, "Credentials").
import { createHmac, hash, timingSafeEqual } from 'node:crypto';

/** Optional server-side secret mixed into stored hashes (HMAC-SHA-256 instead of SHA-256). */
export type Pepper = string | Uint8Array;

/** Characters of hex digest kept in a fingerprint (48 bits): enough to tell keys apart, useless to an attacker. */
export const FINGERPRINT_HEX_LENGTH = 12;

// Fingerprints hash a domain-separated input so a fingerprint is never a prefix of a stored hash.
const FINGERPRINT_DOMAIN = 'blink-accounts/fingerprint/v1\0';
const STORED_HASH_PATTERN = /^[0-9a-f]{64}$/;

function digestOf(secret: string, pepper: Pepper | undefined): Buffer {
  // One-shot hash (no Hash object): ~3x faster than createHash for a key-sized input.
  return pepper === undefined ? hash('sha256', secret, 'buffer') : createHmac('sha256', pepper).update(secret, 'utf8').digest();
}

/** The value to store for `secret`: lowercase hex SHA-256, or HMAC-SHA-256 keyed by `pepper`. */
export function hashSecret(secret: string, pepper?: Pepper): string {
  return digestOf(secret, pepper).toString('hex');
}

/** Whether `secret` hashes to `storedHash`, compared in constant time; a malformed stored hash never verifies. */
export function verifySecret(secret: string, storedHash: string, pepper?: Pepper): boolean {
  const actual = digestOf(secret, pepper);
  if (!STORED_HASH_PATTERN.test(storedHash)) return false;
  return timingSafeEqual(actual, Buffer.from(storedHash, 'hex'));
}

/** A short non-secret name for `secret`, safe for status, logs and Events: `sha256:` + 12 hex. */
export function fingerprintSecret(secret: string): string {
  return `sha256:${hash('sha256', FINGERPRINT_DOMAIN + secret, 'hex').slice(0, FINGERPRINT_HEX_LENGTH)}`;
}
