// What a controller's act step may do to the cluster, behind one small
// interface: the runtime's KubeClient in production, FakeKubeWriter (an
// in-memory API server of sorts) in table tests of the act steps.
import type { EventRecorder } from './events.js';
import type { KindDescriptor, KubeObject } from './kinds.js';
import type { ObjectList, PatchType, Query } from './kube-client.js';
import type { Logger } from './logger.js';

/** Reads and writes of objects (the KubeClient methods controllers use). */
export interface KubeWriter {
  /** Reads one object live (an object outside every cache, or a check before an irreversible write). */
  get<T extends KubeObject>(kind: KindDescriptor, namespace: string | undefined, name: string): Promise<T>;
  /** Lists one page live (objects no cache holds, such as every RoleBinding of a namespace). */
  list<T extends KubeObject>(kind: KindDescriptor, options?: { namespace?: string | undefined; query?: Query; signal?: AbortSignal }): Promise<ObjectList<T>>;
  create<T extends KubeObject>(kind: KindDescriptor, object: T, query?: Query): Promise<T>;
  /** PUT; conflicts when the object's resourceVersion is stale. */
  replace<T extends KubeObject>(kind: KindDescriptor, object: T, subresource?: string): Promise<T>;
  patch<T extends KubeObject>(
    kind: KindDescriptor,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    options?: { type?: (typeof PatchType)['merge' | 'json']; subresource?: string; fieldManager?: string },
  ): Promise<T>;
  apply<T extends KubeObject>(kind: KindDescriptor, object: T, options: { fieldManager: string; force?: boolean; subresource?: string }): Promise<T>;
  /** A missing object is not an error. */
  delete(kind: KindDescriptor, namespace: string | undefined, name: string, body?: unknown): Promise<void>;
}

/** Everything an act step needs: where to write, where Events go, where to log. */
export interface ActContext {
  readonly client: KubeWriter;
  readonly recorder: EventRecorder;
  readonly log: Logger;
}
