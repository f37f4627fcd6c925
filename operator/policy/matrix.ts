// The permission matrix of the product (R5) as data, and the one pure decision every access check uses.
//
// Decision on scope: `read`, `write` and `execute` act IN a workspace and need `request.workspace`;
// `portal` (the self-service portal) and `settings` (tenant settings, users, service accounts) are
// tenant-level: `request.workspace` is ignored for them, so a caller cannot accidentally narrow or
// widen them by passing one. Whether a named workspace exists is the caller's check (it has the cache).

import { ROLES } from '../api/role.js';
import type { Role } from '../api/role.js';

export { ROLES };
export type { Role };

/** Every action the access API decides on. */
export const ACTIONS = ['read', 'write', 'execute', 'portal', 'settings'] as const;
/** An action the access API decides on. */
export type Action = (typeof ACTIONS)[number];

/** Actions performed inside a workspace; the rest are tenant-level. */
export const WORKSPACE_ACTIONS: ReadonlySet<Action> = new Set<Action>(['read', 'write', 'execute']);

/** Which workspaces a role acts in. */
export type WorkspaceScope = 'allWorkspaces' | 'listedWorkspaces';

/** One row of the matrix. */
export interface RolePermissions {
  /** Where the role's workspace actions apply. */
  readonly scope: WorkspaceScope;
  /** What the role may do. */
  readonly actions: ReadonlySet<Action>;
  /** One line for people (emails, pages, status). */
  readonly summary: string;
}

/** PRODUCT §1, the single source for every check. */
export const PERMISSION_MATRIX: Readonly<Record<Role, RolePermissions>> = {
  Admin: {
    scope: 'allWorkspaces',
    actions: new Set<Action>(['read', 'write', 'execute', 'portal', 'settings']),
    summary: 'everything in all workspaces, plus tenant settings, users and service accounts',
  },
  Builder: {
    scope: 'listedWorkspaces',
    actions: new Set<Action>(['read', 'write', 'execute', 'portal']),
    summary: 'read, write and execute in its workspaces, and the self-service portal',
  },
  Consumer: {
    scope: 'listedWorkspaces',
    actions: new Set<Action>(['read', 'write', 'portal']),
    summary: 'read and write in its workspaces, and the self-service portal',
  },
};

/** A user's or service account's lifecycle phase; service accounts that exist are `Active`. */
export type PrincipalPhase = 'Active' | 'Invited' | 'Inactive';

/** Who asks, as resolved from the caches (a user by email, a service account by API key). */
export interface Principal {
  /** Kind of principal. */
  readonly kind: 'user' | 'serviceAccount';
  /** Tenant the principal belongs to. */
  readonly tenant: string;
  /** The User or ServiceAccount name. */
  readonly name: string;
  /** Role from the spec. */
  readonly role: Role;
  /** Phase from the status; only `Active` has access. */
  readonly phase: PrincipalPhase;
  /** Workspaces listed in the spec (ignored for Admin, who has all). */
  readonly workspaces: readonly string[];
}

/** What is asked for. */
export interface AccessRequest {
  /** Tenant of the resource. */
  readonly tenant: string;
  /** Workspace of the resource; required for read/write/execute, ignored for portal/settings. */
  readonly workspace?: string;
  /** The action. */
  readonly action: Action;
}

/** Stable, machine-readable reasons for a decision. */
export const DECISION_REASONS = [
  'AdminAllWorkspaces',
  'WorkspaceMember',
  'TenantActionAllowed',
  'UnknownPrincipal',
  'CrossTenant',
  'PrincipalNotActive',
  'UnknownRole',
  'UnknownAction',
  'WorkspaceRequired',
  'RoleLacksAction',
  'NotInWorkspace',
] as const;
/** A stable CamelCase reason. */
export type DecisionReason = (typeof DECISION_REASONS)[number];

/** The outcome of `authorize`. */
export interface AccessDecision {
  /** Whether the action is allowed. */
  readonly allowed: boolean;
  /** Stable CamelCase reason, for machines. */
  readonly reason: DecisionReason;
  /** One sentence for people; no secrets, no timestamps. */
  readonly message: string;
}

/** Whether `value` is one of the roles (guards data that bypassed the schema). */
export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && Object.hasOwn(PERMISSION_MATRIX, value);
}

const ACTION_SET: ReadonlySet<string> = new Set(ACTIONS);

/** Whether `value` is one of the actions. */
export function isAction(value: unknown): value is Action {
  return typeof value === 'string' && ACTION_SET.has(value);
}

/** The actions `role` may perform. */
export function actionsOf(role: Role): readonly Action[] {
  return ACTIONS.filter((action) => PERMISSION_MATRIX[role].actions.has(action));
}

const deny = (reason: DecisionReason, message: string): AccessDecision => ({ allowed: false, reason, message });
const allow = (reason: DecisionReason, message: string): AccessDecision => ({ allowed: true, reason, message });
const who = (principal: Principal): string => `${principal.kind === 'user' ? 'User' : 'Service account'} "${principal.name}"`;

/** Decides whether `principal` (undefined when unknown) may perform `request`, per the matrix. */
export function authorize(principal: Principal | undefined, request: AccessRequest): AccessDecision {
  if (principal === undefined) return deny('UnknownPrincipal', 'The principal is not known in this tenant');
  if (principal.tenant !== request.tenant) return deny('CrossTenant', `${who(principal)} belongs to another tenant`);
  if (principal.phase !== 'Active') return deny('PrincipalNotActive', `${who(principal)} is ${principal.phase}, not Active`);
  if (!isRole(principal.role)) return deny('UnknownRole', `${who(principal)} has no valid role`);
  if (!isAction(request.action)) return deny('UnknownAction', 'The action is not one of read, write, execute, portal, settings');

  const permissions = PERMISSION_MATRIX[principal.role];
  const { action } = request;
  if (!permissions.actions.has(action)) return deny('RoleLacksAction', `Role ${principal.role} does not allow ${action}`);
  if (!WORKSPACE_ACTIONS.has(action)) return allow('TenantActionAllowed', `Role ${principal.role} allows ${action} in the tenant`);

  const { workspace } = request;
  if (workspace === undefined || workspace === '') return deny('WorkspaceRequired', `The action ${action} needs a workspace`);
  if (permissions.scope === 'allWorkspaces') return allow('AdminAllWorkspaces', `Role ${principal.role} allows ${action} in every workspace`);
  if (!principal.workspaces.includes(workspace)) return deny('NotInWorkspace', `${who(principal)} is not a member of workspace "${workspace}"`);
  return allow('WorkspaceMember', `Role ${principal.role} allows ${action} in its workspace "${workspace}"`);
}

/**
 * The workspaces a principal of `role` acts in now: every existing workspace for a role whose
 * scope is all workspaces (Admin), else those of `listed` that exist. Sorted, unique.
 */
export function effectiveWorkspaces(role: Role, listed: readonly string[], existing: readonly string[]): string[] {
  const present = new Set(existing);
  const names = PERMISSION_MATRIX[role].scope === 'allWorkspaces' ? existing : listed.filter((w) => present.has(w));
  return [...new Set(names)].sort();
}

/** What a role with `workspaces` may do, for status and the CLI: actions, and `all` or the listed workspaces. */
export function effectiveAccess(role: Role, workspaces: readonly string[]): { readonly actions: readonly Action[]; readonly workspaces: 'all' | readonly string[] } {
  return {
    actions: actionsOf(role),
    workspaces: PERMISSION_MATRIX[role].scope === 'allWorkspaces' ? 'all' : [...new Set(workspaces)].sort(),
  };
}
