// The events-out feature: a Tenant's account lifecycle events go to its webhooks
// (spec.notifications.webhooks) as signed CloudEvents, at least once and in order per account,
// from a durable outbox (outbox.ts, outbox-store.ts); POSTs run in their own queue
// (delivery-queue.ts), never inside a reconcile.
import type { Cached, Feature, OperatorContext } from '../context.js';
import type { ServiceAccount, User } from '../api/index.js';
import { ACCOUNT_KINDS, SHARD_LABEL } from '../api/index.js';
import { jsonEqual } from '../runtime/deep-equal.js';
import type { KubeObject } from '../runtime/kinds.js';
import { exponentialRateLimiter } from '../runtime/rate-limiter.js';
import { DEFAULT_DELIVERY_CONCURRENCY, DeliveryQueue } from './delivery-queue.js';
import { EventsOutController } from './events-controller.js';
import { eventsOutMetrics } from './metrics.js';

/** First and largest delay between two attempts at one delivery (exponential, jittered by up to half). */
export const WEBHOOK_BACKOFF = { baseMs: 1_000, maxMs: 300_000, jitter: 0.5 } as const;

/** Options of {@link createEventsOutFeature}; the defaults are what production runs. */
export interface EventsOutFeatureOptions {
  /** POSTs in flight at once, over all tenants (at most 4 of one tenant). @default 32 */
  readonly concurrency?: number;
  /** Uniform in [0, 1), for the backoff's jitter. @default Math.random */
  readonly random?: () => number;
  /** Timeout of one POST. @default 10_000 */
  readonly postTimeoutMs?: number;
}

/** Builds the events-out feature. */
export function createEventsOutFeature(options: EventsOutFeatureOptions = {}): Feature {
  return {
    name: 'events-out',
    register(ctx: OperatorContext) {
      const queue = new DeliveryQueue({ concurrency: options.concurrency ?? DEFAULT_DELIVERY_CONCURRENCY, log: ctx.logger.child({ component: 'webhook-delivery' }) });
      ctx.onStop(() => queue.stop());
      const events = new EventsOutController({
        ctx,
        queue,
        backoff: exponentialRateLimiter({ ...WEBHOOK_BACKOFF, ...(options.random ? { random: options.random } : {}) }),
        metrics: eventsOutMetrics(ctx.manager.metrics.registry),
        requeue: (tenant) => controller.queue.add(tenant),
        ...(options.postTimeoutMs !== undefined ? { postTimeoutMs: options.postTimeoutMs } : {}),
      });
      const shardSelector = ctx.options.shard ? `${SHARD_LABEL}=${ctx.options.shard}` : undefined;
      const controller = ctx.manager.addController({
        name: 'events-out',
        for: ACCOUNT_KINDS.tenant,
        ...(shardSelector ? { forInformer: { labelSelector: shardSelector } } : {}),
        // Tenant status is the Tenant controller's; this one writes only its WebhookDelivery condition.
        ownsStatus: false,
        reconcile: (key, rctx) => events.reconcile(key, rctx),
      });
      // A history entry or a deletion of an account of a tenant with webhooks brings its tenant back.
      const tenantOf = (object: KubeObject): string[] => {
        const tenant = ctx.tenants.forNamespace(object.metadata?.namespace ?? '');
        const name = tenant?.metadata?.name;
        return name && (tenant.spec?.notifications?.webhooks?.length || events.handles(name)) ? [name] : [];
      };
      const historyOrDeletion = (previous: KubeObject, object: KubeObject): boolean => {
        const a = previous as Cached<User | ServiceAccount>;
        const b = object as Cached<User | ServiceAccount>;
        return a.metadata?.uid !== b.metadata?.uid || a.metadata?.deletionTimestamp !== b.metadata?.deletionTimestamp || !jsonEqual(a.status?.history, b.status?.history);
      };
      controller.watch(ctx.caches.users, tenantOf, { onUpdate: historyOrDeletion });
      controller.watch(ctx.caches.serviceAccounts, tenantOf, { onUpdate: historyOrDeletion });
    },
  };
}

/** The events-out feature with production defaults, as features.ts registers it. */
export const eventsOutFeature: Feature = createEventsOutFeature();
