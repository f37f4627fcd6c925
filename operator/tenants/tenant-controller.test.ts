// Table tests of a whole Tenant reconcile without a server: seeded caches
// (context.fixture.ts) and the fake writer, each pass starting from caches caught
// up with what the fake holds (as after a restart). Each row says which calls a
// pass makes, in order, which Events it records, the status it leaves and when it
// asks to look again.
import { describe, expect, it } from 'vitest';
import { ACCOUNT_KINDS, ADOPT_ANNOTATION, CREATED_FOR_ANNOTATION, FINALIZER, TENANT_LABEL, USER_LABEL } from '../api/index.js';
import type { Tenant, TenantStatus, User } from '../api/index.js';
import type { Cached } from '../context.js';
import { fakeOperatorContext } from '../context.fixture.js';
import { ManualClock } from '../runtime/clock.js';
import type { ReconcileResult } from '../runtime/errors.js';
import { seededCache } from '../runtime/fake-cache.js';
import { FakeKubeWriter } from '../runtime/fake-kube-writer.js';
import { builtinKinds } from '../runtime/kinds.js';
import type { KubeObject } from '../runtime/kinds.js';
import { desiredBinding } from './binding-plan.js';
import type { RoleBinding } from './binding-plan.js';
import { bindingSelector } from './binding-controller.js';
import { ADOPTED_RECHECK_MS, FOREIGN_BINDING_SELECTORS, NOT_OPTED_IN_RECHECK_MS, reconcileTenant } from './tenant-controller.js';

const NS = 'tenant-acme';

function tenant(spec: Partial<Tenant['spec']> = {}, meta: Record<string, unknown> = {}): Cached<Tenant> {
  return { apiVersion: 'accounts.blinkops.com/v1alpha1', kind: 'Tenant', metadata: { name: 'acme', uid: 'tenant-uid', resourceVersion: '5', generation: 1, ...meta }, spec: { displayName: 'Acme', ...spec } } as Cached<Tenant>;
}

function user(name: string, phase: 'Invited' | 'Active'): Cached<User> {
  return { metadata: { name, namespace: NS, uid: `user-${name}`, resourceVersion: '1' }, spec: { email: `${name}@acme.example`, role: 'Builder' }, status: { phase } } as Cached<User>;
}

/** One pass with caches caught up with `fake` (the namespace cache holds only labelled namespaces, as the scoping informer does). */
async function pass(fake: FakeKubeWriter, extra: { users?: Cached<User>[] } = {}): Promise<ReconcileResult> {
  const clock = new ManualClock(Date.UTC(2026, 5, 1));
  const tenants = (await fake.list<Cached<Tenant>>(ACCOUNT_KINDS.tenant)).items;
  const namespaces = (await fake.list(builtinKinds.namespace)).items.filter((ns) => ns.metadata?.labels?.[TENANT_LABEL] !== undefined);
  const { ctx } = await fakeOperatorContext({ clock, tenants, namespaces, users: extra.users ?? [] });
  const bindings = await seededCache<RoleBinding>(builtinKinds.roleBinding, (await fake.list<RoleBinding>(builtinKinds.roleBinding)).items);
  fake.calls.length = 0;
  fake.events.length = 0;
  return reconcileTenant(ctx, { namespaces: ctx.caches.tenantNamespaces, bindings: bindings.informer }, 'acme', fake.reconcileContext('acme', { clock }));
}

function calls(fake: FakeKubeWriter): string[] {
  return fake.calls.map((c) => `${c.verb} ${c.kind} ${c.namespace ? `${c.namespace}/` : ''}${c.name}${c.subresource ? `/${c.subresource}` : ''}`);
}

const events = (fake: FakeKubeWriter): string[] => fake.events.map((e) => `${e.type} ${e.reason}`);
const status = (fake: FakeKubeWriter): TenantStatus | undefined => fake.stored<Cached<Tenant>>(ACCOUNT_KINDS.tenant, undefined, 'acme')?.status;
const condition = (fake: FakeKubeWriter, type: string): string | undefined => {
  const c = status(fake)?.conditions?.find((x) => x.type === type);
  return c ? `${c.status} ${c.reason}` : undefined;
};

