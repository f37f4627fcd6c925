// Scenarios 1 + 2 of issue #14 and §1/§3 of issue 24: convergence of users + service accounts
// over tenants against a fresh embedded control plane, and the limit: a minimal client doing
// exactly the writes the design needs per object, with the same concurrency.
//
//   node --import tsx bench/convergence.ts 2000        (N users + N SAs over 10 tenants; --quick: N=100, shorter idle and fewer samples)
//   node --import tsx bench/convergence.ts --scale [--tenants T --users U --service-accounts S] [--one-cluster]
//        (the spec's scale, default 100 × (1,000 + 1,000); also API server / etcd CPU and peak RSS, heap
//        per cached object, access-API throughput; writes bench/results/scale-<T>x<U>+<S>.{json,md,svg})
//   --cluster-per-phase: a fresh control plane for each phase (the default with --scale, where one
//        control plane would hold the three phases' objects at once; --one-cluster turns it off)
//   --phases min,op,min2: run only these phases (default all three). Each phase run (with --scale
//        or --phases) is saved as bench/results/<result>.phase-<name>.json (commit, date, load); a phase not run
//        is taken from that file when it exists, else reported "not run". At the spec's scale one
//        phase takes about an hour, so the phases can run in separate invocations.
// GOMEMLIMIT in the environment reaches etcd, kube-apiserver and kube-controller-manager (Go's soft
// memory limit: at the spec's scale kube-apiserver would otherwise outgrow a 24-GiB machine); with
// --scale it defaults to half the machine's memory. Each phase records it.
//
// Phases (one control plane, stopped at the end, unless --cluster-per-phase gives each its own), in
// this order so that neither side always runs on the fuller cluster:
//   minimal:  users + SAs created (16 in flight) into plain namespaces; worker pools of the
//             operator's concurrency (4 for SAs; users 1 writer + 4 senders, as the operator's
//             send queue) do the minimal writes per object, emails included.
//   operator: `blink-accounts operator run` through tsx (bin/blink-accounts.js, as `npm start` runs it) as a
//             child process, Tenants, then the same creates; time until every object is converged.
//   minimal again, into fresh namespaces: both minimal figures are reported.
// Users converge as in production: the dev SMTP server (operator/dev-smtp) catches the emails,
// which the operator sends through its SMTP Secret and the minimal client through the same
// mailer. "Converged": a ServiceAccount is Ready=True for its generation; a User has
// InvitationSent=True for its generation. The bench's watches start from a LIST's
// resourceVersion (and resume from the last one seen), so a reconnect replays nothing.
// With every result: the operator's event-loop lag (prom-client's monitorEventLoopDelay gauges,
// read every second: the worst 1-s p99 and the max; and bench/lag-probe.ts's, which also gives the
// part of the lag the operator's own CPU caused, apart from waiting for a core on a busy machine),
// its watch restarts and the deepest each
// work queue got. API requests come from kube-apiserver's own apiserver_request_total
// (deltas), minus the benchmark's own creates and watches.
// Prints one JSON line, a table on stderr, and writes bench/results/convergence-<N>.json (.svg).
import { readFileSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { ACCESS_API_CLIENT_ROLE, accessApiClientClusterRole, DEFAULT_ACCESS_API_AUDIENCE } from '../operator/access/caller-access.js';
import { ACCOUNT_KINDS, FINALIZER, INVITATION_EMAILS_PER_HOUR_MAX, SHARD_LABEL, TENANT_LABEL } from '../operator/api/index.js';
import { ensureBinaries } from '../operator/dev-cluster/binaries.js';
import { startCluster, stopCluster } from '../operator/dev-cluster/cluster.js';
import type { ClusterState } from '../operator/dev-cluster/cluster.js';
import { installProduct } from '../operator/kube/install.js';
import { builtinKinds, collectionPath } from '../operator/runtime/kinds.js';
import type { KindDescriptor, KubeObject } from '../operator/runtime/kinds.js';
import { KubeClient } from '../operator/runtime/kube-client.js';
import { startDevSmtp } from '../operator/dev-smtp/server.js';
import type { DevSmtpServer } from '../operator/dev-smtp/server.js';
import { renderInvitationEmail } from '../operator/invitations/email.js';
import { nodemailerMailer, parseSmtpSettings } from '../operator/invitations/smtp.js';
import type { SmtpSettings } from '../operator/invitations/smtp.js';
import { scrapeMetrics } from '../test/harness/metrics.js';
import { startLoadProcess } from './http-load.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const SCALE = args.includes('--scale');
/** The whole number after `name`, if given. */
function flagValue(name: string): number | undefined {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const value = Number(args[at + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} needs a positive whole number, got "${args[at + 1] ?? ''}"`);
  return value;
}
/**
 * A fresh control plane per phase: each phase then starts from an empty cluster, and the control
 * plane's memory holds one phase's objects, not three (kube-apiserver's RSS reached 3.7 GB with two
 * phases of 40,000 accounts stored in one control plane).
 */
const CLUSTER_PER_PHASE = args.includes('--cluster-per-phase') || (SCALE && !args.includes('--one-cluster'));
if (SCALE) process.env['GOMEMLIMIT'] ??= `${Math.floor(totalmem() / 2 / 2 ** 30)}GiB`;
/** Each phase is saved (for a later --phases run) under --scale or --phases only: an ordinary run leaves only its result files. */
const SAVE_PHASES = SCALE || args.includes('--phases');
/** The phases this invocation runs. */
const PHASES = (args.includes('--phases') ? (args[args.indexOf('--phases') + 1] ?? '') : 'min,op,min2').split(',').filter(Boolean);
for (const p of PHASES) if (!['min', 'op', 'min2'].includes(p)) throw new Error(`--phases takes min, op and min2, comma-separated; got "${p}"`);
const positional = args.find((a, i) => /^\d+$/.test(a) && !args[i - 1]?.startsWith('--'));
/** Tenants, one namespace each. */
const TENANTS = flagValue('--tenants') ?? (SCALE ? 100 : 10);
const N = quick ? 100 : Number(positional ?? 500);
/** Users and ServiceAccounts in all (spread evenly over the tenants). */
const USERS = SCALE ? TENANTS * (flagValue('--users') ?? 1000) : N;
const SAS = SCALE ? TENANTS * (flagValue('--service-accounts') ?? 1000) : N;
/** Requests are given "per N": per (users + SAs) / 2, which is N outside --scale. */
const PER_N = (USERS + SAS) / 2;
/** The name of the result files. */
const RESULT_NAME = SCALE ? `scale-${TENANTS}x${USERS / TENANTS}+${SAS / TENANTS}` : `convergence-${N}`;
const IN_FLIGHT = 16;
const CAP_MS = Number(process.env['BENCH_CONVERGE_CAP_MS'] ?? (quick ? 60_000 : SCALE ? 7_200_000 : 600_000));
/** Senders of invitation emails: the operator's send queue runs 4 at once (DEFAULT_SEND_CONCURRENCY). */
const SENDERS = 4;
const CPU_PROF = args.includes('--cpu-prof');
/** `--dump-objects <file>`: after the operator phase converged, the raw objects of its tenant namespaces (as listed, managedFields included) go to this JSON file: the shapes bench/realistic-shapes.ts copies. */
const DUMP_OBJECTS = args.includes('--dump-objects') ? args[args.indexOf('--dump-objects') + 1] : undefined;
/** Idle phase of the steady state. */
const IDLE_MS = quick ? 2_000 : 10_000;
const load = (): number[] => loadavg().map((l) => Math.round(l * 100) / 100);
const say = (m: string): void => void process.stderr.write(`[convergence] ${m}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++] as T);
  }));
}

/** A worker pool fed while items arrive (like a work queue), `size` workers. */
function pool<T>(size: number, fn: (item: T) => Promise<void>): { push(item: T): void; drained(): Promise<void> } {
  const queue: T[] = [];
  let waiting: (() => void)[] = [];
  let closed = false;
  const workers = Array.from({ length: size }, async () => {
    for (;;) {
      const item = queue.shift();
      if (item !== undefined) {
        await fn(item);
        continue;
      }
      if (closed) return;
      await new Promise<void>((r) => waiting.push(r));
    }
  });
  const wake = (): void => {
    const w = waiting;
    waiting = [];
    for (const r of w) r();
  };
  return {
    push(item) {
      queue.push(item);
      wake();
    },
    async drained() {
      closed = true;
      wake();
      await Promise.all(workers);
    },
  };
}

