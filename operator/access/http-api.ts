// The access API over HTTP: JSON in, JSON out, served by every replica from its
// caches on its own internal port. Transport concerns live here (who the caller
// is and what it may ask about, methods, media types, size limits, error
// bodies); decisions live in decide.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { systemClock } from '../runtime/clock.js';
import type { Clock } from '../runtime/clock.js';
import { readBodyLimitedThen } from '../runtime/http-body.js';
import { requestPath } from '../runtime/http-server.js';
import type { RequestHandler } from '../runtime/http-server.js';
import type { Logger } from '../runtime/logger.js';
import { ReviewThrottledError } from '../runtime/review-limiter.js';
import type { Caller, CallerAuthenticator } from '../runtime/token-authenticator.js';
import { ACCESS_REVIEW_PERMISSION, callerMayAsk } from './caller-access.js';
import type { AccessDecisions } from './decide.js';
import { openApiDocument } from './openapi.js';
import { MAX_BODY_BYTES, parseAuthenticateRequest, parseAuthorizeRequest } from './request.js';
import type { FieldProblem } from './request.js';

/** Where the API is mounted. */
export const ACCESS_API_PREFIX = '/api/v1';

/** Error codes of the API (the `error.code` of every 4xx body). */
export type ErrorCode = 'NotFound' | 'MethodNotAllowed' | 'UnsupportedMediaType' | 'PayloadTooLarge' | 'InvalidJson' | 'InvalidRequest' | 'Unauthenticated' | 'Forbidden' | 'Unavailable';

/** The 401 of a request without a valid bearer token. */
export const NO_CALLER_MESSAGE = 'A valid bearer token is required: a Kubernetes ServiceAccount token for the access API audience';
/** The 403 of a caller that may not ask about a tenant, and of a tenant that does not exist: the same, so nothing is learnt. */
export const FORBIDDEN_MESSAGE = 'The caller may not ask about this tenant';
/** The 401 of authenticate for a key that does not verify, or belongs to a tenant the caller may not ask about. */
export const INVALID_KEY_MESSAGE = 'The API key is not valid';

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: readonly FieldProblem[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The bearer token of a request, or undefined. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const match = /^Bearer +([^\s]+) *$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

/** The headers of every JSON answer but its length, lower-case (as node stores them). */
const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' } as const;

function send(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, headers ? { ...JSON_HEADERS, 'content-length': Buffer.byteLength(text), ...headers } : { ...JSON_HEADERS, 'content-length': Buffer.byteLength(text) }).end(text);
}

function sendProblem(res: ServerResponse, problem: HttpProblem, headers?: Record<string, string>): void {
  send(res, problem.status, { error: { code: problem.code, message: problem.message, ...(problem.details ? { details: problem.details } : {}) } }, headers);
}

/** True for application/json and application/<x>+json, with any parameters. */
export function isJsonMediaType(contentType: string | undefined): boolean {
  // The usual header, as clients send it, without splitting or lower-casing.
  if (contentType === 'application/json' || contentType === 'application/json; charset=utf-8') return true;
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

const tooLarge = (): HttpProblem => new HttpProblem(413, 'PayloadTooLarge', `The body must be at most ${MAX_BODY_BYTES} bytes`);

/** The parsed JSON body of a read body, or the problem with it. */
function jsonOf(body: Buffer | undefined): unknown {
  if (body === undefined) throw tooLarge();
  const text = body.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (error) {
    if (text.trim() === '') throw new HttpProblem(400, 'InvalidJson', 'The body is empty; send a JSON object');
    throw new HttpProblem(400, 'InvalidJson', `The body is not valid JSON: ${(error as Error).message}`);
  }
  return value;
}

/**
 * Reads and parses a JSON body, enforcing media type and size, then answers with `answer`: one promise
 * per request, settled when `answer` is done; its problems (HttpProblems) reject it.
 */
function withJson(req: IncomingMessage, answer: (body: unknown) => void | Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!isJsonMediaType(req.headers['content-type'])) {
      reject(new HttpProblem(415, 'UnsupportedMediaType', `Content-Type must be application/json (got ${req.headers['content-type'] ? `"${req.headers['content-type'].slice(0, 100)}"` : 'none'})`));
      return;
    }
    // Built only when thrown: an Error captures a stack trace (through tsx's source maps), ~15 µs a request.
    if (Number(req.headers['content-length'] ?? '0') > MAX_BODY_BYTES) {
      reject(tooLarge());
      return;
    }
    readBodyLimitedThen(req, MAX_BODY_BYTES, (body, error) => {
      if (error) {
        reject(error);
        return;
      }
      try {
        const done = answer(jsonOf(body));
        if (done instanceof Promise) done.then(resolve, reject);
        else resolve();
      } catch (problem) {
        reject(problem);
      }
    });
  });
}

