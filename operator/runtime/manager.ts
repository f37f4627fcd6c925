// The manager ties the runtime together: shared informers (run on every
// replica, so every replica can serve reads from its caches), controllers
// whose workers run only on the leader, the HTTP endpoints, and shutdown.
//
// Shutdown (stop(), or SIGTERM/SIGINT after handleSignals()):
//   1. readiness turns false and workers stop taking keys;
//   2. in-flight reconciles get up to shutdownTimeoutMs to finish, then their
//      signal aborts;
//   3. the lease is released, so a standby takes over at once;
//   4. informers and HTTP servers stop.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Clock } from './clock.js';
import type { ClusterConnection } from './cluster-connection.js';
import { systemClock } from './clock.js';
import { Controller } from './controller.js';
import type { Reconciler } from './controller.js';
import type { EventRecorder } from './events.js';
import { KubeEventRecorder } from './events.js';
import type { HealthReport, HttpTimeouts, RequestHandler } from './http-server.js';
import { RuntimeHttpServer } from './http-server.js';
import type { RuntimeHttpServerOptions } from './http-server.js';
import { Informer } from './informer.js';
import type { IndexFunction, InformerOptions } from './informer.js';
import { builtinKinds } from './kinds.js';
import type { KindDescriptor, KubeObject } from './kinds.js';
import { KubeClient } from './kube-client.js';
import { LeaderElector } from './leader-election.js';
import type { LeaderElectionConfig } from './leader-election.js';
import type { Logger } from './logger.js';
import { createLogger } from './logger.js';
import { RuntimeMetrics } from './metrics.js';
import { kubeMetricsReviewer, SecureMetricsAuthorizer } from './metrics-auth.js';
import type { MetricsAuthorizer } from './metrics-auth.js';
import { controllerOwnerKey, ownKey } from './owner-mapping.js';
import type { KeyMapper } from './owner-mapping.js';
import type { RateLimiter } from './rate-limiter.js';

/** Options of {@link Manager}. */
export interface ManagerOptions {
  readonly kubeConfig: ClusterConnection;
  /** The API client; built from kubeConfig when omitted. */
  readonly client?: KubeClient;
  /** Only objects in namespaces matching this label selector are reconciled (cluster-scoped objects always are). */
  readonly namespaceSelector?: string;
  /** Lease to lead by; `false` makes this replica act as the only one (tests, single-replica runs). */
  readonly leaderElection: LeaderElectionConfig | false;
  /** Port of /metrics, /healthz and /readyz (never the public port). 0 picks a free port. @default 8080 */
  readonly metricsPort?: number;
  /** Port of the handlers added with addHandler (the public acceptance page), and nothing else. 0 picks a free port. @default 8081 */
  readonly httpPort?: number;
  /** @deprecated the old name of httpPort (probes moved to the metrics port). */
  readonly healthPort?: number;
  /** Header, request and idle timeouts of every HTTP server. @default DEFAULT_HTTP_TIMEOUTS */
  readonly httpTimeouts?: Partial<HttpTimeouts>;
  /** Address the HTTP servers bind. @default '0.0.0.0' */
  readonly host?: string;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** How long in-flight reconciles may finish after shutdown starts. @default 10_000 */
  readonly shutdownTimeoutMs?: number;
  /** Defaults for every informer (health timeout, watch timeout, resync period). */
  readonly informerDefaults?: Pick<InformerOptions<KubeObject>, 'healthTimeoutMs' | 'watchTimeoutSeconds' | 'resyncPeriodMs' | 'pageSize'>;
  /** `reportingController` of Events. @default 'accounts.blinkops.com/operator' */
  readonly eventSource?: string;
  /** Include process metrics (CPU, memory, event loop) in /metrics. @default true */
  readonly processMetrics?: boolean;
  /** Who may read /metrics. @default TokenReview + SubjectAccessReview (get on the non-resource URL /metrics) through `client` */
  readonly metricsAuthorizer?: MetricsAuthorizer;
  readonly random?: () => number;
}

/** How to build an informer. */
export interface InformerSpec<T extends KubeObject> {
  readonly namespace?: string;
  /** Required for Secrets: an operator never caches every Secret in scope. */
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly transform?: (object: T) => T;
  /** Only objects for which this holds are cached (see InformerOptions.keep). Secrets are also kept only in namespaces in scope. */
  readonly keep?: (object: T) => boolean;
  /**
   * The namespace whose being in scope decides whether a Secret is kept: its own by default; for a
   * Secret the operator wrote outside tenant namespaces on behalf of one (a delivered key copy), that
   * tenant namespace. Undefined from the function: not kept.
   */
  readonly scopeNamespace?: (object: T) => string | undefined;
  readonly indexes?: Readonly<Record<string, IndexFunction<T>>>;
}

