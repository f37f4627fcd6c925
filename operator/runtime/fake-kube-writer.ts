// An in-memory KubeWriter for table tests of act steps and whole reconciles: it
// keeps objects by kind/namespace/name, bumps resourceVersions, answers 404 and
// 409 the way the API server does, lists by namespace and label selector, and
// applies each patch by its type (JSON merge patch, JSON patch, server-side
// apply). A write to the main resource leaves status alone and a write to the
// status subresource changes only status, as for a kind with a status
// subresource. It records every call and Event.
import { pino } from 'pino';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import type { ReconcileContext } from './controller.js';
import { ApiError } from './errors.js';
import type { EventRecorder, EventType } from './events.js';
import type { KindDescriptor, KubeObject } from './kinds.js';
import { splitKey } from './kinds.js';
import { PatchType } from './kube-client.js';
import type { JsonPatchOp, ObjectList, Query } from './kube-client.js';
import type { ActContext, KubeWriter } from './kube-writer.js';

/** One call the fake received. */
export interface WriterCall {
  readonly verb: 'get' | 'list' | 'create' | 'replace' | 'patch' | 'apply' | 'delete';
  readonly kind: string;
  readonly namespace: string | undefined;
  readonly name: string;
  readonly subresource?: string;
  /** Content type of a patch (merge, json) or of an apply. */
  readonly patchType?: string;
  readonly fieldManager?: string;
  readonly body?: unknown;
}

/** One Event the fake recorded. */
export interface RecordedEvent {
  readonly regarding: string;
  readonly type: EventType;
  readonly reason: string;
  readonly note: string;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 7386: objects merge, null removes, anything else replaces. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const base: Json = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete base[key];
    else base[key] = mergePatch(base[key], value);
  }
  return base;
}

/**
 * Server-side apply, as far as one field manager goes: the applied fields are set (objects merge
 * field by field, lists and scalars are replaced), fields it does not name are left as they are.
 */
function applyMerge(target: unknown, applied: unknown): unknown {
  if (!isObject(applied)) return applied;
  const base: Json = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(applied)) if (value !== undefined) base[key] = applyMerge(base[key], value);
  return base;
}

function unescapePointer(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** RFC 6902 on a copy of `target`; a failed `test` or a missing path is a 422, as the API server answers. */
function jsonPatch(target: unknown, ops: readonly JsonPatchOp[]): unknown {
  const document = structuredClone(target);
  const invalid = (op: JsonPatchOp, why: string): ApiError => new ApiError(`the JSON patch ${op.op} ${op.path} failed: ${why}`, 422, 'Invalid');
  const locate = (op: JsonPatchOp, path: string): { parent: Json | unknown[]; key: string } => {
    const tokens = path.split('/').slice(1).map(unescapePointer);
    const last = tokens.pop();
    if (last === undefined) throw invalid(op, 'the whole document cannot be patched');
    let parent: unknown = document;
    for (const token of tokens) {
      parent = Array.isArray(parent) ? parent[Number(token)] : isObject(parent) ? parent[token] : undefined;
      if (parent === undefined) throw invalid(op, `${path} does not exist`);
    }
    if (!isObject(parent) && !Array.isArray(parent)) throw invalid(op, `${path} does not exist`);
    return { parent, key: last };
  };
  const read = (op: JsonPatchOp, path: string): unknown => {
    const { parent, key } = locate(op, path);
    const value = Array.isArray(parent) ? parent[Number(key)] : parent[key];
    if (value === undefined) throw invalid(op, `${path} does not exist`);
    return value;
  };
  const remove = (op: JsonPatchOp, path: string): void => {
    read(op, path);
    const { parent, key } = locate(op, path);
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key];
  };
  const add = (op: JsonPatchOp, path: string, value: unknown): void => {
    const { parent, key } = locate(op, path);
    if (Array.isArray(parent)) parent.splice(key === '-' ? parent.length : Number(key), 0, structuredClone(value));
    else parent[key] = structuredClone(value);
  };
  for (const op of ops) {
    switch (op.op) {
      case 'test':
        if (JSON.stringify(read(op, op.path)) !== JSON.stringify(op.value)) throw invalid(op, 'the test did not match');
        break;
      case 'remove':
        remove(op, op.path);
        break;
      case 'add':
        add(op, op.path, op.value);
        break;
      case 'replace':
        remove(op, op.path);
        add(op, op.path, op.value);
        break;
      case 'move': {
        const value = read(op, op.from ?? '');
        remove(op, op.from ?? '');
        add(op, op.path, value);
        break;
      }
      case 'copy':
        add(op, op.path, read(op, op.from ?? ''));
        break;
    }
  }
  return document;
}

