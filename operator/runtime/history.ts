// The bounded history of an account (status.history) and who changed its spec.
//
// A reconcile appends entries only for a transition it writes into status anyway
// (a new phase, key, role or invitation): history never causes a write of its own.
// "Who" is the field manager of the latest spec change, from metadata.managedFields,
// which the informer reads before it drops them (informer.ts, `prepare`).
import type { KubeObject } from './kinds.js';
import { flat } from './compact-history.js';
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
  /** The spec field that caused it (dotted, under spec: `role`, `keyRotation.revision`): its owner is named, not merely the latest writer of spec. */
  readonly field?: string;
}

/** Who changed the spec: the manager owning `field` when given and known, else the latest spec writer. */
export type SpecManagerLookup = (field?: string) => string | undefined;

/** `history` with `transitions` appended (stamped `now`, `by` the spec's manager when from the spec), keeping the last `max`. */
export function appendHistory(history: readonly HistoryItem[] | undefined, transitions: readonly Transition[], now: number, specManager: string | SpecManagerLookup | undefined, max: number): HistoryItem[] {
  const list = [...(history ?? [])];
  for (const t of transitions) {
    const by = t.fromSpec ? (typeof specManager === 'function' ? specManager(t.field) : specManager) : undefined;
    list.push({ at: kubeTime(now), event: t.event, reason: t.reason, message: t.message.slice(0, 512), ...(by ? { by: by.slice(0, 128) } : {}) });
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

/** A spec writer of a managedFields entry: who, when, and the spec fields it owns (dotted paths, two levels deep). */
interface SpecWriter {
  readonly manager: string;
  readonly at: number;
  readonly fields: readonly string[];
}

/** The spec fields (dotted, at most two levels under spec) a fieldsV1 set owns. */
function specFields(fieldsV1: Record<string, unknown>): string[] {
  const spec = fieldsV1['f:spec'];
  if (typeof spec !== 'object' || spec === null) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(spec)) {
    if (!k.startsWith('f:')) continue;
    const name = k.slice(2);
    out.push(name);
    if (typeof v === 'object' && v !== null) for (const sub of Object.keys(v)) if (sub.startsWith('f:')) out.push(`${name}.${sub.slice(2)}`);
  }
  return out;
}

function specWriters(managedFields: readonly ManagedFieldsEntry[] | undefined): SpecWriter[] {
  const out: SpecWriter[] = [];
  for (const entry of managedFields ?? []) {
    if (entry.subresource || !entry.manager || !entry.fieldsV1 || !('f:spec' in entry.fieldsV1)) continue;
    const at = entry.time === undefined ? 0 : new Date(entry.time).getTime();
    out.push({ manager: entry.manager, at: Number.isFinite(at) ? at : 0, fields: specFields(entry.fieldsV1) });
  }
  return out;
}

function pick(writers: readonly SpecWriter[], field?: string): string | undefined {
  const owners = field === undefined ? [] : writers.filter((w) => w.fields.includes(field));
  let best: SpecWriter | undefined;
  for (const w of owners.length > 0 ? owners : writers) if (!best || w.at >= best.at) best = w;
  return best?.manager;
}

/** The manager that owns `field` of spec (the latest such), else the latest managedFields entry that owns something under spec (status writes excluded). */
export function latestSpecManager(managedFields: readonly ManagedFieldsEntry[] | undefined, field?: string): string | undefined {
  return pick(specWriters(managedFields), field);
}

// Cached objects are replaced, never edited: the spec writers of each cached version, as one JSON
// text of [rank, manager, ...fields] tuples (one flat string: ~60 B a User instead of ~300 B of
// arrays and objects; read only when a transition names who caused it). Equal texts are shared. The
// rank stands for the time: {@link pick} only compares times, so writers ranked by time (equal times,
// equal ranks) pick the same manager, and objects written by the same managers the same way share
// one text, where the times made each object's text its own (~80 B per User and ServiceAccount).
const writersOf = new WeakMap<object, string>();
const textPool = new Map<string, string>();
const TEXT_POOL_LIMIT = 10_000;

/** Each writer's time as its rank among the writers' distinct times (0 the earliest). */
function timeRanks(writers: readonly SpecWriter[]): number[] {
  const times = [...new Set(writers.map((w) => w.at))].sort((a, b) => a - b);
  return writers.map((w) => times.indexOf(w.at));
}

function encodeWriters(writers: readonly SpecWriter[]): string {
  const ranks = timeRanks(writers);
  const text = flat(JSON.stringify(writers.map((w, i) => [ranks[i], w.manager, ...w.fields])));
  const known = textPool.get(text);
  if (known !== undefined) return known;
  if (textPool.size >= TEXT_POOL_LIMIT) textPool.clear();
  textPool.set(text, text);
  return text;
}

function decodeWriters(text: string | undefined): SpecWriter[] {
  if (text === undefined) return [];
  return (JSON.parse(text) as [number, string, ...string[]][]).map(([at, manager, ...fields]) => ({ at, manager, fields }));
}

/** Remembers the spec writers of a cached object that has a spec (the informer calls it before dropping managedFields). */
export function rememberSpecManager(object: KubeObject, managedFields: readonly ManagedFieldsEntry[] | undefined): void {
  if (!('spec' in object)) return;
  const writers = specWriters(managedFields);
  if (writers.length > 0) writersOf.set(object, encodeWriters(writers));
}

/** The text {@link rememberSpecManager} keeps for `object`, if any. Exported for tests. */
export function rememberedSpecWriters(object: KubeObject): string | undefined {
  return writersOf.get(object);
}

/** Who changed the spec of a cached object (the owner of `field`, else the latest spec writer), when known. */
export function specChangedBy(object: KubeObject): SpecManagerLookup {
  let writers: SpecWriter[] | undefined;
  return (field) => pick((writers ??= decodeWriters(writersOf.get(object))), field);
}
