// The operator process: it only wires. One runtime Manager, the shared informers
// and indexes every feature reads, tenant resolution over them, and the features
// (controllers, the acceptance page, the access API) registered in order, each
// given the services the earlier ones provided. `blink-accounts operator run`,
// `npm start` and the tests all start the operator through `startOperator`.
import { ACCOUNT_KINDS } from './api/index.js';
import { SHARD_LABEL, tenantNamespaceSelector } from './api/labels.js';
import type { Tenant } from './api/index.js';
import { ACCESS_API_SERVER } from './context.js';
import type { AccountCaches, Cached, Feature, FeatureServices, OperatorContext, OperatorOptions, SharedIndexes, TenantResolver } from './context.js';
import { namespaceOfTenant, normalizeEmail, owningTenant, tenantGrantsAccess } from './policy/index.js';
import { systemClock } from './runtime/clock.js';
import { builtinKinds } from './runtime/kinds.js';
import type { KubeObject } from './runtime/kinds.js';
import { createLogger } from './runtime/logger.js';
import { Manager } from './runtime/manager.js';

export type { AccountCaches, Feature, FeatureServices, OperatorContext, OperatorOptions } from './context.js';

/** A running operator. */
export interface RunningOperator {
  readonly manager: Manager;
  readonly context: OperatorContext;
  /** What the features provided one another (the API-key verifier, …). */
  readonly services: Partial<FeatureServices>;
  /** Base URL of the public HTTP server (the acceptance page). */
  readonly url: string;
  /** Base URL of the access API's server (/api/v1/…); '' when the access-api feature is not registered. */
  readonly accessApiUrl: string;
  /** Base URL of /metrics, /healthz and /readyz. */
  readonly metricsUrl: string;
  stop(): Promise<void>;
}

const TENANT_NAMESPACE_INDEX = 'tenantNamespace';

/** The index of the Tenant cache that tenant resolution reads (the namespace each Tenant owns). */
export const TENANT_CACHE_INDEXES = { [TENANT_NAMESPACE_INDEX]: (tenant: Cached<Tenant>) => [namespaceOfTenant(tenant)] } as const;

function namesIn(object: KubeObject, names: readonly string[] | undefined): string[] {
  const namespace = object.metadata?.namespace ?? '';
  return [...new Set(names ?? [])].map((n) => `${namespace}/${n}`);
}

/** The indexes every feature may read, defined here once. */
export function sharedIndexes(caches: AccountCaches): SharedIndexes {
  return {
    usersByEmail: caches.users.index('usersByEmail', (user) => {
      const email = normalizeEmail(user.spec?.email);
      return user.metadata?.namespace && email ? [`${user.metadata.namespace}/${email}`] : [];
    }),
    usersByGroup: caches.users.index('usersByGroup', (user) => namesIn(user, user.spec?.groups)),
    usersByWorkspace: caches.users.index('usersByWorkspace', (user) => namesIn(user, user.spec?.workspaces)),
    serviceAccountsByWorkspace: caches.serviceAccounts.index('serviceAccountsByWorkspace', (sa) => namesIn(sa, sa.spec?.workspaces)),
  };
}

/** Tenant resolution over the caches (the Tenant cache needs {@link TENANT_CACHE_INDEXES}). */
export function tenantResolver(caches: AccountCaches): TenantResolver {
  return {
    forNamespace: (namespace) => owningTenant(caches.tenantNamespaces.get(namespace), caches.tenants.byIndex(TENANT_NAMESPACE_INDEX, namespace)),
    namespaceOf: (tenant) => namespaceOfTenant(tenant as Cached<Tenant>),
    accessNamespace(name) {
      const tenant = caches.tenants.get(name);
      if (!tenant) return undefined;
      const namespace = namespaceOfTenant(tenant);
      return tenantGrantsAccess(tenant, caches.tenantNamespaces.get(namespace)) ? namespace : undefined;
    },
  };
}

