// The Tenant controller: the tenant namespace (create, adopt, label), the
// finalizer that keeps deletion from touching data unless the spec says so,
// and status (counts per phase, NamespaceReady, Ready).
//
// fetch (cache) → gone: done → finalizer (deleting: the deletion policy) →
// gather the namespace (cache, else the API: an unlabelled namespace is in no
// cache) → plan (planNamespace, pure) → act (applyNamespacePlan: one write per
// change) → status (tenantStatus, pure, written only when it differs).
import type { ServiceAccount, Tenant, User } from '../api/index.js';
import type { ReconcileContext } from '../runtime/controller.js';
import type { Informer } from '../runtime/informer.js';
import { isNotFound } from '../runtime/errors.js';
import { builtinKinds } from '../runtime/kinds.js';
import type { KubeObject } from '../runtime/kinds.js';
import type { ActContext, KubeWriter } from '../runtime/kube-writer.js';
import { finalizerStep, writeStatus } from '../runtime/status-writer.js';
import { ACCOUNT_KINDS, FIELD_MANAGER, FINALIZER, SHARD_LABEL, TENANT_LABEL } from '../api/index.js';
import type { OperatorContext } from '../context.js';
import { NAMESPACE_REASONS, planNamespace } from './namespace-plan.js';
import type { NamespacePlan } from './namespace-plan.js';
import { tenantStatus } from './tenant-status.js';
import type { NamespaceOutcome } from './tenant-status.js';

type CachedTenant = Tenant & KubeObject;

/** Registers the Tenant controller. */
export function registerTenantController(ctx: OperatorContext): void {
  const { caches } = ctx;
  const shardSelector = ctx.options.shard ? `${SHARD_LABEL}=${ctx.options.shard}` : undefined;
  const namespaces = caches.tenantNamespaces;
  const controller = ctx.manager.addController({
    name: 'tenant',
    for: ACCOUNT_KINDS.tenant,
    ...(shardSelector ? { forInformer: { labelSelector: shardSelector } } : {}),
    reconcile: (key, rctx) => reconcileTenant(ctx, namespaces, key, rctx),
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

async function reconcileTenant(ctx: OperatorContext, namespaces: Informer<KubeObject>, key: string, rctx: ReconcileContext): Promise<void> {
  const cached = ctx.caches.tenants.get(key);
  if (!cached) return;
  const step = await finalizerStep(rctx.client, ACCOUNT_KINDS.tenant, cached, FINALIZER, (tenant) => applyDeletionPolicy(ctx, tenant, rctx));
  if (step.done) return;
  const tenant = step.object;

  const namespace = ctx.tenants.namespaceOf(tenant);
  // A namespace already labelled for this tenant is in the cache; any other is read (it is in no cache).
  const inCache = namespaces.get(namespace);
  const observed = inCache?.metadata?.labels?.[TENANT_LABEL] === key ? inCache : await readNamespace(rctx.client, namespace);
  const plan = planNamespace({ tenant: key, namespace, shard: ctx.options.shard ? tenant.metadata?.labels?.[SHARD_LABEL] : undefined, observed });
  const outcome = await applyNamespacePlan(rctx, tenant, namespace, plan);

  const status = tenantStatus({
    tenant,
    namespace,
    outcome,
    users: ctx.caches.users.byIndex('namespace', namespace) as User[],
    serviceAccounts: ctx.caches.serviceAccounts.byIndex('namespace', namespace) as ServiceAccount[],
    now: rctx.clock.now(),
  });
  await writeStatus(rctx.client, ACCOUNT_KINDS.tenant, tenant, status);
}

async function readNamespace(client: KubeWriter, name: string): Promise<KubeObject | undefined> {
  try {
    return await client.get(builtinKinds.namespace, undefined, name);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw new Error(`Reading namespace "${name}" failed`, { cause: error });
  }
}

/** Carries out a NamespacePlan (table-tested in tenant-act.test.ts). */
export async function applyNamespacePlan(rctx: ActContext, tenant: CachedTenant, namespace: string, plan: NamespacePlan): Promise<NamespaceOutcome> {
  switch (plan.action) {
    case 'create':
      await rctx.client.create(builtinKinds.namespace, { metadata: { name: namespace, labels: { ...plan.labels } } }, { fieldManager: FIELD_MANAGER });
      rctx.log.info({ namespace }, 'Created the tenant namespace');
      await rctx.recorder.event(tenant, 'Normal', NAMESPACE_REASONS.created, `Created namespace ${namespace}`);
      return readyOutcome(namespace);
    case 'label':
      await rctx.client.patch(builtinKinds.namespace, undefined, namespace, { metadata: { labels: plan.labels } }, { fieldManager: FIELD_MANAGER });
      if (plan.adopt) {
        rctx.log.info({ namespace }, 'Adopted the existing namespace');
        await rctx.recorder.event(tenant, 'Normal', NAMESPACE_REASONS.adopted, `Adopted existing namespace ${namespace}`);
      }
      return readyOutcome(namespace);
    case 'none':
      return readyOutcome(namespace);
    case 'refuse':
      if (tenant.status?.conditions?.find((c) => c.type === 'NamespaceReady')?.reason !== plan.reason) {
        await rctx.recorder.event(tenant, 'Warning', plan.reason, plan.message);
      }
      return { ready: false, reason: plan.reason, message: plan.message };
  }
}

/** Created, adopted or found: one stable condition (how it came about is an Event), so later passes write nothing. */
function readyOutcome(namespace: string): NamespaceOutcome {
  return { ready: true, reason: NAMESPACE_REASONS.ready, message: `Namespace "${namespace}" belongs to the tenant` };
}

/** Retain (default): keep the namespace and all in it. Delete: delete the namespace, if it is ours. */
async function applyDeletionPolicy(ctx: OperatorContext, tenant: CachedTenant, rctx: ReconcileContext): Promise<void> {
  const namespace = ctx.tenants.namespaceOf(tenant);
  if (tenant.spec?.deletionPolicy === 'Delete') {
    const observed = await readNamespace(rctx.client, namespace);
    if (observed && observed.metadata?.labels?.[TENANT_LABEL] === tenant.metadata.name) {
      await rctx.client.delete(builtinKinds.namespace, undefined, namespace, { propagationPolicy: 'Background' });
      rctx.log.info({ namespace }, 'Deleted the tenant namespace (deletionPolicy Delete)');
    }
  } else {
    rctx.log.info({ namespace }, 'Kept the tenant namespace (deletionPolicy Retain)');
  }
}
