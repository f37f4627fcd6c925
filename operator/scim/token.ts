// The tenant's SCIM bearer token: the credential format of API keys
// (operator/apikeys/README.md) with its own prefix, `blink_scim_<id>_<secret><checksum>`.
// Only its hash and fingerprint ever leave the Secret it is issued into.
import { generateToken, parseToken, tokenPatternSource } from '../apikeys/checksummed-token.js';
import type { ParseResult, TokenFormat } from '../apikeys/checksummed-token.js';
import { secureRandomBytes } from '../apikeys/random.js';
import type { RandomBytes } from '../apikeys/random.js';
import { fingerprintSecret, hashSecret, verifySecret } from '../apikeys/secret-hash.js';

/** The fixed prefix of every SCIM token (secret scanners and the test suites' log scans know it). */
export const SCIM_TOKEN_PREFIX = 'blink_scim_';

/** Matches a whole SCIM token by shape (the checksum is checked by `parseScimToken`). */
export const SCIM_TOKEN_PATTERN = new RegExp(`^${tokenPatternSource(SCIM_TOKEN_PREFIX)}$`);

const FORMAT: TokenFormat = { prefix: SCIM_TOKEN_PREFIX, label: 'SCIM token' };

/** A newly issued SCIM token. */
export interface GeneratedScimToken {
  /** The secret token: goes into the token Secret and nowhere else. */
  readonly token: string;
  /** Non-secret id embedded in the token. */
  readonly tokenId: string;
  /** Hex SHA-256 of the token: what verification compares against. */
  readonly hash: string;
  /** Non-secret fingerprint for status. */
  readonly fingerprint: string;
}

/** Generates a token from `random` (default: the OS CSPRNG). */
export function generateScimToken(random: RandomBytes = secureRandomBytes): GeneratedScimToken {
  const { token, id } = generateToken(FORMAT, random);
  return { token, tokenId: id, hash: hashSecret(token), fingerprint: fingerprintSecret(token) };
}

/** Checks prefix, shape and checksum offline; never throws, and the error never holds the text. */
export function parseScimToken(text: string): ParseResult<{ readonly tokenId: string }> {
  const parsed = parseToken(FORMAT, text);
  return parsed.ok ? { ok: true, value: { tokenId: parsed.value.id } } : parsed;
}

/** The stored hash of a token. */
export function hashScimToken(token: string): string {
  return hashSecret(token);
}

/** Whether `token` matches `storedHash`, in constant time. */
export function verifyScimToken(token: string, storedHash: string): boolean {
  return verifySecret(token, storedHash);
}

/** The non-secret fingerprint of a token. */
export function scimTokenFingerprint(token: string): string {
  return fingerprintSecret(token);
}
