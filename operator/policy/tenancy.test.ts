import { describe, expect, it } from 'vitest';
import { CREATED_FOR_ANNOTATION, TENANT_LABEL } from '../api/index.js';
import type { DeletionPolicy } from '../api/index.js';
import { createdForTenant, namespaceDeletion, reservedNamespace } from './tenancy.js';
import type { NamespaceDeletion, TenantIdentity } from './tenancy.js';

describe('reservedNamespace', () => {
  it.each([
    ['kube-system', true],
    ['kube-public', true],
    ['kube-node-lease', true],
    ['kube-anything', true],
    ['default', true],
    ['blink-accounts-system', true],
    ['tenant-acme', false],
    ['payments-prod', false],
    ['kubernetes', false],
  ])('%s → reserved: %s', (namespace, reserved) => {
    expect(reservedNamespace(namespace, 'blink-accounts-system') !== undefined).toBe(reserved);
  });

  it('follows the operator namespace it is given, and keeps the install namespace reserved', () => {
    expect(reservedNamespace('ops', 'ops')).toContain("operator's own");
    expect(reservedNamespace('blink-accounts-system', 'ops')).toContain("operator's own");
    expect(reservedNamespace('ops', 'blink-accounts-system')).toBeUndefined();
  });
});

const tenant: TenantIdentity = { name: 'acme', uid: 'uid-acme', createdNamespaceUID: 'ns-1' };
const ns = (uid: string, options: { label?: string; createdFor?: string } = {}) => ({
  metadata: {
    name: 'tenant-acme',
    uid,
    labels: options.label !== undefined ? { [TENANT_LABEL]: options.label } : {},
    annotations: options.createdFor !== undefined ? { [CREATED_FOR_ANNOTATION]: options.createdFor } : {},
  },
});

describe('createdForTenant', () => {
  it.each([
    { name: 'the recorded namespace, marked for the tenant', namespace: ns('ns-1', { createdFor: 'uid-acme' }), tenant, want: true },
    { name: 'same name, made again (another uid)', namespace: ns('ns-2', { createdFor: 'uid-acme' }), tenant, want: false },
    { name: 'the recorded uid, but marked for another Tenant uid', namespace: ns('ns-1', { createdFor: 'uid-old' }), tenant, want: false },
    { name: 'the recorded uid, not marked', namespace: ns('ns-1'), tenant, want: false },
    { name: 'no record in status', namespace: ns('ns-1', { createdFor: 'uid-acme' }), tenant: { ...tenant, createdNamespaceUID: undefined }, want: false },
    { name: 'no namespace', namespace: undefined, tenant, want: false },
  ])('$name → $want', ({ namespace, tenant: t, want }) => {
    expect(createdForTenant(namespace, t)).toBe(want);
  });
});

describe('namespaceDeletion', () => {
  const rows: { name: string; policy: DeletionPolicy | undefined; tenant?: TenantIdentity; namespace: ReturnType<typeof ns> | undefined; want: NamespaceDeletion }[] = [
    { name: 'Delete, created for the tenant: delete, on its uid', policy: 'Delete', namespace: ns('ns-1', { label: 'acme', createdFor: 'uid-acme' }), want: { action: 'delete', uid: 'ns-1' } },
    { name: 'Delete, adopted: release', policy: 'Delete', namespace: ns('ns-9', { label: 'acme' }), want: { action: 'release', why: 'notCreatedForTenant' } },
    { name: 'Delete, made again under the same name: release', policy: 'Delete', namespace: ns('ns-2', { label: 'acme', createdFor: 'uid-acme' }), want: { action: 'release', why: 'notCreatedForTenant' } },
    { name: 'Delete, created for an earlier Tenant of the same name: release', policy: 'Delete', namespace: ns('ns-1', { label: 'acme', createdFor: 'uid-old' }), want: { action: 'release', why: 'notCreatedForTenant' } },
    {
      name: 'Delete, marked for the tenant but the status record lost: release, and say why',
      policy: 'Delete',
      tenant: { ...tenant, createdNamespaceUID: undefined },
      namespace: ns('ns-1', { label: 'acme', createdFor: 'uid-acme' }),
      want: { action: 'release', why: 'recordLost' },
    },
    { name: 'Retain, created for the tenant: keep', policy: 'Retain', namespace: ns('ns-1', { label: 'acme', createdFor: 'uid-acme' }), want: { action: 'keep' } },
    { name: 'no policy (Retain): keep', policy: undefined, namespace: ns('ns-1', { label: 'acme', createdFor: 'uid-acme' }), want: { action: 'keep' } },
    { name: 'another tenant\'s namespace: none', policy: 'Delete', namespace: ns('ns-1', { label: 'globex', createdFor: 'uid-acme' }), want: { action: 'none' } },
    { name: 'an unlabelled namespace (refused): none', policy: 'Delete', namespace: ns('ns-1'), want: { action: 'none' } },
    { name: 'no namespace: none', policy: 'Delete', namespace: undefined, want: { action: 'none' } },
  ];
  it.each(rows)('$name', ({ policy, tenant: t, namespace, want }) => {
    expect(namespaceDeletion(policy, t ?? tenant, namespace)).toEqual(want);
  });
});
