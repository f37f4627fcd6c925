// Runs every benchmark in sequence, each in its own node process (own heap, the
// flags it needs), and prints one JSON line per result, each tagged with its run.
// First line: the machine and its load, since every figure depends on them.
//   node --import tsx bench/run.ts            (what `npm run bench` does)
//   node --import tsx bench/run.ts --quick    (`npm run bench -- --quick`: every scenario, small: 10 tenants, 20k cached objects, convergence at N=100)
//   node --import tsx bench/run.ts --scale [--tenants T --users U --service-accounts S]
//        (`npm run bench -- --scale`: the spec's scale through the embedded control plane, default 100 × (1,000 + 1,000); hours)
import { spawn } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { createInterface } from 'node:readline';

interface Run {
  /** Tag of this run's result lines. */
  readonly run: string;
  readonly file: string;
  readonly args: readonly string[];
  /** The run is killed past this (a benchmark must always stop). */
  readonly maxMs: number;
}

const quick = process.argv.includes('--quick');
const scale = process.argv.includes('--scale');
const RUNS: readonly Run[] = scale
  ? [{ run: 'scale', file: 'convergence.ts', args: process.argv.slice(2), maxMs: 6 * 3_600_000 }]
  : quick
  ? [
      { run: 'resync-converged 10k', file: 'resync-converged.ts', args: ['10000', '4'], maxMs: 30_000 },
      // Scenario 6 at 10 tenants: bare server, access API without and with auth, 3,000 requests per endpoint in 2 rounds.
      { run: 'access-api 10 tenants (quick)', file: 'access-api.ts', args: ['10', '3000', '16', '1000', '1000', '3000', '2'], maxMs: 90_000 },
      // Scenario 4, one small point: 20,000 cached objects (the ready-in-15-s target's size).
      { run: 'cache-scale 20k (quick)', file: 'cache-scale.ts', args: ['20000'], maxMs: 60_000 },
      // Scenarios 1-3 and 5 at N=100 (its own embedded control plane).
      { run: 'convergence quick', file: 'convergence.ts', args: ['--quick'], maxMs: 180_000 },
    ]
  : [
      { run: 'resync-converged 10k', file: 'resync-converged.ts', args: ['10000', '4'], maxMs: 60_000 },
      // 10 tenants × (1,000 users + 1,000 service accounts), then the PRODUCT §10 scale: 100 tenants.
      // Each HTTP endpoint runs against the bare server, the access API without auth and with it, alternating.
      { run: 'access-api 10 tenants', file: 'access-api.ts', args: ['10', '20000', '16'], maxMs: 150_000 },
      { run: 'access-api 100 tenants', file: 'access-api.ts', args: ['100', '20000', '16'], maxMs: 240_000 },
      // Scenario 4: 2,000 / 10,000 / 20,000 / 100,000 cached objects, each in a fresh process.
      { run: 'cache-scale', file: 'cache-scale.ts', args: ['2000,10000,20000,100000'], maxMs: 300_000 },
      // Issue #14 scenarios 1-3 and 5 (bench/convergence.ts): each starts and stops its own embedded control plane.
      ...[500, 2000, 5000].map((n) => ({ run: `convergence ${n}`, file: 'convergence.ts', args: [String(n)], maxMs: 1_500_000 })),
    ];
const NODE_FLAGS = ['--expose-gc', '--max-old-space-size=4096', '--import', 'tsx'];

const print = (line: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(line)}\n`);

function runOne(spec: Run): Promise<boolean> {
  const child = spawn(process.execPath, [...NODE_FLAGS, new URL(spec.file, import.meta.url).pathname, ...spec.args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const started = performance.now();
  const timer = setTimeout(() => {
    print({ run: spec.run, error: `Killed after ${spec.maxMs} ms` });
    child.kill('SIGKILL');
  }, spec.maxMs);
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      print({ run: spec.run, ...(JSON.parse(line) as Record<string, unknown>) });
    } catch {
      process.stderr.write(`${line}\n`);
    }
  });
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) print({ run: spec.run, error: `Exited with ${code}`, ms: Math.round(performance.now() - started) });
      else print({ run: spec.run, finished: true, ms: Math.round(performance.now() - started), loadAverage: loadavg().map((l) => Math.round(l * 100) / 100) });
      resolve(code === 0);
    });
  });
}

print({ run: 'machine', cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGB: Math.round(totalmem() / 2 ** 30), loadAverage: loadavg().map((l) => Math.round(l * 100) / 100), node: process.version });
let ok = true;
const started = performance.now();
for (const spec of RUNS) ok = (await runOne(spec)) && ok;
print({ run: 'done', ms: Math.round(performance.now() - started), loadAverage: loadavg().map((l) => Math.round(l * 100) / 100), ok });
process.exit(ok ? 0 : 1);
