// What the Tenant controller does to the tenant's namespace: a pure decision
// from the Tenant and the namespace as observed (table-tested, no server).
import type { KubeObject } from '../runtime/kinds.js';
import { MANAGED_LABELS, SHARD_LABEL, TENANT_LABEL } from '../api/index.js';

/** Condition reasons of NamespaceReady, and Event reasons (created, adopted). */
export const NAMESPACE_REASONS = {
  created: 'NamespaceCreated',
  adopted: 'NamespaceAdopted',
  ready: 'NamespaceReady',
  ownedByAnotherTenant: 'NamespaceOwnedByAnotherTenant',
  terminating: 'NamespaceTerminating',
} as const;

/** What to do with the namespace. */
export type NamespacePlan =
  /** Create it with `labels`. */
  | { readonly action: 'create'; readonly labels: Readonly<Record<string, string>> }
  /** Add or fix `labels` on an existing namespace (adoption, or a label that drifted). */
  | { readonly action: 'label'; readonly labels: Readonly<Record<string, string>>; readonly adopt: boolean }
  /** Nothing: the namespace is ours and labelled. */
  | { readonly action: 'none' }
  /** Leave it alone and report why (another tenant's namespace, or one being deleted). */
  | { readonly action: 'refuse'; readonly reason: string; readonly message: string };

/** Inputs of {@link planNamespace}. */
export interface NamespacePlanInput {
  /** Name of the Tenant. */
  readonly tenant: string;
  /** Name of the namespace the Tenant owns. */
  readonly namespace: string;
  /** The Tenant's shard label when the operator runs with a shard; copied onto the namespace. */
  readonly shard: string | undefined;
  /** The namespace as read from the API; undefined when it does not exist. */
  readonly observed: KubeObject | undefined;
}

/** The labels a tenant namespace carries. */
export function namespaceLabels(tenant: string, shard: string | undefined): Record<string, string> {
  return { ...MANAGED_LABELS, [TENANT_LABEL]: tenant, ...(shard !== undefined ? { [SHARD_LABEL]: shard } : {}) };
}

/**
 * Creates a missing namespace, adopts an unlabelled one, keeps one already labelled for this
 * tenant (fixing its labels), and refuses one labelled for another tenant or being deleted.
 */
export function planNamespace(input: NamespacePlanInput): NamespacePlan {
  const { tenant, namespace, shard, observed } = input;
  if (observed === undefined) return { action: 'create', labels: namespaceLabels(tenant, shard) };
  const labels = observed.metadata?.labels ?? {};
  const owner = labels[TENANT_LABEL];
  if (owner !== undefined && owner !== tenant) {
    return {
      action: 'refuse',
      reason: NAMESPACE_REASONS.ownedByAnotherTenant,
      message: `Namespace "${namespace}" belongs to tenant "${owner}"; give this tenant another namespace`,
    };
  }
  if (observed.metadata?.deletionTimestamp) {
    return { action: 'refuse', reason: NAMESPACE_REASONS.terminating, message: `Namespace "${namespace}" is being deleted; it is created again once it is gone` };
  }
  // An adopted namespace keeps its own labels; only the tenant and shard labels are ours to set.
  const wanted = owner === undefined ? namespaceLabels(tenant, shard) : { [TENANT_LABEL]: tenant, ...(shard !== undefined ? { [SHARD_LABEL]: shard } : {}) };
  const missing = Object.fromEntries(Object.entries(wanted).filter(([key, value]) => labels[key] !== value));
  if (Object.keys(missing).length === 0) return { action: 'none' };
  return { action: 'label', labels: missing, adopt: owner === undefined };
}
