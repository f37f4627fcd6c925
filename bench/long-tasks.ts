// Issue 24 §2 (event-loop lag ≤ 20 ms while converging): which single tasks of the operator grow
// with the size of the cluster. The real operator (every feature, as bench/cache-scale.ts runs it)
// on the synthetic cluster of bench/synthetic-cluster.ts (no API server: lists served in-process),
// with its controllers running (no leader election; the synthetic client refuses the writes a
// reconcile would make, so a reconcile that wants to write fails and backs off as it would on a
// refusing server). A 5-ms timer records every macrotask whose main-thread CPU reached 10 ms (the
// lag probe's measure: min(lateness, CPU used since the last tick)), per phase:
//   start    startOperator until ready (every informer synced: the first lists)
//   settle   the controllers' first pass over every cached object (until the queues drain, ≤ 60 s)
//   relist   every informer relists (as after a watch's 410 Gone), the difference delivered
//   scrape   the /metrics registry rendered (what a Prometheus scrape costs the loop)
// With --profile, a CPU profile (node:inspector) runs throughout and each long task is given its
// samples' top stacks (operator frames, leaf first).
//   node --expose-gc --max-old-space-size=4096 --import tsx bench/long-tasks.ts [objects=20000] [--profile]
// Prints one JSON line per phase (counts, the longest tasks) and, with --profile, the stacks on stderr.
import { Session } from 'node:inspector/promises';
import { loadavg } from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../operator/runtime/kube-client.js';
import { installSyntheticClient } from './synthetic-cluster.js';
import type { ClusterShape } from './synthetic-cluster.js';

const objects = Number(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 20_000);
const profile = process.argv.includes('--profile');
const TICK_MS = 5;

/** bench/cache-scale.ts's shape (that file runs when imported): per tenant U users, U service accounts, U key Secrets, ~0.95 U RoleBindings; one tenant per 10,000 objects. */
function shapeFor(total: number): ClusterShape {
  const tenants = Math.max(1, Math.round(total / 10_000));
  const perTenant = Math.max(1, Math.round((total / tenants - 12) / 3.95));
  return { tenants, usersPerTenant: perTenant, serviceAccountsPerTenant: perTenant, workspacesPerTenant: 10 };
}
const LONG_MS = 10;

interface LongTask {
  readonly phase: string;
  readonly cpuMs: number;
  readonly wallMs: number;
  readonly startNs: bigint;
  readonly endNs: bigint;
}
const tasks: LongTask[] = [];
let phase = 'imports';
/** CPU the bench itself used building list pages, which the probe does not count as the operator's. */
let benchCpuMs = 0;
let probing = true;
{
  let lastCpu = process.threadCpuUsage();
  let lastAt = performance.now();
  let lastNs = process.hrtime.bigint();
  const tick = (): void => {
    const now = performance.now();
    const nowNs = process.hrtime.bigint();
    const used = process.threadCpuUsage(lastCpu);
    const wallLag = Math.max(0, now - lastAt - TICK_MS);
    const cpuLag = Math.max(0, Math.min(wallLag, (used.user + used.system) / 1000 - benchCpuMs));
    benchCpuMs = 0;
    if (cpuLag >= LONG_MS) tasks.push({ phase, cpuMs: Math.round(cpuLag * 10) / 10, wallMs: Math.round(wallLag * 10) / 10, startNs: lastNs, endNs: nowNs });
    lastCpu = process.threadCpuUsage();
    lastAt = performance.now();
    lastNs = process.hrtime.bigint();
    if (probing) setTimeout(tick, TICK_MS);
  };
  setTimeout(tick, TICK_MS);
}

const session = new Session();
if (profile) {
  session.connect();
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
}

const { startOperator } = await import('../operator/operator.js');
const { FEATURES } = await import('../operator/features.js');
const { createLogger } = await import('../operator/runtime/logger.js');
const shape = shapeFor(objects);
const client = installSyntheticClient(shape);
// The synthetic client answers a list at once, its pages all in one task. Here each page comes in a
// later macrotask, as a network answer does, and the time spent building it (the bench's work, not the
// operator's) is kept out of the task measures; the operator's part (JSON.parse of the page and what
// the informer does with it) stays in the task that delivers it.
const synthetic = (KubeClient.prototype as unknown as { list: (...args: unknown[]) => Promise<unknown> }).list;
(KubeClient.prototype as unknown as { list: (...args: unknown[]) => Promise<unknown> }).list = async function list(this: unknown, ...args: unknown[]): Promise<unknown> {
  const before = process.threadCpuUsage();
  const text = JSON.stringify(await synthetic.apply(this, args));
  const used = process.threadCpuUsage(before);
  benchCpuMs += (used.user + used.system) / 1000;
  await new Promise((resolve) => setImmediate(resolve));
  return JSON.parse(text) as unknown;
};
const kubeConfig = new KubeConfig();
kubeConfig.loadFromOptions({ clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }], users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });

