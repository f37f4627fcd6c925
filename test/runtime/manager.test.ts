// A manager against the real API server: converges widgets with one status
// write each, retries a throwing reconcile with growing delays (visible in the
// metrics), never retries a terminal error, serves its HTTP endpoints, and
// de-duplicates Events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Informer } from '../../operator/runtime/index.js';
import { KubeClient, KubeEventRecorder, Manager, ManualClock, builtinKinds, createLogger, defaultControllerRateLimiter, systemClock } from '../../operator/runtime/index.js';
import { adminKubeConfig, cluster, eventually, useNamespace } from '../harness/kube.js';
import { scrapeMetrics } from '../harness/metrics.js';
import type { Widget, WidgetProbe } from './fixtures/widgets.js';
import { TEST_GROUP, apiServerWrites, converged, ensureWidgetCrd, metricValue, widgetKind, widgetReconciler } from './fixtures/widgets.js';

const ns = useNamespace('rt-mgr');
const kind = widgetKind('gizmos');
const probe: WidgetProbe = { calls: new Map() };
let manager: Manager;
let widgets: Informer<Widget>;
let client: KubeClient;

async function metrics(): Promise<string> {
  return scrapeMetrics(`http://127.0.0.1:${manager.metricsServer.port}/metrics`);
}

beforeAll(async () => {
  const kc = adminKubeConfig();
  await ensureWidgetCrd(kc, kind);
  client = new KubeClient(kc);
  manager = new Manager({
    kubeConfig: kc,
    leaderElection: false,
    metricsPort: 0,
    healthPort: 0,
    host: '127.0.0.1',
    logger: createLogger({ level: 'error' }),
    processMetrics: false,
  });
  widgets = manager.informer<Widget>(kind, { namespace: ns.name });
  // No jitter here (random 0): the retry delays are exactly 5, 10, 20, ... ms, so their growth is what is checked.
  manager.addController({ name: 'gizmo', for: kind, forInformer: { namespace: ns.name }, reconcile: widgetReconciler(kind, () => widgets, 'solo', probe), concurrency: 4, rateLimiter: defaultControllerRateLimiter(systemClock, () => 0) });
  await manager.start();
  expect(await manager.waitForCacheSync()).toBe(true);
});

afterAll(async () => {
  await manager?.stop();
  client?.close();
});

