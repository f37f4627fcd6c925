// A small REST client over node:https for what the runtime needs: paged lists,
// streaming watches with a hard abort, and the patch types custom resources
// accept. Authentication and TLS come from the KubeConfig; connections are
// pooled by one keep-alive agent per client (client-node 2.x creates a
// dispatcher per call), and watches get a fresh connection each, so a dead
// pooled socket can never hold a watch.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { RequestOptions } from 'node:https';
import type { ClusterConnection } from './cluster-connection.js';
import { ApiError, TransientError } from './errors.js';
import type { KindDescriptor, KubeObject } from './kinds.js';
import { apiVersionOf, collectionPath, objectPath } from './kinds.js';

/** Query parameters; undefined values are left out. */
export type Query = Record<string, string | number | boolean | undefined>;

/** Options of one request. */
export interface RequestInit {
  readonly query?: Query;
  readonly body?: unknown;
  readonly contentType?: string;
  /** Whole-request deadline. @default the client's requestTimeoutMs */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** A list response. */
export interface ObjectList<T extends KubeObject = KubeObject> {
  metadata: { resourceVersion?: string; continue?: string };
  items: T[];
}

/** A running watch request. */
export interface WatchRequest {
  /** Ends the request; `done` then resolves. */
  abort(): void;
  /** Resolves when the stream ends: normally (`undefined`) or with the error that ended it. */
  readonly done: Promise<Error | undefined>;
}

/** Options of {@link KubeClient}. */
export interface KubeClientOptions {
  /** Deadline of every non-watch request. @default 30_000 */
  readonly requestTimeoutMs?: number;
  /** Maximum pooled connections. @default 32 */
  readonly maxSockets?: number;
  /** User-Agent header. @default 'blink-accounts-operator' */
  readonly userAgent?: string;
}

/** Patch content types. */
export const PatchType = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

/** A JSON patch operation (RFC 6902). */
export interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'test' | 'move' | 'copy';
  path: string;
  value?: unknown;
  from?: string;
}

/** REST access to one API server. */
export class KubeClient {
  private readonly server: URL;
  private readonly timeoutMs: number;
  private readonly userAgent: string;
  private readonly maxSockets: number;
  private agents: { pooled: HttpAgent; watch: HttpAgent } | undefined;

  constructor(
    private readonly kubeConfig: ClusterConnection,
    options: KubeClientOptions = {},
  ) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('The kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
    this.timeoutMs = options.requestTimeoutMs ?? 30_000;
    this.userAgent = options.userAgent ?? 'blink-accounts-operator';
    this.maxSockets = options.maxSockets ?? 32;
  }

  /** Closes pooled connections. */
  close(): void {
    this.agents?.pooled.destroy();
    this.agents?.watch.destroy();
    this.agents = undefined;
  }

