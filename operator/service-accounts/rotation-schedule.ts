// Scheduled rotation (spec.keyRotation.every): a key is due once it is `every` old. Pure.

/** When the key issued at `createdAt` is due (epoch ms), or undefined without a schedule or a key. */
export function nextRotationAt(createdAt: string | undefined, everyMs: number | undefined): number | undefined {
  if (!everyMs || everyMs <= 0 || !createdAt) return undefined;
  const issued = Date.parse(createdAt);
  return Number.isFinite(issued) ? issued + everyMs : undefined;
}

/** True when the key is due at `now`. */
export function isRotationDue(now: number, createdAt: string | undefined, everyMs: number | undefined): boolean {
  const due = nextRotationAt(createdAt, everyMs);
  return due !== undefined && now >= due;
}

/** Longest wait for a scheduled rotation before the account is looked at again (6 h): far below what a timer can hold. */
export const MAX_SCHEDULE_WAIT_MS = 6 * 3_600_000;

/**
 * When to look at the account again (ms from `now`), or undefined: when the act step asks
 * (`actRequeueMs`, e.g. the end of a grace period) or the next rotation is due, whichever is
 * first, never more than {@link MAX_SCHEDULE_WAIT_MS} ahead for a schedule, and 50 ms late
 * rather than early.
 */
export function lookAgainAfterMs(now: number, actRequeueMs: number | undefined, nextRotation: number | undefined): number | undefined {
  const waits = [actRequeueMs, nextRotation !== undefined ? Math.min(nextRotation - now, MAX_SCHEDULE_WAIT_MS) : undefined].filter((ms): ms is number => ms !== undefined);
  return waits.length > 0 ? Math.max(1, Math.ceil(Math.min(...waits)) + 50) : undefined;
}
