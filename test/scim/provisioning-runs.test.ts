// Provisioning runs of Microsoft Entra ID and Okta, replayed over real HTTP from
// the request sequences their public documentation lists (Microsoft Learn,
// "Tutorial: Develop and plan provisioning for a SCIM endpoint in Microsoft
// Entra ID", and Okta's SCIM 2.0 guide): test connection, the initial import of
// 200 people with groups, an incremental sync, a rename, a deactivation and
// reactivation, group membership changes, deletions, and the errors each client
// expects. After each phase the tenant must be exactly what the provider sees,
// and the Git-declared objects untouched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_KINDS, SOURCE_LABEL } from '../../operator/api/index.js';
import type { RunningOperator } from '../../operator/operator.js';
import type { KubeObject } from '../../operator/runtime/kinds.js';
import { membershipsFeature } from '../../operator/memberships/feature.js';
import { scimFeature } from '../../operator/scim/feature.js';
import { tenantsFeature } from '../../operator/tenants/feature.js';
import { newShard, startTestOperator } from '../harness/operator.js';
import { adminClient, cleanUp, createGroup, createTenant, createUser, tenantReady, uniqueName } from '../harness/tenant.js';
import { entraUser, oktaUser, scimClient, scimEndpoint } from './client.js';
import type { ScimClient } from './client.js';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PEOPLE = 200;

const shard = newShard('scim-runs');
const client = adminClient();
const entraTenant = uniqueName('entra');
const oktaTenant = uniqueName('okta');
const nsEntra = `tenant-${entraTenant}`;
const nsOkta = `tenant-${oktaTenant}`;
let operator: RunningOperator;
let entra: ScimClient;
let okta: ScimClient;

type UserObject = KubeObject & { spec: { email: string; role: string; groups?: string[]; workspaces?: string[]; active?: boolean; displayName?: string } };
type GroupObject = KubeObject & { spec?: { displayName?: string } };

/** What the identity provider believes: people by userName, groups by displayName with their members' userNames. */
interface ProviderView {
  readonly people: Map<string, { id: string; active: boolean; displayName: string }>;
  readonly groups: Map<string, { id: string; members: Set<string> }>;
}

const roleMapping = { roleMapping: [{ group: 'Blink Admins', role: 'Admin' }, { group: 'Engineering', role: 'Builder' }], defaultRole: 'Consumer' };

/** The tenant as the cluster has it must be the provider's view: people, their active flag, names, groups and the roles the mapping gives. */
async function expectTenantIs(namespace: string, view: ProviderView): Promise<void> {
  const users = (await client.list<UserObject>(ACCOUNT_KINDS.user, { namespace })).items.filter((u) => u.metadata?.labels?.[SOURCE_LABEL] === 'scim' && !u.metadata?.deletionTimestamp);
  const groups = (await client.list<GroupObject>(ACCOUNT_KINDS.group, { namespace })).items.filter((g) => g.metadata?.labels?.[SOURCE_LABEL] === 'scim' && !g.metadata?.deletionTimestamp);
  const groupName = new Map(groups.map((g) => [g.metadata?.name ?? '', g.spec?.displayName ?? '']));
  expect(new Set(groups.map((g) => g.spec?.displayName))).toEqual(new Set(view.groups.keys()));
  expect(new Set(users.map((u) => u.spec.email))).toEqual(new Set(view.people.keys()));
  for (const user of users) {
    const person = view.people.get(user.spec.email);
    expect(user.metadata?.uid).toBe(person?.id);
    expect(user.spec.active, user.spec.email).toBe(person?.active);
    expect(user.spec.displayName, user.spec.email).toBe(person?.displayName);
    const memberOf = [...view.groups].filter(([, g]) => g.members.has(user.spec.email)).map(([name]) => name).sort();
    expect((user.spec.groups ?? []).map((g) => groupName.get(g)).sort(), user.spec.email).toEqual(memberOf);
    const role = memberOf.includes('Blink Admins') ? 'Admin' : memberOf.includes('Engineering') ? 'Builder' : 'Consumer';
    expect(user.spec.role, user.spec.email).toBe(role);
  }
}

