// Tenant spec.notifications: HTTP endpoints that receive the tenant's account lifecycle events
// as CloudEvents signed per Standard Webhooks (operator/events-out/).
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { dnsLabel, DNS_SUBDOMAIN, durationField, matches, stringEnum } from './schema-builder.js';

/**
 * The lifecycle events, by the short name a webhook's `events` filter uses; the CloudEvent type is
 * `com.blinkops.accounts.<short name>`.
 */
export const ACCOUNT_EVENT_NAMES = [
  'user.invited',
  'user.invitation.sent',
  'user.accepted',
  'user.invitation.expired',
  'user.deactivated',
  'user.reactivated',
  'user.role.changed',
  'user.removed',
  'serviceaccount.key.issued',
  'serviceaccount.key.rotated',
  'serviceaccount.key.repaired',
  'serviceaccount.key.expired',
  'serviceaccount.key.deleted',
  'serviceaccount.role.changed',
] as const;

/** The short name of a lifecycle event. */
export type AccountEventName = (typeof ACCOUNT_EVENT_NAMES)[number];

/** Most webhooks one Tenant may declare. */
export const WEBHOOKS_MAX = 10;

/** How long a webhook's events are retried when spec does not say. */
export const DEFAULT_WEBHOOK_RETRY_FOR = '24h';

/**
 * URLs a webhook may have: https anywhere; plain http only to localhost or 127.0.0.1 (a sidecar, a
 * test). The pattern sits in a CEL double-quoted string: no backslash, no double quote.
 */
export const WEBHOOK_URL = '^(https://[^ /?#@]+|http://(localhost|127[.]0[.]0[.]1)(:[0-9]+)?)([/?][^ #]*)?$';

const URL_MESSAGE = 'url must be https (plain http only to localhost or 127.0.0.1), without spaces, user info or fragment: write it like https://hooks.example.com/blink';

/** One endpoint that receives events. */
export const WebhookSchema = Type.Object(
  {
    name: dnsLabel({
      description: 'Name of this webhook, unique in the list; it names the endpoint in conditions, metrics and logs.',
      message: 'name must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters',
    }),
    url: Type.String({
      description: 'Where events are POSTed, as structured CloudEvents (application/cloudevents+json) with Standard Webhooks headers (webhook-id, webhook-timestamp, webhook-signature). Must be https; plain http is accepted only to localhost or 127.0.0.1 (a sidecar, a test). Redirects are not followed.',
      maxLength: 2048,
      'x-kubernetes-validations': [matches(WEBHOOK_URL, URL_MESSAGE)],
    }),
    secretRef: Type.Object(
      {
        name: Type.String({
          description: 'Name of a Secret in the tenant namespace.',
          maxLength: 253,
          'x-kubernetes-validations': [matches(DNS_SUBDOMAIN, 'secretRef.name must be a Secret name: lowercase letters, digits, "-" and "."')],
        }),
        key: Type.String({
          description: 'Key in that Secret whose value is the Standard Webhooks signing secret: whsec_ followed by base64 of 24 to 64 random bytes.',
          maxLength: 253,
          'x-kubernetes-validations': [matches('^[-._a-zA-Z0-9]+$', 'secretRef.key must be a Secret data key: letters, digits, "-", "_" and "."')],
        }),
      },
      { description: 'The Secret holding the signing secret. The operator reads it when it sends; a missing or malformed secret is retried and shown in the WebhookDelivery condition.' },
    ),
    events: Type.Optional(
      Type.Array(stringEnum(ACCOUNT_EVENT_NAMES, { description: 'A lifecycle event, such as user.invited or serviceaccount.key.rotated.' }), {
        description: `Only these events go to this webhook (default: all of them): ${ACCOUNT_EVENT_NAMES.join(', ')}.`,
        maxItems: ACCOUNT_EVENT_NAMES.length,
        'x-kubernetes-list-type': 'set',
      }),
    ),
    retryFor: Type.Optional(
      durationField({
        description: `How long one event is retried (exponential backoff with jitter, from 1s up to 5m between tries) before the operator gives up on it for this webhook, sets WebhookDelivery=False with reason DeliveryAbandoned, and goes on with the next; a Go duration between 5s and 72h, default ${DEFAULT_WEBHOOK_RETRY_FOR}.`,
        min: '5s',
        max: '72h',
        message: 'retryFor must be a duration between 5s and 72h: write it like 24h, 30m or 90s',
      }),
    ),
  },
  { description: 'An HTTP endpoint that receives the tenant\'s account lifecycle events.' },
);

/** One webhook of a Tenant. */
export type Webhook = Static<typeof WebhookSchema>;

/** The Tenant's spec.notifications. */
export const NotificationsSchema = Type.Object(
  {
    webhooks: Type.Optional(
      Type.Array(WebhookSchema, {
        description: `HTTP endpoints that receive lifecycle events of the tenant's Users and ServiceAccounts (invited, invitation sent, accepted, expired, deactivated, reactivated, role changed, removed; key issued, rotated, repaired, expired, deleted), at least once and in order per object, from a durable outbox. At most ${WEBHOOKS_MAX}, names unique. Events start when a webhook list first appears: earlier transitions are not sent.`,
        maxItems: WEBHOOKS_MAX,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      }),
    ),
  },
  {
    description: 'Where the tenant\'s account lifecycle events are sent.',
  },
);

/** The Tenant's spec.notifications. */
export type Notifications = Static<typeof NotificationsSchema>;
