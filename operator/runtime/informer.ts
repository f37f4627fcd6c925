// A shared informer: one list+watch per kind (and selector), a cache the
// controllers read from, and indexes over it. Built not to go stale:
//  - watches start at the list's resourceVersion, ask for bookmarks, and carry
//    `timeoutSeconds`, so the server ends each one within minutes;
//  - a health timer restarts a watch that has been silent too long (dead
//    connection, frozen proxy), resuming from the last resourceVersion seen;
//  - 410 Gone (expired resourceVersion) leads to a relist, whose difference
//    with the cache is delivered as add/update/delete events;
//  - any other failure reconnects with exponential backoff and jitter. The
//    loop ends only when the informer is stopped.
import type { Clock, Timer } from './clock.js';
import { sleep } from './clock.js';
import { ApiError } from './errors.js';
import { compactHistory } from './compact-history.js';
import { compactSecretData } from './compact-secret-data.js';
import { shareConditions } from './shared-conditions.js';
import { rememberSpecManager } from './history.js';
import type { KindDescriptor, KubeObject } from './kinds.js';
import { collectionPath, objectKey } from './kinds.js';
import type { KubeClient, Query } from './kube-client.js';
import type { Logger } from './logger.js';
import type { RuntimeMetrics, WatchRestartReason } from './metrics.js';
import { Backoff } from './rate-limiter.js';
import { DEFAULT_SLICE_MS, Slicer } from './slicing.js';

/** A handle to one index of an informer. */
export interface CacheIndex<T extends KubeObject> {
  readonly name: string;
  /** Cached objects whose index holds `value`. */
  get(value: string): T[];
}

/** Callbacks for cache changes. They must only enqueue work (never reconcile inside a callback); they run synchronously. */
export interface InformerHandler<T extends KubeObject> {
  add?(object: T): void;
  /** `previous` is the object as cached before, `object` as it is now. */
  update?(previous: T, object: T): void;
  delete?(object: T): void;
  /**
   * A relist swapped in a cache that differs from the one before: called at once, in the same step,
   * before the differences go out as events in slices (turns of the event loop later). State derived
   * from the cache that must never answer from older facts than the cache (the access API's
   * precomputed decisions, verified keys) drops itself here.
   */
  replaced?(): void;
}

/** Values under which an object is indexed. */
export type IndexFunction<T extends KubeObject> = (object: T) => readonly string[];

/** Options of {@link Informer}. */
export interface InformerOptions<T extends KubeObject> {
  readonly client: KubeClient;
  readonly kind: KindDescriptor;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics?: RuntimeMetrics;
  /** Only this namespace. @default all namespaces */
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Server-side watch timeout; each watch uses a random value in [t, 2t), as client-go does. @default 300 */
  readonly watchTimeoutSeconds?: number;
  /**
   * A watch that delivers nothing (no event, no bookmark) for this long is restarted from
   * the last resourceVersion. The API server sends a bookmark about every minute. @default 90_000
   */
  readonly healthTimeoutMs?: number;
  /** Redeliver every cached object as an update this often (0: never). @default 0 */
  readonly resyncPeriodMs?: number;
  /** Items per list page. @default 500 */
  readonly pageSize?: number;
  /** Applied to every object before it is cached (after managedFields are stripped). */
  readonly transform?: (object: T) => T;
  /**
   * Only objects for which this holds are cached: any other is dropped as it arrives, before it is
   * prepared or stored (one cached earlier is removed, with a delete event). Evaluated on the raw object.
   * What it depends on may change: {@link Informer.relistSoon} brings back what it now keeps.
   */
  readonly keep?: (object: T) => boolean;
  /** Informers whose caches {@link keep} reads: the first list waits until they have synced. */
  readonly after?: readonly { waitForSync(signal?: AbortSignal): Promise<boolean> }[];
  /** How long {@link Informer.relistSoon} waits, so that a burst of changes costs one relist. @default 1_000 */
  readonly relistDelayMs?: number;
  /**
   * A list is prepared, stored and delivered in slices of about this much main-thread time, with a
   * turn of the event loop between them, so that no single task grows with the number of objects
   * (issue 24: event-loop lag ≤ 20 ms). 0 yields after every object (tests). @default 4
   */
  readonly sliceMs?: number;
  readonly random?: () => number;
}

/** The keys of the cached objects under one index value: one key as itself, more as a Set. */
type IndexEntry = string | Set<string>;

