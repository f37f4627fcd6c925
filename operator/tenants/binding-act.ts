// The act step of the Users → RoleBindings controller: carries out a BindingPlan
// (apply, replace after a role change, delete) against the KubeWriter interface.
// Table-tested against the fake writer (tenant-act.test.ts).
import { FIELD_MANAGER } from '../api/index.js';
import { builtinKinds } from '../runtime/kinds.js';
import type { ActContext } from '../runtime/kube-writer.js';
import { bindingName } from './binding-plan.js';
import type { BindingPlan } from './binding-plan.js';

/** Carries out a BindingPlan (table-tested in tenant-act.test.ts). */
export async function applyBindingPlan(act: ActContext, plan: BindingPlan, target: { readonly namespace: string; readonly userName: string; readonly why: string }): Promise<void> {
  const binding = bindingName(target.userName);
  switch (plan.action) {
    case 'none':
      return;
    case 'delete':
      await act.client.delete(builtinKinds.roleBinding, target.namespace, binding);
      act.log.info({ binding, why: target.why }, "Removed the user's role binding");
      return;
    case 'replace':
      // roleRef is immutable: a role change deletes and re-creates.
      await act.client.delete(builtinKinds.roleBinding, target.namespace, binding);
      await act.client.apply(builtinKinds.roleBinding, plan.binding, { fieldManager: FIELD_MANAGER });
      act.log.info({ binding, clusterRole: plan.binding.roleRef?.name }, "Replaced the user's role binding after a role change");
      return;
    case 'apply':
      await act.client.apply(builtinKinds.roleBinding, plan.binding, { fieldManager: FIELD_MANAGER });
      act.log.info({ binding, clusterRole: plan.binding.roleRef?.name }, 'Bound the user to its role');
      return;
  }
}
