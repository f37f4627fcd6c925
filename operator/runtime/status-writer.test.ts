import { describe, expect, it } from 'vitest';
import { createMergePatch } from './status-writer.js';

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
