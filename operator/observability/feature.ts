// The domain-metrics feature: the product's figures on /metrics of every
// replica, computed from the caches when Prometheus scrapes (no work between
// scrapes, no API request). Labels hold tenant names and fixed words only.
import { Gauge } from 'prom-client';
import type { Feature, OperatorContext } from '../context.js';
import { INVITATION_WATCH, recordFromSecret } from '../invitations/invitation-record.js';
import type { InvitationRecord, SecretObject } from '../invitations/invitation-record.js';
import type { Informer } from '../runtime/informer.js';
import { builtinKinds } from '../runtime/kinds.js';
import { nextTurn } from '../runtime/slicing.js';
import { INVITATION_METRIC_STATES, KEY_AGE_BUCKETS, tenantFigures, UNUSED_KEY_THRESHOLDS } from './domain-metrics.js';
import type { TenantFigures } from './domain-metrics.js';

/** A count is shared by the scrapes of at least this long. */
export const FIGURES_SHARED_MIN_MS = 1_000;
/**
 * ... and of this many times the CPU time the count took, so that counting takes at most about
 * 1/20 of the operator's time whatever the size: at 200,000 accounts, with a scrape every second,
 * counting every tenant on each scrape was a quarter of the operator's CPU while it converged.
 */
export const FIGURES_SHARED_COST_FACTOR = 20;

/**
 * The figures of every tenant, counted when a scrape asks (and shared by the scrapes of the next
 * second, or longer when the count is costly: see {@link FIGURES_SHARED_COST_FACTOR}). The count
 * yields to the event loop after each tenant, so a scrape never holds the loop for all tenants at once; an invitation record is decoded once per version of its Secret (the informer
 * replaces a changed Secret's object), so a scrape decodes only what changed since the last one.
 */
export function figuresCounter(ctx: Pick<OperatorContext, 'caches' | 'tenants' | 'clock'>, records: Pick<Informer<SecretObject>, 'byIndex'>): () => Promise<Map<string, TenantFigures>> {
  const decoded = new WeakMap<SecretObject, InvitationRecord | null>();
  const recordOf = (secret: SecretObject): InvitationRecord | null => {
    let record = decoded.get(secret);
    if (record === undefined) {
      record = recordFromSecret(secret) ?? null;
      decoded.set(secret, record);
    }
    return record;
  };
  /** CPU time of the last count (its synchronous parts: the turns it yields are not its). */
  let lastCostMs = 0;
  const countAll = async (now: number): Promise<Map<string, TenantFigures>> => {
    const byTenant = new Map<string, TenantFigures>();
    let costMs = 0;
    for (const tenant of ctx.caches.tenants.list()) {
      const started = performance.now();
      const name = tenant.metadata?.name ?? '';
      const namespace = ctx.tenants.namespaceOf(tenant);
      if (ctx.tenants.forNamespace(namespace)?.metadata?.name !== name) continue;
      const invitations = records.byIndex('namespace', namespace).flatMap((s): InvitationRecord[] => {
        const record = recordOf(s);
        return record ? [record] : [];
      });
      byTenant.set(name, tenantFigures({ tenant: name, users: ctx.caches.users.byIndex('namespace', namespace), serviceAccounts: ctx.caches.serviceAccounts.byIndex('namespace', namespace), invitations }, now));
      costMs += performance.now() - started;
      await nextTurn();
    }
    lastCostMs = costMs;
    return byTenant;
  };
  let counted: { readonly at: number; readonly byTenant: Promise<Map<string, TenantFigures>> } | undefined;
  return () => {
    const now = ctx.clock.now();
    if (counted && now - counted.at < Math.max(FIGURES_SHARED_MIN_MS, FIGURES_SHARED_COST_FACTOR * lastCostMs)) return counted.byTenant;
    const byTenant = countAll(now);
    counted = { at: now, byTenant };
    return byTenant;
  };
}

function register(ctx: OperatorContext): void {
  // The invitation records every replica caches already (same kind and selector: one shared informer).
  const records = ctx.manager.informer<SecretObject>(builtinKinds.secret, INVITATION_WATCH);
  // One scrape collects the six gauges below: count once per scrape, not once per gauge.
  const figures = figuresCounter(ctx, records);
  const registers = [ctx.manager.metrics.registry];
  new Gauge({
    name: 'blink_accounts_users',
    help: 'Users per tenant and phase (Invited, Active, Inactive).',
    labelNames: ['tenant', 'phase'] as const,
    registers,
    async collect() {
      const all = await figures();
      this.reset();
      for (const [tenant, f] of all) for (const [phase, n] of Object.entries(f.users)) this.set({ tenant, phase }, n);
    },
  });
  new Gauge({
    name: 'blink_accounts_invitations',
    help: 'Pending invitations per tenant: state pending (link valid), expired (link expired, not accepted), failing (valid, last send failed).',
    labelNames: ['tenant', 'state'] as const,
    registers,
    async collect() {
      const all = await figures();
      this.reset();
      for (const [tenant, f] of all) for (const state of INVITATION_METRIC_STATES) this.set({ tenant, state }, f.invitations[state]);
    },
  });
  new Gauge({
    name: 'blink_accounts_service_accounts_without_key',
    help: 'Service accounts per tenant that have no API key issued (status.keyId empty).',
    labelNames: ['tenant'] as const,
    registers,
    async collect() {
      const all = await figures();
      this.reset();
      for (const [tenant, f] of all) this.set({ tenant }, f.serviceAccountsWithoutKey);
    },
  });
  new Gauge({
    name: 'blink_accounts_api_keys',
    help: 'API keys per tenant by age bucket (under_1d, under_7d, under_30d, under_90d, over_90d).',
    labelNames: ['tenant', 'age'] as const,
    registers,
    async collect() {
      const all = await figures();
      this.reset();
      for (const [tenant, f] of all) for (const bucket of KEY_AGE_BUCKETS) this.set({ tenant, age: bucket.label }, f.keysByAge[bucket.label]);
    },
  });
  new Gauge({
    name: 'blink_accounts_api_keys_unused',
    help: 'Current API keys per tenant not used for at least unused_for (7d, 30d, 90d; cumulative), counted from status.keyLastUsedAt (at most an hour behind), or from the issue when never used.',
    labelNames: ['tenant', 'unused_for'] as const,
    registers,
    async collect() {
      const all = await figures();
      this.reset();
      for (const [tenant, f] of all) for (const t of UNUSED_KEY_THRESHOLDS) this.set({ tenant, unused_for: t.label }, f.unusedKeys[t.label]);
    },
  });
  new Gauge({
    name: 'blink_accounts_api_key_oldest_age_seconds',
    help: 'Age of the oldest API key per tenant, in seconds.',
    labelNames: ['tenant'] as const,
    registers,
    async collect() {
      const all = await figures();
      this.reset();
      for (const [tenant, f] of all) this.set({ tenant }, f.oldestKeySeconds);
    },
  });
}

/** The product's figures on /metrics (one entry of FEATURES). */
export const domainMetricsFeature: Feature = { name: 'domain-metrics', register };
