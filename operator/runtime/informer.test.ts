import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { Controller } from './controller.js';
import type { EventRecorder } from './events.js';
import fc from 'fast-check';
import { Informer, shareEqualStrings } from './informer.js';
import type { KindDescriptor, KubeObject } from './kinds.js';
import type { KubeClient, ObjectList } from './kube-client.js';
import { createLogger } from './logger.js';
import { RuntimeMetrics } from './metrics.js';

const kind: KindDescriptor = { group: 'test.example.com', version: 'v1', kind: 'Widget', plural: 'widgets', namespaced: true };
type Widget = KubeObject & { spec?: { size: number } };

/** A client serving `total` widgets (with managedFields) in pages of `pageSize`; watches never start. */
function pagedClient(total: number, pageSize: number, onPage: (page: number) => void): KubeClient {
  let page = 0;
  return {
    list: (_kind: KindDescriptor, options: { query?: { continue?: string } }): Promise<ObjectList<Widget>> => {
      const start = Number(options.query?.continue ?? 0);
      onPage(page++);
      const items = Array.from({ length: Math.min(pageSize, total - start) }, (_, i) => ({
        metadata: { name: `w${start + i}`, namespace: 'ns', resourceVersion: '1', managedFields: [{ manager: 'kubectl', fieldsV1: { 'f:spec': {} } }] },
        spec: { size: start + i },
      })) as unknown as Widget[];
      const next = start + pageSize;
      return Promise.resolve({ metadata: { resourceVersion: '9', ...(next < total ? { continue: String(next) } : {}) }, items });
    },
    watch: () => new Promise(() => {}),
  } as unknown as KubeClient;
}

describe('Informer list', () => {
  it('prepares each page as it arrives (managedFields dropped, transform applied) before asking for the next', async () => {
    let transformed = 0;
    const transformedBeforePage: number[] = [];
    const informer = new Informer<Widget>({
      client: pagedClient(1_200, 500, () => transformedBeforePage.push(transformed)),
      kind,
      clock: new ManualClock(),
      logger: createLogger({ level: 'silent' }),
      pageSize: 500,
      transform: (w) => (transformed++, w),
    });
    informer.start();
    expect(await informer.waitForSync()).toBe(true);
    expect(transformedBeforePage).toEqual([0, 500, 1_000]);
    expect(informer.size).toBe(1_200);
    expect(informer.list().every((w) => w.metadata?.managedFields === undefined)).toBe(true);
    expect(informer.get('ns/w1199')?.spec?.size).toBe(1_199);
    void informer.stop();
  });
});

