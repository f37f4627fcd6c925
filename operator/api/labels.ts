// Names the operator puts on objects: labels, the finalizer, the field manager.
// Every feature, the CLI and the tests read them from here (operator/README.md
// documents them).

/** Label on a Tenant's namespace (and on what the operator makes in it) naming the tenant. */
export const TENANT_LABEL = 'accounts.blinkops.com/tenant';
/** Label that assigns Tenants (and their namespaces) to one operator deployment. */
export const SHARD_LABEL = 'accounts.blinkops.com/shard';
/** Label naming the User an invitation record or RoleBinding belongs to. */
export const USER_LABEL = 'accounts.blinkops.com/user';
/** Label naming the ServiceAccount an API-key Secret belongs to. */
export const SERVICE_ACCOUNT_LABEL = 'accounts.blinkops.com/service-account';
/** Label saying where a User or Group came from when not from Git: `scim` (the SCIM endpoint) or `cli` (blink-accounts user invite). */
export const SOURCE_LABEL = 'accounts.blinkops.com/source';
/** Values of {@link SOURCE_LABEL}; an object without the label was declared by hand or in Git. */
export const SOURCES = { scim: 'scim', cli: 'cli' } as const;
/** Where an object came from, as people read it: SCIM, CLI, or Git (no source label: declared by hand or by a GitOps tool). */
export function sourceOf(object: { metadata?: { labels?: Record<string, string> } }): 'SCIM' | 'CLI' | 'Git' {
  const source = object.metadata?.labels?.[SOURCE_LABEL];
  return source === SOURCES.scim ? 'SCIM' : source === SOURCES.cli ? 'CLI' : 'Git';
}
/** Field manager of the SCIM endpoint's writes (Users and Groups it creates and updates). */
export const SCIM_FIELD_MANAGER = 'blink-accounts-scim';
/** Finalizer of every kind the operator cleans up after. */
export const FINALIZER = 'accounts.blinkops.com/finalizer';
/** Field manager of every server-side apply and status write. */
export const FIELD_MANAGER = 'blink-accounts-operator';
/** Value of app.kubernetes.io/managed-by on everything the operator creates. */
export const MANAGED_BY = 'blink-accounts-operator';
/** Labels on everything the operator creates. */
export const MANAGED_LABELS = { 'app.kubernetes.io/managed-by': MANAGED_BY, 'app.kubernetes.io/part-of': 'blink-accounts' } as const;
/** The label saying what an object the operator created is for. */
export const COMPONENT_LABEL = 'app.kubernetes.io/component';
/** Values of {@link COMPONENT_LABEL}. */
export const COMPONENTS = { apiKey: 'api-key', apiKeyCopy: 'api-key-copy', invitation: 'invitation', rbac: 'rbac', scimToken: 'scim-token' } as const;

/** Label selector of the objects of one component that the operator manages. */
export function managedSelector(component: (typeof COMPONENTS)[keyof typeof COMPONENTS]): string {
  return `${COMPONENT_LABEL}=${component},app.kubernetes.io/managed-by=${MANAGED_BY}`;
}

/** Label selector of the tenant namespaces of a shard (every tenant namespace without one). */
export function tenantNamespaceSelector(shard: string | undefined): string {
  return shard ? `${TENANT_LABEL},${SHARD_LABEL}=${shard}` : TENANT_LABEL;
}
