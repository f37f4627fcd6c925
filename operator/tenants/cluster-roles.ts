// The three roles as Kubernetes ClusterRoles (R3, R10): only Admins write Users,
// ServiceAccounts, Groups and Workspaces; Builders and Consumers read them. They
// are bound per user, in the tenant namespace only, by the binding controller.
// deploy/rbac/cluster-roles.yaml is rendered from these (a unit test diffs it).
import { GROUP } from '../api/index.js';
import type { Role } from '../api/index.js';
import type { Action } from '../policy/matrix.js';
import { stringify } from 'yaml';
import type { KubeObject } from '../runtime/kinds.js';

/** Name of the ClusterRole of a role. */
export function clusterRoleName(role: Role): string {
  return `blink-accounts-${role.toLowerCase()}`;
}

const ACCOUNT_RESOURCES = ['users', 'serviceaccounts', 'groups', 'workspaces'];
const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'update', 'patch', 'delete', 'deletecollection'];

interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
}

/** What each role may do in its tenant namespace, through kubectl or any Kubernetes client. */
export const ROLE_RULES: Readonly<Record<Role, readonly PolicyRule[]>> = {
  // The status subresources stay the operator's: an Admin cannot make an invited user Active.
  Admin: [
    { apiGroups: [GROUP], resources: ACCOUNT_RESOURCES, verbs: [...READ, ...WRITE] },
    // To view and copy a service account's API key (R14) by the Secret name in its status;
    // no list or watch, and no write: the operator owns every Secret it creates.
    { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
    { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: READ },
  ],
  Builder: [
    { apiGroups: [GROUP], resources: ACCOUNT_RESOURCES, verbs: READ },
    { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: READ },
  ],
  Consumer: [
    { apiGroups: [GROUP], resources: ACCOUNT_RESOURCES, verbs: READ },
    { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: READ },
  ],
};

/** A Kubernetes permission: what a SubjectAccessReview asks, without the namespace. */
export interface RbacPermission {
  readonly group: string;
  readonly resource: string;
  readonly verb: string;
}

/**
 * The Kubernetes permission each access-API action corresponds to, for a user bound in the tenant
 * namespace: the role ClusterRoles above grant it to exactly the roles the permission matrix
 * (policy/matrix.ts) gives the action, so RBAC and the access API must agree on it
 * (cluster-roles.test.ts checks that against both tables). `undefined`: no counterpart. The
 * workspace actions have none (RBAC binds a whole namespace, never one workspace, and no rule
 * tells a Consumer's `execute` from a Builder's). Used by `can-i` to flag disagreements.
 */
export const ACTION_RBAC_COUNTERPARTS: Readonly<Record<Action, RbacPermission | undefined>> = {
  read: undefined,
  write: undefined,
  execute: undefined,
  // The self-service portal shows the tenant's people: every role may list Users.
  portal: { group: GROUP, resource: 'users', verb: 'list' },
  // Tenant settings, users and service accounts: only an Admin may create Users.
  settings: { group: GROUP, resource: 'users', verb: 'create' },
};

/** Whether `role`'s ClusterRole grants `permission` (by {@link ROLE_RULES}, no wildcards there). */
export function roleGrants(role: Role, permission: RbacPermission): boolean {
  return ROLE_RULES[role].some((r) => r.apiGroups.includes(permission.group) && r.resources.includes(permission.resource) && r.verbs.includes(permission.verb));
}

/** The ClusterRoles of the three roles, ready for server-side apply. */
export function roleClusterRoles(): KubeObject[] {
  return (Object.keys(ROLE_RULES) as Role[]).map((role) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: {
      name: clusterRoleName(role),
      labels: { 'app.kubernetes.io/managed-by': 'blink-accounts-operator', 'app.kubernetes.io/part-of': 'blink-accounts', 'app.kubernetes.io/component': 'rbac' },
      annotations: { 'accounts.blinkops.com/role': role },
    },
    rules: ROLE_RULES[role].map((rule) => ({ apiGroups: [...rule.apiGroups], resources: [...rule.resources], verbs: [...rule.verbs] })),
  }));
}

/** deploy/rbac/cluster-roles.yaml, as rendered from {@link roleClusterRoles}. */
export function renderClusterRolesYaml(): string {
  const header = '# The ClusterRoles of the Admin, Builder and Consumer roles, bound per user in\n# the tenant namespace by the operator. Generated from operator/tenants/cluster-roles.ts:\n# npx blink-accounts generate rbac\n';
  return header + roleClusterRoles().map((role) => `---\n${stringify(role, { lineWidth: 0 })}`).join('');
}

