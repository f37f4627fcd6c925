import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { Controller, specLabelsOrPhaseChanged, specOrLabelsChanged } from './controller.js';
import type { WatchOptions } from './controller.js';
import type { EventRecorder } from './events.js';
import type { Informer, InformerHandler } from './informer.js';
import type { KubeObject } from './kinds.js';
import type { KubeClient } from './kube-client.js';
import { createLogger } from './logger.js';
import { RuntimeMetrics } from './metrics.js';

type Tenant = KubeObject & { spec?: { namespace?: string; allowedEmailDomains?: string[] }; status?: { users?: number } };

/** A controller whose watch of a hand-driven informer is under test (no workers run). */
function watched(options?: WatchOptions<Tenant>): { handler: InformerHandler<Tenant>; controller: Controller } {
  const controller = new Controller({
    name: 'test',
    reconcile: async () => undefined,
    clock: new ManualClock(),
    logger: createLogger({ level: 'silent' }),
    metrics: new RuntimeMetrics(),
    client: {} as KubeClient,
    recorder: {} as EventRecorder,
  });
  let handler: InformerHandler<Tenant> = {};
  const informer = { addHandler: (h: InformerHandler<Tenant>) => (handler = h) } as unknown as Informer<Tenant>;
  controller.watch(informer, (t) => [`ns-${t.metadata?.name ?? ''}/a`, `ns-${t.metadata?.name ?? ''}/b`], options);
  return { handler, controller };
}

const tenant = (patch: Partial<Tenant> = {}): Tenant => ({ metadata: { name: 't', uid: 'u1', generation: 1, labels: { shard: 's' } }, spec: { namespace: 'ns-t' }, status: { users: 1 }, ...patch });

describe('Controller.watch', () => {
  it('enqueues the mapped keys of every update without a predicate (the existing signature)', () => {
    const { handler, controller } = watched();
    handler.update?.(tenant(), { ...tenant(), status: { users: 2 } });
    expect(controller.queue.length).toBe(2);
  });

  it('drops an update the predicate refuses, and still enqueues adds and deletes', () => {
    const { handler, controller } = watched({ onUpdate: specOrLabelsChanged });
    handler.update?.(tenant(), { ...tenant(), status: { users: 2 } });
    expect(controller.queue.length).toBe(0);
    handler.add?.(tenant());
    expect(controller.queue.length).toBe(2);
    handler.delete?.(tenant());
    expect(controller.queue.length).toBe(2);
  });
});

describe('Controller.watch with a priority predicate', () => {
  it('queues the keys of an event the predicate marks in the priority lane, ahead of keys already waiting; deletes never', async () => {
    const { handler, controller } = watched({ priority: (previous, object) => previous !== undefined && (object.status?.users ?? 0) > (previous.status?.users ?? 0) });
    handler.add?.({ ...tenant(), metadata: { ...tenant().metadata, name: 'first' } });
    handler.update?.(tenant(), { ...tenant(), status: { users: 0 } });
    handler.update?.(tenant(), { ...tenant(), status: { users: 2 } });
    // ns-t/a and ns-t/b were waiting behind ns-first/*; the update with more users moved them up, once each.
    expect(controller.queue.length).toBe(4);
    const order: string[] = [];
    for (let i = 0; i < 4; i++) {
      const key = (await controller.queue.get()) ?? '';
      order.push(key);
      controller.queue.done(key);
    }
    expect(order).toEqual(['ns-t/a', 'ns-t/b', 'ns-first/a', 'ns-first/b']);
    handler.delete?.(tenant());
    handler.add?.({ ...tenant(), metadata: { ...tenant().metadata, name: 'second' } });
    expect(await controller.queue.get()).toBe('ns-t/a');
  });
});

