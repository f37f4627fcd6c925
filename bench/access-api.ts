// Benchmark: the access API (PRODUCT §5) at the scale of PRODUCT §10, served by a
// real operator (every feature registered, its informers, indexes, API-key
// verifier, decisions and HTTP handler) whose caches are filled from a synthetic
// cluster instead of an API server (bench/synthetic-cluster.ts). The replica
// never gets the Lease, so it runs as a serving standby: no controller runs.
//   node --expose-gc --import tsx bench/access-api.ts [tenants=100] [requestsPerEndpoint=20000] [concurrency=16] [usersPerTenant=1000] [serviceAccountsPerTenant=1000] [maxMsPerRun=30000] [rounds=6]
// Prints one JSON line per result: load (time, heap per cached object), then each
// decision in-process (no HTTP) and over loopback HTTP, with authentication (the
// product's access API server: bearer token, TokenReview + SubjectAccessReview
// answered from a warm cache) and without it (the same handler on a second
// server whose authenticator lets every request through).
import { Worker } from 'node:worker_threads';
import { KubeConfig } from '@kubernetes/client-node';
import { startOperator } from '../operator/operator.js';
import type { Feature } from '../operator/context.js';
import { accessApiFeature, ACCESS_API_PREFIX, accessApiHandler, decideAuthenticate, decideAuthorize, mountAccessApi, parseAuthenticateRequest, parseAuthorizeRequest } from '../operator/access/index.js';
import type { AuthenticateRequest, AuthorizeRequest, Directory } from '../operator/access/index.js';

import { cacheDirectory } from '../operator/access/directory.js';
import { FEATURES } from '../operator/features.js';
import { createLogger } from '../operator/runtime/logger.js';
import { RuntimeHttpServer } from '../operator/runtime/http-server.js';
import type { CallerAuthenticator, TokenAuthenticator } from '../operator/runtime/token-authenticator.js';
import type { LoadJob, LoadResult } from './http-load.js';
import { apiKeyOf, BENCH_CALLER_TOKEN, installSyntheticClient, namespaceName, serviceAccountName, tenantName, userEmail, workspaceName } from './synthetic-cluster.js';
import type { ClusterShape } from './synthetic-cluster.js';

const arg = (i: number, fallback: number): number => Number(process.argv[i] ?? fallback);
const shape: ClusterShape = { tenants: arg(2, 100), usersPerTenant: arg(5, 1000), serviceAccountsPerTenant: arg(6, 1000), workspacesPerTenant: 10 };
const requestsPerEndpoint = arg(3, 20_000);
const concurrency = arg(4, 16);
/** Hard cap of each HTTP run and each in-process loop (`--quick` gives a smaller one). */
const MAX_MS_PER_RUN = arg(7, 30_000);
const ACTIONS = ['read', 'write', 'execute', 'portal', 'settings'] as const;

