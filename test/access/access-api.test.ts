// The access API through HTTP against a real control plane: every cell of the
// permission matrix for users, service accounts (by name) and API keys; Invited,
// Inactive, unknown and deleted principals; rotated and cross-tenant keys; how
// fast a change flips the answer; and the HTTP contract (4xx, OpenAPI).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessApiFeature } from '../../operator/access/feature.js';
import { apiKeyVerifierFeature } from '../../operator/service-accounts/feature.js';
import { ACCOUNT_KINDS } from '../../operator/api/index.js';
import type { RunningOperator } from '../../operator/operator.js';
import type { KubeObject } from '../../operator/runtime/kinds.js';
import { builtinKinds } from '../../operator/runtime/kinds.js';
import { serviceAccountsFeature } from '../../operator/service-accounts/feature.js';
import { tenantsFeature } from '../../operator/tenants/feature.js';
import { eventually } from '../harness/kube.js';
import { newShard, startTestOperator } from '../harness/operator.js';
import {
  adminClient,
  cleanUp,
  createActiveUser,
  createServiceAccount,
  createTenant,
  createUser,
  createWorkspace,
  setUserPhase,
  tenantReady,
  uniqueName,
} from '../tenants/fixtures.js';

type Role = 'Admin' | 'Builder' | 'Consumer';
type Action = 'read' | 'write' | 'execute' | 'portal' | 'settings';
type PrincipalRef = { user: string } | { serviceAccount: string } | { apiKey: string };

const shard = newShard('access');
const client = adminClient();
const a = uniqueName('acc-a');
const b = uniqueName('acc-b');
const nsA = `tenant-${a}`;
const nsB = `tenant-${b}`;
const email = (who: string) => `${who}@example.com`;
const keys = new Map<string, string>();
let operator: RunningOperator;
let reader: RunningOperator;

async function readKey(namespace: string, sa: string): Promise<string> {
  const secret = await eventually(async () => {
    const s = await client.get<KubeObject & { data?: Record<string, string> }>(builtinKinds.secret, namespace, `${sa}-api-key`).catch(() => undefined);
    return s?.data?.['apiKey'] ? s : undefined;
  }, 30_000, `the key of ${namespace}/${sa}`);
  return Buffer.from(secret.data?.['apiKey'] ?? '', 'base64').toString('utf8');
}

async function post(path: string, body: unknown, base = operator.url): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}/api/v1/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const authorize = (tenant: string, principal: PrincipalRef, action: Action, workspace?: string, base?: string) =>
  post('authorize', { tenant, principal, action, ...(workspace ? { workspace } : {}) }, base);

