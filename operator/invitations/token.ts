// Invitation tokens (PRODUCT §3): the single-use secret in the acceptance link.
// Same shape as API keys (operator/apikeys/README.md) with its own prefix:
// `blink_inv_<invitation id, 12 base62>_<secret, 43 base62 ≈ 256 bits><CRC32 checksum, 6 base62>`,
// all `[A-Za-z0-9_]`, so it is URL-safe without escaping.
import { parseDuration } from '../api-values/duration.js';
import { generateToken, parseToken, tokenPatternSource } from '../apikeys/checksummed-token.js';
import type { ParseResult, TokenFormat } from '../apikeys/checksummed-token.js';
import { secureRandomBytes } from '../apikeys/random.js';
import type { RandomBytes } from '../apikeys/random.js';
import { hashSecret, verifySecret } from '../apikeys/secret-hash.js';
import type { Pepper } from '../apikeys/secret-hash.js';

/** The fixed prefix of every invitation token. */
export const INVITATION_TOKEN_PREFIX = 'blink_inv_';

/** Matches a whole invitation token by shape (the checksum is checked by `parseInvitationToken`). */
export const INVITATION_TOKEN_PATTERN = new RegExp(`^${tokenPatternSource(INVITATION_TOKEN_PREFIX)}$`);

/** The invitation TTL when the Tenant sets none: 7 days. */
export const DEFAULT_INVITATION_TTL = '168h';

const FORMAT: TokenFormat = { prefix: INVITATION_TOKEN_PREFIX, label: 'invitation token' };

/** A newly issued invitation token. */
export interface GeneratedInvitationToken {
  /** The secret token; goes into the emailed link and nowhere else. */
  readonly token: string;
  /** Non-secret id embedded in the token: store it (with the hash) to find the invitation in O(1). */
  readonly invitationId: string;
}

/** What a well-formed token tells without a lookup; deliberately holds nothing secret. */
export interface ParsedInvitationToken {
  /** Non-secret id embedded in the token. */
  readonly invitationId: string;
}

/** Generates a new invitation token from `random` (default: the OS CSPRNG); every resend gets a new one. */
export function generateInvitationToken(random: RandomBytes = secureRandomBytes): GeneratedInvitationToken {
  const { token, id } = generateToken(FORMAT, random);
  return { token, invitationId: id };
}

/** Checks prefix, shape and checksum offline; never throws, and the error never contains the text. */
export function parseInvitationToken(text: string): ParseResult<ParsedInvitationToken> {
  const parsed = parseToken(FORMAT, text);
  return parsed.ok ? { ok: true, value: { invitationId: parsed.value.id } } : parsed;
}

/** The hash stored for `token`: hex SHA-256, or HMAC-SHA-256 when a `pepper` is configured. */
export function hashInvitationToken(token: string, pepper?: Pepper): string {
  return hashSecret(token, pepper);
}

/** Whether `token` matches `storedHash` (from `hashInvitationToken` with the same pepper), in constant time. */
export function verifyInvitationToken(token: string, storedHash: string, pepper?: Pepper): boolean {
  return verifySecret(token, storedHash, pepper);
}

/** When an invitation issued at `issuedAt` stops working; `ttl` is milliseconds or a Go duration such as `168h`. */
export function expiresAt(issuedAt: Date, ttl: number | string): Date {
  const ttlMs = typeof ttl === 'string' ? parseDuration(ttl) : ttl;
  if (!Number.isFinite(ttlMs) || ttlMs < 0) throw new RangeError('An invitation TTL must be a finite, non-negative duration');
  return new Date(issuedAt.getTime() + ttlMs);
}

/** Whether an invitation that expires at `expiry` is expired at `now` (the expiry instant itself is expired). */
export function isExpired(expiry: Date, now: Date): boolean {
  return now.getTime() >= expiry.getTime();
}

/** Milliseconds from `now` until `expiry` (0 once expired): when to requeue to flip the phase to expired. */
export function timeUntilExpiry(expiry: Date, now: Date): number {
  return Math.max(0, expiry.getTime() - now.getTime());
}
