// The access API's request path, piece by piece, in-process (no sockets): microseconds per call of
// each step a request takes besides node's HTTP server and the decision itself (bench/access-api.ts
// measures those). A list to find the expensive steps, not a target: timings depend on the machine's load.
//   node --import tsx bench/access-request-costs.ts [iterations=200000]
import { loadavg } from 'node:os';
import { parseAuthenticateRequest, parseAuthorizeRequest } from '../operator/access/request.js';
import { bearerToken, isJsonMediaType } from '../operator/access/http-api.js';
import { ACCESS_REVIEW_PERMISSION } from '../operator/access/caller-access.js';
import { ManualClock } from '../operator/runtime/clock.js';
import { requestPath } from '../operator/runtime/http-server.js';
import { TokenAuthenticator, tokenKey } from '../operator/runtime/token-authenticator.js';
import type { IncomingMessage } from 'node:http';
import { BENCH_CALLER_TOKEN } from './synthetic-cluster.js';
import { generateApiKey } from '../operator/apikeys/index.js';
import { seededRandom } from '../operator/apikeys/seeded-random.js';
import { cachedDecisions } from '../operator/access/decision-cache.js';
import { directDecisions } from '../operator/access/decide.js';
import { cacheDirectory } from '../operator/access/directory.js';
import type { AuthorizeRequest } from '../operator/access/request.js';
import type { ServiceAccount, User, Workspace } from '../operator/api/index.js';
import type { Cached } from '../operator/context.js';
import { fakeOperatorContext, tenantNamespace, tenantObject } from '../operator/context.fixture.js';
import { authorize, normalizeEmail } from '../operator/policy/index.js';
import { seededCache } from '../operator/runtime/fake-cache.js';
import { builtinKinds } from '../operator/runtime/kinds.js';
import type { CachedApiKeySecret } from '../operator/service-accounts/api-key-secret.js';
import { buildApiKeySecret, KEY_ID_INDEX, keyIdsOf, ownerReferenceTo, toCachedApiKeySecret } from '../operator/service-accounts/api-key-secret.js';
import { cacheSources, createApiKeyVerifier } from '../operator/service-accounts/key-verifier.js';
import { keptKeyVerifier } from '../operator/service-accounts/verified-keys.js';

const iterations = Number(process.argv[2] ?? 200_000);
let sink = 0;
function cost(what: string, f: () => unknown): void {
  for (let i = 0; i < Math.min(iterations, 10_000); i++) f();
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < iterations; i++) if (f()) sink++;
  const used = process.cpuUsage(cpu);
  const us = ((performance.now() - started) * 1000) / iterations;
  // CPU time too: on a shared machine the wall clock counts the other processes' turns.
  const cpuUs = (used.user + used.system) / iterations;
  process.stdout.write(`${JSON.stringify({ bench: 'access-request-costs', what, usPerCall: Math.round(us * 100) / 100, cpuUsPerCall: Math.round(cpuUs * 100) / 100 })}\n`);
}
const authorizeText = JSON.stringify({ tenant: 't3', principal: { user: 'user17@t3.example.com' }, workspace: 'ws4', action: 'read' });
const authenticateText = JSON.stringify({ apiKey: 'blink_sa_2kQ8bN3xYp7LmW9vR4tZ1cHf6JdS0gA5eU' });
const authorizeBody = Buffer.from(authorizeText);
const req = { headers: { authorization: `Bearer ${BENCH_CALLER_TOKEN}`, 'content-type': 'application/json' } } as unknown as IncomingMessage;
const answer = { allowed: true, reason: 'RoleAllows', message: 'Role Builder may read in workspace "ws4"' };
const clock = new ManualClock(Date.now());
const auth = new TokenAuthenticator({
  audience: 'blink-accounts-access-api',
  clock,
  reviewer: { reviewToken: () => Promise.resolve({ authenticated: true, user: { username: 'u', groups: [] }, audiences: ['blink-accounts-access-api'] }), reviewAccess: () => Promise.resolve(true) },
});
const warm = await auth.authenticate(BENCH_CALLER_TOKEN);
if (!warm) throw new Error('The benchmark token did not authenticate');
await auth.allowed(warm, { ...ACCESS_REVIEW_PERMISSION, namespace: 'tenant-t3' });

cost('requestPath (plain path)', () => requestPath('/api/v1/authorize'));
cost('bearerToken (1 KB token)', () => bearerToken(req));
cost('tokenKey: SHA-256 of the 1 KB token', () => tokenKey(BENCH_CALLER_TOKEN));
cost('knownCaller (hash + token cache)', () => auth.knownCaller(BENCH_CALLER_TOKEN));
cost('knownAllowed (decision cache)', () => auth.knownAllowed(warm, { ...ACCESS_REVIEW_PERMISSION, namespace: 'tenant-t3' }));
cost('isJsonMediaType', () => isJsonMediaType(req.headers['content-type']));
cost('body toString + JSON.parse (authorize)', () => JSON.parse(authorizeBody.toString('utf8')));
const parsedAuthorize = JSON.parse(authorizeText) as unknown;
const parsedAuthenticate = JSON.parse(authenticateText) as unknown;
cost('parseAuthorizeRequest', () => parseAuthorizeRequest(parsedAuthorize).ok);
cost('parseAuthenticateRequest', () => parseAuthenticateRequest(parsedAuthenticate).ok);
cost('JSON.stringify + byteLength (answer)', () => Buffer.byteLength(JSON.stringify(answer)));

