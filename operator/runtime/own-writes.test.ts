import { describe, expect, it } from 'vitest';
import { OwnWrites } from './own-writes.js';

describe('OwnWrites', () => {
  it('knows a cached version its own writes replaced (finalizer 1 → 2, status 2 → 3) until the cache shows another', () => {
    const own = new OwnWrites();
    own.wrote('ns/a', '1', '2');
    own.wrote('ns/a', '2', '3');
    expect(own.behind('ns/a', '1')).toBe(true);
    expect(own.behind('ns/a', '2')).toBe(true);
    expect(own.behind('ns/b', '2')).toBe(false);
    expect(own.behind('ns/a', '3')).toBe(false);
    expect(own.size).toBe(0);
    // Forgotten: the same old version is no longer taken for a lagging cache.
    expect(own.behind('ns/a', '2')).toBe(false);
  });

  it('notes no write that changed nothing (no watch event would follow) or whose versions are unknown', () => {
    const own = new OwnWrites();
    own.wrote('ns/a', '5', '5');
    own.wrote('ns/a', undefined, '6');
    own.wrote('ns/a', '6', undefined);
    expect(own.behind('ns/a', '5')).toBe(false);
    expect(own.behind('ns/a', '6')).toBe(false);
    expect(own.size).toBe(0);
  });

  it('takes a version written by someone else for a cache that caught up, and forgets a deleted object', () => {
    const own = new OwnWrites();
    own.wrote('ns/a', '1', '2');
    expect(own.behind('ns/a', '7')).toBe(false);
    own.wrote('ns/b', '1', '2');
    own.forget('ns/b');
    expect(own.behind('ns/b', '1')).toBe(false);
  });

  it('keeps a bounded number of versions per object', () => {
    const own = new OwnWrites();
    for (let v = 1; v <= 20; v++) own.wrote('ns/a', String(v), String(v + 1));
    expect(own.behind('ns/a', '1')).toBe(false);
    own.wrote('ns/a', '30', '31');
    expect(own.behind('ns/a', '30')).toBe(true);
  });
});
