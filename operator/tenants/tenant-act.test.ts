// Table tests of the act steps of the tenants feature against the fake writer:
// the namespace plan (Tenant controller) and the binding plan (RoleBindings).
import { describe, expect, it } from 'vitest';
import type { Tenant, User } from '../api/index.js';
import { ApiError } from '../runtime/errors.js';
import { FakeKubeWriter } from '../runtime/fake-kube-writer.js';
import { builtinKinds } from '../runtime/kinds.js';
import type { KubeObject } from '../runtime/kinds.js';
import { applyBindingPlan } from './binding-controller.js';
import { desiredBinding } from './binding-plan.js';
import type { BindingPlan } from './binding-plan.js';
import type { NamespacePlan } from './namespace-plan.js';
import { applyNamespacePlan } from './tenant-controller.js';

const tenant = { metadata: { name: 'acme', uid: 't1' }, spec: { displayName: 'Acme' }, status: {} } as Tenant & KubeObject;
const existingNs = { metadata: { name: 'tenant-acme', resourceVersion: '3', labels: { team: 'x' } } };

describe('applyNamespacePlan', () => {
  const rows: { name: string; plan: NamespacePlan; seed: boolean; writes: string[]; events: string[]; ready: boolean; labels?: Record<string, string> }[] = [
    { name: 'create', plan: { action: 'create', labels: { 'accounts.blinkops.com/tenant': 'acme' } }, seed: false, writes: ['create Namespace tenant-acme'], events: ['Normal/NamespaceCreated'], ready: true, labels: { 'accounts.blinkops.com/tenant': 'acme' } },
    {
      name: 'adopt: labels added, its own kept',
      plan: { action: 'label', labels: { 'accounts.blinkops.com/tenant': 'acme' }, adopt: true },
      seed: true,
      writes: ['patch Namespace tenant-acme'],
      events: ['Normal/NamespaceAdopted'],
      ready: true,
      labels: { team: 'x', 'accounts.blinkops.com/tenant': 'acme' },
    },
    { name: 'fix a drifted label: no Event', plan: { action: 'label', labels: { 'accounts.blinkops.com/shard': 's' }, adopt: false }, seed: true, writes: ['patch Namespace tenant-acme'], events: [], ready: true },
    { name: 'none: no write', plan: { action: 'none' }, seed: true, writes: [], events: [], ready: true },
    { name: 'refuse: no write, one Warning', plan: { action: 'refuse', reason: 'NamespaceOwnedByAnotherTenant', message: 'no' }, seed: true, writes: [], events: ['Warning/NamespaceOwnedByAnotherTenant'], ready: false },
  ];
  it.each(rows)('$name', async (row) => {
    const fake = new FakeKubeWriter(row.seed ? [{ kind: builtinKinds.namespace, object: existingNs }] : []);
    const outcome = await applyNamespacePlan(fake.act(), tenant, 'tenant-acme', row.plan);
    expect(fake.writes).toEqual(row.writes);
    expect(fake.events.map((e) => `${e.type}/${e.reason}`)).toEqual(row.events);
    expect(outcome.ready).toBe(row.ready);
    if (row.labels) expect(fake.stored(builtinKinds.namespace, undefined, 'tenant-acme')?.metadata?.labels).toEqual(row.labels);
  });

  it('a refusal already reported in status is not reported again', async () => {
    const refused = { ...tenant, status: { conditions: [{ type: 'NamespaceReady', status: 'False', reason: 'NamespaceOwnedByAnotherTenant', message: 'no', lastTransitionTime: '2026-01-01T00:00:00Z' }] } } as Tenant & KubeObject;
    const fake = new FakeKubeWriter();
    await applyNamespacePlan(fake.act(), refused, 'tenant-acme', { action: 'refuse', reason: 'NamespaceOwnedByAnotherTenant', message: 'no' });
    expect(fake.events).toEqual([]);
  });
});

describe('applyBindingPlan', () => {
  const jane = { metadata: { name: 'jane', namespace: 'tenant-acme', uid: 'u1' }, spec: { email: 'jane@acme.example', role: 'Builder' }, status: { phase: 'Active' } } as User & KubeObject;
  const binding = desiredBinding(jane, 'acme');
  const old = { ...binding, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'blink-accounts-admin' } };
  const rows: { name: string; plan: BindingPlan; seed: boolean; writes: string[]; role?: string }[] = [
    { name: 'apply', plan: { action: 'apply', binding }, seed: false, writes: ['apply RoleBinding tenant-acme/blink-user-jane'], role: 'blink-accounts-builder' },
    { name: 'replace after a role change: delete, then apply', plan: { action: 'replace', binding }, seed: true, writes: ['delete RoleBinding tenant-acme/blink-user-jane', 'apply RoleBinding tenant-acme/blink-user-jane'], role: 'blink-accounts-builder' },
    { name: 'delete', plan: { action: 'delete' }, seed: true, writes: ['delete RoleBinding tenant-acme/blink-user-jane'] },
    { name: 'none', plan: { action: 'none' }, seed: true, writes: [], role: 'blink-accounts-admin' },
  ];
  it.each(rows)('$name', async (row) => {
    const fake = new FakeKubeWriter(row.seed ? [{ kind: builtinKinds.roleBinding, object: old }] : []);
    await applyBindingPlan(fake.act(), row.plan, { namespace: 'tenant-acme', userName: 'jane', why: 'Active' });
    expect(fake.writes).toEqual(row.writes);
    const stored = fake.stored<KubeObject & { roleRef?: { name: string } }>(builtinKinds.roleBinding, 'tenant-acme', 'blink-user-jane');
    expect(stored?.roleRef?.name).toBe(row.role);
    expect(fake.events).toEqual([]);
  });

  it('a failed delete during a role change leaves the old binding and applies nothing', async () => {
    const fake = new FakeKubeWriter([{ kind: builtinKinds.roleBinding, object: old }]).failNext('delete', new ApiError('timeout', 504));
    await expect(applyBindingPlan(fake.act(), { action: 'replace', binding }, { namespace: 'tenant-acme', userName: 'jane', why: 'Active' })).rejects.toThrow('timeout');
    expect(fake.writes).toEqual(['delete RoleBinding tenant-acme/blink-user-jane']);
  });
});
