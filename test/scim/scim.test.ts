// The SCIM endpoint over real HTTP against the real API server: the tenant opts
// in, the operator issues the token, and requests are answered as RFC 7644 says
// and as Entra ID and Okta expect (the replayed provisioning runs are in
// provisioning-runs.test.ts). Authentication, rate limits, the Users and Groups
// resources, errors and the rule that Git-declared objects are never changed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_KINDS, SCIM_FIELD_MANAGER, SCIM_TOKEN_SECRET, SOURCE_LABEL } from '../../operator/api/index.js';
import type { RunningOperator } from '../../operator/operator.js';
import { builtinKinds } from '../../operator/runtime/kinds.js';
import type { KubeObject } from '../../operator/runtime/kinds.js';
import { membershipsFeature } from '../../operator/memberships/feature.js';
import { createScimFeature } from '../../operator/scim/feature.js';
import { SCIM_TOKEN_PREFIX } from '../../operator/scim/token.js';
import { tenantsFeature } from '../../operator/tenants/feature.js';
import { eventually } from '../harness/kube.js';
import { newShard, startTestOperator } from '../harness/operator.js';
import { adminClient, cleanUp, createTenant, createUser, setUserPhase, tenantReady, uniqueName } from '../harness/tenant.js';
import { entraUser, oktaUser, scimClient, scimEndpoint } from './client.js';
import type { ScimClient } from './client.js';

const shard = newShard('scim');
const client = adminClient();
const a = uniqueName('scim-a');
const b = uniqueName('scim-b');
const off = uniqueName('scim-off');
const nsA = `tenant-${a}`;
const nsB = `tenant-${b}`;
let operator: RunningOperator;
let scimA: ScimClient;
let baseA = '';
let tokenA = '';
let tokenB = '';

type UserObject = KubeObject & { spec: { email: string; role: string; groups?: string[]; workspaces?: string[]; active?: boolean; displayName?: string } };

const scimSpec = {
  provisioning: {
    scim: {
      enabled: true,
      roleMapping: [
        { group: 'Blink Admins', role: 'Admin' },
        { group: 'Builders', role: 'Builder' },
      ],
      workspaceMapping: [{ group: 'Builders', workspace: 'build' }],
    },
  },
};

beforeAll(async () => {
  operator = await startTestOperator({ shard }, [tenantsFeature, membershipsFeature, createScimFeature({ perTenant: { burst: 2_000, refillPerSecond: 500 } })]);
  await createTenant(client, a, shard, { ...scimSpec, allowedEmailDomains: ['example.com'] });
  await createTenant(client, b, shard, scimSpec);
  await createTenant(client, off, shard);
  await Promise.all([a, b, off].map((t) => tenantReady(client, t)));
  const endpointA = await scimEndpoint(client, a, nsA);
  baseA = endpointA.baseUrl;
  tokenA = endpointA.token;
  tokenB = (await scimEndpoint(client, b, nsB)).token;
  scimA = scimClient(baseA, tokenA);
}, 60_000);

afterAll(async () => {
  await operator?.stop();
  await cleanUp(client, [a, b, off], [nsA, nsB, `tenant-${off}`]);
});