function invalid(problems: readonly FieldProblem[]): HttpProblem {
  return new HttpProblem(400, 'InvalidRequest', problems.map((p) => (p.field ? `${p.field}: ${p.message}` : p.message)).join('; '), problems);
}

interface Route {
  readonly method: 'GET' | 'POST';
  /** Served without a bearer token (the OpenAPI document: the contract, no data). */
  readonly public?: boolean;
  handle(req: IncomingMessage, res: ServerResponse, caller: Caller | undefined): Promise<void> | void;
}

/** `f` of a value that may still be coming: at once when it is there (no promise, no tick). */
function then<T>(value: T | Promise<T>, f: (value: T) => void): void | Promise<void> {
  return value instanceof Promise ? value.then(f) : f(value);
}

/** The 503 of a request whose caller could not be reviewed now (the review failed, or the review budget is spent). */
export const UNAVAILABLE_MESSAGE = 'The caller\'s credentials could not be checked now; retry';

/**
 * Asks a review; a review that could not be done is a 503 the caller may retry, never a yes.
 * Throttled reviews are 503 too, not 429 or 401: the budget is shared by every caller and is
 * spent by whoever sends unknown tokens, so a 429 would blame a caller that may have sent one
 * request, and a 401 would tell a valid caller its token is bad (clients give up on a 401).
 */
async function reviewed<T>(review: Promise<T>, log: Logger, throttleLog: { readonly clock: Clock; lastWarnAt: number }): Promise<T> {
  try {
    return await review;
  } catch (error) {
    if (error instanceof ReviewThrottledError) {
      // A flood is logged once a minute, not once a request.
      const now = throttleLog.clock.now();
      if (now - throttleLog.lastWarnAt >= 60_000) {
        throttleLog.lastWarnAt = now;
        log.warn('Refused access API callers without review: the TokenReview/SubjectAccessReview budget is spent (a flood of unknown tokens?)');
      }
      throw new HttpProblem(503, 'Unavailable', UNAVAILABLE_MESSAGE, undefined, { 'retry-after': String(error.retryAfterSeconds) });
    }
    log.warn({ err: error }, 'Could not review an access API caller');
    throw new HttpProblem(503, 'Unavailable', UNAVAILABLE_MESSAGE, undefined, { 'retry-after': '1' });
  }
}

/**
 * The request handler of the access API (mount it at {@link ACCESS_API_PREFIX} on the access API's own port),
 * answering with `decisions` (decision-cache.ts over the operator's caches; decide.ts directDecisions over any Directory).
 */
