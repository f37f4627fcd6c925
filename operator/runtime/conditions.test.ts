import { describe, expect, it } from 'vitest';
import { setCondition, withProgressConditions } from './conditions.js';
import { jsonEqual } from './deep-equal.js';

const t0 = Date.UTC(2026, 0, 1, 10, 0, 0);
const t1 = t0 + 60_000;

describe('setCondition', () => {
  it('adds a condition stamped with now', () => {
    expect(setCondition(undefined, { type: 'Ready', status: 'True', reason: 'Reconciled', message: 'ok', observedGeneration: 2 }, t0)).toEqual([
      { type: 'Ready', status: 'True', observedGeneration: 2, lastTransitionTime: '2026-01-01T10:00:00Z', reason: 'Reconciled', message: 'ok' },
    ]);
  });

  it('keeps lastTransitionTime when the status does not change, so the list is identical', () => {
    const first = setCondition([], { type: 'Ready', status: 'True', reason: 'Reconciled', message: 'ok', observedGeneration: 1 }, t0);
    const again = setCondition(first, { type: 'Ready', status: 'True', reason: 'Reconciled', message: 'ok', observedGeneration: 1 }, t1);
    expect(jsonEqual(first, again)).toBe(true);
    const reasonOnly = setCondition(first, { type: 'Ready', status: 'True', reason: 'StillFine', message: 'ok', observedGeneration: 2 }, t1);
    expect(reasonOnly[0]?.lastTransitionTime).toBe('2026-01-01T10:00:00Z');
    expect(reasonOnly[0]?.observedGeneration).toBe(2);
  });

  it('moves lastTransitionTime when the status changes and keeps other conditions in order', () => {
    const list = setCondition(setCondition([], { type: 'A', status: 'True', reason: 'X', message: '' }, t0), { type: 'Ready', status: 'True', reason: 'X', message: '' }, t0);
    const changed = setCondition(list, { type: 'A', status: 'False', reason: 'Y', message: 'broken' }, t1);
    expect(changed.map((c) => c.type)).toEqual(['A', 'Ready']);
    expect(changed[0]?.lastTransitionTime).toBe('2026-01-01T10:01:00Z');
    expect(changed[1]).toEqual(list[1]);
  });
});

describe('jsonEqual', () => {
  it.each([
    [{ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 }, true],
    [{ a: 1, b: undefined }, { a: 1 }, true],
    [{ a: [1, 2] }, { a: [2, 1] }, false],
    [{ a: null }, { a: {} }, false],
    [[], {}, false],
  ])('%j vs %j → %s', (a, b, expected) => expect(jsonEqual(a, b)).toBe(expected));
});

describe('withProgressConditions (what kstatus reads)', () => {
  const T0 = '2026-01-01T00:00:00Z';
  const T1 = '2026-01-02T00:00:00Z';
  const ready = (status: 'True' | 'False' | 'Unknown', reason: string, at = T1) => ({ type: 'Ready', status, reason, message: `m ${reason}`, lastTransitionTime: at, observedGeneration: 3 });
  const types = (list: readonly { type: string; status: string; reason: string }[]) => list.map((c) => `${c.type}=${c.status}/${c.reason}`);

  it.each([
    ['Ready=True: neither', [ready('True', 'Reconciled')], ['Ready=True/Reconciled']],
    ['a reason a person must fix: Stalled', [ready('False', 'NotInTenantNamespace')], ['Ready=False/NotInTenantNamespace', 'Stalled=True/NotInTenantNamespace']],
    ['an unlisted reason is stalled, never current', [ready('False', 'SomethingNew')], ['Ready=False/SomethingNew', 'Stalled=True/SomethingNew']],
    ['SMTP retrying: Reconciling', [ready('False', 'SmtpError')], ['Ready=False/SmtpError', 'Reconciling=True/SmtpError']],
    ['Ready=Unknown: Reconciling', [ready('Unknown', 'DeliveryUnconfirmed')], ['Ready=Unknown/DeliveryUnconfirmed', 'Reconciling=True/DeliveryUnconfirmed']],
    ['waiting for the person to accept: settled, neither', [ready('False', 'InvitationPending')], ['Ready=False/InvitationPending']],
    [
      'a stale Stalled goes once Ready is True',
      [ready('True', 'Reconciled'), { type: 'Stalled', status: 'True', reason: 'X', message: 'x', lastTransitionTime: T0 }],
      ['Ready=True/Reconciled'],
    ],
  ])('%s', (_name, conditions, expected) => {
    expect(types(withProgressConditions(conditions as never))).toEqual(expected);
  });

  it('is stable: deriving it again changes nothing, and a held condition keeps its time', () => {
    const first = withProgressConditions([ready('False', 'SecretConflict', T0)] as never);
    expect(withProgressConditions(first)).toEqual(first);
    const later = withProgressConditions([{ ...ready('False', 'MissingReferences', T1) }, ...first.filter((c) => c.type === 'Stalled')] as never);
    expect(later.find((c) => c.type === 'Stalled')).toMatchObject({ reason: 'MissingReferences', lastTransitionTime: T0, observedGeneration: 3 });
  });
});
