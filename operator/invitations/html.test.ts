import { describe, expect, it } from 'vitest';
import { SafeHtml, UnsafeUrlError, checkHttpUrl, escapeHtml, html, singleLine, trustedHtml } from './html.js';

describe('escapeHtml', () => {
  it('escapes the five significant characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  it('leaves other text alone', () => {
    expect(escapeHtml('Zoë Ünïcode 🚀')).toBe('Zoë Ünïcode 🚀');
  });
});

describe('html tag', () => {
  it('escapes interpolated strings and numbers', () => {
    expect(html`<p title="${'"x"'}">${'<script>alert(1)</script>'} ${42}</p>`.value).toBe(
      '<p title="&quot;x&quot;">&lt;script&gt;alert(1)&lt;/script&gt; 42</p>',
    );
  });

  it('keeps SafeHtml and joins lists', () => {
    const items = ['<a>', '<b>'].map((item) => html`<li>${item}</li>`);
    expect(html`<ul>${items}</ul>`.value).toBe('<ul><li>&lt;a&gt;</li><li>&lt;b&gt;</li></ul>');
    expect(html`${trustedHtml('<br>')}`.value).toBe('<br>');
    expect(html`x`).toBeInstanceOf(SafeHtml);
    expect(String(html`<i>${'&'}</i>`)).toBe('<i>&amp;</i>');
  });
});

describe('checkHttpUrl', () => {
  it.each(['https://blink.example/accept?token=abc', 'http://localhost:8080/i/x'])('accepts %s', (url) => {
    expect(checkHttpUrl(url, 'acceptUrl')).toBe(url);
  });

  it.each(['javascript:alert(1)', 'data:text/html,hi', '/relative', 'https://user:pw@host/', 'not a url', 'ftp://host/x'])('refuses %s without quoting it', (url) => {
    let caught: unknown;
    try {
      checkHttpUrl(url, 'acceptUrl');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UnsafeUrlError);
    expect((caught as UnsafeUrlError).field).toBe('acceptUrl');
    expect((caught as Error).message).not.toContain(url);
  });
});

describe('singleLine', () => {
  it('turns control, line-separator and bidi characters into spaces', () => {
    expect(singleLine('Ada\r\nBcc: evil@x')).toBe('Ada Bcc: evil@x');
    expect(singleLine('a\u2028b\u202Ec\u0000d\te')).toBe('a b c d e');
    expect(singleLine('  trimmed  ')).toBe('trimmed');
  });

  it('keeps ordinary Unicode, including joiners inside emoji', () => {
    expect(singleLine('Zoë 👩‍💻 李')).toBe('Zoë 👩‍💻 李');
  });
});
