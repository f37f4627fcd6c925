// The Tenant controller: the tenant namespace (create, adopt on opt-in, label,
// refuse), the finalizer that keeps deletion from touching data the operator
// did not create, and status (counts per phase, NamespaceReady, Ready, and
// UndeclaredAccess for an adopted namespace).
//
// fetch (cache) → gone: done → finalizer (deleting: namespaceDeletion, pure, then
// applyNamespaceDeletion) → gather the namespace (cache, else the API: an
// unlabelled namespace is in no cache) → plan (planNamespace, pure) → act
// (applyNamespacePlan: one write per change) → adopted namespace: list its
// RoleBindings (live: the binding cache holds only ours) → status (tenantStatus,
// pure, written only when it differs).
import type { ServiceAccount, Tenant, TenantStatus, User } from '../api/index.js';
import type { ReconcileContext } from '../runtime/controller.js';
import type { ReconcileResult } from '../runtime/errors.js';
import type { Informer } from '../runtime/informer.js';
import { isNotFound } from '../runtime/errors.js';
import { builtinKinds } from '../runtime/kinds.js';
import type { KubeObject } from '../runtime/kinds.js';
import type { ActContext, KubeWriter } from '../runtime/kube-writer.js';
import { finalizerStep, writeStatus } from '../runtime/status-writer.js';
import { ACCOUNT_KINDS, CONDITIONS, FIELD_MANAGER, FINALIZER, SHARD_LABEL, TENANT_LABEL } from '../api/index.js';
import type { OperatorContext } from '../context.js';
import { createdForTenant, namespaceDeletion } from '../policy/index.js';
import type { NamespaceDeletion, TenantIdentity } from '../policy/index.js';
import type { ConditionInput } from '../runtime/conditions.js';
import { bindingSelector } from './binding-controller.js';
import type { RoleBinding } from './binding-plan.js';
import { NAMESPACE_REASONS, operatorLabelKeys, planNamespace } from './namespace-plan.js';
import type { NamespacePlan } from './namespace-plan.js';
import { tenantStatus } from './tenant-status.js';
import type { NamespaceOutcome } from './tenant-status.js';
import { undeclaredAccessCondition, undeclaredBindings, UNDECLARED_ACCESS_REASONS } from './undeclared-access.js';

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
  const controller = ctx.manager.addController({
    name: 'tenant',
    for: ACCOUNT_KINDS.tenant,
    ...(shardSelector ? { forInformer: { labelSelector: shardSelector } } : {}),
    reconcile: (key, rctx) => reconcileTenant(ctx, { namespaces, bindings }, key, rctx),
  });
  const tenantOf = (object: KubeObject): string[] => {
    const tenant = ctx.tenants.forNamespace(object.metadata?.namespace ?? '');
    return tenant?.metadata?.name ? [tenant.metadata.name] : [];
  };
  // Counts in status follow the users and service accounts of the namespace.
  controller.watch(caches.users, tenantOf);
  controller.watch(caches.serviceAccounts, tenantOf);
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
    const list = await rctx.client.list<RoleBinding>(builtinKinds.roleBinding, { namespace, signal: rctx.signal }).catch((error: unknown) => {
      throw new Error(`Listing the RoleBindings of namespace "${namespace}" failed`, { cause: error });
    });
    // The users are read after the list: a binding made for a User in the meantime finds it.
    const users = ctx.caches.users.byIndex('namespace', namespace) as (User & KubeObject)[];
    undeclaredAccess = undeclaredAccessCondition(namespace, undeclaredBindings(list.items, key, users), tenant.metadata?.generation);
    await reportUndeclaredAccess(rctx, tenant, undeclaredAccess);
  }

  const status = tenantStatus({
    tenant,
    namespace,
    outcome,
    users: ctx.caches.users.byIndex('namespace', namespace) as User[],
    serviceAccounts: ctx.caches.serviceAccounts.byIndex('namespace', namespace) as ServiceAccount[],
    undeclaredAccess,
    now: rctx.clock.now(),
  });
  await writeStatus(rctx.client, ACCOUNT_KINDS.tenant, tenant, status);
  if (plan.action === 'refuse' && plan.reason === NAMESPACE_REASONS.notOptedIn) return { requeueAfterMs: NOT_OPTED_IN_RECHECK_MS };
  return adopted ? { requeueAfterMs: ADOPTED_RECHECK_MS } : undefined;
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

