// What the fault scenarios share: tenants, Users and ServiceAccounts created
// against some control plane (a private one or the run's), retried through
// outages; a watcher that reads every API key the moment it is issued; the
// convergence, Secret and email checks; and the evidence (logs, Events,
// statuses, metrics) fed to the secret-hygiene scan.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACCOUNT_KINDS, USER_LABEL } from '../../../operator/api/index.js';
import { hashApiKey } from '../../../operator/apikeys/index.js';
import { invitationLinks, startDevSmtp } from '../../../operator/dev-smtp/server.js';
import type { DevSmtpServer } from '../../../operator/dev-smtp/server.js';
import { INVITATION_TOKEN_PREFIX, hashInvitationToken } from '../../../operator/invitations/token.js';
import { hashScimToken } from '../../../operator/scim/token.js';
import { ApiError } from '../../../operator/runtime/errors.js';
import { builtinKinds } from '../../../operator/runtime/kinds.js';
import type { KindDescriptor, KubeObject } from '../../../operator/runtime/kinds.js';
import type { KubeClient } from '../../../operator/runtime/kube-client.js';
import { eventsText, statusesText } from '../../service-accounts/fixtures.js';
import { scrapeMetrics as scrapeAsScraper } from '../../harness/metrics.js';
import type { OperatorProcess } from '../../harness/operator.js';
import { createTenant as createTenantOf } from '../../harness/tenant.js';
import type { ChaosContext } from '../scenario.js';
import { sleep } from '../scenario.js';

/** An object the scenario created (or deleted later). */
export interface Made {
  readonly kind: 'User' | 'ServiceAccount';
  readonly namespace: string;
  readonly name: string;
  /** Users only. */
  readonly email?: string;
}

type Status = { observedGeneration?: number; conditions?: { type: string; status: string; reason?: string; observedGeneration?: number }[] };
type WithStatus = KubeObject & { status?: Status; spec?: Record<string, unknown> };

const isConflict = (error: unknown): boolean => error instanceof ApiError && error.code === 409;
const isNotFound = (error: unknown): boolean => error instanceof ApiError && error.code === 404;

/**
 * Runs `write` until it succeeds, retrying whatever an outage throws (refused connections,
 * timeouts, 5xx, 429) for up to `timeoutMs`; `tolerate` ends it quietly (409 of a create that
 * landed before the connection dropped, 404 of a delete).
 */
export async function retrying<T>(what: string, write: () => Promise<T>, tolerate: (error: unknown) => boolean = () => false, timeoutMs = 90_000): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  let delay = 100;
  for (;;) {
    try {
      return await write();
    } catch (error) {
      if (tolerate(error)) return undefined;
      const permanent = error instanceof ApiError && error.code >= 400 && error.code < 500 && error.code !== 429 && error.code !== 408;
      if (permanent || Date.now() > deadline) throw new Error(`${what}: ${(error as Error).message}`, { cause: error });
      await sleep(delay);
      delay = Math.min(delay * 2, 1_000);
    }
  }
}

/** Runs `fn` over `items`, `concurrency` at a time. */
export async function inPool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

/** Creates a Tenant (the operator creates its namespace) and waits for the namespace; returns it. */
export async function createTenant(client: KubeClient, name: string, shard: string | undefined): Promise<string> {
  const namespace = `tenant-${name}`;
  await retrying(`create Tenant ${name}`, () =>
    createTenantOf(client, name, shard || undefined, { displayName: `Chaos ${name}`, namespace, invitationEmailsPerHour: 10_000, provisioning: { scim: { enabled: true } } }), isConflict);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const ns = await client.get(builtinKinds.namespace, undefined, namespace).catch(() => undefined);
    if (ns) {
      await retrying(`create Workspace in ${namespace}`, () => client.create(ACCOUNT_KINDS.workspace, { metadata: { name: 'ws', namespace }, spec: {} }), isConflict);
      return namespace;
    }
    await sleep(200);
  }
  throw new Error(`The operator did not create namespace ${namespace} for Tenant ${name} within 60 s`);
}

/** Creates one User or ServiceAccount, through outages. */
export async function createObject(client: KubeClient, made: Made): Promise<void> {
  if (made.kind === 'User') {
    await retrying(`create User ${made.namespace}/${made.name}`, () =>
      client.create(ACCOUNT_KINDS.user, { metadata: { name: made.name, namespace: made.namespace }, spec: { email: made.email, role: 'Builder', workspaces: ['ws'] } }), isConflict);
  } else {
    await retrying(`create ServiceAccount ${made.namespace}/${made.name}`, () =>
      client.create(ACCOUNT_KINDS.serviceAccount, { metadata: { name: made.name, namespace: made.namespace }, spec: { role: 'Consumer', workspaces: ['ws'] } }), isConflict);
  }
}

