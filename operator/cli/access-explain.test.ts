import { describe, expect, it } from 'vitest';
import type { ServiceAccount, Tenant, User } from '../api/index.js';
import type { KubeObject } from '../runtime/kinds.js';
import type { RoleBinding } from '../tenants/binding-plan.js';
import { emailsToReview, explainAccess, findDisagreement, whoCan } from './access-explain.js';
import type { AccessFacts } from './access-explain.js';

type U = User & KubeObject;
const NS = 'tenant-acme';

const user = (name: string, email: string, role: string, phase: string | undefined, workspaces: string[] = [], active?: boolean): U =>
  ({ metadata: { name, namespace: NS }, spec: { email, role, workspaces, ...(active !== undefined ? { active } : {}) }, ...(phase ? { status: { phase } } : {}) }) as U;

const binding = (name: string, email: string, clusterRole: string, byOperator = true): RoleBinding => ({
  metadata: { name, namespace: NS, labels: byOperator ? { 'app.kubernetes.io/managed-by': 'blink-accounts-operator', 'app.kubernetes.io/component': 'rbac' } : {} },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
  subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: email }],
});

/** A tenant as the CLI reads it: what the binding controller made, and RBAC answering by those bindings. */
function facts(over: Partial<AccessFacts> = {}): AccessFacts {
  return {
    namespace: NS,
    namespaceObject: { metadata: { name: NS, labels: { 'accounts.blinkops.com/tenant': 'acme' } } },
    tenant: { metadata: { name: 'acme' }, spec: { displayName: 'Acme' } } as Tenant & KubeObject,
    users: [
      user('ann', 'ann@example.com', 'Admin', 'Active'),
      user('bob', 'Bob@Example.com', 'Builder', 'Active', ['ws1']),
      user('ivy', 'ivy@example.com', 'Admin', 'Invited'),
      user('dan', 'dan@example.com', 'Admin', 'Inactive', [], false),
    ],
    serviceAccounts: [
      { metadata: { name: 'ci', namespace: NS }, spec: { role: 'Consumer', workspaces: ['ws1'] }, status: { keyId: 'k1' } } as ServiceAccount & KubeObject,
      { metadata: { name: 'ops', namespace: NS }, spec: { role: 'Admin' } } as ServiceAccount & KubeObject,
    ],
    workspaces: [{ metadata: { name: 'ws1', namespace: NS } }, { metadata: { name: 'ws2', namespace: NS } }],
    roleBindings: [binding('blink-user-ann', 'ann@example.com', 'blink-accounts-admin'), binding('blink-user-bob', 'bob@example.com', 'blink-accounts-builder')],
    rbac: new Map([
      ['ann@example.com', true],
      ['bob@example.com', false],
      ['ivy@example.com', false],
      ['dan@example.com', false],
    ]),
    ...over,
  };
}