/** A secondary kind a controller watches, with how its objects map to primary keys. */
export interface WatchedKind {
  readonly kind: KindDescriptor;
  /** @default controller ownerReference to the primary kind */
  readonly map?: KeyMapper;
  readonly informer?: InformerSpec<KubeObject>;
}

/** What {@link Manager.addController} takes. */
export interface ControllerSpec {
  readonly name: string;
  /** The primary kind: its own events enqueue its key. */
  readonly for: KindDescriptor;
  readonly forInformer?: InformerSpec<KubeObject>;
  /**
   * Whether an update of a primary object enqueues it (adds and deletes always do), e.g.
   * {@link specLabelsOrPhaseChanged} for a controller that reads no other part of its status.
   * @default every update enqueues
   */
  readonly forUpdate?: (previous: KubeObject, object: KubeObject) => boolean;
  /** Kinds the controller creates; their events enqueue their controller owner. */
  readonly owns?: readonly (KindDescriptor | WatchedKind)[];
  /** Other kinds whose events map to primary keys. */
  readonly watches?: readonly WatchedKind[];
  readonly reconcile: Reconciler;
  /** @default 1 */
  readonly concurrency?: number;
  readonly rateLimiter?: RateLimiter;
  /**
   * Whether this controller writes the status of its `for` kind, so the runtime reports a reconcile
   * that keeps failing there (Ready=False, a Warning Event). False for a second controller of a kind
   * whose status another controller writes: the two would overwrite each other. @default true
   */
  readonly ownsStatus?: boolean;
}

/** Runs informers, controllers, leader election and HTTP endpoints. */
export class Manager {
  readonly client: KubeClient;
  readonly metrics: RuntimeMetrics;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly recorder: EventRecorder;
  /** Serves the handlers added with addHandler (the public port); no probes, no metrics. */
  readonly httpServer: RuntimeHttpServer;
  /** Serves /metrics, /healthz and /readyz. */
  readonly metricsServer: RuntimeHttpServer;
  /** The identity used in the lease and Events. */
  readonly identity: string;
  private readonly options: ManagerOptions;
  private readonly informers = new Map<string, Informer<KubeObject>>();
  /** Informers whose keep depends on the namespaces in scope (Secrets): relisted when a namespace comes into scope. */
  private readonly scoped: Informer<KubeObject>[] = [];
  private readonly extraServers = new Map<string, RuntimeHttpServer>();
  private readonly controllers: Controller[] = [];
  private readonly elector: LeaderElector | undefined;
  private namespaces: Informer<KubeObject> | undefined;
  private runController: AbortController | undefined;
  private electionRun: Promise<void> | undefined;
  private workers: { stopTaking: AbortController; lease: AbortSignal; done: Promise<void> } | undefined;
  private started = false;
  private stopping: Promise<void> | undefined;
  private leading = false;

