// One frozen copy of each condition that several cached objects hold equal (issue 24 §2, heap per
// cached object). A condition is six fields (~72 B of object header and slots, before its strings);
// on a real cluster about half of them are equal across objects: those whose message names nothing
// of the object ("Every listed workspace exists") written in the same second (objects are created
// in bursts, ~55 per second in the --scale run). Readers see equal values; a reader that tried to
// edit a cached condition in place (a bug: cached objects are read-only) now gets a TypeError.

/** The fields a shareable condition may have (in any order); any other field and it is kept as it is. */
const CONDITION_KEYS = new Set(['type', 'status', 'reason', 'message', 'lastTransitionTime', 'observedGeneration']);

/**
 * Conditions by a hash of their keys and values. Bounded: past {@link POOL_LIMIT} entries the pool
 * starts again (what was shared stays shared). A hash, not the text, is the key: a condition seen
 * once (most messages that name the object) costs the pool one entry, not a copy of its text.
 */
const pool = new Map<number, Readonly<Record<string, unknown>>>();
const POOL_LIMIT = 20_000;

/** FNV-1a over the keys and values in their order; undefined when the condition is not shareable. */
function hashOf(condition: Record<string, unknown>): number | undefined {
  let hash = 0x811c9dc5;
  let count = 0;
  for (const key in condition) {
    if (!Object.hasOwn(condition, key) || !CONDITION_KEYS.has(key)) return undefined;
    const value = condition[key];
    let text: string;
    if (typeof value === 'string') text = value;
    else if (typeof value === 'number' && Number.isSafeInteger(value)) text = `#${value}`;
    else return undefined;
    for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
    hash = Math.imul(hash ^ 0xff, 0x01000193);
    for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
    hash = Math.imul(hash ^ 0xfe, 0x01000193);
    count++;
  }
  return count === 0 ? undefined : hash | 0;
}

/** Same own keys in the same order, and the same values. */
function sameCondition(a: Readonly<Record<string, unknown>>, b: Record<string, unknown>): boolean {
  const aKeys = Object.keys(a);
  const bKeys = Object.keys(b);
  if (aKeys.length !== bKeys.length) return false;
  for (let i = 0; i < aKeys.length; i++) {
    const key = aKeys[i] as string;
    if (key !== bKeys[i] || a[key] !== b[key]) return false;
  }
  return true;
}

/**
 * Replaces, in place, each condition of `status.conditions` that an earlier call already saw (equal
 * keys, order and values) by that one copy, frozen. The first of its kind is kept and frozen: a second
 * equal one then shares it. Conditions with other fields, or values that are not strings or whole
 * numbers, are left alone, as is a frozen array. `prepareFirst` is given each condition about to be
 * kept as the first of its kind, before it is frozen (the informer interns its strings there).
 */
export function shareConditions(status: unknown, prepareFirst?: (condition: Record<string, unknown>) => void): void {
  if (status === null || typeof status !== 'object') return;
  const conditions = (status as { conditions?: unknown }).conditions;
  if (!Array.isArray(conditions) || Object.isFrozen(conditions)) return;
  for (let i = 0; i < conditions.length; i++) {
    const condition: unknown = conditions[i];
    if (condition === null || typeof condition !== 'object' || Array.isArray(condition)) continue;
    const record = condition as Record<string, unknown>;
    const hash = hashOf(record);
    if (hash === undefined) continue;
    const known = pool.get(hash);
    if (known !== undefined && known !== record && sameCondition(known, record)) {
      conditions[i] = known;
      continue;
    }
    if (known !== undefined) continue; // a collision (or the same object again): keep the first
    if (pool.size >= POOL_LIMIT) pool.clear();
    prepareFirst?.(record);
    pool.set(hash, Object.freeze(record));
  }
}
