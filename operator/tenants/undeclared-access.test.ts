import { describe, expect, it } from 'vitest';
import type { User } from '../api/index.js';
import type { KubeObject } from '../runtime/kinds.js';
import { desiredBinding } from './binding-plan.js';
import type { RoleBinding } from './binding-plan.js';
import { undeclaredAccessCondition, undeclaredBindings, UNDECLARED_NAMES_SHOWN } from './undeclared-access.js';

const jane = { metadata: { name: 'jane', namespace: 'payments', uid: 'u-jane' }, spec: { email: 'Jane@Acme.example', role: 'Builder' } } as User & KubeObject;
const ours = desiredBinding(jane, 'acme');
const edit = (change: (b: RoleBinding) => RoleBinding): RoleBinding => change(structuredClone(ours));

describe('undeclaredBindings', () => {
  const rows: { name: string; binding: RoleBinding; undeclared: boolean }[] = [
    { name: 'the binding the operator makes for a User', binding: ours, undeclared: false },
    { name: 'one the namespace had before (no labels)', binding: { metadata: { name: 'payments-admins' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' }, subjects: [{ kind: 'Group', name: 'payments' }] }, undeclared: true },
    { name: 'our labels copied onto another binding', binding: edit((b) => ({ ...b, metadata: { ...b.metadata, name: 'lookalike' } })), undeclared: true },
    { name: 'our binding with a second subject added', binding: edit((b) => ({ ...b, subjects: [...(b.subjects ?? []), { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'eve@evil.example' }] })), undeclared: true },
    { name: 'our binding pointed at another ClusterRole', binding: edit((b) => ({ ...b, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' } })), undeclared: true },
    { name: 'our labels, owned by no existing User', binding: edit((b) => ({ ...b, metadata: { ...b.metadata, ownerReferences: [{ apiVersion: 'v1', kind: 'User', name: 'jane', uid: 'u-gone' }] } })), undeclared: true },
    { name: 'our labels for another tenant', binding: edit((b) => ({ ...b, metadata: { ...b.metadata, labels: { ...b.metadata?.labels, 'accounts.blinkops.com/tenant': 'globex' } } })), undeclared: true },
    { name: 'one being deleted', binding: { metadata: { name: 'going', deletionTimestamp: '2026-01-01T00:00:00Z' } }, undeclared: false },
    {
      name: 'our labels, named after a User that is gone but not owned by it',
      binding: edit((b) => ({ ...b, metadata: { ...b.metadata, labels: { ...b.metadata?.labels, 'accounts.blinkops.com/user': 'ghost' }, name: 'blink-user-ghost' } })),
      undeclared: true,
    },
  ];
  it.each(rows)('$name → undeclared: $undeclared', ({ binding, undeclared }) => {
    expect(undeclaredBindings([binding], 'acme', [jane]).length === 1).toBe(undeclared);
  });

  it("the binding of a User just removed is not reported (the binding controller deletes it)", () => {
    expect(undeclaredBindings([ours], 'acme', [])).toEqual([]);
    const renamed = edit((b) => ({ ...b, metadata: { ...b.metadata, name: 'sneaky' } }));
    expect(undeclaredBindings([renamed], 'acme', [])).toEqual(['sneaky']);
  });

  it('a role change in progress (another of the three roles) is still declared', () => {
    expect(undeclaredBindings([edit((b) => ({ ...b, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'blink-accounts-admin' } }))], 'acme', [jane])).toEqual([]);
  });
});

describe('undeclaredAccessCondition', () => {
  it('False when there are none', () => {
    expect(undeclaredAccessCondition('payments', [], 2)).toMatchObject({ type: 'UndeclaredAccess', status: 'False', reason: 'NoUndeclaredRoleBindings', observedGeneration: 2 });
  });
  it('True, naming them, capped', () => {
    const names = Array.from({ length: UNDECLARED_NAMES_SHOWN + 3 }, (_, i) => `rb-${String(i).padStart(2, '0')}`);
    const condition = undeclaredAccessCondition('payments', names, 2);
    expect(condition).toMatchObject({ status: 'True', reason: 'UndeclaredRoleBindings' });
    expect(condition.message).toContain('rb-00, rb-01');
    expect(condition.message).toContain('and 3 more');
    expect(condition.message).not.toContain(`rb-${UNDECLARED_NAMES_SHOWN + 2}`);
  });
});
