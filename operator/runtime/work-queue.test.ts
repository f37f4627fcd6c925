import { describe, expect, it } from 'vitest';
import { MAX_TIMER_MS, ManualClock, flushMicrotasks, systemClock } from './clock.js';
import type { Clock } from './clock.js';
import { Backoff, bucketRateLimiter, exponentialRateLimiter } from './rate-limiter.js';
import { DEFAULT_MAX_PRIORITY_RUN, WorkQueue } from './work-queue.js';

function queue(clock = new ManualClock()): { q: WorkQueue; clock: ManualClock } {
  return { q: new WorkQueue({ clock, rateLimiter: exponentialRateLimiter({ baseMs: 5, maxMs: 1_000, random: () => 0 }) }), clock };
}

describe('WorkQueue', () => {
  it('hands out a key added many times once', async () => {
    const { q } = queue();
    q.add('ns/a');
    q.add('ns/a');
    q.add('ns/b');
    q.add('ns/a');
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('ns/a');
    expect(await q.get()).toBe('ns/b');
    expect(q.length).toBe(0);
  });

  it('never hands the same key to two workers, and re-runs it once if it changed meanwhile', async () => {
    const { q } = queue();
    q.add('ns/a');
    const first = await q.get();
    expect(first).toBe('ns/a');
    q.add('ns/a');
    q.add('ns/a');
    // In flight: a second worker must not get it.
    let second: string | undefined = 'pending';
    void q.get().then((key) => (second = key));
    await flushMicrotasks();
    expect(second).toBe('pending');
    expect(q.length).toBe(0);
    q.done('ns/a');
    await flushMicrotasks();
    expect(second).toBe('ns/a');
    q.done('ns/a');
    expect(q.length).toBe(0);
    expect(q.inFlight).toBe(0);
  });

  it('does not re-run a key that was not added while in flight', async () => {
    const { q } = queue();
    q.add('ns/a');
    await q.get();
    q.done('ns/a');
    expect(q.length).toBe(0);
  });

  it('backs off exponentially per key, up to the cap, and forgets on success', () => {
    const { q, clock } = queue();
    const delays = Array.from({ length: 12 }, () => q.addRateLimited('ns/a'));
    expect(delays).toEqual([5, 10, 20, 40, 80, 160, 320, 640, 1_000, 1_000, 1_000, 1_000]);
    expect(q.retries('ns/a')).toBe(12);
    // Another key has its own backoff.
    expect(q.addRateLimited('ns/b')).toBe(5);
    q.forget('ns/a');
    expect(q.retries('ns/a')).toBe(0);
    expect(q.addRateLimited('ns/a')).toBe(5);
    expect(clock.pendingTimers).toBeGreaterThan(0);
  });

  it('delivers a rate-limited key only after its delay', async () => {
    const { q, clock } = queue();
    q.addRateLimited('ns/a');
    q.addRateLimited('ns/a'); // now 10 ms; the earlier 5 ms schedule wins
    expect(q.length).toBe(0);
    await clock.advance(4);
    expect(q.length).toBe(0);
    await clock.advance(1);
    expect(q.length).toBe(1);
    expect(await q.get()).toBe('ns/a');
  });

  it('requeues after the given time, keeping the earliest schedule', async () => {
    const { q, clock } = queue();
    q.addAfter('ns/a', 10_000);
    q.addAfter('ns/a', 3_000);
    q.addAfter('ns/a', 8_000);
    expect(q.delayed).toBe(1);
    await clock.advance(2_999);
    expect(q.length).toBe(0);
    await clock.advance(1);
    expect(q.length).toBe(1);
    expect(q.delayed).toBe(0);
    await clock.advance(10_000);
    expect(q.length).toBe(1);
  });

  it('a delayed key that is added now is handed out now, and once', async () => {
    const { q, clock } = queue();
    q.addAfter('ns/a', 1_000);
    q.add('ns/a');
    expect(await q.get()).toBe('ns/a');
    q.done('ns/a');
    await clock.advance(1_000);
    expect(q.length).toBe(1);
  });

  it('lets bounded workers run different keys concurrently', async () => {
    const { q } = queue();
    for (const k of ['a', 'b', 'c']) q.add(`ns/${k}`);
    const got = await Promise.all([q.get(), q.get()]);
    expect(new Set(got)).toEqual(new Set(['ns/a', 'ns/b']));
    expect(q.inFlight).toBe(2);
  });

  it('resolves waiting getters with undefined on shutdown and drains in-flight work', async () => {
    const { q, clock } = queue();
    q.add('ns/a');
    await q.get();
    const waiting = q.get();
    q.shutDown();
    expect(await waiting).toBeUndefined();
    q.add('ns/b');
    expect(await q.get()).toBeUndefined();
    const drained = q.drain(10_000);
    q.done('ns/a');
    expect(await drained).toBe(true);
    q.add('ns/c');
    await q.get();
    const timedOut = q.drain(5);
    await clock.advance(5);
    expect(await timedOut).toBe(true);
  });
});

