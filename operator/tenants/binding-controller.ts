// Users → RoleBindings: each Active user of a tenant is bound, by email, to the
// ClusterRole of its role in the tenant namespace (blink-user-<user>); an
// Invited, Inactive, refused or removed user has no binding. Kubernetes itself
// then enforces who may write Users and ServiceAccounts (R3, R10).
import type { Tenant } from '../api/index.js';
import type { ReconcileContext } from '../runtime/controller.js';
import { builtinKinds, splitKey } from '../runtime/kinds.js';
import type { KubeObject } from '../runtime/kinds.js';
import { controllerOwnerKey } from '../runtime/owner-mapping.js';
import { ACCOUNT_KINDS, FIELD_MANAGER, MANAGED_LABELS } from '../operator.js';
import type { OperatorContext } from '../operator.js';
import { bindingName, bindingVerdict, planBinding, RBAC_COMPONENT } from './binding-plan.js';
import type { RoleBinding } from './binding-plan.js';

/** Label selector of the RoleBindings the operator manages (the only ones it caches). */
export function bindingSelector(): string {
  return `app.kubernetes.io/managed-by=${MANAGED_LABELS['app.kubernetes.io/managed-by']},app.kubernetes.io/component=${RBAC_COMPONENT}`;
}

/** Registers the binding controller. */
export function registerBindingController(ctx: OperatorContext): void {
  const bindings = ctx.manager.informer<RoleBinding>(builtinKinds.roleBinding, { labelSelector: bindingSelector() });
  const controller = ctx.manager.addController({
    name: 'user-rbac',
    for: ACCOUNT_KINDS.user,
    owns: [{ kind: builtinKinds.roleBinding, informer: { labelSelector: bindingSelector() }, map: controllerOwnerKey(ACCOUNT_KINDS.user) }],
    reconcile: (key, rctx) => reconcileBinding(ctx, bindings.get(`${splitKey(key).namespace}/${bindingName(splitKey(key).name)}`), key, rctx),
    concurrency: 2,
  });
  // A tenant that appears, changes its allowed domains or goes away concerns all its users.
  controller.watch(ctx.caches.tenants, (tenant) => {
    const namespace = ctx.namespaceOfTenant(tenant as Tenant & KubeObject);
    return ctx.caches.users.byIndex('namespace', namespace).map((user) => `${namespace}/${user.metadata?.name ?? ''}`);
  });
}

async function reconcileBinding(ctx: OperatorContext, existing: RoleBinding | undefined, key: string, rctx: ReconcileContext): Promise<void> {
  const { namespace = '', name } = splitKey(key);
  const user = ctx.caches.users.get(key);
  const tenant = ctx.tenantForNamespace(namespace);
  const plan = planBinding({ user, tenant, existing });
  const why = bindingVerdict(user, tenant).why;
  switch (plan.action) {
    case 'none':
      return;
    case 'delete':
      await rctx.client.delete(builtinKinds.roleBinding, namespace, bindingName(name));
      rctx.log.info({ binding: bindingName(name), why }, 'Removed the user\'s role binding');
      return;
    case 'replace':
      await rctx.client.delete(builtinKinds.roleBinding, namespace, bindingName(name));
      await rctx.client.apply(builtinKinds.roleBinding, plan.binding, { fieldManager: FIELD_MANAGER });
      rctx.log.info({ binding: bindingName(name), clusterRole: plan.binding.roleRef?.name }, 'Replaced the user\'s role binding after a role change');
      return;
    case 'apply':
      await rctx.client.apply(builtinKinds.roleBinding, plan.binding, { fieldManager: FIELD_MANAGER });
      rctx.log.info({ binding: bindingName(name), clusterRole: plan.binding.roleRef?.name }, 'Bound the user to its role');
      return;
  }
}
