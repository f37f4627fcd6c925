// The act steps of the Tenant controller, against the KubeWriter interface: the
// namespace plan (create, label, unlabel, refuse), the deletion rule, and the
// undeclared-access Event. Table-tested against the fake writer (tenant-act.test.ts).
import type { Tenant } from '../api/index.js';
import { ACCOUNT_KINDS, CONDITIONS, FIELD_MANAGER } from '../api/index.js';
import type { NamespaceDeletion } from '../policy/index.js';
import type { ConditionInput } from '../runtime/conditions.js';
import { builtinKinds } from '../runtime/kinds.js';
import type { KubeObject } from '../runtime/kinds.js';
import type { ActContext } from '../runtime/kube-writer.js';
import { NAMESPACE_REASONS, operatorLabelKeys } from './namespace-plan.js';
import type { NamespacePlan } from './namespace-plan.js';
import type { NamespaceOutcome } from './tenant-status.js';
import { UNDECLARED_ACCESS_REASONS } from './undeclared-access.js';

type CachedTenant = Tenant & KubeObject;

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
