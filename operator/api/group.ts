// Group: a named set of users (PRODUCT.md §6).
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { AGE_COLUMN, conditionsField, defineKind, observedGenerationField, READY_COLUMN } from './kind.js';
import { objectNameMessage } from './role.js';
import { statusNames, text } from './schema-builder.js';

/** What a Group declares. */
export const GroupSpecSchema = Type.Object(
  {
    displayName: Type.Optional(text({ description: 'Name of the group as shown in the portal.', maxLength: 100 })),
    description: Type.Optional(text({ description: 'What the group is for.', maxLength: 500 })),
  },
  { description: 'Desired state of the group. Members join a group through their own spec.groups.', default: {} },
);

/** What the operator reports about a Group. */
export const GroupStatusSchema = Type.Object(
  {
    users: Type.Optional(statusNames('Users that list this group in spec.groups.', 'Name of a User.')),
    conditions: Type.Optional(conditionsField()),
    observedGeneration: Type.Optional(observedGenerationField()),
  },
  { description: 'Observed state of the group, written by the operator.' },
);

/** The Group kind. */
export const GROUP_KIND = defineKind({
  kind: 'Group',
  plural: 'groups',
  shortNames: ['bgroup', 'bgrp'],
  scope: 'Namespaced',
  description: 'A group of users of the tenant; Users name it in spec.groups to belong to it.',
  spec: GroupSpecSchema,
  specRequired: false,
  status: GroupStatusSchema,
  nameMaxLength: 63,
  nameMessage: objectNameMessage('Group'),
  columns: [{ name: 'Display Name', type: 'string', jsonPath: '.spec.displayName', description: 'Name shown in the portal' }, READY_COLUMN, AGE_COLUMN],
});

/** What a Group declares. */
export type GroupSpec = Static<typeof GroupSpecSchema>;
/** What the operator reports about a Group. */
export type GroupStatus = Static<typeof GroupStatusSchema>;
/** A Group object. */
export type Group = Static<typeof GROUP_KIND.schema>;
