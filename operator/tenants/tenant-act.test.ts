// Table tests of the act steps of the tenants feature against the fake writer:
// the namespace plan, the deletion rule and the undeclared-access report (Tenant
// controller), and the binding plan (RoleBindings).
import { describe, expect, it } from 'vitest';
import { ACCOUNT_KINDS, CREATED_FOR_ANNOTATION, TENANT_LABEL } from '../api/index.js';
import type { Tenant, User } from '../api/index.js';
import type { NamespaceDeletion } from '../policy/index.js';
import { ApiError } from '../runtime/errors.js';
import { FakeKubeWriter } from '../runtime/fake-kube-writer.js';
import { builtinKinds } from '../runtime/kinds.js';
import type { KindDescriptor, KubeObject } from '../runtime/kinds.js';
import { applyBindingPlan } from './binding-act.js';
import { desiredBinding } from './binding-plan.js';
import type { BindingPlan } from './binding-plan.js';
import type { NamespacePlan } from './namespace-plan.js';
import { applyNamespaceDeletion, applyNamespacePlan, reportUndeclaredAccess } from './tenant-act.js';
import { undeclaredAccessCondition } from './undeclared-access.js';

const tenant = { metadata: { name: 'acme', uid: 't1' }, spec: { displayName: 'Acme' }, status: {} } as Tenant & KubeObject;
const existingNs = { metadata: { name: 'tenant-acme', uid: 'ns-1', resourceVersion: '3', labels: { team: 'x' } } };

/** The fake, plus what the API server does on create: a uid. */
class UidAssigningWriter extends FakeKubeWriter {
  override async create<T extends KubeObject>(kind: KindDescriptor, object: T): Promise<T> {
    return super.create(kind, { ...object, metadata: { ...object.metadata, uid: `uid-of-${object.metadata?.name ?? ''}` } });
  }
}

