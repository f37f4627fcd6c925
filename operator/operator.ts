// The operator process: one runtime Manager, the shared informers every feature
// reads, and the features (controllers, the acceptance page, the access API)
// registered on it. `blink-accounts operator run`, `npm start` and the tests all
// start the operator through `startOperator`.
import type { KubeConfig } from '@kubernetes/client-node';
import { GROUP, TENANT_NAMESPACE_PREFIX, VERSION } from './api/index.js';
import type { Group, ServiceAccount, Tenant, User, Workspace } from './api/index.js';
import type { Clock } from './runtime/clock.js';
import { systemClock } from './runtime/clock.js';
import type { Informer } from './runtime/informer.js';
import { builtinKinds } from './runtime/kinds.js';
import type { KindDescriptor, KubeObject } from './runtime/kinds.js';
import type { Logger } from './runtime/logger.js';
import { createLogger } from './runtime/logger.js';
import { Manager } from './runtime/manager.js';

/** Label on a Tenant's namespace naming the tenant (see operator/README.md). */
export const TENANT_LABEL = 'accounts.blinkops.com/tenant';
/** Label that assigns Tenants (and their namespaces) to one operator deployment. */
export const SHARD_LABEL = 'accounts.blinkops.com/shard';
/** Finalizer of every kind the operator cleans up after. */
export const FINALIZER = 'accounts.blinkops.com/finalizer';
/** Field manager of every server-side apply and status write. */
export const FIELD_MANAGER = 'blink-accounts-operator';
/** Labels on everything the operator creates. */
export const MANAGED_LABELS = { 'app.kubernetes.io/managed-by': 'blink-accounts-operator', 'app.kubernetes.io/part-of': 'blink-accounts' } as const;

/** The kinds of accounts.blinkops.com/v1alpha1 as the runtime addresses them. */
export const ACCOUNT_KINDS = {
  tenant: { group: GROUP, version: VERSION, kind: 'Tenant', plural: 'tenants', namespaced: false },
  user: { group: GROUP, version: VERSION, kind: 'User', plural: 'users', namespaced: true },
  serviceAccount: { group: GROUP, version: VERSION, kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true },
  workspace: { group: GROUP, version: VERSION, kind: 'Workspace', plural: 'workspaces', namespaced: true },
  group: { group: GROUP, version: VERSION, kind: 'Group', plural: 'groups', namespaced: true },
} as const satisfies Record<string, KindDescriptor>;

/** How the operator is configured (CLI flags map onto this one to one). */
export interface OperatorOptions {
  readonly kubeConfig: KubeConfig;
  /** Namespace of the operator: its Lease, its SMTP Secret. @default 'blink-accounts-system' */
  readonly namespace?: string;
  /**
   * Handle only Tenants labelled `accounts.blinkops.com/shard=<shard>`, and only their
   * namespaces (which the operator labels the same). Lets several operator deployments,
   * or several test files, share one cluster. @default every Tenant
   */
  readonly shard?: string;
  /** Lead through a Lease (several replicas); false: act as the only replica. @default true */
  readonly leaderElection?: boolean;
  /** Unique name of this replica. @default host name + random suffix */
  readonly identity?: string;
  /** Port of /metrics. 0 picks a free one. @default 8080 */
  readonly metricsPort?: number;
  /** Port of /healthz, /readyz, the acceptance page and the access API. 0 picks a free one. @default 8081 */
  readonly httpPort?: number;
  /** Address the HTTP servers bind. @default '0.0.0.0' */
  readonly host?: string;
  /** Base URL of the acceptance page in emails, unless the Tenant sets one. @default http://127.0.0.1:<httpPort> */
  readonly publicUrl?: string;
  /** Secret with the SMTP settings (keys host, port, secure, username, password, from). */
  readonly smtpSecret?: { readonly namespace: string; readonly name: string };
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Shutdown bound for in-flight reconciles. @default 10_000 */
  readonly shutdownTimeoutMs?: number;
  /** Watch health timeout (ms) of every informer. @default 90_000 */
  readonly watchHealthTimeoutMs?: number;
}

/** The shared caches every feature reads from (all are started by the manager). */
export interface AccountCaches {
  readonly tenants: Informer<Tenant & KubeObject>;
  readonly users: Informer<User & KubeObject>;
  readonly serviceAccounts: Informer<ServiceAccount & KubeObject>;
  readonly workspaces: Informer<Workspace & KubeObject>;
  readonly groups: Informer<Group & KubeObject>;
}

/** What a feature gets to register itself. */
export interface OperatorContext {
  readonly manager: Manager;
  readonly options: OperatorOptions;
  /** Resolved operator namespace. */
  readonly namespace: string;
  readonly caches: AccountCaches;
  readonly logger: Logger;
  readonly clock: Clock;
  /** The Tenant that owns a namespace (the one its tenant label names), from the caches; undefined when none does or it is out of this shard. */
  tenantForNamespace(namespace: string): (Tenant & KubeObject) | undefined;
  /** The namespace a Tenant owns. */
  namespaceOfTenant(tenant: Tenant): string;
  /** Base URL of the acceptance page for a tenant. */
  publicUrlFor(tenant: Tenant | undefined): string;
  /** Runs when the operator stops (after the manager stopped). */
  onStop(cleanup: () => Promise<void> | void): void;
}

