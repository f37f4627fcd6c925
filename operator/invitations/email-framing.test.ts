// The invitation email quotes what the tenant wrote (its display name, the person's name, the
// sender) as the tenant's words: short, one line, never a link. A display name that is a URL or a
// domain cannot become a clickable lure in Blink's email, in either part.
import { describe, expect, it } from 'vitest';
import type { InvitationEmailInput } from './email.js';
import { renderInvitationEmail } from './email.js';
import { QUOTED_TEXT_MAX_LENGTH, quotableText } from './html.js';

const ACCEPT_URL = 'https://accounts.blink.example/invitations/blink_inv_abcdefghijkl_xyz';

function input(overrides: Partial<InvitationEmailInput> = {}): InvitationEmailInput {
  return {
    tenantDisplayName: 'Acme Corp',
    email: 'ada@acme.example',
    displayName: 'Ada Lovelace',
    role: 'Builder',
    workspaces: ['dev'],
    groups: [],
    acceptUrl: ACCEPT_URL,
    expiresAt: new Date('2026-01-08T00:00:00Z'),
    sender: 'Acme IT <it@acme.example>',
    ...overrides,
  };
}

/** Anything a mail client would turn into a link: a scheme, or a domain-like word.word. */
const LINKABLE = /[a-z][a-z0-9+.-]*:\/\/|\bwww\.|[\p{L}\p{N}-][.\u3002\uFF0E\uFF61][\p{L}\p{N}]/iu;

describe('quotableText', () => {
  it.each([
    ['Acme Corp', 'Acme Corp'],
    ['Acme Inc.', 'Acme Inc.'],
    ['Visit https://evil.example/login now', 'Visit https[:]//evil[.]example/login now'],
    ['evil.example', 'evil[.]example'],
    ['www.evil.co.uk', 'www[.]evil[.]co[.]uk'],
    ['secure-login。evil。com', 'secure-login[。]evil[。]com'],
    ['paypal．com', 'paypal[．]com'],
    ['Acme\nClick http://evil', 'Acme Click http[:]//evil'],
    ['Acme \u202Emoc.live', 'Acme  moc[.]live'],
  ])('%j -> %j', (text, quoted) => {
    expect(quotableText(text)).toBe(quoted);
  });

  it(`caps free text at ${QUOTED_TEXT_MAX_LENGTH} characters, with an ellipsis`, () => {
    const long = 'A'.repeat(100);
    expect(quotableText(long)).toBe(`${'A'.repeat(QUOTED_TEXT_MAX_LENGTH - 1)}…`);
    expect([...quotableText('🚀'.repeat(100))].length).toBe(QUOTED_TEXT_MAX_LENGTH);
  });
});

describe('the invitation email with a display name holding a URL', () => {
  const hostile = input({
    tenantDisplayName: 'Your account is locked: https://evil.example/unlock?u=ada or www.evil.example',
    displayName: 'Ada (see evil.example)',
  });
  const { subject, text, html } = renderInvitationEmail(hostile);

  it('frames the display name as the tenant\'s words, in quotes, cut short', () => {
    expect(subject).toBe('You are invited to join “Your account is locked: https[:]//evil[.]example/unlock?u=ada o…” on Blink');
    expect(text).toContain('Names in quotes are as “Your account is locked');
    expect(text).toContain('Blink sends this email on its behalf and links only to the invitation.');
  });

  it('leaves no linkable text but the acceptance link, in the text part', () => {
    const withoutLink = text.replace(ACCEPT_URL, '').replace(/ada@acme\.example/g, '');
    expect(withoutLink).not.toMatch(LINKABLE);
    expect(withoutLink).toContain('https[:]//evil[.]example');
  });

  it('leaves no link and no linkable text but the acceptance link, in the HTML part', () => {
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
    expect(new Set(hrefs)).toEqual(new Set([ACCEPT_URL]));
    const visible = html
      .replace(/<[^>]*>/g, ' ')
      .replaceAll(ACCEPT_URL, '')
      .replace(/ada@acme\.example|it@acme\.example/g, '');
    expect(visible).not.toMatch(LINKABLE);
    expect(visible).toContain('https[:]//evil[.]example');
  });
});
