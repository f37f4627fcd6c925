import { describe, expect, it, vi } from 'vitest';
import type { InvitationEmailInput } from './email.js';
import { renderInvitationEmail } from './email.js';
import { UnsafeUrlError } from './html.js';

const ACCEPT_URL = 'https://accounts.blink.example/invitations/accept?token=blink_inv_abcdefghijkl_xyz';

function input(overrides: Partial<InvitationEmailInput> = {}): InvitationEmailInput {
  return {
    tenantDisplayName: 'Acme Corp',
    email: 'ada@acme.example',
    displayName: 'Ada Lovelace',
    role: 'Builder',
    workspaces: ['dev', 'ops'],
    groups: ['platform'],
    acceptUrl: ACCEPT_URL,
    expiresAt: new Date('2026-01-08T00:00:00Z'),
    sender: 'Acme IT <it@acme.example>',
    ...overrides,
  };
}

// Every tag name in the HTML part; an injected <script> or <img> would show up here.
function tags(markup: string): Set<string> {
  return new Set([...markup.matchAll(/<([a-zA-Z][a-zA-Z0-9]*)/g)].map((m) => (m[1] ?? '').toLowerCase()));
}

/** Renders twice, the system clock a day apart and Math.random giving other numbers: equal results? */
function sameOnADifferentDay(render: () => unknown): boolean {
  vi.useFakeTimers({ now: new Date('2026-03-01T10:00:00Z') });
  const random = vi.spyOn(Math, 'random').mockReturnValue(0.25);
  try {
    const first = render();
    vi.setSystemTime(new Date('2026-03-02T17:30:00Z'));
    random.mockReturnValue(0.75);
    return JSON.stringify(render()) === JSON.stringify(first);
  } finally {
    random.mockRestore();
    vi.useRealTimers();
  }
}

describe('renderInvitationEmail', () => {
  it('has a subject naming the tenant', () => {
    expect(renderInvitationEmail(input()).subject).toBe('You are invited to join “Acme Corp” on Blink');
  });

  it('carries the link in both parts, the HTML one as a button', () => {
    const { text, html } = renderInvitationEmail(input());
    expect(text).toContain(`\n${ACCEPT_URL}\n`);
    expect(html).toContain(`<a href="${ACCEPT_URL}"`);
    expect(html).toMatch(/<a href="[^"]+"[^>]*>Accept invitation<\/a>/);
  });

  it('shows role, workspaces, groups, email and expiry in both parts', () => {
    const { text, html } = renderInvitationEmail(input());
    for (const part of [text, html]) {
      expect(part).toContain('Builder');
      expect(part).toContain('read, write and execute');
      expect(part).toContain('dev, ops');
      expect(part).toContain('platform');
      expect(part).toContain('ada@acme.example');
      expect(part).toContain('2026-01-08 00:00 UTC');
      expect(part).toContain('Hello Ada Lovelace,');
      expect(part).toContain('Acme IT');
    }
  });

  it('says "All workspaces" for an Admin and "None yet" for an empty list', () => {
    expect(renderInvitationEmail(input({ role: 'Admin', workspaces: [] })).text).toMatch(/Workspaces:\s+All workspaces/);
    expect(renderInvitationEmail(input({ role: 'Consumer', workspaces: [], groups: [] })).text).toMatch(/Workspaces:\s+None yet\n\s+Groups:\s+None\n/);
  });

  it('greets by email when there is no display name', () => {
    const { displayName: _, ...rest } = input();
    expect(renderInvitationEmail(rest).text).toContain('Hello ada@acme.example,');
  });

  it('renders hostile names inert in HTML', () => {
    const hostile = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'&';
    const { html } = renderInvitationEmail(
      input({ tenantDisplayName: hostile, displayName: hostile, workspaces: [hostile], groups: [hostile], sender: hostile, email: `${hostile}@x` }),
    );
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&quot;&#39;&amp;');
    expect([...tags(html)].sort()).toEqual(['a', 'body', 'h1', 'head', 'html', 'meta', 'p', 'strong', 'table', 'td', 'th', 'title', 'tr'].sort());
  });

  it('keeps injected newlines out of the subject and the text lines', () => {
    const { subject, text } = renderInvitationEmail(input({ tenantDisplayName: 'Acme\r\nBcc: victim@example', displayName: 'Ada\n\nClick http://evil' }));
    expect(subject).not.toMatch(/[\r\n]/);
    expect(subject).toBe('You are invited to join “Acme Bcc: victim@example” on Blink');
    expect(text).toContain('Hello Ada Click http[:]//evil,');
    expect(text.split('\n').filter((line) => line.startsWith('Click'))).toEqual([]);
  });

  it('caps the subject length', () => {
    expect(renderInvitationEmail(input({ tenantDisplayName: 'x'.repeat(1000) })).subject.length).toBeLessThanOrEqual(200);
  });

  it('escapes & in the link inside the href attribute', () => {
    const url = 'https://blink.example/accept?a=1&token=t';
    expect(renderInvitationEmail(input({ acceptUrl: url })).html).toContain('href="https://blink.example/accept?a=1&amp;token=t"');
  });

  it('references no external assets', () => {
    const { html } = renderInvitationEmail(input());
    expect(html).not.toMatch(/<(img|link|script|iframe|object)\b/i);
    expect(html).not.toMatch(/src=|url\(/i);
    expect([...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1])).toEqual([ACCEPT_URL, ACCEPT_URL]);
  });

  it('declares language, charset and title', () => {
    const { html } = renderInvitationEmail(input());
    expect(html).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toContain('<title>You are invited to join “Acme Corp” on Blink</title>');
  });

  it.each(['javascript:alert(1)', 'mailto:x@y', 'not a url'])('refuses a non-http acceptUrl (%s) with a typed error', (acceptUrl) => {
    expect(() => renderInvitationEmail(input({ acceptUrl }))).toThrow(UnsafeUrlError);
  });

  it('is deterministic (no clock, no randomness): the same email a day later, whatever Math.random says', () => {
    expect(sameOnADifferentDay(() => renderInvitationEmail(input()))).toBe(true);
  });

  it('(control) the same harness sees a render that reads the clock or Math.random', () => {
    expect(sameOnADifferentDay(() => ({ ...renderInvitationEmail(input()), footer: new Date().toISOString() }))).toBe(false);
    expect(sameOnADifferentDay(() => ({ ...renderInvitationEmail(input()), id: Math.random() }))).toBe(false);
  });
});
