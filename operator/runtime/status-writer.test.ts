import { describe, expect, it } from 'vitest';
import { FakeKubeWriter } from './fake-kube-writer.js';
import { createMergePatch, finalizerStep } from './status-writer.js';

describe('createMergePatch', () => {
  it('sets changed members, nulls removed ones, replaces arrays whole and omits equal ones', () => {
    const from = { phase: 'Invited', counts: { a: 1, b: 2 }, conditions: [{ type: 'Ready' }], gone: 'x', same: { deep: [1] } };
    const to = { phase: 'Active', counts: { a: 1, c: 3 }, conditions: [{ type: 'Ready' }, { type: 'KeyIssued' }], same: { deep: [1] } };
    expect(createMergePatch(from, to)).toEqual({ phase: 'Active', counts: { b: null, c: 3 }, conditions: [{ type: 'Ready' }, { type: 'KeyIssued' }], gone: null });
  });

  it('is empty for equal values', () => {
    expect(createMergePatch({ a: { b: 1 } }, { a: { b: 1 } })).toEqual({});
  });
});

describe('finalizerStep, the step every controller takes after fetching its object', () => {
  const kind = { group: 'example.com', version: 'v1', kind: 'Widget', plural: 'widgets', namespaced: true } as const;
  const FIN = 'example.com/finalizer';
  const widget = (extra: Record<string, unknown> = {}) => ({ metadata: { name: 'w', namespace: 'ns', uid: 'u1', resourceVersion: '1', ...extra } });

  const cases: { name: string; meta: Record<string, unknown>; done: boolean; finalized: boolean; writes: string[]; finalizers?: string[] }[] = [
    { name: 'new object: adds the finalizer, goes on', meta: {}, done: false, finalized: false, writes: ['patch Widget ns/w'], finalizers: [FIN] },
    { name: 'finalizer present: no write, goes on', meta: { finalizers: [FIN] }, done: false, finalized: false, writes: [] },
    { name: 'deleting with the finalizer: cleans up, releases it, done', meta: { finalizers: [FIN, 'other'], deletionTimestamp: '2026-01-01T00:00:00Z' }, done: true, finalized: true, writes: ['patch Widget ns/w'], finalizers: ['other'] },
    { name: 'deleting without it: nothing, done', meta: { finalizers: ['other'], deletionTimestamp: '2026-01-01T00:00:00Z' }, done: true, finalized: false, writes: [] },
  ];
  it.each(cases)('$name', async ({ meta, done, finalized, writes, finalizers }) => {
    const object = widget(meta);
    const fake = new FakeKubeWriter([{ kind, object }]);
    let ran = false;
    const step = await finalizerStep(fake, kind, object, FIN, async () => {
      ran = true;
      return Promise.resolve();
    });
    expect(step.done).toBe(done);
    expect(ran).toBe(finalized);
    expect(fake.writes).toEqual(writes);
    if (finalizers) expect(fake.stored(kind, 'ns', 'w')?.metadata?.finalizers).toEqual(finalizers);
    if (!step.done && writes.length > 0) expect(step.object.metadata?.resourceVersion).not.toBe('1');
  });

  it('a failed cleanup keeps the finalizer (the reconcile fails and runs again)', async () => {
    const object = widget({ finalizers: [FIN], deletionTimestamp: '2026-01-01T00:00:00Z' });
    const fake = new FakeKubeWriter([{ kind, object }]);
    await expect(finalizerStep(fake, kind, object, FIN, () => Promise.reject(new Error('API down')))).rejects.toThrow('API down');
    expect(fake.writes).toEqual([]);
  });
});
