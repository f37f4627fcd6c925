// Scenario 4 of issue #14, cache scale: RSS and heap of a real operator (every feature, as in
// bench/access-api.ts) whose caches hold 2,000 / 10,000 / 20,000 / 100,000 objects of the synthetic
// cluster (bench/synthetic-cluster.ts), and the time from process start to ready (every informer synced).
// Each size runs in a fresh node process, so RSS, peak RSS and start-up are that size's alone.
//   node --import tsx bench/cache-scale.ts [sizes=2000,10000,20000,100000] [--by-kind]
// `--by-kind` adds, per informer, the heap its cached objects hold alone: after the measurement, each
// informer's cache is emptied in turn and the heap freed by it is divided by the objects it held.
// Prints one JSON line per size. The child (`--child <objects>`) does the measuring.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { ClusterShape } from './synthetic-cluster.js';

const load = (): number[] => loadavg().map((l) => Math.round(l * 100) / 100);

/**
 * A synthetic cluster of about `objects` cached objects: per tenant U users (19 in 20 with a
 * RoleBinding) and their U invitation records, U service accounts and their U key Secrets, 10
 * workspaces, the Tenant and its Namespace: 4.95 U + 12 objects; one tenant per 10,000 objects.
 * The objects are shaped as a real cluster's (bench/synthetic-cluster.ts says how).
 */
export function shapeFor(objects: number): ClusterShape {
  const tenants = Math.max(1, Math.round(objects / 10_000));
  const perTenant = Math.max(1, Math.round((objects / tenants - 12) / 4.95));
  return { tenants, usersPerTenant: perTenant, serviceAccountsPerTenant: perTenant, workspacesPerTenant: 10 };
}

/** Heap freed by emptying each informer's cache in turn (store and indexes), per object it held. */
function heapByKind(manager: object, heap: () => number): Record<string, { objects: number; bytesPerObject: number; indexBytesPerObject: number }> {
  // Bench only: reaches into the informers' private stores; the process ends right after.
  const informers = (manager as unknown as { informers: Map<string, { kind: { kind: string }; options: { fieldSelector?: string }; store: Map<string, unknown>; indexes: Map<string, { values: Map<string, unknown> }> }> }).informers;
  const out: Record<string, { objects: number; bytesPerObject: number; indexBytesPerObject: number }> = {};
  let before = heap();
  for (const informer of informers.values()) {
    const objects = informer.store.size;
    if (objects < 100) continue;
    for (const index of informer.indexes.values()) index.values.clear();
    const withoutIndexes = heap();
    informer.store.clear();
    const after = heap();
    // Secrets by their type (key Secrets, invitation records): `Secret api-key`, `Secret invitation`.
    const type = /^type=.*\/(.+)$/.exec(informer.options.fieldSelector ?? '')?.[1];
    out[type ? `${informer.kind.kind} ${type}` : informer.kind.kind] = { objects, bytesPerObject: Math.round((before - after) / objects), indexBytesPerObject: Math.round((before - withoutIndexes) / objects) };
    before = after;
  }
  return out;
}

/** Keys waiting in the controllers' work queues (a standby queues every object and never drains) and the heap they hold. */
function heapInQueues(manager: object, heap: () => number): { queuedKeys: number; heapMBInQueues: number } {
  // Bench only, as heapByKind: empties the queues' private maps.
  type Queue = { dirty: Map<string, unknown>; queuedAt: Map<string, number>; lanes: Record<string, { items: string[]; head: number }> };
  const controllers = (manager as unknown as { controllers: { queue: Queue }[] }).controllers;
  const before = heap();
  let queuedKeys = 0;
  for (const { queue } of controllers) {
    queuedKeys += queue.dirty.size;
    queue.dirty.clear();
    queue.queuedAt.clear();
    for (const lane of Object.values(queue.lanes)) {
      lane.items = [];
      lane.head = 0;
    }
  }
  return { queuedKeys, heapMBInQueues: Math.round((before - heap()) / 1e5) / 10 };
}

async function child(objects: number, byKind: boolean): Promise<void> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const { installSyntheticClient } = await import('./synthetic-cluster.js');
  const { startOperator } = await import('../operator/operator.js');
  const { FEATURES } = await import('../operator/features.js');
  const { createLogger } = await import('../operator/runtime/logger.js');
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('Run with --expose-gc');
  const heap = (): number => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  const importedMs = performance.now();
  const shape = shapeFor(objects);
  const client = installSyntheticClient(shape);
  const heapBefore = heap();
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({ clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }], users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
  const started = performance.now();
  const operator = await startOperator({ kubeConfig, httpPort: 0, metricsPort: 0, accessApiPort: 0, host: '127.0.0.1', identity: 'bench', logger: createLogger({ level: 'silent' }) }, FEATURES);
  const readyMs = performance.now();
  const rssAtReady = process.memoryUsage().rss;
  const heapAfter = heap();
  const cached = Object.values(client.listed).reduce((a, b) => a + b, 0);
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  const mb = (bytes: number): number => Math.round(bytes / 1e5) / 10;
  process.stdout.write(
    `${JSON.stringify({
      bench: 'cache-scale',
      objects: cached,
      shape,
      listed: client.listed,
      // performance.now() counts from process start: node start-up, loading the TypeScript sources through tsx, then the operator.
      processStartToReadyMs: Math.round(readyMs),
      importsMs: Math.round(importedMs),
      startOperatorMs: Math.round(readyMs - started),
      synthesisMs: Math.round(client.synthesisMs),
      operatorShareMs: Math.round(readyMs - started - client.synthesisMs),
      heapMB: mb(heapAfter - heapBefore),
      heapBytesPerObject: Math.round((heapAfter - heapBefore) / cached),
      rssAtReadyMB: mb(rssAtReady),
      peakRssMB: mb(kb('VmHWM') * 1024),
      peakRssOverHeap: Math.round((kb('VmHWM') * 1024 * 100) / (heapAfter - heapBefore)) / 100,
      loadAverage: load(),
      ...(byKind ? { byKind: heapByKind(operator.manager, heap), heapMBLeftWithoutCaches: mb(heap() - heapBefore), ...heapInQueues(operator.manager, heap) } : {}),
    })}\n`,
  );
  await Promise.race([operator.stop(), new Promise((resolve) => setTimeout(resolve, 3_000))]);
  process.exit(0);
}

function runChild(objects: number, byKind: boolean): Promise<boolean> {
  const file = fileURLToPath(import.meta.url);
  const proc = spawn(process.execPath, ['--expose-gc', '--max-old-space-size=4096', '--import', 'tsx', file, '--child', String(objects), ...(byKind ? ['--by-kind'] : [])], { stdio: ['ignore', 'inherit', 'inherit'] });
  const timer = setTimeout(() => proc.kill('SIGKILL'), 180_000);
  return new Promise((resolve) =>
    proc.once('close', (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    }),
  );
}

const at = process.argv.indexOf('--child');
if (at >= 0) {
  await child(Number(process.argv[at + 1]), process.argv.includes('--by-kind'));
} else {
  const args = process.argv.slice(2).filter((a) => a !== '--by-kind');
  const sizes = (args[0] ?? '2000,10000,20000,100000').split(',').map(Number);
  let ok = true;
  for (const size of sizes) ok = (await runChild(size, process.argv.includes('--by-kind'))) && ok;
  process.exit(ok ? 0 : 1);
}