/** Edits one object (a new generation the operator must observe). */
export async function editObject(client: KubeClient, made: Made, round: number): Promise<void> {
  const kind = made.kind === 'User' ? ACCOUNT_KINDS.user : ACCOUNT_KINDS.serviceAccount;
  const spec = made.kind === 'User' ? { role: round % 2 === 0 ? 'Consumer' : 'Builder' } : { description: `edited in round ${round}` };
  await retrying(`edit ${made.kind} ${made.namespace}/${made.name}`, () => client.patch(kind, made.namespace, made.name, { spec }));
}

/** Deletes one object. */
export async function deleteObject(client: KubeClient, made: Made): Promise<void> {
  const kind = made.kind === 'User' ? ACCOUNT_KINDS.user : ACCOUNT_KINDS.serviceAccount;
  await retrying(`delete ${made.kind} ${made.namespace}/${made.name}`, () => client.delete(kind, made.namespace, made.name), isNotFound);
}

/** `count` Users and `count` ServiceAccounts spread over `namespaces`, named with `prefix`. */
export function plan(namespaces: readonly string[], count: number, prefix: string, domain: string): Made[] {
  const out: Made[] = [];
  for (let i = 0; i < count; i++) {
    const namespace = namespaces[i % namespaces.length] as string;
    out.push({ kind: 'User', namespace, name: `${prefix}u${i}`, email: `${prefix}u${i}@${domain}` });
    out.push({ kind: 'ServiceAccount', namespace, name: `${prefix}sa${i}` });
  }
  return out;
}

/** Why an object is not converged for its generation (undefined when it is). */
export function notConverged(object: WithStatus | undefined, kind: string): string | undefined {
  if (!object) return 'missing';
  const generation = object.metadata?.generation;
  const status = object.status;
  if (status?.observedGeneration !== generation) return `observedGeneration ${status?.observedGeneration} of ${generation}`;
  const ready = status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.observedGeneration !== undefined && ready.observedGeneration !== generation) return `Ready is for generation ${ready.observedGeneration}`;
  if (kind === 'User') {
    // An invited User is converged when Ready says it waits for acceptance and the email went out.
    const sent = status?.conditions?.find((c) => c.type === 'InvitationSent');
    if (ready?.status === 'True') return undefined;
    if (ready?.reason === 'InvitationPending' && sent?.status === 'True') return undefined;
    // Terminal by design: a send cut short by a crash is never repeated on its own (unconfirmedUsers).
    if (ready?.reason === 'InvitationPending' && sent?.status === 'Unknown' && sent.reason === 'DeliveryUnconfirmed') return undefined;
    return `Ready=${ready?.status}/${ready?.reason}, InvitationSent=${sent?.status}/${sent?.reason}`;
  }
  return ready?.status === 'True' ? undefined : `Ready=${ready?.status}/${ready?.reason}`;
}

const KINDS: Record<string, KindDescriptor> = { User: ACCOUNT_KINDS.user, ServiceAccount: ACCOUNT_KINDS.serviceAccount, Workspace: ACCOUNT_KINDS.workspace };

/** Every object of the product in `namespaces` (and the Tenants) that is not converged: `kind ns/name: why`. */
export async function unconverged(client: KubeClient, namespaces: readonly string[], tenants: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const namespace of namespaces) {
    for (const [kind, descriptor] of Object.entries(KINDS)) {
      for (const object of (await client.list<WithStatus>(descriptor, { namespace })).items) {
        if (object.metadata?.deletionTimestamp) continue;
        const why = notConverged(object, kind);
        if (why) out.push(`${kind} ${namespace}/${object.metadata?.name}: ${why}`);
      }
    }
  }
  for (const tenant of tenants) {
    const why = notConverged(await client.get<WithStatus>(ACCOUNT_KINDS.tenant, undefined, tenant).catch(() => undefined), 'Tenant');
    if (why) out.push(`Tenant ${tenant}: ${why}`);
  }
  return out;
}

