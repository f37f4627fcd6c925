// The events-out controller, one pass per Tenant with webhooks (leader only, like every controller):
//
// fetch the Tenant (cache) → no webhooks, deleting or gone: delete its outbox, drop the condition →
// gather its Users and ServiceAccounts (cache) → load the outbox (memory, else the API; none yet:
// a baseline, so only what happens from now on is sent) → apply the outcomes the delivery queue
// reported, give up on heads past their webhook's retryFor → take new events from history
// (outbox.ts, pure) → write the outbox when it changed (guarded by resourceVersion) → write the
// WebhookDelivery condition when it changed → hand each webhook the head of each account to the
// delivery queue once its backoff allows.
//
// A delivery is handed over only once the outbox that holds it is written, and leaves the outbox
// only after its 2xx was seen and a later write recorded that: a crash anywhere sends it again
// (same id), never loses it. Outcomes are applied by this controller alone, so a delivery stays
// "in flight" until its outcome is in the outbox and is never handed over twice by one leader.
import type { Tenant, User, ServiceAccount } from '../api/index.js';
import { ACCOUNT_KINDS, CONDITIONS, DEFAULT_WEBHOOK_RETRY_FOR, parseDuration } from '../api/index.js';
import type { Webhook } from '../api/index.js';
import type { Cached, OperatorContext } from '../context.js';
import { kubeTime, setCondition } from '../runtime/conditions.js';
import type { Condition } from '../runtime/conditions.js';
import type { ReconcileContext } from '../runtime/controller.js';
import { jsonEqual } from '../runtime/deep-equal.js';
import { isConflict, isNotFound, TransientError } from '../runtime/errors.js';
import type { ReconcileResult } from '../runtime/errors.js';
import type { HistoryItem } from '../runtime/history.js';
import { builtinKinds } from '../runtime/kinds.js';
import type { KubeObject } from '../runtime/kinds.js';
import type { RateLimiter } from '../runtime/rate-limiter.js';
import { writeStatus } from '../runtime/status-writer.js';
import type { ObservedAccount } from './account-events.js';
import { eventMessage, signatureHeaders, webhookSigner, WebhookSecretInvalidError } from './cloud-event.js';
import type { EventMessage } from './cloud-event.js';
import type { DeliveryQueue } from './delivery-queue.js';
import { webhookDeliveryCondition } from './delivery-status.js';
import type { EventsOutMetrics } from './metrics.js';
import { baselineOutbox, deliveryHeads, keepWebhooks, markAbandoned, markDelivered, takeEvents } from './outbox.js';
import type { OutboxState } from './outbox.js';
import { deleteOutbox, readOutbox, writeOutbox } from './outbox-store.js';
import { postEvent } from './webhook-post.js';
import type { PostOutcome } from './webhook-post.js';

/** How long a webhook's signing secret, once read, is used before it is read again. */
export const SECRET_CACHE_MS = 10_000;

/**
 * Most POSTs of one tenant in flight at once: a tenant whose endpoint hangs holds this many of
 * the queue's slots (DEFAULT_DELIVERY_CONCURRENCY), never all of them.
 */
export const MAX_IN_FLIGHT_PER_TENANT = 4;

/** An attempt's outcome, waiting to be applied to the outbox. */
interface Outcome {
  readonly id: string;
  readonly webhook: string;
  readonly uid: string;
  readonly result: PostOutcome;
}

/** What the leader remembers of one tenant's outbox between passes. */
interface TenantMemory {
  /** The outbox as last read or written; undefined: read it. */
  stored: { state: OutboxState; resourceVersion: string | undefined } | undefined;
  /** `webhook\nuid` → event id: handed to the queue, outcome not yet applied. */
  readonly inFlight: Map<string, string>;
  /** Outcomes reported by the queue, not yet applied. */
  outcomes: Outcome[];
  /** `webhook\nuid` → when the head may be tried again, and why its last attempt failed. */
  readonly failures: Map<string, { nextAt: number; error: string }>;
}

/** What the controller shares with its deliveries. */
export interface EventsOutDeps {
  readonly ctx: OperatorContext;
  readonly queue: Pick<DeliveryQueue, 'enqueue'>;
  /** Makes one attempt. @default a signed POST, by the leader only, with the webhook's secret read live */
  readonly send?: (namespace: string, hook: Webhook, message: EventMessage) => Promise<PostOutcome>;
  /** Backoff per `tenant\nwebhook\nuid` (exponential with jitter). */
  readonly backoff: RateLimiter;
  readonly metrics: EventsOutMetrics;
  /** Looks at a tenant again (after an outcome). */
  readonly requeue: (tenant: string) => void;
  /** Timeout of one POST. */
  readonly postTimeoutMs?: number;
}

