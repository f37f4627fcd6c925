// Tenant: one company's isolated account, owning one namespace (PRODUCT.md §6).
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { AGE_COLUMN, conditionsField, defineKind, observedGenerationField, READY_COLUMN } from './kind.js';
import { ProvisioningSchema, ProvisioningStatusSchema } from './provisioning.js';
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

/** Claim that carries the email address when spec.identityProvider.emailClaim is not set. */
export const DEFAULT_EMAIL_CLAIM = 'email';

/** Claim that must be true for the email to count as verified when spec.identityProvider.emailVerifiedClaim is not set. */
export const DEFAULT_EMAIL_VERIFIED_CLAIM = 'email_verified';

/** Key of the client secret in its Secret when clientSecretRef.key is not set. */
export const DEFAULT_CLIENT_SECRET_KEY = 'clientSecret';

/** Printable ASCII without spaces (client ids, scopes, prefixes). */
export const PRINTABLE_TOKEN = '^[!-~]+$';

/** An https URL without spaces, query or fragment (what OpenID Connect allows as an issuer). */
export const HTTPS_ISSUER_URL = '^https://[^ /?#]+(/[^ ?#]*)?$';

/**
 * The OpenID Connect provider of a tenant (issue 26). With it, accepting an invitation means
 * signing in there as the invited person, and the tenant's RoleBindings name people by the
 * username the kube-apiserver's JWT authenticator for this issuer gives them.
 */
export const IdentityProviderSchema = Type.Object(
  {
    issuerURL: Type.String({
      description:
        'Issuer of the OpenID Connect provider, exactly as its ID tokens say it (the iss claim), such as https://acme.okta.com or https://login.microsoftonline.com/<tenant-id>/v2.0. https only; the operator reads <issuerURL>/.well-known/openid-configuration.',
      maxLength: 2048,
      'x-kubernetes-validations': [matches(HTTPS_ISSUER_URL, 'issuerURL must be an https URL without spaces, query or fragment: write it like https://acme.okta.com')],
    }),
    clientID: Type.String({
      description: 'Client id of the application registered at the provider for Blink; also the audience the kube-apiserver checks in ID tokens.',
      minLength: 1,
      maxLength: 512,
      'x-kubernetes-validations': [matches(PRINTABLE_TOKEN, 'clientID must be printable ASCII without spaces: copy it as the provider shows it')],
    }),
    clientSecretRef: Type.Object(
      {
        name: Type.String({
          description: 'Name of the Secret, in the tenant namespace.',
          maxLength: 253,
          'x-kubernetes-validations': [matches(DNS_SUBDOMAIN, 'clientSecretRef.name must be the name of a Secret: use lowercase letters, digits, "-" and "."')],
        }),
        key: Type.Optional(
          Type.String({
            description: 'Key of the client secret in the Secret. Default: clientSecret.',
            maxLength: 253,
            default: DEFAULT_CLIENT_SECRET_KEY,
            'x-kubernetes-validations': [matches('^[-._a-zA-Z0-9]+$', 'clientSecretRef.key must be a Secret data key: use letters, digits, "-", "_" and "."')],
          }),
        ),
      },
      { description: 'The Secret in the tenant namespace that holds the client secret of the application at the provider.' },
    ),
    scopes: Type.Optional(
      Type.Array(Type.String({ description: 'A scope, such as groups.', maxLength: 128, 'x-kubernetes-validations': [matches(PRINTABLE_TOKEN, 'each scope must be printable ASCII without spaces: give one scope per entry, like groups')] }), {
        description: 'Scopes asked for besides openid and email (always asked). At most 20.',
        maxItems: 20,
        'x-kubernetes-list-type': 'set',
      }),
    ),
    emailClaim: Type.Optional(
      Type.String({
        description: 'ID-token claim that carries the person\'s email address. Default: email. The provider must also say the email is verified (emailVerifiedClaim); the kube-apiserver configuration must map the same claim.',
        maxLength: 128,
        default: DEFAULT_EMAIL_CLAIM,
        'x-kubernetes-validations': [matches('^[A-Za-z0-9_:./-]+$', 'emailClaim must be a claim name: use letters, digits and _ . / -, like email or upn')],
      }),
    ),
    emailVerifiedClaim: Type.Optional(
      Type.String({
        description:
          'ID-token claim that must be exactly true for the email to count as verified. Default: email_verified. Microsoft Entra ID sends none; its optional claim xms_edov (email domain owner verified) can take its place. The kube-apiserver configuration must check the same claim.',
        maxLength: 128,
        default: DEFAULT_EMAIL_VERIFIED_CLAIM,
        'x-kubernetes-validations': [matches('^[A-Za-z0-9_:./-]+$', 'emailVerifiedClaim must be a claim name: use letters, digits and _ . / -, like email_verified or xms_edov')],
      }),
    ),
    usernamePrefix: Type.Optional(
      Type.String({
        description:
          'Prefix of the Kubernetes username of this tenant\'s people: RoleBindings name <usernamePrefix><email>, and the kube-apiserver\'s JWT authenticator for this issuer must set claimMappings.username.prefix to the same value. Default: <issuerURL>#. It is what keeps another provider (which can put any email in a token) from producing a name these RoleBindings accept.',
        maxLength: 2100,
        'x-kubernetes-validations': [
          matches(PRINTABLE_TOKEN, 'usernamePrefix must be printable ASCII without spaces: write it like acme- or oidc-acme#'),
          cel(
            { rule: "!self.startsWith('system:')", message: 'usernamePrefix may not start with system colon: Kubernetes reserves those names, choose one like acme-' },
            (self) => typeof self !== 'string' || !self.startsWith('system:'),
          ),
        ],
      }),
    ),
    certificateAuthority: Type.Optional(
      Type.String({
        description: 'PEM certificates to trust for the provider\'s TLS, for a provider with a private CA (the same value goes into the kube-apiserver\'s jwt[].issuer.certificateAuthority). Default: the system\'s trusted CAs.',
        maxLength: 65536,
        'x-kubernetes-validations': [
          cel(
            { rule: "self.contains('-----BEGIN CERTIFICATE-----')", message: 'certificateAuthority must be PEM certificates: paste one or more BEGIN CERTIFICATE blocks' },
            (self) => typeof self !== 'string' || self.includes('-----BEGIN CERTIFICATE-----'),
          ),
        ],
      }),
    ),
  },
  {
    description:
      'OpenID Connect provider of the tenant. When set, accepting an invitation means signing in there with the invited, verified email address (authorization code flow with PKCE; register <acceptance URL>/sign-in/callback as the redirect URI), and RoleBindings name <usernamePrefix><email>. Unset: the invitation link alone accepts.',
  },
);

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
    identityProvider: Type.Optional(IdentityProviderSchema),
    notifications: Type.Optional(NotificationsSchema),
    deletionPolicy: Type.Optional(
      stringEnum(DELETION_POLICIES, {
        description:
          'What deleting the Tenant does to its namespace: Retain (the default) keeps it and all it holds; Delete deletes it if the operator created it for this Tenant, and otherwise removes only what the operator made there (its labels and RoleBindings).',
        default: 'Retain',
      }),
    ),
    provisioning: Type.Optional(ProvisioningSchema),
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
    provisioning: Type.Optional(ProvisioningStatusSchema),
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
/** The OpenID Connect provider a Tenant names. */
export type IdentityProvider = Static<typeof IdentityProviderSchema>;
