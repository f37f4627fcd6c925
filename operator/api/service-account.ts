// ServiceAccount: a non-human principal of the tenant with one API key (PRODUCT.md §4).
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { AGE_COLUMN, conditionsField, defineKind, observedGenerationField, READY_COLUMN } from './kind.js';
import { objectNameMessage, roleField, WORKSPACE_NAME_MESSAGE } from './role.js';
import { counter, durationField, nameList, statusNames, text, timestamp } from './schema-builder.js';

/** What a ServiceAccount declares. */
export const ServiceAccountSpecSchema = Type.Object(
  {
    description: Type.Optional(text({ description: 'What the service account is for.', maxLength: 500 })),
    role: roleField('service account'),
    workspaces: Type.Optional(
      nameList({
        description:
          'Names of the Workspaces (in this namespace) the service account is invited to, at most 100. A Builder or Consumer service account acts in exactly these and in none by default; Admins act in every workspace.',
        itemDescription: 'Name of a Workspace in this namespace.',
        itemMessage: WORKSPACE_NAME_MESSAGE,
        maxItems: 100,
        default: [],
      }),
    ),
    keyRotation: Type.Optional(
      Type.Object(
        {
          revision: Type.Optional(
            counter({
              description: 'Key revision: increase it by one to replace the API key with a new one. Never decreases.',
              message: 'keyRotation.revision may not decrease: set it to a higher number to rotate the key',
            }),
          ),
          gracePeriod: Type.Optional(
            durationField({
              description: 'How long the previous key keeps working after a rotation, as a Go duration such as 24h; at most 168h. Default 0s: it stops at once.',
              min: '0s',
              max: '168h',
              default: '0s',
              message: 'gracePeriod must be a duration between 0s and 168h: write it like 30m, 24h or 1h30m',
            }),
          ),
        },
        { description: 'Declarative rotation of the API key.' },
      ),
    ),
  },
  { description: 'Desired state of the service account: its role and workspaces.' },
);

/** What the operator reports about a ServiceAccount. */
export const ServiceAccountStatusSchema = Type.Object(
  {
    secretName: Type.Optional(Type.String({ description: 'Name of the Secret (in this namespace) that holds the API key.', maxLength: 253 })),
    keyId: Type.Optional(Type.String({ description: 'Non-secret identifier of the current API key.', maxLength: 64 })),
    fingerprint: Type.Optional(Type.String({ description: 'Short non-secret fingerprint of the current API key, to tell keys apart.', maxLength: 64 })),
    keyCreatedAt: Type.Optional(timestamp('When the current API key was issued.')),
    keyRevision: Type.Optional(Type.Integer({ description: 'spec.keyRotation.revision the current key was issued for.', format: 'int64', minimum: 0 })),
    workspaces: Type.Optional(statusNames('Workspaces the service account can act in that exist.', 'Name of a Workspace.')),
    conditions: Type.Optional(conditionsField()),
    observedGeneration: Type.Optional(observedGenerationField()),
  },
  { description: 'Observed state of the service account, written by the operator.' },
);

/** The ServiceAccount kind (short name bsa; `sa` stays the core ServiceAccount). */
export const SERVICE_ACCOUNT_KIND = defineKind({
  kind: 'ServiceAccount',
  plural: 'serviceaccounts',
  shortNames: ['bsa'],
  scope: 'Namespaced',
  description: 'A non-human principal of the tenant with a role and one API key, kept in a Secret.',
  spec: ServiceAccountSpecSchema,
  specRequired: true,
  status: ServiceAccountStatusSchema,
  nameMaxLength: 63,
  nameMessage: objectNameMessage('ServiceAccount'),
  columns: [
    { name: 'Role', type: 'string', jsonPath: '.spec.role', description: 'Admin, Builder or Consumer' },
    { name: 'Workspaces', type: 'string', jsonPath: '.spec.workspaces', description: 'Workspaces the service account is invited to' },
    { name: 'Secret', type: 'string', jsonPath: '.status.secretName', description: 'Secret holding the API key' },
    READY_COLUMN,
    AGE_COLUMN,
  ],
});

/** What a ServiceAccount declares. */
export type ServiceAccountSpec = Static<typeof ServiceAccountSpecSchema>;
/** What the operator reports about a ServiceAccount. */
export type ServiceAccountStatus = Static<typeof ServiceAccountStatusSchema>;
/** A ServiceAccount object. */
export type ServiceAccount = Static<typeof SERVICE_ACCOUNT_KIND.schema>;