/** The events-out reconcile, with the memory of the tenants this leader handles. */
export class EventsOutController {
  private readonly memory = new Map<string, TenantMemory>();
  private readonly secrets = new Map<string, { at: number; sign: ((id: string, at: Date, body: string) => string) | Error }>();

  constructor(private readonly deps: EventsOutDeps) {}

  /** One pass over the Tenant `name`. */
  async reconcile(name: string, rctx: ReconcileContext): Promise<ReconcileResult> {
    const { ctx } = this.deps;
    const tenant = ctx.caches.tenants.get(name);
    const webhooks = tenant?.spec?.notifications?.webhooks ?? [];
    if (!tenant || tenant.metadata?.deletionTimestamp || webhooks.length === 0) {
      await this.forget(name, tenant, rctx);
      return;
    }
    const namespace = ctx.tenants.accessNamespace(name);
    // Not ready yet (namespace being created, refused): the Tenant controller's status says why; look again later.
    if (!namespace) return { requeueAfterMs: 5_000 };
    const now = rctx.clock.now();
    const accounts = observedAccounts(ctx, namespace);
    const memory = this.memoryOf(name);
    if (!memory.stored) {
      const read = await readOutbox(rctx.client, ctx.namespace, name);
      if (read && !read.state) rctx.log.warn({ tenant: name }, 'The event outbox could not be read; starting a new one from now');
      memory.stored = read?.state ? { state: read.state, resourceVersion: read.resourceVersion } : { state: baselineOutbox(accounts), resourceVersion: read?.resourceVersion };
      if (!read?.state) rctx.log.info({ tenant: name }, 'Started the event outbox: transitions from now on are sent');
    }
    const before = memory.stored.state;
    let state = before;

    // Counted and told once the outbox that records them is written (a failed write applies them again).
    const afterWrite: (() => Promise<void> | void)[] = [];
    // Outcomes reported since the last pass.
    const applied = memory.outcomes;
    memory.outcomes = [];
    for (const o of applied) {
      const key = `${o.webhook}\n${o.uid}`;
      if (memory.inFlight.get(key) === o.id) memory.inFlight.delete(key);
      // Not attempted (this replica had stopped leading): neither a failure nor a delivery.
      if (!o.result.ok && o.result.notSent) continue;
      if (o.result.ok) {
        state = markDelivered(state, o.id, o.webhook);
        memory.failures.delete(key);
        this.deps.backoff.forget(`${name}\n${key}`);
        afterWrite.push(() => this.deps.metrics.deliveries.inc({ tenant: name, outcome: 'delivered' }));
      } else {
        memory.failures.set(key, { nextAt: now + this.deps.backoff.when(`${name}\n${key}`), error: o.result.error });
        afterWrite.push(() => this.deps.metrics.deliveries.inc({ tenant: name, outcome: 'failed' }));
      }
    }

    // Give up on heads that kept failing past their webhook's retryFor.
    const byName = new Map(webhooks.map((w) => [w.name, w]));
    for (const { event, webhook } of deliveryHeads(state)) {
      const key = `${webhook}\n${event.object.uid}`;
      const failure = memory.failures.get(key);
      if (!failure || memory.inFlight.has(key)) continue;
      if (now - event.enqueuedAt < retryForMs(byName.get(webhook))) continue;
      state = markAbandoned(state, event.id, webhook, failure.error);
      // The account's next event starts with a clean slate (and its own first try).
      memory.failures.delete(key);
      this.deps.backoff.forget(`${name}\n${key}`);
      afterWrite.push(async () => {
        this.deps.metrics.deliveries.inc({ tenant: name, outcome: 'abandoned' });
        rctx.log.warn({ tenant: name, webhook, eventId: event.id, type: event.name, object: `${event.object.kind}/${event.object.name}`, error: failure.error }, 'Gave up on a webhook delivery');
        await rctx.recorder.event(tenant, 'Warning', 'DeliveryAbandoned', `Gave up on delivering ${event.name} of ${event.object.kind}/${event.object.name} to webhook "${webhook}" after its retryFor (last error: ${failure.error})`);
      });
    }

    state = keepWebhooks(state, new Set(byName.keys()));
    for (const key of memory.failures.keys()) if (!byName.has(key.split('\n')[0] ?? '')) memory.failures.delete(key);
    const taken = takeEvents(state, accounts, webhooks, now, kubeTime(now));
    state = taken.state;
    if (taken.gaps.length > 0) rctx.log.warn({ tenant: name, accounts: taken.gaps.slice(0, 10) }, 'More transitions happened than history keeps since the last pass: some were not sent');
    for (const [webhook, n] of Object.entries(taken.overflow)) {
      this.deps.metrics.deliveries.inc({ tenant: name, outcome: 'abandoned' }, n);
      rctx.log.warn({ tenant: name, webhook, events: n }, 'The event outbox is full: gave up on the oldest events');
    }

    if (!jsonEqual(state, before) || memory.stored.resourceVersion === undefined) {
      try {
        const resourceVersion = await writeOutbox(rctx.client, ctx.namespace, tenant, state, memory.stored.resourceVersion);
        memory.stored = { state, resourceVersion };
      } catch (error) {
        // Someone else wrote it (another leader) or it is gone: read it again next pass; the outcomes are applied again then.
        memory.stored = undefined;
        memory.outcomes = [...applied, ...memory.outcomes];
        for (const o of applied) memory.inFlight.set(`${o.webhook}\n${o.uid}`, o.id);
        if (isConflict(error) || isNotFound(error)) throw new TransientError(`the event outbox of Tenant ${name} changed meanwhile`, { cause: error });
        throw new Error(`writing the event outbox of Tenant ${name}`, { cause: error });
      }
    }
    for (const told of afterWrite) await told();
    this.deps.metrics.outboxEvents.set({ tenant: name }, state.events.length);

    // Handed over before the condition is written: a Tenant status write that conflicts (the Tenant
    // controller writes counts there) delays only the condition, never a delivery.
    const result = this.dispatch(tenant, namespace, webhooks, memory, state, now);
    await this.writeCondition(tenant, webhooks, memory, state, rctx);
    return result;
  }