/** A client listing `items` whose watch delivers what the test sends through `send`. */
function watchedClient(items: Widget[]): { client: KubeClient; send(type: string, object: Widget): void; watching: Promise<void> } {
  let onLine: (line: string) => void = () => {};
  let started: () => void = () => {};
  const watching = new Promise<void>((resolve) => (started = resolve));
  const client = {
    list: (): Promise<ObjectList<Widget>> => Promise.resolve({ metadata: { resourceVersion: '1' }, items: structuredClone(items) }),
    watch: (_path: string, _query: unknown, line: (l: string) => void) => {
      onLine = line;
      started();
      return Promise.resolve({ abort: () => {}, done: new Promise(() => {}) });
    },
  } as unknown as KubeClient;
  return { client, send: (type, object) => onLine(JSON.stringify({ type, object })), watching };
}
describe('Informer indexes', () => {
  const widget = (name: string, size: number, rv: string): Widget => ({ metadata: { name, namespace: 'ns', resourceVersion: rv }, spec: { size } });

  it('answers a value held by one object, by several, and by one again after the others went', async () => {
    const { client, send, watching } = watchedClient([widget('a', 1, '1'), widget('b', 2, '1')]);
    const informer = new Informer<Widget>({ client, kind, clock: new ManualClock(), logger: createLogger({ level: 'silent' }) });
    const bySize = informer.index('bySize', (w) => [String(w.spec?.size)]);
    informer.start();
    await informer.waitForSync();
    await watching;
    const names = (value: string): string[] => bySize.get(value).map((w) => w.metadata?.name ?? '').sort();
    expect(names('1')).toEqual(['a']);
    send('MODIFIED', widget('b', 1, '2'));
    expect(names('1')).toEqual(['a', 'b']);
    expect(names('2')).toEqual([]);
    send('ADDED', widget('c', 1, '3'));
    expect(names('1')).toEqual(['a', 'b', 'c']);
    send('DELETED', widget('a', 1, '4'));
    send('DELETED', widget('c', 1, '5'));
    expect(names('1')).toEqual(['b']);
    send('MODIFIED', widget('b', 1, '6'));
    expect(names('1')).toEqual(['b']);
    send('DELETED', widget('b', 1, '7'));
    expect(names('1')).toEqual([]);
    expect(informer.byIndex('namespace', 'ns')).toEqual([]);
    void informer.stop();
  });

  it('caches objects with their values unchanged when it shares their common strings, and leaves frozen ones alone', async () => {
    const conditions = [{ type: 'Ready', status: 'True', reason: 'Reconciled', message: 'ok' }];
    const frozen = Object.freeze({ metadata: Object.freeze({ name: 'f', namespace: 'ns', resourceVersion: '1', labels: Object.freeze({ app: 'x' }) }), spec: { size: 3 } }) as Widget;
    const items = [
      { apiVersion: 'test.example.com/v1', kind: 'Widget', metadata: { name: 'a', namespace: 'ns', resourceVersion: '1', finalizers: ['f/x'], labels: { app: 'x' }, ownerReferences: [{ apiVersion: 'v1', kind: 'Thing', name: 'o', uid: 'u' }] }, spec: { size: 1 }, status: { phase: 'Active', conditions } },
      { apiVersion: 'test.example.com/v1', kind: 'Widget', metadata: { name: 'b', namespace: 'ns', resourceVersion: '1', finalizers: ['f/x'], labels: { app: 'x' } }, spec: { size: 2 }, status: { phase: 'Active', conditions } },
    ] as Widget[];
    const client = { list: () => Promise.resolve({ metadata: { resourceVersion: '1' }, items: [...structuredClone(items), frozen] }), watch: () => new Promise(() => {}) } as unknown as KubeClient;
    const informer = new Informer<Widget>({ client, kind, clock: new ManualClock(), logger: createLogger({ level: 'silent' }) });
    informer.start();
    await informer.waitForSync();
    expect(informer.get('ns/a')).toEqual(items[0]);
    expect(informer.get('ns/b')).toEqual(items[1]);
    expect(informer.get('ns/f')).toEqual(frozen);
    void informer.stop();
  });

  it('shares one frozen copy of equal small string arrays and keeps status.history compact, reading back equal values', async () => {
    const history = [{ at: '2026-01-01T00:00:00Z', event: 'Invited', reason: 'Created', message: 'Invited a@example.com', by: 'kubectl' }];
    const item = (name: string): Widget =>
      ({ metadata: { name, namespace: 'ns', resourceVersion: '1', finalizers: ['f/x'] }, spec: { size: 1, groups: [], workspaces: ['w1', 'w2'] }, status: { workspaces: ['w1', 'w2'], history, conditions: [{ type: 'Ready', status: 'True' }] } }) as unknown as Widget;
    const client = { list: () => Promise.resolve({ metadata: { resourceVersion: '1' }, items: structuredClone([item('a'), item('b')]) }), watch: () => new Promise(() => {}) } as unknown as KubeClient;
    const informer = new Informer<Widget>({ client, kind, clock: new ManualClock(), logger: createLogger({ level: 'silent' }) });
    informer.start();
    await informer.waitForSync();
    type Shape = { metadata: { finalizers: string[] }; spec: { groups: string[]; workspaces: string[] }; status: { workspaces: string[]; history: unknown[] } };
    const [a, b] = [informer.get('ns/a'), informer.get('ns/b')] as unknown as [Shape, Shape];
    expect(a).toEqual(item('a'));
    expect(JSON.stringify(b)).toBe(JSON.stringify(item('b')));
    expect(a.metadata.finalizers).toBe(b.metadata.finalizers);
    expect(a.spec.workspaces).toBe(b.status.workspaces);
    expect(a.spec.groups).toBe(b.spec.groups);
    expect(Object.isFrozen(a.spec.workspaces)).toBe(true);
    expect(() => a.spec.workspaces.push('w3')).toThrow(TypeError);
    expect(Object.getOwnPropertyDescriptor(a.status, 'history')?.get).toBeDefined();
    expect(a.status.history).toEqual(history);
    void informer.stop();
  });
});

