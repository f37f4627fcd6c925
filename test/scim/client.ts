// A SCIM client for the tests: talks to the endpoint over real HTTP as an identity
// provider would (bearer token, application/scim+json), and reads the token the
// operator issued from its Secret.
import { SCIM_TOKEN_SECRET } from '../../operator/api/index.js';
import type { KubeClient } from '../../operator/runtime/kube-client.js';
import type { KubeObject } from '../../operator/runtime/kinds.js';
import { builtinKinds } from '../../operator/runtime/kinds.js';
import { ACCOUNT_KINDS } from '../../operator/api/index.js';
import { eventually } from '../harness/kube.js';

/** An answer of the endpoint. */
export interface ScimAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Headers;
}

/** Calls the endpoint at `baseUrl` with `token`. */
export function scimClient(baseUrl: string, token: string | undefined) {
  const call = async (method: string, path: string, body?: unknown, raw?: string): Promise<ScimAnswer> => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { accept: 'application/scim+json', ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined || raw !== undefined ? { 'content-type': 'application/scim+json' } : {}) },
      ...(raw !== undefined ? { body: raw } : body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>), headers: res.headers };
  };
  return {
    call,
    get: (path: string) => call('GET', path),
    post: (path: string, body: unknown) => call('POST', path, body),
    put: (path: string, body: unknown) => call('PUT', path, body),
    patch: (path: string, body: unknown) => call('PATCH', path, body),
    delete: (path: string) => call('DELETE', path),
    raw: (method: string, path: string, text: string) => call(method, path, undefined, text),
  };
}

/** The SCIM client type. */
export type ScimClient = ReturnType<typeof scimClient>;

/** Waits for the Tenant's SCIM status and token; returns the base URL and the token. */
export async function scimEndpoint(client: KubeClient, tenant: string, namespace: string, after?: string): Promise<{ baseUrl: string; token: string }> {
  const status = await eventually(async () => {
    const t = await client.get<KubeObject & { status?: { provisioning?: { scim?: { baseURL?: string; tokenFingerprint?: string } } } }>(ACCOUNT_KINDS.tenant, undefined, tenant);
    const scim = t.status?.provisioning?.scim;
    return scim?.baseURL && scim.tokenFingerprint && scim.tokenFingerprint !== after ? scim : undefined;
  }, 30_000, `the SCIM endpoint of ${tenant}`);
  const secret = await client.get<KubeObject & { data?: Record<string, string> }>(builtinKinds.secret, namespace, SCIM_TOKEN_SECRET);
  const endpoint = { baseUrl: status.baseURL ?? '', token: Buffer.from(secret.data?.['token'] ?? '', 'base64').toString('utf8') };
  // The operator's cache learns the token a moment after the API server has it.
  await eventually(async () => ((await scimClient(endpoint.baseUrl, endpoint.token).get('/ServiceProviderConfig')).status === 200 ? true : undefined), 10_000, `the SCIM token of ${tenant} to work`);
  return endpoint;
}

/** A SCIM User body as Entra ID sends it on create (RFC 7643 core + enterprise extension, string boolean). */
export function entraUser(upn: string, options: { externalId?: string; givenName?: string; familyName?: string; active?: boolean | string } = {}): Record<string, unknown> {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
    externalId: options.externalId ?? upn.split('@')[0],
    userName: upn,
    active: options.active ?? true,
    emails: [{ primary: true, type: 'work', value: upn }],
    meta: { resourceType: 'User' },
    name: { formatted: `${options.givenName ?? 'Given'} ${options.familyName ?? 'Family'}`, familyName: options.familyName ?? 'Family', givenName: options.givenName ?? 'Given' },
    roles: [],
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'Engineering' },
  };
}

/** A SCIM User body as Okta sends it on create. */
export function oktaUser(login: string, options: { givenName?: string; familyName?: string } = {}): Record<string, unknown> {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: login,
    name: { givenName: options.givenName ?? 'Okta', familyName: options.familyName ?? 'Person' },
    emails: [{ primary: true, value: login, type: 'work' }],
    displayName: `${options.givenName ?? 'Okta'} ${options.familyName ?? 'Person'}`,
    locale: 'en-US',
    externalId: `00u${login.length}${login.split('@')[0]}`,
    groups: [],
    password: 'not-stored-1A!',
    active: true,
  };
}