// --- control plane -------------------------------------------------------------------------------

/** The control plane's admin config, for the /metrics scraper's ServiceAccount (set with the CRDs). */
let metricsKubeConfig: KubeConfig | undefined;

async function installCrds(state: ClusterState): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(state.kubeconfig);
  await installProduct(kc);
  metricsKubeConfig = kc;
}

function httpsGet(state: ClusterState, path: string): Promise<string> {
  const ca = readFileSync(join(state.dir, 'pki', 'apiserver.crt'));
  const token = /token: (\S+)/.exec(readFileSync(state.kubeconfig, 'utf8'))?.[1] ?? '';
  const url = new URL(path, state.server);
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers: { authorization: `Bearer ${token}` }, timeout: 30_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.end();
  });
}

/** apiserver_request_total by "VERB resource[/subresource] code", for the resources the product touches. */
type Counts = Record<string, number>;
const RESOURCES = new Set(['serviceaccounts', 'users', 'tenants', 'secrets', 'events', 'rolebindings', 'namespaces', 'workspaces', 'groups', 'leases']);
async function requestCounts(state: ClusterState): Promise<Counts> {
  const text = await httpsGet(state, '/metrics');
  const counts: Counts = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = line.slice(line.indexOf('{') + 1, line.lastIndexOf('}'));
    const get = (name: string): string => new RegExp(`(?:^|,)${name}="([^"]*)"`).exec(labels)?.[1] ?? '';
    if (!RESOURCES.has(get('resource'))) continue;
    // Core ServiceAccounts (kube-controller-manager's "default" ones) are not the product's.
    if (get('resource') === 'serviceaccounts' && get('group') !== 'accounts.blinkops.com') continue;
    const sub = get('subresource');
    const key = `${get('verb')} ${get('resource')}${sub ? `/${sub}` : ''} ${get('code')}`;
    counts[key] = (counts[key] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return counts;
}

function delta(after: Counts, before: Counts, own: Counts): Counts {
  const out: Counts = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0) - (own[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

// --- objects ------------------------------------------------------------------------------------

interface Obj {
  readonly kind: 'sa' | 'user';
  readonly namespace: string;
  readonly name: string;
}

function objectsIn(namespaces: readonly string[]): Obj[] {
  const out: Obj[] = [];
  for (let i = 0; i < Math.max(USERS, SAS); i++) {
    const namespace = namespaces[i % namespaces.length] as string;
    if (i < SAS) out.push({ kind: 'sa', namespace, name: `sa-${i}` });
    if (i < USERS) out.push({ kind: 'user', namespace, name: `user-${i}` });
  }
  return out;
}

function bodyOf(o: Obj): KubeObject {
  return o.kind === 'sa'
    ? ({ metadata: { name: o.name, namespace: o.namespace }, spec: { role: 'Builder' } } as KubeObject)
    : ({ metadata: { name: o.name, namespace: o.namespace }, spec: { email: `${o.name}@example.com`, role: 'Consumer' } } as KubeObject);
}

const kindOf = (o: Obj): KindDescriptor => (o.kind === 'sa' ? ACCOUNT_KINDS.serviceAccount : ACCOUNT_KINDS.user);

async function makeNamespaces(client: KubeClient, prefix: string, tenants: boolean, shard: string): Promise<string[]> {
  const names = Array.from({ length: TENANTS }, (_, i) => `${prefix}-${i}`);
  for (const ns of names) {
    const tenant = `${prefix}-t${ns.slice(prefix.length + 1)}`;
    await client.create(builtinKinds.namespace, { metadata: { name: ns, ...(tenants ? { labels: { [TENANT_LABEL]: tenant, [SHARD_LABEL]: shard } } : {}) } });
    if (tenants) await client.create(ACCOUNT_KINDS.tenant, { metadata: { name: tenant, labels: { [SHARD_LABEL]: shard } }, spec: { namespace: ns, displayName: 'Benchmark', allowedEmailDomains: ['example.com'], invitationEmailsPerHour: INVITATION_EMAILS_PER_HOUR_MAX } } as KubeObject);
  }
  return names;
}

type Watched = KubeObject & { status?: { observedGeneration?: number; conditions?: { type: string; status: string; observedGeneration?: number }[] } };

/** Converged: a ServiceAccount Ready=True, a User InvitationSent=True, for its generation. */
function isConverged(kind: 'sa' | 'user', o: Watched): boolean {
  const condition = o.status?.conditions?.find((c) => c.type === (kind === 'sa' ? 'Ready' : 'InvitationSent'));
  return condition?.status === 'True' && (condition.observedGeneration ?? o.status?.observedGeneration) === o.metadata?.generation;
}

/** A kind's list+watch that the benchmark keeps open: what it sees, and how often it (re)connected. */
interface KeptWatch {
  stop(): void;
  readonly watches: number;
  readonly lists: number;
}

/**
 * Lists `kind` (cluster-wide, or in `namespace` only), hands every object to `seen`, then watches from
 * the list's resourceVersion and resumes from the last one it saw (bookmarks included); only a 410
 * Gone lists again. `listed` resolves once the first list has been handed over.
 */
function keepWatching(client: KubeClient, kind: 'sa' | 'user', seen: (kind: 'sa' | 'user', o: Watched) => void, namespace?: string): KeptWatch & { listed: Promise<void> } {
  const descriptor = kind === 'sa' ? ACCOUNT_KINDS.serviceAccount : ACCOUNT_KINDS.user;
  const requests: { abort(): void }[] = [];
  const counter = { watches: 0, lists: 0 };
  let stopped = false;
  let listed: () => void = () => {};
  const listedP = new Promise<void>((r) => (listed = r));
  void (async () => {
    let resourceVersion: string | undefined;
    while (!stopped) {
      try {
        if (resourceVersion === undefined) {
          counter.lists++;
          let next: string | undefined;
          do {
            const page = await client.list<Watched>(descriptor, { namespace, query: { limit: 5000, ...(next ? { continue: next } : {}) } });
            for (const item of page.items) seen(kind, item);
            resourceVersion = page.metadata.resourceVersion;
            next = page.metadata.continue || undefined;
          } while (next);
          listed();
        }
        counter.watches++;
        const req = await client.watch(collectionPath(descriptor, namespace), { resourceVersion, allowWatchBookmarks: true }, (line) => {
          if (!line) return;
          const event = JSON.parse(line) as { type: string; object: Watched & { code?: number } };
          if (event.type === 'ERROR') {
            resourceVersion = undefined; // 410 Gone: list again
            return;
          }
          resourceVersion = event.object.metadata?.resourceVersion ?? resourceVersion;
          if (event.type !== 'BOOKMARK') seen(kind, event.object);
        }, () => {});
        requests.push(req);
        await req.done;
      } catch {
        // A failed list or watch: try again after the pause below.
      }
      if (!stopped) await sleep(300);
    }
  })();
  return {
    listed: listedP,
    get watches() {
      return counter.watches;
    },
    get lists() {
      return counter.lists;
    },
    stop: () => {
      stopped = true;
      for (const r of requests) r.abort();
    },
  };
}

/**
 * Watches both kinds cluster-wide (see {@link keepWatching}) and resolves when every object of
 * `objects` is converged. `watches` counts the WATCH requests, `lists` the LISTs.
 */
function watchConverged(client: KubeClient, namespaces: ReadonlySet<string>, objects: readonly Obj[], startedAt: number): { done: Promise<{ ms: number; curve: [number, number][] }> } & KeptWatch {
  const want = new Set(objects.map((o) => `${o.kind}/${o.namespace}/${o.name}`));
  const converged = new Set<string>();
  const curve: [number, number][] = [];
  let resolve: (v: { ms: number; curve: [number, number][] }) => void = () => {};
  const done = new Promise<{ ms: number; curve: [number, number][] }>((r) => (resolve = r));
  const seen = (kind: 'sa' | 'user', o: Watched): void => {
    if (!o.metadata?.namespace || !namespaces.has(o.metadata.namespace)) return;
    const id = `${kind}/${o.metadata.namespace}/${o.metadata.name}`;
    if (!want.has(id) || converged.has(id) || !isConverged(kind, o)) return;
    converged.add(id);
    if (converged.size % Math.max(1, Math.floor(want.size / 50)) === 0 || converged.size === want.size) curve.push([Date.now() - startedAt, converged.size]);
    if (converged.size === want.size) resolve({ ms: Date.now() - startedAt, curve });
  };
  // Progress on long phases (thousands of objects): converged so far, the rate and what is left at that rate.
  const progress = want.size >= 1000 ? setInterval(() => {
    const s = (Date.now() - startedAt) / 1000;
    const rate = converged.size / Math.max(1, s);
    say(`  ${converged.size} / ${want.size} converged after ${Math.round(s)} s (${rate.toFixed(1)}/s${rate > 0 ? `, ~${Math.round((want.size - converged.size) / rate)} s left` : ''}), load ${load().join(', ')}`);
  }, 30_000) : undefined;
  progress?.unref();
  void done.then(() => clearInterval(progress));
  const watches = [keepWatching(client, 'sa', seen), keepWatching(client, 'user', seen)];
  return {
    done,
    get watches() {
      return watches.reduce((sum, w) => sum + w.watches, 0);
    },
    get lists() {
      return watches.reduce((sum, w) => sum + w.lists, 0);
    },
    stop: () => {
      clearInterval(progress);
      for (const w of watches) w.stop();
    },
  };
}

// --- the minimal client -------------------------------------------------------------------------

/** The Secret the operator reads its SMTP settings from. */
const SMTP_SECRET = { namespace: 'bench-system', name: 'bench-smtp' } as const;

/** Starts the dev SMTP server and writes the operator's SMTP Secret. */
async function startSmtp(client: KubeClient, dir: string): Promise<void> {
  smtp = await startDevSmtp({ dir });
  const data = { host: smtp.host, port: String(smtp.port), from: 'Benchmark <bench@example.com>' };
  smtpSettings = parseSmtpSettings(Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), 'bench');
  await client.create(builtinKinds.namespace, { metadata: { name: SMTP_SECRET.namespace } });
  await client.create(builtinKinds.secret, { metadata: { name: SMTP_SECRET.name, namespace: SMTP_SECRET.namespace }, type: 'Opaque', stringData: data } as KubeObject);
}

/** The dev SMTP server of this run and the settings both the operator and the minimal client send with. */
let smtp: DevSmtpServer | undefined;
let smtpSettings: SmtpSettings | undefined;
const mailer = nodemailerMailer();

async function finalizerAndSecret(client: KubeClient, o: Obj, created: KubeObject): Promise<KubeObject | undefined> {
  await client.patch(kindOf(o), o.namespace, o.name, { metadata: { finalizers: [FINALIZER], resourceVersion: created.metadata?.resourceVersion } });
  const owner = [{ apiVersion: 'accounts.blinkops.com/v1alpha1', kind: o.kind === 'sa' ? 'ServiceAccount' : 'User', name: o.name, uid: created.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true }];
  // The SA's key, or the User's invitation record ("preparing"); Opaque: the accounts.blinkops.com/ types are the operator's alone.
  return client.create(builtinKinds.secret, {
    metadata: { name: o.kind === 'sa' ? `${o.name}-api-key` : `blink-invitation-${o.name}`, namespace: o.namespace, ownerReferences: owner },
    type: 'Opaque',
    data: o.kind === 'sa' ? { apiKey: Buffer.from('x'.repeat(48)).toString('base64') } : { record: Buffer.from(JSON.stringify({ delivery: 'preparing', tokenHash: 'x'.repeat(64) })).toString('base64') },
  } as KubeObject);
}

async function eventAndStatus(client: KubeClient, o: Obj, created: KubeObject): Promise<void> {
  const now = new Date().toISOString();
  const gen = created.metadata?.generation;
  const reason = o.kind === 'sa' ? 'KeyIssued' : 'InvitationSent';
  await client.create(builtinKinds.event, {
    metadata: { name: `${o.name}.${Math.random().toString(16).slice(2, 10)}`, namespace: o.namespace },
    eventTime: now.replace(/\.(\d{3})Z$/, '.$1000Z'),
    reportingController: 'bench-minimal',
    reportingInstance: 'bench',
    action: reason,
    reason,
    note: o.kind === 'sa' ? 'Issued API key' : 'Sent the invitation',
    type: 'Normal',
    regarding: { apiVersion: 'accounts.blinkops.com/v1alpha1', kind: o.kind === 'sa' ? 'ServiceAccount' : 'User', name: o.name, namespace: o.namespace, uid: created.metadata?.uid },
  } as KubeObject);
  const condition = (type: string, status: string) => ({ type, status, reason: 'Bench', message: 'minimal client', lastTransitionTime: now, observedGeneration: gen });
  const conditions = o.kind === 'sa' ? [condition('Ready', 'True'), condition('KeyIssued', 'True')] : [condition('Ready', 'True'), condition('InvitationSent', 'True')];
  await client.patch(kindOf(o), o.namespace, o.name, { status: { observedGeneration: gen, conditions } }, { subresource: 'status' });
}

/**
 * The writes the design needs, per object, with no reads (the creating POST returns the object).
 * ServiceAccount: finalizer PATCH (the Secret is deleted explicitly on deletion), Secret POST (the
 * key, owned by the account), Event POST (KeyIssued, R13), status PATCH.
 * User: finalizer PATCH, invitation record POST ("preparing", before anything leaves), then at a
 * sender: record PUT ("sending"), the email over SMTP (rendered and sent as the operator does),
 * record PUT ("sent"), Event POST (InvitationSent), status PATCH.
 */
async function minimalSaWrites(client: KubeClient, o: Obj, created: KubeObject): Promise<void> {
  await finalizerAndSecret(client, o, created);
  await eventAndStatus(client, o, created);
}

async function minimalUserSend(client: KubeClient, o: Obj, created: KubeObject, record: KubeObject): Promise<void> {
  const put = async (current: KubeObject, delivery: string): Promise<KubeObject> =>
    client.replace(builtinKinds.secret, { ...current, data: { record: Buffer.from(JSON.stringify({ delivery, tokenHash: 'x'.repeat(64) })).toString('base64') } } as KubeObject);
  const sending = await put(record, 'sending');
  const email = renderInvitationEmail({ tenantDisplayName: 'Benchmark', email: `${o.name}@example.com`, role: 'Consumer', workspaces: [], groups: [], expiresAt: new Date(Date.now() + 7 * 86_400_000), acceptUrl: `http://127.0.0.1:1/invitations/blink_inv_${'x'.repeat(40)}`, sender: 'bench@example.com' });
  const result = await mailer.send(smtpSettings as SmtpSettings, { from: { name: 'Benchmark', address: 'bench@example.com' }, to: `${o.name}@example.com`, subject: email.subject, text: email.text, html: email.html, messageId: `<${o.name}.${Date.now()}@bench>` });
  if (result.outcome !== 'sent') throw new Error(`The minimal client's email was not sent: ${JSON.stringify(result)}`);
  await put(sending, 'sent');
  await eventAndStatus(client, o, created);
}

async function runMinimal(state: ClusterState, client: KubeClient, prefix: string): Promise<Record<string, unknown>> {
  const namespaces = await makeNamespaces(client, prefix, false, '');
  const objects = objectsIn(namespaces);
  const before = await requestCounts(state);
  const cpuBefore = clusterCpu(state);
  const started = Date.now();
  const watch = watchConverged(client, new Set(namespaces), objects, started);
  const sas = pool<[Obj, KubeObject]>(4, ([o, c]) => minimalSaWrites(client, o, c));
  const senders = pool<[Obj, KubeObject, KubeObject]>(SENDERS, ([o, c, r]) => minimalUserSend(client, o, c, r));
  const users = pool<[Obj, KubeObject]>(1, async ([o, c]) => {
    const record = await finalizerAndSecret(client, o, c);
    senders.push([o, c, record as KubeObject]);
  });
  await inParallel(objects, IN_FLIGHT, async (o) => {
    const created = await client.create(kindOf(o), bodyOf(o));
    (o.kind === 'sa' ? sas : users).push([o, created]);
  });
  const createdMs = Date.now() - started;
  await Promise.all([sas.drained(), users.drained()]);
  await senders.drained();
  const result = await Promise.race([watch.done, sleep(CAP_MS).then(() => undefined)]);
  watch.stop();
  await sleep(500);
  const own = ownRequests();
  const requests = delta(await requestCounts(state), before, own);
  return { phase: prefix, createdMs, convergedMs: result?.ms ?? null, timedOut: result === undefined, requests, perObject: perObject(requests), benchWatches: { watches: watch.watches, lists: watch.lists }, clusterCpuS: cpuSince(state, cpuBefore), clusterPeakRssMB: clusterPeakRss(state), curve: result?.curve ?? [] };
}

/** The benchmark's own requests: its creates (its LISTs and WATCHes are left out of the per-object figures anyway). */
function ownRequests(): Counts {
  return { 'POST serviceaccounts 201': SAS, 'POST users 201': USERS };
}

/** CPU seconds so far of each control-plane process (etcd, kube-apiserver, kube-controller-manager), from /proc. */
function clusterCpu(state: ClusterState): Record<string, number> {
  const out: Record<string, number> = {};
  for (const component of ['etcd', 'kube-apiserver', 'kube-controller-manager']) {
    try {
      const pid = Number(readFileSync(join(state.dir, `${component}.pid`), 'utf8').trim());
      out[component] = procStatus(pid).cpuS;
    } catch {
      // not running
    }
  }
  return out;
}

/** Peak RSS (MB) so far of each control-plane process: per phase with --cluster-per-phase, else since the control plane started. */
function clusterPeakRss(state: ClusterState): Record<string, number> {
  const out: Record<string, number> = {};
  for (const component of ['etcd', 'kube-apiserver', 'kube-controller-manager']) {
    try {
      out[component] = procStatus(Number(readFileSync(join(state.dir, `${component}.pid`), 'utf8').trim())).peakRssMB;
    } catch {
      // not running
    }
  }
  return out;
}

function cpuSince(state: ClusterState, before: Record<string, number>): Record<string, number> {
  const now = clusterCpu(state);
  return Object.fromEntries(Object.entries(now).map(([k, v]) => [k, Math.round((v - (before[k] ?? 0)) * 100) / 100]));
}

/** Requests per N (N = (users + SAs) / 2: N SAs + N users outside --scale), by "VERB resource". */
function perObject(requests: Counts): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(requests)) {
    const [verb, resource] = k.split(' ');
    if (verb === 'WATCH' || verb === 'LIST') continue;
    const key = `${verb} ${resource}`;
    out[key] = Math.round(((out[key] ?? 0) + v / PER_N) * 1000) / 1000;
  }
  return out;
}

