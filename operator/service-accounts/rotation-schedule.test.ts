import { describe, expect, it } from 'vitest';
import { isRotationDue, lookAgainAfterMs, MAX_SCHEDULE_WAIT_MS, nextRotationAt } from './rotation-schedule.js';

const T0 = '2026-12-01T00:00:00.000Z';
const DAY = 86_400_000;

describe('rotation schedule', () => {
  it('is due `every` after the key was issued', () => {
    expect(nextRotationAt(T0, 30 * DAY)).toBe(Date.parse(T0) + 30 * DAY);
    expect(isRotationDue(Date.parse(T0) + 30 * DAY - 1, T0, 30 * DAY)).toBe(false);
    expect(isRotationDue(Date.parse(T0) + 30 * DAY, T0, 30 * DAY)).toBe(true);
  });
  it('never without a schedule or a key', () => {
    expect(nextRotationAt(T0, undefined)).toBeUndefined();
    expect(nextRotationAt(undefined, DAY)).toBeUndefined();
    expect(isRotationDue(Date.parse(T0) + 999 * DAY, T0, 0)).toBe(false);
  });
});

describe('lookAgainAfterMs', () => {
  const now = Date.parse(T0);
  it.each([
    ['nothing to wait for', undefined, undefined, undefined],
    ['the end of a grace period', 4_000, undefined, 4_050],
    ['the next rotation', undefined, now + 3_600_000, 3_600_050],
    ['whichever is first', 4_000, now + 3_600_000, 4_050],
    ['a far rotation: at most 6 h ahead', undefined, now + 720 * 3_600_000, MAX_SCHEDULE_WAIT_MS + 50],
    ['a rotation already due: right away', undefined, now - 5, 45],
  ])('%s', (_name, act, next, expected) => expect(lookAgainAfterMs(now, act, next)).toBe(expected));
});
