import { describe, expect, it } from 'vitest';
import { DURATION_PATTERN, DurationParseError, formatDuration, parseDuration } from './duration.js';
import type { DurationErrorCode } from './duration.js';

const H = 3_600_000;
const M = 60_000;

describe('parseDuration', () => {
  it.each<[string, number]>([
    ['168h', 168 * H],
    ['30m', 30 * M],
    ['1h30m', H + 30 * M],
    ['0s', 0],
    ['0', 0],
    ['+5s', 5000],
    ['1.5h', 1.5 * H],
    ['1.1h', 3_960_000],
    ['.5s', 500],
    ['5.s', 5000],
    ['2h45m30.5s', 2 * H + 45 * M + 30_500],
    ['300ms', 300],
    ['1500us', 1.5],
    ['1500µs', 1.5],
    ['1500μs', 1.5],
    ['2500000ns', 2.5],
    ['1m1m', 2 * M],
    ['2562047h', 2562047 * H],
  ])('parses %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each<[string, DurationErrorCode]>([
    ['', 'empty'],
    ['-1h', 'negative'],
    ['+', 'syntax'],
    ['h', 'syntax'],
    ['.h', 'syntax'],
    ['1h.', 'syntax'],
    ['10', 'missing-unit'],
    ['00', 'missing-unit'],
    ['7d', 'unknown-unit'],
    ['1H', 'unknown-unit'],
    ['1 h', 'unknown-unit'],
    ['1h 30m', 'unknown-unit'],
    ['3w', 'unknown-unit'],
    ['2562048h', 'too-large'],
    ['99999999999999999999h', 'too-large'],
  ])('rejects %j as %s', (text, code) => {
    let caught: unknown;
    try {
      parseDuration(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DurationParseError);
    expect((caught as DurationParseError).code).toBe(code);
  });

  it('rejects non-strings as empty', () => {
    expect(() => parseDuration(undefined as unknown as string)).toThrow(DurationParseError);
  });

  it('quotes a long input only in part', () => {
    expect(() => parseDuration(`${'1'.repeat(100)}x`)).toThrow(/…/);
  });
});

describe('DURATION_PATTERN', () => {
  const pattern = new RegExp(DURATION_PATTERN, 'u');

  it.each(['168h', '30m', '1h30m', '0s', '0', '1.5h', '.5s', '300ms', '1µs'])('accepts %s, as the parser does', (text) => {
    expect(pattern.test(text)).toBe(true);
    expect(() => parseDuration(text)).not.toThrow();
  });

  it.each(['', '-1h', '7d', '10', '1 h', 'h', '.h', '00'])('refuses %j, as the parser does', (text) => {
    expect(pattern.test(text)).toBe(false);
    expect(() => parseDuration(text)).toThrow(DurationParseError);
  });
});

describe('formatDuration', () => {
  it.each<[number, string]>([
    [0, '0s'],
    [168 * H, '168h'],
    [H + 30 * M, '1h30m'],
    [30 * M, '30m'],
    [1500, '1.5s'],
    [250, '250ms'],
    [1.5, '1.5ms'],
    [H + 1000, '1h1s'],
    [-30 * M, '-30m'],
  ])('formats %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips through parseDuration', () => {
    for (const ms of [0, 1, 999, 1000, 61_000, 7 * 24 * H, 90 * M + 0.25]) expect(parseDuration(formatDuration(ms))).toBe(ms);
  });

  it('refuses non-finite input', () => {
    expect(() => formatDuration(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});