/** Builds the manager, registers `features` in order (the product's are FEATURES of features.ts), starts it and waits for the caches. */
export async function startOperator(options: OperatorOptions, features: readonly Feature[]): Promise<RunningOperator> {
  const clock = options.clock ?? systemClock;
  const namespace = options.namespace ?? 'blink-accounts-system';
  const logger = options.logger ?? createLogger({ base: { component: 'blink-accounts-operator' } });
  const identity = options.identity ?? `${process.env['HOSTNAME'] ?? 'operator'}-${Math.random().toString(36).slice(2, 8)}`;
  const namespaceSelector = tenantNamespaceSelector(options.shard);
  const manager = new Manager({
    kubeConfig: options.kubeConfig,
    namespaceSelector,
    leaderElection:
      options.leaderElection === false
        ? false
        : { namespace, name: options.shard ? `blink-accounts-operator-${options.shard}` : 'blink-accounts-operator', identity },
    metricsPort: options.metricsPort ?? 8080,
    httpPort: options.httpPort ?? 8081,
    ...(options.host ? { host: options.host } : {}),
    ...(options.httpTimeouts ? { httpTimeouts: options.httpTimeouts } : {}),
    logger,
    clock,
    ...(options.shutdownTimeoutMs !== undefined ? { shutdownTimeoutMs: options.shutdownTimeoutMs } : {}),
    ...(options.watchHealthTimeoutMs !== undefined ? { informerDefaults: { healthTimeoutMs: options.watchHealthTimeoutMs } } : {}),
  });

  const caches: AccountCaches = {
    tenants: manager.informer<Cached<Tenant>>(ACCOUNT_KINDS.tenant, {
      ...(options.shard ? { labelSelector: `${SHARD_LABEL}=${options.shard}` } : {}),
      indexes: TENANT_CACHE_INDEXES,
    }),
    users: manager.informer(ACCOUNT_KINDS.user),
    serviceAccounts: manager.informer(ACCOUNT_KINDS.serviceAccount),
    workspaces: manager.informer(ACCOUNT_KINDS.workspace),
    groups: manager.informer(ACCOUNT_KINDS.group),
    // The manager's own namespace informer (same kind and selector: shared).
    tenantNamespaces: manager.informer(builtinKinds.namespace, { labelSelector: namespaceSelector }),
  };

  const cleanups: (() => Promise<void> | void)[] = [];
  let httpUrl = '';
  const context: OperatorContext = {
    manager,
    options,
    namespace,
    caches,
    indexes: sharedIndexes(caches),
    tenants: tenantResolver(caches),
    logger,
    clock,
    publicUrlFor: (tenant) => tenant?.spec?.acceptanceURL ?? options.publicUrl ?? httpUrl,
    onStop: (cleanup) => cleanups.push(cleanup),
  };
  const services: Partial<FeatureServices> = {};
  for (const feature of features) {
    const missing = (feature.needs ?? []).filter((need) => services[need] === undefined);
    if (missing.length > 0) throw new Error(`Feature "${feature.name}" needs ${missing.join(', ')}: register a feature that provides it before it`);
    const provided = await feature.register(context, { ...services });
    for (const name of feature.provides ?? []) {
      if (provided?.[name] === undefined) throw new Error(`Feature "${feature.name}" declares that it provides ${name} but returned none`);
    }
    Object.assign(services, provided ?? {});
  }

  await manager.start();
  httpUrl = `http://127.0.0.1:${manager.httpServer.port}`;
  const accessApi = manager.server(ACCESS_API_SERVER);
  const accessApiUrl = accessApi ? `http://127.0.0.1:${accessApi.port}` : '';
  const metricsUrl = `http://127.0.0.1:${manager.metricsServer.port}`;
  await manager.waitForCacheSync();
  logger.info({ url: httpUrl, accessApiUrl, metricsUrl, shard: options.shard, features: features.map((f) => f.name) }, 'Started the operator');
  return {
    manager,
    context,
    services,
    get url() {
      return httpUrl;
    },
    accessApiUrl,
    metricsUrl,
    async stop() {
      await manager.stop();
      for (const cleanup of cleanups.reverse()) await cleanup();
    },
  };
}