describe('bucketRateLimiter', () => {
  it('allows a burst, then paces at qps', async () => {
    const clock = new ManualClock();
    const limiter = bucketRateLimiter(clock, { qps: 10, burst: 3 });
    expect([limiter.when('a'), limiter.when('b'), limiter.when('c')]).toEqual([0, 0, 0]);
    expect(limiter.when('d')).toBe(100);
    expect(limiter.when('e')).toBe(200);
    await clock.advance(1_000);
    expect(limiter.when('f')).toBe(0);
  });
});

describe('Backoff', () => {
  it('doubles with jitter up to the cap and resets', () => {
    const low = new Backoff(100, 1_000, () => 0);
    expect([low.next(), low.next(), low.next(), low.next(), low.next()]).toEqual([50, 100, 200, 400, 500]);
    const high = new Backoff(100, 1_000, () => 1);
    expect([high.next(), high.next(), high.next(), high.next(), high.next()]).toEqual([100, 200, 400, 800, 1_000]);
    high.reset();
    expect(high.next()).toBe(100);
  });
});

describe('WorkQueue.get with a signal', () => {
  it('stops waiting without swallowing a key', async () => {
    const { q } = queue();
    const controller = new AbortController();
    const waiting = q.get(controller.signal);
    controller.abort();
    expect(await waiting).toBeUndefined();
    q.add('ns/a');
    expect(q.length).toBe(1);
    expect(await q.get()).toBe('ns/a');
  });
});

describe('WorkQueue.addAfter beyond what a timer takes', () => {
  it('schedules a delay above 2^31-1 ms (a far expiry) at 2^31-1 ms, never at the 1 ms Node would overflow to', () => {
    const scheduled: number[] = [];
    const clock = new ManualClock();
    const recording: Clock = { now: () => clock.now(), setTimer: (fn, ms) => (scheduled.push(ms), clock.setTimer(fn, ms)) };
    const q = new WorkQueue({ clock: recording });
    q.addAfter('ns/far', 30 * 24 * 3_600_000);
    q.addAfter('ns/overflow', 2 ** 31);
    expect(scheduled).toEqual([MAX_TIMER_MS, MAX_TIMER_MS]);
    expect(q.delayed).toBe(2);
  });

  it('and the system clock does not fire such a timer early', async () => {
    let fired = 0;
    const timers = [systemClock.setTimer(() => fired++, 2 ** 31), systemClock.setTimer(() => fired++, 40 * 24 * 3_600_000)];
    await new Promise((resolve) => setTimeout(resolve, 30));
    for (const timer of timers) timer.cancel();
    expect(fired).toBe(0);
  });
});

describe('exponentialRateLimiter jitter', () => {
  it('spreads keys that failed together over [d/2, d], from the injected randomness', () => {
    const draws = [0, 0.5, 0.9];
    const limiter = exponentialRateLimiter({ baseMs: 1_000, maxMs: 60_000, random: () => draws.shift() ?? 0 });
    expect(['ns/a', 'ns/b', 'ns/c'].map((key) => limiter.when(key))).toEqual([1_000, 750, 550]);
    const capped = exponentialRateLimiter({ baseMs: 1_000, maxMs: 4_000, random: () => 0.9 });
    expect(Array.from({ length: 5 }, () => capped.when('ns/a'))).toEqual([550, 1_100, 2_200, 2_200, 2_200]);
  });
});

describe('WorkQueue lanes', () => {
  it('hands out keys added by events before backoff retries that came due first, and a retry added again by an event moves up', async () => {
    const clock = new ManualClock();
    const q = new WorkQueue({ clock, rateLimiter: exponentialRateLimiter({ baseMs: 10, random: () => 0 }) });
    for (const key of ['ns/failed-1', 'ns/failed-2', 'ns/failed-3']) {
      q.add(key);
      expect(await q.get()).toBe(key);
      q.done(key);
      q.addRateLimited(key);
    }
    await clock.advance(10);
    expect(q.length).toBe(3);
    q.add('ns/new-1');
    q.add('ns/failed-2');
    q.add('ns/new-2');
    expect(q.length).toBe(5);
    const order: string[] = [];
    while (q.length > 0) {
      const key = (await q.get()) ?? '';
      order.push(key);
      q.done(key);
    }
    expect(order).toEqual(['ns/new-1', 'ns/failed-2', 'ns/new-2', 'ns/failed-1', 'ns/failed-3']);
    expect(q.inFlight).toBe(0);
  });
});