  constructor(options: ManagerOptions) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.identity = options.leaderElection ? options.leaderElection.identity : `${hostname()}-${randomBytes(4).toString('hex')}`;
    this.logger = options.logger ?? createLogger({ base: { replica: this.identity } });
    this.client = options.client ?? new KubeClient(options.kubeConfig);
    this.metrics = new RuntimeMetrics({ processMetrics: options.processMetrics ?? true });
    this.recorder = new KubeEventRecorder({
      client: this.client,
      clock: this.clock,
      logger: this.logger,
      controller: options.eventSource ?? 'accounts.blinkops.com/operator',
      instance: this.identity,
    });
    const metricsPort = options.metricsPort ?? 8080;
    const httpPort = options.httpPort ?? options.healthPort ?? 8081;
    if (metricsPort === httpPort && metricsPort !== 0) throw new Error(`The metrics port and the HTTP port must differ (both ${metricsPort}): probes and metrics stay off the public port`);
    const metricsAuthorizer = options.metricsAuthorizer ?? new SecureMetricsAuthorizer({ reviewer: kubeMetricsReviewer(this.client), clock: this.clock });
    this.metricsServer = this.newServer(metricsPort, { registry: this.metrics.registry, metricsAuthorizer, healthz: () => this.health(), readyz: () => this.readiness() });
    this.httpServer = this.newServer(httpPort);
    if (options.leaderElection) {
      const config = options.leaderElection;
      this.metrics.leaderStatus.set({ name: config.name }, 0);
      this.elector = new LeaderElector({
        ...config,
        client: this.client,
        clock: this.clock,
        logger: this.logger.child({ component: 'leader-election' }),
        ...(options.random ? { random: options.random } : {}),
        onStartedLeading: (signal) => this.startWorkers(signal),
        onStoppedLeading: () => this.stopWorkersNow(),
        onNewLeader: (identity) => this.logger.info({ leader: identity }, 'Observed a new leader'),
      });
      // Watching the Lease lets a standby react to a release at once instead of at its next retry.
      const elector = this.elector;
      this.informer(builtinKinds.lease, { namespace: config.namespace, fieldSelector: `metadata.name=${config.name}` }).addHandler({
        update: () => elector.nudge(),
        delete: () => elector.nudge(),
      });
    }
    if (options.namespaceSelector !== undefined) {
      this.namespaces = this.informer(builtinKinds.namespace, { labelSelector: options.namespaceSelector });
    }
  }

  /** True while this replica runs the controllers' workers. */
  get isLeader(): boolean {
    return this.leading;
  }

  /**
   * The shared informer of a kind with these selectors (created on first use; the first
   * caller's transform and keep apply). Secrets need a label selector, and with a namespace
   * selector only those in namespaces in scope are cached: a Secret elsewhere that carries the
   * same labels is dropped before it is stored, and a namespace that comes into scope later
   * brings its Secrets with a relist.
   */
  informer<T extends KubeObject = KubeObject>(kind: KindDescriptor, spec: InformerSpec<T> = {}): Informer<T> {
    if (kind.group === '' && kind.kind === 'Secret' && !spec.labelSelector) {
      throw new Error('Secrets are watched only by label selector: give informer(secret, { labelSelector })');
    }
    const id = JSON.stringify([kind.group, kind.version, kind.plural, spec.namespace ?? '', spec.labelSelector ?? '', spec.fieldSelector ?? '']);
    let informer = this.informers.get(id) as Informer<T> | undefined;
    if (!informer) {
      const namespaces = kind.group === '' && kind.kind === 'Secret' ? this.namespaces : undefined;
      const scopeOf = spec.scopeNamespace;
      const inScope = scopeOf ? (object: T): boolean => this.namespaceInScope(scopeOf(object)) : (object: T): boolean => this.inScope(object);
      const keep = namespaces ? (object: T) => inScope(object) && (spec.keep?.(object) ?? true) : spec.keep;
      informer = new Informer<T>({
        client: this.client,
        kind,
        clock: this.clock,
        logger: this.logger,
        metrics: this.metrics,
        ...(this.options.informerDefaults ?? {}),
        ...(spec.namespace !== undefined ? { namespace: spec.namespace } : {}),
        ...(spec.labelSelector !== undefined ? { labelSelector: spec.labelSelector } : {}),
        ...(spec.fieldSelector !== undefined ? { fieldSelector: spec.fieldSelector } : {}),
        ...(spec.transform ? { transform: spec.transform } : {}),
        ...(keep ? { keep } : {}),
        ...(namespaces ? { after: [namespaces] } : {}),
        ...(this.options.random ? { random: this.options.random } : {}),
      });
      this.informers.set(id, informer as unknown as Informer<KubeObject>);
      if (namespaces) {
        const scoped = informer;
        this.scoped.push(scoped as unknown as Informer<KubeObject>);
        namespaces.addHandler({ add: () => void scoped.relistSoon() });
      }
      if (this.started) informer.start();
    }
    for (const [name, fn] of Object.entries(spec.indexes ?? {})) informer.addIndex(name, fn);
    return informer;
  }

  /** How many objects each informer holds, by kind and selectors (what memory grows with). */
  cacheSizes(): { kind: string; labelSelector?: string; fieldSelector?: string; namespace?: string; objects: number }[] {
    return [...this.informers.values()].map((informer) => ({ kind: informer.kind.kind, ...informer.selectors, objects: informer.size }));
  }

  /** Adds a controller; must be called before start(). */
  addController(spec: ControllerSpec): Controller {
    if (this.started) throw new Error(`Controller "${spec.name}" must be added before the manager starts`);
    if (this.controllers.some((c) => c.name === spec.name)) throw new Error(`A controller named "${spec.name}" already exists`);
    const primary = this.informer(spec.for, spec.forInformer ?? {});
    const controller = new Controller({
      name: spec.name,
      reconcile: spec.reconcile,
      ...(spec.concurrency !== undefined ? { concurrency: spec.concurrency } : {}),
      ...(spec.rateLimiter ? { rateLimiter: spec.rateLimiter } : {}),
      clock: this.clock,
      logger: this.logger,
      metrics: this.metrics,
      client: this.client,
      recorder: this.recorder,
      inScope: (object) => this.inScope(object),
      ...(spec.ownsStatus === false ? {} : { reportFailures: { kind: spec.for, get: (key: string) => primary.get(key) } }),
    });
    controller.watch(primary, ownKey, spec.forUpdate ? { onUpdate: spec.forUpdate } : {});
    for (const owned of spec.owns ?? []) {
      const watched: WatchedKind = 'kind' in owned && typeof owned.kind === 'object' ? (owned as WatchedKind) : { kind: owned as KindDescriptor };
      controller.watch(this.informer(watched.kind, watched.informer ?? {}), watched.map ?? controllerOwnerKey(spec.for));
    }
    for (const watched of spec.watches ?? []) {
      controller.watch(this.informer(watched.kind, watched.informer ?? {}), watched.map ?? controllerOwnerKey(spec.for));
    }
    if (this.namespaces) {
      // A namespace that comes into scope brings its existing objects with it.
      const namespaces = this.namespaces;
      namespaces.addHandler({
        add: (ns) => {
          const enqueue = (): void => {
            for (const object of primary.byIndex('namespace', ns.metadata?.name ?? '')) controller.queue.add(`${ns.metadata?.name}/${object.metadata?.name}`);
          };
          // Its Secrets come with a relist: reconcile once they are in the caches, not on a cache that lacks them.
          if (this.scoped.length === 0) enqueue();
          else void Promise.all(this.scoped.map((informer) => informer.relistSoon())).then(enqueue);
        },
      });
    }
    this.controllers.push(controller);
    return controller;
  }

  /** Mounts a request handler on the public HTTP server (the acceptance page). */
  addHandler(prefix: string, handler: RequestHandler): void {
    this.httpServer.addHandler(prefix, handler);
  }

  /**
   * Adds an HTTP server of its own on `port` (0: a free one), started and stopped with the
   * manager, on the same host and with the same timeouts (the access API's internal port).
   */
  addServer(name: string, port: number): RuntimeHttpServer {
    if (this.started) throw new Error(`Server "${name}" must be added before the manager starts`);
    if (this.extraServers.has(name)) throw new Error(`A server named "${name}" already exists`);
    const taken = [this.metricsServer, this.httpServer, ...this.extraServers.values()].some((s) => port !== 0 && s.requestedPort === port);
    if (taken) throw new Error(`Server "${name}" cannot use port ${port}: another of the operator's servers has it`);
    const server = this.newServer(port);
    this.extraServers.set(name, server);
    return server;
  }

  /** A server added with addServer, if any. */
  server(name: string): RuntimeHttpServer | undefined {
    return this.extraServers.get(name);
  }

  private newServer(port: number, extra: Pick<RuntimeHttpServerOptions, 'registry' | 'metricsAuthorizer' | 'healthz' | 'readyz'> = {}): RuntimeHttpServer {
    const { host, httpTimeouts } = this.options;
    return new RuntimeHttpServer({ port, host: host ?? '0.0.0.0', logger: this.logger, ...extra, ...(httpTimeouts ? { timeouts: httpTimeouts } : {}) });
  }

  /** Starts HTTP servers, informers and the election (or the workers, without election). Resolves once listening. */
  async start(): Promise<void> {
    if (this.started) throw new Error('The manager is already started');
    this.started = true;
    await this.metricsServer.start();
    await this.httpServer.start();
    for (const server of this.extraServers.values()) await server.start();
    for (const informer of this.informers.values()) informer.start();
    this.runController = new AbortController();
    if (this.elector) {
      this.electionRun = this.elector.run(this.runController.signal);
    } else {
      this.startWorkers(this.runController.signal);
    }
    const servers = Object.fromEntries([...this.extraServers].map(([name, server]) => [name, server.port]));
    this.logger.info({ httpPort: this.httpServer.port, metricsPort: this.metricsServer.port, servers, controllers: this.controllers.map((c) => c.name) }, 'Started manager');
  }

  /** Resolves once every informer has synced (false if the manager stopped first). */
  async waitForCacheSync(): Promise<boolean> {
    const signal = this.runController?.signal;
    const results = await Promise.all([...this.informers.values()].map((i) => i.waitForSync(signal)));
    return results.every(Boolean);
  }

  /** Graceful shutdown; safe to call more than once. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  /** Stops gracefully on SIGTERM/SIGINT and exits 0; logs unhandled rejections instead of dying. */
  handleSignals(exit: (code: number) => void = (code) => process.exit(code)): void {
    const onSignal = (signal: string): void => {
      this.logger.info({ signal }, 'Shutting down');
      this.stop().then(
        () => exit(0),
        (error: unknown) => {
          this.logger.error({ err: error }, 'Shutdown failed');
          exit(1);
        },
      );
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
    process.on('unhandledRejection', (reason) => this.logger.error({ err: reason }, 'Unhandled promise rejection'));
  }

  /**
   * Liveness: the process serves requests and has not finished stopping. A failing
   * API server does not fail liveness (a restart would not help).
   */
  health(): HealthReport {
    const checks = { ping: true };
    return { ok: Object.values(checks).every(Boolean), checks };
  }

  /**
   * Readiness: started, not shutting down, and every informer has completed its first list
   * (so reads from the caches are complete). With leader election, the replica must also
   * have made its first election attempt; it need not lead (standbys serve reads), but a
   * replica that believes it leads must actually hold the lease — once its renewals fail
   * for the renew deadline it stops leading at once and reports as a standby.
   */
  readiness(): HealthReport {
    const checks: Record<string, boolean> = { started: this.started, notStopping: this.stopping === undefined };
    for (const informer of this.informers.values()) checks[`informer:${informer.kind.kind}`] = informer.hasSynced;
    if (this.elector) checks['leaderElection'] = !this.leading || this.elector.isLeader;
    return { ok: Object.values(checks).every(Boolean), checks };
  }

  private inScope(object: KubeObject): boolean {
    if (!this.namespaces) return true;
    const namespace = object.metadata?.namespace;
    return namespace === undefined || this.namespaces.get(namespace) !== undefined;
  }

  /** Whether a namespace is one of this manager's (every namespace without a namespace selector); undefined is none. */
  namespaceInScope(namespace: string | undefined): boolean {
    if (!this.namespaces) return namespace !== undefined;
    return namespace !== undefined && this.namespaces.get(namespace) !== undefined;
  }

  private startWorkers(lease: AbortSignal): void {
    if (this.workers) return;
    const stopTaking = new AbortController();
    this.leading = true;
    if (this.options.leaderElection) this.metrics.leaderStatus.set({ name: this.options.leaderElection.name }, 1);
    const done = (async () => {
      // Reconciling from a partial cache would take missing objects for deleted ones.
      const synced = await Promise.all([...this.informers.values()].map((i) => i.waitForSync(AbortSignal.any([stopTaking.signal, lease]))));
      if (!synced.every(Boolean)) return;
      this.logger.info('Caches synced; starting controllers');
      await Promise.all(this.controllers.map((c) => c.run(stopTaking.signal, lease)));
    })();
    this.workers = { stopTaking, lease, done };
  }

  private stopWorkersNow(): void {
    // The lease signal has aborted: workers are already stopping; in-flight keys are requeued.
    this.workers?.stopTaking.abort();
    this.workers = undefined;
    this.leading = false;
    if (this.options.leaderElection) this.metrics.leaderStatus.set({ name: this.options.leaderElection.name }, 0);
  }

  private async shutdown(): Promise<void> {
    const timeoutMs = this.options.shutdownTimeoutMs ?? 10_000;
    const workers = this.workers;
    if (workers) {
      workers.stopTaking.abort();
      const finished = await Promise.race([workers.done.then(() => true), new Promise<boolean>((resolve) => this.clock.setTimer(() => resolve(false), timeoutMs))]);
      if (!finished) this.logger.warn({ timeoutMs }, 'In-flight reconciles did not finish in time; abandoning them');
    }
    const wasLeader = this.elector?.isLeader ?? false;
    // Ends the election loop; the leader's lease signal aborts (stragglers see it).
    this.runController?.abort();
    await this.electionRun;
    if (this.elector && wasLeader) await this.elector.release();
    this.workers = undefined;
    this.leading = false;
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
    await this.httpServer.stop();
    for (const server of this.extraServers.values()) await server.stop();
    await this.metricsServer.stop();
    this.client.close();
    this.logger.info('Stopped manager');
  }
}