/**
 * One copy of each string that many cached objects repeat (apiVersion, kind, type, namespace, finalizers,
 * label values, owner kinds, condition type/status/reason/message, phase, a RoleBinding's roleRef and
 * subject kinds): JSON.parse gives every
 * object its own copy of each value. Bounded: past {@link INTERN_LIMIT} distinct strings the pool
 * starts again (what was shared stays shared). Timestamps, names and uids are left alone: they differ per object.
 */
const internPool = new Map<string, string>();
const INTERN_LIMIT = 20_000;
const INTERN_MAX_LENGTH = 256;
function intern<V>(value: V): V {
  if (typeof value !== 'string' || value.length > INTERN_MAX_LENGTH) return value;
  const known = internPool.get(value);
  if (known !== undefined) return known as V;
  if (internPool.size >= INTERN_LIMIT) internPool.clear();
  internPool.set(value, value);
  return value;
}
function internFields(object: Record<string, unknown> | undefined, fields: readonly string[]): void {
  if (object === undefined || object === null || typeof object !== 'object' || Object.isFrozen(object)) return;
  for (const field of fields) if (typeof object[field] === 'string') object[field] = intern(object[field]);
}
function internValues(record: unknown): void {
  if (record === null || typeof record !== 'object' || Object.isFrozen(record)) return;
  const r = record as Record<string, unknown>;
  for (const key of Object.keys(r)) r[key] = intern(r[key]);
}
/**
 * One frozen copy of each small array of strings that many cached objects hold (finalizers, a spec's
 * or status's groups and workspaces, mostly `[]` or one name): a parsed array costs 32-56 B per object.
 * Frozen, since it is shared: cached objects are read-only, and a reader that edited one would now
 * get a TypeError instead of silently changing the cache. Bounded as the intern pool is.
 */
const arrayPool = new Map<string, readonly string[]>();
const ARRAY_POOL_LIMIT = 20_000;
const SHARED_ARRAY_MAX_LENGTH = 8;
function shareArray(values: unknown): unknown {
  if (!Array.isArray(values) || values.length > SHARED_ARRAY_MAX_LENGTH || Object.isFrozen(values)) return values;
  for (const value of values) if (typeof value !== 'string' || value.length > INTERN_MAX_LENGTH) return values;
  // The key may collide (a value holding the separator): a hit counts only when every element is equal.
  const key = (values as string[]).join('\u0000');
  const known = arrayPool.get(key);
  if (known !== undefined && known.length === values.length && known.every((v, i) => v === values[i])) return known;
  if (arrayPool.size >= ARRAY_POOL_LIMIT) arrayPool.clear();
  const shared = Object.freeze((values as string[]).map(intern));
  arrayPool.set(key, shared);
  return shared;
}
/** Replaces each small array of strings among the fields of `record` (one level) by its shared copy. */
function shareArrays(record: unknown): void {
  if (record === null || typeof record !== 'object' || Array.isArray(record) || Object.isFrozen(record)) return;
  const r = record as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    const value = r[key];
    if (Array.isArray(value)) {
      const shared = shareArray(value);
      if (shared !== value) r[key] = shared;
    }
  }
}

const TOP_FIELDS = ['apiVersion', 'kind', 'type'] as const;
const METADATA_FIELDS = ['namespace'] as const;
const OWNER_FIELDS = ['apiVersion', 'kind'] as const;
const CONDITION_FIELDS = ['type', 'status', 'reason', 'message'] as const;
const STATUS_FIELDS = ['phase'] as const;
const ROLE_REF_FIELDS = ['apiGroup', 'kind', 'name'] as const;
const SUBJECT_FIELDS = ['apiGroup', 'kind', 'namespace'] as const;

/**
 * Replaces, in place, the strings many objects share by one copy each, and small arrays of strings
 * (finalizers, spec and status fields) by one frozen copy each: equal values, nothing a reader can see
 * but that those arrays refuse edits. Exported for tests.
 */