/** A part of the product that plugs into the operator. */
export interface Feature {
  readonly name: string;
  register(ctx: OperatorContext): void | Promise<void>;
}

/** A running operator. */
export interface RunningOperator {
  readonly manager: Manager;
  readonly context: OperatorContext;
  /** Base URL of the HTTP server (acceptance page, access API, probes). */
  readonly url: string;
  stop(): Promise<void>;
}

const TENANT_NAMESPACE_INDEX = 'tenantNamespace';

/** The namespace a Tenant owns: spec.namespace, else tenant-<name>. */
export function namespaceOfTenant(tenant: Tenant): string {
  return tenant.spec?.namespace ?? `${TENANT_NAMESPACE_PREFIX}${tenant.metadata?.name ?? ''}`;
}

/**
 * Builds the manager, registers `features` (the product's are `FEATURES` of features.ts, which
 * this module does not import: features import it), starts it and waits for the caches.
 */
export async function startOperator(options: OperatorOptions, features: readonly Feature[]): Promise<RunningOperator> {
  const clock = options.clock ?? systemClock;
  const namespace = options.namespace ?? 'blink-accounts-system';
  const logger = options.logger ?? createLogger({ base: { component: 'blink-accounts-operator' } });
  const identity = options.identity ?? `${process.env['HOSTNAME'] ?? 'operator'}-${Math.random().toString(36).slice(2, 8)}`;
  const shardSelector = options.shard ? `${SHARD_LABEL}=${options.shard}` : undefined;
  const manager = new Manager({
    kubeConfig: options.kubeConfig,
    namespaceSelector: shardSelector ? `${TENANT_LABEL},${shardSelector}` : TENANT_LABEL,
    leaderElection:
      options.leaderElection === false
        ? false
        : { namespace, name: options.shard ? `blink-accounts-operator-${options.shard}` : 'blink-accounts-operator', identity },
    metricsPort: options.metricsPort ?? 8080,
    healthPort: options.httpPort ?? 8081,
    ...(options.host ? { host: options.host } : {}),
    logger,
    clock,
    ...(options.shutdownTimeoutMs !== undefined ? { shutdownTimeoutMs: options.shutdownTimeoutMs } : {}),
    ...(options.watchHealthTimeoutMs !== undefined ? { informerDefaults: { healthTimeoutMs: options.watchHealthTimeoutMs } } : {}),
  });

  const caches: AccountCaches = {
    tenants: manager.informer<Tenant & KubeObject>(ACCOUNT_KINDS.tenant, {
      ...(shardSelector ? { labelSelector: shardSelector } : {}),
      indexes: { [TENANT_NAMESPACE_INDEX]: (tenant) => [namespaceOfTenant(tenant)] },
    }),
    users: manager.informer<User & KubeObject>(ACCOUNT_KINDS.user),
    serviceAccounts: manager.informer<ServiceAccount & KubeObject>(ACCOUNT_KINDS.serviceAccount),
    workspaces: manager.informer<Workspace & KubeObject>(ACCOUNT_KINDS.workspace),
    groups: manager.informer<Group & KubeObject>(ACCOUNT_KINDS.group),
  };

  // The manager's own namespace informer (same kind and selector: shared), for tenantForNamespace.
  const namespaces = manager.informer(builtinKinds.namespace, { labelSelector: shardSelector ? `${TENANT_LABEL},${shardSelector}` : TENANT_LABEL });

  const cleanups: (() => Promise<void> | void)[] = [];
  let httpUrl = '';
  const context: OperatorContext = {
    manager,
    options,
    namespace,
    caches,
    logger,
    clock,
    tenantForNamespace: (ns) => {
      // Two Tenants may name one namespace; only the one its tenant label names owns it.
      const owner = namespaces.get(ns)?.metadata?.labels?.[TENANT_LABEL];
      return owner === undefined ? undefined : caches.tenants.byIndex(TENANT_NAMESPACE_INDEX, ns).find((t) => t.metadata?.name === owner);
    },
    namespaceOfTenant,
    publicUrlFor: (tenant) => tenant?.spec?.acceptanceURL ?? options.publicUrl ?? httpUrl,
    onStop: (cleanup) => cleanups.push(cleanup),
  };
  for (const feature of features) await feature.register(context);

  await manager.start();
  httpUrl = `http://127.0.0.1:${manager.httpServer.port}`;
  await manager.waitForCacheSync();
  logger.info({ url: httpUrl, shard: options.shard, features: features.map((f) => f.name) }, 'Started the operator');
  return {
    manager,
    context,
    get url() {
      return httpUrl;
    },
    async stop() {
      await manager.stop();
      for (const cleanup of cleanups.reverse()) await cleanup();
    },
  };
}