/** What applyNamespacePlan leaves: the Tenant (with the creation record, once written), the outcome, the namespace as it now is. */
export interface NamespaceActResult {
  readonly tenant: CachedTenant;
  readonly outcome: NamespaceOutcome;
  readonly namespace: KubeObject | undefined;
}

/** Carries out a NamespacePlan (table-tested in tenant-act.test.ts). */
export async function applyNamespacePlan(rctx: ActContext, tenant: CachedTenant, namespace: string, plan: NamespacePlan, observed: KubeObject | undefined): Promise<NamespaceActResult> {
  switch (plan.action) {
    case 'create': {
      const created = await rctx.client.create<KubeObject>(builtinKinds.namespace, { metadata: { name: namespace, labels: { ...plan.labels }, annotations: { ...plan.annotations } } }, { fieldManager: FIELD_MANAGER });
      rctx.log.info({ namespace }, 'Created the tenant namespace');
      await rctx.recorder.event(tenant, 'Normal', NAMESPACE_REASONS.created, `Created namespace ${namespace}`);
      // The record that makes deletionPolicy Delete possible is written at once, without a
      // resourceVersion (it cannot conflict): lost, the namespace would only ever be kept.
      const uid = created.metadata?.uid;
      const recorded = uid
        ? await rctx.client.patch<CachedTenant>(ACCOUNT_KINDS.tenant, undefined, tenant.metadata?.name ?? '', { status: { createdNamespaceUID: uid } }, { subresource: 'status' })
        : tenant;
      return { tenant: recorded, outcome: readyOutcome(namespace), namespace: created };
    }
    case 'label': {
      const labelled = await rctx.client.patch(builtinKinds.namespace, undefined, namespace, { metadata: { labels: plan.labels } }, { fieldManager: FIELD_MANAGER });
      if (plan.adopt) {
        rctx.log.info({ namespace }, 'Adopted the existing namespace (it opted in)');
        await rctx.recorder.event(tenant, 'Normal', NAMESPACE_REASONS.adopted, `Adopted existing namespace ${namespace}, which opted in`);
      }
      return { tenant, outcome: readyOutcome(namespace), namespace: labelled };
    }
    case 'none':
      return { tenant, outcome: readyOutcome(namespace), namespace: observed };
    case 'refuse': {
      if (plan.unlabel.length > 0) {
        await rctx.client.patch(builtinKinds.namespace, undefined, namespace, { metadata: { labels: Object.fromEntries(plan.unlabel.map((k) => [k, null])) } }, { fieldManager: FIELD_MANAGER });
        rctx.log.info({ namespace, labels: plan.unlabel }, 'Removed the operator\'s labels from a namespace the tenant may not have');
      }
      if (tenant.status?.conditions?.find((c) => c.type === CONDITIONS.namespaceReady)?.reason !== plan.reason) {
        await rctx.recorder.event(tenant, 'Warning', plan.reason, plan.message);
      }
      return { tenant, outcome: { ready: false, reason: plan.reason, message: plan.message }, namespace: observed };
    }
  }
}

/** Created, adopted or found: one stable condition (how it came about is an Event), so later passes write nothing. */
function readyOutcome(namespace: string): NamespaceOutcome {
  return { ready: true, reason: NAMESPACE_REASONS.ready, message: `Namespace "${namespace}" belongs to the tenant` };
}

