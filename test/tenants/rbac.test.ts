// R3/R10 enforced by Kubernetes: with impersonation (`kubectl --as=<email>`),
// only an Active Admin of a tenant can create Users and ServiceAccounts there,
// and only there; Builders and Consumers cannot; deactivation takes it away.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_KINDS } from '../../operator/api/index.js';
import type { RunningOperator } from '../../operator/operator.js';
import { builtinKinds } from '../../operator/runtime/kinds.js';
import type { KubeObject } from '../../operator/runtime/kinds.js';
import { tenantsFeature } from '../../operator/tenants/feature.js';
import { eventually, kubectl } from '../harness/kube.js';
import { newShard, startTestOperator } from '../harness/operator.js';
import { adminClient, cleanUp, createActiveUser, createTenant, createUser, setUserPhase, tenantReady, uniqueName } from '../harness/tenant.js';

/** Runs kubectl as `email`; resolves with whether it succeeded and what it said. */
async function as(email: string, args: string[], input?: string): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await kubectl([...args, `--as=${email}`], input === undefined ? {} : { input });
    return { ok: true, output: stdout + stderr };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

const userYaml = (ns: string, name: string, email: string) =>
  `apiVersion: accounts.blinkops.com/v1alpha1\nkind: User\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nspec:\n  email: ${email}\n  role: Consumer\n`;
const saYaml = (ns: string, name: string) =>
  `apiVersion: accounts.blinkops.com/v1alpha1\nkind: ServiceAccount\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nspec:\n  role: Builder\n`;

