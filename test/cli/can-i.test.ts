// `kubectl blink can-i` and `who-can` against the real control plane, through kubectl and the
// plugin: Admin, Builder in and out of its workspace, Inactive and Invited users, a service account
// by name and by a key on stdin, each answer compared with the real access API's over HTTP; who-can
// lists exactly who may; and RBAC made to disagree with the access API on purpose, both ways.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessApiFeature } from '../../operator/access/feature.js';
import type { AccessExplanation, WhoCanAnswer } from '../../operator/cli/access-explain.js';
import type { RunningOperator } from '../../operator/operator.js';
import { builtinKinds } from '../../operator/runtime/kinds.js';
import { serviceAccountsFeature } from '../../operator/service-accounts/feature.js';
import { tenantsFeature } from '../../operator/tenants/feature.js';
import { accessApiToken } from '../harness/access.js';
import { eventually, useNamespace } from '../harness/kube.js';
import { newShard, startTestOperator } from '../harness/operator.js';
import { findLeaks, readKey } from '../service-accounts/fixtures.js';
import { adminClient, cleanUp, createActiveUser, createServiceAccount, createTenant, createUser, createWorkspace, setUserPhase, tenantReady } from '../harness/tenant.js';
import { kubectlWithPlugin } from './fixtures.js';
import type { Ran } from './fixtures.js';

const operatorNs = useNamespace('cli-can-i');
const shard = newShard('cli-can-i');
const tenant = `cani-${randomBytes(3).toString('hex')}`;
const ns = `tenant-${tenant}`;
const client = adminClient();
const email = (who: string) => `${who}@example.com`;
const outputs: Record<string, string> = {};
let operator: RunningOperator | undefined;
let token = '';
let etlKey = '';

async function blink(label: string, args: readonly string[], input?: string): Promise<Ran> {
  // --operator-namespace: where can-i finds the signing key that verifies a key (who-can verifies none).
  const where = args[0] === 'can-i' ? ['-n', ns, '--operator-namespace', operatorNs.name] : ['-n', ns];
  const ran = await kubectlWithPlugin(['blink', ...args, ...where], undefined, input);
  outputs[label] = ran.stdout + ran.stderr;
  return ran;
}

async function canI(label: string, args: readonly string[], input?: string): Promise<{ ran: Ran; answer: AccessExplanation }> {
  const ran = await blink(label, ['can-i', ...args, '-o', 'json'], input);
  expect(ran.stderr, label).toBe('');
  return { ran, answer: JSON.parse(ran.stdout) as AccessExplanation };
}

/** The real access API's answer (HTTP, a real ServiceAccount token), for the same question. */
async function accessApi(principal: Record<string, string>, action: string, workspace?: string): Promise<unknown> {
  const res = await fetch(`${operator?.accessApiUrl ?? ''}/api/v1/authorize`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ tenant, principal, action, ...(workspace ? { workspace } : {}) }),
  });
  expect(res.status).toBe(200);
  return res.json();
}

const bindingOf = (user: string) => client.get(builtinKinds.roleBinding, ns, `blink-user-${user}`).catch(() => undefined);

beforeAll(async () => {
  // No Users controller: phases are set by hand, as acceptance would (the access API test does the same).
  operator = await startTestOperator({ shard, namespace: operatorNs.name }, [tenantsFeature, serviceAccountsFeature, accessApiFeature]);
  token = await accessApiToken();
  await createTenant(client, tenant, shard);
  await tenantReady(client, tenant);
  for (const ws of ['ws1', 'ws2']) await createWorkspace(client, ns, ws);
  await createActiveUser(client, ns, 'ann', { email: email('ann'), role: 'Admin' });
  await createActiveUser(client, ns, 'bob', { email: email('bob'), role: 'Builder', workspaces: ['ws1'] });
  await createUser(client, ns, 'dan', { email: email('dan'), role: 'Admin', active: false });
  await setUserPhase(client, ns, 'dan', 'Inactive');
  await createUser(client, ns, 'ivy', { email: email('ivy'), role: 'Admin' });
  await setUserPhase(client, ns, 'ivy', 'Invited');
  await createServiceAccount(client, ns, 'etl', { role: 'Builder', workspaces: ['ws1'] });
  await createServiceAccount(client, ns, 'ops', { role: 'Admin' });
  const keyOf = (sa: string) => eventually(() => readKey(client, ns, sa).catch(() => undefined), 30_000, `the key of ${sa}`);
  etlKey = await keyOf('etl');
  await keyOf('ops');
  await eventually(async () => ((await bindingOf('ann')) && (await bindingOf('bob')) ? true : undefined), 30_000, 'the RoleBindings of ann and bob');
  // The access API's caches have seen everything once it answers for the last account made.
  await eventually(async () => ((await accessApi({ serviceAccount: 'ops' }, 'settings')) as { allowed: boolean }).allowed || undefined, 15_000, 'ops in the access API');
}, 180_000);

