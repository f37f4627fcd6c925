import { describe, expect, it } from 'vitest';
import type { ServiceAccount } from '../api/index.js';
import { ManualClock } from '../runtime/clock.js';
import { ApiError } from '../runtime/errors.js';
import type { KubeObject } from '../runtime/kinds.js';
import { createLogger } from '../runtime/logger.js';
import { KeyUsageRecorder, unusedExpiry, usageWriteDue } from './key-usage.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 0, 1);
const iso = (ms: number): string => new Date(ms).toISOString();

describe('usageWriteDue (the write budget: once an interval per key)', () => {
  it.each([
    ['never recorded', undefined, T0, true],
    ['recorded a minute ago', iso(T0 - 60_000), T0, false],
    ['recorded 59m59s ago', iso(T0 - HOUR + 1000), T0, false],
    ['recorded exactly an hour ago', iso(T0 - HOUR), T0, true],
    ['recorded a day ago', iso(T0 - DAY), T0, true],
    ['recorded in the future (clock skew): never moves back', iso(T0 + HOUR), T0, false],
    ['unreadable record', 'yesterday', T0, true],
  ] as const)('%s → %s', (_what, recorded, usedAt, due) => {
    expect(usageWriteDue(recorded, usedAt, HOUR)).toBe(due);
  });
});

describe('unusedExpiry', () => {
  const E = 90 * DAY;
  it.each([
    ['no expireUnusedAfter: never', { lastUsedAt: undefined, createdAt: iso(T0 - 400 * DAY), expireUnusedAfterMs: undefined, now: T0 }, false, undefined],
    ['never used, issued 89 days ago', { lastUsedAt: undefined, createdAt: iso(T0 - 89 * DAY), expireUnusedAfterMs: E, now: T0 }, false, T0 + DAY],
    ['never used, issued 90 days ago', { lastUsedAt: undefined, createdAt: iso(T0 - E), expireUnusedAfterMs: E, now: T0 }, true, T0],
    ['used 10 days ago, issued 200 days ago', { lastUsedAt: iso(T0 - 10 * DAY), createdAt: iso(T0 - 200 * DAY), expireUnusedAfterMs: E, now: T0 }, false, T0 + 80 * DAY],
    ['used 91 days ago', { lastUsedAt: iso(T0 - 91 * DAY), createdAt: iso(T0 - 200 * DAY), expireUnusedAfterMs: E, now: T0 }, true, T0 - DAY],
    ['a stale lastUsedAt older than the key counts from the issue', { lastUsedAt: iso(T0 - 300 * DAY), createdAt: iso(T0 - DAY), expireUnusedAfterMs: E, now: T0 }, false, T0 + 89 * DAY],
    ['no times at all: never', { lastUsedAt: undefined, createdAt: undefined, expireUnusedAfterMs: E, now: T0 }, false, undefined],
  ] as const)('%s', (_what, input, expired, at) => {
    expect(unusedExpiry(input)).toEqual({ expired, at });
  });
});

type SA = ServiceAccount & KubeObject;

