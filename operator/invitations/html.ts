// Escaping by construction: the `html` tag escapes every interpolation unless it is already SafeHtml.

/** Markup that is known to be safe: produced by `html` or wrapped deliberately with `trustedHtml`. */
export class SafeHtml {
  /** The markup. */
  readonly value: string;

  constructor(value: string) {
    this.value = value;
  }

  /** The markup, so a SafeHtml can be written out directly. */
  toString(): string {
    return this.value;
  }
}

/** What may be interpolated into `html`: text (escaped), numbers, safe markup, or lists of these (joined). */
export type HtmlValue = string | number | SafeHtml | readonly HtmlValue[];

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for an HTML element body or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ENTITIES[char] ?? char);
}

/** Marks a constant string as markup; only for literals written in this codebase, never for input. */
export function trustedHtml(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** Tagged template that escapes every interpolation (except SafeHtml) and returns SafeHtml. */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? '');
  });
  return new SafeHtml(out);
}

/** A URL given to a renderer that is not a plain http(s) link; the message never contains it (it may hold a token). */
export class UnsafeUrlError extends Error {
  override readonly name = 'UnsafeUrlError';
  /** Which input was refused, e.g. `acceptUrl`. */
  readonly field: string;

  constructor(field: string) {
    super(`The ${field} must be an absolute http(s) URL without credentials`);
    this.field = field;
  }
}

/** Returns `url` when it is an absolute http(s) URL without user info; throws `UnsafeUrlError` otherwise. */
export function checkHttpUrl(url: string, field: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UnsafeUrlError(field);
  }
  if ((parsed.protocol !== 'https:' && parsed.protocol !== 'http:') || parsed.username !== '' || parsed.password !== '') throw new UnsafeUrlError(field);
  return url;
}

/** Replaces control, line-separator and bidi-override characters with spaces, so a name cannot add lines or reorder text. */
export function singleLine(text: string): string {
  return text.replace(/[\p{Cc}\u2028\u2029\u200E\u200F\u202A-\u202E\u2066-\u2069]+/gu, ' ').trim();
}

/** Longest free text (a display name) an email quotes, in characters; longer is cut with an ellipsis. */
export const QUOTED_TEXT_MAX_LENGTH = 60;

/**
 * Free text someone else wrote (a tenant's display name), made fit to quote in an email: one line,
 * at most `maxLength` characters, and never a link: a dot inside a word and `://` are broken up
 * (`evil[.]example`, `https[:]//`), so no mail client turns the text into a clickable address. The
 * email frames it as the tenant's words (in quotes); the acceptance link is the only link.
 */
export function quotableText(text: string, maxLength = QUOTED_TEXT_MAX_LENGTH): string {
  const characters = [...singleLine(text)];
  const capped = characters.length > maxLength ? `${characters.slice(0, maxLength - 1).join('').trimEnd()}…` : characters.join('');
  // Full stops of any script that a browser or mail client reads as a domain dot.
  return capped.replace(/:\/\//g, '[:]//').replace(/[.\u3002\uFF0E\uFF61](?=[\p{L}\p{N}])/gu, '[$&]');
}
