// Scenarios 1 + 2 of issue #14: convergence of N users + N service accounts over 10
// tenants against a fresh embedded control plane, and the limit: a minimal client
// doing exactly the writes the design needs per object, with the same concurrency.
//
//   node --import tsx bench/convergence.ts 2000        (N; --quick: N=100, shorter idle and fewer latency samples)
//
// Phases (one control plane, stopped at the end):
//   minimal: N SAs + N users created (16 in flight) into 10 plain namespaces; worker pools of
//            the operator's concurrency (4 for SAs, 1 for users) do the minimal writes per object.
//   operator: `blink-accounts operator run` as a child process (its own RSS), 10 Tenants, then N SAs
//            + N users created the same way; time until every object is converged.
// "Converged": a ServiceAccount is Ready=True for its generation; a User has a Ready condition
// for its generation (without SMTP it stays Ready=False, InvitationSent pending: the operator
// did all it can). API requests come from kube-apiserver's own apiserver_request_total
// (deltas), minus the benchmark's own creates and watches.
// Prints one JSON line per phase, a table on stderr, and writes bench/results/convergence-<N>.json.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { ACCESS_API_CLIENT_ROLE, accessApiClientClusterRole, DEFAULT_ACCESS_API_AUDIENCE } from '../operator/access/caller-access.js';
import { ACCOUNT_KINDS, FINALIZER, SHARD_LABEL, TENANT_LABEL } from '../operator/api/index.js';
import { ensureBinaries } from '../operator/dev-cluster/binaries.js';
import { startCluster, stopCluster } from '../operator/dev-cluster/cluster.js';
import type { ClusterState } from '../operator/dev-cluster/cluster.js';
import { installProduct } from '../operator/kube/install.js';
import { builtinKinds, collectionPath } from '../operator/runtime/kinds.js';
import type { KindDescriptor, KubeObject } from '../operator/runtime/kinds.js';
import { KubeClient } from '../operator/runtime/kube-client.js';
import { scrapeMetrics } from '../test/harness/metrics.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const N = quick ? 100 : Number(args.find((a) => /^\d+$/.test(a)) ?? 500);
const TENANTS = 10;
const IN_FLIGHT = 16;
const CAP_MS = Number(process.env['BENCH_CONVERGE_CAP_MS'] ?? (quick ? 60_000 : 600_000));
const CPU_PROF = args.includes('--cpu-prof');
/** Idle phase of the steady state. */
const IDLE_MS = quick ? 2_000 : 10_000;
const load = (): number[] => loadavg().map((l) => Math.round(l * 100) / 100);
const say = (m: string): void => void process.stderr.write(`[convergence] ${m}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++] as T);
  }));
}

/** A worker pool fed while items arrive (like a work queue), `size` workers. */
function pool<T>(size: number, fn: (item: T) => Promise<void>): { push(item: T): void; drained(): Promise<void> } {
  const queue: T[] = [];
  let waiting: (() => void)[] = [];
  let closed = false;
  const workers = Array.from({ length: size }, async () => {
    for (;;) {
      const item = queue.shift();
      if (item !== undefined) {
        await fn(item);
        continue;
      }
      if (closed) return;
      await new Promise<void>((r) => waiting.push(r));
    }
  });
  const wake = (): void => {
    const w = waiting;
    waiting = [];
    for (const r of w) r();
  };
  return {
    push(item) {
      queue.push(item);
      wake();
    },
    async drained() {
      closed = true;
      wake();
      await Promise.all(workers);
    },
  };
}

// --- control plane -------------------------------------------------------------------------------

/** The control plane's admin config, for the /metrics scraper's ServiceAccount (set with the CRDs). */
let metricsKubeConfig: KubeConfig | undefined;

async function installCrds(state: ClusterState): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(state.kubeconfig);
  await installProduct(kc);
  metricsKubeConfig = kc;
}

function httpsGet(state: ClusterState, path: string): Promise<string> {
  const ca = readFileSync(join(state.dir, 'pki', 'apiserver.crt'));
  const token = /token: (\S+)/.exec(readFileSync(state.kubeconfig, 'utf8'))?.[1] ?? '';
  const url = new URL(path, state.server);
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers: { authorization: `Bearer ${token}` }, timeout: 30_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.end();
  });
}

/** apiserver_request_total by "VERB resource[/subresource] code", for the resources the product touches. */
type Counts = Record<string, number>;
const RESOURCES = new Set(['serviceaccounts', 'users', 'tenants', 'secrets', 'events', 'rolebindings', 'namespaces', 'workspaces', 'groups', 'leases']);
async function requestCounts(state: ClusterState): Promise<Counts> {
  const text = await httpsGet(state, '/metrics');
  const counts: Counts = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = line.slice(line.indexOf('{') + 1, line.lastIndexOf('}'));
    const get = (name: string): string => new RegExp(`(?:^|,)${name}="([^"]*)"`).exec(labels)?.[1] ?? '';
    if (!RESOURCES.has(get('resource'))) continue;
    // Core ServiceAccounts (kube-controller-manager's "default" ones) are not the product's.
    if (get('resource') === 'serviceaccounts' && get('group') !== 'accounts.blinkops.com') continue;
    const sub = get('subresource');
    const key = `${get('verb')} ${get('resource')}${sub ? `/${sub}` : ''} ${get('code')}`;
    counts[key] = (counts[key] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return counts;
}