// --- the operator -------------------------------------------------------------------------------

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function procStatus(pid: number): { rssMB: number; peakRssMB: number; cpuS: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (f: string): number => Number(new RegExp(`${f}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const cpuS = (Number(stat[11]) + Number(stat[12])) / 100;
    return { rssMB: Math.round(kb('VmRSS') / 1024), peakRssMB: Math.round(kb('VmHWM') / 1024), cpuS };
  } catch {
    return { rssMB: 0, peakRssMB: 0, cpuS: 0 };
  }
}

async function operatorMetric(port: number, names: readonly string[]): Promise<Record<string, number>> {
  const text = await scrapeMetrics(`http://127.0.0.1:${port}/metrics`, metricsKubeConfig ? { kubeConfig: metricsKubeConfig } : {});
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const name = line.split(/[{ ]/)[0] ?? '';
    if (!names.includes(name)) continue;
    const label = /(?:name|controller)="([^"]*)"/.exec(line)?.[1] ?? '';
    const result = /result="([^"]*)"/.exec(line)?.[1];
    out[`${name}${label ? `{${label}${result ? `,${result}` : ''}}` : ''}`] = Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return out;
}

interface OperatorChild {
  readonly pid: number;
  /** Where bench/lag-probe.ts writes the child's event-loop lag (wall clock and CPU). */
  readonly lagProbeFile: string;
  readonly readyMs: number;
  readonly metricsPort: number;
  readonly accessApiPort: number;
  stop(): Promise<void>;
}