/** True when `object` carries every `key=value` of an equality label selector (what the operator uses). */
function matchesLabels(object: KubeObject, selector: string | undefined): boolean {
  if (!selector) return true;
  const labels = object.metadata?.labels ?? {};
  return selector.split(',').every((term) => {
    // `key!=value`, as kube-apiserver reads it: also true when the label is missing.
    const unequal = term.indexOf('!=');
    if (unequal >= 0) return labels[term.slice(0, unequal).trim()] !== term.slice(unequal + 2).trim();
    const [key = '', value] = term.split('=');
    return value === undefined ? key.trim() in labels : labels[key.trim()] === value.trim();
  });
}

/** A KubeWriter over a map, plus an EventRecorder; `calls` and `events` say what happened. */
export class FakeKubeWriter implements KubeWriter, EventRecorder {
  readonly calls: WriterCall[] = [];
  readonly events: RecordedEvent[] = [];
  private readonly objects = new Map<string, { kind: KindDescriptor; object: KubeObject }>();
  private version = 100;
  private uids = 0;
  /** Thrown by the next call whose verb matches, once. */
  private failures: { verb: WriterCall['verb']; error: Error }[] = [];

  constructor(seed: readonly { kind: KindDescriptor; object: KubeObject }[] = []) {
    for (const { kind, object } of seed) this.objects.set(this.key(kind, object.metadata?.namespace, object.metadata?.name ?? ''), { kind, object: structuredClone(object) });
  }

  /** Makes the next `verb` call fail with `error`. */
  failNext(verb: WriterCall['verb'], error: Error): this {
    this.failures.push({ verb, error });
    return this;
  }

  /** The stored object, if any. */
  stored<T extends KubeObject>(kind: KindDescriptor, namespace: string | undefined, name: string): T | undefined {
    return this.objects.get(this.key(kind, namespace, name))?.object as T | undefined;
  }

  /** Puts `object` in the store as is (something else wrote it); its resourceVersion is bumped. */
  put(kind: KindDescriptor, object: KubeObject): KubeObject {
    return this.store(kind, this.key(kind, object.metadata?.namespace, object.metadata?.name ?? ''), object);
  }

  /** Removes an object from the store (something else deleted it). */
  remove(kind: KindDescriptor, namespace: string | undefined, name: string): void {
    this.objects.delete(this.key(kind, namespace, name));
  }

  /** Calls as `verb kind namespace/name[/subresource]`, the shape table tests compare (reads left out). */
  get writes(): string[] {
    return this.calls.filter((c) => c.verb !== 'get' && c.verb !== 'list').map((c) => `${c.verb} ${c.kind} ${c.namespace ? `${c.namespace}/` : ''}${c.name}${c.subresource ? `/${c.subresource}` : ''}`);
  }

  /** An ActContext writing here, with a silent logger. */
  act(): ActContext {
    return { client: this, recorder: this, log: pino({ level: 'silent' }) };
  }

  /** A ReconcileContext for `key` writing here: for tests of a whole reconcile. */
  reconcileContext(key: string, options: { readonly clock?: Clock; readonly retries?: number; readonly signal?: AbortSignal } = {}): ReconcileContext {
    const { namespace, name } = splitKey(key);
    return {
      ...this.act(),
      signal: options.signal ?? new AbortController().signal,
      reconcileID: `test-${this.calls.length}`,
      namespace,
      name,
      retries: options.retries ?? 0,
      clock: options.clock ?? systemClock,
    };
  }

