// Prometheus metrics of one manager, in a registry of its own (never the
// global one) so two managers can live in one process. Names and labels follow
// controller-runtime and client-go's workqueue, so existing dashboards work.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { WorkQueueMetrics } from './work-queue.js';

/** Why an informer restarted its watch (label of `blink_informer_watch_restarts_total`). */
export type WatchRestartReason = 'closed' | 'expired' | 'silent' | 'error' | 'rescope';

/** The metrics of one manager. */
export class RuntimeMetrics {
  readonly registry = new Registry();
  readonly reconcileTotal = new Counter({
    name: 'controller_runtime_reconcile_total',
    help: 'Total number of reconciliations per controller and result.',
    labelNames: ['controller', 'result'] as const,
    registers: [this.registry],
  });
  readonly reconcileErrors = new Counter({
    name: 'controller_runtime_reconcile_errors_total',
    help: 'Total number of reconciliation errors per controller.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  readonly terminalErrors = new Counter({
    name: 'controller_runtime_terminal_reconcile_errors_total',
    help: 'Total number of terminal reconciliation errors per controller.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  readonly reconcileTime = new Histogram({
    name: 'controller_runtime_reconcile_time_seconds',
    help: 'Length of time per reconciliation per controller.',
    labelNames: ['controller'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly activeWorkers = new Gauge({
    name: 'controller_runtime_active_workers',
    help: 'Number of currently used workers per controller.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  readonly maxConcurrentReconciles = new Gauge({
    name: 'controller_runtime_max_concurrent_reconciles',
    help: 'Maximum number of concurrent reconciles per controller.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({ name: 'workqueue_depth', help: 'Current depth of workqueue.', labelNames: ['name'] as const, registers: [this.registry] });
  readonly queueAdds = new Counter({ name: 'workqueue_adds_total', help: 'Total number of adds handled by workqueue.', labelNames: ['name'] as const, registers: [this.registry] });
  readonly queueDuration = new Histogram({
    name: 'workqueue_queue_duration_seconds',
    help: 'How long in seconds an item stays in workqueue before being requested.',
    labelNames: ['name'] as const,
    buckets: [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1, 10, 100, 1000],
    registers: [this.registry],
  });
  readonly workDuration = new Histogram({
    name: 'workqueue_work_duration_seconds',
    help: 'How long in seconds processing an item from workqueue takes.',
    labelNames: ['name'] as const,
    buckets: [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1, 10, 100, 1000],
    registers: [this.registry],
  });
  readonly queueRetries = new Counter({ name: 'workqueue_retries_total', help: 'Total number of retries handled by workqueue.', labelNames: ['name'] as const, registers: [this.registry] });
  readonly retryDelay = new Histogram({
    name: 'blink_workqueue_retry_delay_seconds',
    help: 'Backoff delay chosen for each rate-limited retry.',
    labelNames: ['name'] as const,
    buckets: [0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 60, 300],
    registers: [this.registry],
  });
  readonly leaderStatus = new Gauge({
    name: 'leader_election_master_status',
    help: 'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master.',
    labelNames: ['name'] as const,
    registers: [this.registry],
  });
  readonly watchRestarts = new Counter({
    name: 'blink_informer_watch_restarts_total',
    help: 'Watches an informer restarted, by kind and reason (closed by the server, expired resourceVersion, silent beyond the health timeout, error).',
    labelNames: ['kind', 'reason'] as const,
    registers: [this.registry],
  });
  readonly relists = new Counter({ name: 'blink_informer_relists_total', help: 'Full lists an informer made, by kind.', labelNames: ['kind'] as const, registers: [this.registry] });
  readonly cachedObjects = new Gauge({ name: 'blink_informer_cached_objects', help: 'Objects held in the informer caches, by kind (the sum over the informers of a kind).', labelNames: ['kind'] as const, registers: [this.registry] });
  /** Each informer's cache size, by kind: several informers may cache one kind (Secrets, by label). */
  private readonly cachedByInformer = new Map<string, Map<object, number>>();

  /** One informer's cache size: the gauge of its kind shows the sum over that kind's informers, not the last one to report. */
  setCachedObjects(kind: string, informer: object, size: number): void {
    let sizes = this.cachedByInformer.get(kind);
    if (!sizes) this.cachedByInformer.set(kind, (sizes = new Map()));
    sizes.set(informer, size);
    let total = 0;
    for (const n of sizes.values()) total += n;
    this.cachedObjects.set({ kind }, total);
  }

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** The queue metric sink for the queue of `name`. */
  queue(name: string): WorkQueueMetrics {
    const labels = { name };
    this.queueDepth.set(labels, 0);
    this.queueAdds.inc(labels, 0);
    this.queueRetries.inc(labels, 0);
    return {
      added: () => this.queueAdds.inc(labels),
      depth: (depth) => this.queueDepth.set(labels, depth),
      queued: (seconds) => this.queueDuration.observe(labels, seconds),
      worked: (seconds) => this.workDuration.observe(labels, seconds),
      retried: () => this.queueRetries.inc(labels),
    };
  }
}
