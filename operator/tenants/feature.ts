// The tenants feature: the Tenant controller and the Users → RoleBindings
// controller. The three role ClusterRoles the bindings name ship as manifests
// (deploy/rbac/cluster-roles.yaml, rendered from cluster-roles.ts by
// `blink-accounts generate rbac`): the operator only binds them, it never
// writes a ClusterRole, so it needs no right to create or escalate roles.
import type { Feature } from '../context.js';
import { registerBindingController } from './binding-controller.js';
import { registerTenantController } from './tenant-controller.js';

/** Tenants, their namespaces and the RBAC that makes roles real. */
export const tenantsFeature: Feature = {
  name: 'tenants',
  register(ctx) {
    registerTenantController(ctx);
    registerBindingController(ctx);
  },
};
