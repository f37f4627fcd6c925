// A watch whose connection goes silent (a proxy that stops forwarding but keeps
// the socket open) is noticed by the health timer and resumed from the last
// resourceVersion: every change made meanwhile arrives, nothing is missed.
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Informer } from '../../operator/runtime/index.js';
import { KubeClient, Manager, builtinKinds, createLogger } from '../../operator/runtime/index.js';
import { adminKubeConfig, cluster, eventually, useNamespace } from '../harness/kube.js';
import { adminClient } from '../harness/tenant.js';
import type { TcpProxy } from './fixtures/tcp-proxy.js';
import { startTcpProxy } from './fixtures/tcp-proxy.js';
import type { Widget } from './fixtures/widgets.js';
import { ensureWidgetCrd, metricValue, widgetKind } from './fixtures/widgets.js';

const ns = useNamespace('rt-silent');
const kind = widgetKind('doohickeys');
const HEALTH_TIMEOUT_MS = 3_000;
let proxy: TcpProxy;
let manager: Manager;
let cache: Informer<Widget>;
let admin: KubeClient;

function viaProxy(port: number): KubeConfig {
  const direct = adminKubeConfig();
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: direct.getClusters().map((c) => ({ ...c, server: `https://127.0.0.1:${port}` })),
    users: direct.getUsers(),
    contexts: direct.getContexts(),
    currentContext: direct.getCurrentContext(),
  });
  return kc;
}

beforeAll(async () => {
  await ensureWidgetCrd(adminKubeConfig(), kind);
  admin = adminClient();
  proxy = await startTcpProxy(cluster().ports.apiserver);
  manager = new Manager({
    kubeConfig: viaProxy(proxy.port),
    leaderElection: false,
    metricsPort: 0,
    healthPort: 0,
    host: '127.0.0.1',
    logger: createLogger({ level: 'error' }),
    processMetrics: false,
    informerDefaults: { healthTimeoutMs: HEALTH_TIMEOUT_MS },
  });
  cache = manager.informer<Widget>(kind, { namespace: ns.name });
  await manager.start();
  await manager.waitForCacheSync();
});

afterAll(async () => {
  await manager?.stop();
  await proxy?.close();
  admin?.close();
});

describe('a silent watch', () => {
  it('is restarted within the health timeout and misses nothing', async () => {
    for (const name of ['d1', 'd2', 'd3']) await admin.create(kind, { metadata: { name, namespace: ns.name }, spec: { size: 1 } });
    await eventually(async () => (cache.size === 3 ? true : undefined), 10_000, 'the cache to hold three objects');
    const silentBefore = metricValue(await manager.metrics.registry.metrics(), 'blink_informer_watch_restarts_total', { kind: kind.kind, reason: 'silent' });

    expect(proxy.freeze()).toBeGreaterThan(0);
    const frozenAt = Date.now();
    await admin.create(kind, { metadata: { name: 'd4', namespace: ns.name }, spec: { size: 4 } });
    await admin.patch(kind, ns.name, 'd1', { spec: { size: 10 } });
    await admin.delete(kind, ns.name, 'd2');

    await eventually(
      async () => (cache.get(`${ns.name}/d4`) && cache.get(`${ns.name}/d1`)?.spec?.size === 10 && !cache.get(`${ns.name}/d2`) ? true : undefined),
      HEALTH_TIMEOUT_MS * 4,
      'the cache to catch up after the watch went silent',
    );
    const caughtUpMs = Date.now() - frozenAt;
    process.stderr.write(`[silent-watch] caught up ${caughtUpMs} ms after the proxy froze (health timeout ${HEALTH_TIMEOUT_MS} ms)\n`);
    expect(caughtUpMs).toBeLessThan(HEALTH_TIMEOUT_MS + 2_000);
    expect(cache.list().map((w) => w.metadata?.name).sort()).toEqual(['d1', 'd3', 'd4']);
    const silentAfter = metricValue(await manager.metrics.registry.metrics(), 'blink_informer_watch_restarts_total', { kind: kind.kind, reason: 'silent' });
    expect(silentAfter).toBeGreaterThan(silentBefore);
    // Resumed from the last resourceVersion, not relisted.
    expect(metricValue(await manager.metrics.registry.metrics(), 'blink_informer_relists_total', { kind: kind.kind })).toBe(1);
  }, 60_000);

  it('a request that times out on a frozen pooled connection drops the other idle ones: the next request goes over a new connection', async () => {
    const hung = await startTcpProxy(cluster().ports.apiserver);
    const client = new KubeClient(viaProxy(hung.port), { requestTimeoutMs: 1_000 });
    try {
      // Three connections, idle in the pool.
      await Promise.all([1, 2, 3].map(() => client.get(builtinKinds.namespace, undefined, ns.name)));
      expect(hung.freeze()).toBeGreaterThanOrEqual(3);
      await expect(client.get(builtinKinds.namespace, undefined, ns.name)).rejects.toThrow('no response within 1000 ms');
      // Without dropping the idle connections, this one would take the next frozen connection and time
      // out too (the client does not retry): answered, over a connection opened after the freeze.
      const opened = hung.connections();
      await client.get(builtinKinds.namespace, undefined, ns.name);
      expect(hung.connections()).toBeGreaterThan(opened);
    } finally {
      client.close();
      await hung.close();
    }
  }, 30_000);
});
