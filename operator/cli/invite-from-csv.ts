// `user invite --from-csv <file>`: bulk onboarding. Every row is checked first (bulk-invite.ts),
// then the API server dry-runs every good row; only then is anything created. If any row is bad,
// nothing is created (exit 4) unless --skip-invalid, which creates the good rows and reports the
// bad ones (exit 5). A User whose email exists already is left alone, so a rerun is safe.
import { readFile } from 'node:fs/promises';
import { ACCOUNT_KINDS } from '../api/index.js';
import type { User } from '../api/index.js';
import { ApiError } from '../runtime/errors.js';
import type { KubeObject } from '../runtime/kinds.js';
import type { KubeClient } from '../runtime/kube-client.js';
import { CsvFileError, parseInviteCsv, planBulkInvite } from './bulk-invite.js';
import type { RowPlan } from './bulk-invite.js';
import type { ClusterTarget } from './cluster-target.js';
import { CliError, EXIT } from './exit-codes.js';
import type { ExitCode } from './exit-codes.js';
import { cliName } from './invocation.js';
import type { OutputFormat } from './options.js';
import { printStructured } from './options.js';
import { renderTable } from './table.js';
import { createObject } from './writes.js';
import { terminalText, writeErr, writeOut } from './terminal-text.js';

type UserObject = User & KubeObject;

/** Flags of `user invite --from-csv`. */
export interface CsvInviteFlags {
  readonly dryRun: boolean;
  readonly skipInvalid: boolean;
  readonly output: OutputFormat;
}

/** What happened to one row, as the summary shows it. */
export interface RowResult {
  readonly line: number;
  readonly email: string;
  readonly user: string;
  readonly role: string;
  /** invited | would-invite | exists | invalid | not-applied | failed */
  readonly result: 'invited' | 'would-invite' | 'exists' | 'invalid' | 'not-applied' | 'failed';
  readonly message: string;
}

/** The text of an API error without the request line (`POST /apis/...: 422 `). */
function apiMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message.replace(/^[A-Z]+ \S+: \d{3} /, '');
  return error instanceof Error ? error.message : String(error);
}

async function listUsers(client: KubeClient, namespace: string): Promise<UserObject[]> {
  const users: UserObject[] = [];
  let next: string | undefined;
  do {
    const page = await client.list<UserObject>(ACCOUNT_KINDS.user, { namespace, query: { limit: 500, ...(next ? { continue: next } : {}) } });
    users.push(...page.items);
    next = page.metadata.continue || undefined;
  } while (next);
  return users;
}

/** One progress line on stderr: rewritten in place on a terminal, one line per step otherwise. */
function progress(): { step(text: string): void; done(): void } {
  const tty = process.stderr.isTTY;
  let shown = false;
  return {
    step(text) {
      if (tty) {
        process.stderr.write(`\r\u001b[K${terminalText(text)}`);
        shown = true;
      } else writeErr(`${terminalText(text)}\n`);
    },
    done() {
      if (tty && shown) process.stderr.write('\n');
    },
  };
}

function resultOf(row: RowPlan, result: RowResult['result'], message: string): RowResult {
  return { line: row.line, email: row.email, user: row.user, role: row.role, result, message };
}

/** Renders the summary table. */
export function renderSummary(results: readonly RowResult[]): string {
  return renderTable(
    ['line', 'email', 'user', 'role', 'result', 'message'],
    results.map((r) => [String(r.line), r.email, r.user, r.role, r.result, r.message]),
  );
}

