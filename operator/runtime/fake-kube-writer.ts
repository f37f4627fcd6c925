// An in-memory KubeWriter for table tests of act steps: it keeps objects by
// kind/namespace/name, bumps resourceVersions, answers 404 and 409 the way the
// API server does, applies merge patches, and records every call and Event.
import { pino } from 'pino';
import { ApiError } from './errors.js';
import type { EventRecorder, EventType } from './events.js';
import type { KindDescriptor, KubeObject } from './kinds.js';
import type { ActContext, KubeWriter } from './kube-writer.js';

/** One call the fake received. */
export interface WriterCall {
  readonly verb: 'get' | 'create' | 'replace' | 'patch' | 'apply' | 'delete';
  readonly kind: string;
  readonly namespace: string | undefined;
  readonly name: string;
  readonly subresource?: string;
  readonly body?: unknown;
}

/** One Event the fake recorded. */
export interface RecordedEvent {
  readonly regarding: string;
  readonly type: EventType;
  readonly reason: string;
  readonly note: string;
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const base: Record<string, unknown> = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete base[key];
    else base[key] = mergePatch(base[key], value);
  }
  return base;
}

/** A KubeWriter over a map, plus an EventRecorder; `calls` and `events` say what happened. */
export class FakeKubeWriter implements KubeWriter, EventRecorder {
  readonly calls: WriterCall[] = [];
  readonly events: RecordedEvent[] = [];
  private readonly objects = new Map<string, KubeObject>();
  private version = 100;
  /** Thrown by the next call whose verb matches, once. */
  private failures: { verb: WriterCall['verb']; error: Error }[] = [];

  constructor(seed: readonly { kind: KindDescriptor; object: KubeObject }[] = []) {
    for (const { kind, object } of seed) this.objects.set(this.key(kind, object.metadata?.namespace, object.metadata?.name ?? ''), structuredClone(object));
  }

  /** Makes the next `verb` call fail with `error`. */
  failNext(verb: WriterCall['verb'], error: Error): this {
    this.failures.push({ verb, error });
    return this;
  }

  /** The stored object, if any. */
  stored<T extends KubeObject>(kind: KindDescriptor, namespace: string | undefined, name: string): T | undefined {
    return this.objects.get(this.key(kind, namespace, name)) as T | undefined;
  }

  /** Calls as `verb kind namespace/name[/subresource]`, the shape table tests compare. */
  get writes(): string[] {
    return this.calls.filter((c) => c.verb !== 'get').map((c) => `${c.verb} ${c.kind} ${c.namespace ? `${c.namespace}/` : ''}${c.name}${c.subresource ? `/${c.subresource}` : ''}`);
  }

  /** An ActContext writing here, with a silent logger. */
  act(): ActContext {
    return { client: this, recorder: this, log: pino({ level: 'silent' }) };
  }

  async event(regarding: KubeObject, type: EventType, reason: string, note: string): Promise<void> {
    this.events.push({ regarding: `${regarding.metadata?.namespace ? `${regarding.metadata.namespace}/` : ''}${regarding.metadata?.name ?? ''}`, type, reason, note });
    return Promise.resolve();
  }

  async get<T extends KubeObject>(kind: KindDescriptor, namespace: string | undefined, name: string): Promise<T> {
    this.record({ verb: 'get', kind: kind.kind, namespace, name });
    const found = this.objects.get(this.key(kind, namespace, name));
    if (!found) throw notFound(kind, name);
    return Promise.resolve(structuredClone(found) as T);
  }

  async create<T extends KubeObject>(kind: KindDescriptor, object: T): Promise<T> {
    const namespace = object.metadata?.namespace;
    const name = object.metadata?.name ?? '';
    this.record({ verb: 'create', kind: kind.kind, namespace, name, body: object });
    const key = this.key(kind, namespace, name);
    if (this.objects.has(key)) throw new ApiError(`${kind.kind} "${name}" already exists`, 409, 'AlreadyExists');
    return Promise.resolve(this.store(key, object));
  }

  async replace<T extends KubeObject>(kind: KindDescriptor, object: T, subresource?: string): Promise<T> {
    const namespace = object.metadata?.namespace;
    const name = object.metadata?.name ?? '';
    this.record({ verb: 'replace', kind: kind.kind, namespace, name, body: object, ...(subresource ? { subresource } : {}) });
    const key = this.key(kind, namespace, name);
    const current = this.objects.get(key);
    if (!current) throw notFound(kind, name);
    this.checkVersion(kind, current, object.metadata?.resourceVersion);
    return Promise.resolve(this.store(key, object));
  }

  async patch<T extends KubeObject>(kind: KindDescriptor, namespace: string | undefined, name: string, patch: unknown, options: { subresource?: string } = {}): Promise<T> {
    this.record({ verb: 'patch', kind: kind.kind, namespace, name, body: patch, ...(options.subresource ? { subresource: options.subresource } : {}) });
    const key = this.key(kind, namespace, name);
    const current = this.objects.get(key);
    if (!current) throw notFound(kind, name);
    this.checkVersion(kind, current, (patch as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion);
    return Promise.resolve(this.store(key, mergePatch(current, patch) as KubeObject) as T);
  }

  async apply<T extends KubeObject>(kind: KindDescriptor, object: T, options: { subresource?: string } = {}): Promise<T> {
    const namespace = object.metadata?.namespace;
    const name = object.metadata?.name ?? '';
    this.record({ verb: 'apply', kind: kind.kind, namespace, name, body: object, ...(options.subresource ? { subresource: options.subresource } : {}) });
    const key = this.key(kind, namespace, name);
    return Promise.resolve(this.store(key, mergePatch(this.objects.get(key), object) as KubeObject) as T);
  }

  async delete(kind: KindDescriptor, namespace: string | undefined, name: string, body?: unknown): Promise<void> {
    this.record({ verb: 'delete', kind: kind.kind, namespace, name, ...(body !== undefined ? { body } : {}) });
    const key = this.key(kind, namespace, name);
    const uid = (body as { preconditions?: { uid?: string } } | undefined)?.preconditions?.uid;
    const current = this.objects.get(key);
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

  private store<T extends KubeObject>(key: string, object: T): T {
    const saved = structuredClone(object);
    saved.metadata = { ...saved.metadata, resourceVersion: String(++this.version) };
    this.objects.set(key, saved);
    return structuredClone(saved);
  }

  private key(kind: KindDescriptor, namespace: string | undefined, name: string): string {
    return `${kind.group}/${kind.kind}/${namespace ?? ''}/${name}`;
  }
}

function notFound(kind: KindDescriptor, name: string): ApiError {
  return new ApiError(`${kind.plural} "${name}" not found`, 404, 'NotFound');
}