function delta(after: Counts, before: Counts, own: Counts): Counts {
  const out: Counts = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0) - (own[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

// --- objects ------------------------------------------------------------------------------------

interface Obj {
  readonly kind: 'sa' | 'user';
  readonly namespace: string;
  readonly name: string;
}

function objectsIn(namespaces: readonly string[]): Obj[] {
  const out: Obj[] = [];
  for (let i = 0; i < N; i++) {
    const namespace = namespaces[i % namespaces.length] as string;
    out.push({ kind: 'sa', namespace, name: `sa-${i}` }, { kind: 'user', namespace, name: `user-${i}` });
  }
  return out;
}

function bodyOf(o: Obj): KubeObject {
  return o.kind === 'sa'
    ? ({ metadata: { name: o.name, namespace: o.namespace }, spec: { role: 'Builder' } } as KubeObject)
    : ({ metadata: { name: o.name, namespace: o.namespace }, spec: { email: `${o.name}@example.com`, role: 'Consumer' } } as KubeObject);
}

const kindOf = (o: Obj): KindDescriptor => (o.kind === 'sa' ? ACCOUNT_KINDS.serviceAccount : ACCOUNT_KINDS.user);

async function makeNamespaces(client: KubeClient, prefix: string, tenants: boolean, shard: string): Promise<string[]> {
  const names = Array.from({ length: TENANTS }, (_, i) => `${prefix}-${i}`);
  for (const ns of names) {
    const tenant = `${prefix}-t${ns.slice(prefix.length + 1)}`;
    await client.create(builtinKinds.namespace, { metadata: { name: ns, ...(tenants ? { labels: { [TENANT_LABEL]: tenant, [SHARD_LABEL]: shard } } : {}) } });
    if (tenants) await client.create(ACCOUNT_KINDS.tenant, { metadata: { name: tenant, labels: { [SHARD_LABEL]: shard } }, spec: { namespace: ns, displayName: 'Benchmark', allowedEmailDomains: ['example.com'] } } as KubeObject);
  }
  return names;
}

/** Watches both kinds cluster-wide and resolves when every object of `objects` is converged. */
function watchConverged(client: KubeClient, namespaces: ReadonlySet<string>, objects: readonly Obj[], startedAt: number): { done: Promise<{ ms: number; curve: [number, number][] }>; stop(): void; readonly watches: number } {
  const want = new Set(objects.map((o) => `${o.kind}/${o.namespace}/${o.name}`));
  const converged = new Set<string>();
  const curve: [number, number][] = [];
  let resolve: (v: { ms: number; curve: [number, number][] }) => void = () => {};
  const done = new Promise<{ ms: number; curve: [number, number][] }>((r) => (resolve = r));
  const requests: Promise<{ abort(): void }>[] = [];
  const onLine = (kind: 'sa' | 'user') => (line: string): void => {
    if (!line) return;
    const event = JSON.parse(line) as { type: string; object: KubeObject & { status?: { observedGeneration?: number; conditions?: { type: string; status: string; observedGeneration?: number }[] } } };
    const o = event.object;
    if (!o.metadata?.namespace || !namespaces.has(o.metadata.namespace)) return;
    const ready = o.status?.conditions?.find((c) => c.type === 'Ready');
    const gen = o.metadata.generation;
    const ok = kind === 'sa' ? ready?.status === 'True' && o.status?.observedGeneration === gen : ready !== undefined && (ready.observedGeneration ?? o.status?.observedGeneration) === gen;
    const id = `${kind}/${o.metadata.namespace}/${o.metadata.name}`;
    if (!ok || !want.has(id) || converged.has(id)) return;
    converged.add(id);
    if (converged.size % Math.max(1, Math.floor(want.size / 50)) === 0 || converged.size === want.size) curve.push([Date.now() - startedAt, converged.size]);
    if (converged.size === want.size) resolve({ ms: Date.now() - startedAt, curve });
  };
  let stopped = false;
  const counter = { watches: 0 };
  const keepWatching = async (kind: 'sa' | 'user'): Promise<void> => {
    while (!stopped) {
      counter.watches++;
      const req = await client.watch(collectionPath(kind === 'sa' ? ACCOUNT_KINDS.serviceAccount : ACCOUNT_KINDS.user), {}, onLine(kind), () => {}).catch(() => undefined);
      if (req) {
        requests.push(Promise.resolve(req));
        await req.done;
      }
      if (!stopped) await sleep(300);
    }
  };
  void keepWatching('sa');
  void keepWatching('user');
  return {
    done,
    get watches() {
      return counter.watches;
    },
    stop: () => {
      stopped = true;
      void Promise.all(requests).then((rs) => rs.forEach((r) => r.abort()));
    },
  };
}

// --- the minimal client -------------------------------------------------------------------------

/**
 * The writes the design needs, per object, with no reads (the creating POST returns the
 * object): ServiceAccount: finalizer PATCH (the Secret is deleted explicitly on deletion),
 * Secret POST (the key, owned by the account), Event POST (KeyIssued, R13), status PATCH.
 * User (no SMTP): finalizer PATCH (its records are revoked on deletion), status PATCH.
 */
async function minimalWrites(client: KubeClient, o: Obj, created: KubeObject): Promise<void> {
  const kind = kindOf(o);
  await client.patch(kind, o.namespace, o.name, { metadata: { finalizers: [FINALIZER], resourceVersion: created.metadata?.resourceVersion } });
  const now = new Date().toISOString();
  const gen = created.metadata?.generation;
  if (o.kind === 'sa') {
    await client.create(builtinKinds.secret, {
      metadata: {
        name: `${o.name}-api-key`,
        namespace: o.namespace,
        ownerReferences: [{ apiVersion: 'accounts.blinkops.com/v1alpha1', kind: 'ServiceAccount', name: o.name, uid: created.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true }],
      },
      type: 'Opaque',
      data: { apiKey: Buffer.from('x'.repeat(48)).toString('base64') },
    } as KubeObject);
    await client.create(builtinKinds.event, {
      metadata: { name: `${o.name}.${Math.random().toString(16).slice(2, 10)}`, namespace: o.namespace },
      eventTime: now.replace(/\.(\d{3})Z$/, '.$1000Z'),
      reportingController: 'bench-minimal',
      reportingInstance: 'bench',
      action: 'KeyIssued',
      reason: 'KeyIssued',
      note: 'Issued API key',
      type: 'Normal',
      regarding: { apiVersion: 'accounts.blinkops.com/v1alpha1', kind: 'ServiceAccount', name: o.name, namespace: o.namespace, uid: created.metadata?.uid },
    } as KubeObject);
  }
  await client.patch(kind, o.namespace, o.name, { status: { observedGeneration: gen, conditions: [{ type: 'Ready', status: o.kind === 'sa' ? 'True' : 'False', reason: 'Bench', message: 'minimal client', lastTransitionTime: now, observedGeneration: gen }] } }, { subresource: 'status' });
}

async function runMinimal(state: ClusterState, client: KubeClient): Promise<Record<string, unknown>> {
  const namespaces = await makeNamespaces(client, 'min', false, '');
  const objects = objectsIn(namespaces);
  const before = await requestCounts(state);
  const started = Date.now();
  const watch = watchConverged(client, new Set(namespaces), objects, started);
  const sas = pool<[Obj, KubeObject]>(4, ([o, c]) => minimalWrites(client, o, c));
  const users = pool<[Obj, KubeObject]>(1, ([o, c]) => minimalWrites(client, o, c));
  await inParallel(objects, IN_FLIGHT, async (o) => {
    const created = await client.create(kindOf(o), bodyOf(o));
    (o.kind === 'sa' ? sas : users).push([o, created]);
  });
  const createdMs = Date.now() - started;
  await Promise.all([sas.drained(), users.drained()]);
  const result = await Promise.race([watch.done, sleep(CAP_MS).then(() => undefined)]);
  watch.stop();
  await sleep(500);
  const own = ownRequests(objects.length, watch.watches);
  const requests = delta(await requestCounts(state), before, own);
  return { phase: 'minimal', n: N, createdMs, convergedMs: result?.ms ?? null, timedOut: result === undefined, requests, perObject: perObject(requests), curve: result?.curve ?? [] };
}

function ownRequests(objects: number, watches: number): Counts {
  void watches; // the benchmark's watches are WATCH requests, left out of the per-object figures
  return { 'POST serviceaccounts 201': objects / 2, 'POST users 201': objects / 2 };
}

/** Requests per object (2N objects: N SAs + N users), by "VERB resource". */
function perObject(requests: Counts): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(requests)) {
    const [verb, resource] = k.split(' ');
    if (verb === 'WATCH' || verb === 'LIST') continue;
    const key = `${verb} ${resource}`;
    out[key] = Math.round(((out[key] ?? 0) + v / N) * 1000) / 1000;
  }
  return out;
}

