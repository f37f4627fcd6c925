// The operator's HTTP endpoint: /healthz, /readyz, /metrics, and whatever other
// components mount (the access API, the acceptance page) through addHandler.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from './logger.js';

/** A health or readiness verdict; `checks` names each part and whether it passed. */
export interface HealthReport {
  readonly ok: boolean;
  readonly checks: Readonly<Record<string, boolean>>;
}

/** Handles requests under a path prefix. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** Options of {@link RuntimeHttpServer}. */
export interface RuntimeHttpServerOptions {
  /** 0 picks a free port. */
  readonly port: number;
  /** @default '0.0.0.0' */
  readonly host?: string;
  readonly logger: Logger;
  /** Serves /metrics from this registry when given. */
  readonly registry?: Registry;
  /** Serves /healthz when given. */
  readonly healthz?: () => HealthReport;
  /** Serves /readyz when given. */
  readonly readyz?: () => HealthReport;
}

/** A small router over a node http server. */
export class RuntimeHttpServer {
  /** The node server, for components that need it directly (e.g. upgrades). */
  readonly server: Server;
  private readonly routes: { prefix: string; handler: RequestHandler }[] = [];

  constructor(private readonly options: RuntimeHttpServerOptions) {
    this.server = createServer((req, res) => void this.handle(req, res));
    const { registry, healthz, readyz } = options;
    if (registry) {
      this.addHandler('/metrics', async (_req, res) => {
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

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = this.routes.find((r) => path === r.prefix || path.startsWith(r.prefix.endsWith('/') ? r.prefix : `${r.prefix}/`));
    try {
      if (!route) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        return;
      }
      await route.handler(req, res);
    } catch (error) {
      this.options.logger.error({ err: error, path }, 'An HTTP handler failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error\n');
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