beforeAll(async () => {
  operator = await startTestOperator({ shard }, [tenantsFeature, serviceAccountsFeature, accessApiFeature]);
  await createTenant(client, a, shard);
  await createTenant(client, b, shard);
  await tenantReady(client, a);
  await tenantReady(client, b);
  for (const ws of ['ws1', 'ws2']) await createWorkspace(client, nsA, ws);
  await createWorkspace(client, nsB, 'ws1');
  // Tenant A: one Active user and one service account per role, plus the ones without access.
  await createActiveUser(client, nsA, 'admin', { email: email('admin'), role: 'Admin' });
  await createActiveUser(client, nsA, 'builder', { email: email('builder'), role: 'Builder', workspaces: ['ws1'] });
  await createActiveUser(client, nsA, 'consumer', { email: email('consumer'), role: 'Consumer', workspaces: ['ws1'] });
  await createActiveUser(client, nsA, 'flipper', { email: email('flipper'), role: 'Admin' });
  await createUser(client, nsA, 'invited', { email: email('invited'), role: 'Admin' });
  await setUserPhase(client, nsA, 'invited', 'Invited');
  await createUser(client, nsA, 'inactive', { email: email('inactive'), role: 'Admin', active: false });
  await setUserPhase(client, nsA, 'inactive', 'Inactive');
  await createUser(client, nsA, 'never-looked-at', { email: email('fresh'), role: 'Admin' });
  await createActiveUser(client, nsA, 'deleted', { email: email('deleted'), role: 'Admin' });
  for (const [name, role] of [['sa-admin', 'Admin'], ['sa-builder', 'Builder'], ['sa-consumer', 'Consumer'], ['sa-rotated', 'Builder'], ['sa-deleted', 'Admin'], ['sa-flip', 'Admin']] as const) {
    await createServiceAccount(client, nsA, name, { role, workspaces: role === 'Admin' ? [] : ['ws1'] });
  }
  // Tenant B: the same names and emails with other roles; they must never collide with A's.
  await createActiveUser(client, nsB, 'builder', { email: email('builder'), role: 'Admin' });
  await createServiceAccount(client, nsB, 'sa-builder', { role: 'Admin' });
  for (const sa of ['sa-admin', 'sa-builder', 'sa-consumer', 'sa-rotated', 'sa-deleted', 'sa-flip']) keys.set(`A/${sa}`, await readKey(nsA, sa));
  keys.set('B/sa-builder', await readKey(nsB, 'sa-builder'));
  keys.set('A/sa-rotated/old', keys.get('A/sa-rotated') ?? '');
  // Rotate sa-rotated (no grace period: the old key dies at once); delete sa-deleted and the user "deleted".
  await client.patch(ACCOUNT_KINDS.serviceAccount, nsA, 'sa-rotated', { spec: { keyRotation: { revision: 1 } } });
  await eventually(async () => {
    const key = await readKey(nsA, 'sa-rotated');
    return key !== keys.get('A/sa-rotated/old') ? key : undefined;
  }, 30_000, 'the rotated key').then((key) => keys.set('A/sa-rotated', key));
  await client.delete(ACCOUNT_KINDS.serviceAccount, nsA, 'sa-deleted');
  await client.delete(ACCOUNT_KINDS.user, nsA, 'deleted');
  // A second replica that runs no controller at all: reads are served from its own caches.
  reader = await startTestOperator({ shard }, [apiKeyVerifierFeature, accessApiFeature]);
  // Wait until the operator's caches have seen everything above.
  await eventually(async () => ((await authorize(a, { user: email('consumer') }, 'write', 'ws1')).body['allowed'] === true ? true : undefined), 15_000, 'consumer access');
  await eventually(async () => ((await post('authenticate', { apiKey: keys.get('A/sa-rotated') })).status === 200 ? true : undefined), 15_000, 'the rotated key to verify');
  await eventually(async () => ((await authorize(a, { serviceAccount: 'sa-deleted' }, 'portal')).body['allowed'] === false ? true : undefined), 15_000, 'sa-deleted to be gone');
}, 180_000);

afterAll(async () => {
  await reader?.stop();
  await cleanUp(client, [a, b], [nsA, nsB]);
  await operator?.stop();
  client.close();
});

/** Expected answer of the matrix for a role (PRODUCT.md §1), written out by hand, not computed. */
const MATRIX: Record<Role, Record<string, [boolean, string]>> = {
  Admin: {
    'read ws1': [true, 'AdminAllWorkspaces'], 'write ws1': [true, 'AdminAllWorkspaces'], 'execute ws1': [true, 'AdminAllWorkspaces'],
    'read ws2': [true, 'AdminAllWorkspaces'], 'write ws2': [true, 'AdminAllWorkspaces'], 'execute ws2': [true, 'AdminAllWorkspaces'],
    portal: [true, 'TenantActionAllowed'], settings: [true, 'TenantActionAllowed'],
  },
  Builder: {
    'read ws1': [true, 'WorkspaceMember'], 'write ws1': [true, 'WorkspaceMember'], 'execute ws1': [true, 'WorkspaceMember'],
    'read ws2': [false, 'NotInWorkspace'], 'write ws2': [false, 'NotInWorkspace'], 'execute ws2': [false, 'NotInWorkspace'],
    portal: [true, 'TenantActionAllowed'], settings: [false, 'RoleLacksAction'],
  },
  Consumer: {
    'read ws1': [true, 'WorkspaceMember'], 'write ws1': [true, 'WorkspaceMember'], 'execute ws1': [false, 'RoleLacksAction'],
    'read ws2': [false, 'NotInWorkspace'], 'write ws2': [false, 'NotInWorkspace'], 'execute ws2': [false, 'RoleLacksAction'],
    portal: [true, 'TenantActionAllowed'], settings: [false, 'RoleLacksAction'],
  },
};

