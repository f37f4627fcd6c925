// Every operator log line of a test run goes to one folder (BLINK_TEST_LOG_DIR): the in-process
// operators at info level into files of their own, the spawned ones tee'd there. The folder is
// scanned for anything shaped like an API key or an invitation token: no operator may ever log
// one. Under `npm test` the folder belongs to test/harness/run-suite.ts, which makes it before
// vitest starts and scans it after vitest has exited: that scan decides the exit code, and it
// fails when the folder holds no log at all (a scan of nothing proves nothing). A direct
// `npx vitest run` gets a folder from test/harness/log-scan-setup.ts instead, scanned when the
// run ends.
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { API_KEY_PREFIX } from '../../operator/apikeys/index.js';
import { INVITATION_TOKEN_PREFIX } from '../../operator/invitations/token.js';
import { SCIM_TOKEN_PREFIX } from '../../operator/scim/token.js';

/** The environment variable naming the run's log folder. */
export const LOG_DIR_ENV = 'BLINK_TEST_LOG_DIR';

/** Prefix of a Standard Webhooks signing secret (a Tenant's webhook Secret): base64 follows. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** A key or token prefix (API key, invitation token, SCIM token) followed by what could be its secret, or a webhook signing secret. */
export const KEY_SHAPE = new RegExp(`(?:${API_KEY_PREFIX}|${INVITATION_TOKEN_PREFIX}|${SCIM_TOKEN_PREFIX})[A-Za-z0-9_-]{20,}|${WEBHOOK_SECRET_PREFIX}[A-Za-z0-9+/]{20,}`, 'g');

let files = 0;

/** A new file in the run's log folder for one operator (undefined outside a test run). */
export function suiteLogStream(label: string): WriteStream | undefined {
  const dir = process.env[LOG_DIR_ENV];
  if (!dir) return undefined;
  return createWriteStream(join(dir, `${label}-${process.pid}-${++files}.log`), { flags: 'a' });
}

/** What the scan of a log folder found. */
export interface LogScan {
  readonly dir: string;
  readonly files: number;
  /** Files with at least one byte. */
  readonly nonEmptyFiles: number;
  readonly bytes: number;
  /** `file: first characters… (length)` of every key-shaped string, never the string itself. */
  readonly hits: readonly string[];
}

/** Scans every file of `dir` for key- and token-shaped strings (a missing folder scans as empty). */
export async function scanSuiteLogs(dir: string): Promise<LogScan> {
  const names = await readdir(dir).catch(() => [] as string[]);
  let bytes = 0;
  let nonEmptyFiles = 0;
  const hits: string[] = [];
  for (const name of names) {
    const text = await readFile(join(dir, name), 'utf8');
    bytes += text.length;
    if (text.length > 0) nonEmptyFiles++;
    for (const shaped of text.match(KEY_SHAPE) ?? []) hits.push(`${name}: ${shaped.slice(0, 10)}… (${shaped.length} chars)`);
  }
  return { dir, files: names.length, nonEmptyFiles, bytes, hits };
}

/**
 * Why a scan fails the run (empty: it passes). A scan fails when it found a key- or token-shaped
 * string, and when it read nothing: a folder without a single operator log line means the logs
 * went somewhere else, and a scan of nothing would pass whatever the operators logged.
 */
export function logScanProblems(scan: LogScan): string[] {
  const problems: string[] = [];
  if (scan.nonEmptyFiles === 0) {
    problems.push(`Nothing to scan: ${scan.files} operator log files in ${scan.dir}, none with a line in it (were the operators' logs written somewhere else?)`);
  }
  if (scan.hits.length > 0) {
    problems.push(`Operator logs contain ${scan.hits.length} key- or token-shaped strings:\n  ${scan.hits.slice(0, 20).join('\n  ')}`);
  }
  return problems;
}

/** One line for people: what was scanned and what was found. */
export function describeLogScan(scan: LogScan): string {
  return `Scanned ${scan.files} operator logs (${(scan.bytes / 1e6).toFixed(1)} MB, ${scan.nonEmptyFiles} with lines) of the run for API keys and invitation tokens: ${scan.hits.length} found`;
}
