import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shareConditions } from './shared-conditions.js';

const parsed = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
const ready = (message: string, at = '2026-12-08T00:30:20Z'): Record<string, unknown> => ({ lastTransitionTime: at, message, observedGeneration: 1, reason: 'Ready', status: 'True', type: 'Ready' });

describe('shareConditions', () => {
  it('keeps one frozen copy of a condition equal across objects', () => {
    const a = parsed({ conditions: [ready('Every listed workspace exists'), ready('API key a is in Secret sa-a')] });
    const b = parsed({ conditions: [ready('Every listed workspace exists'), ready('API key b is in Secret sa-b')] });
    shareConditions(a);
    shareConditions(b);
    expect(b.conditions[0]).toBe(a.conditions[0]);
    expect(b.conditions[1]).not.toBe(a.conditions[1]);
    expect(Object.isFrozen(a.conditions[0])).toBe(true);
    expect(() => {
      'use strict';
      (b.conditions[0] as Record<string, unknown>)['message'] = 'x';
    }).toThrow(TypeError);
  });

  it.each([
    ['another time', ready('m', '2026-12-08T00:30:21Z')],
    ['another generation', { ...ready('m'), observedGeneration: 2 }],
    ['its keys in another order', { type: 'Ready', status: 'True', reason: 'Ready', message: 'm', lastTransitionTime: '2026-12-08T00:30:20Z', observedGeneration: 1 }],
    ['a field left out', { type: 'Ready', status: 'True', reason: 'Ready', message: 'm', observedGeneration: 1 }],
  ])('does not share a condition with %s', (_name, other) => {
    const a = parsed({ conditions: [ready('m')] });
    const b = parsed({ conditions: [other] });
    shareConditions(a);
    shareConditions(b);
    expect(b.conditions[0]).not.toBe(a.conditions[0]);
    expect(b.conditions[0]).toEqual(other);
  });

  it('leaves conditions with other fields or values alone', () => {
    const odd = [{ ...ready('m'), extra: 'x' }, { ...ready('m'), observedGeneration: 1.5 }, { ...ready('m'), message: null }, 'text'];
    const a = parsed({ conditions: odd });
    const b = parsed({ conditions: odd });
    shareConditions(a);
    shareConditions(b);
    a.conditions.forEach((c, i) => {
      if (typeof c !== 'object') return;
      expect(b.conditions[i]).not.toBe(c);
      expect(Object.isFrozen(c)).toBe(false);
    });
  });

  it('changes no value: every status reads back the same, in the same order (property)', () => {
    const text = fc.constantFrom('', 'Ready', 'True', 'm', 'Every listed workspace exists', 'ü\u0000"x');
    const key = fc.constantFrom('type', 'status', 'reason', 'message', 'lastTransitionTime', 'observedGeneration', 'other');
    const condition = fc.dictionary(key, fc.oneof(text, fc.integer({ min: 0, max: 3 }), fc.constant(null)), { maxKeys: 7 });
    fc.assert(
      fc.property(fc.array(fc.array(condition, { maxLength: 4 }), { maxLength: 8 }), (lists) => {
        const statuses = lists.map((conditions) => ({ phase: 'Active', conditions: parsed(conditions) }));
        for (const status of statuses) shareConditions(status);
        expect(JSON.stringify(statuses.map((s) => s.conditions))).toBe(JSON.stringify(lists));
      }),
    );
  });
});
