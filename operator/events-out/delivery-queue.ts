// Webhook POSTs run here, not inside the reconcile (like invitation emails, users/send-queue.ts):
// a slow or dead endpoint of one tenant holds up its own deliveries only, never reconciling and
// never another tenant's events. At most `concurrency` POSTs in flight over all tenants (and at
// most MAX_IN_FLIGHT_PER_TENANT of one tenant, events-controller.ts); the
// controller hands over one delivery per webhook and account at a time (the account's head), so
// order per account is the controller's doing, and at-least-once is the outbox's.
import type { Logger } from '../runtime/logger.js';

/** Webhook POSTs in flight at once unless the feature is told otherwise. */
export const DEFAULT_DELIVERY_CONCURRENCY = 32;

/** One delivery attempt. */
export interface DeliveryJob {
  /** `tenant`, webhook and account: one job per key at a time. */
  readonly key: string;
  /** Makes the attempt and reports its outcome; must not throw. */
  readonly run: () => Promise<void>;
}

/** A bounded-concurrency queue of delivery attempts. */
export class DeliveryQueue {
  private readonly concurrency: number;
  private readonly waiting = new Map<string, DeliveryJob>();
  private readonly running = new Set<string>();
  private stopped = false;

  constructor(private readonly options: { readonly concurrency?: number; readonly log: Logger }) {
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? DEFAULT_DELIVERY_CONCURRENCY));
  }

  /** Queues an attempt unless one for its key waits or runs. Returns whether it was queued. */
  enqueue(job: DeliveryJob): boolean {
    if (this.stopped || this.waiting.has(job.key) || this.running.has(job.key)) return false;
    this.waiting.set(job.key, job);
    this.pump();
    return true;
  }

  /** Attempts waiting or in flight. */
  get size(): number {
    return this.waiting.size + this.running.size;
  }

  /** Starts nothing more; attempts in flight finish (their outcome is recorded or, if not, the event is sent again). */
  stop(): void {
    this.stopped = true;
    this.waiting.clear();
  }

  private pump(): void {
    for (const [key, job] of this.waiting) {
      if (this.stopped || this.running.size >= this.concurrency) return;
      this.waiting.delete(key);
      this.running.add(key);
      void this.start(key, job);
    }
  }

  private async start(key: string, job: DeliveryJob): Promise<void> {
    try {
      await job.run();
    } catch (error) {
      this.options.log.warn({ err: error }, 'A webhook delivery ended with an error');
    } finally {
      this.running.delete(key);
      this.pump();
    }
  }
}
