// Runs scenarios one after another and turns their results into the table
// `npm run chaos` prints (and the JSON it writes). A scenario that throws is a
// failed row, never a crashed run: the rest still run and the table says why.
import type { Evidence } from './evidence.js';
import type { Check, ChaosContext, Scenario, ScenarioResult } from './scenario.js';

/** One row of the report. */
export interface ScenarioRow extends ScenarioResult {
  readonly scenario: string;
  readonly title: string;
  readonly seconds: number;
}

/** Runs `scenario`; a throw becomes a failed check named "ran to the end". */
export async function runScenario(scenario: Scenario, context: ChaosContext): Promise<ScenarioRow> {
  const started = Date.now();
  context.say(`${scenario.name}: ${scenario.title}${context.short ? ' (short)' : ''}`);
  let result: ScenarioResult;
  try {
    result = await scenario.run(context);
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    result = { counts: {}, checks: [{ name: 'ran to the end', ok: false, detail: message.split('\n').slice(0, 6).join(' | ') }] };
  }
  const row = { scenario: scenario.name, title: scenario.title, seconds: (Date.now() - started) / 1000, ...result };
  context.say(`${scenario.name}: ${failed(row).length === 0 ? 'all checks hold' : `${failed(row).length} check(s) FAILED`} in ${row.seconds.toFixed(0)} s`);
  return row;
}

/** The checks of a row that failed. */
export function failed(row: ScenarioRow): Check[] {
  return row.checks.filter((c) => !c.ok);
}

function formatCounts(counts: Readonly<Record<string, number>>): string {
  return Object.entries(counts)
    .map(([k, v]) => `${v.toLocaleString('en-US')} ${k}`)
    .join(', ');
}

/** The table: one block per scenario, its counts and timings, then one line per check. */
export function formatReport(rows: readonly ScenarioRow[]): string {
  const lines: string[] = [];
  const width = Math.max(20, ...rows.flatMap((r) => r.checks.map((c) => c.name.length)));
  for (const row of rows) {
    lines.push(`${row.scenario}  ${row.title}  (${row.seconds.toFixed(0)} s)`);
    if (Object.keys(row.counts).length > 0) lines.push(`  counts:  ${formatCounts(row.counts)}`);
    if (row.timingsMs && Object.keys(row.timingsMs).length > 0) {
      lines.push(`  timings: ${Object.entries(row.timingsMs).map(([k, v]) => `${k} ${(v / 1000).toFixed(2)} s`).join(', ')}`);
    }
    for (const check of row.checks) lines.push(`  ${check.ok ? 'PASS' : 'FAIL'}  ${check.name.padEnd(width)}  ${check.detail}`);
    for (const note of row.notes ?? []) lines.push(`  note:  ${note}`);
    lines.push('');
  }
  const total = rows.flatMap((r) => r.checks);
  const bad = total.filter((c) => !c.ok).length;
  lines.push(`${rows.length} scenarios, ${total.length} checks: ${bad === 0 ? 'all hold' : `${bad} FAILED`}`);
  return lines.join('\n');
}

/**
 * The last row: the secret-hygiene scan over everything the scenarios kept. It fails when it found
 * a secret in any form, and when it had nothing to scan (no text kept, or no secret registered to
 * look for): a scan of nothing would pass whatever the run leaked.
 */
export function hygieneRow(evidence: Evidence): ScenarioRow {
  const started = Date.now();
  const leaks = evidence.scan();
  const { texts, bytes, secrets } = evidence.size;
  const nothing = [...(texts === 0 ? ['no text was kept'] : []), ...(secrets === 0 ? ['no secret was registered to look for'] : [])];
  return {
    scenario: 'secret-hygiene',
    title: 'every log line, Event, status, metric and HTTP response scanned for keys, tokens and hashes',
    seconds: (Date.now() - started) / 1000,
    counts: { texts, 'MB scanned': Math.round(bytes / 1e5) / 10, 'secret forms': secrets },
    checks: [
      {
        name: 'something to scan: texts, and secrets to look for',
        ok: nothing.length === 0,
        detail: nothing.length === 0 ? `${texts.toLocaleString('en-US')} texts, ${secrets.toLocaleString('en-US')} secret forms` : `nothing to scan: ${nothing.join(', ')}`,
      },
      {
        name: 'no key, token or hash in any form',
        ok: leaks.length === 0,
        detail: leaks.length === 0 ? `0 hits in ${texts.toLocaleString('en-US')} texts` : leaks.slice(0, 5).map((l) => `${l.kind} (${l.form}) in ${l.where}`).join('; '),
      },
    ],
  };
}
