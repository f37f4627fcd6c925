// The invitation email (PRODUCT §3): multipart text + HTML, self-contained (no images, fonts or
// tracking), every interpolation escaped; the link is the only way to act on it. What the tenant
// wrote (its display name, the person's name, the sender) is quoted as the tenant's words: short,
// one line, and never a link (quotableText), so no one can make Blink's email carry their lure.
import { checkHttpUrl, html, quotableText, singleLine } from './html.js';
import { formatInstant, invitationFacts } from './invitation-facts.js';
import type { InvitationDetails } from './invitation-facts.js';

/** Everything the invitation email says. */
export interface InvitationEmailInput extends InvitationDetails {
  /** The invited person's name, when the User spec gives one. */
  readonly displayName?: string;
  /** The acceptance link, token included; must be an http(s) URL. */
  readonly acceptUrl: string;
  /** Who sends it, as configured on the Tenant (e.g. `Acme IT <it@acme.example>`). */
  readonly sender: string;
}

/** The rendered email parts; the SMTP layer adds headers. */
export interface RenderedEmail {
  /** Subject line: one line, no control characters. */
  readonly subject: string;
  /** The text/plain part. */
  readonly text: string;
  /** The text/html part. */
  readonly html: string;
}

const MAX_SUBJECT_LENGTH = 200;

/** Renders the invitation email; throws `UnsafeUrlError` when `acceptUrl` is not an http(s) URL. */
export function renderInvitationEmail(input: InvitationEmailInput): RenderedEmail {
  const acceptUrl = checkHttpUrl(input.acceptUrl, 'acceptUrl');
  const tenant = `“${quotableText(input.tenantDisplayName)}”`;
  const greetingName = quotableText(input.displayName ?? '') || singleLine(input.email);
  const sender = quotableText(input.sender, 120);
  const expires = formatInstant(input.expiresAt);
  const facts = invitationFacts(input).map((fact) => (fact.label === 'Organisation' ? { ...fact, value: tenant } : fact));
  const subject = `You are invited to join ${tenant} on Blink`.slice(0, MAX_SUBJECT_LENGTH);
  const framing = `Names in quotes are as ${tenant} wrote them; Blink sends this email on its behalf and links only to the invitation.`;

  const labelWidth = Math.max(...facts.map((fact) => fact.label.length)) + 2;
  const text = [
    `Hello ${greetingName},`,
    '',
    `You are invited to join ${tenant} on Blink, with this access:`,
    '',
    ...facts.map((fact) => `  ${`${fact.label}:`.padEnd(labelWidth)}${fact.value}`),
    '',
    'Accept the invitation by opening this link:',
    '',
    acceptUrl,
    '',
    `The link works once and expires at ${expires}. If you did not expect this invitation, ignore this email: nothing happens unless you accept.`,
    '',
    framing,
    `Sent by ${sender} for ${tenant}.`,
    '',
  ].join('\n');

  const body = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${subject}</title>
</head>
<body style="margin:0;padding:0;background:#f3f4f6;color:#111827;font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f3f4f6">
<tr><td align="center" style="padding:24px 12px">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:560px;background:#ffffff;border-radius:8px">
<tr><td style="padding:32px">
<h1 style="margin:0 0 16px;font-size:22px;color:#111827">Join ${tenant} on Blink</h1>
<p style="margin:0 0 16px">Hello ${greetingName},</p>
<p style="margin:0 0 16px">You are invited to join <strong>${tenant}</strong> on Blink, with this access:</p>
<table role="presentation" cellpadding="0" cellspacing="0" style="margin:0 0 24px;border-collapse:collapse">
${facts.map((fact) => html`<tr><th scope="row" align="left" style="padding:4px 16px 4px 0;color:#374151;font-weight:600;vertical-align:top">${fact.label}</th><td style="padding:4px 0;color:#111827">${fact.value}</td></tr>\n`)}</table>
<table role="presentation" cellpadding="0" cellspacing="0" style="margin:0 0 24px"><tr><td style="border-radius:6px;background:#1d4ed8">
<a href="${acceptUrl}" style="display:inline-block;padding:12px 24px;color:#ffffff;background:#1d4ed8;border-radius:6px;font-weight:600;text-decoration:none">Accept invitation</a>
</td></tr></table>
<p style="margin:0 0 8px;color:#374151;font-size:14px">If the button does not work, copy this link into your browser:</p>
<p style="margin:0 0 24px;font-size:14px;word-break:break-all"><a href="${acceptUrl}" style="color:#1d4ed8">${acceptUrl}</a></p>
<p style="margin:0 0 8px;color:#374151;font-size:14px">The link works once and expires at ${expires}. If you did not expect this invitation, ignore this email: nothing happens unless you accept.</p>
<p style="margin:0 0 8px;color:#374151;font-size:14px">${framing}</p>
<p style="margin:0;color:#374151;font-size:14px">Sent by ${sender} for ${tenant}.</p>
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`;
  return { subject, text, html: body.value };
}
