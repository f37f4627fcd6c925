// A cache seeded by hand, for table tests of whole reconciles: a real Informer
// (its store, indexes and handlers) fed from a list of objects instead of an API
// server. `set` and `remove` deliver what a watch would, so a test can make the
// cache lag behind or run ahead of what FakeKubeWriter holds.
import { ManualClock } from './clock.js';
import { Informer } from './informer.js';
import type { IndexFunction } from './informer.js';
import type { KindDescriptor, KubeObject } from './kinds.js';
import type { KubeClient, ObjectList } from './kube-client.js';
import { createLogger } from './logger.js';

/** A synced Informer over seeded objects, and the watch events a test can send it. */
export interface SeededCache<T extends KubeObject> {
  readonly informer: Informer<T>;
  /** Adds or replaces an object, as a watch event would (a new resourceVersion makes it an update). */
  set(object: T): void;
  /** Removes an object, as a watch DELETED event would. */
  remove(object: T): void;
}

/** Builds a synced cache of `kind` holding `objects` (with `indexes`); it never talks to a server. */
export async function seededCache<T extends KubeObject>(
  kind: KindDescriptor,
  objects: readonly T[],
  indexes: Readonly<Record<string, IndexFunction<T>>> = {},
): Promise<SeededCache<T>> {
  let send: (line: string) => void = () => {
    throw new Error(`The seeded cache of ${kind.kind} is not watching yet`);
  };
  let watching: () => void = () => {};
  const started = new Promise<void>((resolve) => (watching = resolve));
  const client = {
    list: (): Promise<ObjectList<T>> => Promise.resolve({ metadata: { resourceVersion: '1' }, items: structuredClone([...objects]) }),
    watch: (_path: string, _query: unknown, onLine: (line: string) => void) => {
      send = onLine;
      watching();
      return Promise.resolve({ abort: () => {}, done: new Promise<never>(() => {}) });
    },
  } as unknown as KubeClient;
  // A clock that never moves: the watch health timer never fires.
  const informer = new Informer<T>({ client, kind, clock: new ManualClock(), logger: createLogger({ level: 'silent' }) });
  for (const [name, fn] of Object.entries(indexes)) informer.addIndex(name, fn);
  informer.start();
  await informer.waitForSync();
  await started;
  return {
    informer,
    set: (object) => send(JSON.stringify({ type: 'MODIFIED', object })),
    remove: (object) => send(JSON.stringify({ type: 'DELETED', object })),
  };
}
