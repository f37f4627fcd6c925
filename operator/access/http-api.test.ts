// The access API's handler over real loopback HTTP, its callers reviewed by a TokenAuthenticator
// whose reviewer is an object literal: the fast path (a caller and decision the caches hold live,
// answered without a review) must give exactly the answers of the review path, and stop giving
// them when the cached answers expire.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceAccount, Tenant } from '../api/index.js';
import type { ApiKeyVerifier } from '../policy/index.js';
import type { Clock } from '../runtime/clock.js';
import { RuntimeHttpServer } from '../runtime/http-server.js';
import type { KubeObject } from '../runtime/kinds.js';
import { createLogger } from '../runtime/logger.js';
import { TokenAuthenticator } from '../runtime/token-authenticator.js';
import type { AccessReviewer, CallerAuthenticator } from '../runtime/token-authenticator.js';
import { directDecisions } from './decide.js';
import type { Directory } from './directory.js';
import { ACCESS_API_PREFIX, accessApiHandler } from './http-api.js';

const AUDIENCE = 'blink-accounts-access-api';
const START = 1_000_000_000_000;
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (subject: string): string => `${b64({ alg: 'RS256', kid: 'k' })}.${b64({ sub: subject, aud: [AUDIENCE], exp: Math.floor(START / 1000) + 3600 })}.c2lnbmF0dXJl`;
const alice = jwt('alice');
const mallory = jwt('mallory');

let now = START;
const clock: Clock = { now: () => now, setTimer: () => ({ cancel() {} }) };
/** Who may ask about which tenant namespace (changed by a test: a removed binding). */
const grants: Record<string, string[]> = { alice: ['tenant-acme'] };
let reviews = 0;
const reviewer: AccessReviewer = {
  reviewToken(token) {
    reviews++;
    const username = token === alice ? 'alice' : token === mallory ? 'mallory' : undefined;
    return Promise.resolve(username ? { authenticated: true, user: { username, groups: [] }, audiences: [AUDIENCE] } : { authenticated: false });
  },
  reviewAccess(user, attributes) {
    reviews++;
    return Promise.resolve((grants[user.username] ?? []).includes(attributes.namespace ?? ''));
  },
};
const keys: ApiKeyVerifier = {
  authenticate: (key) =>
    key === 'acme-key'
      ? { ok: true, tenant: 'acme', namespace: 'tenant-acme', name: 'ci', uid: 'u1', role: 'Consumer', workspaces: ['ws1'], keyId: 'k', keyState: 'current' }
      : key === 'globex-key'
        ? { ok: true, tenant: 'globex', namespace: 'tenant-globex', name: 'ci', uid: 'u2', role: 'Admin', workspaces: [], keyId: 'k2', keyState: 'current' }
        : { ok: false, reason: 'unknown-key' },
};
const sa = { metadata: { name: 'ci', namespace: 'tenant-acme' }, spec: { role: 'Consumer', workspaces: ['ws1'] } } as ServiceAccount & KubeObject;
const directory: Directory = {
  tenantNamespace: (t) => ({ acme: 'tenant-acme', globex: 'tenant-globex' })[t],
  tenant: (name) => ({ metadata: { name }, spec: { displayName: name } }) as Tenant & KubeObject,
  usersByEmail: () => [],
  serviceAccount: (ns, name) => (ns === 'tenant-acme' && name === 'ci' ? sa : undefined),
  workspaceExists: (ns, name) => ns === 'tenant-acme' && name === 'ws1',
  keys,
};

const authenticator = new TokenAuthenticator({ reviewer, audience: AUDIENCE, clock, allowedTtlMs: 10_000, deniedTtlMs: 2_000 });
/** The same authenticator without its at-once answers: every request takes the review path. */
const reviewPathOnly: CallerAuthenticator = { authenticate: (token) => authenticator.authenticate(token), allowed: (caller, attributes) => authenticator.allowed(caller, attributes) };
const log = createLogger({ level: 'silent' });
const servers = { fast: new RuntimeHttpServer({ port: 0, host: '127.0.0.1', logger: log }), review: new RuntimeHttpServer({ port: 0, host: '127.0.0.1', logger: log }) };
servers.fast.addHandler(`${ACCESS_API_PREFIX}/`, accessApiHandler(directDecisions(directory), log, authenticator, clock));
servers.review.addHandler(`${ACCESS_API_PREFIX}/`, accessApiHandler(directDecisions(directory), log, reviewPathOnly, clock));
beforeAll(async () => {
  await servers.fast.start();
  await servers.review.start();
});
afterAll(async () => {
  await servers.fast.stop();
  await servers.review.stop();
});

