import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { KubeEventRecorder } from './events.js';
import type { KubeObject } from './kinds.js';
import type { KubeClient } from './kube-client.js';
import { createLogger } from './logger.js';

type Call = { op: 'create'; name: string; eventTime: string } | { op: 'patch'; name: string; body: unknown };

/** A recorder on a manual clock whose client writes down every create and patch. */
function setup(options: { windowMs?: number; seriesFlushMs?: number } = {}) {
  const calls: Call[] = [];
  const client = {
    create: (_kind: unknown, body: { metadata: { name: string }; eventTime: string }) => (calls.push({ op: 'create', name: body.metadata.name, eventTime: body.eventTime }), Promise.resolve(body)),
    patch: (_kind: unknown, _namespace: string, name: string, body: unknown) => (calls.push({ op: 'patch', name, body }), Promise.resolve({})),
  } as unknown as KubeClient;
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  const recorder = new KubeEventRecorder({ client, clock, logger: createLogger({ level: 'silent' }), controller: 'c', instance: 'i', ...options });
  return { calls, clock, recorder };
}

const widget: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w1', namespace: 'ns', uid: 'u1' } };

describe('KubeEventRecorder series', () => {
  it('creates one Event, counts repeats, and writes the count once the flush interval has passed', async () => {
    const { calls, clock, recorder } = setup({ seriesFlushMs: 30_000 });
    for (let i = 0; i < 3; i++) await recorder.event(widget, 'Normal', 'Doubled', 'Widget is doubled');
    expect(calls.map((c) => c.op)).toEqual(['create']);
    await clock.advance(29_999);
    await recorder.event(widget, 'Normal', 'Doubled', 'Widget is doubled');
    expect(calls.map((c) => c.op)).toEqual(['create']);
    await clock.advance(1);
    await recorder.event(widget, 'Normal', 'Doubled', 'Widget is doubled');
    expect(calls.slice(1)).toEqual([{ op: 'patch', name: calls[0]?.name, body: { series: { count: 5, lastObservedTime: '2026-01-01T12:00:30.000000Z' } } }]);
    // The next write waits for another interval, counting on.
    await recorder.event(widget, 'Normal', 'Doubled', 'Widget is doubled');
    await clock.advance(30_000);
    await recorder.event(widget, 'Normal', 'Doubled', 'Widget is doubled');
    expect(calls.slice(2)).toEqual([{ op: 'patch', name: calls[0]?.name, body: { series: { count: 7, lastObservedTime: '2026-01-01T12:01:00.000000Z' } } }]);
  });

  it('starts a new Event once the window has passed, and keeps other reasons, notes and objects apart', async () => {
    const { calls, clock, recorder } = setup({ windowMs: 600_000 });
    await recorder.event(widget, 'Normal', 'Doubled', 'Widget is doubled');
    await recorder.event(widget, 'Normal', 'Doubled', 'Widget is doubled twice');
    await recorder.event(widget, 'Warning', 'Doubled', 'Widget is doubled');
    await recorder.event({ ...widget, metadata: { ...widget.metadata, uid: 'u2' } }, 'Normal', 'Doubled', 'Widget is doubled');
    expect(calls.map((c) => c.op)).toEqual(['create', 'create', 'create', 'create']);
    await clock.advance(600_001);
    await recorder.event(widget, 'Normal', 'Doubled', 'Widget is doubled');
    expect(calls.map((c) => c.op)).toEqual(['create', 'create', 'create', 'create', 'create']);
    expect(calls[4]).toMatchObject({ eventTime: '2026-01-01T12:10:00.001000Z' });
  });

  it('visits only the expired series when it evicts, not every series of the window', async () => {
    const { calls, clock, recorder } = setup({ windowMs: 600_000 });
    for (let i = 0; i < 100; i++) await recorder.event({ ...widget, metadata: { ...widget.metadata, uid: `old-${i}` } }, 'Normal', 'Doubled', 'Widget is doubled');
    await clock.advance(300_000);
    for (let i = 0; i < 1_000; i++) await recorder.event({ ...widget, metadata: { ...widget.metadata, uid: `new-${i}` } }, 'Normal', 'Doubled', 'Widget is doubled');
    // Count what each eviction walks through from here on.
    const series = (recorder as unknown as { series: Map<string, unknown> }).series;
    let visited = 0;
    const entries = series.entries.bind(series);
    series[Symbol.iterator] = function* (): Generator<[string, unknown], undefined> {
      for (const entry of entries()) {
        visited++;
        yield entry;
      }
      return undefined;
    } as () => MapIterator<[string, unknown]>;
    await recorder.event(widget, 'Normal', 'Doubled', 'Another widget');
    expect(visited).toBe(1); // the oldest series, still in its window
    await clock.advance(300_001);
    visited = 0;
    await recorder.event(widget, 'Normal', 'Doubled', 'Another widget');
    expect(visited).toBe(101); // the 100 expired, then the first live one
    expect(series.size).toBe(1_000 + 1);
    // Still folded: the 1,000 newer series are in their window.
    await recorder.event({ ...widget, metadata: { ...widget.metadata, uid: 'new-0' } }, 'Normal', 'Doubled', 'Widget is doubled');
    expect(calls.filter((c) => c.op === 'create')).toHaveLength(100 + 1_000 + 1);
  });
});
