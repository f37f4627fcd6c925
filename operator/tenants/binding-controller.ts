// Users → RoleBindings: each user with access (policy/principals.ts) is bound,
// by email, to the ClusterRole of its role in the tenant namespace
// (blink-user-<user>); an Invited, Inactive, refused or removed user has no
// binding. Kubernetes itself then enforces who may write Users and
// ServiceAccounts (R3, R10).
//
// fetch (User, Tenant, binding: caches) → gone: the plan removes the binding →
// (no finalizer: the binding is owned by the User and removed with it) →
// tenant check and plan (planBinding, pure) → act (applyBindingPlan, binding-act.ts).
import { ACCOUNT_KINDS, MANAGED_LABELS } from '../api/index.js';
import type { User } from '../api/index.js';
import type { Cached, OperatorContext } from '../context.js';
import { normalizeEmail } from '../policy/index.js';
import { specLabelsOrPhaseChanged, specOrLabelsChanged } from '../runtime/controller.js';
import type { ReconcileContext } from '../runtime/controller.js';
import { builtinKinds, splitKey } from '../runtime/kinds.js';
import type { KubeObject } from '../runtime/kinds.js';
import { controllerOwnerKey } from '../runtime/owner-mapping.js';
import { applyBindingPlan } from './binding-act.js';
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
    // The binding follows the User's spec, uid, deletion and phase (planBinding); the User
    // controller's other status writes (conditions, invitation, history: 2 or more per
    // invitation) change nothing here.
    forUpdate: specLabelsOrPhaseChanged,
    owns: [{ kind: builtinKinds.roleBinding, informer: { labelSelector: bindingSelector() }, map: controllerOwnerKey(ACCOUNT_KINDS.user) }],
    reconcile: (key, rctx) => reconcileBinding(ctx, bindings.get(`${splitKey(key).namespace}/${bindingName(splitKey(key).name)}`), key, rctx),
    concurrency: 2,
    // The User controller writes the User's status; this one's failures are logged and counted.
    ownsStatus: false,
  });
  // A tenant that appears, changes its allowed domains or goes away concerns all its users.
  controller.watch(ctx.caches.tenants, (tenant) => {
    const namespace = ctx.tenants.namespaceOf(tenant);
    return ctx.caches.users.byIndex('namespace', namespace).map((user) => `${namespace}/${user.metadata?.name ?? ''}`);
  }, { onUpdate: specOrLabelsChanged });
  // One email is one person: a User that comes, goes or is being deleted decides who of the others with its email is bound.
  controller.watch(ctx.caches.users, (user) => usersWithEmailOf(ctx, user).map((u) => `${u.metadata?.namespace ?? ''}/${u.metadata?.name ?? ''}`), { onUpdate: specOrLabelsChanged });
}

/** The Users of `user`'s namespace with its email in normal form (itself included when cached). */
function usersWithEmailOf(ctx: OperatorContext, user: KubeObject & { spec?: { email?: string } }): readonly Cached<User>[] {
  const email = normalizeEmail(user.spec?.email);
  return email === undefined ? [] : ctx.indexes.usersByEmail.get(`${user.metadata?.namespace ?? ''}/${email}`);
}

async function reconcileBinding(ctx: OperatorContext, existing: RoleBinding | undefined, key: string, rctx: ReconcileContext): Promise<void> {
  const { namespace = '', name } = splitKey(key);
  const user = ctx.caches.users.get(key);
  const tenant = ctx.tenants.forNamespace(namespace);
  const sameEmail = user ? usersWithEmailOf(ctx, user) : [];
  const plan = planBinding({ user, tenant, existing, sameEmail });
  await applyBindingPlan(rctx, plan, { namespace, userName: name, why: bindingVerdict(user, tenant, sameEmail).why });
}
