// The vitest global setup that gives the run its operator log folder (test/harness/suite-logs.ts).
// Under `npm test`, test/harness/run-suite.ts made the folder and scans it after vitest exits, so
// this does nothing more. A direct `npx vitest run …` gets a fresh folder here, scanned when the
// run ends: a key- or token-shaped string sets the exit code to 1 (vitest 4 only logs an error
// thrown by a global teardown, so this sets `process.exitCode` instead). A direct run of a few
// files may start no operator at all, so only `npm test`'s scan fails on an empty folder.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeLogScan, LOG_DIR_ENV, scanSuiteLogs } from './suite-logs.js';

function say(message: string): void {
  process.stderr.write(`[log-scan] ${message}\n`);
}

export default async function setup(): Promise<() => Promise<void>> {
  const given = process.env[LOG_DIR_ENV];
  if (given) {
    await mkdir(given, { recursive: true });
    return async () => {};
  }
  const dir = await mkdtemp(join(tmpdir(), 'blink-accounts-test-logs-'));
  process.env[LOG_DIR_ENV] = dir;
  return async () => {
    const scan = await scanSuiteLogs(dir);
    say(describeLogScan(scan));
    if (scan.hits.length > 0) {
      process.exitCode = 1;
      say(`FAILED: operator logs contain key- or token-shaped strings (logs kept in ${dir}):\n  ${scan.hits.slice(0, 20).join('\n  ')}`);
      return;
    }
    await rm(dir, { recursive: true, force: true });
  };
}
