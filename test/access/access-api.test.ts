// The access API through HTTP against a real control plane: every cell of the
// permission matrix for users, service accounts (by name) and API keys; Invited,
// Inactive, unknown and deleted principals; rotated and cross-tenant keys; how
// fast a change flips the answer; the HTTP contract (4xx, OpenAPI); and who may
// call it: real ServiceAccount tokens checked by kube-apiserver's TokenReview and
// SubjectAccessReview (401, 403, one tenant's caller learns nothing of another).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessApiFeature } from '../../operator/access/feature.js';
import { apiKeyVerifierFeature } from '../../operator/service-accounts/feature.js';
import { ACCOUNT_KINDS } from '../../operator/api/index.js';
import type { RunningOperator } from '../../operator/operator.js';
import type { Informer } from '../../operator/runtime/informer.js';
import type { KubeObject } from '../../operator/runtime/kinds.js';
import { builtinKinds } from '../../operator/runtime/kinds.js';
import { serviceAccountsFeature } from '../../operator/service-accounts/feature.js';
import { tenantsFeature } from '../../operator/tenants/feature.js';
import { FORBIDDEN_MESSAGE, INVALID_KEY_MESSAGE, NO_CALLER_MESSAGE } from '../../operator/access/http-api.js';
import { accessApiCaller, accessApiToken, CALLERS_NAMESPACE } from '../harness/access.js';
import { eventually } from '../harness/kube.js';
import { sharedMetricsScraper } from '../harness/metrics.js';
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
} from '../harness/tenant.js';

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
/** A caller allowed for every tenant (ClusterRoleBinding): the matrix tests ask as it. */
let token = '';

async function readKey(namespace: string, sa: string): Promise<string> {
  const secret = await eventually(async () => {
    const s = await client.get<KubeObject & { data?: Record<string, string> }>(builtinKinds.secret, namespace, `${sa}-api-key`).catch(() => undefined);
    return s?.data?.['apiKey'] ? s : undefined;
  }, 30_000, `the key of ${namespace}/${sa}`);
  return Buffer.from(secret.data?.['apiKey'] ?? '', 'base64').toString('utf8');
}