// The decisions over one tenant of 1,000 Users, 1,000 ServiceAccounts with keys and 10 Workspaces (seeded caches):
// straight from the caches (decide.ts, every key verified afresh) and as the access API answers (decision-cache.ts,
// verified-keys.ts), cycling over 1,000 principals of each kind (the first pass builds what is kept).
{
  const ns = 'tenant-t3';
  const users = Array.from({ length: 1000 }, (_, i) => ({ metadata: { name: `user${i}`, namespace: ns, uid: `u${i}`, resourceVersion: '1', creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { email: `user${i}@t3.example.com`, role: (['Admin', 'Builder', 'Consumer'] as const)[i % 3], workspaces: [`ws${i % 10}`] }, status: { phase: 'Active' } }) as Cached<User>);
  const keys = Array.from({ length: 1000 }, (_, i) => generateApiKey(seededRandom(`cost-${i}`)));
  const accounts = keys.map((key, i) => ({ metadata: { name: `sa${i}`, namespace: ns, uid: `s${i}`, resourceVersion: '1' }, spec: { role: (['Admin', 'Builder', 'Consumer'] as const)[i % 3], workspaces: [`ws${i % 10}`] }, status: { keyId: key.keyId } }) as Cached<ServiceAccount>);
  const signingKey = Buffer.alloc(32, 3);
  const secrets = accounts.map((sa, i) => toCachedApiKeySecret(buildApiKeySecret({ namespace: ns, name: `sa${i}-api-key`, labels: { 'accounts.blinkops.com/service-account': `sa${i}` }, signingKey, owner: ownerReferenceTo(sa), content: { key: keys[i]?.key ?? '', record: { keyId: keys[i]?.keyId ?? '', fingerprint: keys[i]?.fingerprint ?? '', revision: 1, createdAt: new Date().toISOString() } } })));
  const fake = await fakeOperatorContext({ tenants: [tenantObject('t3')], namespaces: [tenantNamespace('t3')], users, serviceAccounts: accounts, workspaces: Array.from({ length: 10 }, (_, i) => ({ metadata: { name: `ws${i}`, namespace: ns, resourceVersion: '1' }, spec: {} }) as Cached<Workspace>) });
  const secretCache = await seededCache<CachedApiKeySecret>(builtinKinds.secret, secrets, { [KEY_ID_INDEX]: keyIdsOf });
  const sources = cacheSources(fake.ctx, secretCache.informer, signingKey);
  const direct = directDecisions(cacheDirectory(fake.ctx, createApiKeyVerifier(sources)));
  const cached = cachedDecisions(fake.ctx, keptKeyVerifier(sources, { secrets: secretCache.informer, caches: fake.ctx.caches }));
  const byUser: AuthorizeRequest[] = users.map((_, i) => ({ tenant: 't3', principal: { user: `user${i}@t3.example.com` }, action: 'read', workspace: `ws${(i * 7) % 10}` }));
  const bySa: AuthorizeRequest[] = accounts.map((_, i) => ({ tenant: 't3', principal: { serviceAccount: `sa${i}` }, action: 'read', workspace: `ws${(i * 7) % 10}` }));
  let i = 0;
  cost('decide authorize user: decide.ts', () => direct.authorize(byUser[i++ % 1000] as AuthorizeRequest).allowed);
  cost('decide authorize user: precomputed', () => cached.authorize(byUser[i++ % 1000] as AuthorizeRequest).allowed);
  cost('decide authorize serviceAccount: decide.ts', () => direct.authorize(bySa[i++ % 1000] as AuthorizeRequest).allowed);
  cost('decide authorize serviceAccount: precomputed', () => cached.authorize(bySa[i++ % 1000] as AuthorizeRequest).allowed);
  cost('decide authenticate: decide.ts, every key verified', () => direct.authenticate({ apiKey: keys[i++ % 1000]?.key ?? '' }) !== undefined);
  cost('decide authenticate: precomputed, verified keys kept', () => cached.authenticate({ apiKey: keys[i++ % 1000]?.key ?? '' }) !== undefined);
  const principal = { kind: 'user', tenant: 't3', name: 'user1', role: 'Builder', phase: 'Active', workspaces: ['ws1'] } as const;
  cost('  of which: normalizeEmail', () => normalizeEmail(`user${i++ % 1000}@t3.example.com`));
  cost('  of which: the matrix (authorize)', () => authorize(principal, { tenant: 't3', action: 'read', workspace: 'ws1' }).allowed);
  process.stdout.write(`${JSON.stringify({ bench: 'access-request-costs', kept: cached.stats() })}\n`);
}
process.stdout.write(`${JSON.stringify({ bench: 'access-request-costs', loadAverage: loadavg().map((l) => Math.round(l * 100) / 100), sink })}\n`);