/** An account whose status the fake API server below keeps, resourceVersion-checked like the real one. */
function fixture(options: { conflictFirst?: number; failFirst?: number } = {}) {
  const clock = new ManualClock(T0);
  let sa: SA = {
    apiVersion: 'accounts.blinkops.com/v1alpha1',
    kind: 'ServiceAccount',
    metadata: { namespace: 'ns', name: 'ci', uid: 'u1', resourceVersion: '1' },
    spec: { role: 'Builder' },
    status: { keyId: 'KEY1', keyCreatedAt: iso(T0 - DAY), previousKeyId: 'KEY0' },
  };
  const patches: unknown[] = [];
  let conflicts = options.conflictFirst ?? 0;
  let failures = options.failFirst ?? 0;
  let attempts = 0;
  const client = {
    async patch<T extends KubeObject>(_kind: unknown, _ns: string | undefined, _name: string, body: unknown): Promise<T> {
      const b = body as { metadata: { resourceVersion: string }; status: Record<string, string> };
      attempts += 1;
      if (failures > 0) {
        failures -= 1;
        throw new ApiError('forbidden', 403, 'Forbidden');
      }
      if (conflicts > 0 || b.metadata.resourceVersion !== sa.metadata?.resourceVersion) {
        conflicts -= 1;
        sa = { ...sa, metadata: { ...sa.metadata, resourceVersion: String(Number(sa.metadata?.resourceVersion) + 1) } };
        throw new ApiError('the object has been modified', 409, 'Conflict');
      }
      patches.push(b.status);
      sa = { ...sa, metadata: { ...sa.metadata, resourceVersion: String(Number(sa.metadata?.resourceVersion) + 1) }, status: { ...sa.status, ...b.status } as NonNullable<SA['status']> };
      return sa as unknown as T;
    },
  };
  const recorder = new KeyUsageRecorder({ client, serviceAccount: () => sa, clock, log: createLogger({ level: 'silent' }), intervalMs: HOUR });
  return { clock, recorder, patches, current: () => sa, attempts: () => attempts };
}

describe('KeyUsageRecorder', () => {
  it('writes one status patch per key per hour however many authentications there are', async () => {
    const { clock, recorder, patches, current } = fixture();
    // Three hours of an authentication every second.
    for (let s = 0; s < 3 * 3600; s++) {
      recorder.note('ns', 'ci', 'KEY1', clock.now());
      await clock.advance(1000);
    }
    expect(patches).toEqual([{ keyLastUsedAt: '2026-01-01T00:00:00Z' }, { keyLastUsedAt: '2026-01-01T01:00:00Z' }, { keyLastUsedAt: '2026-01-01T02:00:00Z' }]);
    expect(current().status?.keyLastUsedAt).toBe('2026-01-01T02:00:00Z');
  });

  it('records the previous key in its own field, and nothing for a key status no longer names', async () => {
    const { clock, recorder, patches } = fixture();
    recorder.note('ns', 'ci', 'KEY0', clock.now());
    recorder.note('ns', 'ci', 'GONE', clock.now());
    await clock.advance(10);
    expect(patches).toEqual([{ previousKeyLastUsedAt: '2026-01-01T00:00:00Z' }]);
  });

  it('after a conflict looks again at the refreshed account and writes once', async () => {
    const { clock, recorder, patches } = fixture({ conflictFirst: 1 });
    recorder.note('ns', 'ci', 'KEY1', clock.now());
    await clock.advance(10);
    expect(patches).toHaveLength(0);
    for (let i = 0; i < 50; i++) recorder.note('ns', 'ci', 'KEY1', clock.now());
    await clock.advance(2000);
    expect(patches).toEqual([{ keyLastUsedAt: '2026-01-01T00:00:00Z' }]);
  });

  it('after a failed write tries again on a later use, but not on every use (at most one attempt per retry delay)', async () => {
    const { clock, recorder, patches, attempts } = fixture({ failFirst: 3 });
    // 10 s of 100 authentications a second: the refused write is tried again once a second (retryDelayMs), not 1,000 times.
    for (let i = 0; i < 1000; i++) {
      recorder.note('ns', 'ci', 'KEY1', clock.now());
      await clock.advance(10);
    }
    expect(attempts()).toBe(4);
    expect(patches).toEqual([{ keyLastUsedAt: '2026-01-01T00:00:03Z' }]);
  });

  it('does not write when another replica recorded the same hour already', async () => {
    const { clock, recorder, patches, current } = fixture();
    current().status = { ...current().status, keyLastUsedAt: '2026-01-01T00:00:00Z' } as NonNullable<SA['status']>;
    await clock.advance(30 * 60_000);
    recorder.note('ns', 'ci', 'KEY1', clock.now());
    await clock.advance(10);
    expect(patches).toHaveLength(0);
  });
});