// --- the operator -------------------------------------------------------------------------------

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function procStatus(pid: number): { rssMB: number; peakRssMB: number; cpuS: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (f: string): number => Number(new RegExp(`${f}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const cpuS = (Number(stat[11]) + Number(stat[12])) / 100;
    return { rssMB: Math.round(kb('VmRSS') / 1024), peakRssMB: Math.round(kb('VmHWM') / 1024), cpuS };
  } catch {
    return { rssMB: 0, peakRssMB: 0, cpuS: 0 };
  }
}

async function operatorMetric(port: number, names: readonly string[]): Promise<Record<string, number>> {
  const text = await scrapeMetrics(`http://127.0.0.1:${port}/metrics`, metricsKubeConfig ? { kubeConfig: metricsKubeConfig } : {});
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const name = line.split(/[{ ]/)[0] ?? '';
    if (!names.includes(name)) continue;
    const label = /(?:name|controller)="([^"]*)"/.exec(line)?.[1] ?? '';
    const result = /result="([^"]*)"/.exec(line)?.[1];
    out[`${name}${label ? `{${label}${result ? `,${result}` : ''}}` : ''}`] = Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return out;
}

interface OperatorChild {
  readonly pid: number;
  readonly readyMs: number;
  readonly metricsPort: number;
  readonly accessApiPort: number;
  stop(): Promise<void>;
}