describe('Controller.watch with its own inScope', () => {
  it('judges scope by what the option says (a copy by the namespace it copies from), not by the object\'s namespace', () => {
    const inScope = (t: Tenant): boolean => t.metadata?.labels?.['shard'] === 's';
    const { handler, controller } = watched({ inScope });
    handler.add?.({ ...tenant(), metadata: { ...tenant().metadata, labels: { shard: 'other' } } });
    expect(controller.queue.length).toBe(0);
    handler.add?.(tenant());
    expect(controller.queue.length).toBe(2);
  });
});

describe('specOrLabelsChanged', () => {
  const base = tenant();
  it.each<[string, Tenant, boolean]>([
    ['a status-only update', { ...base, status: { users: 5 } }, false],
    ['a resync (same object)', base, false],
    ['a changed spec', { ...base, metadata: { ...base.metadata, generation: 2 }, spec: { namespace: 'ns-t', allowedEmailDomains: ['example.com'] } }, true],
    ['a changed spec with the same generation', { ...base, spec: { namespace: 'other' } }, true],
    ['a changed label', { ...base, metadata: { ...base.metadata, labels: { shard: 'other' } } }, true],
    ['a removed label', { ...base, metadata: { ...base.metadata, labels: {} } }, true],
    ['a deletion that started', { ...base, metadata: { ...base.metadata, deletionTimestamp: '2026-12-02T00:00:00Z' } }, true],
    ['a recreated object (new uid)', { ...base, metadata: { ...base.metadata, uid: 'u2' } }, true],
  ])('%s → %s', (_what, next, expected) => {
    expect(specOrLabelsChanged(base, next)).toBe(expected);
  });
});

describe('specLabelsOrPhaseChanged', () => {
  type Phased = KubeObject & { spec?: { email?: string }; status?: { phase?: string; conditions?: { type: string; status: string }[] } };
  const base: Phased = { metadata: { name: 'u', uid: 'u1', generation: 1, labels: {} }, spec: { email: 'a@example.com' }, status: { phase: 'Invited', conditions: [{ type: 'Ready', status: 'False' }] } };
  it.each<[string, Phased, boolean]>([
    ['a status write that keeps the phase (conditions)', { ...base, status: { phase: 'Invited', conditions: [{ type: 'Ready', status: 'True' }] } }, false],
    ['a finalizer added', { ...base, metadata: { ...base.metadata, finalizers: ['f'] } }, false],
    ['a changed phase', { ...base, status: { phase: 'Active' } }, true],
    ['a first phase', { ...base, status: {} }, true],
    ['a changed spec', { ...base, spec: { email: 'b@example.com' } }, true],
    ['a deletion that started', { ...base, metadata: { ...base.metadata, deletionTimestamp: '2026-12-02T00:00:00Z' } }, true],
    ['a resync (same object): the periodic look stays', base, true],
  ])('%s → %s', (_what, next, expected) => {
    expect(specLabelsOrPhaseChanged(base, next)).toBe(expected);
  });
});

describe('Controller workers', () => {
  it('let timers and I/O run between reconciles that need no I/O', async () => {
    const total = 2_000;
    let reconciled = 0;
    let finished: () => void = () => {};
    const allDone = new Promise<void>((resolve) => (finished = resolve));
    const controller = new Controller({
      name: 'busy',
      reconcile: () => {
        if (++reconciled === total) finished();
        return Promise.resolve(undefined);
      },
      concurrency: 2,
      clock: new ManualClock(),
      logger: createLogger({ level: 'silent' }),
      metrics: new RuntimeMetrics(),
      client: {} as KubeClient,
      recorder: {} as EventRecorder,
    });
    for (let i = 0; i < total; i++) controller.queue.add(`ns/o${i}`);
    let reconciledWhenTimerRan: number | undefined;
    setTimeout(() => (reconciledWhenTimerRan = reconciled), 0);
    const stop = new AbortController();
    const running = controller.run(stop.signal, new AbortController().signal);
    await allDone;
    stop.abort();
    await running;
    expect(reconciledWhenTimerRan).toBeDefined();
    expect(reconciledWhenTimerRan).toBeLessThan(total / 2);
  });
});