describe('Manager', () => {
  it('converges widgets with exactly one status write each', async () => {
    const before = await apiServerWrites(cluster(), TEST_GROUP, kind.plural);
    for (let i = 0; i < 5; i++) await client.create(kind, { metadata: { name: `w${i}`, namespace: ns.name }, spec: { size: i } });
    await eventually(async () => (widgets.list().filter((w) => w.metadata?.name?.startsWith('w')).every(converged) && widgets.size >= 5 ? true : undefined), 20_000, 'widgets to converge');
    // Let every follow-up reconcile (triggered by the status writes themselves) finish.
    await eventually(async () => (manager.metrics && (await metrics()).includes('workqueue_depth{name="gizmo"} 0') ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = await apiServerWrites(cluster(), TEST_GROUP, kind.plural);
    // 5 creates + 5 status patches; the reconciles caused by the status writes write nothing.
    expect(after - before).toBe(10);
    const text = await metrics();
    expect(metricValue(text, 'controller_runtime_reconcile_total', { controller: 'gizmo', result: 'success' })).toBeGreaterThanOrEqual(10);
    expect(metricValue(text, 'workqueue_adds_total', { name: 'gizmo' })).toBeGreaterThanOrEqual(10);
  });

  it('retries a reconcile that throws with growing delays, visible in the metrics', async () => {
    const key = `${ns.name}/failing`;
    await client.create(kind, { metadata: { name: 'failing', namespace: ns.name }, spec: { size: 1, mode: 'fail' } });
    await eventually(async () => ((probe.calls.get(key)?.length ?? 0) >= 9 ? true : undefined), 20_000, 'nine attempts');
    const times = probe.calls.get(key) ?? [];
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    // 5, 10, 20, ... 640 ms: the late gaps are clearly longer than the early ones. (The third failure
    // is reported in status, and that write wakes the key once more, so gaps from the third on may
    // include a write and an extra pass: compare with the first two.)
    expect(gaps[7]).toBeGreaterThan(4 * Math.min(gaps[0] as number, gaps[1] as number));
    expect(Math.max(gaps[6] as number, gaps[7] as number)).toBeGreaterThanOrEqual(320);
    const text = await metrics();
    expect(metricValue(text, 'controller_runtime_reconcile_errors_total', { controller: 'gizmo' })).toBeGreaterThanOrEqual(8);
    expect(metricValue(text, 'workqueue_retries_total', { name: 'gizmo' })).toBeGreaterThanOrEqual(8);
    // The retry delay histogram has samples both below 20 ms and above 300 ms.
    expect(metricValue(text, 'blink_workqueue_retry_delay_seconds_bucket', { name: 'gizmo', le: '0.02' })).toBeGreaterThanOrEqual(3);
    const total = metricValue(text, 'blink_workqueue_retry_delay_seconds_count', { name: 'gizmo' });
    expect(total - metricValue(text, 'blink_workqueue_retry_delay_seconds_bucket', { name: 'gizmo', le: '0.32' })).toBeGreaterThanOrEqual(1);
    // Fixing the object stops the failures.
    await client.patch(kind, ns.name, 'failing', { spec: { mode: 'ok' } });
    await eventually(async () => (converged(widgets.get(key)) ? true : undefined), 360_000, 'the fixed widget to converge');
  }, 400_000);

  it('does not retry a terminal error: it says it in status, which wakes the key once, and then stops', async () => {
    const key = `${ns.name}/hopeless`;
    await client.create(kind, { metadata: { name: 'hopeless', namespace: ns.name }, spec: { size: 1, mode: 'terminal' } });
    await eventually(async () => ((probe.calls.get(key)?.length ?? 0) >= 1 ? true : undefined), 10_000, 'the first attempt');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    // The runtime wrote Ready=False (a change of the object: one more pass, which writes nothing new).
    expect(probe.calls.get(key)).toHaveLength(2);
    expect(metricValue(await metrics(), 'controller_runtime_reconcile_total', { controller: 'gizmo', result: 'terminal_error' })).toBe(2);
    const ready = (await client.get<Widget>(kind, ns.name, 'hopeless')).status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'InvalidWidget', message: 'Widget asked for a terminal error' });
  });

  it('serves /healthz, /readyz, /metrics on the metrics port and mounted handlers on the HTTP port only', async () => {
    const probes = `http://127.0.0.1:${manager.metricsServer.port}`;
    const base = `http://127.0.0.1:${manager.httpServer.port}`;
    expect((await fetch(`${probes}/healthz`)).status).toBe(200);
    const ready = await fetch(`${probes}/readyz?verbose`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toContain(`[+]informer:${kind.kind} ok`);
    for (const path of ['/healthz', '/readyz', '/metrics']) expect({ path, status: (await fetch(`${base}${path}`)).status }).toEqual({ path, status: 404 });
    manager.addHandler('/hello', (_req, res) => void res.writeHead(200).end('hi'));
    expect(await (await fetch(`${base}/hello/there`)).text()).toBe('hi');
    expect((await fetch(`${probes}/hello/there`)).status).toBe(404);
    expect((await fetch(`${base}/nothing`)).status).toBe(404);
    const text = await metrics();
    for (const name of [
      'controller_runtime_reconcile_total',
      'controller_runtime_reconcile_errors_total',
      'controller_runtime_reconcile_time_seconds_bucket',
      'workqueue_depth',
      'workqueue_adds_total',
      'workqueue_queue_duration_seconds_bucket',
      'workqueue_work_duration_seconds_bucket',
      'workqueue_retries_total',
      'blink_informer_watch_restarts_total',
    ]) {
      expect(text, name).toContain(name);
    }
  });

  it('refuses to watch every Secret', () => {
    expect(() => manager.informer(builtinKinds.secret)).toThrow(/label selector/);
  });

  it('records an Event once for a repeat', async () => {
    const widget = widgets.get(`${ns.name}/w1`) as Widget;
    await manager.recorder.event({ ...widget, apiVersion: `${TEST_GROUP}/v1`, kind: kind.kind }, 'Normal', 'Doubled', 'Widget is doubled');
    await manager.recorder.event({ ...widget, apiVersion: `${TEST_GROUP}/v1`, kind: kind.kind }, 'Normal', 'Doubled', 'Widget is doubled');
    const events = await client.list<{ reason?: string; regarding?: { name?: string } } & Widget>(builtinKinds.event, { namespace: ns.name });
    expect(events.items.filter((e) => e.reason === 'Doubled' && e.regarding?.name === 'w1')).toHaveLength(1);
  });

  it('folds repeats into a series whose count the API server stores once the flush interval has passed', async () => {
    // A recorder of its own on a clock that moves only when told, writing to the real API server.
    const clock = new ManualClock(Date.now());
    const recorder = new KubeEventRecorder({ client, clock, logger: createLogger({ level: 'silent' }), controller: 'accounts.blinkops.com/test', instance: 'series', seriesFlushMs: 30_000 });
    const widget = { ...(widgets.get(`${ns.name}/w1`) as Widget), apiVersion: `${TEST_GROUP}/v1`, kind: kind.kind };
    type Event = Widget & { reason?: string; regarding?: { name?: string }; series?: { count?: number; lastObservedTime?: string } };
    const tripled = async () => (await client.list<Event>(builtinKinds.event, { namespace: ns.name })).items.filter((e) => e.reason === 'Tripled' && e.regarding?.name === 'w1');
    for (let i = 0; i < 3; i++) await recorder.event(widget, 'Normal', 'Tripled', 'Widget is tripled');
    // Within the flush interval: one Event, the repeats only counted.
    expect((await tripled()).map((e) => e.series)).toEqual([undefined]);
    await clock.advance(30_000);
    await recorder.event(widget, 'Normal', 'Tripled', 'Widget is tripled');
    const [event, ...others] = await tripled();
    expect(others).toEqual([]);
    expect(event?.series).toEqual({ count: 4, lastObservedTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/) as string });
    expect(Date.parse(event?.series?.lastObservedTime ?? '')).toBe(Math.floor(clock.now()));
  });
});
