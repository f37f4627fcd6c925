// Plain-text tables as kubectl prints them: upper-case headers, columns padded with spaces.
import { terminalText } from './terminal-text.js';

/** Renders `rows` under `headers`, each column as wide as its widest cell; cells never contain newlines nor terminal controls. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[], indent = ''): string {
  const clean = rows.map((row) => headers.map((_, i) => terminalText((row[i] ?? '').replace(/\s*\n\s*/g, ' '))));
  const widths = headers.map((h, i) => Math.max(h.length, ...clean.map((row) => row[i]?.length ?? 0)));
  const line = (cells: readonly string[]): string =>
    indent +
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('   ')
      .trimEnd();
  return [line(headers.map((h) => h.toUpperCase())), ...clean.map(line)].join('\n') + '\n';
}
