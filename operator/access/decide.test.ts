import { describe, expect, it } from 'vitest';
import type { ServiceAccount, User } from '../api/index.js';
import type { KubeObject } from '../runtime/kinds.js';
import type { Tenant } from '../api/index.js';
import type { ApiKeyVerifier } from '../policy/index.js';
import { decideAuthenticate, decideAuthorize, pickUser } from './decide.js';
import type { Directory } from './directory.js';
import type { AuthorizeRequest } from './request.js';

type U = User & KubeObject;
type S = ServiceAccount & KubeObject;

const u = (name: string, email: string, role: string, phase: string | undefined, workspaces: string[] = [], active?: boolean): U =>
  ({ metadata: { name, namespace: 'tenant-acme' }, spec: { email, role, workspaces, ...(active !== undefined ? { active } : {}) }, ...(phase ? { status: { phase } } : {}) }) as U;

const users = [
  u('ann', 'ann@acme.io', 'Admin', 'Active'),
  u('bob', 'bob@acme.io', 'Builder', 'Active', ['ws1']),
  u('ivy', 'ivy@acme.io', 'Admin', 'Invited'),
  u('dan', 'dan@acme.io', 'Admin', 'Active', [], false),
];
const sas: S[] = [{ metadata: { name: 'ci', namespace: 'tenant-acme' }, spec: { role: 'Consumer', workspaces: ['ws1'] } } as S];

const keys: ApiKeyVerifier = {
  authenticate: (key) =>
    key === 'acme-key'
      ? { ok: true, tenant: 'acme', namespace: 'tenant-acme', name: 'ci', uid: 'u1', role: 'Consumer', workspaces: ['ws1'], keyId: 'k', keyState: 'current' }
      : key === 'globex-key'
        ? { ok: true, tenant: 'globex', namespace: 'tenant-globex', name: 'ci', uid: 'u2', role: 'Admin', workspaces: [], keyId: 'k2', keyState: 'current' }
        : { ok: false, reason: 'unknown-key' },
};

const directory: Directory = {
  tenantNamespace: (t) => ({ acme: 'tenant-acme', globex: 'tenant-globex' })[t],
  tenant: (name) => ({ metadata: { name }, spec: { displayName: name } }) as Tenant & KubeObject,
  usersByEmail: (ns, email) => users.filter((x) => x.metadata?.namespace === ns && x.spec.email === email.toLowerCase()),
  serviceAccount: (ns, name) => sas.find((s) => s.metadata?.namespace === ns && s.metadata?.name === name),
  workspaceExists: (ns, name) => ns === 'tenant-acme' && ['ws1', 'ws2'].includes(name),
  keys,
};

const ask = (principal: AuthorizeRequest['principal'], action: AuthorizeRequest['action'], workspace?: string, tenant = 'acme') =>
  decideAuthorize(directory, { tenant, principal, action, ...(workspace ? { workspace } : {}) });

