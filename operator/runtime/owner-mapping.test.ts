import { describe, expect, it } from 'vitest';
import type { KindDescriptor } from './kinds.js';
import { controllerOwnerKey, labelOwnerInNamespace, labelOwnerKey } from './owner-mapping.js';

const serviceAccount: KindDescriptor = { group: 'accounts.blinkops.com', version: 'v1alpha1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true };
const tenant: KindDescriptor = { group: 'accounts.blinkops.com', version: 'v1alpha1', kind: 'Tenant', plural: 'tenants', namespaced: false };

describe('controllerOwnerKey', () => {
  const ref = { apiVersion: 'accounts.blinkops.com/v1alpha1', kind: 'ServiceAccount', name: 'ci', uid: 'u1', controller: true };
  it('maps an owned object to its controller owner in the same namespace', () => {
    expect(controllerOwnerKey(serviceAccount)({ metadata: { namespace: 't1', name: 'ci-key', ownerReferences: [ref] } })).toEqual(['t1/ci']);
  });
  it('ignores non-controller references and other kinds or groups', () => {
    const map = controllerOwnerKey(serviceAccount);
    expect(map({ metadata: { namespace: 't1', ownerReferences: [{ ...ref, controller: false }] } })).toEqual([]);
    expect(map({ metadata: { namespace: 't1', ownerReferences: [{ ...ref, apiVersion: 'v1' }] } })).toEqual([]);
    expect(map({ metadata: { namespace: 't1' } })).toEqual([]);
  });
  it('maps to a cluster-scoped owner by name', () => {
    expect(controllerOwnerKey(tenant)({ metadata: { namespace: 'tenant-acme', ownerReferences: [{ ...ref, kind: 'Tenant', name: 'acme' }] } })).toEqual(['acme']);
  });
});

describe('labelOwnerKey', () => {
  it('maps by name and namespace labels', () => {
    const map = labelOwnerKey('blink/owner-name', 'blink/owner-namespace');
    expect(map({ metadata: { labels: { 'blink/owner-name': 'u', 'blink/owner-namespace': 'ns' } } })).toEqual(['ns/u']);
    expect(map({ metadata: { labels: { 'blink/owner-name': 'u' } } })).toEqual([]);
    expect(labelOwnerKey('blink/tenant')({ metadata: { labels: { 'blink/tenant': 'acme' } } })).toEqual(['acme']);
  });
});

describe('labelOwnerInNamespace', () => {
  it('maps to the owner named by the label in the object’s own namespace', () => {
    const map = labelOwnerInNamespace('accounts.blinkops.com/user');
    expect(map({ metadata: { namespace: 'tenant-a', labels: { 'accounts.blinkops.com/user': 'jane' } } })).toEqual(['tenant-a/jane']);
    expect(map({ metadata: { namespace: 'tenant-a', labels: {} } })).toEqual([]);
    expect(map({ metadata: { labels: { 'accounts.blinkops.com/user': 'jane' } } })).toEqual([]);
  });
});
