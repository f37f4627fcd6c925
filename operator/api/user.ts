// User: a person of the tenant, invited by email (PRODUCT.md §3).
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { historyField } from './history.js';
import { AGE_COLUMN, conditionsField, defineKind, observedGenerationField, READY_COLUMN } from './kind.js';
import { GROUP_NAME_MESSAGE, objectNameMessage, ROLES, roleField, WORKSPACE_NAME_MESSAGE } from './role.js';
import { cel, counter, emailAddress, nameList, statusNames, stringEnum, text, timestamp } from './schema-builder.js';

/** Phases of a User. */
export const USER_PHASES = ['Invited', 'Active', 'Inactive'] as const;

/** Phase of a User: Invited (not accepted yet), Active, Inactive (spec.active false). */
export type UserPhase = (typeof USER_PHASES)[number];

/** Message of the rule that keeps a User's email as it was created. */
export const EMAIL_IMMUTABLE_MESSAGE = 'email is immutable: delete the User and create a new one';

/** What a User declares. */
export const UserSpecSchema = Type.Object(
  {
    email: emailAddress({
      description: 'Email address the invitation is sent to and the person signs in with. Immutable: to change it, delete the User and create a new one.',
      message: 'email must be a plain email address: write it like jane@example.com, without a display name or angle brackets',
      rules: [cel({ rule: 'self == oldSelf', message: EMAIL_IMMUTABLE_MESSAGE }, (self, oldSelf) => self === oldSelf)],
    }),
    displayName: Type.Optional(text({ description: 'Name of the person as shown in the portal and the invitation email.', maxLength: 100 })),
    role: roleField('user'),
    groups: Type.Optional(
      nameList({
        description: 'Names of the Groups (in this namespace) the user belongs to, at most 100. Takes effect at once; a Group that does not exist is reported in a condition.',
        itemDescription: 'Name of a Group in this namespace.',
        itemMessage: GROUP_NAME_MESSAGE,
        maxItems: 100,
        default: [],
      }),
    ),
    workspaces: Type.Optional(
      nameList({
        description: 'Names of the Workspaces (in this namespace) the user works in, at most 100. Admins act in every workspace regardless.',
        itemDescription: 'Name of a Workspace in this namespace.',
        itemMessage: WORKSPACE_NAME_MESSAGE,
        maxItems: 100,
        default: [],
      }),
    ),
    active: Type.Optional(
      Type.Boolean({ description: 'false deactivates the user (phase Inactive, no access); true (the default) activates it again.', default: true }),
    ),
    invitation: Type.Optional(
      Type.Object(
        {
          resend: Type.Optional(
            counter({
              description: 'Resend counter: increase it by one to send a new invitation (new link, the old one stops working, new expiry). Never decreases.',
              message: 'invitation.resend may not decrease: set it to a higher number to resend the invitation',
            }),
          ),
        },
        { description: 'Controls of the invitation email while the user has not accepted it.' },
      ),
    ),
  },
  { description: 'Desired state of the user: who it is, its role and memberships.' },
);

/** How an invitation was accepted. */
export const ACCEPTANCE_METHODS = ['InvitationLink', 'IdentityProviderSignIn'] as const;

/** How an invitation was accepted. */
export type AcceptanceMethod = (typeof ACCEPTANCE_METHODS)[number];

/** What the operator reports about a User. */
export const UserStatusSchema = Type.Object(
  {
    phase: Type.Optional(stringEnum(USER_PHASES, { description: 'Invited (invitation not accepted yet), Active, or Inactive (spec.active is false).' })),
    groups: Type.Optional(statusNames('Groups the user belongs to that exist.', 'Name of a Group.')),
    workspaces: Type.Optional(statusNames('Workspaces in spec.workspaces that exist. An Admin acts in every workspace of the tenant, listed here or not.', 'Name of a Workspace.')),
    invitation: Type.Optional(
      Type.Object(
        {
          id: Type.Optional(Type.String({ description: 'Short non-secret identifier of the current invitation (never the token).', maxLength: 64 })),
          sentAt: Type.Optional(timestamp('When the current invitation was last sent.')),
          expiresAt: Type.Optional(timestamp('When the link of the current invitation stops working.')),
          resend: Type.Optional(Type.Integer({ description: 'Last spec.invitation.resend the operator acted on.', format: 'int64', minimum: 0 })),
          recordSigned: Type.Optional(
            Type.Boolean({
              description:
                "True once the invitation's record (Secret blink-invitation-<user>) carries the operator's signature; a record of this invitation without one afterwards is treated as tampered.",
            }),
          ),
        },
        { description: 'The current invitation, while the user has not accepted it.' },
      ),
    ),
    acceptedAt: Type.Optional(timestamp('When the person accepted the invitation.')),
    acceptedBy: Type.Optional(
      Type.Object(
        {
          method: stringEnum(ACCEPTANCE_METHODS, {
            description: "How the person accepted: InvitationLink (the link alone, for a tenant without an identity provider) or IdentityProviderSignIn (signed in at the tenant's provider with the invited, verified email).",
          }),
          issuer: Type.Optional(Type.String({ description: 'Issuer the person signed in at (IdentityProviderSignIn only). Never a token.', maxLength: 2048 })),
        },
        { description: 'How the person proved they are the invited person when accepting.' },
      ),
    ),
    role: Type.Optional(stringEnum(ROLES, { description: 'The role in effect as the operator last saw it (tells a role change apart for status.history).' })),
    history: Type.Optional(historyField()),
    conditions: Type.Optional(conditionsField()),
    observedGeneration: Type.Optional(observedGenerationField()),
  },
  { description: 'Observed state of the user, written by the operator.' },
);

/** The User kind. */
export const USER_KIND = defineKind({
  kind: 'User',
  plural: 'users',
  shortNames: ['buser', 'bu'],
  scope: 'Namespaced',
  description: 'A person with access to the tenant: invited by email, then Active until deactivated or deleted.',
  spec: UserSpecSchema,
  specRequired: true,
  status: UserStatusSchema,
  nameMaxLength: 63,
  nameMessage: objectNameMessage('User'),
  columns: [
    { name: 'Email', type: 'string', jsonPath: '.spec.email', description: 'Email address of the user' },
    { name: 'Role', type: 'string', jsonPath: '.spec.role', description: 'Admin, Builder or Consumer' },
    { name: 'Status', type: 'string', jsonPath: '.status.phase', description: 'Invited, Active or Inactive' },
    { name: 'Groups', type: 'string', jsonPath: '.spec.groups', description: 'Groups the user belongs to' },
    { name: 'Source', type: 'string', jsonPath: ".metadata.labels['accounts\\.blinkops\\.com/source']", description: 'Where the user came from: scim (the identity provider), cli; empty: declared (Git, kubectl)', priority: 1 },
    { ...READY_COLUMN, priority: 1 },
    AGE_COLUMN,
  ],
});

/** What a User declares. */
export type UserSpec = Static<typeof UserSpecSchema>;
/** What the operator reports about a User. */
export type UserStatus = Static<typeof UserStatusSchema>;
/** A User object. */
export type User = Static<typeof USER_KIND.schema>;
