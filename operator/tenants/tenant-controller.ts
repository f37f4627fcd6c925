// The Tenant controller: the tenant namespace (create, adopt on opt-in, label,
// refuse), the finalizer that keeps deletion from touching data the operator
// did not create, and status (counts per phase, NamespaceReady, Ready, and
// UndeclaredAccess for an adopted namespace).
//
// fetch (cache) → gone: done → finalizer (deleting: namespaceDeletion, pure, then
// applyNamespaceDeletion) → gather the namespace (cache, else the API: an
// unlabelled namespace is in no cache) → plan (planNamespace, pure) → act
// (applyNamespacePlan, tenant-act.ts: one write per change) → adopted namespace: its
// RoleBindings (ours from the binding cache, the others listed live: they are in no cache) → status (tenantStatus,
// pure, written only when it differs).
import type { ServiceAccount, Tenant, TenantStatus, User } from '../api/index.js';
import type { ReconcileContext } from '../runtime/controller.js';
import type { ReconcileResult } from '../runtime/errors.js';
import type { Informer } from '../runtime/informer.js';
import { isNotFound } from '../runtime/errors.js';
import { builtinKinds } from '../runtime/kinds.js';
import type { KubeObject } from '../runtime/kinds.js';
import type { KubeWriter } from '../runtime/kube-writer.js';
import { finalizerStep, writeStatus } from '../runtime/status-writer.js';
import { specLabelsOrPhaseChanged, specOrLabelsChanged } from '../runtime/controller.js';
import { ACCOUNT_KINDS, COMPONENT_LABEL, FINALIZER, MANAGED_BY, SHARD_LABEL, TENANT_LABEL } from '../api/index.js';
import type { OperatorContext } from '../context.js';
import { createdForTenant, namespaceDeletion } from '../policy/index.js';
import type { TenantIdentity } from '../policy/index.js';
import type { ConditionInput } from '../runtime/conditions.js';
import { bindingSelector } from './binding-controller.js';
import { RBAC_COMPONENT } from './binding-plan.js';
import type { RoleBinding } from './binding-plan.js';
import { NAMESPACE_REASONS, planNamespace } from './namespace-plan.js';
import { applyNamespaceDeletion, applyNamespacePlan, reportUndeclaredAccess } from './tenant-act.js';
import { tenantStatus } from './tenant-status.js';
import { ProviderClients } from '../invitations/provider-client.js';
import { identityProviderCondition } from './provider-check.js';
import type { ProviderCheck } from './provider-check.js';
import { undeclaredAccessCondition, undeclaredBindings } from './undeclared-access.js';

type CachedTenant = Tenant & KubeObject;

/**
 * How often an adopted namespace's RoleBindings are listed again when nothing else brings the
 * tenant back (a binding added later is noticed within this). One read; no write unless it changed.
 */
export const ADOPTED_RECHECK_MS = 5 * 60_000;

/** How often a namespace refused for want of the opt-in annotation is read again (an annotation on an unlabelled namespace triggers no watch). */
export const NOT_OPTED_IN_RECHECK_MS = 15_000;

/** Registers the Tenant controller. */
export function registerTenantController(ctx: OperatorContext): void {
  const { caches } = ctx;
  const shardSelector = ctx.options.shard ? `${SHARD_LABEL}=${ctx.options.shard}` : undefined;
  const namespaces = caches.tenantNamespaces;
  // The binding controller's cache (same kind and selector: one cache): the RoleBindings the operator made.
  const bindings = ctx.manager.informer<RoleBinding>(builtinKinds.roleBinding, { labelSelector: bindingSelector() });
  const providers = new ProviderClients(ctx.manager.client, ctx.clock);
  const controller = ctx.manager.addController({
    name: 'tenant',
    for: ACCOUNT_KINDS.tenant,
    ...(shardSelector ? { forInformer: { labelSelector: shardSelector } } : {}),
    reconcile: (key, rctx) => reconcileTenant(ctx, { namespaces, bindings, providers }, key, rctx),
  });
  const tenantOf = (object: KubeObject): string[] => {
    const tenant = ctx.tenants.forNamespace(object.metadata?.namespace ?? '');
    return tenant?.metadata?.name ? [tenant.metadata.name] : [];
  };
  // A tenant's username prefix is judged against every other provider: a Tenant that gains, changes or
  // drops one brings back the others that have one.
  controller.watch(
    caches.tenants,
    (changed) => caches.tenants.list().filter((t) => t.spec?.identityProvider && t.metadata?.name !== changed.metadata?.name).map((t) => t.metadata?.name ?? ''),
    { onUpdate: specOrLabelsChanged },
  );
  // Counts in status follow the users (by phase) and service accounts (not deleting) of the
  // namespace, and an adopted namespace's undeclared bindings are judged against the users' spec:
  // the other status writes of the User and ServiceAccount controllers change neither.
  controller.watch(caches.users, tenantOf, { onUpdate: specLabelsOrPhaseChanged });
  controller.watch(caches.serviceAccounts, tenantOf, { onUpdate: specLabelsOrPhaseChanged });
  // A tenant namespace whose labels are edited or that is deleted is looked at again.
  controller.watch(namespaces, (ns) => {
    const owner = ns.metadata?.labels?.[TENANT_LABEL];
    return owner ? [owner] : [];
  });
}

