// The acceptance page (PRODUCT §3): plain server-rendered HTML, inline CSS only, no script, no
// external assets; every interpolation escaped by the `html` tag. Serve with `PAGE_HEADERS`.
import { createHash } from 'node:crypto';
import { html, singleLine, trustedHtml } from './html.js';
import type { SafeHtml } from './html.js';
import { formatInstant, invitationFacts } from './invitation-facts.js';
import type { InvitationDetails } from './invitation-facts.js';

/** Name of the hidden form field that carries the CSRF token. */
export const CSRF_FIELD = 'csrf';

// Colours meet WCAG AA: #111827 on #fff ≈ 17:1, #374151 on #fff ≈ 10:1, #fff on #1d4ed8 ≈ 6.7:1.
const CSS = `
*{box-sizing:border-box}
body{margin:0;background:#f3f4f6;color:#111827;font:16px/1.5 -apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
.skip{position:absolute;left:-9999px}
.skip:focus{left:8px;top:8px;background:#fff;padding:8px;z-index:1}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
header,main,footer{max-width:560px;margin:0 auto;padding:16px 24px}
header p{margin:0;font-weight:700;color:#111827}
main{background:#fff;border-radius:8px}
h1{font-size:1.5rem;margin:0 0 16px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0 0 24px}
dt{font-weight:600;color:#374151}
dd{margin:0;overflow-wrap:anywhere}
button{font:inherit;font-weight:600;color:#fff;background:#1d4ed8;border:0;border-radius:6px;padding:12px 24px;cursor:pointer}
button:hover{background:#1e40af}
button:focus-visible,a:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
.note,footer{color:#374151;font-size:.875rem}
`.trim();

/** Response headers for every page: the CSP allows exactly the inline stylesheet above and nothing else. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': `default-src 'none'; style-src 'sha256-${createHash('sha256').update(CSS).digest('base64')}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
};

/** What the acceptance page shows for a valid, unexpired invitation. */
export interface InvitationPageInput extends InvitationDetails {
  /** Token from `issueCsrfToken`, sent back in the hidden `csrf` field. */
  readonly csrfToken: string;
  /** The tenant's identity provider: accepting means signing in there (its host is shown). @default the link alone accepts */
  readonly signInAt?: string;
}

/**
 * The headers of the sign-in page, whose form's POST is answered with a redirect to the provider.
 * Browsers hold every redirect after a form submission to form-action, and a provider may hand
 * the person on to another origin (Dex to an upstream connector, a custom login domain), so the
 * form may lead to any https origin; the page has no injected markup (every value is escaped)
 * and still runs no script and loads nothing.
 */
export const SIGN_IN_PAGE_HEADERS: Readonly<Record<string, string>> = {
  ...PAGE_HEADERS,
  'Content-Security-Policy': (PAGE_HEADERS['Content-Security-Policy'] ?? '').replace("form-action 'self'", "form-action 'self' https:"),
};

/** The outcomes that get their own page. `invalid` covers unknown, reused, revoked and malformed tokens alike. */
export const RESULT_KINDS = ['accepted', 'expired', 'invalid', 'rate-limited', 'bad-request', 'wrong-account', 'email-unverified', 'sign-in-failed', 'provider-unavailable'] as const;
/** An outcome page. */
export type ResultKind = (typeof RESULT_KINDS)[number];

/** The HTTP status for each outcome page. */
export const RESULT_STATUS: Readonly<Record<ResultKind, number>> = {
  accepted: 200,
  expired: 410,
  invalid: 404,
  'rate-limited': 429,
  'bad-request': 400,
  'wrong-account': 403,
  'email-unverified': 403,
  'sign-in-failed': 400,
  'provider-unavailable': 503,
};