describe('Informer keep', () => {
  const widget = (name: string, namespace: string, rv: string): Widget => ({ metadata: { name, namespace, resourceVersion: rv }, spec: { size: 1 } });

  /** A client whose list answers `listed()` each time and whose watches take lines from `send`; counts lists and aborted watches. */
  function client(listed: () => Widget[]) {
    let onLine: (line: string) => void = () => {};
    const state = { lists: 0, aborted: 0 };
    const watchers: (() => void)[] = [];
    const kube = {
      list: (): Promise<ObjectList<Widget>> => (state.lists++, Promise.resolve({ metadata: { resourceVersion: String(state.lists) }, items: structuredClone(listed()) })),
      watch: (_path: string, _query: unknown, line: (l: string) => void) => {
        onLine = line;
        for (const resolve of watchers.splice(0)) resolve();
        return Promise.resolve({ abort: () => void state.aborted++, done: new Promise(() => {}) });
      },
    } as unknown as KubeClient;
    return { kube, state, send: (type: string, object: Widget) => onLine(JSON.stringify({ type, object })), nextWatch: () => new Promise<void>((resolve) => watchers.push(resolve)) };
  }

  it('never stores what it does not keep, from the list or the watch, and drops a kept object that stops qualifying', async () => {
    const inScope = new Set(['tenant-a']);
    const { kube, send, nextWatch } = client(() => [widget('mine', 'tenant-a', '1'), ...Array.from({ length: 50 }, (_, i) => widget(`stranger-${i}`, 'elsewhere', '1'))]);
    const transformed: string[] = [];
    const watching = nextWatch();
    const informer = new Informer<Widget>({
      client: kube,
      kind,
      clock: new ManualClock(),
      logger: createLogger({ level: 'silent' }),
      keep: (w) => inScope.has(w.metadata?.namespace ?? ''),
      transform: (w) => (transformed.push(w.metadata?.name ?? ''), w),
    });
    const deleted: string[] = [];
    informer.addHandler({ delete: (w) => deleted.push(w.metadata?.name ?? '') });
    informer.start();
    await informer.waitForSync();
    await watching;
    expect(informer.list().map((w) => w.metadata?.name)).toEqual(['mine']);
    for (let i = 0; i < 1_000; i++) send('ADDED', widget(`flood-${i}`, 'elsewhere', String(10 + i)));
    expect(informer.size).toBe(1);
    expect(transformed).toEqual(['mine']);
    // The kept object moves out of what is kept (here: its namespace left scope before the update arrived).
    inScope.delete('tenant-a');
    send('MODIFIED', widget('mine', 'tenant-a', '2000'));
    expect(informer.size).toBe(0);
    expect(deleted).toEqual(['mine']);
    void informer.stop();
  });

  it('waits for the informers it reads before its first list, and brings back what comes into scope with one relist per burst', async () => {
    const inScope = new Set<string>();
    const { kube, state, nextWatch } = client(() => [widget('a', 'tenant-a', '1'), widget('b', 'tenant-b', '1')]);
    const clock = new ManualClock();
    let release: (synced: boolean) => void = () => {};
    const namespaces = { waitForSync: () => new Promise<boolean>((resolve) => (release = resolve)) };
    let watching = nextWatch();
    const informer = new Informer<Widget>({ client: kube, kind, clock, logger: createLogger({ level: 'silent' }), keep: (w) => inScope.has(w.metadata?.namespace ?? ''), after: [namespaces], relistDelayMs: 500 });
    informer.start();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(state.lists).toBe(0);
    inScope.add('tenant-a');
    release(true);
    await informer.waitForSync();
    await watching;
    expect(informer.list().map((w) => w.metadata?.name)).toEqual(['a']);
    watching = nextWatch();
    inScope.add('tenant-b');
    let done = false;
    const relisted = Promise.all([informer.relistSoon(), informer.relistSoon(), informer.relistSoon()]).then(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(done).toBe(false);
    await clock.advance(500);
    await relisted;
    await watching;
    expect(state.lists).toBe(2);
    expect(state.aborted).toBe(1);
    expect(informer.list().map((w) => w.metadata?.name).sort()).toEqual(['a', 'b']);
    void informer.stop();
  });
});

describe('Informer update handlers', () => {
  const widget = (size: number, rv: string): Widget => ({ metadata: { name: 'w', namespace: 'ns', resourceVersion: rv }, spec: { size } });

  it('get (previous, object): the cached object first, the new one second', async () => {
    const { client, send, watching } = watchedClient([widget(1, '1')]);
    const informer = new Informer<Widget>({ client, kind, clock: new ManualClock(), logger: createLogger({ level: 'silent' }) });
    const seen: [number | undefined, number | undefined][] = [];
    informer.addHandler({ update: (previous, object) => seen.push([previous.spec?.size, object.spec?.size]) });
    informer.start();
    await informer.waitForSync();
    await watching;
    send('MODIFIED', widget(2, '2'));
    send('MODIFIED', widget(5, '3'));
    expect(seen).toEqual([
      [1, 2],
      [2, 5],
    ]);
    void informer.stop();
  });

  it('let an asymmetric predicate of Controller.watch see the change the right way round', async () => {
    const { client, send, watching } = watchedClient([widget(1, '1')]);
    const informer = new Informer<Widget>({ client, kind, clock: new ManualClock(), logger: createLogger({ level: 'silent' }) });
    const controller = new Controller({
      name: 'grows',
      reconcile: async () => undefined,
      clock: new ManualClock(),
      logger: createLogger({ level: 'silent' }),
      metrics: new RuntimeMetrics(),
      client: {} as KubeClient,
      recorder: {} as EventRecorder,
    });
    // Only growth concerns the controller.
    controller.watch(informer, (w) => [`ns/${w.metadata?.name ?? ''}`], { onUpdate: (previous, object) => (object.spec?.size ?? 0) > (previous.spec?.size ?? 0) });
    informer.start();
    await informer.waitForSync();
    await watching;
    await controller.queue.get().then((key) => key && controller.queue.done(key)); // the initial add
    send('MODIFIED', widget(0, '2'));
    expect(controller.queue.length).toBe(0);
    send('MODIFIED', widget(3, '3'));
    expect(controller.queue.length).toBe(1);
    void informer.stop();
  });
});

describe('shareEqualStrings', () => {
  it('changes no value of any JSON object, times and repeated strings included (property)', () => {
    const time = fc.integer({ min: 0, max: 3 }).map((s) => new Date(Date.UTC(2026, 11, 8, 0, 30, s)).toISOString().replace('.000Z', 'Z'));
    const text = fc.oneof(time, fc.constantFrom('2026-12-08T00:30:09.283Z', 'accounts.blinkops.com/finalizer', 'short', 'XXXX-XX-XXTXX:XX:XXZ'), fc.string());
    const json = fc.letrec((tie) => ({ value: fc.oneof({ depthSize: 'small' }, text, fc.integer(), fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(fc.string(), tie('value'), { maxKeys: 4 })) })).value;
    fc.assert(
      fc.property(fc.array(json, { maxLength: 4 }), (objects) => {
        const copies = objects.map((o) => JSON.parse(JSON.stringify(o)) as unknown);
        for (const copy of copies) shareEqualStrings(copy);
        expect(JSON.stringify(copies)).toBe(JSON.stringify(objects));
      }),
    );
  });
});
