// kube-apiserver is restarted under a running manager (on a private control
// plane, so other test files are not disturbed): the manager keeps running and
// converges objects changed during the outage — one edited in etcd directly
// while the API server was down, others changed right after it came back —
// without a process restart.
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterState } from '../../operator/dev-cluster/cluster.js';
import { startCluster, startComponent, stopCluster, stopComponent, waitForApiServer } from '../../operator/dev-cluster/cluster.js';
import type { Informer } from '../../operator/runtime/index.js';
import { KubeClient, Manager, builtinKinds, createLogger } from '../../operator/runtime/index.js';
import { cluster, eventually } from '../harness/kube.js';
import type { Widget } from './fixtures/widgets.js';
import { converged, ensureWidgetCrd, metricValue, widgetKind, widgetReconciler } from './fixtures/widgets.js';

const kind = widgetKind('widgets');
const NS = 'restart-test';
let state: ClusterState;
let manager: Manager;
let cache: Informer<Widget>;
let admin: KubeClient;

async function etcd(path: string, body: Record<string, string>): Promise<{ kvs?: { value: string }[] }> {
  const res = await fetch(`http://127.0.0.1:${state.ports.etcd}${path}`, { method: 'POST', body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`etcd ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { kvs?: { value: string }[] };
}

/** Edits a widget's spec in etcd, as a write the operator could not have watched. */
async function editInEtcd(name: string, size: number): Promise<void> {
  const key = Buffer.from(`/registry/${kind.group}/${kind.plural}/${NS}/${name}`).toString('base64');
  const [kv] = (await etcd('/v3/kv/range', { key })).kvs ?? [];
  if (!kv) throw new Error(`No etcd entry for widget ${name}`);
  const stored = JSON.parse(Buffer.from(kv.value, 'base64').toString()) as Widget & { metadata: { generation: number } };
  stored.spec = { ...stored.spec, size };
  stored.metadata.generation += 1;
  await etcd('/v3/kv/put', { key, value: Buffer.from(JSON.stringify(stored)).toString('base64') });
}

function widgetsConverged(names: string[]): true | undefined {
  return names.every((n) => converged(cache.get(`${NS}/${n}`))) ? true : undefined;
}

beforeAll(async () => {
  state = await startCluster({ name: `runtime-restart-${process.pid}`, binaries: cluster().binaries, ownerPid: process.pid, controllerManager: false });
  const kc = new KubeConfig();
  kc.loadFromFile(state.kubeconfig);
  await ensureWidgetCrd(kc, kind);
  admin = new KubeClient(kc, { requestTimeoutMs: 5_000 });
  await admin.create(builtinKinds.namespace, { metadata: { name: NS } });
  manager = new Manager({
    kubeConfig: kc,
    leaderElection: { namespace: 'default', name: 'runtime-restart', identity: 'only-replica' },
    metricsPort: 0,
    healthPort: 0,
    host: '127.0.0.1',
    logger: createLogger({ level: 'error' }),
    processMetrics: false,
  });
  cache = manager.informer<Widget>(kind, { namespace: NS });
  manager.addController({ name: 'widget', for: kind, forInformer: { namespace: NS }, reconcile: widgetReconciler(kind, () => cache, 'only-replica'), concurrency: 2 });
  await manager.start();
}, 120_000);

afterAll(async () => {
  await manager?.stop();
  admin?.close();
  if (state) await stopCluster(state.name);
});

describe('kube-apiserver restart', () => {
  it('keeps the manager running and converges what changed during the outage', async () => {
    const names = ['w1', 'w2', 'w3', 'w4', 'w5'];
    for (const [i, name] of names.entries()) await admin.create(kind, { metadata: { name, namespace: NS }, spec: { size: i + 1 } });
    await eventually(async () => widgetsConverged(names), 30_000, 'widgets to converge before the restart');

    await stopComponent(state, 'kube-apiserver');
    await editInEtcd('w1', 100);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await startComponent(state, 'kube-apiserver');
    await waitForApiServer(state, 60_000);
    const backAt = Date.now();
    // Changes made before the manager's watches are back.
    await admin.create(kind, { metadata: { name: 'w6', namespace: NS }, spec: { size: 6 } });
    await admin.delete(kind, NS, 'w2');
    await admin.patch(kind, NS, 'w3', { spec: { size: 33 } });

    await eventually(
      async () => (widgetsConverged(['w1', 'w3', 'w4', 'w5', 'w6']) && !cache.get(`${NS}/w2`) && cache.get(`${NS}/w1`)?.status?.doubled === 200 ? true : undefined),
      90_000,
      'the manager to converge after the restart',
    );
    expect(cache.get(`${NS}/w3`)?.status?.doubled).toBe(66);
    const text = await manager.metrics.registry.metrics();
    const reasons = ['closed', 'expired', 'silent', 'error'].map((reason) => `${reason}=${metricValue(text, 'blink_informer_watch_restarts_total', { reason })}`);
    process.stderr.write(`[apiserver-restart] converged ${Date.now() - backAt} ms after kube-apiserver was ready again; watch restarts: ${reasons.join(' ')}\n`);
    expect(metricValue(text, 'blink_informer_watch_restarts_total', { kind: kind.kind })).toBeGreaterThan(0);
    expect(manager.readiness().ok).toBe(true);
    // The server's copy agrees with the cache.
    const w1 = await admin.get<Widget>(kind, NS, 'w1');
    expect(w1.status?.doubled).toBe(200);
    expect(w1.status?.observedGeneration).toBe(w1.metadata?.generation);
  }, 180_000);
});
