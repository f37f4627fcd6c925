import { describe, expect, it } from 'vitest';
import { sourceOf } from '../api/index.js';
import type { ScimProvisioning } from '../api/index.js';
import { ScimError } from './errors.js';
import { checkResourceBody, groupFromScim, objectNameFor, personFromScim, roleFor, scimBoolean, userManifest, userResource, workspacesFor } from './mapping.js';
import type { UserObject } from './mapping.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const tenant = { spec: { displayName: 'Acme', allowedEmailDomains: ['example.com'] } };

function scimTypeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof ScimError) return `${error.status} ${error.scimType ?? ''}`.trim();
    throw error;
  }
  return 'ok';
}

describe('personFromScim', () => {
  it('takes the email from userName, the display name from displayName, name.formatted or given + family name', () => {
    expect(personFromScim({ schemas: [USER], userName: 'Ada@example.com', displayName: 'Ada L' }, tenant)).toEqual({ email: 'Ada@example.com', displayName: 'Ada L', active: true, externalId: undefined });
    expect(personFromScim({ schemas: [USER], userName: 'a@example.com', name: { formatted: 'Ada Lovelace' } }, tenant).displayName).toBe('Ada Lovelace');
    expect(personFromScim({ schemas: [USER], userName: 'a@example.com', name: { givenName: 'Ada', familyName: 'Lovelace' } }, tenant).displayName).toBe('Ada Lovelace');
  });

  it('uses the primary email when userName is not an address (an Entra ID UPN mapped to something else)', () => {
    const person = personFromScim({ schemas: [USER], userName: 'ada', emails: [{ value: 'other@example.com', type: 'home' }, { value: 'ada@example.com', primary: 'True' }] }, tenant);
    expect(person.email).toBe('ada@example.com');
  });

  it.each([
    ['another domain', { userName: 'a@evil.example' }, '400 invalidValue'],
    ['a subdomain', { userName: 'a@eu.example.com' }, '400 invalidValue'],
    ['a look-alike letter (KELVIN SIGN)', { userName: '\u212Aate@example.com' }, '400 invalidValue'],
    ['a display name in the address', { userName: 'Ada <a@example.com>' }, '400 invalidValue'],
    ['no userName', {}, '400 invalidValue'],
    ['active that is not a boolean', { userName: 'a@example.com', active: 'yes' }, '400 invalidValue'],
    ['an externalId too long', { userName: 'a@example.com', externalId: 'x'.repeat(300) }, '400 invalidValue'],
    ['an unknown attribute', { userName: 'a@example.com', shoeSize: 42 }, '400 invalidSyntax'],
  ])('refuses %s', (_, body, expected) => {
    expect(scimTypeOf(() => personFromScim({ schemas: [USER], ...body }, tenant))).toBe(expected);
  });

  it('lets an existing person outside the allowed domains be updated (deactivated), never created', () => {
    const body = { schemas: [USER], userName: 'old@legacy.example', active: false };
    expect(scimTypeOf(() => personFromScim(body, tenant))).toBe('400 invalidValue');
    expect(personFromScim(body, tenant, false)).toMatchObject({ email: 'old@legacy.example', active: false });
  });

  it('refuses a body without the User schema, or not an object', () => {
    expect(scimTypeOf(() => personFromScim({ userName: 'a@example.com' }, tenant))).toBe('400 invalidSyntax');
    expect(scimTypeOf(() => personFromScim([{ schemas: [USER] }], tenant))).toBe('400 invalidSyntax');
    expect(scimTypeOf(() => checkResourceBody('text', 'Group'))).toBe('400 invalidSyntax');
  });

  it('reads Entra ID string booleans, and accepts (and drops) what it does not store: password, enterprise extension, locale', () => {
    expect(personFromScim({ schemas: [USER], userName: 'a@example.com', active: 'False' }, tenant).active).toBe(false);
    expect(personFromScim({ schemas: [USER], userName: 'a@example.com', active: 'TRUE' }, tenant).active).toBe(true);
    expect(scimBoolean(false, 'active')).toBe(false);
    const person = personFromScim({ schemas: [USER], userName: 'a@example.com', password: 'secret', locale: 'en', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'R&D' } }, tenant);
    expect(JSON.stringify(person)).not.toContain('secret');
  });

  it('makes display names plain text on one line, at most 100 characters', () => {
    const person = personFromScim({ schemas: [USER], userName: 'a@example.com', displayName: `Ada\u202E\nLovelace${'x'.repeat(200)}` }, tenant);
    expect(person.displayName).toMatch(/^Ada Lovelacex+$/);
    expect(person.displayName).toHaveLength(100);
  });
});