  /** Hands each head whose backoff allows to the queue; returns when to look again for the others. */
  private dispatch(tenant: Cached<Tenant>, namespace: string, webhooks: readonly Webhook[], memory: TenantMemory, state: OutboxState, now: number): ReconcileResult {
    const name = tenant.metadata?.name ?? '';
    const byName = new Map(webhooks.map((w) => [w.name, w]));
    let next = Number.POSITIVE_INFINITY;
    for (const { event, webhook } of deliveryHeads(state)) {
      const key = `${webhook}\n${event.object.uid}`;
      const hook = byName.get(webhook);
      if (!hook || memory.inFlight.has(key)) continue;
      // The next outcome brings the tenant back, and with it the heads that wait here.
      if (memory.inFlight.size >= MAX_IN_FLIGHT_PER_TENANT) break;
      const failure = memory.failures.get(key);
      if (failure && failure.nextAt > now) {
        next = Math.min(next, failure.nextAt);
        continue;
      }
      memory.inFlight.set(key, event.id);
      const message = eventMessage(event, name, namespace);
      const queued = this.deps.queue.enqueue({
        key: `${name}\n${key}`,
        run: async () => {
          const result = await (this.deps.send ?? ((n, h, m) => this.attempt(n, h, m)))(namespace, hook, message);
          memory.outcomes.push({ id: event.id, webhook, uid: event.object.uid, result });
          this.deps.requeue(name);
        },
      });
      if (!queued) memory.inFlight.delete(key);
    }
    return Number.isFinite(next) ? { requeueAfterMs: Math.max(1, next - now) } : undefined;
  }

  /** One POST of `message` to `hook`, signed with its secret; only the leader sends. */
  private async attempt(namespace: string, hook: Webhook, message: EventMessage): Promise<PostOutcome> {
    const { ctx } = this.deps;
    if (!ctx.manager.isLeader) return { ok: false, error: 'not the leader', notSent: true };
    const sign = await this.signer(namespace, hook);
    if (sign instanceof Error) return { ok: false, error: sign.message };
    const at = new Date(ctx.clock.now());
    return postEvent(hook.url, message, signatureHeaders(sign, message, at), this.deps.postTimeoutMs !== undefined ? { timeoutMs: this.deps.postTimeoutMs } : {});
  }

