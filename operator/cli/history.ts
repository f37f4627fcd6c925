// `history <kind> <name>`: the account's status.history (the last transitions the
// operator recorded: invited, sent, accepted, deactivated, key issued, rotated,
// repaired, expired, role changed) as a timeline, oldest first.
import type { Command } from 'commander';
import { ACCOUNT_KINDS } from '../api/index.js';
import type { HistoryEntry } from '../api/history.js';
import { isNotFound } from '../runtime/errors.js';
import type { KubeObject } from '../runtime/kinds.js';
import { withTarget } from './cluster-target.js';
import { CliError, EXIT } from './exit-codes.js';
import { cliName } from './invocation.js';
import { clusterOptions, outputOption, print } from './options.js';
import type { ReadFlags } from './options.js';
import { parseTarget } from './status.js';
import { terminalText } from './terminal-text.js';

/** What `history` prints (also its -o json/yaml form). */
export interface HistoryReport {
  readonly kind: 'User' | 'ServiceAccount';
  readonly namespace: string;
  readonly name: string;
  readonly history: readonly HistoryEntry[];
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s}s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)}m ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86_400)}d ago`;
}

/** The timeline as text. */
export function renderHistory(report: HistoryReport, now: number): string {
  // Each value from the cluster on its own line, every control or invisible character shown as an escape.
  const safe = (text: string): string => terminalText(text);
  const head = `${report.kind} ${safe(report.namespace)}/${safe(report.name)}`;
  if (report.history.length === 0) return `${head}: no transitions recorded yet\n`;
  const rows = report.history.map((e) => {
    const at = Date.parse(e.at);
    const when = Number.isFinite(at) ? `${safe(e.at)} (${ago(now - at)})` : safe(e.at);
    return [when, safe(e.event), safe(e.reason), `${safe(e.message)}${e.by ? ` [by ${safe(e.by)}]` : ''}`];
  });
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r[i] ?? '').length), ['TIME', 'EVENT', 'REASON'][i]?.length ?? 0));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i] ?? 0) : c)).join('  ').trimEnd();
  return `${head}: the last ${report.history.length} transitions, oldest first\n${[line(['TIME', 'EVENT', 'REASON', 'DETAILS']), ...rows.map(line)].join('\n')}\n`;
}

/** Registers `history`. */
export function registerHistory(program: Command): void {
  outputOption(
    clusterOptions(
      program
        .command('history <kind> [name]')
        .description("The last transitions of a user or service account, oldest first: invited, sent, accepted, deactivated, re-activated, role changed, key issued, rotated, repaired, expired (from status.history)")
        .addHelpText('after', `\nKinds: user (bu), serviceaccount (sa, bsa); "sa/etl-runner" works too.\nExample: ${cliName()} history sa etl-runner -n tenant-acme`),
    ),
  ).action(async (kindWord: string, nameArg: string | undefined, flags: ReadFlags) => {
    const { kind, name } = parseTarget(kindWord, nameArg);
    if (kind !== 'User' && kind !== 'ServiceAccount') throw new CliError(`history is kept for users and service accounts, not for ${kind}s`, EXIT.usage);
    await withTarget(flags, async ({ client, namespace }) => {
      const descriptor = kind === 'User' ? ACCOUNT_KINDS.user : ACCOUNT_KINDS.serviceAccount;
      let object: KubeObject & { status?: { history?: HistoryEntry[] } };
      try {
        object = await client.get(descriptor, namespace, name);
      } catch (error) {
        if (isNotFound(error)) throw new CliError(`${kind} "${name}" not found in namespace "${namespace}"`, EXIT.notFound);
        throw new Error(`Could not read ${kind} "${name}"`, { cause: error });
      }
      const report: HistoryReport = { kind, namespace, name, history: object.status?.history ?? [] };
      print(report, flags.output, (r) => renderHistory(r, Date.now()));
    });
  });
}