describe('roles and workspaces from groups', () => {
  const scim: ScimProvisioning = {
    enabled: true,
    defaultRole: 'Consumer',
    roleMapping: [
      { group: 'Admins', role: 'Admin' },
      { group: 'Builders', role: 'Builder' },
    ],
    workspaceMapping: [
      { group: 'Builders', workspace: 'build' },
      { group: 'Ops', workspace: 'ops' },
      { group: 'admins', workspace: 'ops' },
    ],
  };
  it.each([
    [[], 'Consumer'],
    [['Builders'], 'Builder'],
    [['builders', 'ADMINS'], 'Admin'],
    [['Ops'], 'Consumer'],
  ])('%j → %s (highest mapped role, case-insensitive; else the default)', (groups, role) => {
    expect(roleFor(groups, scim)).toBe(role);
  });
  it('uses the Tenant default, and Consumer when none is set', () => {
    expect(roleFor([], { enabled: true, defaultRole: 'Builder' })).toBe('Builder');
    expect(roleFor(['Admins'], undefined)).toBe('Consumer');
  });
  it('gives the union of the mapped workspaces, sorted and unique', () => {
    expect(workspacesFor(['Builders', 'Ops', 'Admins'], scim)).toEqual(['build', 'ops']);
    expect(workspacesFor([], scim)).toEqual([]);
  });
});

describe('objectNameFor', () => {
  it('is the readable part as a DNS label, then a stable hash suffix when taken', () => {
    expect(objectNameFor('Ada.Lovelace', 'ada.lovelace@example.com', () => false)).toBe('ada-lovelace');
    const taken = new Set(['ada-lovelace']);
    const second = objectNameFor('Ada.Lovelace', 'ada.lovelace@other.example', (n) => taken.has(n));
    expect(second).toMatch(/^ada-lovelace-[0-9a-f]{6}$/);
    expect(objectNameFor('Ada.Lovelace', 'ada.lovelace@other.example', (n) => taken.has(n))).toBe(second);
    const crowded = new Set(['ada-lovelace', second]);
    expect(objectNameFor('Ada.Lovelace', 'ada.lovelace@other.example', (n) => crowded.has(n))).toMatch(/^ada-lovelace-[0-9a-f]{10}$/);
    expect(scimTypeOf(() => objectNameFor('Ada', 'x', () => true))).toBe('409 uniqueness');
    expect(objectNameFor('日本', 'x', () => false)).toBe('scim');
    expect(objectNameFor('a'.repeat(100), 'x', () => false).length).toBeLessThanOrEqual(48);
  });
});

describe('manifests and representations', () => {
  it('labels what SCIM writes, keeps externalId, and shows it back as the same SCIM User', () => {
    const manifest = userManifest({ name: 'ada', namespace: 'tenant-a', person: { email: 'ada@example.com', displayName: 'Ada', active: false, externalId: 'e1' }, groups: ['b', 'a', 'a'], groupDisplayNames: [], scim: undefined });
    expect(manifest.metadata?.labels).toEqual({ 'accounts.blinkops.com/source': 'scim' });
    expect(manifest.spec).toEqual({ email: 'ada@example.com', displayName: 'Ada', role: 'Consumer', groups: ['a', 'b'], workspaces: [], active: false });
    const user = { ...manifest, metadata: { ...manifest.metadata, uid: 'u-1', resourceVersion: '7' } } as UserObject;
    const resource = userResource(user, [], 'https://x/scim/v2/a');
    expect(resource).toMatchObject({ id: 'u-1', externalId: 'e1', userName: 'ada@example.com', active: false, displayName: 'Ada', emails: [{ value: 'ada@example.com', type: 'work', primary: true }] });
    expect(personFromScim(resource, tenant)).toEqual({ email: 'ada@example.com', displayName: 'Ada', active: false, externalId: 'e1' });
    expect(sourceOf(user)).toBe('SCIM');
    expect(sourceOf({ metadata: { labels: { 'accounts.blinkops.com/source': 'cli' } } })).toBe('CLI');
    expect(sourceOf({ metadata: {} })).toBe('Git');
  });

  it('reads a Group body: displayName required, members as ids, unique', () => {
    const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
    expect(groupFromScim({ schemas: [GROUP], displayName: 'Eng', members: [{ value: 'a' }, { value: 'a', display: 'x' }] })).toEqual({ displayName: 'Eng', externalId: undefined, memberIds: ['a'] });
    expect(groupFromScim({ schemas: [GROUP], displayName: 'Eng' }).memberIds).toBeUndefined();
    expect(scimTypeOf(() => groupFromScim({ schemas: [GROUP] }))).toBe('400 invalidValue');
    expect(scimTypeOf(() => groupFromScim({ schemas: [GROUP], displayName: 'Eng', members: [{ display: 'x' }] }))).toBe('400 invalidValue');
    expect(scimTypeOf(() => groupFromScim({ schemas: [GROUP], displayName: 'Eng', owner: 'x' }))).toBe('400 invalidSyntax');
  });
});
