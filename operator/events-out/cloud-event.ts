// An outbox event on the wire: a CloudEvent (CNCF SDK) in structured mode, so the id, type,
// source and subject sit in the body the Standard Webhooks signature covers (binary mode would
// carry them in ce-* headers, outside the signature), signed with the webhook's secret.
import { CloudEvent, HTTP } from 'cloudevents';
import { Webhook } from 'standardwebhooks';
import { EVENT_TYPE_PREFIX } from './account-events.js';
import type { AccountEvent } from './account-events.js';

/** What a receiver finds in `data` (documented in the README, "Listening to account events"). */
export interface AccountEventData {
  readonly tenant: string;
  readonly namespace: string;
  readonly object: AccountEvent['object'];
  /** 1, 2, 3… per object: receivers can drop what they already have and spot a give-up. */
  readonly sequence: number;
  readonly transition: AccountEvent['transition'];
}

/** The HTTP request of one event (without the webhook-* headers, which change per attempt). */
export interface EventMessage {
  readonly id: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The exact bytes that are signed and sent: the same on every attempt. */
  readonly body: string;
}

/** The CloudEvent of `event` of `tenant`, serialized in structured mode. */
export function eventMessage(event: AccountEvent, tenant: string, namespace: string): EventMessage {
  const data: AccountEventData = { tenant, namespace, object: event.object, sequence: event.sequence, transition: event.transition };
  const ce = new CloudEvent<AccountEventData>({
    specversion: '1.0',
    id: event.id,
    type: `${EVENT_TYPE_PREFIX}${event.name}`,
    source: `/apis/accounts.blinkops.com/v1alpha1/tenants/${tenant}`,
    subject: `${event.object.kind === 'User' ? 'users' : 'serviceaccounts'}/${event.object.name}`,
    time: event.time,
    datacontenttype: 'application/json',
    data,
  });
  const message = HTTP.structured(ce);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(message.headers)) if (typeof v === 'string') headers[k] = v;
  return { id: event.id, headers, body: String(message.body) };
}

/** Thrown when a webhook's signing secret is not a Standard Webhooks secret (the message never holds it). */
export class WebhookSecretInvalidError extends Error {
  constructor() {
    super('the signing secret is not a Standard Webhooks secret (whsec_ followed by base64 of 24 to 64 bytes)');
    this.name = 'WebhookSecretInvalidError';
  }
}

/** A signer for one secret; throws WebhookSecretInvalidError for anything but whsec_ + base64 of 24 to 64 bytes. */
export function webhookSigner(secret: string): (id: string, at: Date, body: string) => string {
  const trimmed = secret.trim();
  const base64 = trimmed.startsWith('whsec_') ? trimmed.slice('whsec_'.length) : trimmed;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) throw new WebhookSecretInvalidError();
  const bytes = Buffer.from(base64, 'base64').length;
  if (bytes < 24 || bytes > 64) throw new WebhookSecretInvalidError();
  const webhook = new Webhook(base64);
  return (id, at, body) => webhook.sign(id, at, body);
}

/** The Standard Webhooks headers of one attempt at `at`. */
export function signatureHeaders(sign: (id: string, at: Date, body: string) => string, message: EventMessage, at: Date): Record<string, string> {
  return {
    'webhook-id': message.id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': sign(message.id, at, message.body),
  };
}