afterAll(async () => {
  await cleanUp(client, [tenant], [ns]);
  await operator?.stop();
  client.close();
  expect(findLeaks([etlKey], outputs)).toEqual([]);
});

// Each run starts kubectl, Node and the CLI: about a second or two on a loaded machine.
describe('kubectl blink can-i', { timeout: 300_000 }, () => {
  it.each([
    { label: 'Admin, settings', args: [email('ann'), 'settings'], principal: { user: email('ann') }, action: 'settings', ws: undefined, allowed: true, reason: 'TenantActionAllowed', rbac: true },
    { label: 'Builder in its workspace', args: [email('bob'), 'execute', '--workspace', 'ws1'], principal: { user: email('bob') }, action: 'execute', ws: 'ws1', allowed: true, reason: 'WorkspaceMember', rbac: undefined },
    { label: 'Builder out of its workspace', args: [email('bob'), 'execute', '--workspace', 'ws2'], principal: { user: email('bob') }, action: 'execute', ws: 'ws2', allowed: false, reason: 'NotInWorkspace', rbac: undefined },
    { label: 'Builder, settings', args: [email('bob'), 'settings'], principal: { user: email('bob') }, action: 'settings', ws: undefined, allowed: false, reason: 'RoleLacksAction', rbac: false },
    { label: 'Inactive user', args: [email('dan'), 'portal'], principal: { user: email('dan') }, action: 'portal', ws: undefined, allowed: false, reason: 'PrincipalNotActive', rbac: false },
    { label: 'Invited user', args: [email('ivy'), 'settings'], principal: { user: email('ivy') }, action: 'settings', ws: undefined, allowed: false, reason: 'PrincipalNotActive', rbac: false },
    { label: 'service account by name', args: ['sa/etl', 'read', '--workspace', 'ws1'], principal: { serviceAccount: 'etl' }, action: 'read', ws: 'ws1', allowed: true, reason: 'WorkspaceMember', rbac: undefined },
  ])('$label: $reason, word for word the access API\'s answer, RBAC agreeing', async ({ label, args, principal, action, ws, allowed, reason, rbac }) => {
    const { ran, answer } = await canI(label, args);
    expect(ran.code).toBe(allowed ? 0 : 6);
    expect(answer.decision).toMatchObject({ allowed, reason });
    expect(answer.decision).toEqual(await accessApi(principal, action, ws));
    expect(answer.disagreement).toBeUndefined();
    if (rbac === undefined) expect(answer.rbac.checked).toBe(false);
    else expect(answer.rbac).toMatchObject({ checked: true, allowed: rbac });
  });

  it('shows the facts it used: phase, role, workspaces, the RoleBinding RBAC has', async () => {
    const ran = await blink('text bob', ['can-i', email('bob'), 'execute', '--workspace', 'ws2']);
    expect(ran.code).toBe(6);
    expect(ran.stdout).toMatch(/^no\n/);
    expect(ran.stdout).toContain(`Message:     User "bob" is not a member of workspace "ws2"\n`);
    expect(ran.stdout).toContain(`  User:          bob (${email('bob')}), phase Active, role Builder, workspaces ws1\n`);
    expect(ran.stdout).toContain(`  RoleBindings:  blink-user-bob → ClusterRole blink-accounts-builder (the operator's)\n`);
    expect(ran.stdout).toContain('RBAC:        execute has no Kubernetes counterpart');
  });

  it('takes a key on stdin (- or --key-stdin), verified as the access API does, and never prints it', async () => {
    const { ran, answer } = await canI('key on stdin', ['-', 'execute', '--workspace', 'ws1'], `${etlKey}\n`);
    expect(ran.code).toBe(0);
    expect(answer.decision).toEqual(await accessApi({ apiKey: etlKey }, 'execute', 'ws1'));
    expect(answer.facts.key).toMatchObject({ verified: true, serviceAccount: 'etl', keyState: 'current' });
    const flag = await canI('key --key-stdin', ['--key-stdin', 'settings'], etlKey);
    expect(flag.ran.code).toBe(6);
    expect(flag.answer.decision).toMatchObject({ allowed: false, reason: 'RoleLacksAction' });
    // One character changed: the checksum fails, as in the access API.
    const typo = `${etlKey.slice(0, -1)}${etlKey.endsWith('a') ? 'b' : 'a'}`;
    const bad = await canI('bad key', ['-', 'portal'], typo);
    expect(bad.answer.decision).toEqual(await accessApi({ apiKey: typo }, 'portal'));
    expect(bad.answer.decision.reason).toBe('InvalidApiKey');
  });

  it('refuses a key given as an argument, without echoing it', async () => {
    const ran = await blink('key argument', ['can-i', etlKey, 'portal']);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain('Keys are read from stdin only');
  });
});

