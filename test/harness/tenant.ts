// The one fixture of "a tenant with users and accounts" for every integration test:
// an admin client, a Tenant (made by the Tenant controller's operator, or with its
// namespace made here for operators that run without that controller), the Users,
// ServiceAccounts, Workspaces and Groups in it, waits on them, and cleanup.
// Chaos scenarios and benchmarks that make objects in bulk keep their own loops,
// but make their Tenants through createTenant.
import { randomBytes } from 'node:crypto';
import type { ServiceAccount, ServiceAccountSpec } from '../../operator/api/index.js';
import { ACCOUNT_KINDS, SHARD_LABEL, TENANT_LABEL } from '../../operator/api/index.js';
import { isNotFound } from '../../operator/runtime/errors.js';
import { KubeClient } from '../../operator/runtime/kube-client.js';
import type { KubeObject } from '../../operator/runtime/kinds.js';
import { builtinKinds } from '../../operator/runtime/kinds.js';
import { adminKubeConfig, eventually } from './kube.js';

/** A ServiceAccount (of accounts.blinkops.com) as read from the API. */
export type SA = ServiceAccount & KubeObject;

/** A client with the admin identity of the test control plane. */
export function adminClient(): KubeClient {
  return new KubeClient(adminKubeConfig());
}

/** A name unique to this run: `<prefix>-<6 hex>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/**
 * Creates a Tenant labelled for `shard` (none: unlabelled); the Tenant controller of that shard
 * then makes its namespace (`spec.namespace`, default `tenant-<name>`). `spec.displayName`
 * defaults to `Company <name>`.
 */
export function createTenant(client: KubeClient, name: string, shard: string | undefined, spec: Record<string, unknown> = {}): Promise<KubeObject> {
  return client.create(ACCOUNT_KINDS.tenant, {
    metadata: { name, ...(shard !== undefined ? { labels: { [SHARD_LABEL]: shard } } : {}) },
    spec: { displayName: `Company ${name}`, ...spec },
  });
}

/** What createTenantWithNamespace makes. */
export interface TenantWithNamespaceOptions {
  /** The Tenant's name. */
  readonly name: string;
  /** The shard label of the Tenant and the namespace. */
  readonly shard: string;
  /** The tenant namespace; created when missing, labelled when it exists. @default `tenant-<name>` */
  readonly namespace?: string;
  /** Further Tenant spec (displayName, invitationTTL, invitationEmailsPerHour…). @default displayName `Company <name>` */
  readonly spec?: Record<string, unknown>;
}

/**
 * Makes a tenant for an operator that runs without the Tenant controller: the namespace labelled
 * for the tenant and the shard as that controller would (created, marked `blink-test`, when
 * missing), then a Tenant naming it. Returns the namespace.
 */
export async function createTenantWithNamespace(client: KubeClient, options: TenantWithNamespaceOptions): Promise<string> {
  const namespace = options.namespace ?? `tenant-${options.name}`;
  const labels = { [TENANT_LABEL]: options.name, [SHARD_LABEL]: options.shard };
  const existing = await client.get(builtinKinds.namespace, undefined, namespace).catch((error: unknown) => {
    if (isNotFound(error)) return undefined;
    throw error;
  });
  if (existing) await client.patch(builtinKinds.namespace, undefined, namespace, { metadata: { labels } });
  else await client.create(builtinKinds.namespace, { metadata: { name: namespace, labels: { ...labels, 'blink-test': 'true' } } });
  await createTenant(client, options.name, options.shard, { ...options.spec, namespace });
  return namespace;
}

/** Waits until the Tenant reports Ready=True and returns it. */
export function tenantReady(client: KubeClient, name: string, timeoutMs = 30_000): Promise<KubeObject> {
  return eventually(async () => {
    const tenant = await client.get<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>(ACCOUNT_KINDS.tenant, undefined, name);
    return tenant.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? tenant : undefined;
  }, timeoutMs, `Tenant ${name} to be Ready`);
}