const RESULT_TEXT: Readonly<Record<ResultKind, { readonly title: string; readonly body: string }>> = {
  accepted: { title: 'Invitation accepted', body: 'Your account is active. You can close this page and sign in to Blink.' },
  expired: { title: 'This invitation has expired', body: 'Ask an administrator of your organisation to send you a new invitation.' },
  invalid: {
    title: 'This invitation link is not valid',
    body: 'It may have been used already, cancelled, or copied incompletely. Check the link in your email, or ask an administrator of your organisation for a new invitation.',
  },
  'rate-limited': { title: 'Too many attempts', body: 'Please wait a few minutes, then open the link from your email again.' },
  'bad-request': { title: 'The request could not be completed', body: 'Open the link from your email again and press Accept once more.' },
  'wrong-account': {
    title: 'This invitation is for someone else',
    body: 'You signed in with another account. Your invitation is still valid: open the link from your email again and sign in with the address the invitation is for.',
  },
  'email-unverified': {
    title: 'Your email address is not verified',
    body: 'Your identity provider does not say that this email address is verified. Verify it there (or ask your administrator), then open the link from your email again. Your invitation is still valid.',
  },
  'sign-in-failed': {
    title: 'The sign-in could not be completed',
    body: 'It may have taken too long, been used already, or been cancelled. Open the link from your email again and sign in once more. Your invitation is still valid if it was not accepted.',
  },
  'provider-unavailable': { title: 'Sign-in is not available right now', body: 'Your organisation\'s identity provider could not be reached. Please try again in a few minutes.' },
};

// A form may post to its own server by path, or to an absolute http(s) URL; never to javascript: or another scheme.
function page(title: string, main: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<title>${title} · Blink</title>
<style>${trustedHtml(CSS)}</style>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header><p>Blink</p></header>
<main id="main">
${main}
</main>
<footer><p>Blink account invitation</p></footer>
</body>
</html>
`.value;
}

/** Renders the GET page: who invites, with what access, and an Accept button posting the CSRF token. */
export function renderInvitationPage(input: InvitationPageInput): string {
  const tenant = singleLine(input.tenantDisplayName);
  const facts = invitationFacts(input);
  if (input.signInAt !== undefined) {
    const at = singleLine(input.signInAt);
    return page(
      `Join ${tenant}`,
      html`<h1>Join ${tenant} on Blink</h1>
<p>You have been invited as <strong>${singleLine(input.email)}</strong>. Review the access you will get, then sign in as that person to accept.</p>
<dl>
${facts.map((fact) => html`<dt>${fact.label}</dt><dd>${fact.value}</dd>\n`)}</dl>
<form method="post" aria-labelledby="accept-heading">
<h2 id="accept-heading" class="sr-only">Sign in to accept the invitation</h2>
<input type="hidden" name="${CSRF_FIELD}" value="${input.csrfToken}">
<button type="submit" aria-describedby="accept-note">Sign in to accept</button>
</form>
<p id="accept-note" class="note">You will sign in at ${at} with ${singleLine(input.email)}; the invitation is accepted only for that verified address. The link expires at ${formatInstant(input.expiresAt)}. Nothing changes unless you sign in.</p>`,
    );
  }
  return page(
    `Join ${tenant}`,
    html`<h1>Join ${tenant} on Blink</h1>
<p>You have been invited as <strong>${singleLine(input.email)}</strong>. Review the access you will get, then accept.</p>
<dl>
${facts.map((fact) => html`<dt>${fact.label}</dt><dd>${fact.value}</dd>\n`)}</dl>
<form method="post" aria-labelledby="accept-heading">
<h2 id="accept-heading" class="sr-only">Accept the invitation</h2>
<input type="hidden" name="${CSRF_FIELD}" value="${input.csrfToken}">
<button type="submit" aria-describedby="accept-note">Accept invitation</button>
</form>
<p id="accept-note" class="note">The link works once and expires at ${formatInstant(input.expiresAt)}. Nothing changes unless you accept.</p>`,
  );
}

/** Renders an outcome page (serve it with `RESULT_STATUS[kind]`); it names no user and no invitation, except the invited email on `wrong-account`. */
export function renderResultPage(kind: ResultKind, options: { readonly tenantDisplayName?: string; readonly invitedEmail?: string } = {}): string {
  const { title, body } = RESULT_TEXT[kind];
  const tenant = kind === 'accepted' && options.tenantDisplayName !== undefined ? singleLine(options.tenantDisplayName) : '';
  // Only the holder of a sign-in started with the link's token sees whom the invitation is for.
  const invited = kind === 'wrong-account' && options.invitedEmail !== undefined ? html`<p>This invitation is for <strong>${singleLine(options.invitedEmail)}</strong>.</p>\n` : html``;
  const lead = tenant === '' ? invited : html`<p>You have joined <strong>${tenant}</strong>.</p>\n`;
  return page(title, html`<h1>${title}</h1>\n${lead}<p>${body}</p>`);
}
