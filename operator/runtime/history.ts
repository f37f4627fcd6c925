// The bounded history of an account (status.history) and who changed its spec.
//
// A reconcile appends entries only for a transition it writes into status anyway
// (a new phase, key, role or invitation): history never causes a write of its own.
// "Who" is the field manager of the latest spec change, from metadata.managedFields,
// which the informer reads before it drops them (informer.ts, `prepare`).
import type { KubeObject } from './kinds.js';
import { kubeTime } from './conditions.js';

/** One transition (the shape of api/history.ts HistoryEntry). */
export interface HistoryItem {
  readonly at: string;
  readonly event: string;
  readonly reason: string;
  readonly message: string;
  readonly by?: string;
}

/** A transition to record, before it is stamped. */
export interface Transition {
  readonly event: string;
  readonly reason: string;
  readonly message: string;
  /** The spec change caused it: name who changed the spec, if Kubernetes tells. */
  readonly fromSpec?: boolean;
}

/** `history` with `transitions` appended (stamped `now`, `by` the spec's manager when from the spec), keeping the last `max`. */
export function appendHistory(history: readonly HistoryItem[] | undefined, transitions: readonly Transition[], now: number, specManager: string | undefined, max: number): HistoryItem[] {
  const list = [...(history ?? [])];
  for (const t of transitions) {
    list.push({ at: kubeTime(now), event: t.event, reason: t.reason, message: t.message.slice(0, 512), ...(t.fromSpec && specManager ? { by: specManager.slice(0, 128) } : {}) });
  }
  return list.slice(Math.max(0, list.length - max));
}

interface ManagedFieldsEntry {
  readonly manager?: string;
  readonly operation?: string;
  readonly subresource?: string;
  readonly time?: string | Date;
  readonly fieldsV1?: Record<string, unknown>;
}

/** The manager of the latest managedFields entry that owns something under spec (status writes excluded). */
export function latestSpecManager(managedFields: readonly ManagedFieldsEntry[] | undefined): string | undefined {
  let best: { manager: string; at: number } | undefined;
  for (const entry of managedFields ?? []) {
    if (entry.subresource || !entry.manager || !entry.fieldsV1 || !('f:spec' in entry.fieldsV1)) continue;
    const at = entry.time === undefined ? 0 : new Date(entry.time).getTime();
    if (!best || (Number.isFinite(at) && at >= best.at)) best = { manager: entry.manager, at: Number.isFinite(at) ? at : 0 };
  }
  return best?.manager;
}

// Cached objects are replaced, never edited: the manager of each cached version.
const specManagers = new WeakMap<object, string>();

/** Remembers the spec's manager of a cached object (the informer calls it before dropping managedFields). */
export function rememberSpecManager(object: KubeObject, managedFields: readonly ManagedFieldsEntry[] | undefined): void {
  const manager = latestSpecManager(managedFields);
  if (manager) specManagers.set(object, manager);
}

/** The field manager of the latest spec change of a cached object, when known. */
export function specChangedBy(object: KubeObject): string | undefined {
  return specManagers.get(object);
}