export function internCommonStrings<T extends KubeObject>(object: T): T {
  const o = object as unknown as Record<string, unknown> & { metadata?: Record<string, unknown>; status?: Record<string, unknown> };
  internFields(o, TOP_FIELDS);
  const metadata = o.metadata;
  if (metadata && typeof metadata === 'object') {
    internFields(metadata, METADATA_FIELDS);
    if (!Object.isFrozen(metadata) && Array.isArray(metadata['finalizers'])) metadata['finalizers'] = shareArray(metadata['finalizers']);
    internValues(metadata['labels']);
    const owners = metadata['ownerReferences'];
    if (Array.isArray(owners)) for (const owner of owners) internFields(owner as Record<string, unknown>, OWNER_FIELDS);
  }
  // RoleBindings: the role they bind and the kinds of their subjects repeat across the namespace.
  const roleRef = o['roleRef'];
  if (roleRef && typeof roleRef === 'object') internFields(roleRef as Record<string, unknown>, ROLE_REF_FIELDS);
  const subjects = o['subjects'];
  if (Array.isArray(subjects)) for (const subject of subjects) internFields(subject as Record<string, unknown>, SUBJECT_FIELDS);
  shareArrays(o['spec']);
  const status = o.status;
  if (status && typeof status === 'object') {
    shareArrays(status);
    internFields(status, STATUS_FIELDS);
    const conditions = status['conditions'];
    if (Array.isArray(conditions)) for (const condition of conditions) internFields(condition as Record<string, unknown>, CONDITION_FIELDS);
  }
  return object;
}

/**
 * Makes equal strings within one object one string: the same timestamp in creationTimestamp, a
 * condition's lastTransitionTime and a history entry, a key id in a label and in status, parsed
 * once each by JSON.parse; and a recent time (to the second) with other objects' equal ones.
 * Depth-first over plain objects and arrays; frozen ones are left alone. Exported for tests.
 */
export function shareEqualStrings(root: unknown): void {
  try {
    shareIn(root, 0);
  } finally {
    seenInObject.clear();
  }
}
const seenInObject = new Map<string, string>();
function shareIn(node: unknown, depth: number): void {
  if (depth > 8 || node === null || typeof node !== 'object' || Object.isFrozen(node)) return;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const value: unknown = node[i];
      if (typeof value === 'string') node[i] = shareString(value);
      else if (value !== null && typeof value === 'object') shareIn(value, depth + 1);
    }
    return;
  }
  const record = node as Record<string, unknown>;
  for (const key in record) {
    // status.history and a Secret's data become one string just after (compact-history.ts,
    // compact-secret-data.ts): their strings are not kept.
    if (!Object.hasOwn(record, key) || (depth === 1 && key === 'history') || (depth === 0 && key === 'data')) continue;
    const value = record[key];
    // Equal strings compare equal whatever their copy: assign the first copy whenever one is known.
    if (typeof value === 'string') {
      if (value.length >= 8 && value.length <= INTERN_MAX_LENGTH) record[key] = shareString(value);
    } else if (value !== null && typeof value === 'object') shareIn(value, depth + 1);
  }
}
function shareString(value: string): string {
  if (value.length < 8 || value.length > INTERN_MAX_LENGTH) return value;
  // A time is shared through the pool of recent times, within the object too: one lookup, not two.
  if (isSecondsTime(value)) return recentTime(value);
  const first = seenInObject.get(value);
  if (first !== undefined) return first;
  seenInObject.set(value, value);
  return value;
}

/**
 * One copy of each recent time (`2026-12-08T00:30:09Z`) across objects: objects made together (a
 * tenant's users from SCIM or GitOps, ~55 a second in the --scale run) share their creationTimestamp
 * and the times of their status writes: 40 B per time per object. Bounded: past
 * {@link TIME_POOL_LIMIT} times the pool starts again (what was shared stays shared); a time seen once
 * costs one entry meanwhile.
 */
const timePool = new Map<string, string>();
const TIME_POOL_LIMIT = 4_096;
function recentTime(value: string): string {
  const known = timePool.get(value);
  if (known !== undefined) return known;
  if (timePool.size >= TIME_POOL_LIMIT) timePool.clear();
  timePool.set(value, value);
  return value;
}
/** An RFC 3339 time to the second in UTC, as Kubernetes writes them (a cheap check: shape, not calendar). */
function isSecondsTime(value: string): boolean {
  return value.length === 20 && value.charCodeAt(19) === 90 /* Z */ && value.charCodeAt(10) === 84 /* T */ && value.charCodeAt(4) === 45 /* - */ && value.charCodeAt(13) === 58 /* : */;
}

/** A condition kept as the first of its kind (then frozen and shared): its common strings interned, its time pooled. */
function prepareFirstCondition(condition: Record<string, unknown>): void {
  internFields(condition, CONDITION_FIELDS);
  const time = condition['lastTransitionTime'];
  if (typeof time === 'string' && isSecondsTime(time)) condition['lastTransitionTime'] = recentTime(time);
}