describe('WorkQueue priority lane', () => {
  async function drainOrder(q: WorkQueue): Promise<string[]> {
    const order: string[] = [];
    while (q.length > 0) {
      const key = (await q.get()) ?? '';
      order.push(key);
      q.done(key);
    }
    return order;
  }

  it('hands out priority keys before events and retries', async () => {
    const clock = new ManualClock();
    const q = new WorkQueue({ clock, rateLimiter: exponentialRateLimiter({ baseMs: 10, random: () => 0 }) });
    q.addRateLimited('ns/retry');
    await clock.advance(10);
    q.add('ns/new-1');
    q.add('ns/new-2');
    q.addPriority('ns/started-1');
    q.addPriority('ns/started-2');
    expect(q.length).toBe(5);
    expect(await drainOrder(q)).toEqual(['ns/started-1', 'ns/started-2', 'ns/new-1', 'ns/new-2', 'ns/retry']);
  });

  it('moves a waiting key up to the priority lane and hands it out once; never down', async () => {
    const clock = new ManualClock();
    const q = new WorkQueue({ clock, rateLimiter: exponentialRateLimiter({ baseMs: 10, random: () => 0 }) });
    q.addRateLimited('ns/retry');
    await clock.advance(10);
    for (const key of ['ns/a', 'ns/b', 'ns/c']) q.add(key);
    q.addPriority('ns/c');
    q.addPriority('ns/retry');
    // Added again to a lower lane: stays where it is.
    q.add('ns/c');
    q.add('ns/retry');
    expect(q.length).toBe(4);
    expect(await drainOrder(q)).toEqual(['ns/c', 'ns/retry', 'ns/a', 'ns/b']);
    expect(q.length).toBe(0);
    expect(q.inFlight).toBe(0);
  });

  it('queues a key in flight again once when done, in the priority lane it was raised to', async () => {
    const { q } = queue();
    q.add('ns/a');
    expect(await q.get()).toBe('ns/a');
    q.add('ns/b');
    q.add('ns/a');
    q.addPriority('ns/a');
    // In flight: not handed to a second worker.
    expect(await q.get()).toBe('ns/b');
    q.done('ns/b');
    expect(q.length).toBe(0);
    q.done('ns/a');
    q.add('ns/c');
    expect(await drainOrder(q)).toEqual(['ns/a', 'ns/c']);
  });

  it('cannot starve the other lanes: after maxPriorityRun priority keys, a waiting event goes next', async () => {
    const clock = new ManualClock();
    const q = new WorkQueue({ clock, maxPriorityRun: 2 });
    for (const key of ['ns/e1', 'ns/e2']) q.add(key);
    for (const key of ['ns/p1', 'ns/p2', 'ns/p3', 'ns/p4', 'ns/p5']) q.addPriority(key);
    const order: string[] = [];
    for (let i = 0; i < 4; i++) {
      const key = (await q.get()) ?? '';
      order.push(key);
      q.done(key);
      // Priority work keeps coming while the events wait.
      q.addPriority(`ns/p${6 + i}`);
    }
    expect(order).toEqual(['ns/p1', 'ns/p2', 'ns/e1', 'ns/p3']);
    expect(await drainOrder(q)).toEqual(['ns/p4', 'ns/e2', 'ns/p5', 'ns/p6', 'ns/p7', 'ns/p8', 'ns/p9']);
  });

  it('with the default bound, one event goes after every DEFAULT_MAX_PRIORITY_RUN priority keys', async () => {
    const { q } = queue();
    for (let i = 0; i < 3; i++) q.add(`ns/e${i}`);
    for (let i = 0; i < 3 * DEFAULT_MAX_PRIORITY_RUN; i++) q.addPriority(`ns/p${i}`);
    const order = await drainOrder(q);
    expect(order.map((key) => key.startsWith('ns/e'))).toEqual(
      Array.from({ length: 3 }, () => [...Array.from({ length: DEFAULT_MAX_PRIORITY_RUN }, () => false), true]).flat(),
    );
  });

  it('after shutdown takes no priority keys, and hands out none to waiting workers', async () => {
    const { q } = queue();
    const waiting = q.get();
    q.shutDown();
    q.addPriority('ns/a');
    expect(await waiting).toBeUndefined();
    expect(q.length).toBe(0);
    expect(await q.get()).toBeUndefined();
  });

  it('hands a priority key to a worker already waiting', async () => {
    const { q } = queue();
    const waiting = q.get();
    q.addPriority('ns/a');
    expect(await waiting).toBe('ns/a');
    expect(q.length).toBe(0);
  });
});