describe('reconcileTenant, a whole pass', () => {
  it('a new Tenant: finalizer, the namespace read (in no cache), created, its uid recorded at once, then status', async () => {
    const fake = new FakeKubeWriter([{ kind: ACCOUNT_KINDS.tenant, object: tenant() }]);
    expect(await pass(fake)).toBeUndefined();
    expect(calls(fake)).toEqual(['patch Tenant acme', 'get Namespace tenant-acme', 'create Namespace tenant-acme', 'patch Tenant acme/status', 'patch Tenant acme/status']);
    expect(events(fake)).toEqual(['Normal NamespaceCreated']);
    const uid = fake.stored(builtinKinds.namespace, undefined, NS)?.metadata?.uid;
    expect(status(fake)?.createdNamespaceUID).toBe(uid);
    expect(fake.stored(builtinKinds.namespace, undefined, NS)?.metadata?.annotations).toEqual({ [CREATED_FOR_ANNOTATION]: 'tenant-uid' });
    expect(condition(fake, 'Ready')).toBe('True TenantReady');
  });

  it('the next pass (after a restart: caches rebuilt) reads from the caches and writes nothing', async () => {
    const fake = new FakeKubeWriter([{ kind: ACCOUNT_KINDS.tenant, object: tenant() }]);
    await pass(fake);
    await pass(fake);
    expect(calls(fake)).toEqual([]);
    expect(events(fake)).toEqual([]);
  });

  it('counts follow the users in the cache: one status write per change', async () => {
    const fake = new FakeKubeWriter([{ kind: ACCOUNT_KINDS.tenant, object: tenant() }]);
    await pass(fake);
    await pass(fake, { users: [user('ann', 'Active'), user('bob', 'Invited')] });
    expect(calls(fake)).toEqual(['patch Tenant acme/status']);
    expect(status(fake)?.users).toEqual({ invited: 1, active: 1, inactive: 0 });
    await pass(fake, { users: [user('ann', 'Active'), user('bob', 'Invited')] });
    expect(calls(fake)).toEqual([]);
  });

  it('an existing namespace without the opt-in: nothing labelled, Ready=False with the command, one Warning, looked at again in 15 s', async () => {
    const fake = new FakeKubeWriter([
      { kind: ACCOUNT_KINDS.tenant, object: tenant({}, { finalizers: [FINALIZER] }) },
      { kind: builtinKinds.namespace, object: { metadata: { name: NS, uid: 'ns-uid', resourceVersion: '2' } } },
    ]);
    expect(await pass(fake)).toEqual({ requeueAfterMs: NOT_OPTED_IN_RECHECK_MS });
    expect(calls(fake)).toEqual(['get Namespace tenant-acme', 'patch Tenant acme/status']);
    expect(events(fake)).toEqual(['Warning NamespaceNotOptedIn']);
    expect(condition(fake, 'Ready')).toBe('False NamespaceNotOptedIn');
    expect(status(fake)?.conditions?.find((c) => c.type === 'Ready')?.message).toContain(`kubectl annotate namespace ${NS} ${ADOPT_ANNOTATION}=acme`);
    // Looked at again, still not opted in: no write, no second Warning.
    expect(await pass(fake)).toEqual({ requeueAfterMs: NOT_OPTED_IN_RECHECK_MS });
    expect(calls(fake)).toEqual(['get Namespace tenant-acme']);
    expect(events(fake)).toEqual([]);
  });

  it('an opted-in namespace is adopted, its RoleBindings listed live; an undeclared one is reported once', async () => {
    const stranger: RoleBinding = {
      metadata: { name: 'legacy-admin', namespace: NS, uid: 'rb-1', resourceVersion: '3' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' },
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'mallory@elsewhere.example' }],
    } as RoleBinding;
    const fake = new FakeKubeWriter([
      { kind: ACCOUNT_KINDS.tenant, object: tenant({}, { finalizers: [FINALIZER] }) },
      { kind: builtinKinds.namespace, object: { metadata: { name: NS, uid: 'ns-uid', resourceVersion: '2', annotations: { [ADOPT_ANNOTATION]: 'acme' } } } },
      { kind: builtinKinds.roleBinding, object: stranger as KubeObject },
    ]);
    expect(await pass(fake)).toEqual({ requeueAfterMs: ADOPTED_RECHECK_MS });
    expect(calls(fake)).toEqual(['get Namespace tenant-acme', 'patch Namespace tenant-acme', 'list RoleBinding tenant-acme/', 'list RoleBinding tenant-acme/', 'patch Tenant acme/status']);
    expect(events(fake)).toEqual(['Normal NamespaceAdopted', 'Warning UndeclaredRoleBindings']);
    expect(condition(fake, 'UndeclaredAccess')).toBe('True UndeclaredRoleBindings');
    expect(status(fake)?.createdNamespaceUID).toBeUndefined();
    // The recheck: the two lists of what the binding cache does not hold, nothing written, nothing said again.
    expect(await pass(fake)).toEqual({ requeueAfterMs: ADOPTED_RECHECK_MS });
    expect(calls(fake)).toEqual(['list RoleBinding tenant-acme/', 'list RoleBinding tenant-acme/']);
    expect(events(fake)).toEqual([]);
  });

  it("an adopted namespace's bindings: the operator's-labelled from the cache, every other from the lists; each judged", async () => {
    const ann = { ...user('ann', 'Active'), metadata: { name: 'ann', namespace: NS, uid: 'user-ann', resourceVersion: '1' } } as Cached<User>;
    const declared = { ...desiredBinding(ann, 'acme'), metadata: { ...desiredBinding(ann, 'acme').metadata, uid: 'rb-ann', resourceVersion: '4' } } as RoleBinding;
    const ourLabels = { 'app.kubernetes.io/managed-by': 'blink-accounts-operator', 'app.kubernetes.io/component': 'rbac', [TENANT_LABEL]: 'acme' };
    const grant = { roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' }, subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'mallory@elsewhere.example' }] };
    const bindings = [
      declared,
      // Our labels copied onto someone else's grant: in the binding cache, and still reported.
      { metadata: { name: 'blink-user-ghost', namespace: NS, uid: 'rb-g', resourceVersion: '5', labels: { ...ourLabels, [USER_LABEL]: 'ghost' } }, ...grant },
      // Our manager, another component: in no cache, found by the second list.
      { metadata: { name: 'odd-component', namespace: NS, uid: 'rb-o', resourceVersion: '6', labels: { ...ourLabels, 'app.kubernetes.io/component': 'webhook' } }, ...grant },
      // No labels: found by the first list.
      { metadata: { name: 'legacy-admin', namespace: NS, uid: 'rb-l', resourceVersion: '7' }, ...grant },
    ] as RoleBinding[];
    const fake = new FakeKubeWriter([
      { kind: ACCOUNT_KINDS.tenant, object: tenant({}, { finalizers: [FINALIZER] }) },
      { kind: builtinKinds.namespace, object: { metadata: { name: NS, uid: 'ns-uid', resourceVersion: '2', labels: { [TENANT_LABEL]: 'acme' }, annotations: { [ADOPT_ANNOTATION]: 'acme' } } } },
      ...bindings.map((b) => ({ kind: builtinKinds.roleBinding, object: b as KubeObject })),
    ]);
    // What the two lists match: exactly what the cache's selector does not.
    const listed = await Promise.all(FOREIGN_BINDING_SELECTORS.map(async (labelSelector) => (await fake.list(builtinKinds.roleBinding, { namespace: NS, query: { labelSelector } })).items.map((b) => b.metadata?.name)));
    expect(listed).toEqual([['legacy-admin'], ['odd-component']]);
    expect((await fake.list(builtinKinds.roleBinding, { namespace: NS, query: { labelSelector: bindingSelector() } })).items.map((b) => b.metadata?.name)).toEqual(['blink-user-ann', 'blink-user-ghost']);
    await pass(fake, { users: [ann] });
    expect(status(fake)?.conditions?.find((c) => c.type === 'UndeclaredAccess')?.message).toContain('3 RoleBinding(s) the tenant did not declare: blink-user-ghost, legacy-admin, odd-component.');
  });

  it('deleting a Tenant whose namespace it created (deletionPolicy Delete): the namespace goes, with a uid precondition, then the finalizer', async () => {
    const fake = new FakeKubeWriter([{ kind: ACCOUNT_KINDS.tenant, object: tenant({ deletionPolicy: 'Delete' }) }]);
    await pass(fake);
    const nsUid = fake.stored(builtinKinds.namespace, undefined, NS)?.metadata?.uid;
    const current = fake.stored<Cached<Tenant>>(ACCOUNT_KINDS.tenant, undefined, 'acme') as Cached<Tenant>;
    fake.put(ACCOUNT_KINDS.tenant, { ...current, metadata: { ...current.metadata, deletionTimestamp: '2026-06-01T00:00:00Z' } });
    await pass(fake);
    expect(calls(fake)).toEqual(['get Namespace tenant-acme', 'delete Namespace tenant-acme', 'patch Tenant acme']);
    expect(fake.calls[1]?.body).toMatchObject({ preconditions: { uid: nsUid } });
    expect(events(fake)).toEqual(['Normal NamespaceDeleted']);
    expect(fake.stored(builtinKinds.namespace, undefined, NS)).toBeUndefined();
    expect(fake.stored(ACCOUNT_KINDS.tenant, undefined, 'acme')?.metadata?.finalizers ?? []).not.toContain(FINALIZER);
  });

  it('deleting a Tenant whose namespace was adopted (deletionPolicy Delete): the namespace is kept, only the operator\'s bindings and labels go', async () => {
    const ours: RoleBinding = {
      metadata: {
        name: 'blink-user-ann', namespace: NS, uid: 'rb-2', resourceVersion: '4',
        labels: { [TENANT_LABEL]: 'acme', 'app.kubernetes.io/managed-by': 'blink-accounts-operator', 'app.kubernetes.io/component': 'rbac' },
        ownerReferences: [{ apiVersion: 'accounts.blinkops.com/v1alpha1', kind: 'User', name: 'ann', uid: 'user-ann', controller: true }],
      },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'blink-accounts-builder' },
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'ann@acme.example' }],
    } as RoleBinding;
    // The same labels copied onto someone else's binding (no User owns it): not the operator's to delete.
    const copied = { ...ours, metadata: { ...ours.metadata, name: 'copied-labels', uid: 'rb-3', ownerReferences: [] } } as RoleBinding;
    const fake = new FakeKubeWriter([
      { kind: ACCOUNT_KINDS.tenant, object: tenant({ deletionPolicy: 'Delete' }, { finalizers: [FINALIZER], deletionTimestamp: '2026-06-01T00:00:00Z' }) },
      { kind: builtinKinds.namespace, object: { metadata: { name: NS, uid: 'ns-uid', resourceVersion: '2', labels: { [TENANT_LABEL]: 'acme', team: 'data' } } } },
      { kind: builtinKinds.roleBinding, object: ours as KubeObject },
      { kind: builtinKinds.roleBinding, object: copied as KubeObject },
    ]);
    await pass(fake);
    expect(calls(fake)).toEqual(['get Namespace tenant-acme', 'delete RoleBinding tenant-acme/blink-user-ann', 'patch Namespace tenant-acme', 'patch Tenant acme']);
    expect(events(fake)).toEqual(['Normal NamespaceReleased']);
    expect(fake.stored(builtinKinds.namespace, undefined, NS)?.metadata?.labels).toEqual({ team: 'data' });
    expect(fake.stored(builtinKinds.roleBinding, NS, 'copied-labels')).toBeDefined();
  });
});