/** The Git-declared objects of a tenant, to check they are untouched. */
async function declaredVersions(namespace: string): Promise<string[]> {
  const users = (await client.list<UserObject>(ACCOUNT_KINDS.user, { namespace })).items.filter((u) => !u.metadata?.labels?.[SOURCE_LABEL]);
  const groups = (await client.list<GroupObject>(ACCOUNT_KINDS.group, { namespace })).items.filter((g) => !g.metadata?.labels?.[SOURCE_LABEL]);
  return [...users, ...groups].map((o) => `${o.kind ?? ''}/${o.metadata?.name ?? ''}@${o.metadata?.resourceVersion ?? ''}`).sort();
}

beforeAll(async () => {
  operator = await startTestOperator({ shard }, [tenantsFeature, membershipsFeature, scimFeature]);
  await createTenant(client, entraTenant, shard, { provisioning: { scim: { enabled: true, ...roleMapping } } });
  await createTenant(client, oktaTenant, shard, { provisioning: { scim: { enabled: true, ...roleMapping } } });
  await tenantReady(client, entraTenant);
  await tenantReady(client, oktaTenant);
  // What Git declares beside SCIM: a person with an address the provider also has, and a Group named like one of its groups.
  for (const ns of [nsEntra, nsOkta]) {
    await createUser(client, ns, 'git-declared', { email: 'person7@example.com', role: 'Admin', groups: ['engineering'] });
    await createGroup(client, ns, 'engineering', { displayName: 'Engineering' });
  }
  const e = await scimEndpoint(client, entraTenant, nsEntra);
  const o = await scimEndpoint(client, oktaTenant, nsOkta);
  entra = scimClient(e.baseUrl, e.token);
  okta = scimClient(o.baseUrl, o.token);
}, 60_000);

afterAll(async () => {
  await operator?.stop();
  await cleanUp(client, [entraTenant, oktaTenant], [nsEntra, nsOkta]);
});