async function post(path: string, body: unknown, base = operator.accessApiUrl, bearer: string | undefined = token): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`${base}/api/v1/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(bearer !== undefined ? { authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

const authorize = (tenant: string, principal: PrincipalRef, action: Action, workspace?: string, base?: string, bearer?: string) =>
  post('authorize', { tenant, principal, action, ...(workspace ? { workspace } : {}) }, base, bearer ?? token);

beforeAll(async () => {
  operator = await startTestOperator({ shard }, [tenantsFeature, serviceAccountsFeature, accessApiFeature]);
  token = await accessApiToken();
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
  // Another tenant's key is no valid key here: a caller of one tenant cannot tell it from garbage.
  noAccess('tenant B\'s key used in tenant A', () => ({ apiKey: keys.get('B/sa-builder') ?? '' }), 'InvalidApiKey', 'portal', undefined),
  noAccess('tenant A\'s key used in tenant B', () => ({ apiKey: keys.get('A/sa-admin') ?? '' }), 'InvalidApiKey', 'read', 'ws1', () => b),
  noAccess('A\'s Admin user asked about in B', () => ({ user: email('admin') }), 'UnknownPrincipal', 'portal', undefined, () => b),
  noAccess('A\'s Admin SA asked about in B', () => ({ serviceAccount: 'sa-admin' }), 'UnknownPrincipal', 'portal', undefined, () => b),
  { name: 'same email in B is B\'s Admin', tenant: () => b, principal: () => ({ user: email('builder') }), action: 'settings', allowed: true, reason: 'TenantActionAllowed' },
  { name: 'same SA name in B is B\'s Admin', tenant: () => b, principal: () => ({ serviceAccount: 'sa-builder' }), action: 'execute', workspace: 'ws1', allowed: true, reason: 'AdminAllWorkspaces' },
  { name: 'B\'s key in B', tenant: () => b, principal: () => ({ apiKey: keys.get('B/sa-builder') ?? '' }), action: 'settings', allowed: true, reason: 'TenantActionAllowed' },
  noAccess('Admin in a workspace that does not exist', () => ({ user: email('admin') }), 'UnknownWorkspace', 'read', 'ws-missing'),
  noAccess('Admin in B\'s-only workspace name', () => ({ serviceAccount: 'sa-admin' }), 'UnknownWorkspace', 'write', 'ws9'),
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
      const { body } = await authorize(c.tenant(), c.principal(), c.action, c.workspace, reader.accessApiUrl);
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
  // PRODUCT.md §5: decisions reflect a change to any CR within a second. Checked twice:
  // - by the order of events, which load cannot blur: no answer asked after the operator's cache
  //   held the change is the old one (the access API adds no delay of its own: no poll, no
  //   resync to wait for; what its decisions keep is dropped by the cache's own change events);
  // - by the clock, from the write to the first new answer: the promise of 1 s plus 2 s of margin
  //   for a loaded 2-core machine (this worker's event loop runs the operator and the probes; the
  //   API server's write and watch share the cores). Idle, it takes tens of milliseconds.
  const PROMISE_MS = 1_000;
  const LOAD_MARGIN_MS = 2_000;

  /** Performs `change`, asks `probe` every 10 ms until it flips; when each ask began, and when the cache held the change. */
  async function flip<T extends KubeObject>(cache: Informer<T>, key: string, held: (object: T | undefined) => boolean, change: () => Promise<unknown>, probe: () => Promise<boolean>) {
    let cachedAt: number | undefined;
    const check = () => void (cachedAt === undefined && held(cache.get(key)) && (cachedAt = performance.now()));
    cache.addHandler({ add: check, update: check, delete: check });
    expect(await probe()).toBe(true);
    const asks: { at: number; old: boolean }[] = [];
    const started = performance.now();
    await change();
    for (;;) {
      const at = performance.now();
      const old = await probe();
      asks.push({ at, old });
      if (!old) break;
      if (performance.now() - started > 5_000) throw new Error('The answer did not flip within 5 s');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const ms = performance.now() - started;
    // The answer may flip from another cache first; this one must hold the change soon all the same, or the order check judges nothing.
    await eventually(async () => (cachedAt === undefined ? undefined : true), 5_000, `the operator's cache to hold the change of ${key}`);
    const stale = asks.filter((ask) => ask.at > (cachedAt as number) && ask.old).map((ask) => `asked ${(ask.at - (cachedAt as number)).toFixed(0)} ms after the cache held the change, still the old answer`);
    return { ms, stale, cacheMs: (cachedAt as number) - started };
  }

  it('deleting a service account', async () => {
    const key = keys.get('A/sa-flip') ?? '';
    const byKey = async () => (await post('authenticate', { apiKey: key })).status === 200;
    const gone = (sa: KubeObject | undefined) => sa === undefined || sa.metadata?.deletionTimestamp !== undefined;
    const { ms, stale, cacheMs } = await flip(operator.context.caches.serviceAccounts, `${nsA}/sa-flip`, gone, () => client.delete(ACCOUNT_KINDS.serviceAccount, nsA, 'sa-flip'), byKey);
    const byName = (await authorize(a, { serviceAccount: 'sa-flip' }, 'portal')).body;
    process.stderr.write(`[access] service account deletion flipped authenticate in ${ms.toFixed(0)} ms (the operator's cache held the change after ${cacheMs.toFixed(0)} ms)\n`);
    expect(byName).toMatchObject({ allowed: false, reason: 'UnknownPrincipal' });
    expect(stale).toEqual([]);
    expect(ms).toBeLessThan(PROMISE_MS + LOAD_MARGIN_MS);
  });

  it('deactivating a user', async () => {
    const probe = async () => (await authorize(a, { user: email('flipper') }, 'settings')).body['allowed'] === true;
    const inactive = (user: { spec?: { active?: boolean } } | undefined) => user?.spec?.active === false;
    const { ms, stale, cacheMs } = await flip(operator.context.caches.users, `${nsA}/flipper`, inactive, () => client.patch(ACCOUNT_KINDS.user, nsA, 'flipper', { spec: { active: false } }), probe);
    process.stderr.write(`[access] user deactivation flipped authorize in ${ms.toFixed(0)} ms (the operator's cache held the change after ${cacheMs.toFixed(0)} ms)\n`);
    expect(stale).toEqual([]);
    expect(ms).toBeLessThan(PROMISE_MS + LOAD_MARGIN_MS);
  });
});