/**
 * Starts `blink-accounts operator run` and resolves once it logged that it started (caches synced).
 * The ports are found free and then handed over, so one may be taken in between (by any
 * connection's local port): then it tries again with other ports, up to 3 times.
 */
async function startOperatorProcess(state: ClusterState, shard: string, profile: boolean): Promise<OperatorChild> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOperatorOnce(state, shard, profile);
    } catch (error) {
      if (attempt >= 3 || !/address already in use/.test(String((error as Error).message))) throw error;
      say(`a port was taken while the operator started; again with other ports (attempt ${attempt + 1} of 3)`);
    }
  }
}

async function startOperatorOnce(state: ClusterState, shard: string, profile: boolean): Promise<OperatorChild> {
  const metricsPort = await freePort();
  const accessApiPort = await freePort();
  const cli = fileURLToPath(new URL('../bin/blink-accounts.js', import.meta.url));
  const profDir = fileURLToPath(new URL('./results/', import.meta.url));
  const spawnedAt = Date.now();
  const lagProbeFile = join(await mkdtemp(join(tmpdir(), 'bench-lag-')), 'lag.jsonl');
  const child = spawn(process.execPath, [...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []), '--import', fileURLToPath(new URL('./lag-probe.ts', import.meta.url)), cli, 'operator', 'run', '--kubeconfig', state.kubeconfig, '--host', '127.0.0.1', '--shard', shard, '--no-leader-elect', '--metrics-port', String(metricsPort), '--http-port', '0', '--access-api-port', String(accessApiPort), '--namespace', SMTP_SECRET.namespace, '--smtp-secret', `${SMTP_SECRET.namespace}/${SMTP_SECRET.name}`, '--public-url', 'http://127.0.0.1:1'], {
    env: { ...process.env, LOG_LEVEL: 'info', LAG_PROBE_FILE: lagProbeFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  let started: () => void = () => {};
  const startedP = new Promise<void>((r) => (started = r));
  const onData = (c: Buffer): void => {
    tail = (tail + c.toString()).slice(-20_000);
    if (tail.includes('Started the operator')) started();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async (): Promise<void> => {
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(5_000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  try {
    await Promise.race([startedP, sleep(90_000).then(() => Promise.reject(new Error(`operator did not start: ${tail.slice(-2000)}`))), exited.then(() => Promise.reject(new Error(`operator exited: ${tail.slice(-2000)}`)))]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { pid: child.pid ?? 0, lagProbeFile, readyMs: Date.now() - spawnedAt, metricsPort, accessApiPort, stop };
}

const COUNTERS = ['workqueue_adds_total', 'controller_runtime_reconcile_total'];
const WRITE_VERBS = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'APPLY']);
function writesIn(requests: Counts): number {
  return Object.entries(requests).reduce((sum, [k, v]) => (WRITE_VERBS.has(k.split(' ')[0] ?? '') && !k.includes('leases') ? sum + v : sum), 0);
}

async function countersSince(port: number, before: Record<string, number>): Promise<Record<string, number>> {
  const after = await operatorMetric(port, COUNTERS);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) !== 0) out[k] = v - (before[k] ?? 0);
  return out;
}

/** Every sample of one metric (any labels), summed; `labelled` keeps them apart by their labels. */
function metricValues(text: string, name: string): { total: number; labelled: Record<string, number> } {
  const labelled: Record<string, number> = {};
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    total += value;
    labelled[line.slice(name.length, line.lastIndexOf(' ')) || '{}'] = value;
  }
  return { total, labelled };
}

async function scrapeOperator(port: number): Promise<string> {
  return scrapeMetrics(`http://127.0.0.1:${port}/metrics`, metricsKubeConfig ? { kubeConfig: metricsKubeConfig } : {});
}

/** Health of the operator over a phase: event-loop lag (per 1-s scrape: prom-client resets its monitorEventLoopDelay histogram at each), the deepest each work queue got, watch restarts. */
interface HealthSampler {
  stop(): Promise<{ eventLoopLag: { worstIntervalP99Ms: number; medianIntervalP99Ms: number; maxMs: number; intervals: number }; eventLoopLagProbe: LagProbeSummary; maxQueueDepth: Record<string, number>; watchRestarts: number; watchRestartsByReason: Record<string, number> }>;
}

/** bench/lag-probe.ts over a phase (every second that overlaps it, so a long task at its start is counted in both): the worst and median 1-s p99 and the max, of the wall-clock lag and of the lag the operator's own CPU caused; ticks whose CPU lag reached 20 ms. */
interface LagProbeSummary {
  readonly seconds: number;
  readonly wall: { worstP99Ms: number; medianP99Ms: number; maxMs: number };
  readonly cpu: { worstP99Ms: number; medianP99Ms: number; maxMs: number };
  readonly longTasks: number;
}

function lagProbeSummary(file: string, from: number, to: number): LagProbeSummary {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // No probe output (yet): an empty summary.
  }
  const seconds: { at: number; wallP99: number; wallMax: number; cpuP99: number; cpuMax: number }[] = [];
  let longTasks = 0;
  for (const line of text.split('\n')) {
    if (!line) continue;
    const entry = JSON.parse(line) as { at?: number; wallP99: number; wallMax: number; cpuP99: number; cpuMax: number; longTask?: { at: number } };
    if (entry.longTask) {
      if (entry.longTask.at >= from && entry.longTask.at <= to) longTasks++;
    } else if (entry.at !== undefined && entry.at + 1000 > from && entry.at <= to) seconds.push({ ...entry, at: entry.at });
  }
  const of = (p99: (e: (typeof seconds)[number]) => number, max: (e: (typeof seconds)[number]) => number): { worstP99Ms: number; medianP99Ms: number; maxMs: number } => {
    const sorted = seconds.map(p99).sort((a, b) => a - b);
    return { worstP99Ms: sorted.at(-1) ?? 0, medianP99Ms: sorted[Math.floor((sorted.length - 1) / 2)] ?? 0, maxMs: Math.max(0, ...seconds.map(max)) };
  };
  return { seconds: seconds.length, wall: of((e) => e.wallP99, (e) => e.wallMax), cpu: of((e) => e.cpuP99, (e) => e.cpuMax), longTasks };
}

async function sampleHealth(port: number, lagProbeFile: string): Promise<HealthSampler> {
  const from = Date.now();
  const first = await scrapeOperator(port); // resets the lag histogram: what follows is this phase's
  const restartsBefore = metricValues(first, 'blink_informer_watch_restarts_total');
  const p99s: number[] = [];
  let maxLag = 0;
  const depth: Record<string, number> = {};
  let last = first;
  let stopped = false;
  const take = (text: string): void => {
    p99s.push(metricValues(text, 'nodejs_eventloop_lag_p99_seconds').total * 1000);
    maxLag = Math.max(maxLag, metricValues(text, 'nodejs_eventloop_lag_max_seconds').total * 1000);
    for (const [labels, value] of Object.entries(metricValues(text, 'workqueue_depth').labelled)) {
      const queue = /name="([^"]*)"/.exec(labels)?.[1] ?? labels;
      depth[queue] = Math.max(depth[queue] ?? 0, value);
    }
    last = text;
  };
  const loop = (async () => {
    while (!stopped) {
      await sleep(1_000);
      if (!stopped) take(await scrapeOperator(port).catch(() => last));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      take(await scrapeOperator(port));
      const restarts = metricValues(last, 'blink_informer_watch_restarts_total');
      const byReason: Record<string, number> = {};
      for (const [labels, value] of Object.entries(restarts.labelled)) {
        const d = value - (restartsBefore.labelled[labels] ?? 0);
        if (d > 0) byReason[labels] = d;
      }
      const sorted = [...p99s].sort((x, y) => x - y);
      const round = (v: number): number => Math.round(v * 10) / 10;
      return {
        eventLoopLag: { worstIntervalP99Ms: round(sorted.at(-1) ?? 0), medianIntervalP99Ms: round(sorted[Math.floor((sorted.length - 1) / 2)] ?? 0), maxMs: round(maxLag), intervals: sorted.length },
        eventLoopLagProbe: lagProbeSummary(lagProbeFile, from, Date.now()),
        maxQueueDepth: depth,
        watchRestarts: restarts.total - restartsBefore.total,
        watchRestartsByReason: byReason,
      };
    },
  };
}

