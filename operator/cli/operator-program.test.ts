// The operator process loads what the operator runs and nothing of the rest of the CLI:
// `blink-accounts operator run --help` is started for real (through tsx, as bin/ does) with a
// module hook that lists every module loaded, and the heavy packages the operator has no use
// for at start-up must not be among them.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../bin/blink-accounts.js', import.meta.url));

/** Lists, at exit, every module loaded from node_modules (its path from there). */
const HOOK = `data:text/javascript,${encodeURIComponent(`
import { registerHooks } from 'node:module';
const seen = new Set();
registerHooks({ load(url, context, next) { const m = /node_modules\\/(.*)/.exec(url); if (m) seen.add(m[1]); return next(url, context); } });
process.on('exit', () => process.stderr.write('MODULES ' + JSON.stringify([...seen].sort()) + '\\n'));
`)}`;

async function modulesLoaded(args: readonly string[]): Promise<string[]> {
  const { stderr } = await run(process.execPath, ['--import', HOOK, BIN, ...args], { timeout: 60_000 });
  return JSON.parse(/MODULES (.*)/.exec(stderr)?.[1] ?? 'null') as string[];
}

const packageOf = (path: string): string => path.split('/').slice(0, path.startsWith('@') ? 2 : 1).join('/');

/** What the CLI needs and the operator does not: the generated Kubernetes client, CDKTF, the dev SMTP server, the CSV import. */
const NOT_IN_THE_OPERATOR = ['@kubernetes/client-node', 'cdktf', 'constructs', '@cdktf/provider-null', 'smtp-server', 'mailparser', 'csv-parse', 'undici'];

describe('the operator entry point', () => {
  it('loads none of the CLI-only packages', async () => {
    const loaded = await modulesLoaded(['operator', 'run', '--help']);
    const packages = [...new Set(loaded.map(packageOf))];
    expect(packages).toContain('commander');
    expect(packages.filter((p) => NOT_IN_THE_OPERATOR.includes(p))).toEqual([]);
    // nodemailer's address parser (one file) checks addresses; the mailer itself loads with the first email.
    expect(loaded.filter((m) => m.startsWith('nodemailer/') && !m.includes('/addressparser/'))).toEqual([]);
  }, 60_000);

  it('would see them: the whole CLI loads them', async () => {
    const loaded = (await modulesLoaded(['--help'])).map(packageOf);
    expect(loaded).toEqual(expect.arrayContaining(['@kubernetes/client-node', 'cdktf']));
  }, 60_000);
});
