// Go-style durations (`168h`, `30m`, `1h30m`, `1.5s`, `0s`) as used in spec fields such as the
// Tenant's invitation TTL and a service account's rotation grace period (Go `time.ParseDuration`,
// Kubernetes `metav1.Duration`), minus negative values, which no field here can use.

/** Nanoseconds per unit, as Go spells them (both micro signs included). */
const UNIT_NS: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['µs', 1_000n],
  ['μs', 1_000n],
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);

/** Go's largest duration (2^63 - 1 ns, about 292 years); longer values are refused. */
const MAX_NS = 2n ** 63n - 1n;

/** An OpenAPI `pattern` for a non-negative Go duration, for CRD schemas. */
export const DURATION_PATTERN = '^(0|(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$';

/** Why a text is not a duration. */
export type DurationErrorCode = 'empty' | 'negative' | 'syntax' | 'missing-unit' | 'unknown-unit' | 'too-large';

/** A text that is not a non-negative Go duration; the message quotes it (durations are not secret). */
export class DurationParseError extends Error {
  override readonly name = 'DurationParseError';
  /** Machine-readable cause. */
  readonly code: DurationErrorCode;

  constructor(code: DurationErrorCode, text: string, why: string) {
    super(`Invalid duration ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)}: ${why}`);
    this.code = code;
  }
}

const COMPONENT = /([0-9]*)(?:\.([0-9]*))?([^0-9.]*)/y;

/** Parses a Go duration (`1h30m`, `168h`, `0`) into milliseconds (fractional below 1 ms); throws `DurationParseError`. */
export function parseDuration(text: string): number {
  const fail = (code: DurationErrorCode, why: string): never => {
    throw new DurationParseError(code, String(text), why);
  };
  if (typeof text !== 'string' || text === '') return fail('empty', 'it is empty');
  if (text.startsWith('-')) return fail('negative', 'it is negative');
  const body = text.startsWith('+') ? text.slice(1) : text;
  if (body === '0') return 0;
  if (body === '') return fail('syntax', 'it has no number');
  let totalNs = 0n;
  COMPONENT.lastIndex = 0;
  while (COMPONENT.lastIndex < body.length) {
    const match = COMPONENT.exec(body);
    const [, whole = '', fraction, unit = ''] = match ?? [];
    if (!match || (whole === '' && !fraction)) return fail('syntax', 'expected a number such as 30m or 1.5h');
    if (unit === '') return fail('missing-unit', 'a number lacks its unit (ns, us, ms, s, m or h)');
    const unitNs = UNIT_NS.get(unit);
    if (unitNs === undefined) return fail('unknown-unit', `unknown unit ${JSON.stringify(unit)} (use ns, us, ms, s, m or h)`);
    totalNs += BigInt(whole || '0') * unitNs;
    if (fraction) totalNs += (BigInt(fraction) * unitNs) / 10n ** BigInt(fraction.length);
    if (totalNs > MAX_NS) return fail('too-large', 'it is longer than about 292 years');
  }
  return Number(totalNs) / 1e6;
}

/** Formats milliseconds compactly in Go syntax, omitting zero parts: `168h`, `1h30m`, `1.5s`, `250ms`, `0s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError('formatDuration needs a finite number');
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms === 0) return '0s';
  if (ms < 1000) return `${round(ms)}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = round((ms % 60_000) / 1000);
  return `${hours ? `${hours}h` : ''}${minutes ? `${minutes}m` : ''}${seconds ? `${seconds}s` : ''}`;
}

// Drops float noise (0.30000000000000004) without losing sub-millisecond precision that is really there.
function round(value: number): number {
  return Number(value.toFixed(6));
}