describe('applyNamespacePlan', () => {
  const rows: { name: string; plan: NamespacePlan; seed: boolean; writes: string[]; events: string[]; ready: boolean; labels?: Record<string, string | undefined> }[] = [
    {
      name: 'create: the namespace, then the record of its uid in the Tenant\'s status',
      plan: { action: 'create', labels: { [TENANT_LABEL]: 'acme' }, annotations: { [CREATED_FOR_ANNOTATION]: 't1' } },
      seed: false,
      writes: ['create Namespace tenant-acme', 'patch Tenant acme/status'],
      events: ['Normal/NamespaceCreated'],
      ready: true,
      labels: { [TENANT_LABEL]: 'acme' },
    },
    {
      name: 'adopt: labels added, its own kept',
      plan: { action: 'label', labels: { [TENANT_LABEL]: 'acme' }, adopt: true },
      seed: true,
      writes: ['patch Namespace tenant-acme'],
      events: ['Normal/NamespaceAdopted'],
      ready: true,
      labels: { team: 'x', [TENANT_LABEL]: 'acme' },
    },
    { name: 'fix a drifted label: no Event', plan: { action: 'label', labels: { 'accounts.blinkops.com/shard': 's' }, adopt: false }, seed: true, writes: ['patch Namespace tenant-acme'], events: [], ready: true },
    { name: 'none: no write', plan: { action: 'none' }, seed: true, writes: [], events: [], ready: true },
    { name: 'refuse: no write, one Warning', plan: { action: 'refuse', reason: 'NamespaceOwnedByAnotherTenant', message: 'no', unlabel: [] }, seed: true, writes: [], events: ['Warning/NamespaceOwnedByAnotherTenant'], ready: false },
    {
      name: 'refuse a reserved namespace labelled earlier: our label removed, its own kept, one Warning',
      plan: { action: 'refuse', reason: 'NamespaceReserved', message: 'no', unlabel: ['team-not-there', TENANT_LABEL] },
      seed: true,
      writes: ['patch Namespace tenant-acme'],
      events: ['Warning/NamespaceReserved'],
      ready: false,
      labels: { team: 'x' },
    },
  ];
  it.each(rows)('$name', async (row) => {
    const seeded = { ...existingNs, metadata: { ...existingNs.metadata, labels: { ...existingNs.metadata.labels, ...(row.plan.action === 'refuse' && row.plan.unlabel.length ? { [TENANT_LABEL]: 'acme' } : {}) } } };
    const fake = new UidAssigningWriter([{ kind: ACCOUNT_KINDS.tenant, object: tenant }, ...(row.seed ? [{ kind: builtinKinds.namespace, object: seeded }] : [])]);
    const { outcome } = await applyNamespacePlan(fake.act(), tenant, 'tenant-acme', row.plan, row.seed ? seeded : undefined);
    expect(fake.writes).toEqual(row.writes);
    expect(fake.events.map((e) => `${e.type}/${e.reason}`)).toEqual(row.events);
    expect(outcome.ready).toBe(row.ready);
    if (row.labels) expect(fake.stored(builtinKinds.namespace, undefined, 'tenant-acme')?.metadata?.labels).toEqual(row.labels);
  });

  it('create records the new namespace\'s uid in status and hands back the Tenant as written', async () => {
    const fake = new UidAssigningWriter([{ kind: ACCOUNT_KINDS.tenant, object: tenant }]);
    const result = await applyNamespacePlan(fake.act(), tenant, 'tenant-acme', { action: 'create', labels: {}, annotations: { [CREATED_FOR_ANNOTATION]: 't1' } }, undefined);
    expect(fake.stored(builtinKinds.namespace, undefined, 'tenant-acme')?.metadata?.annotations).toEqual({ [CREATED_FOR_ANNOTATION]: 't1' });
    expect((fake.stored(ACCOUNT_KINDS.tenant, undefined, 'acme') as Tenant | undefined)?.status?.createdNamespaceUID).toBe('uid-of-tenant-acme');
    expect((result.tenant as Tenant).status?.createdNamespaceUID).toBe('uid-of-tenant-acme');
    expect(result.namespace?.metadata?.uid).toBe('uid-of-tenant-acme');
  });

  it('a refusal already reported in status is not reported again', async () => {
    const refused = { ...tenant, status: { conditions: [{ type: 'NamespaceReady', status: 'False', reason: 'NamespaceOwnedByAnotherTenant', message: 'no', lastTransitionTime: '2026-01-01T00:00:00Z' }] } } as Tenant & KubeObject;
    const fake = new FakeKubeWriter();
    await applyNamespacePlan(fake.act(), refused, 'tenant-acme', { action: 'refuse', reason: 'NamespaceOwnedByAnotherTenant', message: 'no', unlabel: [] }, undefined);
    expect(fake.events).toEqual([]);
  });
});

