import { describe, expect, it } from 'vitest';
import type { ServiceAccount, Tenant, User } from '../api/index.js';
import { countUsers, tenantStatus } from './tenant-status.js';

const user = (phase?: 'Invited' | 'Active' | 'Inactive', deleting = false) =>
  ({ metadata: { name: 'u', ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) }, spec: { email: 'a@b.c', role: 'Admin' }, ...(phase ? { status: { phase } } : {}) }) as unknown as User;
const sa = { metadata: { name: 'ci' }, spec: { role: 'Builder' } } as unknown as ServiceAccount;
const tenant = { metadata: { name: 'acme', generation: 3 }, spec: { displayName: 'Acme' } } as unknown as Tenant;
const ready = { ready: true, reason: 'NamespaceReady', message: 'Namespace "tenant-acme" belongs to the tenant' };

describe('countUsers', () => {
  it('counts per phase; no status yet counts as Invited; deleting users are not counted', () => {
    expect(countUsers([user('Active'), user('Active'), user('Inactive'), user('Invited'), user(), user('Active', true)])).toEqual({ invited: 2, active: 2, inactive: 1 });
  });
});

describe('tenantStatus', () => {
  it('reports namespace, counts and True conditions with observedGeneration', () => {
    const status = tenantStatus({ tenant, namespace: 'tenant-acme', outcome: ready, users: [user('Active')], serviceAccounts: [sa], now: 0 });
    expect(status).toMatchObject({ namespace: 'tenant-acme', users: { invited: 0, active: 1, inactive: 0 }, serviceAccounts: 1, observedGeneration: 3 });
    expect(status.conditions?.map((c) => [c.type, c.status, c.reason, c.observedGeneration])).toEqual([
      ['NamespaceReady', 'True', 'NamespaceReady', 3],
      ['Ready', 'True', 'TenantReady', 3],
    ]);
  });

  it('derives an identical status on the next pass, so nothing is written again', () => {
    const first = tenantStatus({ tenant, namespace: 'tenant-acme', outcome: ready, users: [], serviceAccounts: [], now: 1_000_000 });
    const second = tenantStatus({ tenant: { ...tenant, status: first } as Tenant, namespace: 'tenant-acme', outcome: ready, users: [], serviceAccounts: [], now: 9_000_000 });
    expect(second).toEqual(first);
  });

  it('reports a refused namespace as Ready=False with its reason, and counts nothing', () => {
    const refused = { ready: false, reason: 'NamespaceOwnedByAnotherTenant', message: 'Namespace "x" belongs to tenant "globex"; give this tenant another namespace' };
    const status = tenantStatus({ tenant, namespace: 'x', outcome: refused, users: [user('Active')], serviceAccounts: [sa], now: 0 });
    expect(status.namespace).toBeUndefined();
    expect(status).toMatchObject({ users: { invited: 0, active: 0, inactive: 0 }, serviceAccounts: 0 });
    expect(status.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'NamespaceOwnedByAnotherTenant' });
  });

  it('keeps the recorded namespace uid, and sets UndeclaredAccess only for an adopted namespace', () => {
    const recorded = { ...tenant, status: { createdNamespaceUID: 'ns-1' } } as unknown as Tenant;
    const undeclaredAccess = { type: 'UndeclaredAccess', status: 'True' as const, reason: 'UndeclaredRoleBindings', message: 'x' };
    const adopted = tenantStatus({ tenant: recorded, namespace: 'tenant-acme', outcome: ready, users: [], serviceAccounts: [], undeclaredAccess, now: 0 });
    expect(adopted.createdNamespaceUID).toBe('ns-1');
    expect(adopted.conditions?.find((c) => c.type === 'UndeclaredAccess')).toMatchObject({ status: 'True', reason: 'UndeclaredRoleBindings' });
    expect(adopted.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    const later = tenantStatus({ tenant: { ...recorded, status: adopted } as Tenant, namespace: 'tenant-acme', outcome: { ...ready, ready: false, reason: 'NamespaceTerminating' }, users: [], serviceAccounts: [], now: 0 });
    expect(later.conditions?.map((c) => c.type)).not.toContain('UndeclaredAccess');
  });
});

describe('tenantStatus with an identity provider', () => {
  const up = { type: 'IdentityProviderReady', status: 'True' as const, reason: 'IdentityProviderReady', message: 'Invitations are accepted by signing in at https://idp.acme.test' };
  const down = { type: 'IdentityProviderReady', status: 'False' as const, reason: 'IdentityProviderSecretMissing', message: 'The client secret of the identity provider is missing: Secret "tenant-acme/oidc" does not exist' };

  it('is Ready with IdentityProviderReady=True when the provider can be used', () => {
    const status = tenantStatus({ tenant, namespace: 'tenant-acme', outcome: ready, users: [], serviceAccounts: [], identityProvider: up, now: 0 });
    expect(status.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['NamespaceReady', 'True', 'NamespaceReady'],
      ['Ready', 'True', 'TenantReady'],
      ['IdentityProviderReady', 'True', 'IdentityProviderReady'],
    ]);
  });

  it('is Ready=False with the provider\'s reason and message when it cannot be used', () => {
    const status = tenantStatus({ tenant, namespace: 'tenant-acme', outcome: ready, users: [], serviceAccounts: [], identityProvider: down, now: 0 });
    expect(status.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'IdentityProviderSecretMissing', message: down.message });
    expect(status.conditions?.find((c) => c.type === 'IdentityProviderReady')).toMatchObject({ status: 'False', reason: 'IdentityProviderSecretMissing' });
  });

  it('drops IdentityProviderReady when the provider is removed', () => {
    const first = tenantStatus({ tenant, namespace: 'tenant-acme', outcome: ready, users: [], serviceAccounts: [], identityProvider: down, now: 0 });
    const second = tenantStatus({ tenant: { ...tenant, status: first } as Tenant, namespace: 'tenant-acme', outcome: ready, users: [], serviceAccounts: [], now: 1 });
    expect(second.conditions?.map((c) => c.type)).toEqual(['NamespaceReady', 'Ready']);
    expect(second.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True' });
  });
});
