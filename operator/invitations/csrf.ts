// Stateless CSRF tokens for the acceptance form: `<expiry ms, base36>.<HMAC-SHA-256, base64url>`,
// the MAC binding the invitation id and the expiry to a server secret. Any replica can check them.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** How long the Accept form stays usable after the page was shown: 1 hour. */
export const CSRF_TOKEN_TTL_MS = 3_600_000;

/** Shortest accepted server secret, in bytes. */
export const MIN_CSRF_SECRET_BYTES = 32;

const DOMAIN = 'blink-accounts/csrf/v1';
const TOKEN_PATTERN = /^([0-9a-z]{1,12})\.([A-Za-z0-9_-]{43})$/;

/** A server secret shorter than `MIN_CSRF_SECRET_BYTES`; the message never contains it. */
export class WeakSecretError extends Error {
  override readonly name = 'WeakSecretError';

  constructor() {
    super(`The CSRF secret must be at least ${MIN_CSRF_SECRET_BYTES} bytes`);
  }
}

/** Why a CSRF token was refused. */
export type CsrfRejection = 'malformed' | 'mismatch' | 'expired';

/** The outcome of `checkCsrfToken`. */
export type CsrfCheck = { readonly ok: true } | { readonly ok: false; readonly reason: CsrfRejection };

function macOf(secret: string | Uint8Array, invitationId: string, expiry: string): Buffer {
  if (Buffer.byteLength(secret) < MIN_CSRF_SECRET_BYTES) throw new WeakSecretError();
  return createHmac('sha256', secret).update(`${DOMAIN}\0${invitationId}\0${expiry}`).digest();
}

/** Issues a token for the form of invitation `invitationId`, valid from `now` for `ttlMs`. */
export function issueCsrfToken(secret: string | Uint8Array, invitationId: string, now: Date, ttlMs: number = CSRF_TOKEN_TTL_MS): string {
  const expiry = (now.getTime() + ttlMs).toString(36);
  return `${expiry}.${macOf(secret, invitationId, expiry).toString('base64url')}`;
}

/** Checks a posted token against the invitation id and `now`, comparing MACs in constant time; never throws on input. */
export function checkCsrfToken(secret: string | Uint8Array, invitationId: string, token: unknown, now: Date): CsrfCheck {
  const match = typeof token === 'string' ? TOKEN_PATTERN.exec(token) : null;
  const [, expiry, mac] = match ?? [];
  if (expiry === undefined || mac === undefined) return { ok: false, reason: 'malformed' };
  const expected = macOf(secret, invitationId, expiry);
  const given = Buffer.from(mac, 'base64url');
  // Re-encoding rejects non-canonical spellings (the last character has two spare bits).
  if (given.length !== expected.length || given.toString('base64url') !== mac || !timingSafeEqual(given, expected)) return { ok: false, reason: 'mismatch' };
  if (now.getTime() >= parseInt(expiry, 36)) return { ok: false, reason: 'expired' };
  return { ok: true };
}