describe('applyNamespaceDeletion', () => {
  const ours = { metadata: { name: 'tenant-acme', uid: 'ns-1', labels: { team: 'x', [TENANT_LABEL]: 'acme', 'app.kubernetes.io/managed-by': 'blink-accounts-operator' } } };
  const binding = (name: string) => ({ kind: builtinKinds.roleBinding, object: { metadata: { name, namespace: 'tenant-acme' } } });
  const seed = () => [{ kind: builtinKinds.namespace, object: ours }, binding('blink-user-jane'), binding('payments-admins')];
  const rows: { name: string; decision: NamespaceDeletion; writes: string[]; events: string[]; labels?: Record<string, string> | undefined; left: string[] }[] = [
    { name: 'none: nothing', decision: { action: 'none' }, writes: [], events: [], labels: ours.metadata.labels, left: ['blink-user-jane', 'payments-admins'] },
    { name: 'keep: nothing', decision: { action: 'keep' }, writes: [], events: [], labels: ours.metadata.labels, left: ['blink-user-jane', 'payments-admins'] },
    {
      name: 'delete: the namespace, on its uid',
      decision: { action: 'delete', uid: 'ns-1' },
      writes: ['delete Namespace tenant-acme'],
      events: ['Normal/NamespaceDeleted'],
      labels: undefined,
      left: ['blink-user-jane', 'payments-admins'],
    },
    {
      name: 'release (not created for it): our bindings deleted, our labels removed, its own kept, the namespace kept',
      decision: { action: 'release', why: 'notCreatedForTenant' },
      writes: ['delete RoleBinding tenant-acme/blink-user-jane', 'patch Namespace tenant-acme'],
      events: ['Normal/NamespaceReleased'],
      labels: { team: 'x' },
      left: ['payments-admins'],
    },
    {
      name: 'release (record lost): the same, with a Warning',
      decision: { action: 'release', why: 'recordLost' },
      writes: ['delete RoleBinding tenant-acme/blink-user-jane', 'patch Namespace tenant-acme'],
      events: ['Warning/NamespaceReleased'],
      labels: { team: 'x' },
      left: ['payments-admins'],
    },
  ];
  it.each(rows)('$name', async (row) => {
    const fake = new FakeKubeWriter(seed());
    await applyNamespaceDeletion(fake.act(), tenant, 'tenant-acme', row.decision, { observed: ours, bindings: ['blink-user-jane'] });
    expect(fake.writes).toEqual(row.writes);
    expect(fake.events.map((e) => `${e.type}/${e.reason}`)).toEqual(row.events);
    expect(fake.stored(builtinKinds.namespace, undefined, 'tenant-acme')?.metadata?.labels).toEqual(row.labels);
    expect(['blink-user-jane', 'payments-admins'].filter((name) => fake.stored(builtinKinds.roleBinding, 'tenant-acme', name))).toEqual(row.left);
  });

  it('delete refuses a namespace made again under the same name (uid precondition)', async () => {
    const fake = new FakeKubeWriter([{ kind: builtinKinds.namespace, object: { metadata: { ...ours.metadata, uid: 'ns-2' } } }]);
    await expect(applyNamespaceDeletion(fake.act(), tenant, 'tenant-acme', { action: 'delete', uid: 'ns-1' }, { observed: ours, bindings: [] })).rejects.toMatchObject({ code: 409 });
    expect(fake.stored(builtinKinds.namespace, undefined, 'tenant-acme')).toBeDefined();
  });

  it('release says what it kept and what it removed', async () => {
    const fake = new FakeKubeWriter(seed());
    await applyNamespaceDeletion(fake.act(), tenant, 'tenant-acme', { action: 'release', why: 'recordLost' }, { observed: ours, bindings: ['blink-user-jane'] });
    expect(fake.events[0]?.note).toMatch(/Kept namespace tenant-acme although deletionPolicy is Delete: .*no record of its uid.*its labels and 1 RoleBinding/);
  });
});

describe('reportUndeclaredAccess', () => {
  const found = undeclaredAccessCondition('tenant-acme', ['payments-admins'], 1);
  const withCondition = (condition: ReturnType<typeof undeclaredAccessCondition>) =>
    ({ ...tenant, status: { conditions: [{ ...condition, lastTransitionTime: '2026-01-01T00:00:00Z' }] } }) as Tenant & KubeObject;
  it.each([
    { name: 'first found: one Warning', tenant, condition: found, events: ['Warning/UndeclaredRoleBindings'] },
    { name: 'the same set again: none', tenant: withCondition(found), condition: found, events: [] },
    { name: 'another set: one Warning', tenant: withCondition(found), condition: undeclaredAccessCondition('tenant-acme', ['payments-admins', 'x'], 1), events: ['Warning/UndeclaredRoleBindings'] },
    { name: 'none found: none', tenant: withCondition(found), condition: undeclaredAccessCondition('tenant-acme', [], 1), events: [] },
  ])('$name', async (row) => {
    const fake = new FakeKubeWriter();
    await reportUndeclaredAccess(fake.act(), row.tenant, row.condition);
    expect(fake.events.map((e) => `${e.type}/${e.reason}`)).toEqual(row.events);
    expect(fake.writes).toEqual([]);
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
