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
