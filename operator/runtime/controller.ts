// A controller: a work queue fed by informers, drained by a bounded number of
// workers that call the reconciler. Errors never escape: a thrown error is a
// transient failure (backoff), a TerminalError is not retried, a
// `{ requeueAfterMs }` result schedules the next look.
import { randomUUID } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Clock } from './clock.js';
import { jsonEqual } from './deep-equal.js';
import type { ReconcileResult, TerminalError } from './errors.js';
import { classifyOutcome, isConflict } from './errors.js';
import type { EventRecorder } from './events.js';
import type { Informer } from './informer.js';
import type { KindDescriptor, KubeObject } from './kinds.js';
import { splitKey } from './kinds.js';
import { reportFailure, shouldReportFailure } from './failure-status.js';
import type { ActContext, KubeWriter } from './kube-writer.js';
import type { Logger } from './logger.js';
import type { RuntimeMetrics } from './metrics.js';
import type { KeyMapper } from './owner-mapping.js';
import type { RateLimiter } from './rate-limiter.js';
import { WorkQueue } from './work-queue.js';

/** What a reconcile gets besides its key. */
export interface ReconcileContext extends ActContext {
  /** Bound to controller, namespace, name and reconcileID. */
  readonly log: Logger;
  /** Aborts when this replica stops being leader: stop writing at once. */
  readonly signal: AbortSignal;
  readonly reconcileID: string;
  readonly namespace: string | undefined;
  readonly name: string;
  /** Consecutive failures of this key before this run. */
  readonly retries: number;
  readonly client: KubeWriter;
  readonly clock: Clock;
  readonly recorder: EventRecorder;
}

/** Drives the object of `key` to its desired state. */
export type Reconciler = (key: string, ctx: ReconcileContext) => Promise<ReconcileResult>;

/** Options of {@link Controller}. */
export interface ControllerOptions {
  readonly name: string;
  readonly reconcile: Reconciler;
  /** Workers. @default 1 */
  readonly concurrency?: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: RuntimeMetrics;
  /** Where reconciles write (the manager's KubeClient). */
  readonly client: KubeWriter;
  readonly recorder: EventRecorder;
  readonly rateLimiter?: RateLimiter;
  /** Drops events of objects out of scope (e.g. outside the manager's namespaces). */
  readonly inScope?: (object: KubeObject) => boolean;
  /**
   * The controller writes the status of this kind: a reconcile that keeps failing is reported on
   * the object (Ready=False, a Warning Event; failure-status.ts). Without it, failures are only
   * logged and counted.
   */
  readonly reportFailures?: {
    readonly kind: KindDescriptor;
    /** The object of a key, as cached. */
    readonly get: (key: string) => KubeObject | undefined;
    /** Transient failures in a row before reporting. @default REPORT_AFTER_FAILURES (3) */
    readonly afterFailures?: number;
  };
}

/** Options of {@link Controller.watch}. */
export interface WatchOptions<T extends KubeObject> {
  /** Whether an update concerns the mapped keys; false drops it. @default every update enqueues */
  readonly onUpdate?: (previous: T, object: T) => boolean;
  /**
   * The object is in scope when this says so, instead of the controller's own check of its
   * namespace: for objects the operator keeps outside tenant namespaces on behalf of one (delivered
   * key copies), whose scope is that tenant namespace's. @default the controller's `inScope`
   */
  readonly inScope?: (object: T) => boolean;
  /**
   * Whether the keys of an add (`previous` undefined) or update go in the work queue's priority
   * lane (work-queue.ts): the event finishes work a pass already started. @default never
   */
  readonly priority?: (previous: T | undefined, object: T) => boolean;
}

/**
 * An update predicate for watches of an object whose status concerns no one else: true when
 * its spec, labels or deletionTimestamp changed (or it was recreated), false for a
 * status-only (or resync) update.
 */
export function specOrLabelsChanged(previous: KubeObject, object: KubeObject): boolean {
  const a = previous as KubeObject & { spec?: unknown };
  const b = object as KubeObject & { spec?: unknown };
  return (
    a.metadata?.uid !== b.metadata?.uid ||
    a.metadata?.generation !== b.metadata?.generation ||
    a.metadata?.deletionTimestamp !== b.metadata?.deletionTimestamp ||
    !jsonEqual(a.metadata?.labels ?? {}, b.metadata?.labels ?? {}) ||
    !jsonEqual(a.spec, b.spec)
  );
}

/**
 * An update predicate for a controller that reads an object's spec, labels and `status.phase` but
 * no other part of its status: true when one of those changed (see {@link specOrLabelsChanged}) and
 * for a resync (the same object delivered again: the periodic level-triggered look stays), false
 * for any other status write (conditions, history, invitation details).
 */
export function specLabelsOrPhaseChanged(previous: KubeObject, object: KubeObject): boolean {
  const phase = (o: KubeObject): unknown => (o as KubeObject & { status?: { phase?: unknown } }).status?.phase;
  return previous === object || specOrLabelsChanged(previous, object) || phase(previous) !== phase(object);
}

