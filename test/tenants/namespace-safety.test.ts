// Issue #12, part 2, against a real control plane: a Tenant adopts an existing
// namespace only when that namespace opts in, never the operator's own; a
// refusal labels and binds nothing; deletionPolicy Delete deletes only a
// namespace the operator created for that very Tenant (a namespace made again
// under the same name does not count), and otherwise removes only what the
// operator made; RoleBindings an adopted namespace brings along are reported.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_KINDS, ADOPT_ANNOTATION, CREATED_FOR_ANNOTATION, SHARD_LABEL, TENANT_LABEL, USER_LABEL } from '../../operator/api/index.js';
import type { RunningOperator } from '../../operator/operator.js';
import { builtinKinds } from '../../operator/runtime/kinds.js';
import type { KubeObject } from '../../operator/runtime/kinds.js';
import { tenantsFeature } from '../../operator/tenants/feature.js';
import { eventually } from '../harness/kube.js';
import { newShard, startTestOperator } from '../harness/operator.js';
import { adminClient, cleanUp, createActiveUser, createTenant, tenantReady, uniqueName } from '../harness/tenant.js';

type Condition = { type: string; status: string; reason: string; message: string };
type TenantObject = KubeObject & { status?: { namespace?: string; createdNamespaceUID?: string; conditions?: Condition[] } };
type EventObject = KubeObject & { reason?: string; type?: string; note?: string };