async function runOperator(state: ClusterState, client: KubeClient): Promise<Record<string, unknown>> {
  const shard = 'bench';
  let op = await startOperatorProcess(state, shard, CPU_PROF);
  let sampler: NodeJS.Timeout | undefined;
  try {
    const readyMs = op.readyMs;
    const idle = procStatus(op.pid);
    const emptyHeap = metricValues(await scrapeOperator(op.metricsPort), 'nodejs_heap_size_used_bytes').total;
    const namespaces = await makeNamespaces(client, 'op', true, shard);
    await sleep(quick ? 1_000 : 3_000); // the Tenant controller settles its Tenants first
    const objects = objectsIn(namespaces);
    const before = await requestCounts(state);
    const metricsBefore = await operatorMetric(op.metricsPort, COUNTERS);
    const cpuBefore = procStatus(op.pid).cpuS;
    const clusterCpuBefore = clusterCpu(state);
    const rss: [number, number][] = [];
    const startedAt = Date.now();
    const pid = op.pid;
    sampler = setInterval(() => rss.push([Date.now() - startedAt, procStatus(pid).rssMB]), 500);
    const health = await sampleHealth(op.metricsPort, op.lagProbeFile);
    const watch = watchConverged(client, new Set(namespaces), objects, startedAt);
    await inParallel(objects, IN_FLIGHT, (o) => client.create(kindOf(o), bodyOf(o)));
    const createdMs = Date.now() - startedAt;
    const result = await Promise.race([watch.done, sleep(CAP_MS).then(() => undefined)]);
    watch.stop();
    const converging = await health.stop();
    const clusterCpuS = cpuSince(state, clusterCpuBefore);
    // Let what the last status writes triggered finish, then count.
    await sleep(quick ? 1_500 : 3_000);
    clearInterval(sampler);
    const after = procStatus(op.pid);
    const requests = delta(await requestCounts(state), before, ownRequests());
    const operatorCounters = await countersSince(op.metricsPort, metricsBefore);
    const convergedText = await scrapeOperator(op.metricsPort);
    const cachedObjects = metricValues(convergedText, 'blink_informer_cached_objects').total;
    if (DUMP_OBJECTS) await dumpObjects(client, namespaces, DUMP_OBJECTS);

    // Steady state: idle for 10 s (2 s with --quick), then a restart (a full list and one reconcile of every converged
    // object: the resync that matters, since the operator sets no periodic resync), counting writes.
    const idleBefore = await requestCounts(state);
    const idleCpu = procStatus(op.pid).cpuS;
    await sleep(IDLE_MS);
    const idleWrites = writesIn(delta(await requestCounts(state), idleBefore, {}));
    const idleCpuS = Math.round((procStatus(op.pid).cpuS - idleCpu) * 100) / 100;
    await op.stop();
    const restartBefore = await requestCounts(state);
    op = await startOperatorProcess(state, shard, false);
    const restartPid = op.pid;
    const restartReady = { ms: op.readyMs, ...procStatus(restartPid) };
    const restartHealth = await sampleHealth(op.metricsPort, op.lagProbeFile);
    const deadline = Date.now() + (SCALE ? 1_800_000 : 120_000);
    let reconciled: Record<string, number> = {};
    while (Date.now() < deadline) {
      reconciled = await countersSince(op.metricsPort, {});
      const sum = (c: string): number => Object.entries(reconciled).filter(([k]) => k.startsWith(`controller_runtime_reconcile_total{${c},`)).reduce((a, [, v]) => a + v, 0);
      if (sum('service-account') >= SAS && sum('users') >= USERS) break;
      await sleep(500);
    }
    await sleep(quick ? 1_000 : 2_000);
    const restartRequests = delta(await requestCounts(state), restartBefore, {});
    const restartEnd = procStatus(restartPid);
    const restartReconcileHealth = await restartHealth.stop();
    const restartText = await scrapeOperator(op.metricsPort);
    const restartHeap = metricValues(restartText, 'nodejs_heap_size_used_bytes').total;
    const restartCached = metricValues(restartText, 'blink_informer_cached_objects').total;
    // The access API caller first: its RoleBinding takes a moment to reach kube-apiserver's authorizer.
    const token = await accessApiToken(client);
    const latency = await createToReady(client, namespaces[0] as string, quick ? 10 : 30);
    const changeLatency = await changeToAnswer(client, op.accessApiPort, namespaces[0] as string, quick ? 15 : 50, token);
    const accessApi = SCALE || args.includes('--access-load') ? await accessApiLoad(op.accessApiPort, token, namespaces) : undefined;
    return {
      phase: 'operator',
      readyMs,
      idleRssMB: idle.rssMB,
      createdMs,
      convergedMs: result?.ms ?? null,
      timedOut: result === undefined,
      peakRssMB: after.peakRssMB,
      cpuS: Math.round((after.cpuS - cpuBefore) * 100) / 100,
      clusterCpuS,
      clusterPeakRssMB: clusterPeakRss(state),
      health: converging,
      cachedObjects,
      requests,
      perObject: perObject(requests),
      operatorCounters,
      steady: {
        idle: { seconds: IDLE_MS / 1000, writes: idleWrites, cpuS: idleCpuS },
        restart: {
          objects: USERS + SAS,
          readyMs: restartReady.ms,
          rssAtReadyMB: restartReady.rssMB,
          peakRssMB: restartEnd.peakRssMB,
          heapUsedMB: Math.round(restartHeap / 2 ** 20),
          emptyHeapUsedMB: Math.round(emptyHeap / 2 ** 20),
          cachedObjects: restartCached,
          // Not collected before reading (the operator exposes no GC hook): an upper bound, noisy at small sizes.
          heapBytesPerCachedObject: restartCached > 0 ? Math.round((restartHeap - emptyHeap) / restartCached) : null,
          cpuS: restartEnd.cpuS,
          writes: writesIn(restartRequests),
          requests: restartRequests,
          reconciles: reconciled,
          health: restartReconcileHealth,
        },
      },
      latency,
      changeLatency,
      ...(accessApi ? { accessApi } : {}),
      curve: result?.curve ?? [],
      rss,
    };
  } finally {
    if (sampler) clearInterval(sampler);
    await op.stop();
  }
}