/** The caches the Tenant reconcile reads besides the shared ones. */
export interface TenantCaches {
  readonly namespaces: Informer<KubeObject>;
  readonly bindings: Informer<RoleBinding>;
  /** Checks tenants' identity providers (IdentityProviderReady). @default no check */
  readonly providers?: ProviderCheck;
}

/** One pass of the Tenant controller over the Tenant of `key` (table-tested in tenant-controller.test.ts). */
export async function reconcileTenant(ctx: OperatorContext, own: TenantCaches, key: string, rctx: ReconcileContext): Promise<ReconcileResult> {
  const cached = ctx.caches.tenants.get(key);
  if (!cached) return;
  const step = await finalizerStep(rctx.client, ACCOUNT_KINDS.tenant, cached, FINALIZER, (tenant) => finalizeTenant(ctx, own.bindings, tenant, rctx));
  if (step.done) return;
  const namespace = ctx.tenants.namespaceOf(step.object);
  // A namespace already labelled for this tenant is in the cache; any other is read (it is in no cache).
  const inCache = own.namespaces.get(namespace);
  const observed = inCache?.metadata?.labels?.[TENANT_LABEL] === key ? inCache : await readNamespace(rctx.client, namespace);
  const plan = planNamespace({
    tenant: key,
    tenantUid: step.object.metadata?.uid ?? '',
    namespace,
    operatorNamespace: ctx.namespace,
    shard: ctx.options.shard ? step.object.metadata?.labels?.[SHARD_LABEL] : undefined,
    observed,
  });
  const { tenant, outcome, namespace: live } = await applyNamespacePlan(rctx, step.object, namespace, plan, observed);

  // An adopted namespace may hold access the tenant did not declare: list every RoleBinding there.
  const adopted = outcome.ready && !createdForTenant(live, tenantIdentity(tenant));
  let undeclaredAccess: ConditionInput | undefined;
  if (adopted) {
    const all = await namespaceBindings(rctx, own.bindings, namespace);
    // The users are read after the list: a binding made for a User in the meantime finds it.
    const users = ctx.caches.users.byIndex('namespace', namespace) as (User & KubeObject)[];
    undeclaredAccess = undeclaredAccessCondition(namespace, undeclaredBindings(all, key, users, tenant), tenant.metadata?.generation);
    await reportUndeclaredAccess(rctx, tenant, undeclaredAccess);
  }

  const provider = outcome.ready && own.providers ? await identityProviderCondition(own.providers, tenant, namespace, ctx.caches.tenants.list()) : undefined;

  const status = tenantStatus({
    tenant,
    namespace,
    outcome,
    users: ctx.caches.users.byIndex('namespace', namespace) as User[],
    serviceAccounts: ctx.caches.serviceAccounts.byIndex('namespace', namespace) as ServiceAccount[],
    undeclaredAccess,
    identityProvider: provider?.condition,
    now: rctx.clock.now(),
  });
  await writeStatus(rctx.client, ACCOUNT_KINDS.tenant, tenant, status);
  if (plan.action === 'refuse' && plan.reason === NAMESPACE_REASONS.notOptedIn) return { requeueAfterMs: NOT_OPTED_IN_RECHECK_MS };
  const recheck = [adopted ? ADOPTED_RECHECK_MS : undefined, provider?.recheckMs].filter((ms): ms is number => ms !== undefined);
  return recheck.length > 0 ? { requeueAfterMs: Math.min(...recheck) } : undefined;
}