const emit = (result: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify({ bench: 'access-api', tenants: shape.tenants, ...result })}\n`);
const gc = (globalThis as { gc?: () => void }).gc;
const heapAfterGc = (): number => {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
};
const mb = (bytes: number): number => Math.round(bytes / 1e5) / 10;

// A reproducible stream of request bodies (xorshift32).
let seed = 0x2545f491;
const below = (n: number): number => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
};
const authorizeBody = (principal: (t: number) => Record<string, string>): string => {
  const t = below(shape.tenants);
  const action = ACTIONS[below(ACTIONS.length)] ?? 'read';
  const workspace = action === 'portal' || action === 'settings' ? {} : { workspace: workspaceName(below(shape.workspacesPerTenant)) };
  return JSON.stringify({ tenant: tenantName(t), principal: principal(t), ...workspace, action });
};
const bodies = {
  authorizeUser: (): string => authorizeBody((t) => ({ user: userEmail(t, below(shape.usersPerTenant)) })),
  authorizeServiceAccount: (): string => authorizeBody(() => ({ serviceAccount: serviceAccountName(below(shape.serviceAccountsPerTenant)) })),
  authenticate: (): string => JSON.stringify({ apiKey: apiKeyOf(below(shape.tenants), below(shape.serviceAccountsPerTenant)).key }),
};

// ---- Load ----
if (!gc) process.stderr.write('Run with --expose-gc for heap figures\n');
const client = installSyntheticClient(shape);
const heapBefore = heapAfterGc();
// The access-api feature as operator/access/feature.ts registers it, keeping the Directory for the in-process runs.
let directory: Directory | undefined;
let authenticator: TokenAuthenticator | undefined;
const accessApi: Feature = {
  name: accessApiFeature.name,
  needs: ['apiKeyVerifier'],
  register(ctx, services) {
    if (!services.apiKeyVerifier) throw new Error('No API-key verifier');
    directory = cacheDirectory(ctx, services.apiKeyVerifier);
    authenticator = mountAccessApi(ctx, directory);
  },
};
const kubeConfig = new KubeConfig();
kubeConfig.loadFromOptions({ clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }], users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
const loadStarted = performance.now();
const operator = await startOperator(
  { kubeConfig, httpPort: 0, metricsPort: 0, accessApiPort: 0, host: '127.0.0.1', identity: 'bench', logger: createLogger({ level: 'silent' }) },
  FEATURES.map((f) => (f === accessApiFeature ? accessApi : f)),
);
const loadMs = performance.now() - loadStarted;
const heapAfter = heapAfterGc();
const cachedObjects = Object.values(client.listed).reduce((a, b) => a + b, 0);
if (!directory) throw new Error('The access-api feature did not register');
const dir: Directory = directory;
emit({
  what: 'load',
  cachedObjects,
  listed: client.listed,
  loadMs: Math.round(loadMs),
  synthesisMs: Math.round(client.synthesisMs),
  operatorLoadMs: Math.round(loadMs - client.synthesisMs),
  heapMB: gc ? mb(heapAfter - heapBefore) : null,
  heapBytesPerObject: gc ? Math.round((heapAfter - heapBefore) / cachedObjects) : null,
  rssMB: mb(process.memoryUsage().rss),
  apiRequests: client.requests,
  leader: operator.manager.isLeader,
});

// ---- Decisions in-process (parse once, then decide: the lookup cost) ----
function parsed<T>(text: string, parse: (body: unknown) => { ok: true; value: T } | { ok: false }): T {
  const result = parse(JSON.parse(text));
  if (!result.ok) throw new Error(`The benchmark built an invalid request: ${text}`);
  return result.value;
}
function inProcess(what: string, decide: () => boolean, count: number): void {
  for (let i = 0; i < Math.min(count, 2_000); i++) decide(); // warm-up
  let ok = 0;
  let done = 0;
  const started = performance.now();
  const deadline = started + MAX_MS_PER_RUN;
  while (done < count && performance.now() < deadline) {
    if (decide()) ok++;
    done++;
  }
  const ms = performance.now() - started;
  emit({ what: `in-process ${what}`, decisions: done, ms: Math.round(ms), decisionsPerSecond: Math.round((done / ms) * 1000), usPerDecision: Math.round((ms / done) * 1e4) / 10, positive: ok });
}
const inProcessCount = requestsPerEndpoint * 5;
// A count of 0 (users or service accounts) loads without them and skips their runs: for a memory breakdown by kind.
const hasUsers = shape.usersPerTenant > 0;
const hasServiceAccounts = shape.serviceAccountsPerTenant > 0;
const sample = <T>(make: () => T): T[] => Array.from({ length: 10_000 }, make);
const userRequests = hasUsers ? sample(() => parsed<AuthorizeRequest>(bodies.authorizeUser(), parseAuthorizeRequest)) : [];
const saRequests = hasServiceAccounts ? sample(() => parsed<AuthorizeRequest>(bodies.authorizeServiceAccount(), parseAuthorizeRequest)) : [];
const keyRequests = hasServiceAccounts ? sample(() => parsed<AuthenticateRequest>(bodies.authenticate(), parseAuthenticateRequest)) : [];
let n = 0;
if (hasUsers) inProcess('authorize user', () => decideAuthorize(dir, userRequests[n++ % userRequests.length] as AuthorizeRequest).allowed, inProcessCount);
if (hasServiceAccounts) {
  inProcess('authorize serviceAccount', () => decideAuthorize(dir, saRequests[n++ % saRequests.length] as AuthorizeRequest).allowed, inProcessCount);
  inProcess('authenticate apiKey', () => decideAuthenticate(dir, keyRequests[n++ % keyRequests.length] as AuthenticateRequest) !== undefined, inProcessCount);
}

// ---- Authentication in-process: a warm review cache (hash the token, two cache lookups) ----
if (authenticator) {
  const auth = authenticator;
  const namespaces = Array.from({ length: shape.tenants }, (_, t) => namespaceName(t));
  const warm = await auth.authenticate(BENCH_CALLER_TOKEN);
  if (!warm) throw new Error('The benchmark caller did not authenticate');
  for (const namespace of namespaces) await auth.allowed(warm, { group: 'accounts.blinkops.com', resource: 'accessreviews', verb: 'create', namespace });
  const count = 50_000;
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const caller = await auth.authenticate(BENCH_CALLER_TOKEN);
    if (!caller || !(await auth.allowed(caller, { group: 'accounts.blinkops.com', resource: 'accessreviews', verb: 'create', namespace: namespaces[i % namespaces.length] ?? '' }))) throw new Error('Not allowed');
  }
  const ms = performance.now() - started;
  emit({ what: 'in-process authenticate+authorize caller (warm cache)', checks: count, ms: Math.round(ms), usPerCheck: Math.round((ms / count) * 1e4) / 10, tokenBytes: BENCH_CALLER_TOKEN.length, reviews: { ...auth.reviews } });
}

// ---- Over loopback HTTP, the load generated in a worker thread ----
// Without authentication: the same handler and directory on a server of its own whose
// authenticator answers every request as an allowed caller at once (no hash, no cache).
const passThrough: CallerAuthenticator = {
  authenticate: () => Promise.resolve({ key: 'bench', user: { username: 'bench', groups: [] } }),
  allowed: () => Promise.resolve(true),
};
const unauthenticated = new RuntimeHttpServer({ port: 0, host: '127.0.0.1', logger: createLogger({ level: 'silent' }) });
unauthenticated.addHandler(`${ACCESS_API_PREFIX}/`, accessApiHandler(dir, createLogger({ level: 'silent' }), passThrough));
await unauthenticated.start();
const servers = { auth: operator.accessApiUrl, 'no-auth': `http://127.0.0.1:${unauthenticated.port}` } as const;
const headers = { authorization: `Bearer ${BENCH_CALLER_TOKEN}` };

