// Group and Workspace status: who belongs. Membership is declared on the member (User
// spec.groups / spec.workspaces, ServiceAccount spec.workspaces), so these controllers only
// read the caches (through indexes) and write status.
//
// Decision: status lists members BY DECLARATION, whatever their phase or role. An Admin acts in
// every workspace (the permission matrix and the access API say so), but is listed in a
// Workspace only if it names that workspace: otherwise every Workspace's status would change
// whenever an Admin is added, and the list would grow with the tenant instead of with the
// workspace. Invited and Inactive users are listed too: membership is set up at invite time
// and access is gated by phase, not by membership.
import type { Group, ServiceAccount, User, Workspace } from '../api/index.js';
import type { OperatorContext } from '../operator.js';
import { ACCOUNT_KINDS } from '../operator.js';
import type { ConditionInput, Condition } from '../runtime/conditions.js';
import { setCondition } from '../runtime/conditions.js';
import type { Informer } from '../runtime/informer.js';
import type { KubeObject } from '../runtime/kinds.js';
import type { KeyMapper } from '../runtime/owner-mapping.js';
import { writeStatus } from '../runtime/status-writer.js';

/** Index of Users by `namespace/group` they name. */
export const USERS_BY_GROUP = 'users.byGroup';
/** Index of Users by `namespace/workspace` they name. */
export const USERS_BY_WORKSPACE = 'users.byWorkspace';
/** Index of ServiceAccounts by `namespace/workspace` they name. */
export const SERVICE_ACCOUNTS_BY_WORKSPACE = 'users.serviceAccountsByWorkspace';

function keysOf(object: KubeObject, names: readonly string[] | undefined): string[] {
  const namespace = object.metadata?.namespace ?? '';
  return [...new Set(names ?? [])].map((n) => `${namespace}/${n}`);
}

/** Keys of the Groups a User names. */
export const groupsOfUser: KeyMapper = (object) => keysOf(object, (object as { spec?: Partial<User['spec']> }).spec?.groups);
/** Keys of the Workspaces a User or ServiceAccount names. */
export const workspacesOfMember: KeyMapper = (object) => keysOf(object, (object as { spec?: Partial<(User | ServiceAccount)['spec']> }).spec?.workspaces);

/** Adds the membership indexes to the shared caches (once per operator). */
export function addMembershipIndexes(ctx: OperatorContext): void {
  ctx.caches.users.addIndex(USERS_BY_GROUP, groupsOfUser);
  ctx.caches.users.addIndex(USERS_BY_WORKSPACE, workspacesOfMember);
  ctx.caches.serviceAccounts.addIndex(SERVICE_ACCOUNTS_BY_WORKSPACE, workspacesOfMember);
}

/** Sorted unique names of the members found under `key` in an index. */
export function memberNames(informer: Informer<KubeObject>, index: string, key: string): string[] {
  return [...new Set(informer.byIndex(index, key).map((o) => o.metadata?.name ?? ''))].filter(Boolean).sort();
}

/** Status of a Group or Workspace (pure). */
export function membershipStatus<S extends { conditions?: Condition[] | undefined }>(
  previous: S | undefined,
  members: Readonly<Record<string, string[]>>,
  inTenant: boolean,
  namespace: string,
  generation: number | undefined,
  now: number,
): Record<string, unknown> {
  const ready: ConditionInput = inTenant
    ? { type: 'Ready', status: 'True', reason: 'MembersListed', message: 'Members are listed in status', ...(generation !== undefined ? { observedGeneration: generation } : {}) }
    : {
        type: 'Ready',
        status: 'False',
        reason: 'NotInTenantNamespace',
        message: `Namespace ${namespace} belongs to no Tenant handled by this operator`,
        ...(generation !== undefined ? { observedGeneration: generation } : {}),
      };
  return {
    ...members,
    conditions: setCondition(previous?.conditions, ready, now),
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  };
}

/** Registers the Group and Workspace membership controllers. */
export function registerMembershipControllers(ctx: OperatorContext, clock: { now(): number }): void {
  addMembershipIndexes(ctx);
  const users = ctx.caches.users as unknown as Informer<KubeObject>;
  const serviceAccounts = ctx.caches.serviceAccounts as unknown as Informer<KubeObject>;

  const groupController = ctx.manager.addController({
    name: 'group-members',
    for: ACCOUNT_KINDS.group,
    watches: [{ kind: ACCOUNT_KINDS.user, map: groupsOfUser }],
    reconcile: async (key, rc) => {
      const group = ctx.caches.groups.get(key) as (Group & KubeObject) | undefined;
      if (!group || group.metadata?.deletionTimestamp) return undefined;
      const namespace = group.metadata?.namespace ?? '';
      const status = membershipStatus(group.status, { users: memberNames(users, USERS_BY_GROUP, key) }, !!ctx.tenantForNamespace(namespace), namespace, group.metadata?.generation, clock.now());
      await writeStatus(rc.client, ACCOUNT_KINDS.group, group, status);
      return undefined;
    },
  });

  const workspaceController = ctx.manager.addController({
    name: 'workspace-members',
    for: ACCOUNT_KINDS.workspace,
    watches: [
      { kind: ACCOUNT_KINDS.user, map: workspacesOfMember },
      { kind: ACCOUNT_KINDS.serviceAccount, map: workspacesOfMember },
    ],
    reconcile: async (key, rc) => {
      const workspace = ctx.caches.workspaces.get(key) as (Workspace & KubeObject) | undefined;
      if (!workspace || workspace.metadata?.deletionTimestamp) return undefined;
      const namespace = workspace.metadata?.namespace ?? '';
      const members = { users: memberNames(users, USERS_BY_WORKSPACE, key), serviceAccounts: memberNames(serviceAccounts, SERVICE_ACCOUNTS_BY_WORKSPACE, key) };
      const status = membershipStatus(workspace.status, members, !!ctx.tenantForNamespace(namespace), namespace, workspace.metadata?.generation, clock.now());
      await writeStatus(rc.client, ACCOUNT_KINDS.workspace, workspace, status);
      return undefined;
    },
  });
  // A Tenant that appears (or goes) changes Ready of everything in its namespace.
  groupController.watch(ctx.caches.tenants, objectsInTenantNamespace(ctx, ctx.caches.groups as unknown as Informer<KubeObject>));
  workspaceController.watch(ctx.caches.tenants, objectsInTenantNamespace(ctx, ctx.caches.workspaces as unknown as Informer<KubeObject>));
}

/** Maps a Tenant to the keys of the objects of `informer` in its namespace. */
export function objectsInTenantNamespace(ctx: OperatorContext, informer: Informer<KubeObject>): KeyMapper {
  return (tenant) => {
    const namespace = ctx.namespaceOfTenant(tenant as never);
    return informer.byIndex('namespace', namespace).map((o) => `${namespace}/${o.metadata?.name ?? ''}`);
  };
}