/** Access-API throughput on the converged operator: authorize questions for its users and service accounts, 16 in flight, 10 s (3 s with --quick), one caller token (its reviews cached). */
async function accessApiLoad(port: number, token: string, namespaces: readonly string[]): Promise<Record<string, unknown>> {
  const bodies: string[] = [];
  for (let i = 0; i < 2_000; i++) {
    const namespace = namespaces[i % namespaces.length] as string;
    const tenant = `op-t${namespace.slice('op-'.length)}`;
    const k = Math.floor(i / namespaces.length);
    bodies.push(JSON.stringify(i % 2 === 0 ? { tenant, principal: { serviceAccount: `sa-${(k * namespaces.length + (i % namespaces.length)) % SAS}` }, action: 'portal' } : { tenant, principal: { user: `user-${(k * namespaces.length + (i % namespaces.length)) % USERS}@example.com` }, action: 'portal' }));
  }
  const load = startLoadProcess();
  try {
    const result = await load.load({ url: `http://127.0.0.1:${port}/api/v1/authorize`, bodies, concurrency: IN_FLIGHT, maxMs: quick ? 3_000 : 10_000, headers: { authorization: `Bearer ${token}` }, loop: true });
    return { endpoint: 'authorize (users and SAs of every tenant)', inFlight: IN_FLIGHT, ...result };
  } finally {
    load.close();
  }
}

/**
 * Scenario 5 (create-to-Ready): on the idle, converged operator, one ServiceAccount at a time:
 * time from the POST until a watch sees it Ready for its generation. Capped at 10 s each. One watch
 * of ServiceAccounts in `namespace`, opened (listed) before the first sample and kept for all of
 * them: what is timed is the operator, not a list of the cluster's accounts (which grows with N).
 */
async function createToReady(client: KubeClient, namespace: string, samples: number): Promise<{ samples: number; p50Ms: number | null; p99Ms: number | null; maxMs: number | null; timedOut: number; postP50Ms: number | null; benchWatches: { watches: number; lists: number } }> {
  const ready = new Map<string, () => void>();
  const watch = keepWatching(client, 'sa', (_kind, o) => {
    const name = o.metadata?.name ?? '';
    if (isConverged('sa', o)) ready.get(name)?.();
  }, namespace);
  const ms: number[] = [];
  const postMs: number[] = [];
  let timedOut = 0;
  try {
    await watch.listed;
    for (let i = 0; i < samples; i++) {
      const o: Obj = { kind: 'sa', namespace, name: `latency-${i}` };
      const seenReady = new Promise<void>((r) => ready.set(o.name, r));
      const started = performance.now();
      await client.create(kindOf(o), bodyOf(o));
      postMs.push(performance.now() - started);
      const result = await Promise.race([seenReady.then(() => true), sleep(10_000).then(() => false)]);
      ready.delete(o.name);
      if (result) ms.push(performance.now() - started);
      else timedOut++;
    }
  } finally {
    watch.stop();
  }
  ms.sort((a, b) => a - b);
  postMs.sort((a, b) => a - b);
  const at = (values: number[], q: number): number | null => (values.length ? Math.round(values[Math.min(values.length - 1, Math.ceil(q * values.length) - 1)] ?? 0) : null);
  return { samples, p50Ms: at(ms, 0.5), p99Ms: at(ms, 0.99), maxMs: at(ms, 1), timedOut, postP50Ms: at(postMs, 0.5), benchWatches: { watches: watch.watches, lists: watch.lists } };
}

/** A caller of the access API as a platform service is one: a ServiceAccount bound to the client ClusterRole, a token for the audience. */
async function accessApiToken(client: KubeClient): Promise<string> {
  const namespace = 'bench-callers';
  const exists = (error: unknown): undefined => {
    if ((error as { code?: number }).code === 409) return undefined;
    throw error;
  };
  // The ClusterRole deploy/rbac/access-api-client.yaml installs (installProduct does not).
  await client.request('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', { body: accessApiClientClusterRole() }).catch(exists);
  await client.create(builtinKinds.namespace, { metadata: { name: namespace } }).catch(exists);
  await client.request('POST', `/api/v1/namespaces/${namespace}/serviceaccounts`, { body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'caller' } } }).catch(exists);
  await client.request('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'bench-access-api-caller' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: ACCESS_API_CLIENT_ROLE }, subjects: [{ kind: 'ServiceAccount', name: 'caller', namespace }] },
  }).catch(exists);
  const answer = await client.request<{ status?: { token?: string } }>('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/caller/token`, {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: [DEFAULT_ACCESS_API_AUDIENCE], expirationSeconds: 3600 } },
  });
  if (!answer.status?.token) throw new Error('The TokenRequest returned no token');
  return answer.status.token;
}

/**
 * Scenario 5 (change-to-access-API-answer): on the idle, converged operator, one ServiceAccount's role
 * flipped between Builder and Admin (a merge PATCH), and `settings` (Admin only) asked of the operator's
 * access API over and over, with a real bearer token, until the answer flips: time from sending the
 * PATCH to the first flipped answer. Capped at 5 s each.
 */
async function changeToAnswer(client: KubeClient, accessApiPort: number, namespace: string, samples: number, token: string): Promise<Record<string, unknown>> {
  const tenant = `op-t${namespace.slice('op-'.length)}`;
  const name = 'latency-0';
  const url = `http://127.0.0.1:${accessApiPort}/api/v1/authorize`;
  const body = JSON.stringify({ tenant, principal: { serviceAccount: name }, action: 'settings' });
  const ask = async (): Promise<boolean | undefined> => {
    const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
    const answer = (await res.json()) as { allowed?: boolean };
    return res.status === 200 ? answer.allowed === true : undefined;
  };
  // The role it has now, and a warm review cache.
  const sa = (await client.get(ACCOUNT_KINDS.serviceAccount, namespace, name)) as KubeObject & { spec?: { role?: string } };
  let admin = sa.spec?.role === 'Admin';
  // Warm the review caches. A refusal is cached for 2 s (the authenticator's denied TTL): retry for up to 20 s.
  for (let i = 0; ; i++) {
    const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
    const text = await res.text();
    if (res.status === 200) break;
    if (i === 20) throw new Error(`The access API answered ${res.status}: ${text.slice(0, 300)}`);
    await sleep(1_000);
  }
  const ms: number[] = [];
  const patchMs: number[] = [];
  let timedOut = 0;
  let polls = 0;
  let wrongStart = 0;
  for (let i = 0; i < samples; i++) {
    if ((await ask()) !== admin) wrongStart++;
    const want = !admin;
    const started = performance.now();
    const patched = client.patch(ACCOUNT_KINDS.serviceAccount, namespace, name, { spec: { role: want ? 'Admin' : 'Builder' } }).then(() => patchMs.push(performance.now() - started));
    let flipped = false;
    while (performance.now() - started < 5_000) {
      polls++;
      if ((await ask()) === want) {
        flipped = true;
        break;
      }
    }
    if (flipped) ms.push(performance.now() - started);
    else timedOut++;
    await patched;
    admin = want;
    await sleep(50);
  }
  ms.sort((a, b) => a - b);
  patchMs.sort((a, b) => a - b);
  const at = (values: number[], q: number): number | null => (values.length ? Math.round((values[Math.min(values.length - 1, Math.ceil(q * values.length) - 1)] ?? 0) * 10) / 10 : null);
  return { samples, change: 'ServiceAccount spec.role Builder <-> Admin, asked "settings"', p50Ms: at(ms, 0.5), p99Ms: at(ms, 0.99), maxMs: at(ms, 1), patchP50Ms: at(patchMs, 0.5), polls, timedOut, wrongStart, samplesMs: ms.map((v) => Math.round(v)) };
}