const phases: { phase: string; ms: number }[] = [];
async function inPhase(name: string, run: () => Promise<void>): Promise<void> {
  // A quiet moment between phases, so a task is counted in the phase that caused it.
  await new Promise((resolve) => setTimeout(resolve, 50));
  phase = name;
  const started = performance.now();
  await run();
  phases.push({ phase: name, ms: Math.round(performance.now() - started) });
}

type Internals = {
  informers: Map<string, { relistSoon(): Promise<void>; size: number }>;
  controllers: { name: string; queue: { length: number; inFlight: number } }[];
  metrics: { registry: { metrics(): Promise<string> } };
};
let manager: Internals | undefined;
let stopOperator: (() => Promise<void>) | undefined;
await inPhase('start', async () => {
  const operator = await startOperator({ kubeConfig, httpPort: 0, metricsPort: 0, accessApiPort: 0, host: '127.0.0.1', identity: 'bench', leaderElection: false, logger: createLogger({ level: 'silent' }) }, FEATURES);
  // Bench only: the manager's private informers, controllers and registry.
  manager = operator.manager as unknown as Internals;
  stopOperator = () => operator.stop();
});
if (!manager) throw new Error('The operator did not start');
const m = manager;
const queued = (): number => m.controllers.reduce((sum, c) => sum + c.queue.length + c.queue.inFlight, 0);
await inPhase('settle', async () => {
  const deadline = performance.now() + 60_000;
  while (queued() > 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
});
await inPhase('relist', async () => {
  await Promise.all([...m.informers.values()].map((informer) => informer.relistSoon()));
});
await inPhase('scrape', async () => {
  for (let i = 0; i < 3; i++) await m.metrics.registry.metrics();
});
phase = 'stop';
probing = false;

let cpuProfile: { nodes: { id: number; parent?: number; children?: number[]; callFrame: { functionName: string; url: string; lineNumber: number } }[]; startTime: number; samples: number[]; timeDeltas: number[] } | undefined;
if (profile) cpuProfile = (await session.post('Profiler.stop')).profile as unknown as typeof cpuProfile;
await Promise.race([stopOperator?.(), new Promise((resolve) => setTimeout(resolve, 3_000))]);

const load = loadavg().map((l) => Math.round(l * 100) / 100);
const cached = Object.values(client.listed).reduce((a, b) => a + b, 0);
for (const { phase: name, ms } of phases) {
  const mine = tasks.filter((t) => t.phase === name).sort((a, b) => b.cpuMs - a.cpuMs);
  process.stdout.write(
    `${JSON.stringify({ bench: 'long-tasks', objects, listed: cached, phase: name, ms, tasksOver10Ms: mine.length, tasksOver20Ms: mine.filter((t) => t.cpuMs >= 20).length, longestCpuMs: mine.slice(0, 8).map((t) => t.cpuMs), loadAverage: load })}\n`,
  );
}

if (cpuProfile) {
  // Each long task: the samples inside it, by their innermost frame in the operator's code (else the leaf), with two callers.
  const p = cpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const frame = (id: number): string => {
    const f = byId.get(id)?.callFrame;
    return f ? `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(operator|bench|node_modules)\//, '$1/')}:${f.lineNumber + 1}` : '?';
  };
  const isOurs = (id: number): boolean => /\/operator\/(?!.*node_modules)/.test(byId.get(id)?.callFrame.url ?? '');
  const stackOf = (leaf: number): string => {
    const chain: number[] = [];
    for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) chain.push(id);
    const first = chain.findIndex(isOurs);
    const from = first < 0 ? 0 : first;
    return [chain[0] !== undefined && first > 0 ? `${frame(chain[0])} ←` : '', ...chain.slice(from, from + 4).map(frame)].filter(Boolean).join(' ← ');
  };
  const sampleAt: { ns: bigint; id: number }[] = [];
  let at = BigInt(p.startTime) * 1000n;
  p.samples.forEach((id, i) => {
    at += BigInt(p.timeDeltas[i] ?? 0) * 1000n;
    sampleAt.push({ ns: at, id });
  });
  const longest = [...tasks].filter((t) => t.phase !== 'imports' && t.phase !== 'stop').sort((a, b) => b.cpuMs - a.cpuMs).slice(0, 12);
  for (const task of longest) {
    const counts = new Map<string, number>();
    let total = 0;
    for (const s of sampleAt) {
      if (s.ns < task.startNs || s.ns > task.endNs) continue;
      const name = byId.get(s.id)?.callFrame.functionName;
      if (name === '(idle)' || name === '(program)' || name === '(garbage collector)') {
        if (name === '(garbage collector)') counts.set('(garbage collector)', (counts.get('(garbage collector)') ?? 0) + 1);
        total++;
        continue;
      }
      const key = stackOf(s.id);
      counts.set(key, (counts.get(key) ?? 0) + 1);
      total++;
    }
    process.stderr.write(`\n[${task.phase}] task ${task.cpuMs} ms CPU (${task.wallMs} ms wall), ${total} samples:\n`);
    for (const [stack, n] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, 6)) process.stderr.write(`  ${String(Math.round((n / Math.max(1, total)) * 100)).padStart(3)}%  ${stack}\n`);
  }
}
process.exit(0);