/** Index of objects by namespace (built in to every informer). */
export const NAMESPACE_INDEX = 'namespace';

/** A list+watch cache of one kind. */
export class Informer<T extends KubeObject = KubeObject> {
  readonly kind: KindDescriptor;
  private readonly options: InformerOptions<T>;
  private readonly log: Logger;
  private store = new Map<string, T>();
  private readonly indexes = new Map<string, { readonly fn: IndexFunction<T>; values: Map<string, IndexEntry> }>();
  private readonly handlers: InformerHandler<T>[] = [];
  private readonly backoff: Backoff;
  private resourceVersion: string | undefined;
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private stopController: AbortController | undefined;
  private running: Promise<void> | undefined;
  private resyncTimer: Timer | undefined;
  private relistTimer: Timer | undefined;
  private endWatch: ((reason: WatchRestartReason) => void) | undefined;
  private relistPending = false;
  /** Callers of relistSoon waiting for a relist that starts after their call. */
  private relistWaiters: (() => void)[] = [];
  /** While a relist's changes are delivered in slices: handlers added meanwhile get the cache as adds at once. */
  private delivering = false;
  /** Turns of the event loop the relists gave back (tests). */
  relistYields = 0;

  constructor(options: InformerOptions<T>) {
    this.options = options;
    this.kind = options.kind;
    this.log = options.logger.child({ informer: options.kind.kind, ...(options.labelSelector ? { labelSelector: options.labelSelector } : {}) });
    this.backoff = new Backoff(200, 30_000, options.random ?? Math.random);
    this.addIndex(NAMESPACE_INDEX, (object) => (object.metadata?.namespace ? [object.metadata.namespace] : []));
  }

  /** True once the first list has been delivered to the cache. */
  get hasSynced(): boolean {
    return this.synced;
  }

  /** The last resourceVersion the cache is consistent with. */
  get lastResourceVersion(): string | undefined {
    return this.resourceVersion;
  }

  /** What the informer lists and watches. */
  get selectors(): { labelSelector?: string; fieldSelector?: string; namespace?: string } {
    const { labelSelector, fieldSelector, namespace } = this.options;
    return { ...(labelSelector ? { labelSelector } : {}), ...(fieldSelector ? { fieldSelector } : {}), ...(namespace ? { namespace } : {}) };
  }

  /** Number of cached objects. */
  get size(): number {
    return this.store.size;
  }

  /** Registers handlers; a handler added after sync first gets an `add` for every cached object. */
  addHandler(handler: InformerHandler<T>): void {
    this.handlers.push(handler);
    if (this.synced || this.delivering) for (const object of this.store.values()) this.call(handler, 'add', object);
  }

  /** Adds an index; objects already cached are indexed at once. Adding the same function twice is a no-op. */
  addIndex(name: string, fn: IndexFunction<T>): void {
    const existing = this.indexes.get(name);
    if (existing?.fn === fn) return;
    if (existing) throw new Error(`Informer for ${this.kind.kind} already has a different index named "${name}"`);
    const index = { fn, values: new Map<string, IndexEntry>() };
    this.indexes.set(name, index);
    for (const [key, object] of this.store) this.indexOne(index, key, object);
  }

  /**
   * Adds an index and returns a typed handle to it: readers hold the handle, so no index is read
   * by a name before the code that defines it has run.
   */
  index(name: string, fn: IndexFunction<T>): CacheIndex<T> {
    this.addIndex(name, fn);
    return { name, get: (value) => this.byIndex(name, value) };
  }

  /** The cached object of a key (`namespace/name`), or undefined. Treat it as read-only. */
  get(key: string): T | undefined {
    return this.store.get(key);
  }

  /** Every cached object. */
  list(): T[] {
    return [...this.store.values()];
  }

  /** Cached objects whose index `name` holds `value`. */
  byIndex(name: string, value: string): T[] {
    const index = this.indexes.get(name);
    if (!index) throw new Error(`Informer for ${this.kind.kind} has no index named "${name}"`);
    const out: T[] = [];
    const keys = index.values.get(value);
    if (keys === undefined) return out;
    if (typeof keys === 'string') {
      const object = this.store.get(keys);
      if (object) out.push(object);
      return out;
    }
    for (const key of keys) {
      const object = this.store.get(key);
      if (object) out.push(object);
    }
    return out;
  }