describe('opt-in and token', () => {
  it('gives the base URL on the public port under /scim/v2/<tenant> and a prefixed token in the Secret it names', async () => {
    expect(baseA).toBe(`${operator.url}/scim/v2/${a}`);
    expect(tokenA.startsWith(SCIM_TOKEN_PREFIX)).toBe(true);
    const tenant = await client.get<KubeObject & { status?: { provisioning?: { scim?: Record<string, unknown> } } }>(ACCOUNT_KINDS.tenant, undefined, a);
    expect(tenant.status?.provisioning?.scim?.['tokenSecret']).toBe(SCIM_TOKEN_SECRET);
    expect(JSON.stringify(tenant.status)).not.toContain(tokenA.slice(SCIM_TOKEN_PREFIX.length));
    const config = await scimA.get('/ServiceProviderConfig');
    expect(config.status).toBe(200);
    expect(config.headers.get('content-type')).toContain('application/scim+json');
  });

  it('answers a wrong, missing or other tenant\'s token, an unknown tenant and a tenant without SCIM the same 401 SCIM error', async () => {
    const answers = await Promise.all([
      scimClient(baseA, undefined).get('/Users'),
      scimClient(baseA, `${SCIM_TOKEN_PREFIX}nottherightone`).get('/Users'),
      scimClient(baseA, tokenB).get('/Users'),
      scimClient(baseA, tokenA.slice(0, -1) + (tokenA.endsWith('a') ? 'b' : 'a')).get('/Users'),
      scimClient(`${operator.url}/scim/v2/no-such-tenant`, tokenA).get('/Users'),
      scimClient(`${operator.url}/scim/v2/${off}`, tokenA).get('/Users'),
    ]);
    for (const answer of answers) {
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toContain('Bearer');
      expect(answer.body).toEqual(answers[0]?.body);
      expect(answer.body['schemas']).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
    }
  });

  it('is not served on the access API port', async () => {
    const res = await fetch(`${operator.accessApiUrl || operator.metricsUrl}/scim/v2/${a}/Users`, { headers: { authorization: `Bearer ${tokenA}` } });
    expect(res.status).toBe(404);
  });
});

describe('token lifecycle', () => {
  it('rotates: a raised revision issues a new token, the old one works for the grace period only', async () => {
    const tenant = uniqueName('scim-rot');
    const ns = `tenant-${tenant}`;
    try {
      await createTenant(client, tenant, shard, { provisioning: { scim: { enabled: true, tokenRotation: { gracePeriod: '3s' } } } });
      await tenantReady(client, tenant);
      const first = await scimEndpoint(client, tenant, ns);
      expect((await scimClient(first.baseUrl, first.token).get('/Users')).status).toBe(200);
      const fingerprint = ((await client.get<KubeObject & { status?: { provisioning?: { scim?: { tokenFingerprint?: string } } } }>(ACCOUNT_KINDS.tenant, undefined, tenant)).status?.provisioning?.scim?.tokenFingerprint) ?? '';
      await client.patch(ACCOUNT_KINDS.tenant, undefined, tenant, { spec: { provisioning: { scim: { enabled: true, tokenRotation: { revision: 1, gracePeriod: '3s' } } } } });
      const second = await scimEndpoint(client, tenant, ns, fingerprint);
      expect(second.token).not.toBe(first.token);
      await eventually(async () => ((await scimClient(second.baseUrl, second.token).get('/Users')).status === 200 ? true : undefined), 5_000, 'the new token to work');
      expect((await scimClient(first.baseUrl, first.token).get('/Users')).status).toBe(200);
      await eventually(async () => ((await scimClient(first.baseUrl, first.token).get('/Users')).status === 401 ? true : undefined), 10_000, 'the old token to stop working');
      expect((await scimClient(second.baseUrl, second.token).get('/Users')).status).toBe(200);
    } finally {
      await cleanUp(client, [tenant], [ns]);
    }
  }, 60_000);

  it('replaces a token someone wrote into the Secret (it never works), and deletes the Secret when SCIM is turned off', async () => {
    const tenant = uniqueName('scim-forge');
    const ns = `tenant-${tenant}`;
    try {
      await createTenant(client, tenant, shard, { provisioning: { scim: { enabled: true } } });
      await tenantReady(client, tenant);
      const issued = await scimEndpoint(client, tenant, ns);
      const forged = `${SCIM_TOKEN_PREFIX}${'A'.repeat(12)}_${'b'.repeat(49)}`;
      await client.patch(builtinKinds.secret, ns, SCIM_TOKEN_SECRET, { data: { token: Buffer.from(forged).toString('base64') } });
      expect((await scimClient(issued.baseUrl, forged).get('/Users')).status).toBe(401);
      const replaced = await eventually(async () => {
        const secret = await client.get<KubeObject & { data?: Record<string, string> }>(builtinKinds.secret, ns, SCIM_TOKEN_SECRET);
        const token = Buffer.from(secret.data?.['token'] ?? '', 'base64').toString('utf8');
        return token !== forged && token !== issued.token ? token : undefined;
      }, 10_000, 'the forged token to be replaced');
      // The operator's cache learns the new token a moment after the API server has it.
      await eventually(async () => ((await scimClient(issued.baseUrl, replaced).get('/Users')).status === 200 ? true : undefined), 5_000, 'the replacement token to work');
      expect((await scimClient(issued.baseUrl, forged).get('/Users')).status).toBe(401);
      await client.patch(ACCOUNT_KINDS.tenant, undefined, tenant, { spec: { provisioning: { scim: { enabled: false } } } });
      await eventually(async () => client.get(builtinKinds.secret, ns, SCIM_TOKEN_SECRET).then(() => undefined, () => true), 10_000, 'the token Secret to go');
      expect((await scimClient(issued.baseUrl, replaced).get('/Users')).status).toBe(401);
      // Status follows the delete in the same pass.
      await eventually(async () => ((await client.get<KubeObject & { status?: { provisioning?: unknown } }>(ACCOUNT_KINDS.tenant, undefined, tenant)).status?.provisioning === undefined ? true : undefined), 10_000, 'status.provisioning to go');
    } finally {
      await cleanUp(client, [tenant], [ns]);
    }
  }, 60_000);

  it('refuses at admission a default role of Admin and a rotation revision that goes down', async () => {
    const tenant = uniqueName('scim-cel');
    await expect(createTenant(client, tenant, shard, { provisioning: { scim: { enabled: true, defaultRole: 'Admin' } } })).rejects.toThrow(/defaultRole may not be Admin/);
    await expect(createTenant(client, tenant, shard, { provisioning: { scim: { enabled: true, lifecycle: 'Sometimes' } } })).rejects.toThrow(/lifecycle/);
    await createTenant(client, tenant, shard, { provisioning: { scim: { enabled: false, tokenRotation: { revision: 2 } } } });
    try {
      await expect(client.patch(ACCOUNT_KINDS.tenant, undefined, tenant, { spec: { provisioning: { scim: { tokenRotation: { revision: 1 } } } } })).rejects.toThrow(/may not decrease/);
    } finally {
      await cleanUp(client, [tenant], [`tenant-${tenant}`]);
    }
  });
});

