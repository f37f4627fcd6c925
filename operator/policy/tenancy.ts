// Tenant ↔ namespace: which namespace a Tenant owns, which Tenant owns a
// namespace, and when a tenant grants access at all.
import { TENANT_NAMESPACE_PREFIX } from '../api/index.js';
import type { Tenant } from '../api/index.js';
import { TENANT_LABEL } from '../api/labels.js';

/** The metadata these rules read. */
export interface ObjectWithMeta {
  readonly metadata?: { readonly name?: string | undefined; readonly labels?: Readonly<Record<string, string>> | undefined; readonly deletionTimestamp?: string | undefined } | undefined;
}

/** True once the object is being deleted. */
export function isDeleting(object: ObjectWithMeta): boolean {
  return !!object.metadata?.deletionTimestamp;
}

/** The namespace a Tenant owns: spec.namespace, else tenant-<name>. */
export function namespaceOfTenant(tenant: Pick<Tenant, 'spec'> & ObjectWithMeta): string {
  return tenant.spec?.namespace ?? `${TENANT_NAMESPACE_PREFIX}${tenant.metadata?.name ?? ''}`;
}

/**
 * Of the Tenants that name a namespace, the one that owns it: the one its tenant label names.
 * Two Tenants may claim one namespace; the label, which only the operator writes, decides.
 */
export function owningTenant<T extends Pick<Tenant, 'spec'> & ObjectWithMeta>(namespace: ObjectWithMeta | undefined, claimants: readonly T[]): T | undefined {
  const owner = namespace?.metadata?.labels?.[TENANT_LABEL];
  return owner === undefined ? undefined : claimants.find((t) => t.metadata?.name === owner);
}

/**
 * Whether a tenant grants any access now: it exists and is not being deleted, and so is its
 * namespace, labelled for it. A deleting tenant's users and keys have no access, while its
 * controllers still finish their work (the deletion rule every check shares).
 */
export function tenantGrantsAccess(tenant: (Pick<Tenant, 'spec'> & ObjectWithMeta) | undefined, namespace: ObjectWithMeta | undefined): boolean {
  if (!tenant || isDeleting(tenant) || !namespace || isDeleting(namespace)) return false;
  return namespace.metadata?.labels?.[TENANT_LABEL] === tenant.metadata?.name;
}
