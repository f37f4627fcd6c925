// Kubernetes Events (events.k8s.io/v1) for transitions, de-duplicated: the same
// regarding object + type + reason + note within a window becomes one Event
// whose series count grows, written at most once per `seriesFlushMs`.
import { randomBytes } from 'node:crypto';
import type { Clock } from './clock.js';
import { builtinKinds } from './kinds.js';
import type { KubeObject } from './kinds.js';
import type { KubeClient } from './kube-client.js';
import type { Logger } from './logger.js';

/** Normal or Warning, as Kubernetes defines. */
export type EventType = 'Normal' | 'Warning';

/** Records Events about objects. */
export interface EventRecorder {
  /** Records an event; never throws (Events are best effort). */
  event(regarding: KubeObject, type: EventType, reason: string, note: string, action?: string): Promise<void>;
}

/** Options of {@link KubeEventRecorder}. */
export interface EventRecorderOptions {
  readonly client: KubeClient;
  readonly clock: Clock;
  readonly logger: Logger;
  /** `reportingController`, e.g. `accounts.blinkops.com/operator`. */
  readonly controller: string;
  /** `reportingInstance`, e.g. the pod name. */
  readonly instance: string;
  /** Identical events within this window are folded into one series. @default 600_000 */
  readonly windowMs?: number;
  /** A series is written to the API at most this often. @default 30_000 */
  readonly seriesFlushMs?: number;
}

interface SeriesState {
  namespace: string;
  name: string;
  count: number;
  firstAt: number;
  lastWrittenAt: number;
  lastWrittenCount: number;
}

/** microTime with microseconds, as events.k8s.io wants. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** An EventRecorder writing events.k8s.io/v1 Events. */
export class KubeEventRecorder implements EventRecorder {
  private readonly series = new Map<string, SeriesState>();

  constructor(private readonly options: EventRecorderOptions) {}

  async event(regarding: KubeObject, type: EventType, reason: string, note: string, action = reason): Promise<void> {
    const { clock, client } = this.options;
    const meta = regarding.metadata ?? {};
    const now = clock.now();
    const key = [meta.uid ?? `${meta.namespace}/${meta.name}`, type, reason, note].join('\u0000');
    const window = this.options.windowMs ?? 600_000;
    this.evict(now, window);
    let existing = this.series.get(key);
    // A series past its window starts again (evict stops at the first live series: one older than it may remain).
    if (existing && now - existing.firstAt > window) {
      this.series.delete(key);
      existing = undefined;
    }
    try {
      if (existing) {
        existing.count++;
        if (now - existing.lastWrittenAt < (this.options.seriesFlushMs ?? 30_000)) return;
        await client.patch(builtinKinds.event, existing.namespace, existing.name, { series: { count: existing.count, lastObservedTime: microTime(now) } });
        existing.lastWrittenAt = now;
        existing.lastWrittenCount = existing.count;
        return;
      }
      const namespace = meta.namespace ?? 'default';
      const name = `${meta.name ?? 'object'}.${randomBytes(8).toString('hex')}`;
      await client.create(builtinKinds.event, {
        metadata: { name, namespace },
        eventTime: microTime(now),
        reportingController: this.options.controller,
        reportingInstance: this.options.instance,
        action,
        reason,
        note: note.slice(0, 1024),
        type,
        regarding: { apiVersion: regarding.apiVersion, kind: regarding.kind, name: meta.name, namespace: meta.namespace, uid: meta.uid, resourceVersion: meta.resourceVersion },
      });
      this.series.set(key, { namespace, name, count: 1, firstAt: now, lastWrittenAt: now, lastWrittenCount: 1 });
    } catch (error) {
      this.options.logger.warn({ err: error, reason, regarding: { kind: regarding.kind, namespace: meta.namespace, name: meta.name } }, 'Could not record an Event');
    }
  }

  /**
   * Drops the series whose window has passed. A series is inserted when it starts, and a Map keeps
   * insertion order, so the oldest come first: stop at the first one still in its window. (Scanning
   * them all made each Event cost O(Events of the last window): quadratic over a burst.)
   */
  private evict(now: number, window: number): void {
    for (const [key, state] of this.series) {
      if (now - state.firstAt <= window) return;
      this.series.delete(key);
    }
  }
}