describe('tenant namespaces: adoption and deletion', () => {
  const shard = newShard('nssafe');
  const client = adminClient();
  // The operator's own namespace in this file: a namespace of its own, so refusing it is observable.
  const operatorNamespace = uniqueName('blink-ops');
  const tenants: string[] = [];
  const namespaces: string[] = [operatorNamespace];
  let operator: RunningOperator | undefined;

  const start = async () => {
    operator = await startTestOperator({ shard, namespace: operatorNamespace }, [tenantsFeature]);
  };
  beforeAll(async () => {
    await client.create(builtinKinds.namespace, { metadata: { name: operatorNamespace } });
    await start();
  });
  afterAll(async () => {
    await cleanUp(client, tenants, namespaces);
    await operator?.stop();
    client.close();
  });

  const getTenant = (name: string) => client.get<TenantObject>(ACCOUNT_KINDS.tenant, undefined, name);
  const getNamespace = (name: string) => client.get<KubeObject>(builtinKinds.namespace, undefined, name);
  const condition = (tenant: TenantObject, type: string) => tenant.status?.conditions?.find((c) => c.type === type);
  const tenantGone = (name: string) => eventually(async () => getTenant(name).then(() => undefined, () => true), 20_000, `Tenant ${name} to be gone`);
  const refused = (name: string, reason: string) =>
    eventually(async () => {
      const tenant = await getTenant(name);
      return condition(tenant, 'Ready')?.status === 'False' && condition(tenant, 'NamespaceReady')?.reason === reason ? tenant : undefined;
    }, 20_000, `Tenant ${name} to be refused with ${reason}`);
  // Events about a cluster-scoped Tenant land in the default namespace.
  const events = (tenant: string, reason: string) =>
    eventually(async () => {
      const list = await client.list<EventObject>(builtinKinds.event, { namespace: 'default', query: { fieldSelector: `regarding.name=${tenant}` } });
      const found = list.items.filter((e) => e.reason === reason);
      return found.length > 0 ? found : undefined;
    }, 15_000, `an Event ${reason} about ${tenant}`);
  /** An existing namespace holding data the operator did not create: a Secret. */
  const existingNamespace = async (name: string, annotations: Record<string, string> = {}) => {
    namespaces.push(name);
    await client.create(builtinKinds.namespace, { metadata: { name, labels: { team: 'payments' }, annotations } });
    await client.create(builtinKinds.secret, { metadata: { name: 'db-password', namespace: name }, stringData: { password: 'hunter2' } });
  };
  const stillThere = async (namespace: string) => {
    // Long enough for a namespace deletion to have been requested by the finalizer.
    const ns = await getNamespace(namespace);
    expect(ns.metadata?.deletionTimestamp).toBeUndefined();
    expect(await client.get(builtinKinds.secret, namespace, 'db-password')).toMatchObject({ metadata: { name: 'db-password' } });
    return ns;
  };

  it('does not adopt an existing namespace that did not opt in, and deleting the Tenant (Delete) leaves it and its data', async () => {
    const name = uniqueName('intruder');
    const ns = uniqueName('payments-prod');
    tenants.push(name);
    await existingNamespace(ns);
    await createTenant(client, name, shard, { namespace: ns, deletionPolicy: 'Delete' });
    const tenant = await refused(name, 'NamespaceNotOptedIn');
    expect(condition(tenant, 'Ready')?.reason).toBe('NamespaceNotOptedIn');
    expect(condition(tenant, 'NamespaceReady')?.message).toContain(`kubectl annotate namespace ${ns} ${ADOPT_ANNOTATION}=${name}`);
    expect((await events(name, 'NamespaceNotOptedIn'))[0]?.type).toBe('Warning');
    expect((await getNamespace(ns)).metadata?.labels).toEqual({ team: 'payments', 'kubernetes.io/metadata.name': ns });
    await client.delete(ACCOUNT_KINDS.tenant, undefined, name);
    await tenantGone(name);
    await stillThere(ns);
  });

  it('adopts a namespace once its owner opts in, reports RoleBindings it did not declare, and on Delete removes only what it made', async () => {
    const name = uniqueName('payments');
    const ns = uniqueName('payments-prod');
    tenants.push(name);
    await existingNamespace(ns);
    await client.create(builtinKinds.roleBinding, {
      metadata: { name: 'payments-admins', namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'payments-oncall' }],
    } as KubeObject);
    await createTenant(client, name, shard, { namespace: ns, deletionPolicy: 'Delete' });
    await refused(name, 'NamespaceNotOptedIn');
    // The owner opts in; the refused Tenant is looked at again and adopts it.
    await client.patch(builtinKinds.namespace, undefined, ns, { metadata: { annotations: { [ADOPT_ANNOTATION]: name } } });
    const tenant = (await tenantReady(client, name)) as TenantObject;
    expect(tenant.status?.namespace).toBe(ns);
    expect(tenant.status?.createdNamespaceUID).toBeUndefined();
    expect(await events(name, 'NamespaceAdopted')).toHaveLength(1);
    const labels = (await getNamespace(ns)).metadata?.labels;
    expect(labels).toMatchObject({ team: 'payments', [TENANT_LABEL]: name, [SHARD_LABEL]: shard });
    expect(labels?.['app.kubernetes.io/managed-by']).toBeUndefined();

    // The binding it came with is access the tenant's Admins cannot see: a condition and a Warning.
    const reported = await eventually(async () => {
      const t = await getTenant(name);
      return condition(t, 'UndeclaredAccess')?.status === 'True' ? t : undefined;
    }, 15_000, 'UndeclaredAccess=True');
    expect(condition(reported, 'UndeclaredAccess')).toMatchObject({ reason: 'UndeclaredRoleBindings', message: expect.stringContaining('payments-admins') });
    expect((await events(name, 'UndeclaredRoleBindings'))[0]?.type).toBe('Warning');
    // A User's binding is the tenant's own: not reported.
    await createActiveUser(client, ns, 'ann', { email: 'ann@payments.example', role: 'Admin' });
    await eventually(() => client.get(builtinKinds.roleBinding, ns, 'blink-user-ann'), 15_000, 'the binding of ann');
    await client.patch(ACCOUNT_KINDS.tenant, undefined, name, { metadata: { annotations: { poke: '1' } } });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const later = await getTenant(name);
    expect(condition(later, 'UndeclaredAccess')?.message).not.toContain('blink-user-ann');
    const notes = async () => (await events(name, 'UndeclaredRoleBindings')).map((e) => e.note ?? '');
    // One Warning per change: no two with the same list, and never the tenant's own binding.
    const once = await notes();
    expect(new Set(once).size).toBe(once.length);
    expect(once.some((note) => note.includes('payments-admins'))).toBe(true);
    expect(once.filter((note) => note.includes('blink-user-ann')), JSON.stringify(once)).toEqual([]);
    // A binding added later is reported on the tenant's next pass, with one more Warning.
    await client.create(builtinKinds.roleBinding, {
      metadata: { name: 'late-grant', namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'eve@evil.example' }],
    } as KubeObject);
    // So is one that copies the operator's labels (the operator finds those in its binding cache,
    // not in the live list), naming a User that does not exist.
    await client.create(builtinKinds.roleBinding, {
      metadata: { name: 'blink-user-eve', namespace: ns, labels: { 'app.kubernetes.io/managed-by': 'blink-accounts-operator', 'app.kubernetes.io/component': 'rbac', [TENANT_LABEL]: name, [USER_LABEL]: 'eve' } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'eve@evil.example' }],
    } as KubeObject);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await client.patch(ACCOUNT_KINDS.tenant, undefined, name, { metadata: { annotations: { poke: '2' } } });
    const both = await eventually(async () => {
      const t = await getTenant(name);
      return condition(t, 'UndeclaredAccess')?.message.includes('blink-user-eve') && condition(t, 'UndeclaredAccess')?.message.includes('late-grant') ? t : undefined;
    }, 15_000, 'late-grant and blink-user-eve to be reported');
    expect(condition(both, 'UndeclaredAccess')?.message).toContain('3 RoleBinding(s) the tenant did not declare: blink-user-eve, late-grant, payments-admins');
    expect(condition(both, 'Ready')?.status).toBe('True');
    const twice = await eventually(async () => {
      const all = await notes();
      return all.some((note) => note.includes('late-grant')) ? all : undefined;
    }, 10_000, 'a Warning naming late-grant');
    expect(new Set(twice).size).toBe(twice.length);
    expect(twice.filter((note) => note.includes('blink-user-ann')), JSON.stringify(twice)).toEqual([]);

    await client.delete(ACCOUNT_KINDS.tenant, undefined, name);
    await tenantGone(name);
    const kept = await stillThere(ns);
    expect(kept.metadata?.labels).toEqual({ team: 'payments', 'kubernetes.io/metadata.name': ns });
    expect(kept.metadata?.annotations?.[ADOPT_ANNOTATION]).toBe(name);
    await expect(client.get(builtinKinds.roleBinding, ns, 'blink-user-ann')).rejects.toMatchObject({ code: 404 });
    expect(await client.get(builtinKinds.roleBinding, ns, 'payments-admins')).toMatchObject({ metadata: { name: 'payments-admins' } });
    expect(await client.get(builtinKinds.roleBinding, ns, 'late-grant')).toMatchObject({ metadata: { name: 'late-grant' } });
    // The copy of the operator's labels was not the operator's to delete.
    expect(await client.get(builtinKinds.roleBinding, ns, 'blink-user-eve')).toMatchObject({ metadata: { name: 'blink-user-eve' } });
    expect((await events(name, 'NamespaceReleased'))[0]?.note).toContain('the operator did not create it for this tenant');
  });

  it("refuses the operator's own namespace, even opted in, and labels nothing", async () => {
    const name = uniqueName('ops');
    tenants.push(name);
    await client.patch(builtinKinds.namespace, undefined, operatorNamespace, { metadata: { annotations: { [ADOPT_ANNOTATION]: name } } });
    await createTenant(client, name, shard, { namespace: operatorNamespace, deletionPolicy: 'Delete' });
    const tenant = await refused(name, 'NamespaceReserved');
    expect(condition(tenant, 'Ready')?.message).toContain("operator's own namespace");
    expect((await getNamespace(operatorNamespace)).metadata?.labels?.[TENANT_LABEL]).toBeUndefined();
    await client.delete(ACCOUNT_KINDS.tenant, undefined, name);
    await tenantGone(name);
    expect((await getNamespace(operatorNamespace)).metadata?.deletionTimestamp).toBeUndefined();
  });

  it('a namespace delete conditioned on another uid is refused by the API server (the precondition reaches it)', async () => {
    const ns = uniqueName('precondition');
    await existingNamespace(ns);
    await expect(client.delete(builtinKinds.namespace, undefined, ns, { propagationPolicy: 'Background', preconditions: { uid: 'not-its-uid' } })).rejects.toMatchObject({ code: 409 });
    // The connection that carried the body still serves the next request.
    await stillThere(ns);
  });

  it('records the namespace it creates (annotation and uid in status), and Delete deletes that namespace', async () => {
    const name = uniqueName('own');
    const ns = `tenant-${name}`;
    tenants.push(name);
    namespaces.push(ns);
    await createTenant(client, name, shard, { deletionPolicy: 'Delete' });
    const tenant = (await tenantReady(client, name)) as TenantObject & { metadata: { uid: string } };
    const created = await getNamespace(ns);
    expect(created.metadata?.annotations?.[CREATED_FOR_ANNOTATION]).toBe(tenant.metadata.uid);
    expect(tenant.status?.createdNamespaceUID).toBe(created.metadata?.uid);
    expect(condition(tenant, 'UndeclaredAccess')).toBeUndefined();
    await client.delete(ACCOUNT_KINDS.tenant, undefined, name);
    await tenantGone(name);
    await eventually(async () => getNamespace(ns).then((n) => (n.metadata?.deletionTimestamp ? true : undefined), () => true), 15_000, 'the namespace to be deleting');
    expect((await events(name, 'NamespaceDeleted'))[0]?.type).toBe('Normal');
  });

  it('keeps a namespace it created when the record in status is lost, and says so', async () => {
    const name = uniqueName('lost');
    const ns = `tenant-${name}`;
    tenants.push(name);
    namespaces.push(ns);
    await createTenant(client, name, shard, { deletionPolicy: 'Delete' });
    await tenantReady(client, name);
    await client.create(builtinKinds.secret, { metadata: { name: 'db-password', namespace: ns }, stringData: { password: 'hunter2' } });
    // Someone wipes the record (a status write, a restore without status).
    await client.patch(ACCOUNT_KINDS.tenant, undefined, name, { status: { createdNamespaceUID: null } }, { subresource: 'status' });
    await eventually(async () => ((await getTenant(name)).status?.createdNamespaceUID === undefined ? true : undefined), 10_000, 'the record to be gone');
    await client.delete(ACCOUNT_KINDS.tenant, undefined, name);
    await tenantGone(name);
    await stillThere(ns);
    const [released] = await events(name, 'NamespaceReleased');
    expect(released?.type).toBe('Warning');
    expect(released?.note).toContain('no record of its uid');
  });

  it('does not delete a namespace made again under the same name by someone else', async () => {
    const name = uniqueName('again');
    const ns = `tenant-${name}`;
    tenants.push(name);
    namespaces.push(ns);
    await createTenant(client, name, shard, { deletionPolicy: 'Delete' });
    const tenant = (await tenantReady(client, name)) as TenantObject & { metadata: { uid: string } };
    // With the operator down, the namespace is deleted and someone makes one of the same name
    // (even copying the annotation) and lets the tenant adopt it.
    await operator?.stop();
    operator = undefined;
    await client.delete(builtinKinds.namespace, undefined, ns);
    await eventually(async () => getNamespace(ns).then(() => undefined, () => true), 60_000, 'the namespace to be gone');
    await existingNamespace(ns, { [ADOPT_ANNOTATION]: name, [CREATED_FOR_ANNOTATION]: tenant.metadata.uid });
    await start();
    await eventually(async () => ((await getNamespace(ns)).metadata?.labels?.[TENANT_LABEL] === name ? true : undefined), 20_000, 'the namespace to be adopted');
    await client.delete(ACCOUNT_KINDS.tenant, undefined, name);
    await tenantGone(name);
    const kept = await stillThere(ns);
    expect(kept.metadata?.labels?.[TENANT_LABEL]).toBeUndefined();
  });
});
