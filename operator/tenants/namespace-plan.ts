// What the Tenant controller does to the tenant's namespace: a pure decision
// from the Tenant and the namespace as observed (table-tested, no server).
//
// The rules (PRODUCT.md §6, issue #12): a missing namespace is created (and
// marked as created for this Tenant); an existing one is adopted only when its
// owner opted in with the annotation naming the Tenant; a system namespace, the
// operator's own and another tenant's are refused. A refusal labels nothing, so
// nothing is bound there.
import type { KubeObject } from '../runtime/kinds.js';
import { ADOPT_ANNOTATION, CREATED_FOR_ANNOTATION, MANAGED_LABELS, SHARD_LABEL, TENANT_LABEL } from '../api/index.js';
import { reservedNamespace } from '../policy/index.js';

/** Condition reasons of NamespaceReady, and Event reasons of the namespace's life. */
export const NAMESPACE_REASONS = {
  created: 'NamespaceCreated',
  adopted: 'NamespaceAdopted',
  ready: 'NamespaceReady',
  ownedByAnotherTenant: 'NamespaceOwnedByAnotherTenant',
  terminating: 'NamespaceTerminating',
  /** A system namespace or the operator's own: never a tenant's. */
  reserved: 'NamespaceReserved',
  /** An existing namespace whose owner did not set the adoption annotation for this tenant. */
  notOptedIn: 'NamespaceNotOptedIn',
  /** Event: deleted with the Tenant (deletionPolicy Delete, created for it). */
  deleted: 'NamespaceDeleted',
  /** Event: kept on deletion, with what the operator made there removed. */
  released: 'NamespaceReleased',
} as const;

/** What to do with the namespace. */
export type NamespacePlan =
  /** Create it with `labels` and `annotations` (the record that it was created for this Tenant). */
  | { readonly action: 'create'; readonly labels: Readonly<Record<string, string>>; readonly annotations: Readonly<Record<string, string>> }
  /** Add or fix `labels` on an existing namespace (adoption, or a label that drifted). */
  | { readonly action: 'label'; readonly labels: Readonly<Record<string, string>>; readonly adopt: boolean }
  /** Nothing: the namespace is ours and labelled. */
  | { readonly action: 'none' }
  /**
   * Leave it alone and report why. `unlabel`: labels of the operator to remove first, when a
   * namespace that may not be the tenant's carries them (one labelled before the rule existed).
   */
  | { readonly action: 'refuse'; readonly reason: string; readonly message: string; readonly unlabel: readonly string[] };

/** Inputs of {@link planNamespace}. */
export interface NamespacePlanInput {
  /** Name of the Tenant. */
  readonly tenant: string;
  /** uid of the Tenant, recorded on a namespace created for it. */
  readonly tenantUid: string;
  /** Name of the namespace the Tenant owns. */
  readonly namespace: string;
  /** The operator's own namespace (never a tenant's). */
  readonly operatorNamespace: string;
  /** The Tenant's shard label when the operator runs with a shard; copied onto the namespace. */
  readonly shard: string | undefined;
  /** The namespace as read from the API; undefined when it does not exist. */
  readonly observed: KubeObject | undefined;
}

/** The labels a namespace the operator creates carries. */
export function namespaceLabels(tenant: string, shard: string | undefined): Record<string, string> {
  return { ...MANAGED_LABELS, ...ownershipLabels(tenant, shard) };
}

/** The labels that make a namespace the tenant's: the only ones an adopted namespace gets. */
function ownershipLabels(tenant: string, shard: string | undefined): Record<string, string> {
  return { [TENANT_LABEL]: tenant, ...(shard !== undefined ? { [SHARD_LABEL]: shard } : {}) };
}

/** Keys of the labels the operator put on a namespace it labelled for `tenant` (none when it is not labelled for it). */
export function operatorLabelKeys(observed: KubeObject | undefined, tenant: string): string[] {
  const labels = observed?.metadata?.labels ?? {};
  if (labels[TENANT_LABEL] !== tenant) return [];
  const ours: Record<string, string | undefined> = { ...MANAGED_LABELS, [TENANT_LABEL]: tenant, [SHARD_LABEL]: labels[SHARD_LABEL] };
  return Object.keys(ours).filter((key) => labels[key] !== undefined && labels[key] === ours[key]);
}

/**
 * Creates a missing namespace; keeps one labelled for this tenant (fixing its labels); adopts an
 * unlabelled one only when it carries the adoption annotation naming this tenant; refuses a
 * reserved namespace, another tenant's, one not opted in, and one being deleted.
 */
export function planNamespace(input: NamespacePlanInput): NamespacePlan {
  const { tenant, tenantUid, namespace, operatorNamespace, shard, observed } = input;
  const reserved = reservedNamespace(namespace, operatorNamespace);
  if (reserved !== undefined) {
    return {
      action: 'refuse',
      reason: NAMESPACE_REASONS.reserved,
      message: `Namespace "${namespace}" cannot belong to a tenant: ${reserved}. Delete this Tenant and create it again with a namespace of its own, such as tenant-${tenant}`,
      unlabel: operatorLabelKeys(observed, tenant),
    };
  }
  if (observed === undefined) {
    return { action: 'create', labels: namespaceLabels(tenant, shard), annotations: { [CREATED_FOR_ANNOTATION]: tenantUid } };
  }
  const labels = observed.metadata?.labels ?? {};
  const owner = labels[TENANT_LABEL];
  if (owner !== undefined && owner !== tenant) {
    return {
      action: 'refuse',
      reason: NAMESPACE_REASONS.ownedByAnotherTenant,
      message: `Namespace "${namespace}" belongs to tenant "${owner}"; give this tenant another namespace`,
      unlabel: [],
    };
  }
  if (observed.metadata?.deletionTimestamp) {
    return { action: 'refuse', reason: NAMESPACE_REASONS.terminating, message: `Namespace "${namespace}" is being deleted; it is created again once it is gone`, unlabel: [] };
  }
  if (owner === undefined && observed.metadata?.annotations?.[ADOPT_ANNOTATION] !== tenant) {
    return {
      action: 'refuse',
      reason: NAMESPACE_REASONS.notOptedIn,
      message:
        `Namespace "${namespace}" already exists and was not created for this tenant, so it is not adopted. ` +
        `If it is meant for tenant "${tenant}", its owner annotates it: kubectl annotate namespace ${namespace} ${ADOPT_ANNOTATION}=${tenant}; ` +
        'otherwise delete this Tenant and create it again with another namespace',
      unlabel: [],
    };
  }
  // Ours (labelled for this tenant) or opted in: only the tenant and shard labels are ours to set.
  const wanted = ownershipLabels(tenant, shard);
  const missing = Object.fromEntries(Object.entries(wanted).filter(([key, value]) => labels[key] !== value));
  if (Object.keys(missing).length === 0) return { action: 'none' };
  return { action: 'label', labels: missing, adopt: owner === undefined };
}
