// Tenant: one company's isolated account, owning one namespace (PRODUCT.md §6).
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { AGE_COLUMN, conditionsField, defineKind, observedGenerationField, READY_COLUMN } from './kind.js';
import { NotificationsSchema } from './notifications.js';
import { cel, dnsLabel, DNS_SUBDOMAIN, durationField, emailAddress, HTTP_URL, matches, stringEnum, text } from './schema-builder.js';

/** What happens to the tenant namespace when the Tenant is deleted. */
export const DELETION_POLICIES = ['Retain', 'Delete'] as const;

/** Retain (keep the namespace and everything in it) or Delete. */
export type DeletionPolicy = (typeof DELETION_POLICIES)[number];

/** Longest Tenant name: `tenant-<name>` must still be a namespace name (63). */
export const TENANT_NAME_MAX_LENGTH = 56;

/** Prefix of the namespace the operator picks when spec.namespace is not set. */
export const TENANT_NAMESPACE_PREFIX = 'tenant-';

/**
 * Annotation by which the owner of an existing namespace lets a Tenant adopt it: its value is the
 * Tenant's name. The operator never sets it; without it an existing namespace is not adopted.
 */
export const ADOPT_ANNOTATION = 'accounts.blinkops.com/adopt-by-tenant';

/**
 * Annotation the operator sets on a namespace it creates: the uid of the Tenant it was created for.
 * With the namespace uid recorded in the Tenant's status, it is what allows deletionPolicy Delete
 * to delete the namespace.
 */
export const CREATED_FOR_ANNOTATION = 'accounts.blinkops.com/created-for-tenant-uid';

/** Message of the rules that fix a Tenant's namespace at creation. */
export const NAMESPACE_IMMUTABLE_MESSAGE = 'namespace is fixed when the Tenant is created (set, or left to the default tenant-<name>): it cannot be added, changed or removed later; create a new Tenant to use another namespace';

/** Invitation emails a tenant may send per hour when spec.invitationEmailsPerHour is not set. */
export const DEFAULT_INVITATION_EMAILS_PER_HOUR = 100;

/** Largest spec.invitationEmailsPerHour. */
export const INVITATION_EMAILS_PER_HOUR_MAX = 10_000;

/** What a Tenant declares. */
export const TenantSpecSchema = Type.Object(
  {
    displayName: text({ description: 'Name of the company as shown in invitations and the portal.', minLength: 1, maxLength: 100 }),
    namespace: Type.Optional(
      dnsLabel({
        description: 'Namespace that holds the tenant\'s Users, ServiceAccounts, Workspaces and Groups. Default: tenant-<name>. Fixed at creation: it cannot be added, changed or removed later.',
        message: 'namespace must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters',
        rules: [
          cel(
            {
              rule: "self != 'default' && !self.startsWith('kube-')",
              message: 'namespace may not be default or start with kube-: give the tenant a namespace of its own, such as tenant-<name>',
            },
            (self) => typeof self !== 'string' || (self !== 'default' && !self.startsWith('kube-')),
          ),
          cel({ rule: 'self == oldSelf', message: NAMESPACE_IMMUTABLE_MESSAGE }, (self, oldSelf) => self === oldSelf),
        ],
      }),
    ),
    invitationTTL: Type.Optional(
      durationField({
        description: 'How long an invitation link stays valid, as a Go duration such as 168h (the default, 7 days) or 30m; between 1m and 720h.',
        min: '1m',
        max: '720h',
        default: '168h',
        message: 'invitationTTL must be a duration between 1m and 720h: write it like 168h, 30m or 1h30m',
      }),
    ),
    invitationEmailsPerHour: Type.Optional(
      Type.Integer({
        description:
          'Most invitation emails the operator sends for this tenant in any hour (first invitations, resends and retries alike; a send that certainly failed does not count); past it Users wait with InvitationSent=False, reason InvitationRateLimited. Between 1 and 10000; default 100.',
        format: 'int32',
        minimum: 1,
        maximum: INVITATION_EMAILS_PER_HOUR_MAX,
        default: DEFAULT_INVITATION_EMAILS_PER_HOUR,
      }),
    ),
    sender: Type.Optional(
      emailAddress({
        description: 'Email address invitations are sent from (the From header). Default: the operator\'s configured sender.',
        message: 'sender must be a plain email address: write it like accounts@example.com, without a display name or angle brackets',
      }),
    ),
    acceptanceURL: Type.Optional(
      Type.String({
        description: 'Base URL of the invitation acceptance page as reachable by the invited people, such as https://accounts.example.com. Default: the operator\'s configured URL.',
        maxLength: 2048,
        'x-kubernetes-validations': [matches(HTTP_URL, 'acceptanceURL must be an http or https URL without spaces: write it like https://accounts.example.com')],
      }),
    ),
    allowedEmailDomains: Type.Optional(
      Type.Array(
        Type.String({
          description: 'A domain name in lowercase, such as example.com.',
          maxLength: 253,
          'x-kubernetes-validations': [
            matches(DNS_SUBDOMAIN, 'each entry must be a domain name in lowercase, like example.com: letters, digits, "-" and "."'),
          ],
        }),
        {
          description: 'If set, only Users whose email address is in one of these domains are invited; others get Ready=False. At most 50, no duplicates.',
          maxItems: 50,
          'x-kubernetes-list-type': 'set',
        },
      ),
    ),
    notifications: Type.Optional(NotificationsSchema),
    deletionPolicy: Type.Optional(
      stringEnum(DELETION_POLICIES, {
        description:
          'What deleting the Tenant does to its namespace: Retain (the default) keeps it and all it holds; Delete deletes it if the operator created it for this Tenant, and otherwise removes only what the operator made there (its labels and RoleBindings).',
        default: 'Retain',
      }),
    ),
  },
  {
    description: 'Desired state of the tenant: its namespace and settings.',
    // String comparison of oldSelf fields here is estimated far above the cost
    // budget, so the rule that the value does not change sits on the field.
    'x-kubernetes-validations': [
      // Neither added, nor removed: the namespace a Tenant starts with (tenant-<name> when unset)
      // is the one it keeps, so an edit can never move a tenant onto another namespace.
      cel(
        { rule: 'has(oldSelf.namespace) == has(self.namespace)', message: NAMESPACE_IMMUTABLE_MESSAGE, fieldPath: '.namespace' },
        (self, oldSelf) => ((oldSelf as { namespace?: unknown }).namespace === undefined) === ((self as { namespace?: unknown }).namespace === undefined),
      ),
    ],
  },
);

