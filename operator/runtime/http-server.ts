// The operator's HTTP servers: a small router over node:http that always
// answers. Every request gets a response (a malformed one a 400 from the
// clientError handler, a failing handler a 500) and slow clients are bounded by
// header, request and keep-alive timeouts. The manager runs one for /metrics
// and the probes, one for the public handlers (the acceptance page), and any
// other a feature asks for (the access API).
import { createServer, STATUS_CODES } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Registry } from 'prom-client';
import type { Logger } from './logger.js';
import type { MetricsAuthorizer } from './metrics-auth.js';

/** A health or readiness verdict; `checks` names each part and whether it passed. */
export interface HealthReport {
  readonly ok: boolean;
  readonly checks: Readonly<Record<string, boolean>>;
}

/** Handles requests under a path prefix. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** How long a client may take; each bound ends in a response (408) or a closed socket. */
export interface HttpTimeouts {
  /** Time to receive the complete request headers (slowloris). @default 10_000 */
  readonly headersTimeoutMs: number;
  /** Time to receive the whole request, headers and body. @default 30_000 */
  readonly requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open between requests. @default 5_000 */
  readonly keepAliveTimeoutMs: number;
  /** Inactivity bound of a socket at any stage (nothing sent or received). @default 60_000 */
  readonly idleTimeoutMs: number;
}

/** The timeouts of every server unless given. */
export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000, idleTimeoutMs: 60_000 };

/** Options of {@link RuntimeHttpServer}. */
export interface RuntimeHttpServerOptions {
  /** 0 picks a free port. */
  readonly port: number;
  /** @default '0.0.0.0' */
  readonly host?: string;
  readonly logger: Logger;
  /** Serves /metrics from this registry when given (to whom `metricsAuthorizer` allows). */
  readonly registry?: Registry;
  /** Who may read /metrics; required with `registry` (the figures name tenants). */
  readonly metricsAuthorizer?: MetricsAuthorizer;
  /** Serves /healthz when given. */
  readonly healthz?: () => HealthReport;
  /** Serves /readyz when given. */
  readonly readyz?: () => HealthReport;
  /** @default DEFAULT_HTTP_TIMEOUTS */
  readonly timeouts?: Partial<HttpTimeouts>;
}

/** A target that is already its own path (letters, digits, `-`, `_`, `.` within non-empty segments; no query, dot segment or escape). */
const PLAIN_PATH = /^(?:\/(?!\.\.?(?:\/|$))[A-Za-z0-9_.-]+)*\/?$/;

/** The path of a request target, or undefined when it is not a valid one (`GET http://[ HTTP/1.1`). */
export function requestPath(target: string | undefined): string | undefined {
  // Most targets are plain paths, which the URL parser would return unchanged: skip it for them.
  if (target !== undefined && target.startsWith('/') && target.length <= 256 && PLAIN_PATH.test(target)) return target;
  try {
    return new URL(target ?? '/', 'http://localhost').pathname;
  } catch {
    return undefined;
  }
}