/** Creates a User. */
export function createUser(client: KubeClient, namespace: string, name: string, spec: { email: string; role: string; workspaces?: string[]; groups?: string[]; active?: boolean }): Promise<KubeObject> {
  return client.create(ACCOUNT_KINDS.user, { metadata: { name, namespace }, spec });
}

/** Sets a User's phase through the status subresource (what acceptance would do). */
export function setUserPhase(client: KubeClient, namespace: string, name: string, phase: 'Invited' | 'Active' | 'Inactive'): Promise<KubeObject> {
  return client.patch(ACCOUNT_KINDS.user, namespace, name, { status: { phase } }, { subresource: 'status' });
}

/** Creates a User and makes it Active without the invitation flow (its status subresource, as the Users controller would). */
export async function createActiveUser(client: KubeClient, namespace: string, name: string, spec: { email: string; role: string; workspaces?: string[] }): Promise<void> {
  await createUser(client, namespace, name, { ...spec, active: true });
  await setUserPhase(client, namespace, name, 'Active');
}

/** Creates a ServiceAccount (of accounts.blinkops.com). */
export function createServiceAccount(client: KubeClient, namespace: string, name: string, spec: ServiceAccountSpec): Promise<SA> {
  return client.create<SA>(ACCOUNT_KINDS.serviceAccount, { metadata: { name, namespace }, spec } as SA);
}

/** Creates a Workspace. */
export function createWorkspace(client: KubeClient, namespace: string, name: string, spec: Record<string, unknown> = {}): Promise<KubeObject> {
  return client.create(ACCOUNT_KINDS.workspace, { metadata: { name, namespace }, spec });
}

/** Creates a Group. */
export function createGroup(client: KubeClient, namespace: string, name: string, spec: Record<string, unknown> = {}): Promise<KubeObject> {
  return client.create(ACCOUNT_KINDS.group, { metadata: { name, namespace }, spec });
}

/** Reads a ServiceAccount. */
export function getServiceAccount(client: KubeClient, namespace: string, name: string): Promise<SA> {
  return client.get<SA>(ACCOUNT_KINDS.serviceAccount, namespace, name);
}

/** True when Ready=True for the current generation. */
export function isReady(object: { metadata?: { generation?: number }; status?: { observedGeneration?: number; conditions?: { type: string; status: string }[] } }): boolean {
  const ready = object.status?.conditions?.find((c) => c.type === 'Ready');
  return ready?.status === 'True' && object.status?.observedGeneration === object.metadata?.generation;
}

/** Waits until the ServiceAccount is Ready for its current generation and `also` holds. */
export function waitForServiceAccount(client: KubeClient, namespace: string, name: string, also: (sa: SA) => boolean = isReady, timeoutMs = 30_000): Promise<SA> {
  return eventually(async () => {
    const sa = await getServiceAccount(client, namespace, name);
    return also(sa) ? sa : undefined;
  }, timeoutMs, `ServiceAccount ${name}`);
}

/** Deletes Tenants (while their operator still runs, so finalizers are handled), waits for them to go, then deletes namespaces. */
export async function cleanUp(client: KubeClient, tenants: readonly string[], namespaces: readonly string[]): Promise<void> {
  for (const tenant of tenants) await client.delete(ACCOUNT_KINDS.tenant, undefined, tenant).catch(() => undefined);
  for (const tenant of tenants) {
    await eventually(async () => client.get(ACCOUNT_KINDS.tenant, undefined, tenant).then(() => undefined, () => true), 15_000, `Tenant ${tenant} to go`).catch(() => undefined);
  }
  for (const ns of namespaces) await client.delete(builtinKinds.namespace, undefined, ns).catch(() => undefined);
}

/** Deletes a Tenant and its namespace (default `tenant-<name>`) without waiting, ignoring what is already gone. */
export async function deleteTenant(client: KubeClient, name: string, namespace = `tenant-${name}`): Promise<void> {
  await client.delete(ACCOUNT_KINDS.tenant, undefined, name).catch(() => undefined);
  await client.delete(builtinKinds.namespace, undefined, namespace).catch(() => undefined);
}