/** Starts `blink-accounts operator run` and resolves once it logged that it started (caches synced). */
async function startOperatorProcess(state: ClusterState, shard: string, profile: boolean): Promise<OperatorChild> {
  const metricsPort = await freePort();
  const accessApiPort = await freePort();
  const cli = fileURLToPath(new URL('../bin/blink-accounts.js', import.meta.url));
  const profDir = fileURLToPath(new URL('./results/', import.meta.url));
  const spawnedAt = Date.now();
  const child = spawn(process.execPath, [...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []), cli, 'operator', 'run', '--kubeconfig', state.kubeconfig, '--host', '127.0.0.1', '--shard', shard, '--no-leader-elect', '--metrics-port', String(metricsPort), '--http-port', '0', '--access-api-port', String(accessApiPort)], {
    env: { ...process.env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  let started: () => void = () => {};
  const startedP = new Promise<void>((r) => (started = r));
  const onData = (c: Buffer): void => {
    tail = (tail + c.toString()).slice(-20_000);
    if (tail.includes('Started the operator')) started();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async (): Promise<void> => {
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(5_000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  try {
    await Promise.race([startedP, sleep(90_000).then(() => Promise.reject(new Error(`operator did not start: ${tail.slice(-2000)}`))), exited.then(() => Promise.reject(new Error(`operator exited: ${tail.slice(-2000)}`)))]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { pid: child.pid ?? 0, readyMs: Date.now() - spawnedAt, metricsPort, accessApiPort, stop };
}

const COUNTERS = ['workqueue_adds_total', 'controller_runtime_reconcile_total'];
const WRITE_VERBS = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'APPLY']);
function writesIn(requests: Counts): number {
  return Object.entries(requests).reduce((sum, [k, v]) => (WRITE_VERBS.has(k.split(' ')[0] ?? '') && !k.includes('leases') ? sum + v : sum), 0);
}

async function countersSince(port: number, before: Record<string, number>): Promise<Record<string, number>> {
  const after = await operatorMetric(port, COUNTERS);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) !== 0) out[k] = v - (before[k] ?? 0);
  return out;
}

async function runOperator(state: ClusterState, client: KubeClient): Promise<Record<string, unknown>> {
  const shard = 'bench';
  let op = await startOperatorProcess(state, shard, CPU_PROF);
  let sampler: NodeJS.Timeout | undefined;
  try {
    const readyMs = op.readyMs;
    const idle = procStatus(op.pid);
    const namespaces = await makeNamespaces(client, 'op', true, shard);
    await sleep(quick ? 1_000 : 3_000); // the Tenant controller settles its Tenants first
    const objects = objectsIn(namespaces);
    const before = await requestCounts(state);
    const metricsBefore = await operatorMetric(op.metricsPort, COUNTERS);
    const cpuBefore = procStatus(op.pid).cpuS;
    const rss: [number, number][] = [];
    const startedAt = Date.now();
    const pid = op.pid;
    sampler = setInterval(() => rss.push([Date.now() - startedAt, procStatus(pid).rssMB]), 500);
    const watch = watchConverged(client, new Set(namespaces), objects, startedAt);
    await inParallel(objects, IN_FLIGHT, (o) => client.create(kindOf(o), bodyOf(o)));
    const createdMs = Date.now() - startedAt;
    const result = await Promise.race([watch.done, sleep(CAP_MS).then(() => undefined)]);
    watch.stop();
    // Let what the last status writes triggered finish, then count.
    await sleep(quick ? 1_500 : 3_000);
    clearInterval(sampler);
    const after = procStatus(op.pid);
    const requests = delta(await requestCounts(state), before, ownRequests(objects.length, watch.watches));
    const operatorCounters = await countersSince(op.metricsPort, metricsBefore);

    // Steady state: idle for 10 s (3 s with --quick), then a restart (a full list and one reconcile of every converged
    // object: the resync that matters, since the operator sets no periodic resync), counting writes.
    const idleBefore = await requestCounts(state);
    const idleCpu = procStatus(op.pid).cpuS;
    await sleep(IDLE_MS);
    const idleWrites = writesIn(delta(await requestCounts(state), idleBefore, {}));
    const idleCpuS = Math.round((procStatus(op.pid).cpuS - idleCpu) * 100) / 100;
    await op.stop();
    const restartBefore = await requestCounts(state);
    op = await startOperatorProcess(state, shard, false);
    const restartPid = op.pid;
    const restartReady = { ms: op.readyMs, ...procStatus(restartPid) };
    const deadline = Date.now() + 120_000;
    let reconciled: Record<string, number> = {};
    while (Date.now() < deadline) {
      reconciled = await countersSince(op.metricsPort, {});
      const sum = (c: string): number => Object.entries(reconciled).filter(([k]) => k.startsWith(`controller_runtime_reconcile_total{${c},`)).reduce((a, [, v]) => a + v, 0);
      if (sum('service-account') >= N && sum('users') >= N) break;
      await sleep(500);
    }
    await sleep(quick ? 1_000 : 2_000);
    const restartRequests = delta(await requestCounts(state), restartBefore, {});
    const restartEnd = procStatus(restartPid);
    const heap = await operatorMetric(op.metricsPort, ['nodejs_heap_size_used_bytes', 'process_resident_memory_bytes']);
    // The access API caller first: its RoleBinding takes a moment to reach kube-apiserver's authorizer.
    const token = await accessApiToken(client);
    const latency = await createToReady(client, namespaces[0] as string, quick ? 10 : 30);
    const changeLatency = await changeToAnswer(client, op.accessApiPort, namespaces[0] as string, quick ? 15 : 50, token);
    return {
      phase: 'operator',
      n: N,
      readyMs,
      idleRssMB: idle.rssMB,
      createdMs,
      convergedMs: result?.ms ?? null,
      timedOut: result === undefined,
      peakRssMB: after.peakRssMB,
      cpuS: Math.round((after.cpuS - cpuBefore) * 100) / 100,
      requests,
      perObject: perObject(requests),
      operatorCounters,
      steady: {
        idle: { seconds: IDLE_MS / 1000, writes: idleWrites, cpuS: idleCpuS },
        restart: {
          objects: 2 * N,
          readyMs: restartReady.ms,
          rssAtReadyMB: restartReady.rssMB,
          peakRssMB: restartEnd.peakRssMB,
          heapUsedMB: Math.round((heap['nodejs_heap_size_used_bytes'] ?? 0) / 2 ** 20),
          cpuS: restartEnd.cpuS,
          writes: writesIn(restartRequests),
          requests: restartRequests,
          reconciles: reconciled,
        },
      },
      latency,
      changeLatency,
      curve: result?.curve ?? [],
      rss,
    };
  } finally {
    if (sampler) clearInterval(sampler);
    await op.stop();
  }
}

/**
 * Scenario 5 (create-to-Ready): on the idle, converged operator, one ServiceAccount at a time:
 * time from the POST until a watch sees it Ready for its generation. Capped at 10 s each.
 */
async function createToReady(client: KubeClient, namespace: string, samples: number): Promise<{ samples: number; p50Ms: number | null; p99Ms: number | null; maxMs: number | null; timedOut: number }> {
  const ms: number[] = [];
  let timedOut = 0;
  for (let i = 0; i < samples; i++) {
    const o: Obj = { kind: 'sa', namespace, name: `latency-${i}` };
    const started = Date.now();
    const watch = watchConverged(client, new Set([namespace]), [o], started);
    await client.create(kindOf(o), bodyOf(o));
    const result = await Promise.race([watch.done, sleep(10_000).then(() => undefined)]);
    watch.stop();
    if (result) ms.push(result.ms);
    else timedOut++;
  }
  ms.sort((a, b) => a - b);
  const at = (q: number): number | null => (ms.length ? (ms[Math.min(ms.length - 1, Math.ceil(q * ms.length) - 1)] ?? null) : null);
  return { samples, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: ms.length ? (ms[ms.length - 1] ?? null) : null, timedOut };
}

/** A caller of the access API as a platform service is one: a ServiceAccount bound to the client ClusterRole, a token for the audience. */
async function accessApiToken(client: KubeClient): Promise<string> {
  const namespace = 'bench-callers';
  const exists = (error: unknown): undefined => {
    if ((error as { code?: number }).code === 409) return undefined;
    throw error;
  };
  // The ClusterRole deploy/rbac/access-api-client.yaml installs (installProduct does not).
  await client.request('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', { body: accessApiClientClusterRole() }).catch(exists);
  await client.create(builtinKinds.namespace, { metadata: { name: namespace } }).catch(exists);
  await client.request('POST', `/api/v1/namespaces/${namespace}/serviceaccounts`, { body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'caller' } } }).catch(exists);
  await client.request('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'bench-access-api-caller' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: ACCESS_API_CLIENT_ROLE }, subjects: [{ kind: 'ServiceAccount', name: 'caller', namespace }] },
  }).catch(exists);
  const answer = await client.request<{ status?: { token?: string } }>('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/caller/token`, {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: [DEFAULT_ACCESS_API_AUDIENCE], expirationSeconds: 3600 } },
  });
  if (!answer.status?.token) throw new Error('The TokenRequest returned no token');
  return answer.status.token;
}