export function accessApiHandler(decisions: AccessDecisions, log: Logger, authenticator: CallerAuthenticator, clock: Clock = systemClock): RequestHandler {
  const throttleLog = { clock, lastWarnAt: -Infinity };
  /**
   * May the caller ask about the tenant whose namespace this is? At once when the authenticator has
   * the answer cached (the same answer, the same TTLs), else after a review.
   */
  const mayAsk = (caller: Caller | undefined, namespace: string): boolean | Promise<boolean> => {
    if (!caller) return false;
    const known = authenticator.knownAllowed?.(caller, { ...ACCESS_REVIEW_PERMISSION, namespace });
    return known ?? reviewed(callerMayAsk(authenticator, caller, namespace), log, throttleLog);
  };
  const routes = new Map<string, Route>([
    [
      `${ACCESS_API_PREFIX}/authenticate`,
      {
        method: 'POST',
        handle: (req, res, caller) =>
          withJson(req, (body) => {
            const parsed = parseAuthenticateRequest(body);
            if (!parsed.ok) throw invalid(parsed.problems);
            const answer = decisions.authenticate(parsed.value);
            // Every failure looks the same to the caller: nothing to learn about keys by probing. A key of a
            // tenant the caller may not ask about is, to that caller, not a valid key.
            return then(answer ? mayAsk(caller, answer.namespace) : false, (allowed) => {
              if (!answer || !allowed) throw new HttpProblem(401, 'Unauthenticated', INVALID_KEY_MESSAGE);
              send(res, 200, answer);
            });
          }),
      },
    ],
    [
      `${ACCESS_API_PREFIX}/authorize`,
      {
        method: 'POST',
        handle: (req, res, caller) =>
          withJson(req, (body) => {
            const parsed = parseAuthorizeRequest(body);
            if (!parsed.ok) throw invalid(parsed.problems);
            const request = parsed.value;
            const namespace = decisions.tenantNamespace(request.tenant);
            // An unknown tenant is reviewed too (under the namespace it would have by default), and answered
            // exactly like a forbidden one: a caller learns nothing about tenants it may not ask about.
            return then(mayAsk(caller, namespace ?? `tenant-${request.tenant}`), (allowed) => {
              if (!allowed || namespace === undefined) throw new HttpProblem(403, 'Forbidden', FORBIDDEN_MESSAGE);
              send(res, 200, decisions.authorize(request));
            });
          }),
      },
    ],
    [
      `${ACCESS_API_PREFIX}/openapi.json`,
      {
        method: 'GET',
        public: true,
        handle(_req, res) {
          send(res, 200, openApiDocument());
        },
      },
    ],
  ]);
  /** Answers a problem (an HttpProblem: anything else is the server's to answer, a 500). */
  const rejected = (req: IncomingMessage, res: ServerResponse, path: string, error: unknown): void => {
    if (!(error instanceof HttpProblem)) throw error;
    if (error.status === 413) res.setHeader('connection', 'close');
    sendProblem(res, error, error.headers);
    req.resume();
    log.debug({ path, status: error.status, code: error.code }, 'Rejected an access API request');
  };
  /** Every request a fast path does not take: who is asking (a review if need be), then which endpoint. */
  const answer = async (req: IncomingMessage, res: ServerResponse, path: string, route: Route | undefined): Promise<void> => {
    try {
      let caller: Caller | undefined;
      if (!route?.public) {
        // Who is asking comes first: without a valid token not even the endpoints are told apart.
        const token = bearerToken(req);
        caller = token === undefined ? undefined : await reviewed(authenticator.authenticate(token), log, throttleLog);
        if (!caller) throw new HttpProblem(401, 'Unauthenticated', NO_CALLER_MESSAGE, undefined, { 'www-authenticate': 'Bearer realm="blink-accounts-access-api"' });
      }
      if (!route) throw new HttpProblem(404, 'NotFound', `No such endpoint: ${path.slice(0, 200)}; see ${ACCESS_API_PREFIX}/openapi.json`);
      const method = req.method ?? 'GET';
      if (method !== route.method && !(route.method === 'GET' && method === 'HEAD')) {
        const problem = new HttpProblem(405, 'MethodNotAllowed', `${path} accepts ${route.method} only`);
        sendProblem(res, problem, { allow: route.method === 'GET' ? 'GET, HEAD' : route.method });
        req.resume();
        return;
      }
      await route.handle(req, res, caller);
    } catch (error) {
      rejected(req, res, path, error);
    }
  };
  return (req, res) => {
    const target = requestPath(req.url) ?? '/';
    const path = target.endsWith('/') ? target.replace(/\/+$/, '') : target;
    const route = routes.get(path);
    // The fast path: a known endpoint, its method, and a caller whose token the authenticator has a live
    // answer for (the same answer a review path would give). No async layer between the request and the body.
    if (route && !route.public && req.method === route.method && authenticator.knownCaller) {
      const token = bearerToken(req);
      const caller = token === undefined ? undefined : authenticator.knownCaller(token);
      if (caller) {
        try {
          const done = route.handle(req, res, caller);
          return done instanceof Promise ? done.catch((error: unknown) => rejected(req, res, path, error)) : undefined;
        } catch (error) {
          rejected(req, res, path, error);
          return undefined;
        }
      }
    }
    return answer(req, res, path, route);
  };
}