describe('explainAccess: the access API\'s answer, from the objects read', () => {
  it.each([
    { who: { user: 'ann@example.com' }, action: 'settings', ws: undefined, allowed: true, reason: 'TenantActionAllowed', message: 'Role Admin allows settings in the tenant' },
    { who: { user: 'BOB@example.com' }, action: 'execute', ws: 'ws1', allowed: true, reason: 'WorkspaceMember', message: 'Role Builder allows execute in its workspace "ws1"' },
    { who: { user: 'bob@example.com' }, action: 'execute', ws: 'ws2', allowed: false, reason: 'NotInWorkspace', message: 'User "bob" is not a member of workspace "ws2"' },
    { who: { user: 'bob@example.com' }, action: 'read', ws: 'nope', allowed: false, reason: 'NotInWorkspace', message: 'User "bob" is not a member of workspace "nope"' },
    { who: { user: 'ann@example.com' }, action: 'read', ws: 'nope', allowed: false, reason: 'UnknownWorkspace', message: 'Workspace "nope" does not exist in tenant "acme"' },
    { who: { user: 'ivy@example.com' }, action: 'settings', ws: undefined, allowed: false, reason: 'PrincipalNotActive', message: 'User "ivy" is Invited, not Active' },
    { who: { user: 'dan@example.com' }, action: 'portal', ws: undefined, allowed: false, reason: 'PrincipalNotActive', message: 'User "dan" is Inactive, not Active' },
    { who: { user: 'eve@example.com' }, action: 'portal', ws: undefined, allowed: false, reason: 'UnknownPrincipal', message: 'The principal is not known in this tenant' },
    { who: { serviceAccount: 'ci' }, action: 'write', ws: 'ws1', allowed: true, reason: 'WorkspaceMember', message: 'Role Consumer allows write in its workspace "ws1"' },
    { who: { serviceAccount: 'ci' }, action: 'execute', ws: 'ws1', allowed: false, reason: 'RoleLacksAction', message: 'Role Consumer does not allow execute' },
  ] as const)('$who $action $ws → $reason', ({ who, action, ws, allowed, reason, message }) => {
    expect(explainAccess(facts(), who, action, ws).decision).toEqual({ allowed, reason, message });
  });

  it('takes a verified key\'s verdict as it is, and says InvalidApiKey for one that did not verify', () => {
    const ok = explainAccess(facts(), { apiKey: { ok: true, tenant: 'acme', namespace: NS, name: 'ci', uid: 'u', role: 'Consumer', workspaces: ['ws1'], keyId: 'k1', keyState: 'current' } }, 'read', 'ws1');
    expect(ok.decision).toMatchObject({ allowed: true, reason: 'WorkspaceMember' });
    expect(ok.principal).toBe('API key (stdin)');
    expect(ok.facts.key).toEqual({ verified: true, serviceAccount: 'ci', keyId: 'k1', keyState: 'current' });
    expect(ok.facts.serviceAccount).toMatchObject({ name: 'ci', keyId: 'k1' });
    const bad = explainAccess(facts(), { apiKey: { ok: false, reason: 'expired' } }, 'read', 'ws1');
    expect(bad.decision).toMatchObject({ allowed: false, reason: 'InvalidApiKey' });
    expect(bad.facts.key).toEqual({ verified: false, reason: 'expired' });
    expect(bad.rbac).toMatchObject({ checked: false });
  });

  it('says UnknownTenant when the Tenant is gone or its namespace is not labelled for it', () => {
    expect(explainAccess(facts({ tenant: undefined }), { user: 'ann@example.com' }, 'portal').decision.reason).toBe('UnknownTenant');
    const deleting = facts({ namespaceObject: { metadata: { name: NS, labels: { 'accounts.blinkops.com/tenant': 'acme' }, deletionTimestamp: '2026-01-01T00:00:00Z' } } });
    expect(explainAccess(deleting, { user: 'ann@example.com' }, 'portal')).toMatchObject({ decision: { reason: 'UnknownTenant' }, facts: { tenantGrantsAccess: false } });
  });

  it('shows the facts: phase, role, workspaces, standing, the bindings RBAC has, and who made them', () => {
    const e = explainAccess(facts(), { user: 'bob@example.com' }, 'execute', 'ws1');
    expect(e.facts).toEqual({
      tenantGrantsAccess: true,
      workspaceExists: true,
      user: {
        email: 'bob@example.com', name: 'bob', phase: 'Active', active: true, role: 'Builder', workspaces: ['ws1'], standing: 'Active', expectedBinding: 'blink-user-bob',
        bindings: [{ name: 'blink-user-bob', clusterRole: 'blink-accounts-builder', managedByOperator: true }],
      },
    });
    const ivy = explainAccess(facts({ roleBindings: [binding('by-hand', 'IVY@example.com', 'blink-accounts-admin', false)] }), { user: 'ivy@example.com' }, 'settings');
    expect(ivy.facts.user).toMatchObject({ phase: 'Invited', standing: 'Invited', bindings: [{ name: 'by-hand', clusterRole: 'blink-accounts-admin', managedByOperator: false }] });
  });
});

describe('the RBAC check and disagreement detection', () => {
  it('checks the counterpart of portal and settings for users, and agrees when RBAC answers as the bindings do', () => {
    const ann = explainAccess(facts(), { user: 'ann@example.com' }, 'settings');
    expect(ann.rbac).toEqual({ checked: true, subject: 'ann@example.com', permission: 'create users.accounts.blinkops.com', namespace: NS, allowed: true });
    expect(ann.disagreement).toBeUndefined();
    expect(explainAccess(facts(), { user: 'ivy@example.com' }, 'settings').disagreement).toBeUndefined();
    expect(explainAccess(facts(), { user: 'bob@example.com' }, 'portal', undefined).rbac).toMatchObject({ checked: true, permission: 'list users.accounts.blinkops.com' });
  });

  it('does not check what has no Kubernetes counterpart: workspace actions, service accounts, keys', () => {
    expect(explainAccess(facts(), { user: 'bob@example.com' }, 'execute', 'ws1').rbac).toEqual({ checked: false, why: 'execute has no Kubernetes counterpart: RBAC binds the whole namespace, never one workspace (no check)' });
    expect(explainAccess(facts(), { serviceAccount: 'ops' }, 'settings').rbac).toMatchObject({ checked: false, why: expect.stringContaining('no Kubernetes identity') });
  });

  it('flags RBAC allowing what the access API denies (a hand-made binding for an Invited user) as a disagreement', () => {
    const e = explainAccess(facts({ rbac: new Map([['ivy@example.com', true]]) }), { user: 'ivy@example.com' }, 'settings');
    expect(e.decision.allowed).toBe(false);
    expect(e.disagreement).toBe('the access API denies this (PrincipalNotActive), but Kubernetes RBAC lets ivy@example.com create users.accounts.blinkops.com in tenant-acme');
  });

  it('flags the access API allowing what RBAC denies (an Active user\'s binding deleted)', () => {
    const e = explainAccess(facts({ roleBindings: [], rbac: new Map([['ann@example.com', false]]) }), { user: 'ann@example.com' }, 'portal');
    expect(e.decision.allowed).toBe(true);
    expect(e.disagreement).toBe('the access API allows this (TenantActionAllowed), but Kubernetes RBAC does not let ann@example.com list users.accounts.blinkops.com in tenant-acme');
  });

  it.each([
    { allowed: true, rbac: true, bug: false },
    { allowed: false, rbac: false, bug: false },
    { allowed: true, rbac: false, bug: true },
    { allowed: false, rbac: true, bug: true },
  ])('findDisagreement: access API $allowed, RBAC $rbac → bug $bug', ({ allowed, rbac, bug }) => {
    const check = { checked: true, subject: 'x@y.z', permission: 'list users.accounts.blinkops.com', namespace: NS, allowed: rbac } as const;
    expect(findDisagreement({ allowed, reason: 'TenantActionAllowed' }, check) !== undefined).toBe(bug);
    expect(findDisagreement({ allowed, reason: 'TenantActionAllowed' }, { checked: false, why: 'no counterpart' })).toBeUndefined();
  });
});

