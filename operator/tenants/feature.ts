// The tenants feature: the three role ClusterRoles (applied at startup), the
// Tenant controller and the Users → RoleBindings controller.
import type { KindDescriptor } from '../runtime/kinds.js';
import { FIELD_MANAGER } from '../api/index.js';
import type { Feature, OperatorContext } from '../context.js';
import { registerBindingController } from './binding-controller.js';
import { roleClusterRoles } from './cluster-roles.js';
import { registerTenantController } from './tenant-controller.js';

const CLUSTER_ROLE: KindDescriptor = { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRole', plural: 'clusterroles', namespaced: false };

/** Applies the role ClusterRoles (server-side apply: idempotent, every replica may do it). */
export async function applyClusterRoles(ctx: OperatorContext): Promise<void> {
  for (const role of roleClusterRoles()) {
    try {
      await ctx.manager.client.apply(CLUSTER_ROLE, role, { fieldManager: FIELD_MANAGER });
    } catch (error) {
      throw new Error(`Applying ClusterRole ${role.metadata?.name ?? ''} failed`, { cause: error });
    }
  }
  ctx.logger.info({ clusterRoles: roleClusterRoles().map((r) => r.metadata?.name) }, 'Applied the role ClusterRoles');
}

/** Tenants, their namespaces and the RBAC that makes roles real. */
export const tenantsFeature: Feature = {
  name: 'tenants',
  async register(ctx) {
    await applyClusterRoles(ctx);
    registerTenantController(ctx);
    registerBindingController(ctx);
  },
};