/** A plain-text answer that closes the connection, written straight to a socket the parser gave up on. */
function rawResponse(status: number, text: string): string {
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`;
}

/** The status a parse or timeout error of node's HTTP parser gets. */
function clientErrorStatus(code: string | undefined): number {
  if (code === 'HPE_HEADER_OVERFLOW') return 431;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  return 400;
}

/** A connection's requests in flight (see RuntimeHttpServer.track). */
interface OpenConnection {
  pending: number;
  last: IncomingMessage;
  whenAnswered?: () => void;
}
const TRACKED = Symbol('openConnection');
type Tracked = ServerResponse & { [TRACKED]?: OpenConnection | undefined };

/** A response is done (finished, or closed first): once per response, whichever comes first. */
function onAnswered(this: Tracked): void {
  const open = this[TRACKED];
  if (!open) return;
  this[TRACKED] = undefined;
  open.pending--;
  if (open.pending === 0 && open.whenAnswered) {
    const then = open.whenAnswered;
    delete open.whenAnswered;
    then();
  }
}

/** A small router over a node http server. */
export class RuntimeHttpServer {
  /** The node server, for components that need it directly (e.g. upgrades). */
  readonly server: Server;
  /** The timeouts in force. */
  readonly timeouts: HttpTimeouts;
  private readonly routes: { prefix: string; handler: RequestHandler }[] = [];
  /** Per connection: requests handed to a handler and not answered yet, the last one, and what to do once all are answered. */
  private readonly connections = new WeakMap<Duplex, OpenConnection>();

  constructor(private readonly options: RuntimeHttpServerOptions) {
    const timeouts = { ...DEFAULT_HTTP_TIMEOUTS, ...options.timeouts };
    this.timeouts = timeouts;
    this.server = createServer(
      {
        headersTimeout: timeouts.headersTimeoutMs,
        requestTimeout: timeouts.requestTimeoutMs,
        keepAliveTimeout: timeouts.keepAliveTimeoutMs,
        // Node checks the header and request deadlines on this period (default 30 s): small enough to hold them.
        connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(Math.min(timeouts.headersTimeoutMs, timeouts.requestTimeoutMs) / 4))),
      },
      (req, res) => {
        this.track(req, res);
        this.handle(req, res);
      },
    );
    this.server.setTimeout(timeouts.idleTimeoutMs, (socket: Socket) => socket.destroy());
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => this.onClientError(error, socket));
    const { registry, healthz, readyz, metricsAuthorizer } = options;
    if (registry) {
      if (!metricsAuthorizer) throw new Error('Serving /metrics needs a metricsAuthorizer: the figures name tenants');
      this.addHandler('/metrics', async (req, res) => {
        req.resume();
        const verdict = await metricsAuthorizer.authorize(req.headers.authorization);
        if (verdict.status !== 200) {
          const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
          if (verdict.status === 401) headers['www-authenticate'] = 'Bearer realm="blink-accounts-operator"';
          if (verdict.status === 429 || verdict.status === 503) headers['retry-after'] = '1';
          res.writeHead(verdict.status, headers).end(`${verdict.message}\n`);
          return;
        }
        const body = await registry.metrics();
        res.writeHead(200, { 'content-type': registry.contentType }).end(body);
      });
    }
    if (healthz) this.addHandler('/healthz', (req, res) => report(req, res, healthz()));
    if (readyz) this.addHandler('/readyz', (req, res) => report(req, res, readyz()));
  }

  /** Routes requests whose path is `prefix` or starts with `prefix/` to `handler`. The longest prefix wins. */
  addHandler(prefix: string, handler: RequestHandler): void {
    if (!prefix.startsWith('/')) throw new Error(`A route prefix must start with "/": "${prefix}"`);
    if (this.routes.some((r) => r.prefix === prefix)) throw new Error(`A handler for "${prefix}" is already registered`);
    this.routes.push({ prefix, handler });
    this.routes.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /** Listens; resolves with the bound port. */
  async start(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host ?? '0.0.0.0', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.port;
  }

  /** The port asked for (0: any free one). */
  get requestedPort(): number {
    return this.options.port;
  }

  /** The bound port (after start). */
  get port(): number {
    return (this.server.address() as AddressInfo | null)?.port ?? 0;
  }

  /** Stops listening and closes idle connections. */
  async stop(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  /**
   * A request node could not parse (bad request line, header overflow) or that ran past its
   * header or request deadline: answer it if nothing was answered yet on that connection, then close.
   */
  private onClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = clientErrorStatus(error.code);
    const answer = (): void => {
      this.options.logger.debug({ code: error.code, status }, 'Rejected a malformed or slow HTTP request');
      socket.end(rawResponse(status, `${STATUS_CODES[status] ?? 'Bad Request'}\n`));
      // end() flushes the answer; a client that never reads it does not keep the socket.
      setTimeout(() => socket.destroy(), 1_000).unref();
    };
    const open = this.connections.get(socket);
    if (open && open.pending > 0 && open.last.complete) {
      // The bad bytes follow complete, well-formed requests (pipelined) still being answered: those get
      // their answers first, then this one, then the close. Destroying now would drop answers already written.
      open.whenAnswered = answer;
      setTimeout(() => socket.destroy(), this.timeouts.requestTimeoutMs).unref();
      return;
    }
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
    if (inFlight?.headersSent) {
      // Half an answer to the request whose bytes were bad: it cannot be completed honestly.
      socket.destroy();
      return;
    }
    answer();
  }

  /** Counts a request as pending on its connection until its response is done (shared listeners: no closure per request). */
  private track(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket;
    let open = this.connections.get(socket);
    if (!open) {
      open = { pending: 0, last: req };
      this.connections.set(socket, open);
    }
    open.pending++;
    open.last = req;
    (res as Tracked)[TRACKED] = open;
    res.on('finish', onAnswered);
    res.on('close', onAnswered);
  }

  /** The handler of a path: the longest prefix that matches. */
  private routeOf(path: string): RequestHandler | undefined {
    for (const route of this.routes) {
      if (path === route.prefix || path.startsWith(route.prefix.endsWith('/') ? route.prefix : `${route.prefix}/`)) return route.handler;
    }
    return undefined;
  }

  /** Hands a request to its handler; a handler's own answers (sync or not) add no promise here. */
  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = requestPath(req.url);
    try {
      if (path === undefined) {
        res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }).end('bad request target\n');
        req.resume();
        return;
      }
      const handler = this.routeOf(path);
      if (!handler) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        req.resume();
        return;
      }
      const done = handler(req, res);
      if (done instanceof Promise) done.catch((error: unknown) => this.failed(req, res, path, error));
    } catch (error) {
      this.failed(req, res, path, error);
    }
  }

  /** A handler failed: a 500 when nothing was answered yet, else the connection is cut. */
  private failed(req: IncomingMessage, res: ServerResponse, path: string | undefined, error: unknown): void {
    try {
      if (!req.socket.writable) {
        // The client went away or timed out (it got its 408 from onClientError): nothing to answer.
        this.options.logger.debug({ err: error, path }, 'An HTTP request ended before its answer');
        res.destroy();
        return;
      }
      this.options.logger.error({ err: error, path }, 'An HTTP handler failed');
      if (res.headersSent) {
        // Half an answer cannot be completed honestly: cut the connection.
        res.destroy();
        return;
      }
      res.writeHead(500, { 'content-type': 'text/plain', connection: 'close' }).end('internal error\n');
      req.resume();
    } catch (failure) {
      this.options.logger.error({ err: failure }, 'An HTTP request failed after its response');
    }
  }
}

function report(req: IncomingMessage, res: ServerResponse, result: HealthReport): void {
  const verbose = new URL(req.url ?? '/', 'http://localhost').searchParams.has('verbose');
  const body = verbose
    ? `${Object.entries(result.checks)
        .map(([name, ok]) => `[${ok ? '+' : '-'}]${name} ${ok ? 'ok' : 'failed'}`)
        .join('\n')}\n${result.ok ? 'ok' : 'failed'}\n`
    : result.ok
      ? 'ok\n'
      : `failed: ${Object.entries(result.checks)
          .filter(([, ok]) => !ok)
          .map(([name]) => name)
          .join(', ')}\n`;
  res.writeHead(result.ok ? 200 : 503, { 'content-type': 'text/plain' }).end(body);
}