/**
 * Label selectors that together match exactly the RoleBindings the binding cache's selector
 * (bindingSelector: managed-by the operator and component rbac) does not: `!=` also matches a
 * binding without the label.
 */
export const FOREIGN_BINDING_SELECTORS = [
  `app.kubernetes.io/managed-by!=${MANAGED_BY}`,
  `app.kubernetes.io/managed-by=${MANAGED_BY},${COMPONENT_LABEL}!=${RBAC_COMPONENT}`,
] as const;

/**
 * Every RoleBinding of `namespace`: those with the operator's labels from the binding cache (one
 * per User, thousands in a large tenant), the rest listed live, the only ones in no cache. Two
 * lists that carry the few bindings the operator did not make, instead of one that carries every
 * binding on every Tenant pass (1,000 for a tenant of 1,000 Active Users; not measured: in the
 * benchmark every User is Invited and has none, so there it is one more empty list). A binding with the operator's labels made by someone else is in the cache too, and judged
 * like any other; one made a moment ago is judged on the next pass, as a later binding always was.
 */
async function namespaceBindings(rctx: ReconcileContext, bindings: Informer<RoleBinding>, namespace: string): Promise<RoleBinding[]> {
  const foreign = await Promise.all(
    FOREIGN_BINDING_SELECTORS.map((labelSelector) =>
      rctx.client.list<RoleBinding>(builtinKinds.roleBinding, { namespace, query: { labelSelector }, signal: rctx.signal }).catch((error: unknown) => {
        throw new Error(`Listing the RoleBindings of namespace "${namespace}" failed`, { cause: error });
      }),
    ),
  );
  const ours = bindings.byIndex('namespace', namespace).filter((b) => b.metadata?.labels?.['app.kubernetes.io/managed-by'] === MANAGED_BY && b.metadata.labels[COMPONENT_LABEL] === RBAC_COMPONENT);
  return [...ours, ...foreign.flatMap((list) => list.items)];
}

async function readNamespace(client: KubeWriter, name: string): Promise<KubeObject | undefined> {
  try {
    return await client.get(builtinKinds.namespace, undefined, name);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw new Error(`Reading namespace "${name}" failed`, { cause: error });
  }
}

/** The Tenant facts of the deletion rule. */
function tenantIdentity(tenant: CachedTenant): TenantIdentity {
  return { name: tenant.metadata?.name ?? '', uid: tenant.metadata?.uid, createdNamespaceUID: (tenant.status as TenantStatus | undefined)?.createdNamespaceUID };
}

/** On deletion: what namespaceDeletion (policy/tenancy.ts) decides, carried out. */
async function finalizeTenant(ctx: OperatorContext, bindings: Informer<RoleBinding>, tenant: CachedTenant, rctx: ReconcileContext): Promise<void> {
  const namespace = ctx.tenants.namespaceOf(tenant);
  const observed = await readNamespace(rctx.client, namespace);
  const decision = namespaceDeletion(tenant.spec?.deletionPolicy, tenantIdentity(tenant), observed);
  const name = tenant.metadata?.name ?? '';
  // The bindings the operator made for the tenant's Users: its labels and a User as controlling
  // owner. Labels alone can be copied onto someone else's binding, which release must not delete.
  const ours = bindings.byIndex('namespace', namespace).filter((b) => b.metadata?.labels?.[TENANT_LABEL] === name && ownedByAUser(b));
  await applyNamespaceDeletion(rctx, tenant, namespace, decision, { observed, bindings: ours.map((b) => b.metadata?.name ?? '') });
}

/** True when a User is the binding's only owner and its controller, as on every binding the operator makes. */
function ownedByAUser(binding: RoleBinding): boolean {
  const owners = binding.metadata?.ownerReferences ?? [];
  return owners.length === 1 && owners[0]?.kind === 'User' && owners[0].controller === true;
}
