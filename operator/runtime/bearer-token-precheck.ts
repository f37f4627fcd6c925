// What can be told about a bearer token without asking the API server: whether it could possibly
// pass the TokenReview that TokenAuthenticator asks for (a JWT, not expired, for our audience).
// Nothing here is a proof: the signature is not checked, so a token that passes is only worth a
// TokenReview, which stays the authority. What fails here is refused without costing the API
// server anything, and is not remembered (checking again is cheaper than remembering).
//
// Only JWTs can pass: the review asks for one audience, and only audience-aware authenticators
// (ServiceAccount tokens from TokenRequest, OIDC) can vouch for it; they all issue JWTs carrying
// `aud` and `exp`. A legacy Secret-based ServiceAccount token (no `exp`, no `aud`) or an opaque
// static token cannot be valid for this audience, so refusing them here changes no answer.

/** Why a token was refused before any review. */
export type BearerTokenRefusal = 'TooLong' | 'NotAJwt' | 'NotJson' | 'UnsignedJwt' | 'NoExpiry' | 'Expired' | 'WrongAudience';

/** The verdict on a bearer token: worth a review (with its expiry, ms), or refused with a reason. */
export type BearerTokenPrecheck = { readonly ok: true; readonly expiresAt: number } | { readonly ok: false; readonly reason: BearerTokenRefusal };

/** Longest token considered (a projected ServiceAccount token is about 1 KB; OIDC tokens with many groups a few). */
export const MAX_BEARER_TOKEN_LENGTH = 8192;

const BASE64URL = /^[A-Za-z0-9_-]+$/;

function jsonObject(part: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks the shape (three base64url parts, JSON header and payload, a signature), `exp` (a number,
 * later than `now`, no leeway: the kubelet renews projected tokens at 80% of their life) and `aud`
 * (a string or a list that names `audience`) of `token`, without verifying its signature.
 */
export function precheckBearerToken(token: string, audience: string, now: number): BearerTokenPrecheck {
  if (token.length > MAX_BEARER_TOKEN_LENGTH) return { ok: false, reason: 'TooLong' };
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => BASE64URL.test(p))) return { ok: false, reason: 'NotAJwt' };
  const [headerPart, payloadPart] = parts as [string, string, string];
  const header = jsonObject(headerPart);
  const payload = jsonObject(payloadPart);
  if (!header || !payload) return { ok: false, reason: 'NotJson' };
  if (typeof header['alg'] !== 'string' || header['alg'].toLowerCase() === 'none') return { ok: false, reason: 'UnsignedJwt' };
  const exp = payload['exp'];
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return { ok: false, reason: 'NoExpiry' };
  if (exp * 1000 <= now) return { ok: false, reason: 'Expired' };
  const aud = payload['aud'];
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  if (!audiences.includes(audience)) return { ok: false, reason: 'WrongAudience' };
  return { ok: true, expiresAt: exp * 1000 };
}
