// Accepting an invitation by signing in at the tenant's identity provider (issue 26): the
// authorization code flow with PKCE, state and nonce, through openid-client. The Accept button
// starts it (`startSignIn`: a sealed, short-lived cookie remembers the invitation, state, nonce
// and PKCE verifier, so any replica can finish it); the provider sends the person back to
// `/sign-in/callback` (`finishSignIn`: the cookie is opened and cleared, the state compared, the
// code redeemed once, the ID token checked for issuer, audience, signature, expiry and nonce by
// openid-client, and its verified email judged against the invited one). No code, token, state
// or verifier is ever logged.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import * as oidc from 'openid-client';
import type { ConnectedProvider } from './provider-client.js';
import { describeError } from './provider-client.js';
import { judgeSignIn } from './sign-in-decision.js';
import { cookieValue, openSignInState, sealSignInState, SIGN_IN_COOKIE, SIGN_IN_TTL_MS, tokenBinding } from './sign-in-state.js';
import type { Logger } from '../runtime/logger.js';
import type { AcceptanceVerdict } from './acceptance-decision.js';
import type { InvitationRecord } from './invitation-record.js';
import type { ResultKind } from './page.js';

/** Path the providers send people back to; register `<acceptance URL>/sign-in/callback` as the redirect URI. */
export const SIGN_IN_CALLBACK_PATH = '/sign-in/callback';

/** The redirect URI of a public base URL. */
export function signInCallbackUrl(publicUrl: string): string {
  return `${publicUrl.replace(/\/+$/, '')}${SIGN_IN_CALLBACK_PATH}`;
}

function cookieAttributes(publicUrl: string, maxAgeSeconds: number): string {
  // Secure whenever the page is served over https; SameSite=Lax so the provider's top-level redirect back carries it.
  const secure = publicUrl.startsWith('https:') ? '; Secure' : '';
  return `Path=${SIGN_IN_CALLBACK_PATH}; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure}`;
}

/** The Set-Cookie value that removes the sign-in cookie. */
export function clearSignInCookie(publicUrl: string): string {
  return `${SIGN_IN_COOKIE}=; ${cookieAttributes(publicUrl, 0)}`;
}

/** Inputs of {@link startSignIn}. */
export interface StartSignIn {
  readonly provider: ConnectedProvider;
  readonly record: Pick<InvitationRecord, 'invitationId' | 'tokenHash' | 'email'>;
  readonly publicUrl: string;
  readonly sharedKey: Buffer;
  readonly now: number;
}

/** Where to send the browser, and the cookie that remembers the sign-in. */
export async function startSignIn(input: StartSignIn): Promise<{ readonly location: string; readonly cookie: string }> {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(input.provider.config, {
    redirect_uri: signInCallbackUrl(input.publicUrl),
    response_type: 'code',
    scope: input.provider.settings.scopes.join(' '),
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    // A hint only: the email in the ID token is what is judged.
    login_hint: input.record.email,
  });
  const sealed = sealSignInState(input.sharedKey, {
    invitationId: input.record.invitationId,
    tokenBinding: tokenBinding(input.record.tokenHash),
    state,
    nonce,
    codeVerifier,
    expiresAt: input.now + SIGN_IN_TTL_MS,
  });
  return { location: url.href, cookie: `${SIGN_IN_COOKIE}=${sealed}; ${cookieAttributes(input.publicUrl, SIGN_IN_TTL_MS / 1000)}` };
}

/** What the callback found for the invitation a sign-in names (the acceptance page's lookup). */
export interface FoundInvitation {
  readonly record: InvitationRecord | undefined;
  readonly publicUrl: string;
}

/** Inputs of {@link finishSignIn}. */
export interface FinishSignIn<F extends FoundInvitation> {
  readonly req: IncomingMessage;
  readonly sharedKey: Buffer;
  readonly now: number;
  find(invitationId: string): F | undefined;
  /** The acceptance page's judgement of an invitation whose token the sign-in holds (`bound`) or not. */
  judge(found: F | undefined, bound: boolean): AcceptanceVerdict;
  provider(found: F): Promise<ConnectedProvider | undefined>;
  readonly log: Logger;
}

