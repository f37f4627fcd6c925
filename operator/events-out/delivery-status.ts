// The Tenant's WebhookDelivery condition (pure; delivery-status.test.ts): stable reasons, no
// timestamps, no counts that move with every event (each change is a status write).
import { CONDITIONS } from '../api/index.js';
import type { ConditionInput } from '../runtime/conditions.js';
import type { GiveUps } from './outbox.js';

/** Reasons of WebhookDelivery. */
export const WEBHOOK_DELIVERY_REASONS = {
  /** Every event so far reached its webhooks, or waits for its first try. */
  delivered: 'EventsDelivered',
  /** A webhook's last attempt failed; its events wait and are retried with backoff. */
  failing: 'DeliveryFailing',
  /** Events were given up for a webhook after its retryFor (or the outbox was full); cleared by its next delivery. */
  abandoned: 'DeliveryAbandoned',
} as const;

/** Inputs of {@link webhookDeliveryCondition}. */
export interface DeliveryConditionInput {
  /** Give-ups per webhook since its last delivery (the outbox's). */
  readonly abandoned: Readonly<Record<string, GiveUps>>;
  /** Webhooks whose last attempt failed, with why. */
  readonly failing: Readonly<Record<string, string>>;
  /** retryFor of each webhook, as written in spec (for the message). */
  readonly retryFor: Readonly<Record<string, string>>;
  readonly generation?: number | undefined;
}

function others(n: number): string {
  return n > 0 ? ` (and ${n} more webhook${n === 1 ? '' : 's'})` : '';
}

/** WebhookDelivery: False DeliveryAbandoned over False DeliveryFailing over True EventsDelivered. */
export function webhookDeliveryCondition(input: DeliveryConditionInput): ConditionInput {
  const observed = input.generation !== undefined ? { observedGeneration: input.generation } : {};
  const abandoned = Object.keys(input.abandoned).sort();
  const first = abandoned[0];
  if (first !== undefined) {
    const g = input.abandoned[first] as GiveUps;
    const why = g.lastError === 'OutboxFull' ? 'the outbox was full' : `retrying for ${input.retryFor[first] ?? 'its retryFor'} (last error: ${g.lastError})`;
    return {
      type: CONDITIONS.webhookDelivery,
      status: 'False',
      reason: WEBHOOK_DELIVERY_REASONS.abandoned,
      message: `Gave up on ${g.count} event${g.count === 1 ? '' : 's'} for webhook "${first}" after ${why}${others(abandoned.length - 1)}; later events are still sent, and its next delivery clears this`,
      ...observed,
    };
  }
  const failing = Object.keys(input.failing).sort();
  const f = failing[0];
  if (f !== undefined) {
    return {
      type: CONDITIONS.webhookDelivery,
      status: 'False',
      reason: WEBHOOK_DELIVERY_REASONS.failing,
      message: `Webhook "${f}" is failing (${input.failing[f] ?? 'error'})${others(failing.length - 1)}: its events wait in the outbox and are retried with backoff`,
      ...observed,
    };
  }
  return { type: CONDITIONS.webhookDelivery, status: 'True', reason: WEBHOOK_DELIVERY_REASONS.delivered, message: 'Events are delivered to every webhook', ...observed };
}