describe('kubectl blink who-can', { timeout: 300_000 }, () => {
  const whoCan = async (label: string, args: readonly string[]): Promise<{ ran: Ran; answer: WhoCanAnswer }> => {
    const ran = await blink(label, ['who-can', ...args, '-o', 'json']);
    return { ran, answer: JSON.parse(ran.stdout) as WhoCanAnswer };
  };

  it('lists exactly the principals that may', async () => {
    const settings = await whoCan('who-can settings', ['settings']);
    expect(settings.ran.code).toBe(0);
    expect(settings.answer.allowed.map((e) => e.principal)).toEqual([email('ann'), 'sa/ops']);
    expect(settings.answer.disagreements).toEqual([]);
    const execute = await whoCan('who-can execute ws1', ['execute', '--workspace', 'ws1']);
    expect(execute.answer.allowed.map((e) => e.principal)).toEqual([email('ann'), email('bob'), 'sa/etl', 'sa/ops']);
    const ws2 = await whoCan('who-can read ws2', ['read', '--workspace', 'ws2']);
    expect(ws2.answer.allowed.map((e) => e.principal)).toEqual([email('ann'), 'sa/ops']);
  });
});

// Last: these break the tenant on purpose.
describe('RBAC and the access API made to disagree', { timeout: 300_000 }, () => {
  it('a hand-made RoleBinding giving an Invited user the admin ClusterRole: flagged, in red with --color, exit 7', async () => {
    await client.create(builtinKinds.roleBinding, {
      metadata: { name: 'by-hand-ivy', namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'blink-accounts-admin' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: email('ivy') }],
    });
    const { ran, answer } = await canI('disagree ivy json', [email('ivy'), 'settings']);
    expect(ran.code).toBe(7);
    expect(answer.decision).toEqual(await accessApi({ user: email('ivy') }, 'settings'));
    expect(answer.rbac).toMatchObject({ checked: true, allowed: true });
    expect(answer.disagreement).toBe(`the access API denies this (PrincipalNotActive), but Kubernetes RBAC lets ${email('ivy')} create users.accounts.blinkops.com in ${ns}`);
    const text = await blink('disagree ivy text', ['can-i', email('ivy'), 'settings', '--color']);
    expect(text.code).toBe(7);
    expect(text.stdout).toContain('  RoleBindings:  by-hand-ivy → ClusterRole blink-accounts-admin (NOT made by the operator)\n');
    expect(text.stdout).toContain('\u001b[31mBUG: Kubernetes RBAC and the access API disagree: the access API denies this (PrincipalNotActive)');
    // Without --color and not on a terminal: no escape codes.
    expect(outputs['disagree ivy json']).not.toContain('\u001b[');
    const who = await blink('disagree who-can', ['who-can', 'settings']);
    expect(who.code).toBe(7);
    expect(who.stdout).toContain(`BUG: Kubernetes RBAC and the access API disagree about ${email('ivy')}`);
    await client.delete(builtinKinds.roleBinding, ns, 'by-hand-ivy');
  });

  it('an Active user\'s RoleBinding deleted while the binding controller is stopped: flagged, exit 7', async () => {
    await operator?.stop();
    operator = undefined;
    await client.delete(builtinKinds.roleBinding, ns, 'blink-user-ann');
    const { ran, answer } = await canI('disagree ann', [email('ann'), 'portal']);
    expect(ran.code).toBe(7);
    expect(answer.decision).toMatchObject({ allowed: true, reason: 'TenantActionAllowed' });
    expect(answer.facts.user?.bindings).toEqual([]);
    expect(answer.disagreement).toBe(`the access API allows this (TenantActionAllowed), but Kubernetes RBAC does not let ${email('ann')} list users.accounts.blinkops.com in ${ns}`);
    const text = await blink('disagree ann text', ['can-i', email('ann'), 'portal']);
    expect(text.stdout).toContain('  RoleBindings:  none names this email (missing: blink-user-ann)\n');
    // Restart the operator so the tenant is cleaned up with its finalizers.
    operator = await startTestOperator({ shard, namespace: operatorNs.name }, [tenantsFeature, serviceAccountsFeature, accessApiFeature]);
  });
});
