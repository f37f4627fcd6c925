// Tenant ↔ namespace: which namespace a Tenant owns, which Tenant owns a
// namespace, which namespaces no Tenant may have, what deleting a Tenant may do
// to its namespace, and when a tenant grants access at all.
import { CREATED_FOR_ANNOTATION, TENANT_NAMESPACE_PREFIX } from '../api/index.js';
import type { DeletionPolicy, Tenant } from '../api/index.js';
import { TENANT_LABEL } from '../api/labels.js';

/** The metadata these rules read. */
export interface ObjectWithMeta {
  readonly metadata?:
    | {
        readonly name?: string | undefined;
        readonly namespace?: string | undefined;
        readonly uid?: string | undefined;
        readonly creationTimestamp?: string | undefined;
        readonly labels?: Readonly<Record<string, string>> | undefined;
        readonly annotations?: Readonly<Record<string, string>> | undefined;
        readonly deletionTimestamp?: string | undefined;
      }
    | undefined;
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

/** The namespace deploy/ installs the operator in: reserved even for a deployment that runs elsewhere (a shard). */
export const OPERATOR_INSTALL_NAMESPACE = 'blink-accounts-system';

/**
 * Why no Tenant may have `namespace`, or undefined when one may: `default` and every `kube-*`
 * namespace belong to the cluster, and the operator's own namespace holds its Lease and Secrets.
 * (The CRD refuses the system ones at admission; this also covers objects admitted before.)
 */
export function reservedNamespace(namespace: string, operatorNamespace: string): string | undefined {
  if (namespace === operatorNamespace || namespace === OPERATOR_INSTALL_NAMESPACE) return "it is the operator's own namespace";
  if (namespace === 'default' || namespace.startsWith('kube-')) return 'it is a system namespace';
  return undefined;
}

/** The Tenant facts the deletion rule reads. */
export interface TenantIdentity {
  readonly name: string;
  readonly uid: string | undefined;
  /** status.createdNamespaceUID: the uid of the namespace the operator created for it. */
  readonly createdNamespaceUID: string | undefined;
}

/**
 * True when the operator created `namespace` for this very Tenant: the namespace is the one whose
 * uid the Tenant's status recorded at creation, and it carries the annotation naming the Tenant's
 * uid. A namespace deleted and made again by anyone else, under the same name, has another uid.
 */
export function createdForTenant(namespace: ObjectWithMeta | undefined, tenant: TenantIdentity): boolean {
  const meta = namespace?.metadata;
  if (!meta?.uid || !tenant.uid || !tenant.createdNamespaceUID) return false;
  return meta.uid === tenant.createdNamespaceUID && meta.annotations?.[CREATED_FOR_ANNOTATION] === tenant.uid;
}

/** What deleting a Tenant does to its namespace. */
export type NamespaceDeletion =
  /** Nothing: there is no namespace, or it is not this tenant's (not labelled for it). */
  | { readonly action: 'none' }
  /** deletionPolicy Retain: keep the namespace and everything in it. */
  | { readonly action: 'keep' }
  /** Delete the namespace, on the condition that its uid is still `uid`. */
  | { readonly action: 'delete'; readonly uid: string }
  /**
   * Keep the namespace, remove only what the operator made there. `recordLost`: the namespace
   * says it was created for this Tenant, but the status holds no record to confirm it.
   */
  | { readonly action: 'release'; readonly why: 'notCreatedForTenant' | 'recordLost' };

/**
 * The deletion rule: a namespace is deleted only under deletionPolicy Delete and only when the
 * operator created it for this Tenant ({@link createdForTenant}); any other namespace of the tenant
 * loses only what the operator made in it. Data the operator did not create is never deleted.
 */
export function namespaceDeletion(policy: DeletionPolicy | undefined, tenant: TenantIdentity, namespace: ObjectWithMeta | undefined): NamespaceDeletion {
  if (!namespace || namespace.metadata?.labels?.[TENANT_LABEL] !== tenant.name) return { action: 'none' };
  if (policy !== 'Delete') return { action: 'keep' };
  const uid = namespace.metadata.uid;
  if (uid && createdForTenant(namespace, tenant)) return { action: 'delete', uid };
  const claimsUs = tenant.uid !== undefined && namespace.metadata.annotations?.[CREATED_FOR_ANNOTATION] === tenant.uid;
  return { action: 'release', why: claimsUs && !tenant.createdNamespaceUID ? 'recordLost' : 'notCreatedForTenant' };
}
