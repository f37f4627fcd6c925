// The events-out metrics, on the manager's registry (served on /metrics to authorized scrapers).
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

/** Counters and gauges of webhook deliveries. */
export interface EventsOutMetrics {
  /** Attempts by outcome: delivered (2xx), failed (retried), abandoned (given up after retryFor, or the outbox was full). */
  readonly deliveries: Counter<'tenant' | 'outcome'>;
  /** Events in the outbox not yet delivered to every webhook they are for. */
  readonly outboxEvents: Gauge<'tenant'>;
}

/** Registers the events-out metrics on `registry`. */
export function eventsOutMetrics(registry: Registry): EventsOutMetrics {
  return {
    deliveries: new Counter({
      name: 'blink_accounts_webhook_deliveries_total',
      help: 'Webhook delivery attempts of account events, by tenant and outcome (delivered, failed, abandoned).',
      labelNames: ['tenant', 'outcome'] as const,
      registers: [registry],
    }),
    outboxEvents: new Gauge({
      name: 'blink_accounts_webhook_outbox_events',
      help: 'Account events waiting in a tenant\'s outbox for at least one webhook.',
      labelNames: ['tenant'] as const,
      registers: [registry],
    }),
  };
}
