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

const iterations = Number(process.argv[2] ?? 200_000);
let sink = 0;
function cost(what: string, f: () => unknown): void {
  for (let i = 0; i < Math.min(iterations, 10_000); i++) f();
  const started = performance.now();
  for (let i = 0; i < iterations; i++) if (f()) sink++;
  const us = ((performance.now() - started) * 1000) / iterations;
  process.stdout.write(`${JSON.stringify({ bench: 'access-request-costs', what, usPerCall: Math.round(us * 100) / 100 })}\n`);
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
process.stdout.write(`${JSON.stringify({ bench: 'access-request-costs', loadAverage: loadavg().map((l) => Math.round(l * 100) / 100), sink })}\n`);
