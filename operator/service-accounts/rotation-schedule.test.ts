import { describe, expect, it } from 'vitest';
import { isRotationDue, nextRotationAt } from './rotation-schedule.js';

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