/**
 * Scenario 5 (change-to-access-API-answer): on the idle, converged operator, one ServiceAccount's role
 * flipped between Builder and Admin (a merge PATCH), and `settings` (Admin only) asked of the operator's
 * access API over and over, with a real bearer token, until the answer flips: time from sending the
 * PATCH to the first flipped answer. Capped at 5 s each.
 */
async function changeToAnswer(client: KubeClient, accessApiPort: number, namespace: string, samples: number, token: string): Promise<Record<string, unknown>> {
  const tenant = `op-t${namespace.slice('op-'.length)}`;
  const name = 'latency-0';
  const url = `http://127.0.0.1:${accessApiPort}/api/v1/authorize`;
  const body = JSON.stringify({ tenant, principal: { serviceAccount: name }, action: 'settings' });
  const ask = async (): Promise<boolean | undefined> => {
    const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
    const answer = (await res.json()) as { allowed?: boolean };
    return res.status === 200 ? answer.allowed === true : undefined;
  };
  // The role it has now, and a warm review cache.
  const sa = (await client.get(ACCOUNT_KINDS.serviceAccount, namespace, name)) as KubeObject & { spec?: { role?: string } };
  let admin = sa.spec?.role === 'Admin';
  // Warm the review caches. A refusal is cached for 2 s (the authenticator's denied TTL): retry for up to 20 s.
  for (let i = 0; ; i++) {
    const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
    const text = await res.text();
    if (res.status === 200) break;
    if (i === 20) throw new Error(`The access API answered ${res.status}: ${text.slice(0, 300)}`);
    await sleep(1_000);
  }
  const ms: number[] = [];
  const patchMs: number[] = [];
  let timedOut = 0;
  let polls = 0;
  let wrongStart = 0;
  for (let i = 0; i < samples; i++) {
    if ((await ask()) !== admin) wrongStart++;
    const want = !admin;
    const started = performance.now();
    const patched = client.patch(ACCOUNT_KINDS.serviceAccount, namespace, name, { spec: { role: want ? 'Admin' : 'Builder' } }).then(() => patchMs.push(performance.now() - started));
    let flipped = false;
    while (performance.now() - started < 5_000) {
      polls++;
      if ((await ask()) === want) {
        flipped = true;
        break;
      }
    }
    if (flipped) ms.push(performance.now() - started);
    else timedOut++;
    await patched;
    admin = want;
    await sleep(50);
  }
  ms.sort((a, b) => a - b);
  patchMs.sort((a, b) => a - b);
  const at = (values: number[], q: number): number | null => (values.length ? Math.round((values[Math.min(values.length - 1, Math.ceil(q * values.length) - 1)] ?? 0) * 10) / 10 : null);
  return { samples, change: 'ServiceAccount spec.role Builder <-> Admin, asked "settings"', p50Ms: at(ms, 0.5), p99Ms: at(ms, 0.99), maxMs: at(ms, 1), patchP50Ms: at(patchMs, 0.5), polls, timedOut, wrongStart, samplesMs: ms.map((v) => Math.round(v)) };
}