/** The outcome of a callback: accept `found` (the issuer signed in at), or answer with a page. */
export type SignInOutcome<F> =
  | {
      readonly ok: true;
      readonly found: F;
      readonly issuer: string;
      /** Whether a fresh read of the record is still the invitation this sign-in was started for. */
      stillBound(fresh: F | undefined): boolean;
      readonly clearCookie: string;
    }
  | {
      readonly ok: false;
      readonly page: ResultKind;
      readonly status: number;
      /** The invited email, for the wrong-account page. */
      readonly invitedEmail?: string;
      /** Whether the request counts against its client's guess budget (no valid sign-in state). */
      readonly charge: boolean;
      readonly clearCookie: string;
    };

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Finishes a sign-in from the provider's redirect back. Never throws for what the request carries. */
export async function finishSignIn<F extends FoundInvitation>(input: FinishSignIn<F>): Promise<SignInOutcome<F>> {
  const { req } = input;
  const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const opened = openSignInState(input.sharedKey, cookieValue(req.headers.cookie, SIGN_IN_COOKIE), input.now);
  const fail = (page: ResultKind, status: number, charge: boolean, publicUrl: string, invitedEmail?: string): SignInOutcome<F> => ({
    ok: false,
    page,
    status,
    charge,
    clearCookie: clearSignInCookie(publicUrl),
    ...(invitedEmail !== undefined ? { invitedEmail } : {}),
  });
  // Before the invitation is known the cookie is cleared for any base URL (its path is the same).
  if (!opened.ok) return fail('sign-in-failed', 400, opened.reason !== 'expired', 'http:');
  const signIn = opened.state;
  const found = input.find(signIn.invitationId);
  const bound = (candidate: F | undefined): boolean => !!candidate?.record && candidate.record.tokenHash !== '' && sameText(tokenBinding(candidate.record.tokenHash), signIn.tokenBinding);
  const publicUrl = found?.publicUrl ?? 'http:';
  // A tampered or swapped state: not the one this browser's sign-in was started with.
  const givenState = query.get('state');
  if (givenState === null || !sameText(givenState, signIn.state)) return fail('sign-in-failed', 400, true, publicUrl);
  const verdict = input.judge(found, bound(found));
  if (!verdict.ok) return fail(verdict.page, verdict.status, false, publicUrl);
  const invitation = found as F & { record: InvitationRecord };
  const provider = await input.provider(invitation);
  // The tenant dropped its provider meanwhile: the sign-in proves nothing the link would need.
  if (!provider) return fail('sign-in-failed', 400, false, publicUrl);
  if (query.has('error')) {
    input.log.info({ invitationId: signIn.invitationId, error: /^[a-z_]{1,64}$/.test(query.get('error') ?? '') ? query.get('error') : 'other' }, 'The identity provider ended a sign-in without a code');
    return fail('sign-in-failed', 400, false, publicUrl);
  }
  let claims: Record<string, unknown> | undefined;
  try {
    const currentUrl = new URL(`${signInCallbackUrl(publicUrl)}?${query.toString()}`);
    const tokens = await oidc.authorizationCodeGrant(provider.config, currentUrl, {
      pkceCodeVerifier: signIn.codeVerifier,
      expectedState: signIn.state,
      expectedNonce: signIn.nonce,
      idTokenExpected: true,
    });
    claims = tokens.claims() as Record<string, unknown> | undefined;
  } catch (error) {
    // A replayed or expired code, a token of another issuer or client, a wrong nonce: its class only.
    input.log.warn({ invitationId: signIn.invitationId, issuer: provider.settings.issuerURL, error: describeError(error) }, 'Refused a sign-in at the identity provider');
    return fail('sign-in-failed', 400, false, publicUrl);
  }
  const judged = judgeSignIn(claims ?? {}, provider.settings.emailClaim, invitation.record.email, provider.settings.emailVerifiedClaim);
  if (!judged.ok) {
    input.log.info({ invitationId: signIn.invitationId, issuer: provider.settings.issuerURL, why: judged.why }, 'A sign-in was not the invited person');
    if (judged.why === 'unverified') return fail('email-unverified', 403, false, publicUrl);
    return fail('wrong-account', 403, false, publicUrl, invitation.record.email);
  }
  return { ok: true, found: invitation, issuer: provider.settings.issuerURL, stillBound: bound, clearCookie: clearSignInCookie(publicUrl) };
}
