// What the operator hands to each feature: the shared caches and their typed
// indexes, tenant resolution, and the services other features provide. A
// feature imports only this file, api/, policy/ and runtime/ — never another
// feature — and declares what it provides and needs (operator.ts wires them).
import type { Group, ServiceAccount, Tenant, User, Workspace } from './api/index.js';
import type { ApiKeyVerifier } from './policy/index.js';
import type { Clock } from './runtime/clock.js';
import type { ClusterConnection } from './runtime/cluster-connection.js';
import type { HttpTimeouts } from './runtime/http-server.js';
import type { CacheIndex, Informer } from './runtime/informer.js';
import type { KubeObject } from './runtime/kinds.js';
import type { Logger } from './runtime/logger.js';
import type { Manager } from './runtime/manager.js';

/** How the operator is configured (CLI flags map onto this one to one). */
export interface OperatorOptions {
  /** The API server and credentials: client-node's KubeConfig, or the lighter loader of `runtime/cluster-connection.ts`. */
  readonly kubeConfig: ClusterConnection;
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
  /** Port of /metrics, /healthz and /readyz. 0 picks a free one. @default 8080 */
  readonly metricsPort?: number;
  /** Port of the public acceptance page (/invitations/…) and nothing else. 0 picks a free one. @default 8081 */
  readonly httpPort?: number;
  /** Port of the access API (/api/v1/…, internal, bearer-token authentication). 0 picks a free one. @default 8082 */
  readonly accessApiPort?: number;
  /** Audience an access API caller's ServiceAccount token must carry. @default 'blink-accounts-access-api' */
  readonly accessApiAudience?: string;
  /** Header, request and idle timeouts of every HTTP server (small ones in tests). @default DEFAULT_HTTP_TIMEOUTS of runtime/http-server.ts */
  readonly httpTimeouts?: Partial<HttpTimeouts>;
  /** Address the HTTP servers bind. @default '0.0.0.0' */
  readonly host?: string;
  /** Base URL of the acceptance page in emails, unless the Tenant sets one. @default http://127.0.0.1:<httpPort> */
  readonly publicUrl?: string;
  /**
   * Proxies (IP addresses or CIDRs, IPv4 or IPv6) whose X-Forwarded-For the acceptance page
   * believes, for its per-client rate limit: the Ingress controller's pod range, typically.
   * @default none: the client is the socket's peer and X-Forwarded-For is ignored
   */
  readonly trustedProxies?: readonly string[];
  /** Secret with the SMTP settings (keys host, port, secure, requireTLS, caCert, username, password, from). */
  readonly smtpSecret?: { readonly namespace: string; readonly name: string };
  /** Longest a key's recorded last use (status.keyLastUsedAt) may lag: its write budget, one status write per key per interval. @default 3_600_000 */
  readonly keyUsageWriteIntervalMs?: number;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Shutdown bound for in-flight reconciles. @default 10_000 */
  readonly shutdownTimeoutMs?: number;
  /** Watch health timeout (ms) of every informer. @default 90_000 */
  readonly watchHealthTimeoutMs?: number;
}

/** Name of the access API's HTTP server in the manager (`manager.server(ACCESS_API_SERVER)`). */
export const ACCESS_API_SERVER = 'access-api';

/** A cached object of one of the API's kinds. */
export type Cached<T> = T & KubeObject;

/** The shared caches every feature reads from (all are started by the manager). */
export interface AccountCaches {
  readonly tenants: Informer<Cached<Tenant>>;
  readonly users: Informer<Cached<User>>;
  readonly serviceAccounts: Informer<Cached<ServiceAccount>>;
  readonly workspaces: Informer<Cached<Workspace>>;
  readonly groups: Informer<Cached<Group>>;
  /** The tenant namespaces of this shard (the manager's scoping informer). */
  readonly tenantNamespaces: Informer<KubeObject>;
}

/** Indexes of the shared caches, defined once by operator.ts. Values are `namespace/<name>` unless said otherwise. */
export interface SharedIndexes {
  /** Users by `namespace/<email in normal form>` (policy/email.ts). */
  readonly usersByEmail: CacheIndex<Cached<User>>;
  /** Users by `namespace/group` they name. */
  readonly usersByGroup: CacheIndex<Cached<User>>;
  /** Users by `namespace/workspace` they name. */
  readonly usersByWorkspace: CacheIndex<Cached<User>>;
  /** ServiceAccounts by `namespace/workspace` they name. */
  readonly serviceAccountsByWorkspace: CacheIndex<Cached<ServiceAccount>>;
}

/** Tenant resolution over the caches, by the rules of policy/tenancy.ts. */
export interface TenantResolver {
  /** The Tenant that owns a namespace (the one its tenant label names), deleting or not; undefined when none does or it is out of this shard. */
  forNamespace(namespace: string): Cached<Tenant> | undefined;
  /** The namespace a Tenant owns. */
  namespaceOf(tenant: KubeObject): string;
  /** The namespace of a Tenant that grants access now (live tenant, live namespace labelled for it). */
  accessNamespace(tenant: string): string | undefined;
}

/** What a feature gets to register itself. */
export interface OperatorContext {
  readonly manager: Manager;
  readonly options: OperatorOptions;
  /** Resolved operator namespace. */
  readonly namespace: string;
  readonly caches: AccountCaches;
  readonly indexes: SharedIndexes;
  readonly tenants: TenantResolver;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Base URL of the acceptance page for a tenant. */
  publicUrlFor(tenant: Tenant | undefined): string;
  /** Runs when the operator stops (after the manager stopped). */
  onStop(cleanup: () => Promise<void> | void): void;
}

/** What features provide to one another, by name. */
export interface FeatureServices {
  /** Who is this API key? (service-accounts → access API) */
  readonly apiKeyVerifier: ApiKeyVerifier;
}

/** A part of the product that plugs into the operator. */
export interface Feature {
  readonly name: string;
  /** Services this feature needs; a feature registered earlier must provide each. */
  readonly needs?: readonly (keyof FeatureServices)[];
  /** Services this feature's `register` returns. */
  readonly provides?: readonly (keyof FeatureServices)[];
  register(ctx: OperatorContext, services: Partial<FeatureServices>): void | Partial<FeatureServices> | Promise<void | Partial<FeatureServices>>;
}

/** Maps a Tenant to the keys of the objects of `informer` in its namespace (for controller watches). */
export function objectsInTenantNamespace(ctx: Pick<OperatorContext, 'tenants'>, informer: Informer<KubeObject>): (tenant: KubeObject) => string[] {
  return (tenant) => {
    const namespace = ctx.tenants.namespaceOf(tenant);
    return informer.byIndex('namespace', namespace).map((o) => `${namespace}/${o.metadata?.name ?? ''}`);
  };
}
