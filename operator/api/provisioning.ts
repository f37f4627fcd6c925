// Tenant.spec.provisioning: how a company's identity provider provisions the tenant's
// Users and Groups through SCIM 2.0 (operator/scim/). Declared here so the Tenant kind,
// the CRD, `kubectl explain` and the SCIM feature read one definition.
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { ROLES, WORKSPACE_NAME_MESSAGE } from './role.js';
import { cel, counter, dnsLabel, durationField, stringEnum, text } from './schema-builder.js';

/** What happens to a person the identity provider provisions. */
export const SCIM_LIFECYCLES = ['Invite', 'ActiveAtOnce'] as const;

/** Invite (the default: an invitation email, as for any User) or ActiveAtOnce (the identity provider vouches: no email). */
export type ScimLifecycle = (typeof SCIM_LIFECYCLES)[number];

/** Path of every tenant's SCIM service provider on the public port: `<public URL>/scim/v2/<tenant>`. */
export const SCIM_PATH_PREFIX = '/scim/v2';

/** Secret (in the tenant namespace) holding the tenant's SCIM bearer token. */
export const SCIM_TOKEN_SECRET = 'blink-scim-token';

/** How long the previous SCIM token keeps working after a rotation unless the Tenant says otherwise. */
export const DEFAULT_SCIM_TOKEN_GRACE = '1h';

const groupName = (description: string) => text({ description, minLength: 1, maxLength: 256 });

/** spec.provisioning.scim of a Tenant. */
export const ScimProvisioningSchema = Type.Object(
  {
    enabled: Type.Boolean({
      description:
        'true: the operator serves a SCIM 2.0 endpoint for this tenant at status.provisioning.scim.baseURL and issues its bearer token into the Secret status.provisioning.scim.tokenSecret names; false (the default): no endpoint, and the token Secret is deleted.',
      default: false,
    }),
    lifecycle: Type.Optional(
      stringEnum(SCIM_LIFECYCLES, {
        description:
          'What happens to a person the identity provider creates: Invite (the default) sends the invitation email as for any User, and the person is Active once they accept it; ActiveAtOnce makes them Active without an email (the identity provider vouches for them).',
        default: 'Invite',
      }),
    ),
    adoptExistingUsers: Type.Optional(
      Type.Boolean({
        description:
          'false (the default): a User not created through SCIM (declared in Git, or made with the CLI) is never changed through SCIM; creating a person with its email answers 409 uniqueness. true: SCIM takes such a User over (it gets the source label scim and SCIM owns its fields from then on).',
        default: false,
      }),
    ),
    defaultRole: Type.Optional(
      stringEnum(ROLES, { description: 'Role of a provisioned person none of whose groups is in roleMapping. Default: Consumer.', default: 'Consumer' }),
    ),
    roleMapping: Type.Optional(
      Type.Array(
        Type.Object(
          {
            group: groupName('displayName of a group in the identity provider (compared without regard to case).'),
            role: stringEnum(ROLES, { description: 'Role of the members of that group: Admin, Builder or Consumer.' }),
          },
          { description: 'Members of one identity-provider group get one role.' },
        ),
        {
          description:
            'Which role the members of an identity-provider group get. A person in several mapped groups gets the highest of their roles (Admin > Builder > Consumer); in none, defaultRole. At most 50.',
          maxItems: 50,
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['group'],
        },
      ),
    ),
    workspaceMapping: Type.Optional(
      Type.Array(
        Type.Object(
          {
            group: groupName('displayName of a group in the identity provider (compared without regard to case).'),
            workspace: dnsLabel({ description: 'Name of a Workspace in the tenant namespace.', message: WORKSPACE_NAME_MESSAGE }),
          },
          { description: 'Members of one identity-provider group work in one Workspace.' },
        ),
        {
          description: 'Which Workspaces the members of an identity-provider group work in (the union over their groups). At most 100.',
          maxItems: 100,
        },
      ),
    ),
    tokenRotation: Type.Optional(
      Type.Object(
        {
          revision: Type.Optional(
            counter({
              description: 'Increase by one to issue a new SCIM token; the previous one keeps working for gracePeriod. Never decreases.',
              message: 'tokenRotation.revision may not decrease: set it to a higher number to rotate the SCIM token',
            }),
          ),
          gracePeriod: Type.Optional(
            durationField({
              description: 'How long the previous token keeps working after a rotation, as a Go duration between 0s and 168h. Default: 1h.',
              min: '0s',
              max: '168h',
              default: DEFAULT_SCIM_TOKEN_GRACE,
              message: 'tokenRotation.gracePeriod must be a duration between 0s and 168h: write it like 1h or 30m',
            }),
          ),
        },
        { description: 'Rotation of the SCIM bearer token.' },
      ),
    ),
  },
  {
    description: 'SCIM 2.0 provisioning from the company\'s identity provider (Microsoft Entra ID, Okta, ...).',
    'x-kubernetes-validations': [
      cel(
        {
          rule: "!has(self.defaultRole) || self.defaultRole != 'Admin'",
          message: 'defaultRole may not be Admin: give Admin through a roleMapping entry, so that only the members of a chosen group are admins',
          fieldPath: '.defaultRole',
        },
        (self) => (self as { defaultRole?: string }).defaultRole !== 'Admin',
      ),
    ],
  },
);

/** spec.provisioning of a Tenant. */
export const ProvisioningSchema = Type.Object(
  { scim: Type.Optional(ScimProvisioningSchema) },
  { description: 'How people are provisioned from the company\'s identity provider, besides Git and the CLI.' },
);

/** status.provisioning of a Tenant. */
export const ProvisioningStatusSchema = Type.Object(
  {
    scim: Type.Optional(
      Type.Object(
        {
          baseURL: Type.Optional(Type.String({ description: 'The SCIM base URL (tenant URL) to type into the identity provider.', maxLength: 2200 })),
          tokenSecret: Type.Optional(Type.String({ description: 'Name of the Secret in the tenant namespace whose data.token is the SCIM bearer token.', maxLength: 253 })),
          tokenRevision: Type.Optional(Type.Integer({ description: 'tokenRotation.revision the current token was issued for.', format: 'int64', minimum: 0 })),
          tokenFingerprint: Type.Optional(Type.String({ description: 'Non-secret fingerprint of the current token (sha256: and 12 hex), to tell tokens apart.', maxLength: 64 })),
        },
        { description: 'Where the tenant\'s SCIM endpoint is and where its token is.' },
      ),
    ),
  },
  { description: 'Provisioning endpoints of the tenant.' },
);

/** spec.provisioning.scim. */
export type ScimProvisioning = Static<typeof ScimProvisioningSchema>;
/** spec.provisioning. */
export type Provisioning = Static<typeof ProvisioningSchema>;
