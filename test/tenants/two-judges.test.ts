// The access API and Kubernetes RBAC never disagree about a person: both go by
// policy/principals.ts's userStanding and policy/email.ts's normal form. Here
// the RoleBindings come from the real operator through the real API server,
// and the access API's decision is taken from the same operator's caches.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideAuthorize } from '../../operator/access/decide.js';
import { cacheDirectory } from '../../operator/access/directory.js';
import type { Directory } from '../../operator/access/directory.js';
import { ACCOUNT_KINDS } from '../../operator/api/index.js';
import type { RunningOperator } from '../../operator/operator.js';
import { builtinKinds } from '../../operator/runtime/kinds.js';
import { tenantsFeature } from '../../operator/tenants/feature.js';
import { eventually, kubectl } from '../harness/kube.js';
import { newShard, startTestOperator } from '../harness/operator.js';
import { adminClient, cleanUp, createActiveUser, createTenant, tenantReady, uniqueName } from '../harness/tenant.js';

describe('the access API and RBAC judge a person the same way', () => {
  const shard = newShard('judges');
  const client = adminClient();
  const tenant = uniqueName('judges');
  const ns = `tenant-${tenant}`;
  const kate = `kate@${tenant}.example.com`;
  let operator: RunningOperator;
  let directory: Directory;

  const rbacAllows = async (email: string): Promise<boolean> =>
    kubectl(['auth', 'can-i', 'create', 'users.accounts.blinkops.com', '-n', ns, `--as=${email}`]).then(
      () => true,
      () => false,
    );
  const apiAllows = (email: string): { allowed: boolean; reason: string } => decideAuthorize(directory, { tenant, principal: { user: email }, action: 'settings' });
  const bound = (): Promise<boolean> => client.get(builtinKinds.roleBinding, ns, 'blink-user-kate').then(() => true, () => false);

  beforeAll(async () => {
    operator = await startTestOperator({ shard }, [tenantsFeature]);
    directory = cacheDirectory(operator.context, { authenticate: () => ({ ok: false, reason: 'malformed' }) });
    await createTenant(client, tenant, shard);
    await tenantReady(client, tenant);
    await createActiveUser(client, ns, 'kate', { email: kate, role: 'Admin' });
    await eventually(async () => ((await bound()) && apiAllows(kate).allowed ? true : undefined), 15_000, 'kate bound and known');
  });
  afterAll(async () => {
    await cleanUp(client, [tenant], [ns]);
    await operator?.stop();
    client.close();
  });

  it('agree on an Active Admin', async () => {
    expect(await rbacAllows(kate)).toBe(true);
    expect(apiAllows(kate)).toMatchObject({ allowed: true });
  });

  it('both refuse a non-ASCII look-alike that case-folds to the address (KELVIN SIGN for k)', async () => {
    const lookalike = `\u212Aate@${tenant}.example.com`;
    expect(lookalike.toLowerCase()).toBe(kate);
    expect(await rbacAllows(lookalike)).toBe(false);
    expect(apiAllows(lookalike)).toMatchObject({ allowed: false, reason: 'UnknownPrincipal' });
  });

  it('two Active Users with one email (in two cases): both judges answer for the older one only, not the union of their roles', async () => {
    const dana = `dana@${tenant}.example.com`;
    const can = (verb: string) =>
      kubectl(['auth', 'can-i', verb, 'users.accounts.blinkops.com', '-n', ns, `--as=${dana}`]).then(
        () => true,
        () => false,
      );
    const boundAs = (name: string): Promise<boolean> => client.get(builtinKinds.roleBinding, ns, `blink-user-${name}`).then(() => true, () => false);
    await createActiveUser(client, ns, 'dana-a', { email: dana, role: 'Consumer' });
    await createActiveUser(client, ns, 'dana-b', { email: dana.toUpperCase(), role: 'Admin' });
    await eventually(async () => ((await boundAs('dana-a')) && apiAllows(dana).reason !== 'UnknownPrincipal' ? true : undefined), 15_000, 'dana-a bound');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await boundAs('dana-b')).toBe(false);
    expect(await can('get')).toBe(true);
    expect(await can('create')).toBe(false);
    expect(apiAllows(dana)).toMatchObject({ allowed: false });
    expect(decideAuthorize(directory, { tenant, principal: { user: dana }, action: 'portal' })).toMatchObject({ allowed: true });

    // The owner goes: the other one's own standing decides, in both.
    await client.delete(ACCOUNT_KINDS.user, ns, 'dana-a');
    await eventually(async () => ((await boundAs('dana-b')) && apiAllows(dana).allowed ? true : undefined), 15_000, 'dana-b bound and allowed');
    expect(await can('create')).toBe(true);
  });

  it('both deny a user outside allowedEmailDomains once the Tenant is edited, and allow it again when the domain returns', async () => {
    await client.patch(ACCOUNT_KINDS.tenant, undefined, tenant, { spec: { allowedEmailDomains: ['elsewhere.example.com'] } });
    await eventually(async () => (!(await bound()) ? true : undefined), 15_000, 'the binding to go');
    expect(await rbacAllows(kate)).toBe(false);
    await eventually(async () => (apiAllows(kate).allowed ? undefined : true), 5_000, 'the access API to deny');
    expect(apiAllows(kate)).toMatchObject({ allowed: false, reason: 'EmailDomainNotAllowed' });

    await client.patch(ACCOUNT_KINDS.tenant, undefined, tenant, { spec: { allowedEmailDomains: [`${tenant}.example.com`] } });
    await eventually(async () => ((await bound()) && apiAllows(kate).allowed ? true : undefined), 15_000, 'kate bound and allowed again');
    expect(await rbacAllows(kate)).toBe(true);
  });
});