  /** Sends a request; resolves with the parsed JSON body, rejects with ApiError (HTTP error) or TransientError (network, timeout). */
  async request<T>(method: string, path: string, init: RequestInit = {}): Promise<T> {
    const options = await this.options(method, path, init.query, false);
    const body = init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    options.headers = { ...options.headers, accept: 'application/json' };
    if (body !== undefined) {
      options.headers['content-type'] = init.contentType ?? 'application/json';
      // Node sends a DELETE body with neither Content-Length nor chunked encoding: the server would
      // ignore it (DeleteOptions such as preconditions lost) and read it as the next request.
      options.headers['content-length'] = String(Buffer.byteLength(body));
    }
    const what = `${method} ${path}`;
    return new Promise<T>((resolve, reject) => {
      const req = (this.server.protocol === 'http:' ? httpRequest : httpsRequest)(options, (res) => {
        readBody(res).then((text) => {
          clearTimeout(timer);
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            try {
              resolve((text ? JSON.parse(text) : {}) as T);
            } catch (error) {
              reject(new TransientError(`${what} returned invalid JSON`, { cause: error }));
            }
            return;
          }
          reject(apiError(what, status, text));
        }, (error: unknown) => {
          clearTimeout(timer);
          reject(new TransientError(`${what} failed while reading the response`, { cause: error }));
        });
      });
      const timeoutMs = init.timeoutMs ?? this.timeoutMs;
      const timer = setTimeout(() => {
        req.destroy(new Error(`no response within ${timeoutMs} ms`));
        this.dropIdleConnections();
      }, timeoutMs);
      const onAbort = (): void => void req.destroy(new Error('aborted'));
      init.signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (error) => {
        clearTimeout(timer);
        init.signal?.removeEventListener('abort', onAbort);
        reject(new TransientError(`${what} failed: ${error.message}`, { cause: error }));
      });
      req.on('close', () => init.signal?.removeEventListener('abort', onAbort));
      req.end(body);
    });
  }

  /** Opens a watch stream; `onLine` gets every line (one JSON event each), `onData` every chunk (for health timers). */
  async watch(path: string, query: Query, onLine: (line: string) => void, onData: () => void): Promise<WatchRequest> {
    const options = await this.options('GET', path, { ...query, watch: true }, true);
    options.headers = { ...options.headers, accept: 'application/json' };
    let settle: (error: Error | undefined) => void = () => {};
    const done = new Promise<Error | undefined>((resolve) => (settle = resolve));
    let finished = false;
    const finish = (error: Error | undefined): void => {
      if (finished) return;
      finished = true;
      settle(error);
    };
    const req = (this.server.protocol === 'http:' ? httpRequest : httpsRequest)(options, (res) => {
      const status = res.statusCode ?? 0;
      if (status !== 200) {
        readBody(res).then((text) => finish(apiError(`watch ${path}`, status, text)), (error: unknown) => finish(toError(error)));
        return;
      }
      res.setEncoding('utf8');
      let buffered = '';
      res.on('data', (chunk: string) => {
        onData();
        buffered += chunk;
        let newline = buffered.indexOf('\n');
        while (newline >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line) onLine(line);
          if (finished) return;
          newline = buffered.indexOf('\n');
        }
      });
      res.on('end', () => finish(undefined));
      res.on('error', (error) => finish(error));
      res.on('close', () => finish(res.complete ? undefined : new Error('watch connection closed mid-stream')));
    });
    req.on('error', (error) => finish(error));
    req.end();
    return {
      abort: () => {
        finish(undefined);
        req.destroy();
      },
      done,
    };
  }

  /** Lists one page of a kind. */
  list<T extends KubeObject>(kind: KindDescriptor, options: { namespace?: string | undefined; query?: Query; signal?: AbortSignal } = {}): Promise<ObjectList<T>> {
    return this.request('GET', collectionPath(kind, options.namespace), { ...(options.query ? { query: options.query } : {}), ...(options.signal ? { signal: options.signal } : {}) });
  }

  /** Reads one object. */
  get<T extends KubeObject>(kind: KindDescriptor, namespace: string | undefined, name: string): Promise<T> {
    return this.request('GET', objectPath(kind, namespace, name));
  }

  /** Creates an object in its namespace. */
  create<T extends KubeObject>(kind: KindDescriptor, object: T, query?: Query): Promise<T> {
    return this.request('POST', collectionPath(kind, object.metadata?.namespace), {
      body: { apiVersion: apiVersionOf(kind), kind: kind.kind, ...object },
      ...(query ? { query } : {}),
    });
  }

  /** Replaces an object (PUT); conflicts when its resourceVersion is stale. */
  replace<T extends KubeObject>(kind: KindDescriptor, object: T, subresource?: string): Promise<T> {
    const path = objectPath(kind, object.metadata?.namespace, object.metadata?.name ?? '') + (subresource ? `/${subresource}` : '');
    return this.request('PUT', path, { body: { apiVersion: apiVersionOf(kind), kind: kind.kind, ...object } });
  }

  /** Patches an object with a JSON merge patch (RFC 7386) or a JSON patch (RFC 6902). */
  patch<T extends KubeObject>(
    kind: KindDescriptor,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    options: { type?: (typeof PatchType)['merge' | 'json']; subresource?: string; fieldManager?: string } = {},
  ): Promise<T> {
    return this.request('PATCH', objectPath(kind, namespace, name) + (options.subresource ? `/${options.subresource}` : ''), {
      body: patch,
      contentType: options.type ?? PatchType.merge,
      ...(options.fieldManager ? { query: { fieldManager: options.fieldManager } } : {}),
    });
  }

  /** Server-side apply of `object` (apiVersion and kind filled in). */
  apply<T extends KubeObject>(kind: KindDescriptor, object: T, options: { fieldManager: string; force?: boolean; subresource?: string }): Promise<T> {
    const path = objectPath(kind, object.metadata?.namespace, object.metadata?.name ?? '') + (options.subresource ? `/${options.subresource}` : '');
    return this.request('PATCH', path, {
      body: { apiVersion: apiVersionOf(kind), kind: kind.kind, ...object },
      contentType: PatchType.apply,
      query: { fieldManager: options.fieldManager, force: options.force ?? true },
    });
  }

  /** Deletes an object; a missing object is not an error. */
  async delete(kind: KindDescriptor, namespace: string | undefined, name: string, body?: unknown): Promise<void> {
    try {
      await this.request('DELETE', objectPath(kind, namespace, name), body === undefined ? {} : { body });
    } catch (error) {
      if (error instanceof ApiError && error.code === 404) return;
      throw error;
    }
  }

  private async options(method: string, path: string, query: Query | undefined, watch: boolean): Promise<Prepared> {
    const auth: RequestOptions = {};
    // Fills in headers (bearer tokens, refreshed by exec/OIDC providers), CA and client certificates.
    await this.kubeConfig.applyToHTTPSOptions(auth);
    const authHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(auth.headers ?? {})) if (typeof v === 'string') authHeaders[k] = v;
    const agents = this.ensureAgents(auth);
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) search.set(k, String(v));
    const qs = search.toString();
    const basePath = this.server.pathname.replace(/\/$/, '');
    return {
      method,
      protocol: this.server.protocol,
      hostname: this.server.hostname,
      port: this.server.port,
      path: `${basePath}${path}${qs ? `?${qs}` : ''}`,
      agent: watch ? agents.watch : agents.pooled,
      headers: { ...authHeaders, 'user-agent': this.userAgent },
      ...(auth.auth ? { auth: auth.auth } : {}),
    };
  }

  /**
   * Closes the pool's idle connections. Called when a request got no answer in time: a silent
   * connection is rarely alone (a hung proxy or load balancer, a dead NAT entry), and the idle
   * ones took the same path; tried one by one, each would cost another full timeout. Informers
   * call it too when a watch went silent, for the same reason.
   */
  dropIdleConnections(): void {
    const pooled = this.agents?.pooled;
    if (!pooled) return;
    for (const sockets of Object.values(pooled.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
  }

  private ensureAgents(tls: RequestOptions): { pooled: HttpAgent; watch: HttpAgent } {
    if (this.agents) return this.agents;
    const options = {
      ...(tls.ca ? { ca: tls.ca } : {}),
      ...(tls.cert ? { cert: tls.cert } : {}),
      ...(tls.key ? { key: tls.key } : {}),
      ...(tls.rejectUnauthorized !== undefined ? { rejectUnauthorized: tls.rejectUnauthorized } : {}),
      ...(tls.servername ? { servername: tls.servername } : {}),
    };
    const Agent = this.server.protocol === 'http:' ? HttpAgent : HttpsAgent;
    this.agents = {
      pooled: new Agent({ ...options, keepAlive: true, maxSockets: this.maxSockets, maxFreeSockets: 8, scheduling: 'lifo' }),
      watch: new Agent({ ...options, keepAlive: false }),
    };
    return this.agents;
  }
}

type Prepared = Omit<RequestOptions, 'headers'> & { headers: Record<string, string> };

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (text += chunk));
    res.on('end', () => resolve(text));
    res.on('error', reject);
    res.on('aborted', () => reject(new Error('response aborted')));
  });
}

function apiError(what: string, status: number, text: string): ApiError {
  let message = text.slice(0, 300);
  let statusMessage: string | undefined;
  let reason: string | undefined;
  let causes: string[] = [];
  try {
    const parsed = JSON.parse(text) as { message?: string; reason?: string; details?: { causes?: { reason?: string }[] } };
    message = parsed.message ?? message;
    statusMessage = parsed.message;
    reason = parsed.reason;
    causes = (parsed.details?.causes ?? []).flatMap((cause) => (cause.reason ? [cause.reason] : []));
  } catch {
    // Not a Status object; keep the raw text.
  }
  return new ApiError(`${what}: ${status} ${message}`, status, reason, { causes, ...(statusMessage !== undefined ? { statusMessage } : {}) });
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