interface Ask {
  readonly path: string;
  readonly token?: string;
  readonly method?: string;
  readonly contentType?: string;
  readonly body?: string;
}
async function ask(server: RuntimeHttpServer, { path, token = alice, method = 'POST', contentType = 'application/json', body }: Ask): Promise<{ status: number; body: string; headers: Record<string, string | null> }> {
  const res = await fetch(`http://127.0.0.1:${server.port}${ACCESS_API_PREFIX}/${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': contentType },
    ...(body !== undefined ? { body } : {}),
  });
  return { status: res.status, body: await res.text(), headers: { allow: res.headers.get('allow'), 'www-authenticate': res.headers.get('www-authenticate'), 'cache-control': res.headers.get('cache-control') } };
}
const json = (value: unknown): string => JSON.stringify(value);

const CASES: [string, Ask, number][] = [
  ['authorize, allowed', { path: 'authorize', body: json({ tenant: 'acme', principal: { serviceAccount: 'ci' }, workspace: 'ws1', action: 'read' }) }, 200],
  ['authorize, the matrix says no', { path: 'authorize', body: json({ tenant: 'acme', principal: { serviceAccount: 'ci' }, action: 'settings' }) }, 200],
  ['authorize, a tenant the caller may not ask about', { path: 'authorize', body: json({ tenant: 'globex', principal: { serviceAccount: 'ci' }, action: 'portal' }) }, 403],
  ['authorize, an unknown tenant', { path: 'authorize', body: json({ tenant: 'nope', principal: { serviceAccount: 'ci' }, action: 'portal' }) }, 403],
  ['authenticate, a valid key', { path: 'authenticate', body: json({ apiKey: 'acme-key' }) }, 200],
  ['authenticate, another tenant\'s key', { path: 'authenticate', body: json({ apiKey: 'globex-key' }) }, 401],
  ['authenticate, an unknown key', { path: 'authenticate', body: json({ apiKey: 'nope' }) }, 401],
  ['invalid JSON', { path: 'authorize', body: '{"tenant":' }, 400],
  ['an empty body', { path: 'authorize', body: '  ' }, 400],
  ['invalid fields', { path: 'authorize', body: json({ tenant: 'ACME', principal: {}, action: 'fly' }) }, 400],
  ['not JSON', { path: 'authorize', contentType: 'text/plain', body: 'tenant=acme' }, 415],
  ['too large', { path: 'authenticate', body: json({ apiKey: 'x'.repeat(20_000) }) }, 413],
  ['a wrong method', { path: 'authorize', method: 'GET' }, 405],
  ['an unknown endpoint', { path: 'nothing', body: '{}' }, 404],
  ['no token', { path: 'authorize', token: '', body: json({ tenant: 'acme', principal: { serviceAccount: 'ci' }, action: 'portal' }) }, 401],
  ['a token the API server rejects', { path: 'authorize', token: jwt('eve'), body: json({ tenant: 'acme', principal: { serviceAccount: 'ci' }, action: 'portal' }) }, 401],
];

describe('accessApiHandler: the cached fast path answers as the review path does', () => {
  it.each(CASES)('%s: %s', async (_what, request, status) => {
    // Twice on each server: the second request of a known caller takes the fast path (no review).
    const review = [await ask(servers.review, request), await ask(servers.review, request)];
    const before = reviews;
    const fast = [await ask(servers.fast, request), await ask(servers.fast, request)];
    expect(review[0]?.status).toBe(status);
    for (const answer of [...review, ...fast]) expect(answer).toEqual(review[0]);
    // The caches are shared and warm: the fast server asked no review of a known, allowed caller.
    if (request.token === undefined && status !== 403) expect(reviews).toBe(before);
  });

  it('stops answering at once when the cached answers expire: a removed binding is a 403 after the allowed TTL', async () => {
    const body = json({ tenant: 'acme', principal: { serviceAccount: 'ci' }, action: 'portal' });
    expect((await ask(servers.fast, { path: 'authorize', token: mallory, body })).status).toBe(403);
    grants['mallory'] = ['tenant-acme'];
    // The denial is cached for its TTL (2 s), then the new binding counts.
    expect((await ask(servers.fast, { path: 'authorize', token: mallory, body })).status).toBe(403);
    now += 2_000;
    expect((await ask(servers.fast, { path: 'authorize', token: mallory, body })).status).toBe(200);
    delete grants['mallory'];
    // The yes is cached for its TTL (10 s, as the token's), then the removed binding counts.
    now += 9_999;
    expect((await ask(servers.fast, { path: 'authorize', token: mallory, body })).status).toBe(200);
    now += 1;
    expect((await ask(servers.fast, { path: 'authorize', token: mallory, body })).status).toBe(403);
  });
});
