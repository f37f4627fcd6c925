import { describe, expect, it } from 'vitest';
import { ScimError } from './errors.js';
import { applyPatch, normalisePatch, PATCH_MAX_OPERATIONS } from './patch.js';

const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const user = () => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  id: 'u1',
  userName: 'ada@example.com',
  active: true,
  displayName: 'Ada',
  name: { formatted: 'Ada' },
  emails: [{ value: 'ada@example.com', type: 'work', primary: true }],
  meta: { resourceType: 'User' },
});
const group = () => ({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], id: 'g1', displayName: 'Eng', members: [{ value: 'a', display: 'a@x' }, { value: 'b', display: 'b@x' }], meta: { resourceType: 'Group' } });
const patch = (resource: Record<string, unknown>, ...operations: unknown[]) => applyPatch(resource, normalisePatch({ schemas: [PATCH], Operations: operations }));

function errorOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (error) {
    if (error instanceof ScimError) return `${error.status} ${error.scimType ?? ''}`;
    throw error;
  }
}

describe('PATCH as Entra ID sends it', () => {
  it('accepts capitalised ops and string booleans', () => {
    expect(patch(user(), { op: 'Replace', path: 'active', value: 'False' })['active']).toBe(false);
    expect(patch(user(), { op: 'REPLACE', path: 'active', value: 'True' })['active']).toBe(true);
  });
  it('splits a path-less Add of several (dotted) attributes', () => {
    const out = patch(user(), { op: 'Add', value: { displayName: 'Ada L', 'name.givenName': 'Ada', active: 'False' } });
    expect(out).toMatchObject({ displayName: 'Ada L', name: { formatted: 'Ada', givenName: 'Ada' }, active: false });
  });
  it('replaces the work email through a value filter path', () => {
    const out = patch(user(), { op: 'Replace', path: 'emails[type eq "work"].value', value: 'ada2@example.com' });
    expect((out['emails'] as { value: string }[])[0]?.value).toBe('ada2@example.com');
  });
  it('adds and removes members by a value list', () => {
    const added = patch(group(), { op: 'Add', path: 'members', value: [{ value: 'c' }] });
    expect((added['members'] as { value: string }[]).map((m) => m.value)).toEqual(['a', 'b', 'c']);
    const removed = patch(group(), { op: 'Remove', path: 'members', value: [{ value: 'a' }, { value: 'zzz' }] });
    expect((removed['members'] as { value: string }[]).map((m) => m.value)).toEqual(['b']);
  });
});

describe('PATCH as Okta sends it', () => {
  it('applies a path-less replace of a value object', () => {
    expect(patch(user(), { op: 'replace', value: { active: false } })['active']).toBe(false);
  });
  it('removes a member by members[value eq "<id>"], and a missing one changes nothing', () => {
    const removed = patch(group(), { op: 'remove', path: 'members[value eq "b"]' });
    expect((removed['members'] as { value: string }[]).map((m) => m.value)).toEqual(['a']);
    const same = patch(group(), { op: 'remove', path: 'members[value eq "nobody"]' });
    expect((same['members'] as unknown[]).length).toBe(2);
  });
  it('renames a group by a replace of displayName with or without a path', () => {
    expect(patch(group(), { op: 'replace', path: 'displayName', value: 'Engineering' })['displayName']).toBe('Engineering');
    expect(patch(group(), { op: 'replace', value: { id: 'g1', displayName: 'Eng 2' } })['displayName']).toBe('Eng 2');
  });
});

describe('bad PATCH bodies', () => {
  it.each([
    ['not an object', [], '400 invalidSyntax'],
    ['no PatchOp schema', { Operations: [{ op: 'add', path: 'x', value: 1 }] }, '400 invalidSyntax'],
    ['no operations', { schemas: [PATCH], Operations: [] }, '400 invalidSyntax'],
    ['an unknown op', { schemas: [PATCH], Operations: [{ op: 'move', path: 'active' }] }, '400 invalidSyntax'],
    ['add without value', { schemas: [PATCH], Operations: [{ op: 'add', path: 'active' }] }, '400 invalidSyntax'],
    ['remove without path', { schemas: [PATCH], Operations: [{ op: 'remove' }] }, '400 noTarget'],
    ['a path-less replace of a scalar', { schemas: [PATCH], Operations: [{ op: 'replace', value: 3 }] }, '400 invalidValue'],
    ['too many operations', { schemas: [PATCH], Operations: Array.from({ length: PATCH_MAX_OPERATIONS + 1 }, () => ({ op: 'replace', path: 'active', value: true })) }, '400 tooMany'],
    ['a member id with a quote', { schemas: [PATCH], Operations: [{ op: 'remove', path: 'members', value: [{ value: 'a" or value pr' }] }] }, '400 invalidValue'],
  ])('refuses %s', (_, body, expected) => {
    expect(errorOf(() => normalisePatch(body))).toBe(expected);
  });
  it('a value filter that matches nothing on replace is 400 noTarget or applies nothing; never a 500', () => {
    const result = errorOf(() => patch(user(), { op: 'replace', path: 'emails[type eq "home"].value', value: 'x@example.com' }));
    expect(['ok', '400 noTarget', '400 invalidSyntax']).toContain(result);
  });
});
