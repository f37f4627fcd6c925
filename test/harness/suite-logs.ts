// Every operator log line of a test run goes to one folder (BLINK_TEST_LOG_DIR, made by the
// global setup): the in-process operators at info level into files of their own, the spawned
// ones tee'd there. When the run ends, the global setup's teardown scans the folder for anything
// shaped like an API key or an invitation token: no operator may ever log one.
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { API_KEY_PREFIX } from '../../operator/apikeys/index.js';
import { INVITATION_TOKEN_PREFIX } from '../../operator/invitations/token.js';

/** The environment variable naming the run's log folder. */
export const LOG_DIR_ENV = 'BLINK_TEST_LOG_DIR';

/** A key or token prefix followed by what could be its secret. */
export const KEY_SHAPE = new RegExp(`(?:${API_KEY_PREFIX}|${INVITATION_TOKEN_PREFIX})[A-Za-z0-9_-]{20,}`, 'g');

let files = 0;

/** A new file in the run's log folder for one operator (undefined outside a test run). */
export function suiteLogStream(label: string): WriteStream | undefined {
  const dir = process.env[LOG_DIR_ENV];
  if (!dir) return undefined;
  return createWriteStream(join(dir, `${label}-${process.pid}-${++files}.log`), { flags: 'a' });
}

/** What the scan of a log folder found. */
export interface LogScan {
  readonly files: number;
  readonly bytes: number;
  /** `file: first characters… (length)` of every key-shaped string, never the string itself. */
  readonly hits: readonly string[];
}

/** Scans every file of `dir` for key- and token-shaped strings. */
export async function scanSuiteLogs(dir: string): Promise<LogScan> {
  const names = await readdir(dir).catch(() => [] as string[]);
  let bytes = 0;
  const hits: string[] = [];
  for (const name of names) {
    const text = await readFile(join(dir, name), 'utf8');
    bytes += text.length;
    for (const shaped of text.match(KEY_SHAPE) ?? []) hits.push(`${name}: ${shaped.slice(0, 10)}… (${shaped.length} chars)`);
  }
  return { files: names.length, bytes, hits };
}