describe('whoCan', () => {
  it('lists exactly the users and service accounts that may, by the same decision', () => {
    const names = (action: 'settings' | 'portal' | 'execute' | 'write', ws?: string) => whoCan(facts(), action, ws).allowed.map((e) => e.principal);
    expect(names('settings')).toEqual(['ann@example.com', 'sa/ops']);
    expect(names('portal')).toEqual(['ann@example.com', 'bob@example.com', 'sa/ci', 'sa/ops']);
    expect(names('execute', 'ws1')).toEqual(['ann@example.com', 'bob@example.com', 'sa/ops']);
    expect(names('write', 'ws2')).toEqual(['ann@example.com', 'sa/ops']);
  });

  it('reports every disagreement, also about principals RBAC alone lets in', () => {
    const f = facts({ roleBindings: [...facts().roleBindings, binding('by-hand', 'mallory@example.com', 'blink-accounts-admin', false)], rbac: new Map([...facts().rbac, ['mallory@example.com', true]]) });
    expect(emailsToReview(f)).toEqual(['ann@example.com', 'bob@example.com', 'dan@example.com', 'ivy@example.com', 'mallory@example.com']);
    const answer = whoCan(f, 'settings');
    expect(answer.allowed.map((e) => e.principal)).toEqual(['ann@example.com', 'sa/ops']);
    expect(answer.disagreements).toEqual([
      expect.objectContaining({ principal: 'mallory@example.com', reason: 'UnknownPrincipal', disagreement: expect.stringContaining('Kubernetes RBAC lets mallory@example.com create users') }),
    ]);
  });
});

describe('a tenant with an identity provider: RBAC knows people by <usernamePrefix><email>', () => {
  const idpTenant = { metadata: { name: 'acme' }, spec: { displayName: 'Acme', identityProvider: { issuerURL: 'https://idp.acme.test', clientID: 'blink', clientSecretRef: { name: 'oidc' } } } } as Tenant & KubeObject;
  const prefixed = (email: string) => `https://idp.acme.test#${email}`;

  it('finds the user\'s binding by the issuer-scoped name, reviews that name, and does not count a bare-email binding as theirs', () => {
    const f = facts({
      tenant: idpTenant,
      roleBindings: [binding('blink-user-ann', prefixed('ann@example.com'), 'blink-accounts-admin'), binding('by-hand', 'bob@example.com', 'blink-accounts-admin', false)],
    });
    const ann = explainAccess(f, { user: 'ann@example.com' }, 'settings');
    expect(ann.facts.user).toMatchObject({ bindings: [{ name: 'blink-user-ann', clusterRole: 'blink-accounts-admin', managedByOperator: true }] });
    expect(ann.rbac).toMatchObject({ checked: true, subject: prefixed('ann@example.com') });
    // A binding naming Bob's bare email grants Bob (known to Kubernetes by the prefixed name) nothing.
    expect(explainAccess(f, { user: 'bob@example.com' }, 'settings').facts.user).toMatchObject({ bindings: [] });
  });

  it('asks who-can about the email behind the prefix, once', () => {
    const f = facts({ tenant: idpTenant, roleBindings: [binding('blink-user-ann', prefixed('ann@example.com'), 'blink-accounts-admin')] });
    expect(emailsToReview(f)).toEqual(['ann@example.com', 'bob@example.com', 'dan@example.com', 'ivy@example.com']);
  });
});
