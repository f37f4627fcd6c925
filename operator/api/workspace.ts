// Workspace: a named place users and service accounts act in (PRODUCT.md §6).
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { AGE_COLUMN, conditionsField, defineKind, observedGenerationField, READY_COLUMN } from './kind.js';
import { objectNameMessage } from './role.js';
import { statusNames, text } from './schema-builder.js';

/** What a Workspace declares. */
export const WorkspaceSpecSchema = Type.Object(
  {
    displayName: Type.Optional(text({ description: 'Name of the workspace as shown in the portal.', maxLength: 100 })),
    description: Type.Optional(text({ description: 'What the workspace is for.', maxLength: 500 })),
  },
  { description: 'Desired state of the workspace.', default: {} },
);

/** What the operator reports about a Workspace. */
export const WorkspaceStatusSchema = Type.Object(
  {
    users: Type.Optional(statusNames('Users that list this workspace in spec.workspaces.', 'Name of a User.')),
    serviceAccounts: Type.Optional(statusNames('ServiceAccounts that list this workspace in spec.workspaces.', 'Name of a ServiceAccount.')),
    conditions: Type.Optional(conditionsField()),
    observedGeneration: Type.Optional(observedGenerationField()),
  },
  { description: 'Observed state of the workspace, written by the operator.' },
);

/** The Workspace kind. */
export const WORKSPACE_KIND = defineKind({
  kind: 'Workspace',
  plural: 'workspaces',
  shortNames: ['bws'],
  scope: 'Namespaced',
  description: 'A workspace of the tenant; Users and ServiceAccounts name it in spec.workspaces to act in it.',
  spec: WorkspaceSpecSchema,
  specRequired: false,
  status: WorkspaceStatusSchema,
  nameMaxLength: 63,
  nameMessage: objectNameMessage('Workspace'),
  columns: [{ name: 'Display Name', type: 'string', jsonPath: '.spec.displayName', description: 'Name shown in the portal' }, READY_COLUMN, AGE_COLUMN],
});

/** What a Workspace declares. */
export type WorkspaceSpec = Static<typeof WorkspaceSpecSchema>;
/** What the operator reports about a Workspace. */
export type WorkspaceStatus = Static<typeof WorkspaceStatusSchema>;
/** A Workspace object. */
export type Workspace = Static<typeof WORKSPACE_KIND.schema>;