describe('Microsoft Entra ID', () => {
  const view: ProviderView = { people: new Map(), groups: new Map() };
  let declared: string[] = [];

  it('test connection: a query for a userName that does not exist answers an empty list', async () => {
    declared = await declaredVersions(nsEntra);
    const answer = await entra.get(`/Users?filter=${encodeURIComponent('userName eq "non-existent-user-7c1e@example.com"')}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ totalResults: 0, Resources: [] });
  });

  it(`initial cycle: ${PEOPLE} people (query, then create) and groups (query, create, add members) — the tenant is then what Entra ID sees`, async () => {
    const started = Date.now();
    for (let i = 0; i < PEOPLE; i++) {
      const upn = `person${i}@example.com`;
      const query = await entra.get(`/Users?filter=${encodeURIComponent(`userName eq "${upn}"`)}`);
      expect(query.body['totalResults']).toBe(0);
      const created = await entra.post('/Users', entraUser(upn, { externalId: `oid-${i}`, givenName: 'Person', familyName: String(i) }));
      if (i === 7) {
        // Git declares person7: Entra ID is told it exists (409), and the declared User stays as it is.
        expect(created.status).toBe(409);
        expect(created.body['scimType']).toBe('uniqueness');
        continue;
      }
      expect(created.status, upn).toBe(201);
      view.people.set(upn, { id: String(created.body['id']), active: true, displayName: `Person ${i}` });
    }
    for (const [name, members] of [
      ['Blink Admins', [0, 1]],
      ['Engineering', Array.from({ length: 100 }, (_, i) => i)],
      ['Sales', Array.from({ length: 50 }, (_, i) => 100 + i)],
    ] as const) {
      const query = await entra.get(`/Groups?excludedAttributes=members&filter=${encodeURIComponent(`displayName eq "${name}"`)}`);
      expect(query.body['totalResults']).toBe(0);
      const created = await entra.post('/Groups', { schemas: [GROUP], externalId: `gid-${name}`, displayName: name, meta: { resourceType: 'Group' } });
      expect(created.status).toBe(201);
      const id = String(created.body['id']);
      const emails = members.map((m) => `person${m}@example.com`).filter((e) => view.people.has(e));
      const add = await entra.patch(`/Groups/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: emails.map((e) => ({ $ref: null, value: view.people.get(e)?.id })) }] });
      expect(add.status).toBe(200);
      view.groups.set(name, { id, members: new Set(emails) });
    }
    process.stderr.write(`[scim] Entra ID initial cycle: ${PEOPLE} people, 3 groups in ${Date.now() - started} ms\n`);
    await expectTenantIs(nsEntra, view);
    expect(await declaredVersions(nsEntra)).toEqual(declared);
  }, 120_000);

  it('incremental cycle: get by id, get group without members, multi-valued and name updates, a UPN change refused as mutability', async () => {
    const ada = view.people.get('person3@example.com');
    const got = await entra.get(`/Users/${ada?.id ?? ''}`);
    expect(got.status).toBe(200);
    expect(got.body['userName']).toBe('person3@example.com');
    const group = await entra.get(`/Groups/${view.groups.get('Sales')?.id ?? ''}?excludedAttributes=members`);
    expect(group.status).toBe(200);
    expect(group.body['members']).toBeUndefined();
    const multi = await entra.patch(`/Users/${ada?.id ?? ''}`, {
      schemas: [PATCH_OP],
      Operations: [
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'person3@example.com' },
        { op: 'Replace', path: 'name.familyName', value: 'Renamed' },
        { op: 'Replace', path: 'name.formatted', value: 'Person Renamed' },
      ],
    });
    expect(multi.status).toBe(200);
    view.people.set('person3@example.com', { id: ada?.id ?? '', active: true, displayName: 'Person Renamed' });
    const upn = await entra.patch(`/Users/${ada?.id ?? ''}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'userName', value: 'person3.renamed@example.com' }] });
    expect(upn.status).toBe(400);
    expect(upn.body['scimType']).toBe('mutability');
    const missing = await entra.get('/Users/5171a35d82074e068ce2');
    expect(missing.status).toBe(404);
    await expectTenantIs(nsEntra, view);
  });

  it('disable (active "False"), enable, membership changes, group rename, delete user and group — the tenant follows', async () => {
    const id = (e: string) => view.people.get(e)?.id ?? '';
    expect((await entra.patch(`/Users/${id('person10@example.com')}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] })).status).toBe(200);
    view.people.set('person10@example.com', { ...view.people.get('person10@example.com')!, active: false });
    expect((await entra.patch(`/Users/${id('person11@example.com')}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: false }] })).status).toBe(200);
    expect((await entra.patch(`/Users/${id('person11@example.com')}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'True' }] })).status).toBe(200);
    const eng = view.groups.get('Engineering')!;
    const admins = view.groups.get('Blink Admins')!;
    expect((await entra.patch(`/Groups/${admins.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: [{ value: id('person150@example.com') }] }] })).status).toBe(200);
    admins.members.add('person150@example.com');
    expect((await entra.patch(`/Groups/${eng.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Remove', path: 'members', value: [{ $ref: null, value: id('person20@example.com') }, { value: id('person21@example.com') }] }] })).status).toBe(200);
    eng.members.delete('person20@example.com');
    eng.members.delete('person21@example.com');
    const sales = view.groups.get('Sales')!;
    const renamed = await entra.patch(`/Groups/${sales.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'displayName', value: 'Blink Admins Too' }] });
    expect(renamed.status).toBe(200);
    view.groups.delete('Sales');
    view.groups.set('Blink Admins Too', sales);
    expect((await entra.delete(`/Users/${id('person199@example.com')}`)).status).toBe(204);
    view.people.delete('person199@example.com');
    const temp = await entra.post('/Groups', { schemas: [GROUP], displayName: 'Temporary', meta: { resourceType: 'Group' } });
    expect((await entra.delete(`/Groups/${String(temp.body['id'])}`)).status).toBe(204);
    // The renamed group maps to no role ("Blink Admins Too" is not "Blink Admins"): its members' roles follow the mapping.
    await expectTenantIs(nsEntra, view);
    expect(await declaredVersions(nsEntra)).toEqual(declared);
  }, 60_000);
});

describe('Okta', () => {
  const view: ProviderView = { people: new Map(), groups: new Map() };
  let declared: string[] = [];

  it(`import and initial push: paged lists, ${PEOPLE} people created after a query each, pushed groups with members`, async () => {
    declared = await declaredVersions(nsOkta);
    const started = Date.now();
    expect((await okta.get('/Users?startIndex=1&count=100')).body).toMatchObject({ totalResults: 0, startIndex: 1 });
    expect((await okta.get('/Groups?startIndex=1&count=100')).body).toMatchObject({ totalResults: 0 });
    for (let i = 0; i < PEOPLE; i++) {
      const login = `person${i}@example.com`;
      const query = await okta.get(`/Users?filter=${encodeURIComponent(`userName eq "${login}"`)}&startIndex=1&count=100`);
      expect(query.body['totalResults']).toBe(0);
      const created = await okta.post('/Users', oktaUser(login, { givenName: 'Okta', familyName: String(i) }));
      if (i === 7) {
        expect(created.status).toBe(409);
        continue;
      }
      expect(created.status, login).toBe(201);
      view.people.set(login, { id: String(created.body['id']), active: true, displayName: `Okta ${i}` });
    }
    const pushed: [string, number[]][] = [
      ['Blink Admins', [0]],
      ['Engineering', Array.from({ length: 60 }, (_, i) => i)],
    ];
    for (const [name, members] of pushed) {
      const emails = members.map((m) => `person${m}@example.com`).filter((e) => view.people.has(e));
      const created = await okta.post('/Groups', { schemas: [GROUP], displayName: name, members: emails.map((e) => ({ value: view.people.get(e)?.id, display: e })) });
      expect(created.status).toBe(201);
      view.groups.set(name, { id: String(created.body['id']), members: new Set(emails) });
    }
    let seen = 0;
    for (let start = 1; ; start += 100) {
      const page = await okta.get(`/Users?startIndex=${start}&count=100`);
      seen += (page.body['Resources'] as unknown[]).length;
      expect(page.body['totalResults']).toBe(PEOPLE - 1);
      if (start + 100 > PEOPLE - 1) break;
    }
    expect(seen).toBe(PEOPLE - 1);
    process.stderr.write(`[scim] Okta initial push: ${PEOPLE} people, 2 groups in ${Date.now() - started} ms\n`);
    await expectTenantIs(nsOkta, view);
    expect(await declaredVersions(nsOkta)).toEqual(declared);
  }, 120_000);

  it('profile update by PUT, deactivate and reactivate by path-less PATCH, rename and membership by PATCH, group delete', async () => {
    const id = (e: string) => view.people.get(e)?.id ?? '';
    const put = await okta.put(`/Users/${id('person5@example.com')}`, { ...oktaUser('person5@example.com', { givenName: 'Okta', familyName: 'Five' }), id: id('person5@example.com') });
    expect(put.status).toBe(200);
    view.people.set('person5@example.com', { id: id('person5@example.com'), active: true, displayName: 'Okta Five' });
    expect((await okta.patch(`/Users/${id('person6@example.com')}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] })).status).toBe(200);
    view.people.set('person6@example.com', { ...view.people.get('person6@example.com')!, active: false });
    expect((await okta.patch(`/Users/${id('person8@example.com')}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] })).status).toBe(200);
    expect((await okta.patch(`/Users/${id('person8@example.com')}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: true } }] })).status).toBe(200);
    const eng = view.groups.get('Engineering')!;
    const rename = await okta.patch(`/Groups/${eng.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { id: eng.id, displayName: 'Engineering' } }] });
    expect(rename.status).toBe(200);
    const remove = await okta.patch(`/Groups/${eng.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${id('person30@example.com')}"]` }] });
    expect(remove.status).toBe(200);
    eng.members.delete('person30@example.com');
    const add = await okta.patch(`/Groups/${eng.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: id('person150@example.com'), display: 'person150@example.com' }] }] });
    expect(add.status).toBe(200);
    eng.members.add('person150@example.com');
    const admins = view.groups.get('Blink Admins')!;
    expect((await okta.delete(`/Groups/${admins.id}`)).status).toBe(204);
    view.groups.delete('Blink Admins');
    // Errors Okta expects: a duplicate create is 409, an unknown id 404.
    expect((await okta.post('/Users', oktaUser('person9@example.com'))).status).toBe(409);
    expect((await okta.get('/Users/does-not-exist')).status).toBe(404);
    await expectTenantIs(nsOkta, view);
    expect(await declaredVersions(nsOkta)).toEqual(declared);
  }, 60_000);
});