/** Every object of the kinds the operator caches in `namespaces` (and the cluster's Tenants and those Namespaces), raw, by kind. */
async function dumpObjects(client: KubeClient, namespaces: readonly string[], file: string): Promise<void> {
  const kinds = [ACCOUNT_KINDS.user, ACCOUNT_KINDS.serviceAccount, ACCOUNT_KINDS.workspace, ACCOUNT_KINDS.group, builtinKinds.secret, builtinKinds.roleBinding];
  const out: Record<string, unknown[]> = {};
  for (const kind of kinds) {
    out[kind.kind] = [];
    for (const namespace of namespaces) out[kind.kind]?.push(...(await client.list(kind, { namespace })).items);
  }
  out['Tenant'] = (await client.list(ACCOUNT_KINDS.tenant)).items;
  out['Namespace'] = (await client.list(builtinKinds.namespace)).items.filter((n) => namespaces.includes(n.metadata?.name ?? ''));
  await writeFile(file, JSON.stringify(out));
}

// --- charts -------------------------------------------------------------------------------------

/** A small SVG line chart: one polyline per series. */
export function lineChart(title: string, xLabel: string, yLabel: string, series: { name: string; color: string; points: [number, number][] }[]): string {
  const W = 640, H = 360, L = 60, R = 20, T = 30, B = 40;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const xMax = Math.max(1, ...xs), yMax = Math.max(1, ...ys);
  const px = (x: number): number => L + (x / xMax) * (W - L - R);
  const py = (y: number): number => H - B - (y / yMax) * (H - T - B);
  const lines = series.map((s, i) => `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${s.points.map((p) => `${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join(' ')}"/><text x="${L + 10}" y="${T + 15 + i * 16}" fill="${s.color}" font-size="12">${s.name}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/><text x="${W / 2}" y="18" text-anchor="middle" font-size="14">${title}</text><line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="black"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="black"/><text x="${W / 2}" y="${H - 8}" text-anchor="middle" font-size="12">${xLabel} (max ${xMax})</text><text x="14" y="${H / 2}" transform="rotate(-90 14 ${H / 2})" text-anchor="middle" font-size="12">${yLabel} (max ${yMax})</text>${lines.join('')}</svg>\n`;
}

// --- main ---------------------------------------------------------------------------------------

/** The commit measured (with "+changes" when the tree differs from it). */
function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', 'operator', 'bench'], { encoding: 'utf8' }).trim();
    return dirty ? `${head}+changes` : head;
  } catch {
    return 'unknown';
  }
}

/** Thrown when this invocation ran only minimal phases: they are saved, and there is no table to make. */
class PhasesSaved extends Error {}

const name = `bench-${process.pid}`;
/** Control planes started and not yet stopped (the hard cap and the end stop them). */
const openClusters = new Set<string>();
const stopOpenClusters = (): Promise<unknown> => Promise.all([...openClusters].map((n) => stopCluster(n).catch(() => {})));
const hardCap = setTimeout(() => {
  say(`hard cap reached; stopping`);
  void stopOpenClusters().finally(() => process.exit(2));
}, (CLUSTER_PER_PHASE ? 3 : 1) * CAP_MS * 2 + 180_000);
hardCap.unref();

/** A control plane with the product's CRDs, a client of it and the dev SMTP server the phase sends through. */
interface PhaseCluster {
  name: string;
  state: ClusterState;
  client: KubeClient;
}

/** Emails caught by the SMTP servers of control planes already stopped. */
let emailsOfStoppedClusters = 0;

async function openCluster(clusterName: string, binaries: Awaited<ReturnType<typeof ensureBinaries>>): Promise<PhaseCluster> {
  const t0 = Date.now();
  openClusters.add(clusterName);
  const state = await startCluster({ name: clusterName, binaries, ownerPid: process.pid });
  say(`control plane ${clusterName} up in ${Date.now() - t0} ms`);
  await installCrds(state);
  const kc = new KubeConfig();
  kc.loadFromFile(state.kubeconfig);
  const client = new KubeClient(kc, { maxSockets: 64, userAgent: 'bench' });
  await startSmtp(client, await mkdtemp(join(tmpdir(), 'bench-smtp-')));
  return { name: clusterName, state, client };
}

async function closeCluster(cluster: PhaseCluster): Promise<void> {
  emailsOfStoppedClusters += (await smtp?.messages())?.length ?? 0;
  await smtp?.close().catch(() => {});
  smtp = undefined;
  cluster.client.close();
  await stopCluster(cluster.name);
  openClusters.delete(cluster.name);
}

