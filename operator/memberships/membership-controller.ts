// The Group and Workspace controllers: each status lists the members.
// Both read the same way as every other: fetch → gone: done →
// (no finalizer: they create nothing) → tenant check → status (pure).
import { ACCOUNT_KINDS } from '../api/index.js';
import type { Group, Workspace } from '../api/index.js';
import { objectsInTenantNamespace } from '../context.js';
import type { Cached, OperatorContext } from '../context.js';
import { specOrLabelsChanged } from '../runtime/controller.js';
import type { CacheIndex, Informer } from '../runtime/informer.js';
import type { KubeObject } from '../runtime/kinds.js';
import type { KeyMapper } from '../runtime/owner-mapping.js';
import { writeStatus } from '../runtime/status-writer.js';
import { memberNames, membershipStatus } from './membership-status.js';

function keysOf(object: KubeObject, names: readonly string[] | undefined): string[] {
  const namespace = object.metadata?.namespace ?? '';
  return [...new Set(names ?? [])].map((n) => `${namespace}/${n}`);
}

/** Keys of the Groups a User names. */
export const groupsOfUser: KeyMapper = (object) => keysOf(object, (object as { spec?: { groups?: string[] } }).spec?.groups);
/** Keys of the Workspaces a User or ServiceAccount names. */
export const workspacesOfMember: KeyMapper = (object) => keysOf(object, (object as { spec?: { workspaces?: string[] } }).spec?.workspaces);

const asObjects = <T extends KubeObject>(index: CacheIndex<T>): CacheIndex<KubeObject> => index as unknown as CacheIndex<KubeObject>;

/** Registers the Group and Workspace membership controllers. */
export function registerMembershipControllers(ctx: OperatorContext): void {
  const { caches, indexes } = ctx;
  const groupController = ctx.manager.addController({
    name: 'group-members',
    for: ACCOUNT_KINDS.group,
    watches: [{ kind: ACCOUNT_KINDS.user, map: groupsOfUser }],
    reconcile: async (key, rc) => {
      const group: Cached<Group> | undefined = caches.groups.get(key);
      if (!group || group.metadata?.deletionTimestamp) return undefined;
      const namespace = group.metadata?.namespace ?? '';
      const inTenant = ctx.tenants.forNamespace(namespace) !== undefined;
      const status = membershipStatus(group.status, { users: memberNames(asObjects(indexes.usersByGroup), key) }, inTenant, namespace, group.metadata?.generation, rc.clock.now());
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
      const workspace: Cached<Workspace> | undefined = caches.workspaces.get(key);
      if (!workspace || workspace.metadata?.deletionTimestamp) return undefined;
      const namespace = workspace.metadata?.namespace ?? '';
      const inTenant = ctx.tenants.forNamespace(namespace) !== undefined;
      const members = { users: memberNames(asObjects(indexes.usersByWorkspace), key), serviceAccounts: memberNames(asObjects(indexes.serviceAccountsByWorkspace), key) };
      const status = membershipStatus(workspace.status, members, inTenant, namespace, workspace.metadata?.generation, rc.clock.now());
      await writeStatus(rc.client, ACCOUNT_KINDS.workspace, workspace, status);
      return undefined;
    },
  });
  // A Tenant that appears (or goes) changes Ready of everything in its namespace.
  groupController.watch(caches.tenants, objectsInTenantNamespace(ctx, caches.groups as unknown as Informer<KubeObject>), { onUpdate: specOrLabelsChanged });
  workspaceController.watch(caches.tenants, objectsInTenantNamespace(ctx, caches.workspaces as unknown as Informer<KubeObject>), { onUpdate: specOrLabelsChanged });
}