/** Users whose InvitationSent is Unknown/DeliveryUnconfirmed (a send cut short by a crash): `namespace/name`. */
export async function unconfirmedUsers(client: KubeClient, namespaces: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const namespace of namespaces) {
    for (const user of (await client.list<WithStatus>(ACCOUNT_KINDS.user, { namespace })).items) {
      if (user.status?.conditions?.some((c) => c.type === 'InvitationSent' && c.status === 'Unknown' && c.reason === 'DeliveryUnconfirmed')) out.push(`${namespace}/${user.metadata?.name}`);
    }
  }
  return out;
}

/** Writes an operator's output to `$BLINK_CHAOS_LOGS/<label>.log` when that folder is set (for people). */
export async function keepLog(label: string, text: string): Promise<void> {
  const dir = process.env['BLINK_CHAOS_LOGS'];
  if (!dir) return;
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${label.replace(/[^A-Za-z0-9_.-]+/g, '-')}.log`), text);
}

/** Polls until `check` returns an empty list; returns the last list (empty: converged) and when. */
export async function until(check: () => Promise<string[]>, timeoutMs: number, intervalMs = 250): Promise<{ offenders: string[]; at: number }> {
  const deadline = Date.now() + timeoutMs;
  let offenders: string[] = ['not checked yet'];
  while (Date.now() < deadline) {
    try {
      offenders = await check();
      if (offenders.length === 0) return { offenders, at: Date.now() };
    } catch (error) {
      offenders = [`check failed: ${(error as Error).message}`];
    }
    await sleep(intervalMs);
  }
  return { offenders, at: Date.now() };
}

/** An API-key Secret as listed. */
type KeySecret = KubeObject & { data?: Record<string, string> };

/**
 * Reads every API key the moment its Secret appears (a list of the api-key Secrets every
 * `intervalMs`): the first key each service account got, to compare with the one it has at the end.
 */
export class KeyWatcher {
  /** `namespace/service account` → the first key read. */
  readonly first = new Map<string, string>();
  /** SCIM tokens already registered with the hygiene scan. */
  private readonly scimTokens = new Set<string>();
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly client: KubeClient, private readonly namespaces: () => readonly string[], private readonly ctx: ChaosContext, private readonly intervalMs = 300) {}

  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        await this.poll().catch(() => undefined);
        await sleep(this.intervalMs);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /** Reads the api-key Secrets once; returns `namespace/service account` → keys now (one entry per Secret). */
  async poll(): Promise<Map<string, string[]>> {
    const now = new Map<string, string[]>();
    for (const namespace of this.namespaces()) {
      const list = await this.client.list<KeySecret>(builtinKinds.secret, { namespace, query: { labelSelector: 'app.kubernetes.io/component=api-key' } });
      for (const secret of list.items) {
        const account = secret.metadata?.labels?.['accounts.blinkops.com/service-account'] ?? '?';
        const data = secret.data?.['apiKey'];
        if (data === undefined) continue;
        const key = Buffer.from(data, 'base64').toString('utf8');
        const id = `${namespace}/${account}`;
        now.set(id, [...(now.get(id) ?? []), key]);
        if (!this.first.has(id)) {
          this.first.set(id, key);
          this.ctx.evidence.secret('api-key', key);
          this.ctx.evidence.secret('hash', hashApiKey(key));
        }
      }
    }
    await this.pollScimTokens();
    return now;
  }

  /** Registers each tenant's SCIM token (and its hash) with the secret-hygiene scan once it is issued. */
  private async pollScimTokens(): Promise<void> {
    for (const namespace of this.namespaces()) {
      const list = await this.client.list<KeySecret>(builtinKinds.secret, { namespace, query: { labelSelector: 'app.kubernetes.io/component=scim-token' } });
      for (const secret of list.items) {
        const data = secret.data?.['token'];
        if (data === undefined) continue;
        const token = Buffer.from(data, 'base64').toString('utf8');
        if (this.scimTokens.has(token)) continue;
        this.scimTokens.add(token);
        this.ctx.evidence.secret('scim-token', token);
        this.ctx.evidence.secret('hash', hashScimToken(token));
      }
    }
  }
}

/** Secrets the operator made whose owner is gone: api-key Secrets of a missing ServiceAccount, invitation records of a missing User. */
export async function orphanSecrets(client: KubeClient, namespaces: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const namespace of namespaces) {
    const sas = new Map((await client.list(ACCOUNT_KINDS.serviceAccount, { namespace })).items.map((o) => [o.metadata?.name, o.metadata?.uid]));
    const users = new Set((await client.list(ACCOUNT_KINDS.user, { namespace })).items.map((o) => o.metadata?.name));
    for (const secret of (await client.list(builtinKinds.secret, { namespace, query: { labelSelector: 'app.kubernetes.io/component=api-key' } })).items) {
      const owner = secret.metadata?.ownerReferences?.find((r) => r.kind === 'ServiceAccount');
      if (!owner || sas.get(owner.name) !== owner.uid) out.push(`api-key Secret ${namespace}/${secret.metadata?.name} (owner ${owner?.name ?? 'none'} gone)`);
    }
    for (const secret of (await client.list(builtinKinds.secret, { namespace, query: { labelSelector: 'app.kubernetes.io/component=invitation' } })).items) {
      const user = secret.metadata?.labels?.[USER_LABEL];
      if (!user || !users.has(user)) out.push(`invitation Secret ${namespace}/${secret.metadata?.name} (User ${user ?? '?'} gone)`);
    }
  }
  return out;
}

/** A dev SMTP server and the operator's SMTP Secret pointing at it. */
export interface ChaosSmtp {
  readonly server: DevSmtpServer;
  /** Emails per recipient address; registers every invitation token seen with the evidence. */
  countsByAddress(): Promise<Map<string, number>>;
  close(): Promise<void>;
}

/** Starts a dev SMTP server and writes `namespace/smtp` for `--smtp-secret`. */
export async function startChaosSmtp(client: KubeClient, namespace: string, ctx: ChaosContext): Promise<ChaosSmtp> {
  const dir = await mkdtemp(join(tmpdir(), 'chaos-smtp-'));
  const server = await startDevSmtp({ dir });
  const stringData = { host: server.host, port: String(server.port), secure: 'false', from: 'Blink Accounts <accounts@blink.test>' };
  await retrying('create the SMTP Secret', () => client.create(builtinKinds.secret, { metadata: { name: 'smtp', namespace }, stringData }), isConflict);
  const seen = new Set<string>();
  return {
    server,
    async countsByAddress() {
      const counts = new Map<string, number>();
      for (const message of await server.messages()) {
        for (const to of message.to) counts.set(to, (counts.get(to) ?? 0) + 1);
        for (const link of invitationLinks(message)) {
          const token = new RegExp(`${INVITATION_TOKEN_PREFIX}[A-Za-z0-9_-]+`).exec(decodeURIComponent(link))?.[0];
          if (token && !seen.has(token)) {
            seen.add(token);
            ctx.evidence.secret('invitation-token', token);
            ctx.evidence.secret('hash', hashInvitationToken(token));
          }
        }
      }
      return counts;
    },
    async close() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Users whose address did not get exactly one email: `address: n`. */
export function emailOffenders(users: readonly Made[], counts: ReadonlyMap<string, number>): string[] {
  return users.filter((u) => (counts.get(u.email ?? '') ?? 0) !== 1).map((u) => `${u.email}: ${counts.get(u.email ?? '') ?? 0} emails`);
}

/** The metrics port an operator process logged at start. */
export function metricsPortOf(operator: OperatorProcess): string | undefined {
  return /"metricsPort":(\d+)/.exec(operator.output())?.[1] ?? /"metricsUrl":"http:\/\/[^:]+:(\d+)/.exec(operator.output())?.[1];
}

/**
 * Scrapes an operator's /metrics into the evidence, as an authorized scraper of the control plane the
 * operator runs against (`kubeConfig`, default the shared one); a process being killed is skipped.
 */
export async function scrapeMetrics(operator: OperatorProcess, label: string, ctx: ChaosContext, kubeConfig?: KubeConfig): Promise<string | undefined> {
  const port = metricsPortOf(operator);
  if (!port) return undefined;
  try {
    const text = await scrapeAsScraper(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000), ...(kubeConfig ? { kubeConfig } : {}) });
    ctx.evidence.text(`${label} /metrics`, text);
    return text;
  } catch {
    return undefined;
  }
}

/** Events and statuses of every tenant namespace into the evidence. */
export async function collectClusterEvidence(client: KubeClient, namespaces: readonly string[], label: string, ctx: ChaosContext): Promise<void> {
  for (const namespace of namespaces) {
    ctx.evidence.text(`${label} Events ${namespace}`, (await eventsText(client, namespace)).text);
    ctx.evidence.text(`${label} statuses ${namespace}`, await statusesText(client, namespace));
  }
}

/** The value of a Prometheus counter summed over the series matching `labels`. */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}