/** One controller of the manager. */
export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  readonly concurrency: number;
  private readonly options: ControllerOptions;
  private readonly log: Logger;

  constructor(options: ControllerOptions) {
    this.options = options;
    this.name = options.name;
    this.concurrency = Math.max(1, options.concurrency ?? 1);
    this.log = options.logger.child({ controller: options.name });
    this.queue = new WorkQueue({
      clock: options.clock,
      metrics: options.metrics.queue(options.name),
      ...(options.rateLimiter ? { rateLimiter: options.rateLimiter } : {}),
    });
    options.metrics.maxConcurrentReconciles.set({ controller: this.name }, this.concurrency);
    options.metrics.activeWorkers.set({ controller: this.name }, 0);
    for (const result of ['success', 'error', 'terminal_error', 'requeue_after']) options.metrics.reconcileTotal.inc({ controller: this.name, result }, 0);
    options.metrics.reconcileErrors.inc({ controller: this.name }, 0);
  }

  /**
   * Enqueues the keys `map` gives for every add, update (old and new object) and delete of `informer`.
   * With `options.onUpdate`, an update enqueues only when it returns true (e.g. only when the spec changed):
   * adds and deletes always enqueue.
   */
  watch<T extends KubeObject>(informer: Informer<T>, map: KeyMapper, options: WatchOptions<T> = {}): void {
    const inScope: (object: T) => boolean = options.inScope ?? this.options.inScope ?? (() => true);
    const enqueue = (object: T, priority = false): void => {
      if (!inScope(object)) return;
      for (const key of map(object)) {
        if (priority) this.queue.addPriority(key);
        else this.queue.add(key);
      }
    };
    informer.addHandler({
      add: (object) => enqueue(object, options.priority?.(undefined, object) ?? false),
      update: (previous, object) => {
        if (options.onUpdate && !options.onUpdate(previous, object)) return;
        enqueue(object, options.priority?.(previous, object) ?? false);
        // An owner reference or label that moved away still concerns the old owner.
        if (previous !== object) for (const key of map(previous)) if (inScope(previous)) this.queue.add(key);
      },
      delete: (object) => enqueue(object),
    });
  }

  /**
   * Runs the workers until `stopTaking` aborts (they finish what they hold) or `lease`
   * aborts (in-flight reconciles see an aborted signal; their keys are queued again).
   */
  async run(stopTaking: AbortSignal, lease: AbortSignal): Promise<void> {
    const stop = AbortSignal.any([stopTaking, lease]);
    this.log.info({ workers: this.concurrency }, 'Started workers');
    await Promise.all(Array.from({ length: this.concurrency }, () => this.worker(stop, lease)));
    this.log.info('Stopped workers');
  }

  private async worker(stop: AbortSignal, lease: AbortSignal): Promise<void> {
    while (!stop.aborted) {
      const key = await this.queue.get(stop);
      if (key === undefined) return;
      if (lease.aborted) {
        this.queue.done(key);
        this.queue.add(key);
        return;
      }
      await this.process(key, lease);
      // A reconcile that needs no I/O resolves in microtasks only: without a turn of the event loop
      // between items, a long run of them would hold up watches, timers and HTTP until it ends.
      await nextTurn();
    }
  }

  private async process(key: string, lease: AbortSignal): Promise<void> {
    const { clock, metrics } = this.options;
    const { namespace, name } = splitKey(key);
    const reconcileID = randomUUID();
    const log = this.log.child({ ...(namespace ? { namespace } : {}), name, reconcileID });
    const retries = this.queue.retries(key);
    const labels = { controller: this.name };
    metrics.activeWorkers.inc(labels);
    const started = clock.now();
    let result: ReconcileResult;
    let error: unknown;
    try {
      result = await this.options.reconcile(key, { log, signal: lease, reconcileID, namespace, name, retries, client: this.options.client, clock, recorder: this.options.recorder });
    } catch (thrown) {
      error = thrown ?? new Error('Reconcile threw a nullish value');
    }
    metrics.activeWorkers.dec(labels);
    metrics.reconcileTime.observe(labels, (clock.now() - started) / 1000);
    try {
      if (lease.aborted) {
        // Leadership ended mid-reconcile: whoever leads next must look at this key again.
        this.queue.forget(key);
        this.queue.add(key);
        return;
      }
      const outcome = classifyOutcome(result, error);
      metrics.reconcileTotal.inc({ ...labels, result: outcome });
      switch (outcome) {
        case 'success':
          this.queue.forget(key);
          if (error !== undefined) log.debug({ err: error }, 'Skipped: the namespace is being deleted');
          break;
        case 'requeue_after':
          this.queue.forget(key);
          this.queue.addAfter(key, (result as { requeueAfterMs: number }).requeueAfterMs);
          break;
        case 'terminal_error':
          this.queue.forget(key);
          metrics.reconcileErrors.inc(labels);
          metrics.terminalErrors.inc(labels);
          log.error({ err: error, reason: (error as TerminalError).reason }, 'Reconcile failed terminally; not retrying until the object changes');
          await this.report(key, error, retries + 1, log);
          break;
        case 'error': {
          metrics.reconcileErrors.inc(labels);
          const delay = this.queue.addRateLimited(key);
          metrics.retryDelay.observe({ name: this.name }, delay / 1000);
          if (isConflict(error)) log.debug({ err: error, retryInMs: delay }, 'Reconcile hit a write conflict; retrying');
          else log.warn({ err: error, retryInMs: delay, retries: retries + 1 }, 'Reconcile failed; retrying');
          await this.report(key, error, retries + 1, log);
          break;
        }
      }
    } finally {
      this.queue.done(key);
    }
  }

  /** Reports failure number `failures` of `key` on its object, when this controller writes its status and the failure warrants it. */
  private async report(key: string, error: unknown, failures: number, log: Logger): Promise<void> {
    const to = this.options.reportFailures;
    if (!to || !shouldReportFailure(error, failures, to.afterFailures)) return;
    await reportFailure({ kind: to.kind, get: to.get, client: this.options.client, recorder: this.options.recorder, clock: this.options.clock, log }, key, error);
  }
}
