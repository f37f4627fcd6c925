// Whether the person who signed in is the invited person (pure; sign-in-decision.test.ts).
// The ID token itself (signature, issuer, audience, expiry, nonce) is checked by openid-client
// before this; this judges what it says about the person.
import { normalizeEmail } from '../policy/index.js';

/** The verdict: the invited person, or why not. */
export type SignInVerdict =
  | { readonly ok: true; readonly email: string }
  /** The token carries no email in the configured claim, or one that has no normal form. */
  | { readonly ok: false; readonly why: 'no-email' }
  /** The provider does not say the email is verified (its verified claim, email_verified by default, must be exactly true). */
  | { readonly ok: false; readonly why: 'unverified' }
  /** A verified email, but another person's. */
  | { readonly ok: false; readonly why: 'wrong-account' };

/** Judges the claims of a valid ID token against the invited email, compared in the normal form of policy/email.ts. */
export function judgeSignIn(claims: Readonly<Record<string, unknown>>, emailClaim: string, invitedEmail: string, emailVerifiedClaim = 'email_verified'): SignInVerdict {
  const email = normalizeEmail(claims[emailClaim]);
  if (email === undefined) return { ok: false, why: 'no-email' };
  // A string "true" or a missing claim is not a verification.
  if (claims[emailVerifiedClaim] !== true) return { ok: false, why: 'unverified' };
  if (email !== normalizeEmail(invitedEmail)) return { ok: false, why: 'wrong-account' };
  return { ok: true, email };
}
