import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compactHistory } from './compact-history.js';
import { jsonEqual } from './deep-equal.js';

const parsed = (): Record<string, unknown> =>
  JSON.parse(
    JSON.stringify({
      phase: 'Active',
      role: 'Builder',
      conditions: [{ type: 'Ready', status: 'True', reason: 'Active', message: 'm', lastTransitionTime: '2026-01-01T00:00:00Z' }],
      history: [
        { at: '2026-01-01T00:00:00Z', event: 'Invited', reason: 'Created', message: 'Invited ünïcode@example.com "quoted"', by: 'kubectl' },
        { at: '2026-01-01T00:00:01Z', event: 'Accepted', reason: 'Page', message: '' },
      ],
      observedGeneration: 1,
    }),
  ) as Record<string, unknown>;

describe('compactHistory', () => {
  it('reads back the same status: fields, order, JSON, spread, clone and deep equality', () => {
    const status = compactHistory(parsed());
    expect(Object.getOwnPropertyDescriptor(status, 'history')?.get).toBeDefined();
    expect(Object.keys(status)).toEqual(Object.keys(parsed()));
    expect(JSON.stringify(status)).toBe(JSON.stringify(parsed()));
    expect({ ...status }).toEqual(parsed());
    expect(structuredClone(status)).toEqual(parsed());
    expect(jsonEqual(status, parsed())).toBe(true);
    expect(status['history']).toEqual(parsed()['history']);
  });

  it('gives each reader its own array: editing it does not change the cache', () => {
    const status = compactHistory(parsed());
    (status['history'] as unknown[]).push({ at: 'x', event: 'E', reason: 'R', message: '' });
    expect(status['history']).toHaveLength(2);
  });

  it('lets the property be assigned, as a plain one', () => {
    const status = compactHistory(parsed());
    status['history'] = [];
    expect(status['history']).toEqual([]);
    expect(JSON.parse(JSON.stringify(status))).toMatchObject({ history: [] });
  });

  it('compacts entries with their keys sorted, as kube-apiserver returns them, and keeps that order', () => {
    const sorted = { history: [{ at: 'a', by: 'kubectl', event: 'e', message: 'm', reason: 'r' }, { at: 'b', event: 'f', message: 'n', reason: 's' }], phase: 'Invited' };
    const status = compactHistory(structuredClone(sorted));
    expect(Object.getOwnPropertyDescriptor(status, 'history')?.get).toBeDefined();
    expect(JSON.stringify(status)).toBe(JSON.stringify(sorted));
  });

  it('reads back every history it compacts exactly, in either key order, entries mixed (property)', () => {
    const text = fc.string({ unit: 'binary' });
    const entry = fc.tuple(text, text, text, text, fc.option(text, { nil: undefined }), fc.boolean()).map(([at, event, reason, message, by, sorted]) => {
      if (sorted) return by === undefined ? { at, event, message, reason } : { at, by, event, message, reason };
      return by === undefined ? { at, event, reason, message } : { at, event, reason, message, by };
    });
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 6 }), (history) => {
        const status = compactHistory({ phase: 'Active', history: structuredClone(history) });
        expect(Object.getOwnPropertyDescriptor(status, 'history')?.get).toBeDefined();
        expect(JSON.stringify(status)).toBe(JSON.stringify({ phase: 'Active', history }));
        expect(status.history).toEqual(history);
      }),
    );
  });

  it.each([
    ['no history', { phase: 'A' }],
    ['an empty history', { history: [] }],
    ['an entry with another field', { history: [{ at: 'a', event: 'e', reason: 'r', message: 'm', extra: 'x' }] }],
    ['an entry in another order', { history: [{ event: 'e', at: 'a', reason: 'r', message: 'm' }] }],
    ['an entry with sorted keys but no message', { history: [{ at: 'a', by: 'b', event: 'e', reason: 'r' }] }],
    ['an entry with a value that is not a string', { history: [{ at: 'a', event: 'e', reason: 'r', message: 1 }] }],
    ['an entry that is not an object', { history: ['x'] }],
  ])('leaves %s as it is', (_name, status) => {
    expect(compactHistory(status)).toBe(status);
  });
});