interface Case {
  readonly name: string;
  readonly tenant: () => string;
  readonly principal: () => PrincipalRef;
  readonly action: Action;
  readonly workspace?: string;
  readonly allowed: boolean;
  readonly reason: string;
}

const principalsOf: Record<Role, { label: string; ref: () => PrincipalRef }[]> = {
  Admin: [
    { label: 'user admin', ref: () => ({ user: email('admin') }) },
    { label: 'SA sa-admin', ref: () => ({ serviceAccount: 'sa-admin' }) },
    { label: 'key of sa-admin', ref: () => ({ apiKey: keys.get('A/sa-admin') ?? '' }) },
  ],
  Builder: [
    { label: 'user builder', ref: () => ({ user: email('builder') }) },
    { label: 'SA sa-builder', ref: () => ({ serviceAccount: 'sa-builder' }) },
    { label: 'key of sa-builder', ref: () => ({ apiKey: keys.get('A/sa-builder') ?? '' }) },
  ],
  Consumer: [
    { label: 'user consumer', ref: () => ({ user: email('consumer') }) },
    { label: 'SA sa-consumer', ref: () => ({ serviceAccount: 'sa-consumer' }) },
    { label: 'key of sa-consumer', ref: () => ({ apiKey: keys.get('A/sa-consumer') ?? '' }) },
  ],
};

const matrixCases: Case[] = (Object.keys(MATRIX) as Role[]).flatMap((role) =>
  principalsOf[role].flatMap(({ label, ref }) =>
    Object.entries(MATRIX[role]).map(([cell, [allowed, reason]]) => {
      const [action, workspace] = cell.split(' ') as [Action, string | undefined];
      return { name: `${role} ${label}: ${cell}`, tenant: () => a, principal: ref, action, ...(workspace ? { workspace } : {}), allowed, reason };
    }),
  ),
);

/** The key with its last character replaced by a different one (a real typo, never the same key). */
function withTypo(key: string): string {
  return `${key.slice(0, -1)}${key.endsWith('x') ? 'y' : 'x'}`;
}

const noAccess = (name: string, principal: () => PrincipalRef, reason: string, action: Action = 'read', workspace: string | undefined = 'ws1', tenant = () => a): Case => ({
  name, tenant, principal, action, ...(workspace ? { workspace } : {}), allowed: false, reason,
});