describe('roles enforced by Kubernetes RBAC', () => {
  const shard = newShard('rbac');
  const client = adminClient();
  const a = uniqueName('rbac-a');
  const b = uniqueName('rbac-b');
  const nsA = `tenant-${a}`;
  const nsB = `tenant-${b}`;
  const admin = `admin@${a}.example.com`;
  const builder = `builder@${a}.example.com`;
  const consumer = `consumer@${a}.example.com`;
  let operator: RunningOperator;

  const binding = (ns: string, user: string) => client.get<KubeObject & { roleRef?: { name: string } }>(builtinKinds.roleBinding, ns, `blink-user-${user}`);
  const bindingGone = (ns: string, user: string) => eventually(() => binding(ns, user).then(() => undefined, (e: { code?: number }) => (e.code === 404 ? true : undefined)), 10_000, `binding of ${user} to go`);

  beforeAll(async () => {
    operator = await startTestOperator({ shard }, [tenantsFeature]);
    await createTenant(client, a, shard);
    await createTenant(client, b, shard);
    await tenantReady(client, a);
    await tenantReady(client, b);
    await createActiveUser(client, nsA, 'admin', { email: admin, role: 'Admin' });
    await createActiveUser(client, nsA, 'builder', { email: builder, role: 'Builder', workspaces: ['ws'] });
    await createActiveUser(client, nsA, 'consumer', { email: consumer, role: 'Consumer', workspaces: ['ws'] });
    for (const user of ['admin', 'builder', 'consumer']) await eventually(() => binding(nsA, user), 15_000, `binding of ${user}`);
  });
  afterAll(async () => {
    await cleanUp(client, [a, b], [nsA, nsB]);
    await operator?.stop();
    client.close();
  });

  it('binds the three role ClusterRoles shipped as manifests, and never writes them itself', async () => {
    const { stdout } = await kubectl(['get', 'clusterroles', '-l', 'app.kubernetes.io/part-of=blink-accounts,app.kubernetes.io/component=rbac', '-o', 'name']);
    expect(stdout.split('\n').filter(Boolean).sort()).toEqual(['clusterrole.rbac.authorization.k8s.io/blink-accounts-admin', 'clusterrole.rbac.authorization.k8s.io/blink-accounts-builder', 'clusterrole.rbac.authorization.k8s.io/blink-accounts-consumer']);
    for (const name of ['blink-accounts-admin', 'blink-accounts-builder', 'blink-accounts-consumer']) {
      const role = await client.get<KubeObject>({ group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRole', plural: 'clusterroles', namespaced: false }, undefined, name);
      expect((role.metadata?.managedFields ?? []).map((f) => (f as { manager?: string }).manager)).not.toContain('blink-accounts-operator');
    }
  });

  it('binds each Active user by email to the ClusterRole of its role, owned by the User', async () => {
    const rb = await binding(nsA, 'builder');
    expect(rb.roleRef?.name).toBe('blink-accounts-builder');
    expect((rb as { subjects?: unknown }).subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: builder }]);
    expect(rb.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'User', name: 'builder', controller: true });
  });

  it('lets an Active Admin create a User and a ServiceAccount in its tenant', async () => {
    const user = await as(admin, ['create', '-f', '-'], userYaml(nsA, 'new-hire', 'new.hire@example.com'));
    expect(user.output).toContain('created');
    expect(user.ok).toBe(true);
    const sa = await as(admin, ['create', '-f', '-'], saYaml(nsA, 'deployer'));
    expect(sa.ok).toBe(true);
  });

  it('does not let that Admin create either in another tenant', async () => {
    const user = await as(admin, ['create', '-f', '-'], userYaml(nsB, 'sneaky', 'sneaky@example.com'));
    expect(user.ok).toBe(false);
    expect(user.output).toMatch(/forbidden/i);
    const sa = await as(admin, ['create', '-f', '-'], saYaml(nsB, 'sneaky'));
    expect(sa.ok).toBe(false);
    expect(sa.output).toMatch(/forbidden/i);
    expect((await as(admin, ['get', 'users.accounts.blinkops.com', '-n', nsB])).ok).toBe(false);
  });

  it.each([
    ['Builder', () => builder],
    ['Consumer', () => consumer],
  ])('does not let a %s create Users or ServiceAccounts, but lets it read them', async (_role, email) => {
    const user = await as(email(), ['create', '-f', '-'], userYaml(nsA, `by-${_role.toLowerCase()}`, 'x@example.com'));
    expect(user.ok).toBe(false);
    expect(user.output).toMatch(/forbidden/i);
    const sa = await as(email(), ['create', '-f', '-'], saYaml(nsA, `by-${_role.toLowerCase()}`));
    expect(sa.ok).toBe(false);
    expect(sa.output).toMatch(/forbidden/i);
    expect((await as(email(), ['get', 'users.accounts.blinkops.com', '-n', nsA])).ok).toBe(true);
    expect((await as(email(), ['get', 'secrets', '-n', nsA])).ok).toBe(false);
  });

  it('keeps status the operator\'s: an Admin cannot make an invited user Active', async () => {
    const result = await as(admin, ['patch', 'users.accounts.blinkops.com', 'new-hire', '-n', nsA, '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Active"}}']);
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/forbidden/i);
  });

  it('does not bind Invited users', async () => {
    await createUser(client, nsA, 'invitee', { email: 'invitee@example.com', role: 'Admin' });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await expect(binding(nsA, 'invitee')).rejects.toMatchObject({ code: 404 });
    expect((await as('invitee@example.com', ['auth', 'can-i', 'create', 'users.accounts.blinkops.com', '-n', nsA])).ok).toBe(false);
  });

  it('replaces the binding when the role changes', async () => {
    await client.patch(ACCOUNT_KINDS.user, nsA, 'consumer', { spec: { role: 'Admin' } });
    await eventually(async () => ((await binding(nsA, 'consumer')).roleRef?.name === 'blink-accounts-admin' ? true : undefined), 10_000, 'the Admin binding');
    expect((await as(consumer, ['auth', 'can-i', 'create', 'users.accounts.blinkops.com', '-n', nsA])).ok).toBe(true);
  });

  it('takes the Admin\'s rights away when it is deactivated', async () => {
    await client.patch(ACCOUNT_KINDS.user, nsA, 'admin', { spec: { active: false } });
    await bindingGone(nsA, 'admin');
    const user = await as(admin, ['create', '-f', '-'], userYaml(nsA, 'too-late', 'late@example.com'));
    expect(user.ok).toBe(false);
    expect(user.output).toMatch(/forbidden/i);
    const sa = await as(admin, ['create', '-f', '-'], saYaml(nsA, 'too-late'));
    expect(sa.ok).toBe(false);
    // Re-activated (spec true, status Active) it is bound again.
    await client.patch(ACCOUNT_KINDS.user, nsA, 'admin', { spec: { active: true } });
    await setUserPhase(client, nsA, 'admin', 'Active');
    await eventually(() => binding(nsA, 'admin'), 10_000, 'the binding again');
  });

  it('removes the binding of a deleted user', async () => {
    await client.delete(ACCOUNT_KINDS.user, nsA, 'builder');
    await bindingGone(nsA, 'builder');
  });
});
