import { describe, expect, it } from 'vitest';
import { requestPath } from './http-server.js';

/** What the URL parser makes of a request target (the slow path, and the reference). */
function viaUrl(target: string): string | undefined {
  try {
    return new URL(target, 'http://localhost').pathname;
  } catch {
    return undefined;
  }
}

describe('requestPath', () => {
  it('returns plain paths as they are and parses everything else, always as the URL parser would', () => {
    const samples = ['/', '/api/v1/authorize', '/api/v1/authorize/', '/metrics', '/a.b/c-d_e', '/...', '', 'x', '//evil/x', '/a/../b', '/a/./b', '/a//b', '/%2e%2e/x', '/a?b=c', '/a#b', '/a\\b', '/ a', 'http://[', '/é'];
    for (const target of samples) expect(requestPath(target), target).toBe(viaUrl(target));
    expect(requestPath(undefined)).toBe('/');
  });

  it('agrees with the URL parser on random targets', () => {
    const alphabet = ['/', 'a', 'Z', '9', '.', '..', '-', '_', '%', '%2e', '?', '#', '\\', ' ', '//', ':', '@'];
    let seed = 12345;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 20_000; i++) {
      let target = next(10) < 7 ? '/' : '';
      for (let j = 0, n = 1 + next(8); j < n; j++) target += alphabet[next(alphabet.length)];
      expect(requestPath(target), target).toBe(viaUrl(target));
    }
  });
});
