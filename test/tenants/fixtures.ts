// Builders for the tenants and access tests: Tenants, Users, ServiceAccounts and
// Workspaces written with the admin identity, and a way to make a User Active
// without the invitation flow (its status subresource, as the Users controller would).
import { randomBytes } from 'node:crypto';
import { ACCOUNT_KINDS, SHARD_LABEL } from '../../operator/api/index.js';
import { KubeClient } from '../../operator/runtime/kube-client.js';
import type { KubeObject } from '../../operator/runtime/kinds.js';
import { builtinKinds } from '../../operator/runtime/kinds.js';
import { adminKubeConfig, eventually } from '../harness/kube.js';

/** A client with the admin identity of the test control plane. */
export function adminClient(): KubeClient {
  return new KubeClient(adminKubeConfig());
}

/** A name unique to this run: `<prefix>-<6 hex>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/** Creates a Tenant in `shard`. */
export function createTenant(client: KubeClient, name: string, shard: string, spec: Record<string, unknown> = {}): Promise<KubeObject> {
  return client.create(ACCOUNT_KINDS.tenant, { metadata: { name, labels: { [SHARD_LABEL]: shard } }, spec: { displayName: `Company ${name}`, ...spec } });
}

/** Waits until the Tenant reports Ready=True and returns it. */
export function tenantReady(client: KubeClient, name: string): Promise<KubeObject> {
  return eventually(async () => {
    const tenant = await client.get<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>(ACCOUNT_KINDS.tenant, undefined, name);
    return tenant.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? tenant : undefined;
  }, 30_000, `Tenant ${name} to be Ready`);
}

/** Creates a User. */
export function createUser(client: KubeClient, namespace: string, name: string, spec: { email: string; role: string; workspaces?: string[]; active?: boolean }): Promise<KubeObject> {
  return client.create(ACCOUNT_KINDS.user, { metadata: { name, namespace }, spec });
}

/** Sets a User's phase through the status subresource (what acceptance would do). */
export function setUserPhase(client: KubeClient, namespace: string, name: string, phase: 'Invited' | 'Active' | 'Inactive'): Promise<KubeObject> {
  return client.patch(ACCOUNT_KINDS.user, namespace, name, { status: { phase } }, { subresource: 'status' });
}

/** Creates a User and makes it Active. */
export async function createActiveUser(client: KubeClient, namespace: string, name: string, spec: { email: string; role: string; workspaces?: string[] }): Promise<void> {
  await createUser(client, namespace, name, { ...spec, active: true });
  await setUserPhase(client, namespace, name, 'Active');
}

/** Creates a ServiceAccount (of accounts.blinkops.com). */
export function createServiceAccount(client: KubeClient, namespace: string, name: string, spec: { role: string; workspaces?: string[] }): Promise<KubeObject> {
  return client.create(ACCOUNT_KINDS.serviceAccount, { metadata: { name, namespace }, spec });
}

/** Creates a Workspace. */
export function createWorkspace(client: KubeClient, namespace: string, name: string): Promise<KubeObject> {
  return client.create(ACCOUNT_KINDS.workspace, { metadata: { name, namespace }, spec: {} });
}

/** Deletes Tenants (while their operator still runs, so finalizers are handled) and then namespaces. */
export async function cleanUp(client: KubeClient, tenants: readonly string[], namespaces: readonly string[]): Promise<void> {
  for (const tenant of tenants) await client.delete(ACCOUNT_KINDS.tenant, undefined, tenant).catch(() => undefined);
  for (const tenant of tenants) {
    await eventually(async () => client.get(ACCOUNT_KINDS.tenant, undefined, tenant).then(() => undefined, () => true), 15_000, `Tenant ${tenant} to go`).catch(() => undefined);
  }
  for (const ns of namespaces) await client.delete(builtinKinds.namespace, undefined, ns).catch(() => undefined);
}
