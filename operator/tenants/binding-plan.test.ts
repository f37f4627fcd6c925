import { describe, expect, it } from 'vitest';
import type { Tenant, User } from '../api/index.js';
import type { KubeObject } from '../runtime/kinds.js';
import { bindingName, desiredBinding, planBinding } from './binding-plan.js';
import type { BindingPlan, RoleBinding } from './binding-plan.js';

type U = User & KubeObject;
type T = Tenant & KubeObject;

function user(overrides: { phase?: 'Invited' | 'Active' | 'Inactive'; active?: boolean; role?: string; email?: string; deleting?: boolean } = {}): U {
  return {
    metadata: { name: 'jane', namespace: 'tenant-acme', uid: 'uid-jane', ...(overrides.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { email: overrides.email ?? 'jane@example.com', role: (overrides.role ?? 'Admin') as 'Admin', ...(overrides.active !== undefined ? { active: overrides.active } : {}) },
    ...(overrides.phase ? { status: { phase: overrides.phase } } : {}),
  } as U;
}

function tenant(allowedEmailDomains?: string[], deleting = false): T {
  return {
    metadata: { name: 'acme', ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { displayName: 'Acme', ...(allowedEmailDomains ? { allowedEmailDomains } : {}) },
  } as T;
}

const bound = (u: U, role = 'blink-accounts-admin'): RoleBinding => ({ ...desiredBinding(u, 'acme'), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role } });

describe('planBinding', () => {
  const active = user({ phase: 'Active' });
  const cases: { name: string; user: U | undefined; tenant: T | undefined; existing?: RoleBinding; want: BindingPlan['action'] }[] = [
    { name: 'binds an Active user', user: active, tenant: tenant(), want: 'apply' },
    {
      name: 'keeps a binding as the API server returns it (subject fields in its order): no write',
      user: active,
      tenant: tenant(),
      existing: { ...bound(active), subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'jane@example.com' }] },
      want: 'none',
    },
    { name: 'keeps a converged binding', user: active, tenant: tenant(), existing: bound(active), want: 'none' },
    { name: 'replaces a binding whose role changed (roleRef is immutable)', user: active, tenant: tenant(), existing: bound(active, 'blink-accounts-consumer'), want: 'replace' },
    { name: 'fixes a binding whose subject was edited', user: active, tenant: tenant(), existing: { ...bound(active), subjects: [{ kind: 'User', name: 'mallory@example.com' }] }, want: 'apply' },
    { name: 'fixes a binding that lost its labels', user: active, tenant: tenant(), existing: { ...bound(active), metadata: { ...bound(active).metadata, labels: {} } }, want: 'apply' },
    { name: 'does not bind an Invited user', user: user({ phase: 'Invited' }), tenant: tenant(), want: 'none' },
    { name: 'does not bind a user without status yet', user: user(), tenant: tenant(), want: 'none' },
    { name: 'unbinds a deactivated user (spec first, before status follows)', user: user({ phase: 'Active', active: false }), tenant: tenant(), existing: bound(active), want: 'delete' },
    { name: 'unbinds an Inactive user', user: user({ phase: 'Inactive', active: false }), tenant: tenant(), existing: bound(active), want: 'delete' },
    { name: 'unbinds a removed user', user: undefined, tenant: tenant(), existing: bound(active), want: 'delete' },
    { name: 'unbinds a user being deleted', user: user({ phase: 'Active', deleting: true }), tenant: tenant(), existing: bound(active), want: 'delete' },
    { name: 'unbinds when the tenant is gone', user: active, tenant: undefined, existing: bound(active), want: 'delete' },
    { name: 'unbinds when the tenant is being deleted', user: active, tenant: tenant(undefined, true), existing: bound(active), want: 'delete' },
    { name: 'unbinds a user whose domain is not allowed', user: active, tenant: tenant(['acme.io']), existing: bound(active), want: 'delete' },
    { name: 'binds a user whose domain is allowed', user: active, tenant: tenant(['example.com']), want: 'apply' },
    { name: 'does nothing for a removed user without binding', user: undefined, tenant: tenant(), want: 'none' },
  ];
  it.each(cases)('$name', ({ user: u, tenant: t, existing, want }) => {
    expect(planBinding({ user: u, tenant: t, existing, sameEmail: u ? [u] : [] }).action).toBe(want);
  });

  it.each([
    ['Admin', 'blink-accounts-admin'],
    ['Builder', 'blink-accounts-builder'],
    ['Consumer', 'blink-accounts-consumer'],
  ])('binds a %s to ClusterRole %s by email, owned by the User', (role, clusterRole) => {
    const plan = planBinding({ user: user({ phase: 'Active', role }), tenant: tenant(), existing: undefined, sameEmail: [] });
    expect(plan.action).toBe('apply');
    const binding = (plan as { binding: RoleBinding }).binding;
    expect(binding.metadata?.name).toBe(bindingName('jane'));
    expect(binding.metadata?.namespace).toBe('tenant-acme');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole });
    expect(binding.subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'jane@example.com' }]);
    expect(binding.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'User', name: 'jane', uid: 'uid-jane', controller: true })]);
    expect(binding.metadata?.labels).toMatchObject({ 'accounts.blinkops.com/tenant': 'acme', 'accounts.blinkops.com/user': 'jane', 'app.kubernetes.io/component': 'rbac' });
  });
});

describe('the subject of a tenant with an identity provider', () => {
  const active = user({ phase: 'Active', email: 'Jane@Example.com' });
  const withProvider = (prefix?: string): T =>
    ({ ...tenant(), spec: { displayName: 'Acme', identityProvider: { issuerURL: 'https://idp.acme.test', clientID: 'blink', clientSecretRef: { name: 'oidc' }, ...(prefix ? { usernamePrefix: prefix } : {}) } } }) as T;

  it.each([
    { name: 'issuer-scoped by default', tenant: withProvider(), subject: 'https://idp.acme.test#jane@example.com' },
    { name: 'behind the usernamePrefix the tenant chose', tenant: withProvider('acme:'), subject: 'acme:jane@example.com' },
    { name: 'the bare email without a provider', tenant: tenant(), subject: 'jane@example.com' },
  ])('names the person $name', ({ tenant: t, subject }) => {
    const plan = planBinding({ user: active, tenant: t, existing: undefined, sameEmail: [active] });
    expect(plan.action === 'apply' && plan.binding.subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: subject }]);
  });

  it('rewrites the bare-email binding when the tenant gains a provider (the email alone no longer gets in)', () => {
    const plan = planBinding({ user: active, tenant: withProvider(), existing: desiredBinding(active, 'acme'), sameEmail: [active] });
    expect(plan.action).toBe('apply');
  });
});
