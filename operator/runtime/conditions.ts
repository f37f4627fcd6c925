// Standard Kubernetes conditions (metav1.Condition) and how to set one.

import type { Condition } from '../api/kind.js';
import { READY_FALSE_MEANING } from '../api/reasons.js';

/** A status condition as the API conventions define it (the one type, declared with the API schema). */
export type { Condition };

/** A condition to set; the transition time is filled in by {@link setCondition}. */
export type ConditionInput = Omit<Condition, 'lastTransitionTime'>;

/** RFC 3339 to the second, as Kubernetes stores metav1.Time. */
export function kubeTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * Returns `conditions` with `input` set: a new list, order kept. lastTransitionTime
 * changes only when the status changes, so a reconcile that re-derives the same
 * condition produces an identical list (and no write).
 */
export function setCondition(conditions: readonly Condition[] | undefined, input: ConditionInput, now: number): Condition[] {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((c) => c.type === input.type);
  const existing = index >= 0 ? list[index] : undefined;
  const next: Condition = {
    type: input.type,
    status: input.status,
    ...(input.observedGeneration !== undefined ? { observedGeneration: input.observedGeneration } : {}),
    lastTransitionTime: existing && existing.status === input.status ? existing.lastTransitionTime : kubeTime(now),
    reason: input.reason,
    message: input.message,
  };
  if (index >= 0) list[index] = next;
  else list.push(next);
  return list;
}

/** The condition of a type, if any. */
export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** True when the condition of `type` has status True. */
export function isConditionTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'True';
}

/**
 * `conditions` with Reconciling and Stalled derived from Ready (api/reasons.ts READY_FALSE_MEANING),
 * as kstatus reads them: Stalled=True when Ready=False means a person must act, Reconciling=True while
 * the operator is still at work; each present only while true (abnormal-true conditions). They take
 * Ready's reason, message and generation, and the time Ready last changed (or their own, while they
 * hold): derived again from the same Ready, the list is identical, so it causes no write.
 */
export function withProgressConditions(conditions: readonly Condition[]): Condition[] {
  const ready = findCondition(conditions, 'Ready');
  const rest = conditions.filter((c) => c.type !== 'Reconciling' && c.type !== 'Stalled');
  if (!ready || ready.status === 'True') return rest;
  const meaning = ready.status === 'Unknown' ? 'progress' : (READY_FALSE_MEANING[ready.reason] ?? 'stalled');
  if (meaning === 'settled') return rest;
  const type = meaning === 'progress' ? 'Reconciling' : 'Stalled';
  const held = findCondition(conditions, type);
  return [
    ...rest,
    {
      type,
      status: 'True',
      ...(ready.observedGeneration !== undefined ? { observedGeneration: ready.observedGeneration } : {}),
      lastTransitionTime: held?.status === 'True' ? held.lastTransitionTime : ready.lastTransitionTime,
      reason: ready.reason,
      message: ready.message,
    },
  ];
}
