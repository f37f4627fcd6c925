// RoleBindings in an adopted tenant namespace that the tenant did not declare:
// access that the tenant's Admins cannot see in any User or ServiceAccount. The
// pure half (which bindings, and the UndeclaredAccess condition); the Tenant
// controller lists the bindings and reports.
import type { Tenant, User } from '../api/index.js';
import { COMPONENT_LABEL, CONDITIONS, MANAGED_BY, ROLES, TENANT_LABEL, USER_LABEL } from '../api/index.js';
import type { ConditionInput } from '../runtime/conditions.js';
import type { KubeObject } from '../runtime/kinds.js';
import { bindingName, desiredBinding, RBAC_COMPONENT, sameSubjects } from './binding-plan.js';
import type { RoleBinding } from './binding-plan.js';
import { clusterRoleName } from './cluster-roles.js';

/** Reasons of the UndeclaredAccess condition (True: some; False: none). */
export const UNDECLARED_ACCESS_REASONS = {
  found: 'UndeclaredRoleBindings',
  none: 'NoUndeclaredRoleBindings',
} as const;

/** How many binding names the condition message lists. */
export const UNDECLARED_NAMES_SHOWN = 10;

const ROLE_CLUSTER_ROLES = new Set(ROLES.map((role) => clusterRoleName(role)));

/**
 * True when `binding` is exactly one the operator makes for a User of the tenant: our labels, the
 * name of a User that exists, owned by that User (uid), one of the three role ClusterRoles, and
 * the User's email as the only subject. Labels alone can be copied; this cannot grant anyone else.
 */
export function isDeclaredBinding(binding: RoleBinding, tenant: string, usersByName: ReadonlyMap<string, User & KubeObject>, tenantSettings?: Pick<Tenant, 'spec'>): boolean {
  const labels = binding.metadata?.labels ?? {};
  if (labels['app.kubernetes.io/managed-by'] !== MANAGED_BY || labels[COMPONENT_LABEL] !== RBAC_COMPONENT || labels[TENANT_LABEL] !== tenant) return false;
  const user = usersByName.get(labels[USER_LABEL] ?? '');
  if (!user?.metadata?.uid || binding.metadata?.name !== bindingName(user.metadata.name ?? '')) return false;
  const owners = binding.metadata.ownerReferences ?? [];
  if (owners.length !== 1 || owners[0]?.kind !== 'User' || owners[0].uid !== user.metadata.uid) return false;
  const ref = binding.roleRef;
  if (ref?.kind !== 'ClusterRole' || ref.apiGroup !== 'rbac.authorization.k8s.io' || !ROLE_CLUSTER_ROLES.has(ref.name)) return false;
  return sameSubjects(binding.subjects, desiredBinding(user, tenant, tenantSettings).subjects);
}

/**
 * True when `binding` is the operator's binding of a User that no longer exists: the binding
 * controller deletes exactly these (it finds them by name and owner), so they are not reported.
 */
function isLeftOfRemovedUser(binding: RoleBinding, tenant: string, usersByName: ReadonlyMap<string, User & KubeObject>): boolean {
  const labels = binding.metadata?.labels ?? {};
  const userName = labels[USER_LABEL];
  if (labels['app.kubernetes.io/managed-by'] !== MANAGED_BY || labels[COMPONENT_LABEL] !== RBAC_COMPONENT || labels[TENANT_LABEL] !== tenant) return false;
  if (userName === undefined || usersByName.has(userName) || binding.metadata?.name !== bindingName(userName)) return false;
  const owners = binding.metadata.ownerReferences ?? [];
  return owners.length === 1 && owners[0]?.kind === 'User' && owners[0].name === userName && owners[0].controller === true;
}

/**
 * Names of the RoleBindings of `bindings` that the tenant did not declare, sorted. `users` must be
 * read after `bindings` were listed, so that every binding made for a User finds it.
 */
export function undeclaredBindings(bindings: readonly RoleBinding[], tenant: string, users: readonly (User & KubeObject)[], tenantSettings?: Pick<Tenant, 'spec'>): string[] {
  const usersByName = new Map(users.map((user) => [user.metadata?.name ?? '', user]));
  return bindings
    .filter((binding) => !binding.metadata?.deletionTimestamp && !isDeclaredBinding(binding, tenant, usersByName, tenantSettings) && !isLeftOfRemovedUser(binding, tenant, usersByName))
    .map((binding) => binding.metadata?.name ?? '')
    .sort();
}

/** The UndeclaredAccess condition of an adopted namespace with these undeclared bindings (message stable: sorted, capped). */
export function undeclaredAccessCondition(namespace: string, names: readonly string[], generation: number | undefined): ConditionInput {
  const observed = generation !== undefined ? { observedGeneration: generation } : {};
  if (names.length === 0) {
    return { type: CONDITIONS.undeclaredAccess, status: 'False', reason: UNDECLARED_ACCESS_REASONS.none, message: `Every RoleBinding in namespace "${namespace}" is one the tenant declared`, ...observed };
  }
  const shown = names.slice(0, UNDECLARED_NAMES_SHOWN).join(', ');
  const more = names.length > UNDECLARED_NAMES_SHOWN ? ` and ${names.length - UNDECLARED_NAMES_SHOWN} more` : '';
  return {
    type: CONDITIONS.undeclaredAccess,
    status: 'True',
    reason: UNDECLARED_ACCESS_REASONS.found,
    message:
      `Namespace "${namespace}" was adopted with ${names.length} RoleBinding(s) the tenant did not declare: ${shown}${more}. ` +
      "They grant access the tenant's Admins cannot see in its Users and ServiceAccounts; remove them unless they are meant to stay",
    ...observed,
  };
}
