import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { hasUnsafeCharacters, terminalJson, terminalText, terminalYaml } from './terminal-text.js';

/** Every character class a terminal acts on, or that hides or reorders text. */
const HOSTILE: readonly [string, string, string][] = [
  ['clear screen (ESC [2J)', 'a\u001b[2Jb', 'a\\x1b[2Jb'],
  ['cursor home + erase line', '\u001b[H\u001b[Kok', '\\x1b[H\\x1b[Kok'],
  ['window title (OSC … BEL)', '\u001b]0;pwned\u0007', '\\x1b]0;pwned\\x07'],
  ['hyperlink (OSC 8 … ST)', '\u001b]8;;http://evil\u001b\\x\u001b]8;;\u001b\\', '\\x1b]8;;http://evil\\x1b\\x\\x1b]8;;\\x1b\\'],
  ['8-bit CSI (C1)', 'x\u009b2Jy', 'x\\x9b2Jy'],
  ['NEL (C1)', 'x\u0085y', 'x\\x85y'],
  ['DEL', 'x\u007fy', 'x\\x7fy'],
  ['NUL and backspace', 'a\u0000b\u0008c', 'a\\x00b\\x08c'],
  ['carriage return (overwrites the line)', 'safe\rEVIL', 'safe\\x0dEVIL'],
  ['newline (a fake line)', 'one\nWARNING: two', 'one\\x0aWARNING: two'],
  ['tab', 'a\tb', 'a\\x09b'],
  ['right-to-left override', 'invoice\u202Egpj.exe', 'invoice\\u202egpj.exe'],
  ['bidi isolates', '\u2066x\u2069\u2067y\u2069\u2068z\u2069', '\\u2066x\\u2069\\u2067y\\u2069\\u2068z\\u2069'],
  ['bidi marks and embeddings', '\u200e\u200f\u061c\u202a\u202b\u202c\u202d', '\\u200e\\u200f\\u061c\\u202a\\u202b\\u202c\\u202d'],
  ['zero-width characters', 'a\u200bb\u2060c\ufeffd', 'a\\u200bb\\u2060c\\ufeffd'],
  ['line and paragraph separators', 'a\u2028b\u2029c', 'a\\u2028b\\u2029c'],
  ['soft hyphen', 'a\u00adb', 'a\\xadb'],
];

/** What stays as it is. */
const HARMLESS = ['Acme Corporation', 'family 👨\u200d👩\u200d👧 (zero-width joiners)', 'Ünïcødé café — naïve', '東京 株式会社', 'emoji 🚀 ok', 'quotes "x" and \'y\' and \\', '<b>html</b> & more', ''];

describe('terminalText', () => {
  it.each(HOSTILE)('escapes %s', (_what, input, shown) => {
    expect(terminalText(input)).toBe(shown);
    expect(hasUnsafeCharacters(input)).toBe(true);
    // Nothing a terminal acts on is left.
    expect(hasUnsafeCharacters(terminalText(input))).toBe(false);
  });

  it.each(HARMLESS)('leaves %j as it is', (input) => {
    expect(terminalText(input)).toBe(input);
    expect(hasUnsafeCharacters(input)).toBe(false);
  });

  it('keeps the layout of a whole output (newlines, tabs) and still escapes the rest', () => {
    expect(terminalText('NAME\tAGE\nx\u001b[2J\t1\r\n', { multiline: true })).toBe('NAME\tAGE\nx\\x1b[2J\t1\\x0d\n');
  });
});

describe('terminalJson and terminalYaml', () => {
  const value = { displayName: 'Acme\u001b[2J\u202Eevil', messages: ['x\u009b31m', 'plain', 'a\nb\u007f'], 'key\u200b': 'v' };

  it('write no raw control or format character, and parse back to the same value', () => {
    for (const text of [terminalJson(value), terminalYaml(value)]) {
      expect(hasUnsafeCharacters(text.replace(/\n/g, ''))).toBe(false);
    }
    expect(JSON.parse(terminalJson(value))).toEqual(value);
    expect(parse(terminalYaml(value))).toEqual(value);
  });

  it('write harmless values exactly as JSON.stringify and YAML do', () => {
    const plain = { name: 'acme', list: ['a', 'é'], n: 1 };
    expect(terminalJson(plain)).toBe(`${JSON.stringify(plain, null, 2)}\n`);
    expect(terminalYaml(plain)).toBe('name: acme\nlist:\n  - a\n  - é\nn: 1\n');
  });
});
