import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { InvitationPageInput } from './page.js';
import { CSRF_FIELD, PAGE_HEADERS, RESULT_KINDS, RESULT_STATUS, renderInvitationPage, renderResultPage } from './page.js';

function input(overrides: Partial<InvitationPageInput> = {}): InvitationPageInput {
  return {
    tenantDisplayName: 'Acme Corp',
    email: 'ada@acme.example',
    role: 'Consumer',
    workspaces: ['dev'],
    groups: ['analysts', 'platform'],
    expiresAt: new Date('2026-01-08T00:00:00Z'),
    csrfToken: 'abc123.csrf',
    ...overrides,
  };
}

function accessibleShell(markup: string): void {
  expect(markup).toMatch(/^<!doctype html>\n<html lang="en">/);
  expect(markup).toContain('<meta charset="utf-8">');
  expect(markup).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
  expect(markup).toMatch(/<title>[^<]+ · Blink<\/title>/);
  expect(markup).toContain('<main id="main">');
  expect(markup).toContain('<header>');
  expect(markup).toContain('<footer>');
  expect(markup.match(/<h1>/g)).toHaveLength(1);
  expect(markup).toContain('<a class="skip" href="#main">Skip to content</a>');
}

function selfContained(markup: string): void {
  expect(markup).not.toMatch(/<(script|img|link|iframe|object|embed)\b/i);
  expect(markup).not.toMatch(/\son[a-z]+=/i);
  expect(markup).not.toMatch(/\b(src=|url\(|@import|style=)/i);
}

describe('renderInvitationPage', () => {
  const markup = renderInvitationPage(input());

  it('is an accessible, self-contained document', () => {
    accessibleShell(markup);
    selfContained(markup);
    expect(markup).toContain('<title>Join Acme Corp · Blink</title>');
  });

  it('shows tenant, email, role, workspaces, groups and expiry', () => {
    expect(markup).toContain('<h1>Join Acme Corp on Blink</h1>');
    expect(markup).toContain('<strong>ada@acme.example</strong>');
    expect(markup).toContain('<dt>Role</dt><dd>Consumer: read and write in its workspaces, and the self-service portal</dd>');
    expect(markup).toContain('<dt>Workspaces</dt><dd>dev</dd>');
    expect(markup).toContain('<dt>Groups</dt><dd>analysts, platform</dd>');
    expect(markup).toContain('2026-01-08 00:00 UTC');
  });

  it('has one POST form with the hidden CSRF field and an Accept button', () => {
    expect(markup.match(/<form /g)).toHaveLength(1);
    expect(markup).toContain('<form method="post" aria-labelledby="accept-heading">');
    expect(markup).toContain(`<input type="hidden" name="${CSRF_FIELD}" value="abc123.csrf">`);
    expect(markup).toMatch(/<button type="submit" aria-describedby="accept-note">Accept invitation<\/button>/);
    expect(markup).toContain('id="accept-note"');
    expect(markup).toContain('<h2 id="accept-heading" class="sr-only">Accept the invitation</h2>');
  });

  it('renders hostile values inert, attributes included', () => {
    const hostile = '"><script>alert(1)</script>';
    const out = renderInvitationPage(
      input({ tenantDisplayName: hostile, email: hostile, workspaces: [hostile], groups: [hostile], csrfToken: hostile }),
    );
    expect(out).not.toContain('<script');
    expect(out).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    selfContained(out);
  });

  it('the form has no action: it posts back to the link the person opened, so the page never holds the token', () => {
    const out = renderInvitationPage(input());
    expect(out).toContain('<form method="post" aria-labelledby="accept-heading">');
    expect(out).not.toMatch(/action=|blink_inv_/);
  });

  it('says "All workspaces" for an Admin', () => {
    expect(renderInvitationPage(input({ role: 'Admin', workspaces: ['ignored'] }))).toContain('<dt>Workspaces</dt><dd>All workspaces</dd>');
  });
});

describe('renderResultPage', () => {
  it.each(RESULT_KINDS)('%s is an accessible, self-contained page with a 4xx unless accepted (503 when the provider is down)', (kind) => {
    const markup = renderResultPage(kind);
    accessibleShell(markup);
    selfContained(markup);
    expect(markup).not.toContain('<form');
    if (kind === 'accepted') expect(RESULT_STATUS[kind]).toBe(200);
    else if (kind === 'provider-unavailable') expect(RESULT_STATUS[kind]).toBe(503);
    else expect(Math.floor(RESULT_STATUS[kind] / 100)).toBe(4);
  });

  it('maps outcomes to distinct, conventional status codes', () => {
    expect(RESULT_STATUS).toEqual({
      accepted: 200,
      expired: 410,
      invalid: 404,
      'rate-limited': 429,
      'bad-request': 400,
      'wrong-account': 403,
      'email-unverified': 403,
      'sign-in-failed': 400,
      'provider-unavailable': 503,
    });
  });

  it('names the invited email only on the wrong-account page, escaped', () => {
    expect(renderResultPage('wrong-account', { invitedEmail: 'jane<b>@acme.test' })).toContain('This invitation is for <strong>jane&lt;b&gt;@acme.test</strong>.');
    expect(renderResultPage('sign-in-failed', { invitedEmail: 'jane@acme.test' })).not.toContain('jane@acme.test');
    expect(renderResultPage('email-unverified', { invitedEmail: 'jane@acme.test' })).not.toContain('jane@acme.test');
  });

  it('names the tenant only on the accepted page, escaped', () => {
    expect(renderResultPage('accepted', { tenantDisplayName: '<b>Acme</b>' })).toContain('You have joined <strong>&lt;b&gt;Acme&lt;/b&gt;</strong>.');
    expect(renderResultPage('invalid', { tenantDisplayName: 'Acme' })).not.toContain('Acme');
    expect(renderResultPage('expired', { tenantDisplayName: 'Acme' })).not.toContain('Acme');
  });

  it('reveals nothing: the invalid page is the same whatever the cause', () => {
    expect(renderResultPage('invalid')).toBe(renderResultPage('invalid', {}));
    expect(renderResultPage('invalid')).toContain('used already, cancelled, or copied incompletely');
  });
});

describe('PAGE_HEADERS', () => {
  it('allows exactly the inline stylesheet and nothing else', () => {
    const markup = renderResultPage('invalid');
    const css = /<style>([\s\S]*?)<\/style>/.exec(markup)?.[1] ?? '';
    const hash = createHash('sha256').update(css).digest('base64');
    expect(PAGE_HEADERS['Content-Security-Policy']).toBe(
      `default-src 'none'; style-src 'sha256-${hash}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    );
    expect(renderInvitationPage(input())).toContain(`<style>${css}</style>`);
  });

  it('keeps the token-bearing URL out of referrers and caches', () => {
    expect(PAGE_HEADERS['Referrer-Policy']).toBe('no-referrer');
    expect(PAGE_HEADERS['Cache-Control']).toBe('no-store');
    expect(PAGE_HEADERS['Content-Type']).toBe('text/html; charset=utf-8');
  });
});

describe('renderInvitationPage with an identity provider', () => {
  const markup = renderInvitationPage(input({ signInAt: 'idp.acme.example' }));

  it('asks the person to sign in as the invited address, with the same CSRF form', () => {
    accessibleShell(markup);
    selfContained(markup);
    expect(markup).toContain('<button type="submit" aria-describedby="accept-note">Sign in to accept</button>');
    expect(markup).toContain(`<input type="hidden" name="${CSRF_FIELD}" value="abc123.csrf">`);
    expect(markup).toContain('You will sign in at idp.acme.example with ada@acme.example');
    expect(markup).not.toContain('Accept invitation</button>');
  });

  it('lets the form lead to an https provider (and the origins it hands on to), nothing else changed', async () => {
    const { SIGN_IN_PAGE_HEADERS } = await import('./page.js');
    const csp = SIGN_IN_PAGE_HEADERS['Content-Security-Policy'] ?? '';
    expect(csp).toContain("form-action 'self' https:;");
    expect(csp.replace(' https:', '')).toBe(PAGE_HEADERS['Content-Security-Policy']);
  });
});