  async event(regarding: KubeObject, type: EventType, reason: string, note: string): Promise<void> {
    this.events.push({ regarding: `${regarding.metadata?.namespace ? `${regarding.metadata.namespace}/` : ''}${regarding.metadata?.name ?? ''}`, type, reason, note });
    return Promise.resolve();
  }

  async get<T extends KubeObject>(kind: KindDescriptor, namespace: string | undefined, name: string): Promise<T> {
    this.record({ verb: 'get', kind: kind.kind, namespace, name });
    const found = this.objects.get(this.key(kind, namespace, name));
    if (!found) throw notFound(kind, name);
    return Promise.resolve(structuredClone(found.object) as T);
  }

  async list<T extends KubeObject>(kind: KindDescriptor, options: { namespace?: string | undefined; query?: Query; signal?: AbortSignal } = {}): Promise<ObjectList<T>> {
    this.record({ verb: 'list', kind: kind.kind, namespace: options.namespace, name: '' });
    const selector = options.query?.labelSelector;
    const items = [...this.objects.values()]
      .filter((entry) => sameKind(entry.kind, kind) && (options.namespace === undefined || entry.object.metadata?.namespace === options.namespace))
      .map((entry) => entry.object)
      .filter((object) => matchesLabels(object, typeof selector === 'string' ? selector : undefined))
      .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
    return Promise.resolve({ metadata: { resourceVersion: String(this.version) }, items: structuredClone(items) as T[] });
  }

  async create<T extends KubeObject>(kind: KindDescriptor, object: T, query?: Query): Promise<T> {
    const namespace = object.metadata?.namespace;
    const name = object.metadata?.name ?? '';
    const fieldManager = typeof query?.fieldManager === 'string' ? query.fieldManager : undefined;
    this.record({ verb: 'create', kind: kind.kind, namespace, name, ...(fieldManager ? { fieldManager } : {}), body: object });
    const key = this.key(kind, namespace, name);
    if (this.objects.has(key)) throw new ApiError(`${kind.kind} "${name}" already exists`, 409, 'AlreadyExists');
    const created = structuredClone(object);
    created.metadata = { uid: `uid-${++this.uids}`, ...created.metadata };
    return Promise.resolve(this.store(kind, key, created) as T);
  }

  async replace<T extends KubeObject>(kind: KindDescriptor, object: T, subresource?: string): Promise<T> {
    const namespace = object.metadata?.namespace;
    const name = object.metadata?.name ?? '';
    this.record({ verb: 'replace', kind: kind.kind, namespace, name, body: object, ...(subresource ? { subresource } : {}) });
    const key = this.key(kind, namespace, name);
    const current = this.objects.get(key)?.object;
    if (!current) throw notFound(kind, name);
    this.checkVersion(kind, current, object.metadata?.resourceVersion);
    return Promise.resolve(this.store(kind, key, onlyWhatTheEndpointChanges(current, object, subresource)) as T);
  }

