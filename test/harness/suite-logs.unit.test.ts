// The run-wide scan of operator logs decides the exit code: a fake key planted in a throw-away
// run's log folder fails that run, through `npm test`'s runner (test/harness/run-suite.ts) and
// through a direct `vitest run`; a run that wrote no log at all fails too; a clean one passes.
// Each case is a real vitest run of test/harness/fixtures/log-scan/ in a child process.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY_PREFIX } from '../../operator/apikeys/index.js';
import { KEY_SHAPE, LOG_DIR_ENV, logScanProblems } from './suite-logs.js';
import type { LogScan } from './suite-logs.js';

const CONFIG = 'test/harness/fixtures/log-scan/vitest.config.ts';
const VITEST = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
let scratch = '';

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'log-scan-test-'));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

interface Run {
  readonly code: number | null;
  readonly output: string;
  /** The fake secret planted (its random part). */
  readonly secret: string;
  /** Log folders the run left behind. */
  readonly kept: string[];
}

/** Runs node with `args`, planting `plant`; the run's temporary folders go under a folder of its own. */
async function run(args: string[], plant: string): Promise<Run> {
  const tmp = await mkdtemp(join(scratch, 'run-'));
  const secret = randomBytes(32).toString('base64url');
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_SCAN_FIXTURE: plant, LOG_SCAN_SECRET: secret, TMPDIR: tmp, FORCE_COLOR: '0' };
  // This test may itself run under run-suite.ts: the child run must not use the outer run's folder.
  delete env[LOG_DIR_ENV];
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const kept = (await readdir(tmp)).filter((name) => name.startsWith('blink-accounts-test-logs-'));
  return { code, output, secret, kept };
}

const viaRunner = (plant: string) => run(['--import', 'tsx', 'test/harness/run-suite.ts', '--config', CONFIG], plant);
const direct = (plant: string) => run([VITEST, 'run', '--config', CONFIG], plant);

describe('npm test (test/harness/run-suite.ts)', () => {
  it('fails the run when an operator log holds an API key, naming it by its first characters only', async () => {
    const { code, output, secret, kept } = await viaRunner('api-key');
    expect(code, output.slice(-3000)).toBe(1);
    expect(output).toMatch(/1 passed/);
    expect(output).toContain('FAILED: Operator logs contain 1 key- or token-shaped strings');
    expect(output).toMatch(new RegExp(`in-process-\\d+-1\\.log: ${API_KEY_PREFIX}.… \\(52 chars\\)`));
    expect(output).not.toContain(secret.slice(1, 20));
    expect(kept).toHaveLength(1);
  }, 60_000);

  it('fails the run when an operator log holds an invitation token', async () => {
    const { code, output } = await viaRunner('invitation-token');
    expect(code, output.slice(-3000)).toBe(1);
    expect(output).toContain('FAILED: Operator logs contain 1 key- or token-shaped strings');
  }, 60_000);

  it('fails the run when no operator log was written (nothing to scan)', async () => {
    const { code, output } = await viaRunner('nothing');
    expect(code, output.slice(-3000)).toBe(1);
    expect(output).toMatch(/1 passed/);
    expect(output).toContain('FAILED: Nothing to scan');
  }, 60_000);

  it('passes a run whose logs are clean, and removes its log folder', async () => {
    const { code, output, kept } = await viaRunner('clean');
    expect(code, output.slice(-3000)).toBe(0);
    expect(output).toContain('for API keys and invitation tokens: 0 found');
    expect(output).not.toContain('FAILED');
    expect(kept).toEqual([]);
  }, 60_000);

  it('keeps vitest\'s failure when a test fails, though the logs are clean', async () => {
    const { code, output } = await viaRunner('fail');
    expect(code, output.slice(-3000)).toBe(1);
    expect(output).toMatch(/1 failed/);
    expect(output).toContain('for API keys and invitation tokens: 0 found');
  }, 60_000);
});

describe('a direct vitest run (test/harness/log-scan-setup.ts)', () => {
  it('exits 1 when an operator log holds an API key', async () => {
    const { code, output } = await direct('api-key');
    expect(code, output.slice(-3000)).toBe(1);
    expect(output).toMatch(/1 passed/);
    expect(output).toContain('FAILED: operator logs contain key- or token-shaped strings');
  }, 60_000);

  it('exits 0 with clean logs and removes its folder', async () => {
    const { code, output, kept } = await direct('clean');
    expect(code, output.slice(-3000)).toBe(0);
    expect(kept).toEqual([]);
  }, 60_000);
});

describe('logScanProblems', () => {
  const scan = (over: Partial<LogScan>): LogScan => ({ dir: '/logs', files: 3, nonEmptyFiles: 3, bytes: 300, hits: [], ...over });

  it('passes logs with lines and no hits', () => {
    expect(logScanProblems(scan({}))).toEqual([]);
  });

  it.each([
    ['no file', { files: 0, nonEmptyFiles: 0, bytes: 0 }],
    ['only empty files', { files: 2, nonEmptyFiles: 0, bytes: 0 }],
  ])('fails a scan of %s: nothing was scanned', (_what, over) => {
    expect(logScanProblems(scan(over))).toEqual([expect.stringContaining('Nothing to scan')]);
  });

  it('takes API keys, invitation tokens and webhook signing secrets for secrets, and nothing shorter', () => {
    const text = `a ${API_KEY_PREFIX}${'A'.repeat(40)} b whsec_${Buffer.alloc(32, 7).toString('base64')} c whsec_short d blink_other_${'x'.repeat(30)}`;
    expect((text.match(KEY_SHAPE) ?? []).map((s) => s.slice(0, 6))).toEqual([API_KEY_PREFIX.slice(0, 6), 'whsec_']);
  });

  it('fails a scan with a hit, naming the file', () => {
    expect(logScanProblems(scan({ hits: ['in-process-1-1.log: blink_sa_A… (52 chars)'] }))).toEqual([expect.stringContaining('in-process-1-1.log')]);
  });
});
