import { describe, expect, it } from 'vitest';
import { webhookDeliveryCondition } from './delivery-status.js';

describe('webhookDeliveryCondition', () => {
  it('is True while nothing fails', () => {
    expect(webhookDeliveryCondition({ abandoned: {}, failing: {}, retryFor: {}, generation: 3 })).toEqual({ type: 'WebhookDelivery', status: 'True', reason: 'EventsDelivered', message: 'Events are delivered to every webhook', observedGeneration: 3 });
  });
  it('says which webhook fails and why, without counts or times', () => {
    const c = webhookDeliveryCondition({ abandoned: {}, failing: { z: 'HTTP 500', a: 'ECONNREFUSED' }, retryFor: {} });
    expect(c).toMatchObject({ status: 'False', reason: 'DeliveryFailing' });
    expect(c.message).toBe('Webhook "a" is failing (ECONNREFUSED) (and 1 more webhook): its events wait in the outbox and are retried with backoff');
  });
  it('puts a give-up before a failure, naming retryFor or a full outbox', () => {
    expect(webhookDeliveryCondition({ abandoned: { a: { count: 2, lastError: 'timeout' } }, failing: { a: 'timeout' }, retryFor: { a: '1h' } }).message).toBe(
      'Gave up on 2 events for webhook "a" after retrying for 1h (last error: timeout); later events are still sent, and its next delivery clears this',
    );
    expect(webhookDeliveryCondition({ abandoned: { a: { count: 1, lastError: 'OutboxFull' } }, failing: {}, retryFor: {} }).message).toContain('after the outbox was full');
  });
});
