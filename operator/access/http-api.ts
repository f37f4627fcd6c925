// The access API over HTTP: JSON in, JSON out, served by every replica from its
// caches. Transport concerns live here (methods, media types, size limits,
// error bodies); decisions live in decide.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBodyLimited } from '../runtime/http-body.js';
import type { RequestHandler } from '../runtime/http-server.js';
import type { Logger } from '../runtime/logger.js';
import { decideAuthenticate, decideAuthorize } from './decide.js';
import type { Directory } from './directory.js';
import { openApiDocument } from './openapi.js';
import { MAX_BODY_BYTES, parseAuthenticateRequest, parseAuthorizeRequest } from './request.js';
import type { FieldProblem } from './request.js';

/** Where the API is mounted. */
export const ACCESS_API_PREFIX = '/api/v1';

/** Error codes of the API (the `error.code` of every 4xx body). */
export type ErrorCode = 'NotFound' | 'MethodNotAllowed' | 'UnsupportedMediaType' | 'PayloadTooLarge' | 'InvalidJson' | 'InvalidRequest' | 'Unauthenticated';

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: readonly FieldProblem[],
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text), ...headers }).end(text);
}

function sendProblem(res: ServerResponse, problem: HttpProblem, headers: Record<string, string> = {}): void {
  send(res, problem.status, { error: { code: problem.code, message: problem.message, ...(problem.details ? { details: problem.details } : {}) } }, headers);
}

/** True for application/json and application/<x>+json, with any parameters. */
export function isJsonMediaType(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/** Reads and parses a JSON body, enforcing media type and size. */
async function readJson(req: IncomingMessage): Promise<unknown> {
  if (!isJsonMediaType(req.headers['content-type'])) {
    throw new HttpProblem(415, 'UnsupportedMediaType', `Content-Type must be application/json (got ${req.headers['content-type'] ? `"${req.headers['content-type'].slice(0, 100)}"` : 'none'})`);
  }
  const declared = Number(req.headers['content-length'] ?? '0');
  const tooLarge = new HttpProblem(413, 'PayloadTooLarge', `The body must be at most ${MAX_BODY_BYTES} bytes`);
  if (declared > MAX_BODY_BYTES) throw tooLarge;
  const body = await readBodyLimited(req, MAX_BODY_BYTES);
  if (body === undefined) throw tooLarge;
  const text = body.toString('utf8');
  if (text.trim() === '') throw new HttpProblem(400, 'InvalidJson', 'The body is empty; send a JSON object');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpProblem(400, 'InvalidJson', `The body is not valid JSON: ${(error as Error).message}`);
  }
}

function invalid(problems: readonly FieldProblem[]): HttpProblem {
  return new HttpProblem(400, 'InvalidRequest', problems.map((p) => (p.field ? `${p.field}: ${p.message}` : p.message)).join('; '), problems);
}

interface Route {
  readonly method: 'GET' | 'POST';
  handle(req: IncomingMessage, res: ServerResponse): Promise<void> | void;
}

/** The request handler of the access API (mount it at {@link ACCESS_API_PREFIX}). */
export function accessApiHandler(directory: Directory, log: Logger): RequestHandler {
  const routes: Record<string, Route> = {
    [`${ACCESS_API_PREFIX}/authenticate`]: {
      method: 'POST',
      async handle(req, res) {
        const parsed = parseAuthenticateRequest(await readJson(req));
        if (!parsed.ok) throw invalid(parsed.problems);
        const answer = decideAuthenticate(directory, parsed.value);
        // Every failure looks the same to the caller: nothing to learn about keys by probing.
        if (!answer) throw new HttpProblem(401, 'Unauthenticated', 'The API key is not valid');
        send(res, 200, answer);
      },
    },
    [`${ACCESS_API_PREFIX}/authorize`]: {
      method: 'POST',
      async handle(req, res) {
        const parsed = parseAuthorizeRequest(await readJson(req));
        if (!parsed.ok) throw invalid(parsed.problems);
        send(res, 200, decideAuthorize(directory, parsed.value));
      },
    },
    [`${ACCESS_API_PREFIX}/openapi.json`]: {
      method: 'GET',
      handle(_req, res) {
        send(res, 200, openApiDocument());
      },
    },
  };
  return async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '');
    const route = routes[path];
    try {
      if (!route) throw new HttpProblem(404, 'NotFound', `No such endpoint: ${path.slice(0, 200)}; see ${ACCESS_API_PREFIX}/openapi.json`);
      const method = req.method ?? 'GET';
      if (method !== route.method && !(route.method === 'GET' && method === 'HEAD')) {
        const problem = new HttpProblem(405, 'MethodNotAllowed', `${path} accepts ${route.method} only`);
        sendProblem(res, problem, { allow: route.method === 'GET' ? 'GET, HEAD' : route.method });
        req.resume();
        return;
      }
      await route.handle(req, res);
    } catch (error) {
      if (!(error instanceof HttpProblem)) throw error;
      if (error.status === 413) res.setHeader('connection', 'close');
      sendProblem(res, error);
      req.resume();
      log.debug({ path, status: error.status, code: error.code }, 'Rejected an access API request');
    }
  };
}
