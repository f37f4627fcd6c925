import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { ReviewLimiter, ReviewThrottledError } from './review-limiter.js';

/** Starts `n` reviews that finish only when released; what each came to. */
function start(limiter: ReviewLimiter, n: number) {
  const releases: (() => void)[] = [];
  const outcomes = Array.from({ length: n }, () =>
    limiter
      .run(() => new Promise<string>((resolve) => releases.push(() => resolve('done'))))
      .catch((e: unknown) => (e instanceof ReviewThrottledError ? `throttled ${e.retryAfterSeconds}s` : 'failed')),
  );
  return { releases, outcomes };
}
const tick = () => new Promise((resolve) => setImmediate(resolve));

const cases: { name: string; options: { maxConcurrent: number; maxQueued: number; burst: number; perSecond: number }; n: number; expected: string[]; load: { running: number; waiting: number } }[] = [
  { name: 'within every bound: all run', options: { maxConcurrent: 4, maxQueued: 4, burst: 10, perSecond: 1 }, n: 3, expected: ['done', 'done', 'done'], load: { running: 3, waiting: 0 } },
  { name: 'past the slots: the next wait', options: { maxConcurrent: 2, maxQueued: 4, burst: 10, perSecond: 1 }, n: 5, expected: Array(5).fill('done'), load: { running: 2, waiting: 3 } },
  { name: 'past slots and queue: refused at once', options: { maxConcurrent: 2, maxQueued: 1, burst: 10, perSecond: 1 }, n: 5, expected: ['done', 'done', 'done', 'throttled 1s', 'throttled 1s'], load: { running: 2, waiting: 1 } },
  { name: 'past the burst: refused, Retry-After from the refill rate', options: { maxConcurrent: 10, maxQueued: 10, burst: 2, perSecond: 0.25 }, n: 4, expected: ['done', 'done', 'throttled 4s', 'throttled 4s'], load: { running: 2, waiting: 0 } },
  { name: 'no queue at all', options: { maxConcurrent: 1, maxQueued: 0, burst: 10, perSecond: 1 }, n: 2, expected: ['done', 'throttled 1s'], load: { running: 1, waiting: 0 } },
];

describe('ReviewLimiter', () => {
  it.each(cases)('$name', async ({ options, n, expected, load }) => {
    const limiter = new ReviewLimiter({ ...options, clock: new ManualClock() });
    const { releases, outcomes } = start(limiter, n);
    await tick();
    expect(limiter.load).toEqual(load);
    for (let i = 0; i < n; i++) {
      releases.shift()?.();
      await tick();
    }
    expect(await Promise.all(outcomes)).toEqual(expected);
    expect(limiter.load).toEqual({ running: 0, waiting: 0 });
    expect(limiter.counts).toEqual({ started: expected.filter((o) => o === 'done').length, throttled: expected.filter((o) => o !== 'done').length });
  });

  it('refills the burst at perSecond, and never more than the burst', async () => {
    const clock = new ManualClock();
    const limiter = new ReviewLimiter({ clock, burst: 2, perSecond: 2, maxConcurrent: 100, maxQueued: 0 });
    const run = () => limiter.run(() => Promise.resolve('done')).catch(() => 'throttled');
    expect(await Promise.all([run(), run(), run()])).toEqual(['done', 'done', 'throttled']);
    await clock.advance(500);
    expect(await Promise.all([run(), run()])).toEqual(['done', 'throttled']);
    await clock.advance(60_000);
    expect(await Promise.all([run(), run(), run()])).toEqual(['done', 'done', 'throttled']);
  });

  it('never runs more than maxConcurrent, even when new reviews arrive as one finishes', async () => {
    const limiter = new ReviewLimiter({ clock: new ManualClock(), maxConcurrent: 2, maxQueued: 100, burst: 1_000 });
    let running = 0;
    let most = 0;
    const review = async () => {
      most = Math.max(most, ++running);
      await tick();
      running--;
    };
    await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 5 === 0 ? tick().then(() => limiter.run(review)) : limiter.run(review))));
    expect(most).toBe(2);
  });

  it('frees the slot of a review that fails', async () => {
    const limiter = new ReviewLimiter({ clock: new ManualClock(), maxConcurrent: 1, maxQueued: 0 });
    await expect(limiter.run(() => Promise.reject(new Error('API server down')))).rejects.toThrow('API server down');
    await expect(limiter.run(() => Promise.resolve('ok'))).resolves.toBe('ok');
  });
});
