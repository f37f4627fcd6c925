// Benchmark: a full resync of N converged objects through the runtime's real
// queue and controller code, with the reconcile deciding "nothing to write"
// (deep compare of the derived status against the cached one).
//   node --import tsx bench/resync-converged.ts [count=10000] [concurrency=4]
// The API client refuses every request: a single write (or read) fails the run.
import { KubeConfig } from '@kubernetes/client-node';
import { Controller, KubeClient, RuntimeMetrics, createLogger, setCondition, systemClock, writeStatus } from '../operator/runtime/index.js';
import type { Condition, KindDescriptor, KubeObject } from '../operator/runtime/index.js';

const count = Number(process.argv[2] ?? 10_000);
const concurrency = Number(process.argv[3] ?? 4);
const kind: KindDescriptor = { group: 'bench.blink.dev', version: 'v1', kind: 'Widget', plural: 'widgets', namespaced: true };
type Widget = KubeObject & { spec: { size: number }; status: { observedGeneration: number; doubled: number; conditions: Condition[] } };

class RefusingClient extends KubeClient {
  requests = 0;
  override request<T>(method: string, path: string): Promise<T> {
    this.requests++;
    return Promise.reject(new Error(`Unexpected request ${method} ${path}`));
  }
}

const kc = new KubeConfig();
kc.loadFromOptions({ clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }], users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
const client = new RefusingClient(kc);
const now = Date.UTC(2026, 0, 1);
const cache = new Map<string, Widget>();
for (let i = 0; i < count; i++) {
  const size = i % 7;
  cache.set(`ns-${i % 100}/w${i}`, {
    metadata: { namespace: `ns-${i % 100}`, name: `w${i}`, generation: 3, resourceVersion: String(1000 + i) },
    spec: { size },
    status: { observedGeneration: 3, doubled: size * 2, conditions: setCondition([], { type: 'Ready', status: 'True', reason: 'Reconciled', message: 'Widget is doubled', observedGeneration: 3 }, now) },
  });
}

let writes = 0;
const controller = new Controller({
  name: 'bench',
  concurrency,
  clock: systemClock,
  logger: createLogger({ level: 'silent' }),
  metrics: new RuntimeMetrics(),
  client,
  recorder: { event: () => Promise.resolve() },
  reconcile: async (key, ctx) => {
    const widget = cache.get(key);
    if (!widget) return;
    const status = {
      ...widget.status,
      observedGeneration: widget.metadata?.generation ?? 0,
      doubled: widget.spec.size * 2,
      conditions: setCondition(widget.status.conditions, { type: 'Ready', status: 'True', reason: 'Reconciled', message: 'Widget is doubled', observedGeneration: 3 }, ctx.clock.now()),
    };
    if (await writeStatus(ctx.client, kind, widget, status)) writes++;
  },
});

const stop = new AbortController();
const running = controller.run(stop.signal, new AbortController().signal);
const heapBefore = process.memoryUsage().heapUsed;
const started = process.hrtime.bigint();
for (const key of cache.keys()) controller.queue.add(key);
while (controller.queue.length > 0 || controller.queue.inFlight > 0) await new Promise((resolve) => setImmediate(resolve));
const ms = Number(process.hrtime.bigint() - started) / 1e6;
stop.abort();
await running;
const result = { objects: count, concurrency, ms: Math.round(ms), reconcilesPerSecond: Math.round((count / ms) * 1000), writes, requests: client.requests, heapDeltaMB: Math.round((process.memoryUsage().heapUsed - heapBefore) / 1e5) / 10 };
process.stdout.write(`${JSON.stringify(result)}\n`);
if (writes !== 0 || client.requests !== 0) process.exit(1);