const edgeCases: Case[] = [
  noAccess('Invited user: read', () => ({ user: email('invited') }), 'PrincipalNotActive'),
  noAccess('Invited user: portal', () => ({ user: email('invited') }), 'PrincipalNotActive', 'portal', undefined),
  noAccess('user without status yet (Invited): settings', () => ({ user: email('fresh') }), 'PrincipalNotActive', 'settings', undefined),
  noAccess('Inactive user: read', () => ({ user: email('inactive') }), 'PrincipalNotActive'),
  noAccess('Inactive user: settings', () => ({ user: email('inactive') }), 'PrincipalNotActive', 'settings', undefined),
  noAccess('unknown email', () => ({ user: email('nobody') }), 'UnknownPrincipal'),
  noAccess('unknown email: portal', () => ({ user: email('nobody') }), 'UnknownPrincipal', 'portal', undefined),
  noAccess('deleted user', () => ({ user: email('deleted') }), 'UnknownPrincipal', 'settings', undefined),
  noAccess('unknown service account', () => ({ serviceAccount: 'sa-nobody' }), 'UnknownPrincipal'),
  noAccess('deleted service account by name', () => ({ serviceAccount: 'sa-deleted' }), 'UnknownPrincipal', 'portal', undefined),
  noAccess('deleted service account\'s key', () => ({ apiKey: keys.get('A/sa-deleted') ?? '' }), 'InvalidApiKey'),
  noAccess('rotated-away key', () => ({ apiKey: keys.get('A/sa-rotated/old') ?? '' }), 'InvalidApiKey'),
  { name: 'the rotated account\'s new key', tenant: () => a, principal: () => ({ apiKey: keys.get('A/sa-rotated') ?? '' }), action: 'execute', workspace: 'ws1', allowed: true, reason: 'WorkspaceMember' },
  noAccess('malformed key', () => ({ apiKey: 'blink_sa_not-a-key' }), 'InvalidApiKey'),
  noAccess('key with a typo', () => ({ apiKey: withTypo(keys.get('A/sa-admin') ?? '') }), 'InvalidApiKey', 'portal', undefined),
  noAccess('tenant B\'s key used in tenant A', () => ({ apiKey: keys.get('B/sa-builder') ?? '' }), 'CrossTenant', 'portal', undefined),
  noAccess('tenant A\'s key used in tenant B', () => ({ apiKey: keys.get('A/sa-admin') ?? '' }), 'CrossTenant', 'read', 'ws1', () => b),
  noAccess('A\'s Admin user asked about in B', () => ({ user: email('admin') }), 'UnknownPrincipal', 'portal', undefined, () => b),
  noAccess('A\'s Admin SA asked about in B', () => ({ serviceAccount: 'sa-admin' }), 'UnknownPrincipal', 'portal', undefined, () => b),
  { name: 'same email in B is B\'s Admin', tenant: () => b, principal: () => ({ user: email('builder') }), action: 'settings', allowed: true, reason: 'TenantActionAllowed' },
  { name: 'same SA name in B is B\'s Admin', tenant: () => b, principal: () => ({ serviceAccount: 'sa-builder' }), action: 'execute', workspace: 'ws1', allowed: true, reason: 'AdminAllWorkspaces' },
  { name: 'B\'s key in B', tenant: () => b, principal: () => ({ apiKey: keys.get('B/sa-builder') ?? '' }), action: 'settings', allowed: true, reason: 'TenantActionAllowed' },
  noAccess('Admin in a workspace that does not exist', () => ({ user: email('admin') }), 'UnknownWorkspace', 'read', 'ws-missing'),
  noAccess('Admin in B\'s-only workspace name', () => ({ serviceAccount: 'sa-admin' }), 'UnknownWorkspace', 'write', 'ws9'),
  noAccess('unknown tenant', () => ({ user: email('admin') }), 'UnknownTenant', 'portal', undefined, () => 'no-such-tenant'),
  { name: 'email case does not matter', tenant: () => a, principal: () => ({ user: 'Admin@Example.com' }), action: 'settings', allowed: true, reason: 'TenantActionAllowed' },
];

describe('POST /api/v1/authorize', () => {
  const cases = [...matrixCases, ...edgeCases];
  it('has at least 60 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
  });
  it.each(cases)('$name → allowed=$allowed ($reason)', async (c) => {
    const { status, body } = await authorize(c.tenant(), c.principal(), c.action, c.workspace);
    expect(status).toBe(200);
    expect(body).toMatchObject({ allowed: c.allowed, reason: c.reason });
    expect(typeof body['message']).toBe('string');
  });

  it('is served the same by a replica that runs no controller', async () => {
    for (const c of [...matrixCases.slice(0, 8), ...edgeCases]) {
      const { body } = await authorize(c.tenant(), c.principal(), c.action, c.workspace, reader.url);
      expect({ name: c.name, ...body }).toMatchObject({ name: c.name, allowed: c.allowed, reason: c.reason });
    }
  });
});