  /** Starts list+watch in the background. */
  start(): void {
    if (this.running) return;
    this.stopController = new AbortController();
    this.running = this.run(this.stopController.signal);
    this.scheduleResync();
  }

  /**
   * Lists again shortly (once for a burst of calls), delivering the difference: what {@link InformerOptions.keep}
   * now keeps comes back (a namespace that entered scope brings its objects). Resolves once a relist begun
   * after the call has been delivered (at once before the first sync, which sees everything anyway, or when stopped).
   */
  relistSoon(): Promise<void> {
    if (!this.synced || !this.running) return Promise.resolve();
    const relisted = new Promise<void>((resolve) => this.relistWaiters.push(resolve));
    this.relistTimer ??= this.options.clock.setTimer(() => {
      this.relistTimer = undefined;
      if (this.stopController?.signal.aborted) return;
      this.relistPending = true;
      this.endWatch?.('rescope');
    }, this.options.relistDelayMs ?? 1_000);
    return relisted;
  }

  /** Stops watching; the cache keeps its content. */
  async stop(): Promise<void> {
    this.stopController?.abort();
    this.resyncTimer?.cancel();
    this.relistTimer?.cancel();
    this.relistTimer = undefined;
    for (const resolve of this.relistWaiters.splice(0)) resolve();
    await this.running;
    this.running = undefined;
  }

  /** Resolves once synced, or false when `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve(false);
      signal?.addEventListener('abort', () => resolve(false), { once: true });
      this.syncWaiters.push(() => resolve(true));
    });
  }

  /** Delivers every cached object to the handlers as an update (a full resync). */
  resync(): void {
    for (const object of this.store.values()) for (const handler of this.handlers) this.call(handler, 'update', object, object);
  }

  private scheduleResync(): void {
    const period = this.options.resyncPeriodMs ?? 0;
    if (period <= 0) return;
    this.resyncTimer = this.options.clock.setTimer(() => {
      if (this.stopController?.signal.aborted) return;
      this.resync();
      this.scheduleResync();
    }, period);
  }

  private async run(signal: AbortSignal): Promise<void> {
    for (const informer of this.options.after ?? []) if (!(await informer.waitForSync(signal))) return;
    while (!signal.aborted) {
      try {
        if (this.relistPending) {
          this.relistPending = false;
          this.resourceVersion = undefined;
        }
        if (this.resourceVersion === undefined) await this.relist(signal);
        if (signal.aborted) break;
        const started = this.options.clock.now();
        const { reason, events } = await this.watchOnce(signal);
        if (reason === 'stopped') break;
        this.options.metrics?.watchRestarts.inc({ kind: this.kind.kind, reason });
        this.log.debug({ reason, events, resourceVersion: this.resourceVersion }, 'Restarting watch');
        // A silent connection is rarely alone: the idle pooled ones took the same path (a hung proxy, a dead NAT entry).
        if (reason === 'silent') this.options.client.dropIdleConnections?.();
        if (reason === 'expired') {
          this.log.info({ resourceVersion: this.resourceVersion }, 'Relisting after the watch resourceVersion expired');
          this.resourceVersion = undefined;
        }
        if (reason === 'rescope') continue;
        // A watch that ran a while or delivered something was healthy: reconnect at once.
        // One that failed straight away backs off, so a broken server is not hammered.
        const healthy = reason !== 'error' && (events > 0 || this.options.clock.now() - started >= 1_000);
        if (healthy) this.backoff.reset();
        else await sleep(this.options.clock, this.backoff.next(), signal);
      } catch (error) {
        if (signal.aborted) break;
        if (error instanceof ApiError && error.code === 410) this.resourceVersion = undefined;
        const delay = this.backoff.next();
        this.options.metrics?.watchRestarts.inc({ kind: this.kind.kind, reason: 'error' });
        this.log.warn({ err: error, retryInMs: delay }, 'List or watch failed; retrying');
        await sleep(this.options.clock, delay, signal);
      }
    }
  }

  private baseQuery(): Query {
    return { labelSelector: this.options.labelSelector, fieldSelector: this.options.fieldSelector };
  }

