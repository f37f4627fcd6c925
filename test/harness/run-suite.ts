// `npm test`'s test step: `vitest run` (both projects; extra arguments are passed on), then the
// scan of every operator log line the run wrote. The log folder is made here, fresh for this run,
// and handed to vitest and every operator it starts (BLINK_TEST_LOG_DIR); once vitest has exited
// (every operator stopped, every log flushed) the folder is scanned, and the scan decides the exit
// code with vitest: vitest's code when it failed, else 1 when the scan found a key- or
// token-shaped string or had nothing to scan, else 0. A failed run keeps the folder and says where.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { constants, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describeLogScan, LOG_DIR_ENV, logScanProblems, scanSuiteLogs } from './suite-logs.js';

function say(message: string): void {
  process.stderr.write(`[log-scan] ${message}\n`);
}

const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
const dir = await mkdtemp(join(tmpdir(), 'blink-accounts-test-logs-'));
const child = spawn(process.execPath, [vitest, 'run', ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, [LOG_DIR_ENV]: dir } });
const forward = (signal: NodeJS.Signals) => () => void child.kill(signal);
process.on('SIGINT', forward('SIGINT')).on('SIGTERM', forward('SIGTERM'));
const vitestCode = await new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0))));

const scan = await scanSuiteLogs(dir);
const problems = logScanProblems(scan);
say(describeLogScan(scan));
for (const problem of problems) say(`FAILED: ${problem}`);
if (vitestCode !== 0 || problems.length > 0) say(`Operator logs of this run kept in ${dir}`);
else await rm(dir, { recursive: true, force: true });
process.exit(vitestCode !== 0 ? vitestCode : problems.length > 0 ? 1 : 0);
