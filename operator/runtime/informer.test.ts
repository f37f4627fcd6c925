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

describe('Informer relist in slices', () => {
  const widget = (name: string, size: number, rv: string): Widget => ({ metadata: { name, namespace: 'ns', resourceVersion: rv }, spec: { size } });
  const names = (ws: readonly Widget[]): string => ws.map((w) => `${w.metadata?.name ?? ''}@${w.metadata?.resourceVersion ?? ''}`).sort().join(',');

  /** A client whose list answers `listed()` (in pages of 500) and whose watches take lines from `send`; says when a watch started. */
  function client(listed: () => Widget[]) {
    let onLine: (line: string) => void = () => {};
    const watchers: (() => void)[] = [];
    const state = { lists: 0, watches: 0 };
    const kube = {
      list: (_kind: KindDescriptor, options: { query?: { continue?: string } }): Promise<ObjectList<Widget>> => {
        state.lists++;
        const all = listed();
        const start = Number(options.query?.continue ?? 0);
        const next = start + 500;
        return Promise.resolve({ metadata: { resourceVersion: String(state.lists), ...(next < all.length ? { continue: String(next) } : {}) }, items: structuredClone(all.slice(start, next)) });
      },
      watch: (_path: string, _query: unknown, line: (l: string) => void) => {
        state.watches++;
        onLine = line;
        for (const resolve of watchers.splice(0)) resolve();
        return Promise.resolve({ abort: () => {}, done: new Promise(() => {}) });
      },
    } as unknown as KubeClient;
    return { kube, state, send: (type: string, object: Widget) => onLine(JSON.stringify({ type, object })), nextWatch: () => new Promise<void>((resolve) => watchers.push(resolve)) };
  }

  /**
   * Reads the cache in every turn of the event loop until stopped: its size, how many objects the size
   * index holds under 1, and the version of three objects (cheap enough to run thousands of times).
   */
  function poll(informer: Informer<Widget>, bySize: { get(value: string): Widget[] }): { seen: Set<string>; turns: () => number; stop: () => void } {
    const seen = new Set<string>();
    let turns = 0;
    let polling = true;
    const look = (): void => {
      if (!polling) return;
      turns++;
      const version = (key: string): string => informer.get(key)?.metadata?.resourceVersion ?? '-';
      seen.add(`${informer.size} ${bySize.get('1').length} w1000@${version('ns/w1000')} w1999@${version('ns/w1999')} n0@${version('ns/n0')} ns:${informer.byIndex('namespace', 'ns').length}`);
      setImmediate(look);
    };
    setImmediate(look);
    return { seen, turns: () => turns, stop: () => (polling = false) };
  }

  it('gives the event loop turns during a relist, shows readers the old cache or the new one only, and delivers adds and updates in list order, then deletes', async () => {
    // Old: w0..w1999 at version 1 (size 1). New: w0..w999 unchanged, w1000..w1499 updated (size 2), w1500..w1999 gone, n0..n499 added.
    const before = Array.from({ length: 2_000 }, (_, i) => widget(`w${i}`, 1, '1'));
    const after = [...before.slice(0, 1_000), ...Array.from({ length: 500 }, (_, i) => widget(`w${1_000 + i}`, 2, '2')), ...Array.from({ length: 500 }, (_, i) => widget(`n${i}`, 1, '2'))];
    let listed = before;
    const { kube, state, nextWatch } = client(() => listed);
    const clock = new ManualClock();
    const informer = new Informer<Widget>({ client: kube, kind, clock, logger: createLogger({ level: 'silent' }), relistDelayMs: 10, sliceMs: 0 });
    const bySize = informer.index('bySize', (w) => [String(w.spec?.size)]);
    let watching = nextWatch();
    informer.start();
    await informer.waitForSync();
    await watching;
    const unchanged = informer.get('ns/w5');
    const events: string[] = [];
    let deliveredAtWatch = -1;
    const replacedAt: { events: number; newCache: boolean }[] = [];
    informer.addHandler({
      add: (w) => events.push(`add ${w.metadata?.name ?? ''}`),
      update: (previous, w) => events.push(`update ${w.metadata?.name ?? ''} ${String(previous.spec?.size)}→${String(w.spec?.size)}`),
      delete: (w) => events.push(`delete ${w.metadata?.name ?? ''}`),
      // Derived state that may not lag the cache (the access API's kept decisions) hears of the swap in the same step.
      replaced: () => replacedAt.push({ events: events.length, newCache: informer.get('ns/w1999') === undefined && informer.get('ns/n0') !== undefined }),
    });
    events.length = 0; // the adds of addHandler after sync
    watching = nextWatch().then(() => void (deliveredAtWatch = events.length));
    listed = after;
    const reader = poll(informer, bySize);
    const relisted = informer.relistSoon().then(() => events.length);
    await clock.advance(10);
    const deliveredAtResolve = await relisted.finally(() => reader.stop());
    await watching;

    expect(state.lists).toBe(2 * 4); // four pages of 500, twice
    expect(informer.relistYields).toBeGreaterThan(1_000);
    expect(reader.turns()).toBeGreaterThan(1_000);
    // Every turn saw the old cache (2,000 of size 1) or the new one (1,500 of size 1, w1000 updated, w1999 gone, n0 added), never a mix.
    expect([...reader.seen].sort()).toEqual(['2000 1500 w1000@2 w1999@- n0@2 ns:2000', '2000 2000 w1000@1 w1999@1 n0@- ns:2000']);

    const expected = [...Array.from({ length: 500 }, (_, i) => `update w${1_000 + i} 1→2`), ...Array.from({ length: 500 }, (_, i) => `add n${i}`), ...Array.from({ length: 500 }, (_, i) => `delete w${1_500 + i}`)];
    expect(events).toEqual(expected);
    expect(replacedAt).toEqual([{ events: 0, newCache: true }]);
    // The relist's waiters, and the next watch, come after its last event.
    expect(deliveredAtResolve).toBe(expected.length);
    expect(deliveredAtWatch).toBe(expected.length);
    expect(informer.get('ns/w5')).toBe(unchanged);
    expect(informer.lastResourceVersion).toBe(String(state.lists)); // the last page's
    void informer.stop();
  });

  it('counts every informer of a kind in blink_informer_cached_objects: two of one kind (the Secrets) give the sum, not the last', async () => {
    const metrics = new RuntimeMetrics();
    const informers = [3, 5].map((n, i) => {
      const { kube } = client(() => Array.from({ length: n }, (_, j) => widget(`i${i}-${j}`, 1, '1')));
      return new Informer<Widget>({ client: kube, kind, clock: new ManualClock(), logger: createLogger({ level: 'silent' }), metrics, sliceMs: 0 });
    });
    for (const informer of informers) informer.start();
    await Promise.all(informers.map((informer) => informer.waitForSync()));
    expect((await metrics.cachedObjects.get()).values.map((v) => [v.labels.kind, v.value])).toEqual([[kind.kind, 8]]);
    await Promise.all(informers.map((informer) => informer.stop()));
  });

  it('is synced, and resolves waitForSync, only once every object of the first list is delivered', async () => {
    const { kube } = client(() => Array.from({ length: 1_200 }, (_, i) => widget(`w${i}`, 1, '1')));
    const informer = new Informer<Widget>({ client: kube, kind, clock: new ManualClock(), logger: createLogger({ level: 'silent' }), sliceMs: 0 });
    let adds = 0;
    const syncedAt: number[] = [];
    informer.addHandler({ add: () => void adds++ });
    let polling = true;
    const look = (): void => {
      if (informer.hasSynced) syncedAt.push(adds);
      if (polling) setImmediate(look);
    };
    setImmediate(look);
    informer.start();
    await informer.waitForSync();
    expect(adds).toBe(1_200);
    polling = false;
    expect(syncedAt.every((n) => n === 1_200)).toBe(true);
    void informer.stop();
  });

  it('applies watch events only after the relist, on top of it: a delete and an update of objects the relist brought', async () => {
    let listed = [widget('a', 1, '1'), widget('b', 1, '1')];
    const { kube, send, nextWatch } = client(() => listed);
    const clock = new ManualClock();
    const informer = new Informer<Widget>({ client: kube, kind, clock, logger: createLogger({ level: 'silent' }), relistDelayMs: 10, sliceMs: 0 });
    let watching = nextWatch();
    informer.start();
    await informer.waitForSync();
    await watching;
    listed = [widget('a', 2, '5'), widget('c', 1, '5')];
    watching = nextWatch();
    const relisted = informer.relistSoon();
    await clock.advance(10);
    await relisted;
    await watching;
    expect(names(informer.list())).toBe('a@5,c@5');
    send('MODIFIED', widget('a', 3, '6'));
    send('DELETED', widget('c', 1, '7'));
    expect(names(informer.list())).toBe('a@6');
    expect(informer.get('ns/a')?.spec?.size).toBe(3);
    expect(informer.lastResourceVersion).toBe('7');
    void informer.stop();
  });

  it('gives a handler added while a list is being delivered every cached object once, as an add', async () => {
    const { kube } = client(() => Array.from({ length: 600 }, (_, i) => widget(`w${i}`, 1, '1')));
    const informer = new Informer<Widget>({ client: kube, kind, clock: new ManualClock(), logger: createLogger({ level: 'silent' }), sliceMs: 0 });
    let early = 0;
    const late = new Map<string, number>();
    let added = false;
    informer.addHandler({
      add: () => {
        early++;
        // Halfway through the first list's delivery: the cache already holds all 600.
        if (early === 300 && !added) {
          added = true;
          informer.addHandler({ add: (w) => void late.set(w.metadata?.name ?? '', (late.get(w.metadata?.name ?? '') ?? 0) + 1) });
        }
      },
    });
    informer.start();
    await informer.waitForSync();
    expect(early).toBe(600);
    expect(late.size).toBe(600);
    expect([...late.values()].every((n) => n === 1)).toBe(true);
    void informer.stop();
  });

  it('leaves the cache as it was when stopped while a relist is being built', async () => {
    let listed = Array.from({ length: 1_000 }, (_, i) => widget(`w${i}`, 1, '1'));
    const { kube, nextWatch } = client(() => listed);
    const clock = new ManualClock();
    const informer = new Informer<Widget>({ client: kube, kind, clock, logger: createLogger({ level: 'silent' }), relistDelayMs: 10, sliceMs: 0 });
    const watching = nextWatch();
    informer.start();
    await informer.waitForSync();
    await watching;
    const deleted: string[] = [];
    informer.addHandler({ delete: (w) => deleted.push(w.metadata?.name ?? '') });
    listed = [];
    void informer.relistSoon();
    await clock.advance(10);
    // A few turns into the relist (its list is answered at once; building takes one turn per object).
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    await informer.stop();
    expect(informer.size).toBe(1_000);
    expect(informer.byIndex('namespace', 'ns')).toHaveLength(1_000);
    expect(deleted).toEqual([]);
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