/** What the operator reports about a Tenant. */
export const TenantStatusSchema = Type.Object(
  {
    namespace: Type.Optional(Type.String({ description: 'Namespace of the tenant, created (or adopted) and labelled by the operator.', maxLength: 63 })),
    createdNamespaceUID: Type.Optional(
      Type.String({
        description:
          'uid of the namespace the operator created for this Tenant. deletionPolicy Delete deletes the namespace only while its uid is this one (a namespace of the same name made by anyone else has another uid); unset for an adopted namespace.',
        maxLength: 128,
      }),
    ),
    users: Type.Optional(
      Type.Object(
        {
          invited: Type.Integer({ description: 'Users that have not accepted their invitation yet.', format: 'int32', minimum: 0 }),
          active: Type.Integer({ description: 'Active users.', format: 'int32', minimum: 0 }),
          inactive: Type.Integer({ description: 'Deactivated users.', format: 'int32', minimum: 0 }),
        },
        { description: 'Number of users per phase.' },
      ),
    ),
    serviceAccounts: Type.Optional(Type.Integer({ description: 'Number of service accounts.', format: 'int32', minimum: 0 })),
    conditions: Type.Optional(conditionsField()),
    observedGeneration: Type.Optional(observedGenerationField()),
  },
  { description: 'Observed state of the tenant, written by the operator.' },
);

/** The Tenant kind (cluster-scoped). */
export const TENANT_KIND = defineKind({
  kind: 'Tenant',
  plural: 'tenants',
  shortNames: ['btenant', 'btn'],
  scope: 'Cluster',
  description: 'A company\'s account, isolated from all others: one namespace holding its Users, ServiceAccounts, Workspaces and Groups, and its settings.',
  spec: TenantSpecSchema,
  specRequired: true,
  status: TenantStatusSchema,
  nameMaxLength: TENANT_NAME_MAX_LENGTH,
  nameMessage: `metadata.name of a Tenant must be a DNS-1123 label of at most ${TENANT_NAME_MAX_LENGTH} characters, so that tenant-<name> is a valid namespace: use lowercase letters, digits and "-", starting and ending with a letter or digit`,
  columns: [
    { name: 'Namespace', type: 'string', jsonPath: '.status.namespace', description: 'Namespace of the tenant' },
    { name: 'Active', type: 'integer', jsonPath: '.status.users.active', description: 'Active users' },
    { name: 'Invited', type: 'integer', jsonPath: '.status.users.invited', description: 'Users that have not accepted yet' },
    { name: 'Inactive', type: 'integer', jsonPath: '.status.users.inactive', description: 'Deactivated users' },
    { name: 'ServiceAccounts', type: 'integer', jsonPath: '.status.serviceAccounts', description: 'Service accounts' },
    READY_COLUMN,
    AGE_COLUMN,
  ],
});

/** What a Tenant declares. */
export type TenantSpec = Static<typeof TenantSpecSchema>;
/** What the operator reports about a Tenant. */
export type TenantStatus = Static<typeof TenantStatusSchema>;
/** A Tenant object. */
export type Tenant = Static<typeof TENANT_KIND.schema>;