  /** The signer of a webhook's secret (read live: the operator caches only its own Secrets), kept SECRET_CACHE_MS. */
  private async signer(namespace: string, hook: Webhook): Promise<((id: string, at: Date, body: string) => string) | Error> {
    const { ctx } = this.deps;
    const id = `${namespace}/${hook.secretRef.name}/${hook.secretRef.key}`;
    const now = ctx.clock.now();
    const cached = this.secrets.get(id);
    if (cached && now - cached.at < SECRET_CACHE_MS) return cached.sign;
    let sign: ((id: string, at: Date, body: string) => string) | Error;
    try {
      const secret = await ctx.manager.client.get<KubeObject & { data?: Record<string, string> }>(builtinKinds.secret, namespace, hook.secretRef.name);
      const value = secret.data?.[hook.secretRef.key];
      sign = value === undefined ? new Error(`Secret ${hook.secretRef.name} has no key ${hook.secretRef.key}`) : webhookSigner(Buffer.from(value, 'base64').toString('utf8'));
    } catch (error) {
      sign = error instanceof WebhookSecretInvalidError ? new Error(`Secret ${hook.secretRef.name} key ${hook.secretRef.key}: ${error.message}`) : isNotFound(error) ? new Error(`Secret ${hook.secretRef.name} not found`) : new Error('the signing Secret could not be read');
    }
    this.secrets.set(id, { at: now, sign });
    return sign;
  }

  private async writeCondition(tenant: Cached<Tenant>, webhooks: readonly Webhook[], memory: TenantMemory, state: OutboxState, rctx: ReconcileContext): Promise<void> {
    const failing: Record<string, string> = {};
    for (const [key, f] of memory.failures) failing[key.split('\n')[0] ?? ''] ??= f.error;
    const condition = webhookDeliveryCondition({
      abandoned: state.abandoned,
      failing,
      retryFor: Object.fromEntries(webhooks.map((w) => [w.name, w.retryFor ?? DEFAULT_WEBHOOK_RETRY_FOR])),
      generation: tenant.metadata?.generation,
    });
    const conditions = setCondition(tenant.status?.conditions as Condition[] | undefined, condition, rctx.clock.now());
    await writeStatus(rctx.client, ACCOUNT_KINDS.tenant, tenant, { ...(tenant.status ?? {}), conditions });
  }

  /** The tenant has no webhooks (any more): no outbox, no condition, no memory. */
  private async forget(name: string, tenant: Cached<Tenant> | undefined, rctx: ReconcileContext): Promise<void> {
    const memory = this.memory.get(name);
    if (memory?.stored || (tenant && !tenant.metadata?.deletionTimestamp && tenant.status?.conditions?.some((c) => c.type === CONDITIONS.webhookDelivery))) {
      await deleteOutbox(rctx.client, this.deps.ctx.namespace, name);
    }
    this.memory.delete(name);
    this.deps.metrics.outboxEvents.remove({ tenant: name });
    if (tenant && !tenant.metadata?.deletionTimestamp && tenant.status?.conditions?.some((c) => c.type === CONDITIONS.webhookDelivery)) {
      const conditions = (tenant.status.conditions as Condition[]).filter((c) => c.type !== CONDITIONS.webhookDelivery);
      await writeStatus(rctx.client, ACCOUNT_KINDS.tenant, tenant, { ...tenant.status, conditions });
    }
  }

  private memoryOf(name: string): TenantMemory {
    let memory = this.memory.get(name);
    if (!memory) {
      memory = { stored: undefined, inFlight: new Map(), outcomes: [], failures: new Map() };
      this.memory.set(name, memory);
    }
    return memory;
  }

  /** Whether the tenant has an outbox this leader handles (for watch filters). */
  handles(name: string): boolean {
    return this.memory.has(name);
  }
}

/** retryFor of a webhook in ms. */
export function retryForMs(hook: Webhook | undefined): number {
  return parseDuration(hook?.retryFor ?? DEFAULT_WEBHOOK_RETRY_FOR) ?? 24 * 3_600_000;
}

/** The tenant's Users and ServiceAccounts as events see them. */
export function observedAccounts(ctx: Pick<OperatorContext, 'caches'>, namespace: string): ObservedAccount[] {
  const out: ObservedAccount[] = [];
  const add = (kind: ObservedAccount['kind'], o: (User | ServiceAccount) & KubeObject): void => {
    const uid = o.metadata?.uid;
    if (!uid) return;
    out.push({ kind, name: o.metadata?.name ?? '', uid, deleting: Boolean(o.metadata?.deletionTimestamp), history: (o.status?.history ?? []) as HistoryItem[] });
  };
  for (const u of ctx.caches.users.byIndex('namespace', namespace)) add('User', u);
  for (const sa of ctx.caches.serviceAccounts.byIndex('namespace', namespace)) add('ServiceAccount', sa);
  return out;
}