  /**
   * Lists every page, then replaces the cache, delivering the difference as events. Each page is
   * prepared (managedFields dropped, transform applied) as it arrives, so the raw list is never held
   * whole: only the prepared objects and one raw page at a time.
   *
   * No step is one task the size of the list (issue 24: a relist of 20,000 objects held the event loop
   * 0.1-0.2 s): preparing, storing and delivering go in slices of {@link InformerOptions.sliceMs} with
   * a turn of the event loop between them. Readers never see a half-applied list: the new cache and
   * its indexes are built beside the old one, which readers keep using until both are swapped in one
   * step; only then are the changes delivered (adds and updates in list order, deletes last), in
   * slices. `synced` and the relist's waiters come after the last one. The watch starts only after
   * that, so no watch event interleaves with a relist's changes.
   */
  private async relist(signal: AbortSignal): Promise<void> {
    // Who asked before this list began is answered by it (a failed list leaves them to the next one).
    const waiting = this.relistWaiters.slice();
    const slicer = new Slicer(this.options.sliceMs ?? DEFAULT_SLICE_MS);
    const items: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion: string | undefined;
    try {
      do {
        const page = await this.options.client.list<T>(this.kind, {
          namespace: this.options.namespace,
          query: { ...this.baseQuery(), limit: this.options.pageSize ?? 500, continue: continueToken },
          signal,
        });
        for (const raw of page.items) {
          if (this.keeps(raw)) items.push(this.prepare(raw));
          if (slicer.due) await slicer.next();
        }
        continueToken = page.metadata.continue || undefined;
        resourceVersion = page.metadata.resourceVersion;
      } while (continueToken && !signal.aborted);
      if (signal.aborted) return;
      this.options.metrics?.relists.inc({ kind: this.kind.kind });
      const replaced = await this.replace(items, slicer, signal);
      if (!replaced) return;
      this.resourceVersion = resourceVersion;
      await this.deliver(replaced, slicer);
    } finally {
      this.relistYields += slicer.yields;
    }
    this.log.debug({ objects: items.length, resourceVersion }, 'Listed');
    this.relistWaiters = this.relistWaiters.filter((resolve) => !waiting.includes(resolve));
    for (const resolve of waiting) resolve();
    if (!this.synced) {
      this.synced = true;
      for (const resolve of this.syncWaiters.splice(0)) resolve();
    }
  }

  /**
   * Builds the cache of a list and its indexes beside the current ones, in slices, then swaps them in
   * one step. An object whose resourceVersion is unchanged stays the cached one. Returns the changes
   * to deliver, or undefined when stopped first (the cache is then left as it was).
   */
  private async replace(items: readonly T[], slicer: Slicer, signal: AbortSignal): Promise<{ changed: { object: T; previous: T | undefined }[]; deleted: T[] } | undefined> {
    const store = new Map<string, T>();
    const changed: { object: T; previous: T | undefined }[] = [];
    for (const item of items) {
      const key = objectKey(item);
      const previous = this.store.get(key);
      const version = item.metadata?.resourceVersion;
      const sameVersion = previous !== undefined && previous.metadata?.resourceVersion === version;
      // The same version is the same object: the cached one stays (and no event), unless there is no version to go by.
      store.set(key, sameVersion && version !== undefined ? previous : item);
      if (!sameVersion) changed.push({ object: item, previous });
      if (slicer.due) await slicer.next();
      if (signal.aborted) return undefined;
    }
    const deleted: T[] = [];
    for (const [key, object] of this.store) {
      if (!store.has(key)) deleted.push(object);
      if (slicer.due) await slicer.next();
      if (signal.aborted) return undefined;
    }
    // Nothing else writes the cache while a relist runs (the watch starts after it), so `deleted` is still true at the swap.
    const built = new Map<string, Map<string, IndexEntry>>();
    for (const [name, index] of this.indexes) {
      const values = new Map<string, IndexEntry>();
      built.set(name, values);
      for (const [key, object] of store) {
        this.indexOne({ fn: index.fn, values }, key, object);
        if (slicer.due) await slicer.next();
        if (signal.aborted) return undefined;
      }
    }
    // The swap: one step, so a reader sees either the old cache or the new one, each with its indexes.
    this.store = store;
    for (const [name, index] of this.indexes) {
      const values = built.get(name);
      if (values) index.values = values;
      else {
        // An index added while the list was being built: built now, at once.
        index.values = new Map();
        for (const [key, object] of store) this.indexOne(index, key, object);
      }
    }
    this.options.metrics?.setCachedObjects(this.kind.kind, this, this.store.size);
    if (changed.length > 0 || deleted.length > 0) {
      for (const handler of this.handlers) {
        try {
          handler.replaced?.();
        } catch (error) {
          this.log.error({ err: error, event: 'replaced' }, 'An informer handler threw; the event was dropped for that handler');
        }
      }
    }
    return { changed, deleted };
  }

