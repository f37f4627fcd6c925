// The three roles of the permission matrix (PRODUCT.md §1), shared by User and ServiceAccount.
import type { TUnsafe } from '@sinclair/typebox';
import { stringEnum } from './schema-builder.js';

/** Every role, most privileged first. */
export const ROLES = ['Admin', 'Builder', 'Consumer'] as const;

/** A role: Admin, Builder or Consumer. */
export type Role = (typeof ROLES)[number];

/** The `spec.role` field of a principal. */
export function roleField(principal: string): TUnsafe<Role> {
  return stringEnum(ROLES, {
    description: `Role of the ${principal} in the tenant. Admin: every workspace and the tenant settings, users and service accounts. Builder: read, write and execute in the workspaces listed in spec.workspaces. Consumer: the self-service portal, read and write in the workspaces listed in spec.workspaces.`,
  });
}

/** What a user reads when a workspace reference is not a valid name. */
export const WORKSPACE_NAME_MESSAGE =
  'each entry must be the name of a Workspace: lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters';
/** What a user reads when a group reference is not a valid name. */
export const GROUP_NAME_MESSAGE =
  'each entry must be the name of a Group: lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters';
/** What a user reads when the name of a namespaced object is not a DNS-1123 label. */
export function objectNameMessage(kind: string): string {
  return `metadata.name of a ${kind} must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters`;
}
