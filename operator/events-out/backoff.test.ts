import { describe, expect, it } from 'vitest';
import { exponentialRateLimiter } from '../runtime/rate-limiter.js';
import { WEBHOOK_BACKOFF } from './feature.js';

describe('the webhook backoff', () => {
  it('doubles from 1 s up to 5 min between tries', () => {
    const backoff = exponentialRateLimiter({ ...WEBHOOK_BACKOFF, random: () => 0 });
    expect(Array.from({ length: 11 }, () => backoff.when('k'))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000]);
  });
  it('takes up to half of each delay off at random, so tenants that failed together do not retry together', () => {
    const low = exponentialRateLimiter({ ...WEBHOOK_BACKOFF, random: () => 1 - Number.EPSILON });
    expect([low.when('k'), low.when('k'), low.when('k')]).toEqual([500, 1_000, 2_000]);
  });
  it('starts again at 1 s once a delivery went through', () => {
    const backoff = exponentialRateLimiter({ ...WEBHOOK_BACKOFF, random: () => 0 });
    backoff.when('k');
    backoff.when('k');
    backoff.forget('k');
    expect(backoff.when('k')).toBe(1_000);
    expect(backoff.when('other')).toBe(1_000);
  });
});