let exitCode = 0;
try {
  const binaries = await ensureBinaries(say);
  /** The one control plane of every phase, unless each gets its own. */
  const shared = CLUSTER_PER_PHASE ? undefined : await openCluster(name, binaries);
  const inCluster = async (label: string, run: (cluster: PhaseCluster) => Promise<Record<string, unknown>>): Promise<Record<string, unknown>> => {
    if (shared) return run(shared);
    const cluster = await openCluster(`${name}-${label}`, binaries);
    try {
      return await run(cluster);
    } finally {
      await closeCluster(cluster);
    }
  };
  try {
    const loadBefore = load();
    const commit = gitCommit();
    const dir = fileURLToPath(new URL('./results/', import.meta.url));
    await mkdir(dir, { recursive: true });
    /** Runs one phase and saves it, or (outside --phases) takes the saved one; `undefined` when neither. */
    const phase = async (label: 'min' | 'op' | 'min2', run: (c: PhaseCluster) => Promise<Record<string, unknown>>): Promise<Record<string, unknown> | undefined> => {
      const file = join(dir, `${RESULT_NAME}.phase-${label}.json`);
      if (!PHASES.includes(label)) {
        try {
          const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
          say(`${label}: taken from ${file} (commit ${String(saved['commit'])}, ${String(saved['finishedAt'])})`);
          return saved;
        } catch {
          return undefined;
        }
      }
      const startedAt = new Date().toISOString();
      const phaseLoad = load();
      const result = { ...(await inCluster(label, run)), commit, startedAt, finishedAt: new Date().toISOString(), loadBefore: phaseLoad, loadAfter: load(), goMemLimit: process.env['GOMEMLIMIT'] ?? null };
      if (SAVE_PHASES) await writeFile(file, `${JSON.stringify(result)}\n`);
      return result;
    };
    const notRun = (label: string): Record<string, unknown> => ({ phase: label, notRun: true, convergedMs: null, perObject: {}, clusterCpuS: {}, clusterPeakRssMB: {}, curve: [] });
    const minimal = (await phase('min', (c) => runMinimal(c.state, c.client, 'min'))) ?? notRun('min');
    say(`minimal: ${JSON.stringify({ ...minimal, curve: undefined })}`);
    const opOrNone = await phase('op', (c) => runOperator(c.state, c.client));
    if (opOrNone === undefined) {
      say('no operator phase run or saved: the minimal phases are saved; run --phases op for the table');
      const minimal2Only = await phase('min2', (c) => runMinimal(c.state, c.client, 'min2'));
      if (minimal['timedOut'] || minimal2Only?.['timedOut']) exitCode = 1;
      throw new PhasesSaved();
    }
    const op = opOrNone;
    say(`operator: converged in ${String(op['convergedMs'])} ms`);
    const minimal2 = (await phase('min2', (c) => runMinimal(c.state, c.client, 'min2'))) ?? notRun('min2');
    say(`minimal again: ${JSON.stringify({ ...minimal2, curve: undefined })}`);
    const loadAfter = load();
    const ms = (phase: Record<string, unknown>): number | null => (typeof phase['convergedMs'] === 'number' ? phase['convergedMs'] : null);
    const ratioTo = (m: Record<string, unknown>): number | null => (ms(op) !== null && ms(m) ? Math.round(((ms(op) as number) / (ms(m) as number)) * 100) / 100 : null);
    const ratio = ratioTo(minimal);
    const ratio2 = ratioTo(minimal2);
    const emails = emailsOfStoppedClusters + ((await smtp?.messages())?.length ?? 0);
    const summary = { clusterPerPhase: CLUSTER_PER_PHASE, n: N, users: USERS, serviceAccounts: SAS, objects: USERS + SAS, tenants: TENANTS, inFlight: IN_FLIGHT, commit, loadBefore, loadAfter, emailsCaught: emails, operatorOverMinimal: ratio, operatorOverMinimalAgain: ratio2, minimal, operator: op, minimalAgain: minimal2 };
    const steady = op['steady'] as { idle: { writes: number; cpuS: number }; restart: Record<string, unknown> & { writes: number; readyMs: number; heapBytesPerCachedObject: number | null } };
    process.stdout.write(`${JSON.stringify({ result: SCALE ? 'scale' : 'convergence', n: N, users: USERS, serviceAccounts: SAS, tenants: TENANTS, commit, operatorOverMinimal: ratio, operatorOverMinimalAgain: ratio2, operatorMs: ms(op), minimalMs: ms(minimal), minimalAgainMs: ms(minimal2), emailsCaught: emails, health: op['health'], clusterCpuS: { minimal: minimal['clusterCpuS'], operator: op['clusterCpuS'], minimalAgain: minimal2['clusterCpuS'] }, peakRssMB: op['peakRssMB'], readyMs: op['readyMs'], idleRssMB: op['idleRssMB'], cpuS: op['cpuS'], perObject: op['perObject'], minimalPerObject: minimal['perObject'], operatorCounters: op['operatorCounters'], benchWatches: { minimal: minimal['benchWatches'], minimalAgain: minimal2['benchWatches'] }, steady: { idle: steady.idle, restart: { ...steady.restart, requests: undefined, reconciles: undefined } }, latency: op['latency'], changeLatency: op['changeLatency'], accessApi: op['accessApi'], loadAverage: loadAfter })}\n`);
    const seconds = (phase: Record<string, unknown>): string => (phase['notRun'] ? 'not run' : ms(phase) === null ? 'timed out' : `${((ms(phase) as number) / 1000).toFixed(1)} s`);
    const when = (phase: Record<string, unknown>): string => (phase['notRun'] ? '' : `${String(phase['commit'])}, ${String(phase['startedAt']).slice(0, 16).replace('T', ' ')}, ${(phase['loadBefore'] as number[] | undefined)?.[0] ?? ''} → ${(phase['loadAfter'] as number[] | undefined)?.[0] ?? ''}`);
    const health = op['health'] as { eventLoopLag: { worstIntervalP99Ms: number; maxMs: number }; eventLoopLagProbe: LagProbeSummary; maxQueueDepth: Record<string, number>; watchRestarts: number };
    const cpu = (phase: Record<string, unknown>): string => Object.entries(phase['clusterCpuS'] as Record<string, number>).map(([k, v]) => `${k} ${v} s`).join(', ');
    const rss = (phase: Record<string, unknown>): string => Object.entries(phase['clusterPeakRssMB'] as Record<string, number>).map(([k, v]) => `${k} ${v} MB`).join(', ');
    const access = op['accessApi'] as { requestsPerSecond?: number; p50Ms?: number; p99Ms?: number } | undefined;
    const change = op['changeLatency'] as { p50Ms?: number | null; p99Ms?: number | null };
    const create = op['latency'] as { p50Ms?: number | null; p99Ms?: number | null };
    const table = [
      `${SCALE ? `Scale: ${TENANTS} tenants × (${USERS / TENANTS} users + ${SAS / TENANTS} service accounts)` : `Convergence: ${SAS} SAs + ${USERS} users over ${TENANTS} tenants`}, commit ${commit}, load ${loadBefore.join(', ')} → ${loadAfter.join(', ')}, ${emails} emails caught`,
      '',
      '| | minimal | operator | minimal again |',
      '|---|---:|---:|---:|',
      `| phase run (commit, start UTC, load) | ${when(minimal)} | ${when(op)} | ${when(minimal2)} |`,
      `| time to converge | ${seconds(minimal)} | ${seconds(op)} | ${seconds(minimal2)} |`,
      `| operator / minimal | | ${ratio} / ${ratio2} | |`,
      `| control-plane CPU while converging | ${cpu(minimal)} | ${cpu(op)} | ${cpu(minimal2)} |`,
      `| control-plane peak RSS (${CLUSTER_PER_PHASE ? 'a fresh control plane per phase' : 'one control plane, cumulative'}) | ${rss(minimal)} | ${rss(op)} | ${rss(minimal2)} |`,
      `| operator CPU while converging | | ${String(op['cpuS'])} s | |`,
      `| operator event-loop lag (worst 1-s p99, max) | | ${health.eventLoopLag.worstIntervalP99Ms} ms, ${health.eventLoopLag.maxMs} ms | |`,
      `| lag probe: wall clock / own CPU (worst 1-s p99, median 1-s p99, max); ticks ≥ 20 ms CPU | | ${health.eventLoopLagProbe.wall.worstP99Ms}, ${health.eventLoopLagProbe.wall.medianP99Ms}, ${health.eventLoopLagProbe.wall.maxMs} ms / ${health.eventLoopLagProbe.cpu.worstP99Ms}, ${health.eventLoopLagProbe.cpu.medianP99Ms}, ${health.eventLoopLagProbe.cpu.maxMs} ms; ${health.eventLoopLagProbe.longTasks} | |`,
      `| deepest work queue | | ${Object.entries(health.maxQueueDepth).map(([k, v]) => `${k} ${v}`).join(', ')} | |`,
      `| operator watch restarts | | ${health.watchRestarts} | |`,
      `| operator RSS: empty / peak | | ${String(op['idleRssMB'])} / ${String(op['peakRssMB'])} MB | |`,
      `| writes in ${IDLE_MS / 1000} s idle | | ${steady.idle.writes} | |`,
      `| restart onto the converged cluster: ready, writes, heap, heap per cached object | | ${steady.restart.readyMs} ms, ${steady.restart.writes}, ${String(steady.restart['heapUsedMB'])} MB, ${String(steady.restart.heapBytesPerCachedObject)} B | |`,
      `| create-to-Ready p50 / p99 | | ${String(create.p50Ms)} / ${String(create.p99Ms)} ms | |`,
      `| change-to-answer p50 / p99 | | ${String(change.p50Ms)} / ${String(change.p99Ms)} ms | |`,
      ...(access ? [`| access API (authorize, ${IN_FLIGHT} in flight) | | ${String(access.requestsPerSecond)}/s, p50 ${String(access.p50Ms)} / p99 ${String(access.p99Ms)} ms | |`] : []),
      '',
      `| requests per N (N = ${PER_N}) | minimal | operator | minimal again |`,
      '|---|---:|---:|---:|',
      ...[...new Set([...Object.keys(minimal['perObject'] as object), ...Object.keys(op['perObject'] as object)])].sort().map((k) => `| ${k} | ${(minimal['perObject'] as Record<string, number>)[k] ?? 0} | ${(op['perObject'] as Record<string, number>)[k] ?? 0} | ${(minimal2['perObject'] as Record<string, number>)[k] ?? 0} |`),
    ].join('\n');
    process.stderr.write(`${table}\n`);
    await writeFile(join(dir, `${RESULT_NAME}.json`), `${JSON.stringify(summary, null, 2)}\n`);
    if (SCALE) await writeFile(join(dir, `${RESULT_NAME}.md`), `${table}\n`);
    await writeFile(
      join(dir, `${RESULT_NAME}.svg`),
      lineChart(`Converged objects over time: ${SAS} SAs + ${USERS} users, ${TENANTS} tenants`, 'ms since the first create', 'converged objects', [
        { name: 'minimal client', color: '#1f77b4', points: minimal['curve'] as [number, number][] },
        { name: 'operator', color: '#d62728', points: op['curve'] as [number, number][] },
        { name: 'minimal client again', color: '#2ca02c', points: minimal2['curve'] as [number, number][] },
      ]),
    );
    // A benchmark that did not converge, or wrote while converged, failed (bench/run.ts exits non-zero).
    if (op['timedOut'] || minimal['timedOut'] || minimal2['timedOut']) exitCode = 1;
    if (steady.idle.writes > 0 || steady.restart.writes > 0) exitCode = 1;
  } finally {
    if (shared) shared.client.close();
  }
} catch (error) {
  if (!(error instanceof PhasesSaved)) {
    say(`failed: ${(error as Error).stack ?? String(error)}`);
    exitCode = 1;
  }
} finally {
  await smtp?.close().catch(() => {});
  await stopOpenClusters();
}
process.exit(exitCode);