// --- charts -------------------------------------------------------------------------------------

/** A small SVG line chart: one polyline per series. */
export function lineChart(title: string, xLabel: string, yLabel: string, series: { name: string; color: string; points: [number, number][] }[]): string {
  const W = 640, H = 360, L = 60, R = 20, T = 30, B = 40;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const xMax = Math.max(1, ...xs), yMax = Math.max(1, ...ys);
  const px = (x: number): number => L + (x / xMax) * (W - L - R);
  const py = (y: number): number => H - B - (y / yMax) * (H - T - B);
  const lines = series.map((s, i) => `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${s.points.map((p) => `${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join(' ')}"/><text x="${L + 10}" y="${T + 15 + i * 16}" fill="${s.color}" font-size="12">${s.name}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/><text x="${W / 2}" y="18" text-anchor="middle" font-size="14">${title}</text><line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="black"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="black"/><text x="${W / 2}" y="${H - 8}" text-anchor="middle" font-size="12">${xLabel} (max ${xMax})</text><text x="14" y="${H / 2}" transform="rotate(-90 14 ${H / 2})" text-anchor="middle" font-size="12">${yLabel} (max ${yMax})</text>${lines.join('')}</svg>\n`;
}

// --- main ---------------------------------------------------------------------------------------

const name = `bench-${process.pid}`;
const hardCap = setTimeout(() => {
  say(`hard cap reached; stopping`);
  void stopCluster(name).finally(() => process.exit(2));
}, CAP_MS * 2 + 180_000);
hardCap.unref();
let exitCode = 0;
try {
  const binaries = await ensureBinaries(say);
  const t0 = Date.now();
  const state = await startCluster({ name, binaries, ownerPid: process.pid });
  say(`control plane up in ${Date.now() - t0} ms`);
  await installCrds(state);
  const kc = new KubeConfig();
  kc.loadFromFile(state.kubeconfig);
  const client = new KubeClient(kc, { maxSockets: 64, userAgent: 'bench' });
  try {
    const loadBefore = load();
    const minimal = await runMinimal(state, client);
    say(`minimal: ${JSON.stringify({ ...minimal, curve: undefined })}`);
    const op = await runOperator(state, client);
    const loadAfter = load();
    const ratio = typeof op['convergedMs'] === 'number' && typeof minimal['convergedMs'] === 'number' ? Math.round((op['convergedMs'] / minimal['convergedMs']) * 100) / 100 : null;
    const summary = { n: N, objects: 2 * N, tenants: TENANTS, inFlight: IN_FLIGHT, loadBefore, loadAfter, operatorOverMinimal: ratio, minimal, operator: op };
    process.stdout.write(`${JSON.stringify({ result: 'convergence', n: N, operatorOverMinimal: ratio, operatorMs: op['convergedMs'], minimalMs: minimal['convergedMs'], peakRssMB: op['peakRssMB'], readyMs: op['readyMs'], cpuS: op['cpuS'], perObject: op['perObject'], minimalPerObject: minimal['perObject'], operatorCounters: op['operatorCounters'], steady: op['steady'], latency: op['latency'], changeLatency: op['changeLatency'], loadAverage: loadAfter })}\n`);
    const table = [
      `| N (SAs + users) | minimal | operator | operator/minimal | peak RSS | load |`,
      `|---:|---:|---:|---:|---:|---|`,
      `| ${N} + ${N} | ${((minimal['convergedMs'] as number) / 1000).toFixed(1)} s | ${((op['convergedMs'] as number) / 1000).toFixed(1)} s | ${ratio} | ${op['peakRssMB']} MB | ${loadBefore.join(', ')} → ${loadAfter.join(', ')} |`,
      '',
      '| requests per object (N SAs, N users; per N) | minimal | operator |',
      '|---|---:|---:|',
      ...[...new Set([...Object.keys(minimal['perObject'] as object), ...Object.keys(op['perObject'] as object)])].sort().map((k) => `| ${k} | ${(minimal['perObject'] as Record<string, number>)[k] ?? 0} | ${(op['perObject'] as Record<string, number>)[k] ?? 0} |`),
    ].join('\n');
    process.stderr.write(`${table}\n`);
    const dir = fileURLToPath(new URL('./results/', import.meta.url));
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `convergence-${N}.json`), `${JSON.stringify(summary, null, 2)}\n`);
    await writeFile(
      join(dir, `convergence-${N}.svg`),
      lineChart(`Converged objects over time, N=${N} SAs + ${N} users`, 'ms since the first create', 'converged objects', [
        { name: 'minimal client', color: '#1f77b4', points: minimal['curve'] as [number, number][] },
        { name: 'operator', color: '#d62728', points: op['curve'] as [number, number][] },
      ]),
    );
    // A benchmark that did not converge, or wrote while converged, failed (bench/run.ts exits non-zero).
    const steady = op['steady'] as { idle: { writes: number }; restart: { writes: number } };
    if (op['timedOut'] || minimal['timedOut']) exitCode = 1;
    if (steady.idle.writes > 0 || steady.restart.writes > 0) exitCode = 1;
  } finally {
    client.close();
  }
} catch (error) {
  say(`failed: ${(error as Error).stack ?? String(error)}`);
  exitCode = 1;
} finally {
  await stopCluster(name).catch(() => {});
}
process.exit(exitCode);