function load(path: string, texts: string[], mode: keyof typeof servers): Promise<LoadResult> {
  const job: LoadJob = { url: `${servers[mode]}${ACCESS_API_PREFIX}/${path}`, bodies: texts, concurrency, maxMs: MAX_MS_PER_RUN, headers };
  const worker = new Worker(new URL('./http-load.ts', import.meta.url), { workerData: job });
  return new Promise((resolve, reject) => {
    worker.once('message', (result: LoadResult) => {
      void worker.terminate();
      resolve(result);
    });
    worker.once('error', reject);
  });
}
let failed = false;
const runs = [
  ...(hasUsers ? [['authorize user', 'authorize', bodies.authorizeUser] as const] : []),
  ...(hasServiceAccounts ? [['authorize serviceAccount', 'authorize', bodies.authorizeServiceAccount] as const, ['authenticate apiKey', 'authenticate', bodies.authenticate] as const] : []),
];
const warmUp = runs[0];
// The warm-up also fills the review caches (one TokenReview, one SubjectAccessReview per tenant namespace).
if (warmUp) for (const mode of ['no-auth', 'auth'] as const) await load(warmUp[1], Array.from({ length: 2_000 }, warmUp[2]), mode);
/** The median of numbers. */
const median = (values: readonly number[]): number => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] ?? 0;
// With and without authentication in alternating rounds (the machine's load drifts): the same
// bodies, split into ROUNDS parts; each mode's figures are the medians of its rounds.
const ROUNDS = arg(8, 6);
for (const [what, path, make] of runs) {
  const texts = Array.from({ length: requestsPerEndpoint }, make);
  const per = Math.ceil(texts.length / ROUNDS);
  const results: Record<'auth' | 'no-auth', LoadResult[]> = { auth: [], 'no-auth': [] };
  const before = { ...authenticator?.reviews };
  for (let round = 0; round < ROUNDS; round++) {
    const part = texts.slice(round * per, (round + 1) * per);
    for (const mode of round % 2 === 0 ? (['no-auth', 'auth'] as const) : (['auth', 'no-auth'] as const)) {
      const result = await load(path, part, mode);
      results[mode].push(result);
      // Every request is well-formed, authenticated and allowed, and every key valid: anything but 200 is a bug.
      if (result.statuses['200'] !== result.requests) failed = true;
    }
  }
  const reviews = { token: (authenticator?.reviews.token ?? 0) - (before.token ?? 0), access: (authenticator?.reviews.access ?? 0) - (before.access ?? 0) };
  for (const mode of ['no-auth', 'auth'] as const) {
    const rs = results[mode];
    emit({
      what: `http ${what}`,
      auth: mode === 'auth',
      concurrency,
      requests: rs.reduce((n, r) => n + r.requests, 0),
      requestsPerSecond: median(rs.map((r) => r.requestsPerSecond)),
      p50Ms: median(rs.map((r) => r.p50Ms)),
      p99Ms: median(rs.map((r) => r.p99Ms)),
      rounds: rs.map((r) => ({ requestsPerSecond: r.requestsPerSecond, p99Ms: r.p99Ms })),
      statuses: rs.reduce<Record<string, number>>((all, r) => {
        for (const [code, n] of Object.entries(r.statuses)) all[code] = (all[code] ?? 0) + n;
        return all;
      }, {}),
      ...(mode === 'auth' ? { reviewsDuringRuns: reviews } : {}),
    });
  }
}
await unauthenticated.stop();

await Promise.race([operator.stop(), new Promise((resolve) => setTimeout(resolve, 5_000))]);
process.exit(failed ? 1 : 0);
