// An OperatorContext over seeded caches, for table tests of whole reconciles
// (serviceAccountReconciler, userReconciler, reconcileTenant) without a server:
// the same shared indexes and tenant resolution as operator.ts, caches that hold
// what the test seeds (and what it sends later), and no manager: a reconcile
// reads the caches and writes through its ReconcileContext (FakeKubeWriter).
import type { Group, ServiceAccount, Tenant, User, Workspace } from './api/index.js';
import { SHARD_LABEL, TENANT_LABEL } from './api/labels.js';
import type { AccountCaches, Cached, OperatorContext, OperatorOptions } from './context.js';
import { sharedIndexes, TENANT_CACHE_INDEXES, tenantResolver } from './operator.js';
import { ManualClock } from './runtime/clock.js';
import type { Clock } from './runtime/clock.js';
import { seededCache } from './runtime/fake-cache.js';
import type { SeededCache } from './runtime/fake-cache.js';
import type { KubeObject } from './runtime/kinds.js';
import { builtinKinds } from './runtime/kinds.js';
import { ACCOUNT_KINDS } from './api/index.js';
import { createLogger } from './runtime/logger.js';
import type { Manager } from './runtime/manager.js';
import type { KubeConfig } from '@kubernetes/client-node';

/** What the caches hold at the start. */
export interface ContextSeed {
  readonly tenants?: readonly Cached<Tenant>[];
  /** Tenant namespaces (labelled for their tenant; see {@link tenantNamespace}). */
  readonly namespaces?: readonly KubeObject[];
  readonly users?: readonly Cached<User>[];
  readonly serviceAccounts?: readonly Cached<ServiceAccount>[];
  readonly workspaces?: readonly Cached<Workspace>[];
  readonly groups?: readonly Cached<Group>[];
  readonly clock?: Clock;
  readonly options?: Partial<Omit<OperatorOptions, 'kubeConfig'>>;
  /** @default 'blink-accounts-system' */
  readonly namespace?: string;
  /** @default 'https://accounts.example' */
  readonly publicUrl?: string;
}

/** The context, and the seeded caches behind it (to move them on during a test). */
export interface FakeOperatorContext {
  readonly ctx: OperatorContext;
  readonly clock: Clock;
  readonly caches: {
    readonly tenants: SeededCache<Cached<Tenant>>;
    readonly tenantNamespaces: SeededCache<KubeObject>;
    readonly users: SeededCache<Cached<User>>;
    readonly serviceAccounts: SeededCache<Cached<ServiceAccount>>;
    readonly workspaces: SeededCache<Cached<Workspace>>;
    readonly groups: SeededCache<Cached<Group>>;
  };
}

/** A Tenant named `name` owning `tenant-<name>` (live, not being deleted). */
export function tenantObject(name: string, spec: Partial<Tenant['spec']> = {}): Cached<Tenant> {
  return { apiVersion: 'accounts.blinkops.com/v1alpha1', kind: 'Tenant', metadata: { name, uid: `tenant-uid-${name}`, resourceVersion: '1', generation: 1 }, spec: { ...spec } } as Cached<Tenant>;
}

/** The namespace of a tenant, labelled for it (what the Tenant controller leaves). */
export function tenantNamespace(tenant: string, name = `tenant-${tenant}`, shard?: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, uid: `ns-uid-${name}`, resourceVersion: '1', labels: { [TENANT_LABEL]: tenant, ...(shard ? { [SHARD_LABEL]: shard } : {}) } } };
}

/** Builds an OperatorContext whose caches hold `seed`. `ctx.manager` is not there: a reconcile must not need it. */
export async function fakeOperatorContext(seed: ContextSeed = {}): Promise<FakeOperatorContext> {
  const clock = seed.clock ?? new ManualClock();
  const [tenants, tenantNamespaces, users, serviceAccounts, workspaces, groups] = await Promise.all([
    seededCache(ACCOUNT_KINDS.tenant, seed.tenants ?? [], TENANT_CACHE_INDEXES),
    seededCache(builtinKinds.namespace, seed.namespaces ?? []),
    seededCache<Cached<User>>(ACCOUNT_KINDS.user, seed.users ?? []),
    seededCache<Cached<ServiceAccount>>(ACCOUNT_KINDS.serviceAccount, seed.serviceAccounts ?? []),
    seededCache<Cached<Workspace>>(ACCOUNT_KINDS.workspace, seed.workspaces ?? []),
    seededCache<Cached<Group>>(ACCOUNT_KINDS.group, seed.groups ?? []),
  ]);
  const caches: AccountCaches = {
    tenants: tenants.informer,
    users: users.informer,
    serviceAccounts: serviceAccounts.informer,
    workspaces: workspaces.informer,
    groups: groups.informer,
    tenantNamespaces: tenantNamespaces.informer,
  };
  const options = { kubeConfig: undefined as unknown as KubeConfig, ...seed.options } as OperatorOptions;
  const ctx: OperatorContext = {
    get manager(): Manager {
      throw new Error('A reconcile under test reached for ctx.manager: it must read the caches and write through its ReconcileContext');
    },
    options,
    namespace: seed.namespace ?? 'blink-accounts-system',
    caches,
    indexes: sharedIndexes(caches),
    tenants: tenantResolver(caches),
    logger: createLogger({ level: 'silent' }),
    clock,
    publicUrlFor: (tenant) => tenant?.spec?.acceptanceURL ?? seed.publicUrl ?? 'https://accounts.example',
    onStop: () => {},
  };
  return { ctx, clock, caches: { tenants, tenantNamespaces, users, serviceAccounts, workspaces, groups } };
}
