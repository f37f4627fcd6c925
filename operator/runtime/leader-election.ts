// Leader election on a coordination.k8s.io/v1 Lease, with client-go's rules:
//  - a lease held by someone else counts as expired only after leaseDuration
//    has passed since *this replica observed* it change (no trust in remote
//    clocks);
//  - the leader renews every retryPeriod and gives up leadership when it could
//    not renew for renewDeadline (< leaseDuration, so it has stopped acting
//    before anyone else may take over);
//  - on shutdown the leader releases the lease (empty holder), so a standby
//    takes over at its next try instead of waiting for expiry. A standby can
//    be nudged (e.g. by a watch on the Lease) to try at once.
import type { Clock, Timer } from './clock.js';
import { ApiError } from './errors.js';
import { builtinKinds } from './kinds.js';
import type { KubeObject } from './kinds.js';
import type { KubeClient } from './kube-client.js';
import type { Logger } from './logger.js';

/** Where and as whom to hold the lease. */
export interface LeaderElectionConfig {
  readonly namespace: string;
  readonly name: string;
  /** Unique per replica (e.g. pod name + random suffix). */
  readonly identity: string;
  /** @default 15_000 */
  readonly leaseDurationMs?: number;
  /** @default 10_000 */
  readonly renewDeadlineMs?: number;
  /** @default 2_000 */
  readonly retryPeriodMs?: number;
}

/** Options of {@link LeaderElector}. */
export interface LeaderElectorOptions extends LeaderElectionConfig {
  readonly client: KubeClient;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Called on becoming leader; `signal` aborts the moment leadership is lost or given up. */
  readonly onStartedLeading: (signal: AbortSignal) => void;
  /** Called after leadership ended (after `signal` aborted). */
  readonly onStoppedLeading: () => void;
  /** Called with the holder identity whenever a different holder is observed. */
  readonly onNewLeader?: (identity: string) => void;
  /** Jitter source. @default Math.random */
  readonly random?: () => number;
}

interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number;
}

type Lease = KubeObject & { spec?: LeaseSpec };

function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Runs the election loop for one replica. */
export class LeaderElector {
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private observed: { holder: string; renewTime: string; resourceVersion: string } | undefined;
  private observedAt = 0;
  private lastRenewAt = 0;
  private leading: AbortController | undefined;
  private wake: (() => void) | undefined;
  private lastLeader: string | undefined;

  constructor(private readonly options: LeaderElectorOptions) {
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (this.renewDeadlineMs >= this.leaseDurationMs) throw new Error(`renewDeadlineMs (${this.renewDeadlineMs}) must be less than leaseDurationMs (${this.leaseDurationMs})`);
  }

  /** True while this replica holds the lease. */
  get isLeader(): boolean {
    return this.leading !== undefined && !this.leading.signal.aborted;
  }

  /** Makes a waiting candidate try again at once (call when the Lease changed). */
  nudge(): void {
    this.wake?.();
  }

  /**
   * Campaigns until `signal` aborts: acquire, lead while renewals succeed, and after a loss
   * campaign again. When `signal` aborts while leading, the lease is released.
   */
  async run(signal: AbortSignal): Promise<void> {
    const log = this.options.logger;
    while (!signal.aborted) {
      if (!(await this.tryAcquireOrRenew())) {
        await this.wait(this.acquireDelay(), signal);
        continue;
      }
      const leading = new AbortController();
      this.leading = leading;
      log.info({ lease: `${this.options.namespace}/${this.options.name}` }, 'Became leader');
      this.reportLeader(this.options.identity);
      try {
        this.options.onStartedLeading(leading.signal);
      } catch (error) {
        log.error({ err: error }, 'onStartedLeading threw');
      }
      const released = await this.renewUntilLost(signal);
      leading.abort();
      this.leading = undefined;
      try {
        this.options.onStoppedLeading();
      } catch (error) {
        log.error({ err: error }, 'onStoppedLeading threw');
      }
      if (!released) log.warn('Lost leadership');
    }
  }

  /**
   * Gives up the lease: its holder becomes empty, so a standby takes over at once.
   * Call after work has stopped (the manager does, once in-flight reconciles finished).
   */
  async release(): Promise<void> {
    try {
      const lease = await this.options.client.get<Lease>(builtinKinds.lease, this.options.namespace, this.options.name);
      if (lease.spec?.holderIdentity !== this.options.identity) return;
      const now = this.options.clock.now();
      const { managedFields: _managedFields, ...metadata } = lease.metadata ?? {};
      await this.options.client.replace<Lease>(builtinKinds.lease, {
        metadata,
        spec: { ...lease.spec, holderIdentity: null, leaseDurationSeconds: 1, acquireTime: null, renewTime: microTime(now) },
      });
      this.options.logger.info('Released the leader lease');
    } catch (error) {
      this.options.logger.warn({ err: error }, 'Could not release the leader lease; a standby takes over when it expires');
    }
  }

