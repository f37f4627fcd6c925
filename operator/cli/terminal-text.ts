// Text from the cluster reaches a person's terminal through the CLI: display
// names, descriptions, condition and Event messages, API server errors. Anyone
// who can write one of those (a tenant Admin, a status writer, an Event) must not
// be able to drive the terminal: clear the screen, move the cursor, retitle the
// window, hide text, or reorder what is shown with bidi overrides. Every CLI
// output goes through this one module: control characters (C0, DEL, C1, so ESC
// and every escape sequence it starts), line and paragraph separators, and the
// invisible format characters (bidi embeddings, overrides and isolates,
// zero-width ones) are shown as visible escapes (`\x1b`, `\u202e`); JSON and YAML
// keep their exact values, written with their own escapes.
import { Document, visit } from 'yaml';

/** Characters never written raw, whatever the output (tab and newline are not among them). */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/gu;
/** The same, plus tab and newline: for one value that must stay on its line (a table cell, a field). */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE_IN_LINE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/gu;
/** Is any character of {@link UNSAFE_IN_LINE} present? */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const HAS_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/u;

function visible(char: string): string {
  const code = char.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

function unicodeEscape(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * `text` safe to write to a terminal: every control, separator and invisible format character
 * becomes a visible escape (ESC[2J prints as `\x1b[2J`). `multiline` keeps newlines and tabs (a
 * whole output the CLI laid out); otherwise they are escaped too (one value from the cluster).
 */
export function terminalText(text: string, options: { readonly multiline?: boolean } = {}): string {
  return text.replace(options.multiline ? UNSAFE : UNSAFE_IN_LINE, visible);
}

/** True when `text` holds a character {@link terminalText} would escape in one line. */
export function hasUnsafeCharacters(text: string): boolean {
  return HAS_UNSAFE.test(text);
}

/**
 * `value` as indented JSON that is safe on a terminal and parses to the same value: JSON.stringify
 * escapes C0 itself; DEL, C1 and the format characters (only ever inside strings) become \u escapes.
 */
export function terminalJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`.replace(UNSAFE, unicodeEscape);
}

/**
 * `value` as YAML that is safe on a terminal and parses to the same value: every string holding an
 * unsafe character is written double-quoted, where its characters are written as escapes.
 */
export function terminalYaml(value: unknown): string {
  const doc = new Document(value);
  let quoted = false;
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && HAS_UNSAFE.test(node.value)) {
        node.type = 'QUOTE_DOUBLE';
        quoted = true;
      }
    },
  });
  const text = doc.toString({ lineWidth: 0 });
  // Only double-quoted scalars can still hold such a character raw, and there \u escapes keep the value.
  return quoted ? text.replace(UNSAFE, unicodeEscape) : text;
}

/** Writes CLI output to stdout, made safe (see {@link terminalText}). */
export function writeOut(text: string): void {
  process.stdout.write(terminalText(text, { multiline: true }));
}

/** Writes CLI messages to stderr, made safe (see {@link terminalText}). */
export function writeErr(text: string): void {
  process.stderr.write(terminalText(text, { multiline: true }));
}
