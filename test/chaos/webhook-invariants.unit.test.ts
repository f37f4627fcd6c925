// The account-event checks can fail: each is given what a broken run would show (a lost event, a
// repeat with another body, an object's events out of order or with a gap, a bad signature,
// nothing at all), next to a good run, which must pass.
import { describe, expect, it } from 'vitest';
import { webhookChecks } from './webhook-invariants.js';
import type { ArrivedEvent, ExpectedEvents } from './webhook-invariants.js';

const e = (id: string, type: string, object: string, sequence: number, body = `body-${id}`): ArrivedEvent => ({ id, type, object, sequence, body, verified: true });
const good: ArrivedEvent[] = [
  e('a1', 'serviceaccount.key.issued', 'SA t/a', 1),
  e('b1', 'user.invited', 'User t/b', 1),
  e('a2', 'serviceaccount.key.deleted', 'SA t/a', 2),
  e('a2', 'serviceaccount.key.deleted', 'SA t/a', 2),
];
const expected: ExpectedEvents[] = [
  { object: 'SA t/a', types: ['serviceaccount.key.issued'], removal: 'serviceaccount.key.deleted' },
  { object: 'User t/b', types: ['user.invited'] },
];
const verdicts = (arrived: readonly ArrivedEvent[], want: readonly ExpectedEvents[] = expected) => webhookChecks(arrived, want).map((c) => c.ok);

describe('webhookChecks (crash-storm)', () => {
  it('pass a run where everything arrived in order, a repeat included', () => {
    expect(verdicts(good)).toEqual([true, true, true]);
  });
  it('fail a lost event, a lost removal, a bad signature, or nothing at all', () => {
    expect(verdicts(good.filter((x) => x.id !== 'b1'))[0]).toBe(false);
    expect(verdicts(good.filter((x) => x.id !== 'a2'))[0]).toBe(false);
    expect(verdicts([...good, { ...e('c1', 'user.invited', 'User t/c', 1), verified: false }])[0]).toBe(false);
    expect(verdicts([], [])[0]).toBe(false);
  });
  it('fail a repeat with another body', () => {
    expect(verdicts([...good, e('a1', 'serviceaccount.key.issued', 'SA t/a', 1, 'other')])[1]).toBe(false);
  });
  it('fail an object whose events went out of order, or skipped a number', () => {
    expect(verdicts([e('a2', 'serviceaccount.key.deleted', 'SA t/a', 2), e('a1', 'serviceaccount.key.issued', 'SA t/a', 1), e('b1', 'user.invited', 'User t/b', 1)])[2]).toBe(false);
    expect(verdicts([e('a1', 'serviceaccount.key.issued', 'SA t/a', 1), e('a3', 'serviceaccount.key.deleted', 'SA t/a', 3), e('b1', 'user.invited', 'User t/b', 1)])[2]).toBe(false);
  });
});
