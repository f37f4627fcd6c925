import { describe, expect, it } from 'vitest';
import { ApiError } from './errors.js';
import { FakeKubeWriter } from './fake-kube-writer.js';
import { PatchType } from './kube-client.js';

const kind = { group: 'example.com', version: 'v1', kind: 'Widget', plural: 'widgets', namespaced: true } as const;
type Widget = { metadata: { name: string; namespace: string; resourceVersion?: string; labels?: Record<string, string> }; spec?: Record<string, unknown>; status?: Record<string, unknown> };
const widget = (): Widget => ({ metadata: { name: 'w', namespace: 'ns', resourceVersion: '1', labels: { a: '1', b: '2' } }, spec: { size: 1, tags: ['x', 'y'] }, status: { phase: 'Old', ready: true } });

describe('FakeKubeWriter.patch honours the patch type and the subresource', () => {
  it('records type, subresource and field manager', async () => {
    const fake = new FakeKubeWriter([{ kind, object: widget() }]);
    await fake.patch(kind, 'ns', 'w', [{ op: 'replace', path: '/spec/size', value: 2 }], { type: PatchType.json, fieldManager: 'me' });
    await fake.patch(kind, 'ns', 'w', { status: { phase: 'New' } }, { subresource: 'status' });
    expect(fake.calls.map((c) => [c.patchType, c.subresource, c.fieldManager])).toEqual([
      [PatchType.json, undefined, 'me'],
      [PatchType.merge, 'status', undefined],
    ]);
    expect(fake.writes).toEqual(['patch Widget ns/w', 'patch Widget ns/w/status']);
  });

  it('a merge patch merges objects, removes nulls and replaces lists', async () => {
    const fake = new FakeKubeWriter([{ kind, object: widget() }]);
    await fake.patch(kind, 'ns', 'w', { metadata: { labels: { a: null, c: '3' } }, spec: { tags: ['z'] } });
    expect(fake.stored<Widget>(kind, 'ns', 'w')).toMatchObject({ metadata: { labels: { b: '2', c: '3' } }, spec: { size: 1, tags: ['z'] } });
    expect(fake.stored<Widget>(kind, 'ns', 'w')?.metadata.labels).not.toHaveProperty('a');
  });

  it('a JSON patch runs its operations (a failed test refuses the whole patch)', async () => {
    const fake = new FakeKubeWriter([{ kind, object: widget() }]);
    await fake.patch(kind, 'ns', 'w', [{ op: 'move', from: '/spec/size', path: '/spec/count' }, { op: 'add', path: '/spec/tags/-', value: 'z' }], { type: PatchType.json });
    expect(fake.stored<Widget>(kind, 'ns', 'w')?.spec).toEqual({ count: 1, tags: ['x', 'y', 'z'] });
    await expect(fake.patch(kind, 'ns', 'w', [{ op: 'test', path: '/spec/count', value: 9 }, { op: 'remove', path: '/spec/tags' }], { type: PatchType.json })).rejects.toMatchObject({ code: 422 });
    expect(fake.stored<Widget>(kind, 'ns', 'w')?.spec).toEqual({ count: 1, tags: ['x', 'y', 'z'] });
  });

  it('the status subresource changes only status; the main resource never changes status', async () => {
    const fake = new FakeKubeWriter([{ kind, object: widget() }]);
    await fake.patch(kind, 'ns', 'w', { spec: { size: 5 }, status: { phase: 'New' } }, { subresource: 'status' });
    expect(fake.stored<Widget>(kind, 'ns', 'w')).toMatchObject({ spec: { size: 1 }, status: { phase: 'New', ready: true } });
    await fake.patch(kind, 'ns', 'w', { spec: { size: 6 }, status: { phase: 'Lost' } });
    expect(fake.stored<Widget>(kind, 'ns', 'w')).toMatchObject({ spec: { size: 6 }, status: { phase: 'New' } });
  });

  it('a merge patch with a stale resourceVersion conflicts; one on a missing object is 404', async () => {
    const fake = new FakeKubeWriter([{ kind, object: widget() }]);
    await expect(fake.patch(kind, 'ns', 'w', { metadata: { resourceVersion: '0' }, spec: { size: 2 } })).rejects.toMatchObject({ code: 409 });
    await expect(fake.patch(kind, 'ns', 'gone', { spec: {} })).rejects.toBeInstanceOf(ApiError);
  });

  it('an apply creates what is missing and sets only the fields it names', async () => {
    const fake = new FakeKubeWriter();
    await fake.apply(kind, { metadata: { name: 'w', namespace: 'ns', labels: { a: '1' } }, spec: { size: 1, tags: ['x'] } }, { fieldManager: 'me' });
    await fake.apply(kind, { metadata: { name: 'w', namespace: 'ns' }, spec: { tags: ['y'] } }, { fieldManager: 'me' });
    expect(fake.stored<Widget>(kind, 'ns', 'w')).toMatchObject({ metadata: { labels: { a: '1' } }, spec: { size: 1, tags: ['y'] } });
    expect(fake.calls.map((c) => [c.verb, c.patchType, c.fieldManager])).toEqual([
      ['apply', PatchType.apply, 'me'],
      ['apply', PatchType.apply, 'me'],
    ]);
  });

  it('lists by kind, namespace and label selector', async () => {
    const other = { ...widget(), metadata: { ...widget().metadata, name: 'v', labels: { a: '9' } } };
    const fake = new FakeKubeWriter([{ kind, object: widget() }, { kind, object: other }, { kind, object: { ...widget(), metadata: { ...widget().metadata, namespace: 'elsewhere' } } }]);
    expect((await fake.list(kind, { namespace: 'ns' })).items.map((w) => w.metadata?.name)).toEqual(['v', 'w']);
    expect((await fake.list(kind, { namespace: 'ns', query: { labelSelector: 'a=1' } })).items.map((w) => w.metadata?.name)).toEqual(['w']);
    expect(fake.writes).toEqual([]);
  });
});