describe('/Users', () => {
  it('creates a person from what Entra ID sends: email, display name, externalId, source label, SCIM field manager, default role', async () => {
    const created = await scimA.post('/Users', entraUser('ada.lovelace@example.com', { externalId: 'ext-ada', givenName: 'Ada', familyName: 'Lovelace' }));
    expect(created.status).toBe(201);
    expect(created.body['userName']).toBe('ada.lovelace@example.com');
    expect(created.body['externalId']).toBe('ext-ada');
    expect(created.body['active']).toBe(true);
    const id = String(created.body['id']);
    expect(created.headers.get('location')).toBe(`${baseA}/Users/${id}`);
    const user = await client.get<UserObject>(ACCOUNT_KINDS.user, nsA, 'ada-lovelace');
    expect(user.metadata?.uid).toBe(id);
    expect(user.metadata?.labels?.[SOURCE_LABEL]).toBe('scim');
    expect(user.spec).toMatchObject({ email: 'ada.lovelace@example.com', displayName: 'Ada Lovelace', role: 'Consumer', active: true });
    expect((user.metadata as { managedFields?: { manager?: string }[] } | undefined)?.managedFields?.some((f) => f.manager === SCIM_FIELD_MANAGER)).toBe(true);
    const got = await scimA.get(`/Users/${id}`);
    expect(got.status).toBe(200);
    expect(got.body['userName']).toBe('ada.lovelace@example.com');
  });

  it('finds people by userName (any case), externalId, work email and displayName, with and/or, and pages', async () => {
    for (const n of [1, 2, 3]) expect((await scimA.post('/Users', oktaUser(`page${n}@example.com`, { givenName: 'Page', familyName: `N${n}` }))).status).toBe(201);
    const q = async (filter: string, extra = '') => scimA.get(`/Users?filter=${encodeURIComponent(filter)}${extra}`);
    expect((await q('userName eq "ADA.LOVELACE@example.com"')).body['totalResults']).toBe(1);
    expect((await q('externalId eq "ext-ada"')).body['totalResults']).toBe(1);
    expect((await q('externalId eq "EXT-ADA"')).body['totalResults']).toBe(0);
    expect((await q('emails[type eq "work"].value eq "page2@example.com"')).body['totalResults']).toBe(1);
    expect((await q('displayName eq "Page N3"')).body['totalResults']).toBe(1);
    expect((await q('userName eq "page1@example.com" or userName eq "page2@example.com"')).body['totalResults']).toBe(2);
    expect((await q('userName sw "page" and not (displayName eq "Page N1")')).body['totalResults']).toBe(2);
    const page = await q('userName sw "page"', '&startIndex=2&count=1');
    expect(page.body).toMatchObject({ totalResults: 3, itemsPerPage: 1, startIndex: 2 });
    const huge = await scimA.get('/Users?count=100000');
    expect(huge.status).toBe(200);
    expect(Number(huge.body['itemsPerPage'])).toBeLessThanOrEqual(200);
  });

  it('refuses bad input with the right SCIM error and changes nothing', async () => {
    const before = (await client.list(ACCOUNT_KINDS.user, { namespace: nsA })).items.length;
    const cases: [string, Promise<{ status: number; body: Record<string, unknown> }>, number, string | undefined][] = [
      ['malformed JSON', scimA.raw('POST', '/Users', '{"schemas": ['), 400, 'invalidSyntax'],
      ['unknown attribute', scimA.post('/Users', { ...oktaUser('x1@example.com'), favouriteColour: 'blue' }), 400, 'invalidSyntax'],
      ['no schemas', scimA.post('/Users', { userName: 'x2@example.com' }), 400, 'invalidSyntax'],
      ['other domain', scimA.post('/Users', oktaUser('x3@evil.example')), 400, 'invalidValue'],
      ['look-alike (Kelvin sign)', scimA.post('/Users', oktaUser('\u212Aate@example.com')), 400, 'invalidValue'],
      ['not an email', scimA.post('/Users', { ...oktaUser('x4@example.com'), userName: 'x4', emails: [] }), 400, 'invalidValue'],
      ['duplicate userName', scimA.post('/Users', oktaUser('Ada.Lovelace@example.com')), 409, 'uniqueness'],
      ['string boolean that is not one', scimA.post('/Users', { ...oktaUser('x5@example.com'), active: 'maybe' }), 400, 'invalidValue'],
      ['filter on an unknown attribute', scimA.get(`/Users?filter=${encodeURIComponent('password eq "x"')}`), 400, 'invalidFilter'],
      ['filter syntax', scimA.get(`/Users?filter=${encodeURIComponent('userName eq')}`), 400, 'invalidFilter'],
      ['filter too long', scimA.get(`/Users?filter=${encodeURIComponent(`userName eq "${'a'.repeat(2_000)}"`)}`), 400, 'invalidFilter'],
      ['filter too deep', scimA.get(`/Users?filter=${encodeURIComponent(`${'('.repeat(50)}userName eq "a"${')'.repeat(50)}`)}`), 400, 'invalidFilter'],
      ['count not a number', scimA.get('/Users?count=lots'), 400, 'invalidValue'],
      ['unknown id', scimA.get('/Users/00000000-0000-0000-0000-000000000000'), 404, undefined],
      ['PATCH without PatchOp', scimA.patch('/Users/00000000-0000-0000-0000-000000000000', { Operations: [] }), 404, undefined],
    ];
    for (const [what, pending, status, scimType] of cases) {
      const answer = await pending;
      expect(answer.status, what).toBe(status);
      expect(answer.body['schemas'], what).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
      expect(answer.body['status'], what).toBe(String(status));
      expect(answer.body['scimType'], what).toBe(scimType);
    }
    expect((await client.list(ACCOUNT_KINDS.user, { namespace: nsA })).items.length).toBe(before);
  });

  it('applies PATCH as Entra ID ("Replace", "False") and Okta (path-less value object) send it, and refuses a new userName', async () => {
    const created = await scimA.post('/Users', entraUser('grace@example.com', { givenName: 'Grace', familyName: 'Hopper' }));
    const id = String(created.body['id']);
    const entra = await scimA.patch(`/Users/${id}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [
        { op: 'Replace', path: 'active', value: 'False' },
        { op: 'Add', path: 'name.formatted', value: 'Grace B. Hopper' },
        { op: 'Replace', path: 'displayName', value: 'Grace B. Hopper' },
      ],
    });
    expect(entra.status).toBe(200);
    expect(entra.body['active']).toBe(false);
    let user = await client.get<UserObject>(ACCOUNT_KINDS.user, nsA, 'grace');
    expect(user.spec).toMatchObject({ active: false, displayName: 'Grace B. Hopper' });
    const okta = await scimA.patch(`/Users/${id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: true } }] });
    expect(okta.status).toBe(200);
    user = await client.get<UserObject>(ACCOUNT_KINDS.user, nsA, 'grace');
    expect(user.spec.active).toBe(true);
    const rename = await scimA.patch(`/Users/${id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'userName', value: 'grace.hopper@example.com' }] });
    expect(rename.status).toBe(400);
    expect(rename.body['scimType']).toBe('mutability');
    const unknownPath = await scimA.patch(`/Users/${id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'add', path: 'favouriteColour', value: 'blue' }] });
    expect(unknownPath.status).toBe(400);
    expect(unknownPath.body['scimType']).toBe('invalidPath');
    const notAPatch = await scimA.patch(`/Users/${id}`, { Operations: [{ op: 'replace', path: 'active', value: false }] });
    expect(notAPatch.status).toBe(400);
    expect(notAPatch.body['scimType']).toBe('invalidSyntax');
    expect((await client.get<UserObject>(ACCOUNT_KINDS.user, nsA, 'grace')).spec.active).toBe(true);
    const put = await scimA.put(`/Users/${id}`, { ...entraUser('grace@example.com', { givenName: 'Grace', familyName: 'Hopper' }), active: false });
    expect(put.status).toBe(200);
    expect((await client.get<UserObject>(ACCOUNT_KINDS.user, nsA, 'grace')).spec.active).toBe(false);
  });

  it('takes the access of a deactivated person away at once: its RoleBinding is gone within a second', async () => {
    const created = await scimA.post('/Users', oktaUser('linus@example.com'));
    const id = String(created.body['id']);
    await setUserPhase(client, nsA, 'linus', 'Active');
    const bindings = async () => (await client.list(builtinKinds.roleBinding, { namespace: nsA, query: { labelSelector: 'accounts.blinkops.com/user=linus' } })).items;
    await eventually(async () => ((await bindings()).length === 1 ? true : undefined), 15_000, 'the RoleBinding of linus');
    const started = Date.now();
    expect((await scimA.patch(`/Users/${id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] })).status).toBe(200);
    await eventually(async () => ((await bindings()).length === 0 ? true : undefined), 5_000, 'the RoleBinding of linus to go');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('deletes a person: 204, the User is gone, a second DELETE is 404', async () => {
    const created = await scimA.post('/Users', oktaUser('gone@example.com'));
    const id = String(created.body['id']);
    expect((await scimA.delete(`/Users/${id}`)).status).toBe(204);
    await eventually(async () => client.get(ACCOUNT_KINDS.user, nsA, 'gone').then(() => undefined, () => true), 10_000, 'User gone to go');
    expect((await scimA.delete(`/Users/${id}`)).status).toBe(404);
    expect((await scimA.get(`/Users/${id}`)).status).toBe(404);
  });
});

describe('Git-declared Users', () => {
  it('are never seen or changed through SCIM: a create with their email is 409 uniqueness, and they stay as declared', async () => {
    await createUser(client, nsA, 'declared', { email: 'declared@example.com', role: 'Builder' });
    const before = await client.get<UserObject>(ACCOUNT_KINDS.user, nsA, 'declared');
    const list = await scimA.get(`/Users?filter=${encodeURIComponent('userName eq "declared@example.com"')}`);
    expect(list.body['totalResults']).toBe(0);
    const post = await scimA.post('/Users', oktaUser('declared@example.com'));
    expect(post.status).toBe(409);
    expect(post.body['scimType']).toBe('uniqueness');
    for (const method of ['GET', 'PUT', 'PATCH', 'DELETE']) {
      const answer = await scimA.call(method, `/Users/${before.metadata?.uid ?? ''}`, method === 'PUT' ? oktaUser('declared@example.com') : method === 'PATCH' ? { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: false }] } : undefined);
      expect(answer.status, method).toBe(404);
    }
    const after = await client.get<UserObject>(ACCOUNT_KINDS.user, nsA, 'declared');
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
  });

  it('a server-side apply of the declared objects, as Argo CD or Flux does, leaves SCIM-made Users alone', async () => {
    const scimUser = await client.get<UserObject>(ACCOUNT_KINDS.user, nsA, 'ada-lovelace');
    await client.apply(ACCOUNT_KINDS.user, { apiVersion: 'accounts.blinkops.com/v1alpha1', kind: 'User', metadata: { name: 'declared', namespace: nsA }, spec: { email: 'declared@example.com', role: 'Consumer' } } as KubeObject, { fieldManager: 'argocd-controller', force: true });
    const after = await client.get<UserObject>(ACCOUNT_KINDS.user, nsA, 'ada-lovelace');
    expect(after.metadata?.resourceVersion).toBe(scimUser.metadata?.resourceVersion);
    expect((await scimA.get(`/Users/${scimUser.metadata?.uid ?? ''}`)).status).toBe(200);
  });
});

describe('adoptExistingUsers', () => {
  it('lets SCIM take over a User declared outside SCIM when the Tenant says so: same object, now labelled scim and written by SCIM', async () => {
    await client.patch(ACCOUNT_KINDS.tenant, undefined, b, { spec: { provisioning: { scim: { adoptExistingUsers: true } } } });
    await createUser(client, nsB, 'legacy', { email: 'legacy@example.com', role: 'Builder', groups: [] });
    const before = await client.get<UserObject>(ACCOUNT_KINDS.user, nsB, 'legacy');
    const scimB = scimClient(`${operator.url}/scim/v2/${b}`, tokenB);
    // The Tenant change reaches the operator's cache a moment after the API server has it.
    const adopted = await eventually(async () => {
      const answer = await scimB.post('/Users', oktaUser('Legacy@example.com', { givenName: 'Legacy', familyName: 'Person' }));
      return answer.status === 201 ? answer : undefined;
    }, 5_000, 'the adoption');
    expect(adopted.body['id']).toBe(before.metadata?.uid);
    const after = await client.get<UserObject>(ACCOUNT_KINDS.user, nsB, 'legacy');
    expect(after.metadata?.labels?.[SOURCE_LABEL]).toBe('scim');
    expect(after.spec).toMatchObject({ email: 'legacy@example.com', displayName: 'Legacy Person', role: 'Consumer' });
    expect((await scimB.post('/Users', oktaUser('legacy@example.com'))).status).toBe(409);
  });
});

describe('/Groups', () => {
  it('maps groups to Groups, members to the Users\' groups, and roles and workspaces from the Tenant\'s mappings', async () => {
    const u1 = String((await scimA.post('/Users', oktaUser('g1@example.com'))).body['id']);
    const u2 = String((await scimA.post('/Users', oktaUser('g2@example.com'))).body['id']);
    const admins = await scimA.post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Blink Admins', externalId: 'grp-admins', members: [{ value: u1 }] });
    expect(admins.status).toBe(201);
    const adminsId = String(admins.body['id']);
    expect((await client.get<UserObject>(ACCOUNT_KINDS.user, nsA, 'g1')).spec).toMatchObject({ role: 'Admin', groups: ['blink-admins'] });
    const builders = await scimA.post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Builders', members: [] });
    const buildersId = String(builders.body['id']);
    // Entra ID: add with a value list; Okta: remove by members[value eq "<id>"].
    const add = await scimA.patch(`/Groups/${buildersId}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Add', path: 'members', value: [{ value: u1 }, { value: u2 }] }] });
    expect(add.status).toBe(200);
    expect((await client.get<UserObject>(ACCOUNT_KINDS.user, nsA, 'g2')).spec).toMatchObject({ role: 'Builder', groups: ['builders'], workspaces: ['build'] });
    expect((await client.get<UserObject>(ACCOUNT_KINDS.user, nsA, 'g1')).spec).toMatchObject({ role: 'Admin', groups: ['blink-admins', 'builders'] });
    const okta = await scimA.patch(`/Groups/${adminsId}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'remove', path: `members[value eq "${u1}"]` }] });
    expect(okta.status).toBe(200);
    expect((await client.get<UserObject>(ACCOUNT_KINDS.user, nsA, 'g1')).spec).toMatchObject({ role: 'Builder', groups: ['builders'] });
    const entraRemove = await scimA.patch(`/Groups/${buildersId}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Remove', path: 'members', value: [{ value: u2 }] }] });
    expect(entraRemove.status).toBe(200);
    expect((await client.get<UserObject>(ACCOUNT_KINDS.user, nsA, 'g2')).spec).toMatchObject({ role: 'Consumer', groups: [], workspaces: [] });
    const got = await scimA.get(`/Groups/${buildersId}`);
    expect((got.body['members'] as { value: string }[]).map((m) => m.value)).toEqual([u1]);
    const filtered = await scimA.get(`/Groups?filter=${encodeURIComponent('displayName eq "builders"')}&excludedAttributes=members`);
    expect(filtered.body['totalResults']).toBe(1);
    expect((filtered.body['Resources'] as Record<string, unknown>[])[0]?.['members']).toBeUndefined();
    expect((await scimA.post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'BUILDERS' })).status).toBe(409);
    expect((await scimA.delete(`/Groups/${buildersId}`)).status).toBe(204);
    expect((await client.get<UserObject>(ACCOUNT_KINDS.user, nsA, 'g1')).spec).toMatchObject({ role: 'Consumer', groups: [] });
  });
});