  async patch<T extends KubeObject>(
    kind: KindDescriptor,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    options: { type?: (typeof PatchType)['merge' | 'json']; subresource?: string; fieldManager?: string } = {},
  ): Promise<T> {
    const patchType = options.type ?? PatchType.merge;
    this.record({
      verb: 'patch',
      kind: kind.kind,
      namespace,
      name,
      body: patch,
      patchType,
      ...(options.subresource ? { subresource: options.subresource } : {}),
      ...(options.fieldManager ? { fieldManager: options.fieldManager } : {}),
    });
    const key = this.key(kind, namespace, name);
    const current = this.objects.get(key)?.object;
    if (!current) throw notFound(kind, name);
    let next: KubeObject;
    if (patchType === PatchType.json) {
      if (!Array.isArray(patch)) throw new ApiError('a JSON patch is a list of operations', 400, 'BadRequest');
      next = jsonPatch(current, patch as JsonPatchOp[]) as KubeObject;
    } else {
      this.checkVersion(kind, current, (patch as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion);
      next = mergePatch(current, patch) as KubeObject;
    }
    return Promise.resolve(this.store(kind, key, onlyWhatTheEndpointChanges(current, next, options.subresource)) as T);
  }

  async apply<T extends KubeObject>(kind: KindDescriptor, object: T, options: { fieldManager: string; force?: boolean; subresource?: string }): Promise<T> {
    const namespace = object.metadata?.namespace;
    const name = object.metadata?.name ?? '';
    this.record({
      verb: 'apply',
      kind: kind.kind,
      namespace,
      name,
      body: object,
      patchType: PatchType.apply,
      fieldManager: options.fieldManager,
      ...(options.subresource ? { subresource: options.subresource } : {}),
    });
    const key = this.key(kind, namespace, name);
    const current = this.objects.get(key)?.object;
    if (!current) {
      // An apply creates what is missing (the status subresource cannot).
      if (options.subresource) throw notFound(kind, name);
      const created = structuredClone(object);
      created.metadata = { uid: `uid-${++this.uids}`, ...created.metadata };
      return Promise.resolve(this.store(kind, key, created) as T);
    }
    return Promise.resolve(this.store(kind, key, onlyWhatTheEndpointChanges(current, applyMerge(current, object) as KubeObject, options.subresource)) as T);
  }

  async delete(kind: KindDescriptor, namespace: string | undefined, name: string, body?: unknown): Promise<void> {
    this.record({ verb: 'delete', kind: kind.kind, namespace, name, ...(body !== undefined ? { body } : {}) });
    const key = this.key(kind, namespace, name);
    const uid = (body as { preconditions?: { uid?: string } } | undefined)?.preconditions?.uid;
    const current = this.objects.get(key)?.object;
    if (current && uid !== undefined && current.metadata?.uid !== uid) throw new ApiError(`${kind.kind} "${name}": precondition failed: UID mismatch`, 409, 'Conflict');
    this.objects.delete(key);
    return Promise.resolve();
  }

  private record(call: WriterCall): void {
    this.calls.push(call);
    const index = this.failures.findIndex((f) => f.verb === call.verb);
    if (index >= 0) {
      const [failure] = this.failures.splice(index, 1);
      if (failure) throw failure.error;
    }
  }

  private checkVersion(kind: KindDescriptor, current: KubeObject, resourceVersion: string | undefined): void {
    if (resourceVersion !== undefined && resourceVersion !== current.metadata?.resourceVersion) {
      throw new ApiError(`Operation cannot be fulfilled on ${kind.plural} "${current.metadata?.name ?? ''}": the object has been modified`, 409, 'Conflict');
    }
  }

  private store(kind: KindDescriptor, key: string, object: KubeObject): KubeObject {
    const saved = structuredClone(object);
    saved.metadata = { ...saved.metadata, resourceVersion: String(++this.version) };
    this.objects.set(key, { kind, object: saved });
    return structuredClone(saved);
  }

  private key(kind: KindDescriptor, namespace: string | undefined, name: string): string {
    return `${kind.group}/${kind.kind}/${namespace ?? ''}/${name}`;
  }
}

/**
 * What a write leaves of `next`: through the status subresource only status changes (and nothing
 * else of the body counts); through the main resource status stays as it was.
 */
function onlyWhatTheEndpointChanges(current: KubeObject, next: KubeObject, subresource: string | undefined): KubeObject {
  const { status: currentStatus, ...currentRest } = current as KubeObject & { status?: unknown };
  const { status: nextStatus, ...nextRest } = next as KubeObject & { status?: unknown };
  if (subresource === 'status') return { ...currentRest, ...(nextStatus !== undefined ? { status: nextStatus } : {}) } as KubeObject;
  return { ...nextRest, ...(currentStatus !== undefined ? { status: currentStatus } : {}) } as KubeObject;
}

function sameKind(a: KindDescriptor, b: KindDescriptor): boolean {
  return a.group === b.group && a.kind === b.kind;
}

function notFound(kind: KindDescriptor, name: string): ApiError {
  return new ApiError(`${kind.plural} "${name}" not found`, 404, 'NotFound');
}