async function readRows(file: string): Promise<ReturnType<typeof parseInviteCsv>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`--from-csv ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, EXIT.usage, { cause: error });
  }
  try {
    const rows = parseInviteCsv(text);
    if (rows.length === 0) throw new CliError(`${file} has no rows to invite: write one person a line, as email,role,groups,workspaces`, EXIT.invalid);
    return rows;
  } catch (error) {
    if (error instanceof CsvFileError) throw new CliError(`${file}: ${error.message}; nothing was applied`, EXIT.invalid, { cause: error });
    throw error;
  }
}

/** Runs the bulk invite; returns the exit code (the summary is printed either way). */
export async function inviteFromCsv(target: ClusterTarget, file: string, flags: CsvInviteFlags): Promise<ExitCode> {
  const { client, namespace } = target;
  const rows = await readRows(file);
  const plans = planBulkInvite(rows, namespace, await listUsers(client, namespace));
  const bar = progress();

  // The API server's verdict on every good row (admission policies, RBAC), before any real write.
  const refused = new Map<number, string>();
  const toCreate = plans.filter((p) => p.outcome === 'create');
  for (const [index, plan] of toCreate.entries()) {
    bar.step(`Checking ${index + 1}/${toCreate.length} with the API server (dry run): ${plan.email}`);
    try {
      await createObject(client, ACCOUNT_KINDS.user, plan.object as UserObject, true);
    } catch (error) {
      if (!(error instanceof ApiError) || error.code >= 500) throw new CliError(`Could not check line ${plan.line} (${plan.email}) with the API server; nothing was applied`, EXIT.failed, { cause: error });
      refused.set(plan.line, apiMessage(error));
    }
  }
  const invalidCount = plans.filter((p) => p.outcome === 'invalid').length + refused.size;
  // Bad rows block every write unless --skip-invalid; a dry run predicts the same.
  const blocked = invalidCount > 0 && !flags.skipInvalid;
  const applying = !flags.dryRun && !blocked;

  const results: RowResult[] = [];
  let created = 0;
  let failed = 0;
  const good = toCreate.filter((p) => !refused.has(p.line));
  for (const plan of plans) {
    if (plan.outcome === 'invalid') {
      results.push(resultOf(plan, 'invalid', plan.problems.join('; ')));
    } else if (plan.outcome === 'exists') {
      results.push(resultOf(plan, 'exists', plan.problems.join('; ')));
    } else if (refused.has(plan.line)) {
      results.push(resultOf(plan, 'invalid', `refused by the API server: ${refused.get(plan.line) ?? ''}`));
    } else if (blocked) {
      results.push(resultOf(plan, 'not-applied', `${flags.dryRun ? 'accepted by the API server (dry run), but ' : ''}not applied: other rows are invalid`));
    } else if (flags.dryRun) {
      results.push(resultOf(plan, 'would-invite', 'accepted by the API server (dry run)'));
    } else {
      bar.step(`Inviting ${created + failed + 1}/${good.length}: ${plan.email}`);
      try {
        await createObject(client, ACCOUNT_KINDS.user, plan.object as UserObject, false);
        created++;
        results.push(resultOf(plan, 'invited', `User ${plan.user} created; the operator emails the invitation`));
      } catch (error) {
        failed++;
        results.push(resultOf(plan, 'failed', apiMessage(error)));
      }
    }
  }
  bar.done();

  if (flags.output === 'text') writeOut(renderSummary(results));
  else printStructured({ file, namespace, dryRun: flags.dryRun, applied: applying, rows: results }, flags.output);

  const exists = plans.filter((p) => p.outcome === 'exists').length;
  const counts = `${plans.length} rows: ${applying ? `${created} invited` : flags.dryRun && !blocked ? `${good.length} would be invited` : '0 invited'}, ${exists} already there, ${invalidCount} invalid${failed ? `, ${failed} failed` : ''}`;
  if (blocked) {
    writeErr(`${counts}. Nothing ${flags.dryRun ? 'would be' : 'was'} applied: fix the invalid rows (lines ${results.filter((r) => r.result === 'invalid').map((r) => r.line).join(', ')}) and run again, or add --skip-invalid to invite the others\n`);
    return EXIT.invalid;
  }
  writeErr(`${counts}${flags.dryRun ? ' (server dry run: nothing was changed)' : ''}\n`);
  if (applying && created > 0) writeErr(`Watch them with: kubectl get users.accounts.blinkops.com -n ${namespace}   (or ${cliName()} status user <name> -n ${namespace})\n`);
  return invalidCount > 0 || failed > 0 ? EXIT.partial : EXIT.ok;
}
