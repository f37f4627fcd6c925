// The chaos invariants can fail: each decision is given what a broken run would show (no
// acceptance ever went through, more unconfirmed deliveries than SIGKILLs, memory never read)
// and must say FAIL, next to the inputs of a good run, which must pass.
import { describe, expect, it } from 'vitest';
import { acceptanceChecks, memoryCheck, unconfirmedDeliveryCheck } from './invariants.js';
import type { AcceptanceObservations } from './invariants.js';

const active = () => ({ phase: 'Active', acceptedAt: true });
const verdicts = (seen: Partial<AcceptanceObservations>) =>
  Object.fromEntries(acceptanceChecks({ planned: ['t/u-1', 't/u-2'], accepted: new Set(['t/u-1', 't/u-2']), outcome: active, errors: [], ...seen }).map((c) => [c.name, c.ok]));

describe('acceptanceChecks (crash-storm)', () => {
  it('pass when every planned acceptance went through and stayed Active', () => {
    expect(verdicts({})).toEqual({ 'every planned acceptance went through the page': true, 'every accepted invitation stays accepted': true });
  });

  it('fail when no acceptance went through (the page answered 429/503 throughout, or every request failed)', () => {
    expect(verdicts({ accepted: new Set() })).toEqual({ 'every planned acceptance went through the page': false, 'every accepted invitation stays accepted': false });
  });

  it('fail when only some of the planned acceptances went through', () => {
    expect(verdicts({ accepted: new Set(['t/u-1']) })['every planned acceptance went through the page']).toBe(false);
  });

  it('fail when nothing was planned: nothing to judge', () => {
    expect(verdicts({ planned: [], accepted: new Set() })).toEqual({ 'every planned acceptance went through the page': false, 'every accepted invitation stays accepted': false });
  });

  it.each([
    ['back to Invited', { phase: 'Invited', acceptedAt: false }],
    ['Active without acceptedAt', { phase: 'Active', acceptedAt: false }],
    ['gone', { phase: undefined, acceptedAt: false }],
  ])('fail when an accepted person is %s', (_what, outcome) => {
    expect(verdicts({ outcome: (k) => (k === 't/u-2' ? outcome : active()) })['every accepted invitation stays accepted']).toBe(false);
  });

  it('fail on an unexpected answer of the page', () => {
    expect(verdicts({ errors: ['u-3: HTTP 500'] })['every planned acceptance went through the page']).toBe(false);
  });
});

describe('unconfirmedDeliveryCheck (crash-storm, outages)', () => {
  it('passes none, and one per SIGKILL with at most one email each', () => {
    expect(unconfirmedDeliveryCheck([], 0).ok).toBe(true);
    expect(unconfirmedDeliveryCheck([{ name: 'u-1', emails: 0 }, { name: 'u-2', emails: 1 }], 2).ok).toBe(true);
  });

  it('fails more unconfirmed deliveries than SIGKILLs', () => {
    const check = unconfirmedDeliveryCheck([{ name: 'u-1', emails: 0 }, { name: 'u-2', emails: 1 }], 1);
    expect(check).toMatchObject({ ok: false, detail: '2 unconfirmed deliveries for 1 SIGKILLs (at most 1 sends in flight each)' });
  });

  it('allows as many per SIGKILL as sends were in flight, and fails one more', () => {
    const four = ['u-1', 'u-2', 'u-3', 'u-4'].map((name) => ({ name, emails: 1 }));
    expect(unconfirmedDeliveryCheck(four, 1, 4).ok).toBe(true);
    expect(unconfirmedDeliveryCheck([...four, { name: 'u-5', emails: 0 }], 1, 4)).toMatchObject({ ok: false, detail: '5 unconfirmed deliveries for 1 SIGKILLs (at most 4 sends in flight each)' });
  });

  it('fails an unconfirmed delivery that was mailed twice', () => {
    expect(unconfirmedDeliveryCheck([{ name: 'u-1', emails: 2 }], 5)).toMatchObject({ ok: false, detail: 'u-1 got 2 emails' });
  });
});

describe('memoryCheck (hostile-http)', () => {
  it('passes a peak within the allowance', () => {
    expect(memoryCheck(280, [290, 310, 300], 160).ok).toBe(true);
  });

  it('fails a peak beyond it', () => {
    expect(memoryCheck(280, [290, 441], 160).ok).toBe(false);
  });

  it('fails when /proc could not be read before the load', () => {
    expect(memoryCheck(undefined, [300], 160)).toMatchObject({ ok: false, detail: expect.stringContaining('memory not measured') as string });
  });

  it('fails when /proc could not be read during the load', () => {
    expect(memoryCheck(280, [], 160)).toMatchObject({ ok: false, detail: expect.stringContaining('0 readings during it') as string });
  });
});