  /** Delivers a relist's changes to the handlers in slices: adds and updates in list order, then deletes. */
  private async deliver(changes: { changed: readonly { object: T; previous: T | undefined }[]; deleted: readonly T[] }, slicer: Slicer): Promise<void> {
    // Handlers added from here on get the new cache as adds when they are added, and nothing below.
    const handlers = [...this.handlers];
    this.delivering = true;
    try {
      for (const { object, previous } of changes.changed) {
        for (const handler of handlers) {
          if (previous) this.call(handler, 'update', object, previous);
          else this.call(handler, 'add', object);
        }
        if (slicer.due) await slicer.next();
      }
      for (const object of changes.deleted) {
        for (const handler of handlers) this.call(handler, 'delete', object);
        if (slicer.due) await slicer.next();
      }
    } finally {
      this.delivering = false;
    }
  }

  /** Runs one watch until it ends; says why it ended and how many events it delivered. */
  private watchOnce(signal: AbortSignal): Promise<{ reason: WatchRestartReason | 'stopped'; events: number }> {
    const { clock } = this.options;
    const healthTimeoutMs = this.options.healthTimeoutMs ?? 90_000;
    const base = this.options.watchTimeoutSeconds ?? 300;
    const timeoutSeconds = Math.floor(base * (1 + (this.options.random ?? Math.random)()));
    let events = 0;
    return new Promise((resolve) => {
      let finished = false;
      let timer: Timer | undefined;
      let abortRequest: (() => void) | undefined;
      const finish = (reason: WatchRestartReason | 'stopped'): void => {
        if (finished) return;
        finished = true;
        timer?.cancel();
        signal.removeEventListener('abort', onStop);
        abortRequest?.();
        resolve({ reason, events });
      };
      const onStop = (): void => finish('stopped');
      this.endWatch = finish;
      // Armed before connecting: a connection that never answers is caught too.
      const arm = (): void => {
        timer?.cancel();
        timer = clock.setTimer(() => finish('silent'), healthTimeoutMs);
      };
      arm();
      signal.addEventListener('abort', onStop, { once: true });
      // A relist asked for while the last list ran: do it before watching.
      if (this.relistPending) return finish('rescope');
      const onLine = (line: string): void => {
        if (finished) return;
        let event: { type?: string; object?: T & { code?: number } };
        try {
          event = JSON.parse(line) as typeof event;
        } catch {
          this.log.warn('Ignored an unparsable watch line');
          return;
        }
        const object = event.object;
        if (!object) return;
        events++;
        switch (event.type) {
          case 'ADDED':
          case 'MODIFIED': {
            if (!this.keeps(object)) {
              // Dropped before it is stored; a version kept earlier goes.
              const key = objectKey(object);
              const cached = this.store.get(key);
              if (cached) this.remove(key, cached);
              this.resourceVersion = object.metadata?.resourceVersion ?? this.resourceVersion;
              break;
            }
            const prepared = this.prepare(object);
            this.upsert(objectKey(prepared), prepared);
            this.resourceVersion = prepared.metadata?.resourceVersion ?? this.resourceVersion;
            break;
          }
          case 'DELETED': {
            const key = objectKey(object);
            const cached = this.store.get(key);
            if (cached) this.remove(key, this.prepare(object));
            this.resourceVersion = object.metadata?.resourceVersion ?? this.resourceVersion;
            break;
          }
          case 'BOOKMARK':
            this.resourceVersion = object.metadata?.resourceVersion ?? this.resourceVersion;
            break;
          case 'ERROR':
            finish(object.code === 410 ? 'expired' : 'error');
            if (object.code !== 410) this.log.warn({ status: object }, 'Watch returned an error');
            break;
          default:
            break;
        }
      };
      const query: Query = { ...this.baseQuery(), resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds };
      this.options.client.watch(collectionPath(this.kind, this.options.namespace), query, onLine, arm).then(
        (request) => {
          if (finished) return request.abort();
          abortRequest = request.abort;
          void request.done.then((error) => {
            if (error instanceof ApiError && error.code === 410) return finish('expired');
            if (error) this.log.debug({ err: error }, 'Watch ended with an error');
            finish(error ? 'error' : 'closed');
          });
        },
        (error: unknown) => {
          this.log.debug({ err: error }, 'Watch could not start');
          finish('error');
        },
      );
    });
  }

