import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import type { AccountEvent } from './account-events.js';
import { eventMessage, signatureHeaders, webhookSigner, WebhookSecretInvalidError } from './cloud-event.js';

const event: AccountEvent = {
  id: '0123456789abcdef0123456789abcdef',
  name: 'serviceaccount.key.rotated',
  object: { kind: 'ServiceAccount', name: 'bot', uid: '11111111-2222-3333-4444-555555555555' },
  sequence: 2,
  time: '2026-12-07T10:00:00Z',
  transition: { event: 'KeyRotated', reason: 'Requested', message: 'Rotated the API key to Key2' },
};

describe('eventMessage', () => {
  it('is a structured CloudEvent whose body carries every attribute, the same bytes every time', () => {
    const m = eventMessage(event, 'acme', 'tenant-acme');
    expect(m.headers['content-type']).toMatch(/^application\/cloudevents\+json/);
    expect(JSON.parse(m.body)).toEqual({
      specversion: '1.0',
      id: event.id,
      type: 'com.blinkops.accounts.serviceaccount.key.rotated',
      source: '/apis/accounts.blinkops.com/v1alpha1/tenants/acme',
      subject: 'serviceaccounts/bot',
      time: '2026-12-07T10:00:00.000Z',
      datacontenttype: 'application/json',
      data: { tenant: 'acme', namespace: 'tenant-acme', object: event.object, sequence: 2, transition: event.transition },
    });
    expect(eventMessage(event, 'acme', 'tenant-acme').body).toBe(m.body);
  });
});

describe('webhookSigner', () => {
  it('signs so that the Standard Webhooks library verifies, with the event id as webhook-id', () => {
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const m = eventMessage(event, 'acme', 'tenant-acme');
    const headers = signatureHeaders(webhookSigner(secret), m, new Date());
    expect(headers['webhook-id']).toBe(event.id);
    expect(new Webhook(secret).verify(m.body, headers)).toMatchObject({ id: event.id });
    expect(() => new Webhook(`whsec_${randomBytes(32).toString('base64')}`).verify(m.body, headers)).toThrow();
    expect(() => new Webhook(secret).verify(m.body.replace('Key2', 'Key3'), headers)).toThrow();
  });
  it.each([
    ['not base64', 'whsec_not base64!'],
    ['too short', `whsec_${randomBytes(8).toString('base64')}`],
    ['too long', `whsec_${randomBytes(100).toString('base64')}`],
    ['empty', ''],
  ])('refuses a secret that is %s, without saying it', (_what, secret) => {
    let error: unknown;
    try {
      webhookSigner(secret);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WebhookSecretInvalidError);
    if (secret) expect((error as Error).message).not.toContain(secret.slice(6));
  });
});