/** A Warning Event when the undeclared RoleBindings found differ from those last reported (the condition message lists them). */
export async function reportUndeclaredAccess(rctx: ActContext, tenant: CachedTenant, condition: ConditionInput): Promise<void> {
  const previous = tenant.status?.conditions?.find((c) => c.type === CONDITIONS.undeclaredAccess);
  if (condition.reason !== UNDECLARED_ACCESS_REASONS.found || (previous?.reason === condition.reason && previous.message === condition.message)) return;
  await rctx.recorder.event(tenant, 'Warning', UNDECLARED_ACCESS_REASONS.found, condition.message);
}

/** On deletion: what namespaceDeletion (policy/tenancy.ts) decides, carried out. */
async function finalizeTenant(ctx: OperatorContext, bindings: Informer<RoleBinding>, tenant: CachedTenant, rctx: ReconcileContext): Promise<void> {
  const namespace = ctx.tenants.namespaceOf(tenant);
  const observed = await readNamespace(rctx.client, namespace);
  const decision = namespaceDeletion(tenant.spec?.deletionPolicy, tenantIdentity(tenant), observed);
  const name = tenant.metadata?.name ?? '';
  const ours = bindings.byIndex('namespace', namespace).filter((b) => b.metadata?.labels?.[TENANT_LABEL] === name);
  await applyNamespaceDeletion(rctx, tenant, namespace, decision, { observed, bindings: ours.map((b) => b.metadata?.name ?? '') });
}

/**
 * Carries out a NamespaceDeletion (table-tested in tenant-act.test.ts). `delete` is conditioned on
 * the namespace's uid; `release` deletes the RoleBindings the operator made for the tenant, then
 * removes its labels from the namespace, and says so in an Event. Nothing else is touched.
 */
export async function applyNamespaceDeletion(
  rctx: ActContext,
  tenant: CachedTenant,
  namespace: string,
  decision: NamespaceDeletion,
  found: { readonly observed: KubeObject | undefined; readonly bindings: readonly string[] },
): Promise<void> {
  switch (decision.action) {
    case 'none':
      rctx.log.info({ namespace }, 'Left the namespace alone: it is not the tenant\'s');
      return;
    case 'keep':
      rctx.log.info({ namespace }, 'Kept the tenant namespace (deletionPolicy Retain)');
      return;
    case 'delete':
      await rctx.client.delete(builtinKinds.namespace, undefined, namespace, { propagationPolicy: 'Background', preconditions: { uid: decision.uid } });
      rctx.log.info({ namespace }, 'Deleted the tenant namespace (deletionPolicy Delete, created for the tenant)');
      await rctx.recorder.event(tenant, 'Normal', NAMESPACE_REASONS.deleted, `Deleted namespace ${namespace}, created for this tenant (deletionPolicy Delete)`);
      return;
    case 'release': {
      for (const binding of found.bindings) await rctx.client.delete(builtinKinds.roleBinding, namespace, binding);
      const labels = operatorLabelKeys(found.observed, tenant.metadata?.name ?? '');
      if (labels.length > 0) {
        await rctx.client.patch(builtinKinds.namespace, undefined, namespace, { metadata: { labels: Object.fromEntries(labels.map((k) => [k, null])) } }, { fieldManager: FIELD_MANAGER });
      }
      const why =
        decision.why === 'recordLost'
          ? 'it says it was created for this tenant, but the Tenant\'s status holds no record of its uid, so it cannot be told from a namespace of the same name made by someone else'
          : 'the operator did not create it for this tenant';
      const note = `Kept namespace ${namespace} although deletionPolicy is Delete: ${why}. Removed only what the operator made there: its labels and ${found.bindings.length} RoleBinding(s); delete the namespace by hand if nothing in it is needed`;
      rctx.log.info({ namespace, why: decision.why, bindings: found.bindings.length }, 'Released the namespace without deleting it');
      await rctx.recorder.event(tenant, decision.why === 'recordLost' ? 'Warning' : 'Normal', NAMESPACE_REASONS.released, note);
      return;
    }
  }
}
