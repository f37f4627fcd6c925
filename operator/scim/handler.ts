// The HTTP face of the SCIM endpoint, on the public port under
// /scim/v2/<tenant>/: authentication by the tenant's bearer token (the same 401
// for a wrong or missing token, an unknown tenant and a tenant with SCIM off, so
// nothing tells tenants apart), rate limits (failed authentications per client,
// requests per tenant: 429 with Retry-After), routing, body reading, and every
// failure as a SCIM error body (RFC 7644 §3.12). No token, hash or request body
// is ever logged.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SCIM_PATH_PREFIX, SCIM_TOKEN_SECRET } from '../api/index.js';
import type { OperatorContext } from '../context.js';
import { clientBucket, resolveClientAddress } from '../invitations/client-address.js';
import type { TrustedProxies } from '../invitations/client-address.js';
import type { ClientRateLimiter } from '../invitations/client-rate-limiter.js';
import type { Clock } from '../runtime/clock.js';
import { readBodyLimited } from '../runtime/http-body.js';
import type { RequestHandler } from '../runtime/http-server.js';
import type { Informer } from '../runtime/informer.js';
import type { KeyedMutex } from '../runtime/keyed-mutex.js';
import type { Logger } from '../runtime/logger.js';
import { listOf, MAX_BODY_BYTES, resourceTypes, schemas, serviceProviderConfig } from './discovery.js';
import { invalidSyntax, notFound, ScimError, UNAUTHORIZED } from './errors.js';
import type { ScimResult, ScimService, TenantScope } from './service.js';
import { scimBaseUrl } from './token-controller.js';
import { tokenMatches, trustedToken } from './token-secret.js';
import type { CachedScimTokenSecret } from './token-secret.js';

/** Content type of every SCIM answer. */
export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

/** Where the README section on connecting an identity provider lives (ServiceProviderConfig.documentationUri). */
export const SCIM_DOCUMENTATION_URI = 'https://github.com/blinkops/blink-accounts-operator#connect-your-identity-provider';

/** What the handler needs. */
export interface ScimHandlerDeps {
  readonly ctx: Pick<OperatorContext, 'caches' | 'tenants' | 'publicUrlFor'>;
  readonly secrets: Informer<CachedScimTokenSecret>;
  readonly signingKey: Buffer;
  readonly service: ScimService;
  readonly clock: Clock;
  /** Requests per tenant (authenticated ones). */
  readonly perTenant: ClientRateLimiter;
  /** Failed authentications per client address. */
  readonly failures: ClientRateLimiter;
  readonly trustedProxies: TrustedProxies;
  /** Writes of one tenant run one at a time. */
  readonly writes: KeyedMutex;
  readonly logger: Logger;
}

function send(res: ServerResponse, status: number, body?: Record<string, unknown>, headers: Record<string, string> = {}): void {
  if (body === undefined) {
    res.writeHead(status, headers).end();
    return;
  }
  res.writeHead(status, { 'content-type': SCIM_CONTENT_TYPE, 'cache-control': 'no-store', ...headers }).end(JSON.stringify(body));
}

function sendError(res: ServerResponse, error: ScimError): void {
  const headers: Record<string, string> = {};
  if (error.status === 401) headers['www-authenticate'] = 'Bearer realm="scim"';
  if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(error.retryAfterSeconds);
  send(res, error.status, error.body(), headers);
}

/** The bearer token of a request, or undefined. */
function bearerOf(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer[ ]+(\S{1,512})\s*$/i.exec(header);
  return match?.[1];
}

/** The tenant a request authenticates as, or undefined (then the caller answers 401, whatever the reason). */
function authenticate(deps: ScimHandlerDeps, tenantName: string, token: string | undefined): TenantScope | undefined {
  if (token === undefined) return undefined;
  const tenant = deps.ctx.caches.tenants.get(tenantName);
  if (!tenant || tenant.metadata?.deletionTimestamp || tenant.spec?.provisioning?.scim?.enabled !== true) return undefined;
  const namespace = deps.ctx.tenants.accessNamespace(tenantName);
  if (!namespace) return undefined;
  const trusted = trustedToken(deps.signingKey, deps.secrets.get(`${namespace}/${SCIM_TOKEN_SECRET}`), tenant);
  if (!tokenMatches(trusted, token, deps.clock.now())) return undefined;
  return { tenant, namespace, baseUrl: scimBaseUrl(deps.ctx.publicUrlFor(tenant), tenantName) };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const body = await readBodyLimited(req, MAX_BODY_BYTES);
  if (body === undefined) throw new ScimError(413, `The request body may be at most ${MAX_BODY_BYTES} bytes`);
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw invalidSyntax('The request body is not valid JSON');
  }
}