describe('decideAuthorize', () => {
  it.each([
    { who: { user: 'ann@acme.io' }, action: 'execute', ws: 'ws2', allowed: true, reason: 'AdminAllWorkspaces' },
    { who: { user: 'ANN@acme.io' }, action: 'settings', ws: undefined, allowed: true, reason: 'TenantActionAllowed' },
    { who: { user: 'ann@acme.io' }, action: 'read', ws: 'nope', allowed: false, reason: 'UnknownWorkspace' },
    { who: { user: 'bob@acme.io' }, action: 'execute', ws: 'ws1', allowed: true, reason: 'WorkspaceMember' },
    { who: { user: 'bob@acme.io' }, action: 'read', ws: 'ws2', allowed: false, reason: 'NotInWorkspace' },
    { who: { user: 'bob@acme.io' }, action: 'settings', ws: undefined, allowed: false, reason: 'RoleLacksAction' },
    { who: { user: 'ivy@acme.io' }, action: 'read', ws: 'ws1', allowed: false, reason: 'PrincipalNotActive' },
    { who: { user: 'dan@acme.io' }, action: 'portal', ws: undefined, allowed: false, reason: 'PrincipalNotActive' },
    { who: { user: 'eve@acme.io' }, action: 'portal', ws: undefined, allowed: false, reason: 'UnknownPrincipal' },
    { who: { serviceAccount: 'ci' }, action: 'write', ws: 'ws1', allowed: true, reason: 'WorkspaceMember' },
    { who: { serviceAccount: 'ci' }, action: 'execute', ws: 'ws1', allowed: false, reason: 'RoleLacksAction' },
    { who: { serviceAccount: 'gone' }, action: 'read', ws: 'ws1', allowed: false, reason: 'UnknownPrincipal' },
    { who: { apiKey: 'acme-key' }, action: 'read', ws: 'ws1', allowed: true, reason: 'WorkspaceMember' },
    { who: { apiKey: 'globex-key' }, action: 'read', ws: 'ws1', allowed: false, reason: 'InvalidApiKey' }, // another tenant's key is no valid key here
    { who: { apiKey: 'rotated' }, action: 'read', ws: 'ws1', allowed: false, reason: 'InvalidApiKey' },
  ] as const)('$who $action $ws → $reason', ({ who, action, ws, allowed, reason }) => {
    expect(ask(who, action, ws)).toMatchObject({ allowed, reason });
  });

  it('denies an unknown tenant before looking at the principal', () => {
    expect(ask({ user: 'ann@acme.io' }, 'portal', undefined, 'initech')).toMatchObject({ allowed: false, reason: 'UnknownTenant' });
  });

  it('finds users only in the asked tenant: acme\'s admin is unknown in globex', () => {
    expect(ask({ user: 'ann@acme.io' }, 'portal', undefined, 'globex')).toMatchObject({ allowed: false, reason: 'UnknownPrincipal' });
  });
});

describe('pickUser', () => {
  const aged = (name: string, created: string, phase: string, deleting = false): U =>
    ({ ...u(name, 'x@y.z', 'Consumer', phase), metadata: { name, namespace: 'tenant-acme', creationTimestamp: created, ...(deleting ? { deletionTimestamp: '2026-02-01T00:00:00Z' } : {}) } }) as U;
  it('answers for the User that owns the email: the oldest live one, Active or not (policy/principals.ts emailOwner)', () => {
    expect(pickUser([aged('b', '2026-01-02T00:00:00Z', 'Active'), aged('c', '2026-01-01T00:00:00Z', 'Invited')])?.metadata?.name).toBe('c');
    expect(pickUser([aged('b', '2026-01-01T00:00:00Z', 'Invited'), aged('a', '2026-01-01T00:00:00Z', 'Invited')])?.metadata?.name).toBe('a');
    expect(pickUser([aged('b', '2026-01-02T00:00:00Z', 'Active'), aged('c', '2026-01-01T00:00:00Z', 'Active', true)])?.metadata?.name).toBe('b');
    expect(pickUser([])).toBeUndefined();
  });

  it('never answers for a duplicate: the younger Active Admin with the email of an Invited Consumer is not asked', () => {
    const consumer = { ...aged('c', '2026-01-01T00:00:00Z', 'Invited') } as U;
    const admin = { ...aged('a', '2026-01-02T00:00:00Z', 'Active'), spec: { email: 'X@Y.Z', role: 'Admin', workspaces: [] } } as U;
    const both: Directory = { ...directory, usersByEmail: () => [admin, consumer] };
    expect(decideAuthorize(both, { tenant: 'acme', principal: { user: 'x@y.z' }, action: 'settings' })).toMatchObject({ allowed: false, reason: 'PrincipalNotActive' });
  });
});

describe('decideAuthenticate', () => {
  it('returns the service account of a live key', () => {
    expect(decideAuthenticate(directory, { apiKey: 'acme-key' })).toEqual({
      tenant: 'acme', namespace: 'tenant-acme', serviceAccount: 'ci', role: 'Consumer', workspaces: ['ws1'], allWorkspaces: false, actions: ['read', 'write', 'portal'],
    });
  });
  it('returns nothing for a bad key', () => {
    expect(decideAuthenticate(directory, { apiKey: 'nope' })).toBeUndefined();
  });
  it('returns nothing when the tenant no longer owns the namespace the key lives in', () => {
    expect(decideAuthenticate({ ...directory, tenantNamespace: () => undefined }, { apiKey: 'acme-key' })).toBeUndefined();
  });
});