describe('HTTP contract', () => {
  const url = (path: string) => `${operator.accessApiUrl}/api/v1/${path}`;
  const fetch = (input: string, init: RequestInit = {}) => globalThis.fetch(input, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${token}` } });

  it('serves an OpenAPI 3 document describing both operations, without a token', async () => {
    const res = await globalThis.fetch(url('openapi.json'));
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown>; components: { securitySchemes: Record<string, { scheme: string }> } };
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.components.securitySchemes['serviceAccountToken']?.scheme).toBe('bearer');
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

describe('callers must authenticate (TokenReview) and be allowed (SubjectAccessReview)', () => {
  const noCaller = { error: { code: 'Unauthenticated', message: NO_CALLER_MESSAGE } };
  const forbidden = { error: { code: 'Forbidden', message: FORBIDDEN_MESSAGE } };
  const invalidKey = { error: { code: 'Unauthenticated', message: INVALID_KEY_MESSAGE } };
  const question = () => ({ tenant: a, principal: { user: email('admin') }, action: 'settings' });

  async function raw(path: string, headers: Record<string, string>, body: unknown = question()): Promise<{ status: number; body: unknown; wwwAuthenticate: string | null }> {
    const res = await fetch(`${operator.accessApiUrl}/api/v1/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: res.status, body: await res.json(), wwwAuthenticate: res.headers.get('www-authenticate') };
  }

  it.each([
    ['no Authorization header', async () => ({})],
    ['a garbage bearer token', async () => ({ authorization: 'Bearer not-a-token' })],
    ['another scheme (Basic)', async () => ({ authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` })],
    ['a real token for another audience', async () => ({ authorization: `Bearer ${await accessApiToken(undefined, { audiences: ['some-other-service'] })}` })],
    ['a real token with a forged signature', async () => ({ authorization: `Bearer ${token.slice(0, token.lastIndexOf('.') + 1)}${'A'.repeat(40)}` })],
  ])('answers 401 for %s, on every endpoint, with the stable body', async (_what, headers) => {
    const h = await headers();
    for (const path of ['authorize', 'authenticate', 'whoami']) {
      const answer = await raw(path, h, path === 'authenticate' ? { apiKey: keys.get('A/sa-admin') } : question());
      expect({ path, status: answer.status, body: answer.body }).toEqual({ path, status: 401, body: noCaller });
      expect(answer.wwwAuthenticate).toMatch(/^Bearer realm=/);
    }
  });

  it('answers 401 for the token of a ServiceAccount that was deleted', async () => {
    const caller = await accessApiCaller();
    await client.delete({ group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true }, CALLERS_NAMESPACE, caller.serviceAccount);
    await eventually(async () => ((await raw('authorize', caller.headers)).status === 401 ? true : undefined), 15_000, 'the deleted account\'s token to be refused');
    expect((await raw('authorize', caller.headers)).body).toEqual(noCaller);
  });

  it('answers 403 to a valid token without any binding, and its authenticate finds no valid key', async () => {
    const caller = await accessApiCaller(undefined, { bind: false });
    expect(await raw('authorize', caller.headers)).toMatchObject({ status: 403, body: forbidden });
    expect(await raw('authenticate', caller.headers, { apiKey: keys.get('A/sa-admin') })).toMatchObject({ status: 401, body: invalidKey });
  });

  it('lets a caller bound in tenant A ask about A only; B and an unknown tenant look the same', async () => {
    const caller = await accessApiCaller(nsA);
    const inA = await raw('authorize', caller.headers);
    expect(inA).toMatchObject({ status: 200, body: { allowed: true, reason: 'TenantActionAllowed' } });
    const inB = await raw('authorize', caller.headers, { ...question(), tenant: b });
    const nowhere = await raw('authorize', caller.headers, { ...question(), tenant: 'no-such-tenant' });
    expect(inB).toEqual({ status: 403, body: forbidden, wwwAuthenticate: null });
    expect(nowhere).toEqual(inB);
    // authenticate: A's key is answered; B's valid key looks exactly like a garbage key.
    const keyOfA = await raw('authenticate', caller.headers, { apiKey: keys.get('A/sa-admin') });
    expect(keyOfA).toMatchObject({ status: 200, body: { tenant: a, serviceAccount: 'sa-admin' } });
    const keyOfB = await raw('authenticate', caller.headers, { apiKey: keys.get('B/sa-builder') });
    const garbage = await raw('authenticate', caller.headers, { apiKey: 'blink_sa_not-a-key' });
    expect(keyOfB).toEqual({ status: 401, body: invalidKey, wwwAuthenticate: null });
    expect(garbage).toEqual(keyOfB);
    // Asking in A about B's key: not a valid key, as for garbage (no CrossTenant that would confirm it).
    const bKeyInA = await raw('authorize', caller.headers, { tenant: a, principal: { apiKey: keys.get('B/sa-builder') }, action: 'portal' });
    const garbageInA = await raw('authorize', caller.headers, { tenant: a, principal: { apiKey: 'blink_sa_not-a-key' }, action: 'portal' });
    expect(bKeyInA).toMatchObject({ status: 200, body: { allowed: false, reason: 'InvalidApiKey' } });
    expect(bKeyInA.body).toEqual(garbageInA.body);
  });

  it('lets a caller bound in both tenants ask about both', async () => {
    const caller = await accessApiCaller([nsA, nsB]);
    expect((await raw('authorize', caller.headers)).status).toBe(200);
    expect((await raw('authorize', caller.headers, { tenant: b, principal: { user: email('builder') }, action: 'settings' })).body).toMatchObject({ allowed: true });
  });

  it('answers an unknown tenant with the same 403 even to a caller allowed everywhere', async () => {
    expect(await raw('authorize', { authorization: `Bearer ${token}` }, { ...question(), tenant: 'no-such-tenant' })).toEqual({ status: 403, body: forbidden, wwwAuthenticate: null });
  });

  it('serves the access API only on its own port, and probes and metrics only on the metrics port', async () => {
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    expect((await fetch(`${operator.url}/api/v1/authorize`, { method: 'POST', headers, body: JSON.stringify(question()) })).status).toBe(404);
    const scraper = (await sharedMetricsScraper()).headers;
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      expect({ path, status: (await fetch(`${operator.url}${path}`, { headers: scraper })).status }).toEqual({ path, status: 404 });
      expect({ path, status: (await fetch(`${operator.accessApiUrl}${path}`, { headers })).status }).toEqual({ path, status: 404 });
      expect({ path, status: (await fetch(`${operator.metricsUrl}${path}`, { headers: scraper })).status }).toEqual({ path, status: 200 });
    }
  });
});