const DISCOVERY = new Set(['ServiceProviderConfig', 'ResourceTypes', 'Schemas']);

/** Routes one authenticated request. */
async function route(deps: ScimHandlerDeps, scope: TenantScope, req: IncomingMessage, segments: readonly string[], query: URLSearchParams): Promise<ScimResult> {
  const [resource = '', id, extra] = segments;
  const method = req.method ?? 'GET';
  const methodNotAllowed = (): never => {
    throw new ScimError(405, `${method} is not supported on /${segments.join('/')}`);
  };
  if (extra !== undefined) throw notFound('Resource');
  if (DISCOVERY.has(resource)) {
    if (method !== 'GET') methodNotAllowed();
    if (resource === 'ServiceProviderConfig') return { status: 200, body: serviceProviderConfig(scope.baseUrl, SCIM_DOCUMENTATION_URI) };
    const all = resource === 'ResourceTypes' ? resourceTypes(scope.baseUrl) : schemas(scope.baseUrl);
    if (id === undefined) return { status: 200, body: listOf(all) };
    const one = all.find((r) => r['id'] === id);
    if (!one) throw notFound(`${resource} ${id.slice(0, 100)}`);
    return { status: 200, body: one };
  }
  const service = deps.service;
  const write = <T>(fn: () => Promise<T>): Promise<T> => deps.writes.run(scope.namespace, fn);
  if (resource === 'Users') {
    if (id === undefined) {
      if (method === 'GET') return service.listUsers(scope, query);
      if (method === 'POST') {
        const body = await readJson(req);
        return write(() => service.createUser(scope, body));
      }
      return methodNotAllowed();
    }
    if (method === 'GET') return service.getUser(scope, id);
    if (method === 'PUT') {
      const body = await readJson(req);
      return write(() => service.replaceUser(scope, id, body));
    }
    if (method === 'PATCH') {
      const body = await readJson(req);
      return write(() => service.patchUser(scope, id, body));
    }
    if (method === 'DELETE') return write(() => service.deleteUser(scope, id));
    return methodNotAllowed();
  }
  if (resource === 'Groups') {
    if (id === undefined) {
      if (method === 'GET') return service.listGroups(scope, query);
      if (method === 'POST') {
        const body = await readJson(req);
        return write(() => service.createGroup(scope, body));
      }
      return methodNotAllowed();
    }
    if (method === 'GET') return service.getGroup(scope, id, query);
    if (method === 'PUT') {
      const body = await readJson(req);
      return write(() => service.replaceGroup(scope, id, body));
    }
    if (method === 'PATCH') {
      const body = await readJson(req);
      return write(() => service.patchGroup(scope, id, body));
    }
    if (method === 'DELETE') return write(() => service.deleteGroup(scope, id));
    return methodNotAllowed();
  }
  if (resource === 'Bulk' || resource === 'Me') throw new ScimError(501, `/${resource} is not supported`);
  throw notFound('Resource');
}

/** The handler of `/scim/v2`. */
export function createScimHandler(deps: ScimHandlerDeps): RequestHandler {
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const rest = url.pathname.slice(SCIM_PATH_PREFIX.length).split('/').filter((s) => s !== '');
    const [tenantName = '', ...segments] = rest;
    const scope = authenticate(deps, tenantName, bearerOf(req));
    if (!scope) {
      req.resume();
      const client = clientBucket(resolveClientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], deps.trustedProxies));
      const verdict = deps.failures.take(client);
      if (!verdict.allowed) {
        sendError(res, new ScimError(429, 'Too many failed authentications from this client: wait and retry', undefined, verdict.retryAfterSeconds));
        return;
      }
      sendError(res, UNAUTHORIZED);
      return;
    }
    const verdict = deps.perTenant.take(tenantName);
    if (!verdict.allowed) {
      req.resume();
      sendError(res, new ScimError(429, 'Too many requests for this tenant: wait and retry', undefined, verdict.retryAfterSeconds));
      return;
    }
    try {
      const result = await route(deps, scope, req, segments, url.searchParams);
      send(res, result.status, result.body, result.location ? { location: result.location } : {});
    } catch (caught) {
      let error = caught;
      if (!(error instanceof ScimError)) {
        deps.logger.error({ err: caught, tenant: tenantName, method: req.method, resource: segments[0] }, 'A SCIM request failed');
        error = new ScimError(500, 'The request failed inside the operator; retry later');
      }
      if (!(error instanceof ScimError)) return;
      req.resume();
      deps.logger.debug({ tenant: tenantName, status: error.status, scimType: error.scimType, method: req.method, resource: segments[0] }, 'SCIM request refused');
      sendError(res, error);
    }
  };
}