  /** Renews until a renewal fails for renewDeadline (returns false) or `signal` aborts (returns true). */
  private async renewUntilLost(signal: AbortSignal): Promise<boolean> {
    const { clock } = this.options;
    while (!signal.aborted) {
      await this.wait(this.retryPeriodMs, signal, false);
      if (signal.aborted) return true;
      for (;;) {
        const elapsed = clock.now() - this.lastRenewAt;
        if (elapsed >= this.renewDeadlineMs) return false;
        const renewed = await this.tryAcquireOrRenew(Math.max(100, Math.min(this.renewDeadlineMs - elapsed, this.retryPeriodMs * 2)));
        if (signal.aborted) return true;
        if (renewed === 'held-by-other') return false;
        if (renewed) break;
        await this.wait(Math.min(this.retryPeriodMs / 2, Math.max(0, this.renewDeadlineMs - (clock.now() - this.lastRenewAt))), signal, false);
        if (signal.aborted) return true;
      }
    }
    return true;
  }

  private acquireDelay(): number {
    const { clock } = this.options;
    // Wake exactly when the observed lease would expire, if that is sooner than the next retry.
    const expiresIn = this.observedAt + this.leaseDurationMs - clock.now();
    const retry = this.retryPeriodMs * (1 + 0.1 * (this.options.random ?? Math.random)());
    return Math.max(10, expiresIn > 0 ? Math.min(retry, expiresIn + 10) : retry);
  }

  private wait(ms: number, signal: AbortSignal, nudgeable = true): Promise<void> {
    return new Promise((resolve) => {
      const state: { timer?: Timer } = {};
      const done = (): void => {
        state.timer?.cancel();
        signal.removeEventListener('abort', done);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      if (signal.aborted) return resolve();
      state.timer = this.options.clock.setTimer(done, ms);
      signal.addEventListener('abort', done, { once: true });
      if (nudgeable) this.wake = done;
    });
  }

  /** One attempt. True when this replica holds the lease afterwards. */
  private async tryAcquireOrRenew(timeoutMs = 5_000): Promise<boolean | 'held-by-other'> {
    const { client, clock, identity, namespace, name, logger } = this.options;
    const now = clock.now();
    const durationSeconds = Math.ceil(this.leaseDurationMs / 1000);
    let lease: Lease;
    try {
      lease = await client.request<Lease>('GET', `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`, { timeoutMs });
    } catch (error) {
      if (error instanceof ApiError && error.code === 404) {
        try {
          await client.create(builtinKinds.lease, {
            metadata: { name, namespace },
            spec: { holderIdentity: identity, leaseDurationSeconds: durationSeconds, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
          });
          this.lastRenewAt = now;
          return true;
        } catch (createError) {
          logger.debug({ err: createError }, 'Could not create the lease');
          return false;
        }
      }
      logger.debug({ err: error }, 'Could not read the lease');
      return false;
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const record = { holder, renewTime: spec.renewTime ?? '', resourceVersion: lease.metadata?.resourceVersion ?? '' };
    if (!this.observed || this.observed.holder !== record.holder || this.observed.renewTime !== record.renewTime) {
      this.observed = record;
      this.observedAt = clock.now();
    }
    if (holder) this.reportLeader(holder);
    const heldByOther = holder !== '' && holder !== identity;
    const observedDuration = (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    if (heldByOther && this.observedAt + observedDuration > clock.now()) return this.isLeader ? 'held-by-other' : false;
    const renewing = holder === identity;
    const { managedFields: _managedFields, ...metadata } = lease.metadata ?? {};
    try {
      await client.request('PUT', `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`, {
        timeoutMs,
        body: {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata,
          spec: {
            holderIdentity: identity,
            leaseDurationSeconds: durationSeconds,
            acquireTime: renewing && spec.acquireTime ? spec.acquireTime : microTime(now),
            renewTime: microTime(now),
            leaseTransitions: (spec.leaseTransitions ?? 0) + (renewing ? 0 : 1),
          },
        },
      });
      this.lastRenewAt = now;
      return true;
    } catch (error) {
      logger.debug({ err: error }, renewing ? 'Could not renew the lease' : 'Could not acquire the lease');
      return false;
    }
  }

  private reportLeader(identity: string): void {
    if (identity === this.lastLeader) return;
    this.lastLeader = identity;
    this.options.onNewLeader?.(identity);
  }
}
