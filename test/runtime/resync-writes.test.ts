// 2,000 converged objects, a full resync (and a fresh manager listing them
// all): zero writes reach the API server, counted from kube-apiserver's own
// apiserver_request_total.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Controller, Informer , KubeClient} from '../../operator/runtime/index.js';
import { Manager, createLogger } from '../../operator/runtime/index.js';
import { adminKubeConfig, cluster, eventually, useNamespace } from '../harness/kube.js';
import { adminClient } from '../harness/tenant.js';
import type { Widget } from './fixtures/widgets.js';
import { TEST_GROUP, apiServerConflicts, apiServerWrites, converged, ensureWidgetCrd, inParallel, metricValue, widgetKind, widgetReconciler } from './fixtures/widgets.js';

const COUNT = 2_000;
const ns = useNamespace('rt-resync');
const kind = widgetKind('thingamajigs');
const managers: Manager[] = [];
let admin: KubeClient;

function startManager(identity: string): { manager: Manager; cache: Informer<Widget>; controller: Controller } {
  const manager = new Manager({
    kubeConfig: adminKubeConfig(),
    leaderElection: false,
    metricsPort: 0,
    healthPort: 0,
    host: '127.0.0.1',
    logger: createLogger({ level: 'error' }),
    processMetrics: false,
  });
  const cache = manager.informer<Widget>(kind, { namespace: ns.name });
  const controller = manager.addController({ name: 'thing', for: kind, forInformer: { namespace: ns.name }, reconcile: widgetReconciler(kind, () => cache, identity), concurrency: 4 });
  managers.push(manager);
  return { manager, cache, controller };
}

async function reconciled(manager: Manager): Promise<number> {
  return metricValue(await manager.metrics.registry.metrics(), 'controller_runtime_reconcile_total', { controller: 'thing' });
}

function idle(controller: Controller): boolean {
  return controller.queue.length === 0 && controller.queue.inFlight === 0 && controller.queue.delayed === 0;
}

beforeAll(async () => {
  await ensureWidgetCrd(adminKubeConfig(), kind);
  admin = adminClient();
});

afterAll(async () => {
  await Promise.all(managers.map((m) => m.stop()));
  admin?.close();
});

describe('resync of converged objects', () => {
  it(`writes nothing for ${COUNT} converged objects`, async () => {
    const first = startManager('first');
    await first.manager.start();
    const names = Array.from({ length: COUNT }, (_, i) => `t${String(i).padStart(4, '0')}`);
    const createStart = Date.now();
    await inParallel(names, 20, (name) => admin.create(kind, { metadata: { name, namespace: ns.name }, spec: { size: names.indexOf(name) % 7 } }));
    await eventually(async () => (first.cache.size === COUNT && first.cache.list().every(converged) && idle(first.controller) ? true : undefined), 240_000, 'all objects to converge');
    process.stderr.write(`[resync] created and converged ${COUNT} objects in ${Date.now() - createStart} ms\n`);
    // The reconciles triggered by the status writes themselves have run too (queue idle): now converged.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const writesBefore = await apiServerWrites(cluster(), TEST_GROUP, kind.plural);

    // 1. A full resync of the running manager.
    const before = await reconciled(first.manager);
    const resyncStart = Date.now();
    first.cache.resync();
    await eventually(async () => ((await reconciled(first.manager)) >= before + COUNT && idle(first.controller) ? true : undefined), 120_000, 'the resync to finish');
    const resyncMs = Date.now() - resyncStart;

    // 2. A fresh manager lists everything and reconciles every object once.
    const second = startManager('first');
    const freshStart = Date.now();
    await second.manager.start();
    await eventually(async () => ((await reconciled(second.manager)) >= COUNT && idle(second.controller) ? true : undefined), 120_000, 'the fresh manager to reconcile everything');
    const freshMs = Date.now() - freshStart;

    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const writesAfter = await apiServerWrites(cluster(), TEST_GROUP, kind.plural);
    const conflicts = await apiServerConflicts(cluster(), TEST_GROUP, kind.plural);
    process.stderr.write(`[resync] resync of ${COUNT}: ${resyncMs} ms; fresh manager list+reconcile: ${freshMs} ms; writes during both: ${writesAfter - writesBefore}; 409s so far: ${conflicts}\n`);
    expect(writesAfter - writesBefore).toBe(0);
    expect(writesBefore).toBeGreaterThanOrEqual(2 * COUNT);
  }, 400_000);
});