describe('POST /api/v1/authenticate', () => {
  it.each([
    { sa: 'sa-admin', role: 'Admin', workspaces: ['ws1', 'ws2'], allWorkspaces: true, actions: ['read', 'write', 'execute', 'portal', 'settings'] },
    { sa: 'sa-builder', role: 'Builder', workspaces: ['ws1'], allWorkspaces: false, actions: ['read', 'write', 'execute', 'portal'] },
    { sa: 'sa-consumer', role: 'Consumer', workspaces: ['ws1'], allWorkspaces: false, actions: ['read', 'write', 'portal'] },
    { sa: 'sa-rotated', role: 'Builder', workspaces: ['ws1'], allWorkspaces: false, actions: ['read', 'write', 'execute', 'portal'] },
  ])('names the service account of $sa\'s key', async ({ sa, ...rest }) => {
    const { status, body } = await post('authenticate', { apiKey: keys.get(`A/${sa}`) });
    expect(status).toBe(200);
    expect(body).toEqual({ tenant: a, namespace: nsA, serviceAccount: sa, ...rest });
  });

  it('keeps tenants apart: the same name in B is B\'s', async () => {
    const { body } = await post('authenticate', { apiKey: keys.get('B/sa-builder') });
    expect(body).toMatchObject({ tenant: b, namespace: nsB, serviceAccount: 'sa-builder', role: 'Admin' });
  });

  it.each([
    ['a rotated-away key', () => keys.get('A/sa-rotated/old') ?? ''],
    ['a deleted account\'s key', () => keys.get('A/sa-deleted') ?? ''],
    ['a malformed key', () => 'hello'],
    ['a key with a typo', () => `x${(keys.get('A/sa-admin') ?? '').slice(1)}`],
  ])('answers 401 for %s, the same way every time', async (_what, key) => {
    const { status, body } = await post('authenticate', { apiKey: key() });
    expect(status).toBe(401);
    expect(body).toEqual({ error: { code: 'Unauthenticated', message: 'The API key is not valid' } });
  });
});

describe('changes flip the answer within a second', () => {
  async function flipTime(change: () => Promise<unknown>, probe: () => Promise<boolean>): Promise<number> {
    expect(await probe()).toBe(true);
    const started = performance.now();
    await change();
    for (;;) {
      if (!(await probe())) return performance.now() - started;
      if (performance.now() - started > 5_000) throw new Error('The answer did not flip within 5 s');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it('deleting a service account', async () => {
    const key = keys.get('A/sa-flip') ?? '';
    const byKey = async () => (await post('authenticate', { apiKey: key })).status === 200;
    const ms = await flipTime(() => client.delete(ACCOUNT_KINDS.serviceAccount, nsA, 'sa-flip'), byKey);
    const byName = (await authorize(a, { serviceAccount: 'sa-flip' }, 'portal')).body;
    process.stderr.write(`[access] service account deletion flipped authenticate in ${ms.toFixed(0)} ms\n`);
    expect(byName).toMatchObject({ allowed: false, reason: 'UnknownPrincipal' });
    expect(ms).toBeLessThan(1000);
  });

  it('deactivating a user', async () => {
    const probe = async () => (await authorize(a, { user: email('flipper') }, 'settings')).body['allowed'] === true;
    const ms = await flipTime(() => client.patch(ACCOUNT_KINDS.user, nsA, 'flipper', { spec: { active: false } }), probe);
    process.stderr.write(`[access] user deactivation flipped authorize in ${ms.toFixed(0)} ms\n`);
    expect(ms).toBeLessThan(1000);
  });
});

describe('HTTP contract', () => {
  const url = (path: string) => `${operator.url}/api/v1/${path}`;

  it('serves an OpenAPI 3 document describing both operations', async () => {
    const res = await fetch(url('openapi.json'));
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/authenticate', '/api/v1/authorize']));
  });

  it('answers 405 with Allow for a wrong method', async () => {
    const res = await fetch(url('authorize'));
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('MethodNotAllowed');
  });

  it('answers 415 for a body that is not JSON', async () => {
    const res = await fetch(url('authorize'), { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'tenant=a' });
    expect(res.status).toBe(415);
  });

  it('answers 413 for a huge body', async () => {
    const res = await fetch(url('authenticate'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiKey: 'x'.repeat(200_000) }) });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('PayloadTooLarge');
  });

  it('answers 400 for invalid JSON', async () => {
    const res = await fetch(url('authorize'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"tenant":' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('InvalidJson');
  });

  it('answers 400 naming each wrong field', async () => {
    const { status, body } = await post('authorize', { tenant: a, principal: { user: 'x@y.z', serviceAccount: 'ci' }, action: 'fly' });
    expect(status).toBe(400);
    const error = body['error'] as { code: string; message: string; details: { field: string }[] };
    expect(error.code).toBe('InvalidRequest');
    expect(error.details.map((d) => d.field)).toEqual(['principal', 'action']);
    expect(error.message).toContain('action must be one of read, write, execute, portal, settings');
  });

  it('answers 404 for an unknown endpoint', async () => {
    expect((await fetch(url('whoami'))).status).toBe(404);
  });
});
