import { describe, expect, it } from 'vitest';
import { ManualClock } from '../runtime/clock.js';
import { ClientRateLimiter } from './client-rate-limiter.js';

describe('ClientRateLimiter', () => {
  it('allows a burst, then refills at the configured rate, per client', async () => {
    const clock = new ManualClock();
    const limiter = new ClientRateLimiter({ clock, burst: 3, refillPerSecond: 0.5 });
    expect([1, 2, 3].map(() => limiter.take('a').allowed)).toEqual([true, true, true]);
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 2 });
    expect(limiter.take('b').allowed).toBe(true);
    await clock.advance(2_000);
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
  });

  it('never stores more than maxClients buckets', () => {
    const limiter = new ClientRateLimiter({ clock: new ManualClock(), maxClients: 100 });
    for (let i = 0; i < 1000; i++) limiter.take(`10.0.${Math.floor(i / 256)}.${i % 256}`);
    expect(limiter.size).toBe(100);
  });
});

describe('ClientRateLimiter.check', () => {
  it('answers what take would, without taking or remembering the client', () => {
    const limiter = new ClientRateLimiter({ clock: new ManualClock(), burst: 1, refillPerSecond: 0.5 });
    expect(limiter.check('a')).toEqual({ allowed: true });
    expect(limiter.check('a')).toEqual({ allowed: true });
    expect(limiter.size).toBe(0);
    expect(limiter.take('a')).toEqual({ allowed: true });
    expect(limiter.check('a')).toEqual({ allowed: false, retryAfterSeconds: 2 });
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 2 });
  });
});

describe('ClientRateLimiter with a clock that steps back', () => {
  it('refills nothing for the step back and does not drain the bucket', () => {
    let now = 1_000_000;
    const limiter = new ClientRateLimiter({ clock: { now: () => now, setTimer: () => ({ cancel() {} }) }, burst: 2, refillPerSecond: 1 });
    expect(limiter.take('a')).toEqual({ allowed: true });
    now -= 60_000;
    expect(limiter.take('a')).toEqual({ allowed: true });
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });
});
