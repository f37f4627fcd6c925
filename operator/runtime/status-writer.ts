// Conflict-safe writes of status and finalizers, made only when something changed.
//
// Writes are JSON merge patches (custom resources reject strategic merge)
// carrying the cached resourceVersion: if the object moved on since the cache
// saw it, the API server answers 409, the reconcile fails transiently and runs
// again on the newer version. Nothing is ever written from stale data.
import { withProgressConditions } from './conditions.js';
import type { Condition } from './conditions.js';
import { jsonEqual } from './deep-equal.js';
import type { KindDescriptor, KubeObject } from './kinds.js';
import type { KubeWriter } from './kube-writer.js';

/** The RFC 7386 merge patch that turns `from` into `to` (removed members become null). */
export function createMergePatch(from: unknown, to: unknown): unknown {
  if (!isPlainObject(from) || !isPlainObject(to)) return to === undefined ? null : to;
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(from)) if (to[key] === undefined && from[key] !== undefined) patch[key] = null;
  for (const [key, value] of Object.entries(to)) {
    if (value === undefined || jsonEqual(from[key], value)) continue;
    patch[key] = isPlainObject(from[key]) && isPlainObject(value) ? createMergePatch(from[key], value) : value;
  }
  return patch;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A status with Reconciling and Stalled derived from its Ready condition (conditions.ts), when it has conditions. */
function withKstatusConditions(status: unknown): unknown {
  const conditions = (status as { conditions?: unknown } | undefined)?.conditions;
  if (!Array.isArray(conditions)) return status;
  return { ...(status as object), conditions: withProgressConditions(conditions as Condition[]) };
}

/**
 * Writes `desired` (with Reconciling and Stalled derived from its Ready condition, for kstatus) to
 * the status subresource of `current` (as read from the cache) when it differs from
 * `current.status`. Returns the updated object, or undefined when nothing changed.
 */
export async function writeStatus<T extends KubeObject & { status?: unknown }>(client: KubeWriter, kind: KindDescriptor, current: T, desired: unknown): Promise<T | undefined> {
  const status = withKstatusConditions(desired);
  if (jsonEqual(current.status ?? {}, status ?? {})) return undefined;
  const meta = current.metadata ?? {};
  const patch = { metadata: { resourceVersion: meta.resourceVersion }, status: createMergePatch(current.status ?? {}, status) };
  return client.patch<T>(kind, meta.namespace, meta.name ?? '', patch, { subresource: 'status' });
}

/** Adds a finalizer unless present. Returns the updated object, or undefined when nothing changed. */
export async function addFinalizer<T extends KubeObject>(client: KubeWriter, kind: KindDescriptor, current: T, finalizer: string): Promise<T | undefined> {
  const finalizers = current.metadata?.finalizers ?? [];
  if (finalizers.includes(finalizer)) return undefined;
  return patchFinalizers(client, kind, current, [...finalizers, finalizer]);
}

/** Removes a finalizer if present. Returns the updated object, or undefined when nothing changed. */
export async function removeFinalizer<T extends KubeObject>(client: KubeWriter, kind: KindDescriptor, current: T, finalizer: string): Promise<T | undefined> {
  const finalizers = current.metadata?.finalizers ?? [];
  if (!finalizers.includes(finalizer)) return undefined;
  return patchFinalizers(client, kind, current, finalizers.filter((f) => f !== finalizer));
}

/** True when the object carries `finalizer`. */
export function hasFinalizer(object: KubeObject, finalizer: string): boolean {
  return object.metadata?.finalizers?.includes(finalizer) ?? false;
}

function patchFinalizers<T extends KubeObject>(client: KubeWriter, kind: KindDescriptor, current: T, finalizers: string[]): Promise<T> {
  const meta = current.metadata ?? {};
  // A merge patch replaces the whole list; the resourceVersion makes that safe against concurrent edits.
  return client.patch<T>(kind, meta.namespace, meta.name ?? '', { metadata: { resourceVersion: meta.resourceVersion, finalizers } });
}

/** What {@link finalizerStep} decided. */
export type FinalizerStepResult<T> = { readonly done: true } | { readonly done: false; readonly object: T };

/**
 * The finalizer step every controller takes right after fetching its object: an object being
 * deleted is cleaned up by `finalize` and released (done); any other object gets the finalizer
 * if it lacks it, and the reconcile goes on with the object as written.
 */
export async function finalizerStep<T extends KubeObject>(
  client: KubeWriter,
  kind: KindDescriptor,
  object: T,
  finalizer: string,
  finalize: (object: T) => Promise<void>,
): Promise<FinalizerStepResult<T>> {
  if (object.metadata?.deletionTimestamp) {
    if (!hasFinalizer(object, finalizer)) return { done: true };
    await finalize(object);
    await removeFinalizer(client, kind, object, finalizer);
    return { done: true };
  }
  return { done: false, object: (await addFinalizer(client, kind, object, finalizer)) ?? object };
}