  private keeps(raw: T): boolean {
    return this.options.keep === undefined || this.options.keep(raw);
  }

  private prepare(raw: T): T {
    // managedFields are large and never read by controllers: do not keep them.
    let object = raw;
    const managedFields = raw.metadata?.managedFields;
    if (managedFields) {
      const { managedFields: _dropped, ...metadata } = raw.metadata ?? {};
      object = { ...raw, metadata };
    }
    const transformed = this.options.transform ? this.options.transform(object) : object;
    // Conditions equal across objects are kept once, frozen (shared-conditions.ts); first, so that the
    // steps below skip those (frozen) and have less to do.
    shareConditions((transformed as { status?: unknown }).status, prepareFirstCondition);
    let prepared = internCommonStrings(transformed);
    shareEqualStrings(prepared);
    // status.history (Users, ServiceAccounts) is kept as one string and decoded when read (compact-history.ts).
    const status = (prepared as { status?: unknown }).status;
    if (status !== null && typeof status === 'object' && 'history' in status && !Object.isFrozen(prepared)) (prepared as { status?: unknown }).status = compactHistory(status);
    // A Secret cached with its data (invitation records) keeps it as joined strings (compact-secret-data.ts).
    if ('data' in prepared && !Object.isFrozen(prepared)) prepared = compactSecretData(prepared);
    // Only who wrote which spec fields, and when, is kept: for status.history (history.ts).
    rememberSpecManager(prepared, managedFields as Parameters<typeof rememberSpecManager>[1]);
    return prepared;
  }

  private upsert(key: string, object: T): void {
    const previous = this.store.get(key);
    if (previous) this.unindex(key, previous);
    this.store.set(key, object);
    for (const index of this.indexes.values()) this.indexOne(index, key, object);
    this.options.metrics?.setCachedObjects(this.kind.kind, this, this.store.size);
    if (!previous) {
      for (const handler of this.handlers) this.call(handler, 'add', object);
    } else if (previous.metadata?.resourceVersion !== object.metadata?.resourceVersion) {
      for (const handler of this.handlers) this.call(handler, 'update', object, previous);
    }
  }

  private remove(key: string, object: T): void {
    const previous = this.store.get(key);
    if (!previous) return;
    this.unindex(key, previous);
    this.store.delete(key);
    this.options.metrics?.setCachedObjects(this.kind.kind, this, this.store.size);
    for (const handler of this.handlers) this.call(handler, 'delete', object);
  }

  private indexOne(index: { fn: IndexFunction<T>; values: Map<string, IndexEntry> }, key: string, object: T): void {
    for (const value of index.fn(object)) {
      const keys = index.values.get(value);
      // Most values of a unique index (email, key id) name one object: the key itself, no Set (~100 B each).
      if (keys === undefined) index.values.set(value, key);
      else if (typeof keys === 'string') {
        if (keys !== key) index.values.set(value, new Set([keys, key]));
      } else keys.add(key);
    }
  }

  private unindex(key: string, object: T): void {
    for (const index of this.indexes.values()) {
      for (const value of index.fn(object)) {
        const keys = index.values.get(value);
        if (keys === undefined) continue;
        if (typeof keys === 'string') {
          if (keys === key) index.values.delete(value);
          continue;
        }
        keys.delete(key);
        if (keys.size === 1) index.values.set(value, keys.values().next().value as string);
        else if (keys.size === 0) index.values.delete(value);
      }
    }
  }

  /** Calls one handler; `object` is the new state, `previous` (updates only) the cached one it replaces. */
  private call(handler: InformerHandler<T>, type: 'add' | 'update' | 'delete', object: T, previous?: T): void {
    try {
      if (type === 'add') handler.add?.(object);
      else if (type === 'delete') handler.delete?.(object);
      else handler.update?.(previous ?? object, object);
    } catch (error) {
      this.log.error({ err: error, event: type }, 'An informer handler threw; the event was dropped for that handler');
    }
  }
}

/** Index function: the uids of an object's owners (use with `byIndex(OWNER_UID_INDEX, uid)`). */
export const ownerUidIndex: IndexFunction<KubeObject> = (object) => (object.metadata?.ownerReferences ?? []).map((ref) => ref.uid);

/** Conventional name for {@link ownerUidIndex}. */
export const OWNER_UID_INDEX = 'ownerUid';