describe('rate limit', () => {
  it('answers failed authentications past 20 from one client with 429 and Retry-After, while the right token still works from it', async () => {
    const wrong = scimClient(baseA, `${SCIM_TOKEN_PREFIX}${'x'.repeat(62)}`);
    const answers = [];
    for (let i = 0; i < 30; i++) answers.push(await wrong.get('/Users'));
    const refused = answers.filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(5);
    expect(refused[0]?.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(answers.every((r) => r.status === 401 || r.status === 429)).toBe(true);
    expect((await scimA.get('/ServiceProviderConfig')).status).toBe(200);
  });


  it('answers 429 with Retry-After past the tenant\'s budget, and only for that tenant', async () => {
    const limited = await startTestOperator({ shard }, [createScimFeature({ perTenant: { burst: 3, refillPerSecond: 0.01 } })]).catch(() => undefined);
    if (!limited) throw new Error('could not start a second operator');
    try {
      const base = `${limited.url}/scim/v2/${a}`;
      await eventually(async () => ((await scimClient(base, tokenA).get('/Schemas')).status === 200 ? true : undefined), 10_000, 'the second replica to know the token');
      const answers = [];
      for (let i = 0; i < 5; i++) answers.push(await scimClient(base, tokenA).get('/ServiceProviderConfig'));
      const refused = answers.find((r) => r.status === 429);
      expect(refused?.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(refused?.body['schemas']).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
      expect((await scimClient(`${limited.url}/scim/v2/${b}`, tokenB).get('/ServiceProviderConfig')).status).toBe(200);
    } finally {
      await limited.stop();
    }
  });
});
