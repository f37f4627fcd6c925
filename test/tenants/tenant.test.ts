// The Tenant controller against a real control plane: the namespace it creates,
// adopts (on opt-in) or refuses, the counts in status, and what deletion keeps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_KINDS, ADOPT_ANNOTATION, FINALIZER, SHARD_LABEL, TENANT_LABEL } from '../../operator/api/index.js';
import type { RunningOperator } from '../../operator/operator.js';
import { builtinKinds } from '../../operator/runtime/kinds.js';
import type { KubeObject } from '../../operator/runtime/kinds.js';
import { tenantsFeature } from '../../operator/tenants/feature.js';
import { eventually } from '../harness/kube.js';
import { newShard, startTestOperator } from '../harness/operator.js';
import { adminClient, cleanUp, createServiceAccount, createTenant, createUser, setUserPhase, tenantReady, uniqueName } from '../harness/tenant.js';

type TenantObject = KubeObject & {
  status?: { namespace?: string; users?: { invited: number; active: number; inactive: number }; serviceAccounts?: number; conditions?: { type: string; status: string; reason: string; message: string }[] };
};

describe('Tenant controller', () => {
  const shard = newShard('tenants');
  const client = adminClient();
  const tenants: string[] = [];
  const namespaces: string[] = [];
  let operator: RunningOperator;

  beforeAll(async () => {
    operator = await startTestOperator({ shard }, [tenantsFeature]);
  });
  afterAll(async () => {
    await cleanUp(client, tenants, namespaces);
    await operator?.stop();
    client.close();
  });

  const getTenant = (name: string) => client.get<TenantObject>(ACCOUNT_KINDS.tenant, undefined, name);
  const getNamespace = (name: string) => client.get<KubeObject>(builtinKinds.namespace, undefined, name);
  // Events about a cluster-scoped Tenant land in the default namespace.
  const eventReasons = (tenant: string) =>
    eventually(async () => {
      const list = await client.list<KubeObject & { reason?: string }>(builtinKinds.event, { namespace: 'default', query: { fieldSelector: `regarding.name=${tenant}` } });
      return list.items.length > 0 ? list.items.map((e) => e.reason) : undefined;
    }, 10_000, `Events about ${tenant}`);

  it('creates and labels the tenant namespace, with a finalizer and Ready conditions', async () => {
    const name = uniqueName('acme');
    tenants.push(name);
    namespaces.push(`tenant-${name}`);
    await createTenant(client, name, shard);
    const tenant = (await tenantReady(client, name)) as TenantObject;
    expect(tenant.metadata?.finalizers).toContain(FINALIZER);
    expect(tenant.status?.namespace).toBe(`tenant-${name}`);
    expect(tenant.status?.conditions?.find((c) => c.type === 'NamespaceReady')).toMatchObject({ status: 'True', reason: 'NamespaceReady' });
    expect(await eventReasons(name)).toContain('NamespaceCreated');
    const ns = await getNamespace(`tenant-${name}`);
    expect(ns.metadata?.labels).toMatchObject({ [TENANT_LABEL]: name, [SHARD_LABEL]: shard, 'app.kubernetes.io/managed-by': 'blink-accounts-operator' });
    expect(ns.metadata?.ownerReferences ?? []).toEqual([]);
  });

  it('counts users per phase and service accounts in status', async () => {
    const name = uniqueName('count');
    const ns = `tenant-${name}`;
    tenants.push(name);
    namespaces.push(ns);
    await createTenant(client, name, shard);
    await tenantReady(client, name);
    await createUser(client, ns, 'ann', { email: 'ann@example.com', role: 'Admin' });
    await createUser(client, ns, 'bob', { email: 'bob@example.com', role: 'Builder' });
    await setUserPhase(client, ns, 'bob', 'Active');
    await createUser(client, ns, 'cid', { email: 'cid@example.com', role: 'Consumer', active: false });
    await setUserPhase(client, ns, 'cid', 'Inactive');
    await createServiceAccount(client, ns, 'ci', { role: 'Builder' });
    await createServiceAccount(client, ns, 'bot', { role: 'Consumer' });
    const tenant = await eventually(async () => {
      const t = await getTenant(name);
      return t.status?.users?.active === 1 && t.status.users.inactive === 1 && t.status.serviceAccounts === 2 ? t : undefined;
    }, 15_000, 'the counts');
    expect(tenant.status?.users).toEqual({ invited: 1, active: 1, inactive: 1 });
    await client.delete(ACCOUNT_KINDS.serviceAccount, ns, 'bot');
    await eventually(async () => ((await getTenant(name)).status?.serviceAccounts === 1 ? true : undefined), 15_000, 'the count to drop');
  });

  it('adopts an unlabelled namespace that opted in, keeping its own labels', async () => {
    const name = uniqueName('adopt');
    const ns = uniqueName('existing');
    tenants.push(name);
    namespaces.push(ns);
    await client.create(builtinKinds.namespace, { metadata: { name: ns, labels: { team: 'payments' }, annotations: { [ADOPT_ANNOTATION]: name } } });
    await createTenant(client, name, shard, { namespace: ns });
    const tenant = (await tenantReady(client, name)) as TenantObject;
    expect(tenant.status?.conditions?.find((c) => c.type === 'NamespaceReady')?.reason).toBe('NamespaceReady');
    expect(await eventReasons(name)).toContain('NamespaceAdopted');
    expect((await getNamespace(ns)).metadata?.labels).toMatchObject({ team: 'payments', [TENANT_LABEL]: name, [SHARD_LABEL]: shard });
  });

  it('refuses a namespace that belongs to another tenant, and leaves it alone', async () => {
    const owner = uniqueName('owner');
    const intruder = uniqueName('intruder');
    tenants.push(owner, intruder);
    namespaces.push(`tenant-${owner}`);
    await createTenant(client, owner, shard);
    await tenantReady(client, owner);
    await createTenant(client, intruder, shard, { namespace: `tenant-${owner}` });
    const tenant = await eventually(async () => {
      const t = await getTenant(intruder);
      return t.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'False') ? t : undefined;
    }, 15_000, 'Ready=False');
    expect(tenant.status?.conditions?.find((c) => c.type === 'NamespaceReady')).toMatchObject({ status: 'False', reason: 'NamespaceOwnedByAnotherTenant' });
    expect(tenant.status?.conditions?.find((c) => c.type === 'NamespaceReady')?.message).toContain(owner);
    expect((await getNamespace(`tenant-${owner}`)).metadata?.labels?.[TENANT_LABEL]).toBe(owner);
    // What is in the namespace is the owner's: the intruder counts none of it.
    await createUser(client, `tenant-${owner}`, 'ann', { email: 'ann@example.com', role: 'Admin' });
    await eventually(async () => ((await getTenant(owner)).status?.users?.invited === 1 ? true : undefined), 15_000, 'the owner to count the user');
    expect((await getTenant(intruder)).status).toMatchObject({ users: { invited: 0, active: 0, inactive: 0 }, serviceAccounts: 0 });
  });

  it('keeps the namespace and everything in it when a tenant with the default policy is deleted', async () => {
    const name = uniqueName('retain');
    const ns = `tenant-${name}`;
    namespaces.push(ns);
    await createTenant(client, name, shard);
    await tenantReady(client, name);
    await createUser(client, ns, 'ann', { email: 'ann@example.com', role: 'Admin' });
    await createServiceAccount(client, ns, 'ci', { role: 'Builder' });
    await client.delete(ACCOUNT_KINDS.tenant, undefined, name);
    await eventually(async () => getTenant(name).then(() => undefined, () => true), 15_000, 'the Tenant to be gone');
    const namespace = await getNamespace(ns);
    expect(namespace.metadata?.deletionTimestamp).toBeUndefined();
    expect(await client.get(ACCOUNT_KINDS.user, ns, 'ann')).toMatchObject({ spec: { email: 'ann@example.com' } });
    expect(await client.get(ACCOUNT_KINDS.serviceAccount, ns, 'ci')).toMatchObject({ spec: { role: 'Builder' } });
  });

  it('deletes the namespace when the tenant says deletionPolicy: Delete', async () => {
    const name = uniqueName('purge');
    const ns = `tenant-${name}`;
    namespaces.push(ns);
    await createTenant(client, name, shard, { deletionPolicy: 'Delete' });
    await tenantReady(client, name);
    await client.delete(ACCOUNT_KINDS.tenant, undefined, name);
    await eventually(async () => getTenant(name).then(() => undefined, () => true), 15_000, 'the Tenant to be gone');
    await eventually(async () => getNamespace(ns).then((n) => (n.metadata?.deletionTimestamp ? true : undefined), () => true), 15_000, 'the namespace to be deleting');
  });

  it('ignores Tenants of other shards', async () => {
    const name = uniqueName('other');
    tenants.push(name);
    await createTenant(client, name, newShard('elsewhere'));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const tenant = await getTenant(name);
    expect(tenant.status).toBeUndefined();
    expect(tenant.metadata?.finalizers ?? []).toEqual([]);
    await expect(getNamespace(`tenant-${name}`)).rejects.toMatchObject({ code: 404 });
  });
});
