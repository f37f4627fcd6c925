import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KEY_SIGNING_SECRET } from '../service-accounts/key-signing.js';
import { RECORD_SIGNING_SECRET, signCanonical, verifyCanonical } from './record-signing.js';

describe('record signing', () => {
  const key = randomBytes(32);

  it('verifies what it signed and nothing else', () => {
    const signature = signCanonical(key, ['kind/v1', 'a', 1]);
    expect(signature).toMatch(/^v1\.[0-9a-f]{64}$/);
    expect(verifyCanonical(key, ['kind/v1', 'a', 1], signature)).toBe(true);
    expect(verifyCanonical(key, ['kind/v1', 'a', 2], signature)).toBe(false);
    expect(verifyCanonical(key, ['other/v1', 'a', 1], signature)).toBe(false);
    expect(verifyCanonical(randomBytes(32), ['kind/v1', 'a', 1], signature)).toBe(false);
    expect(verifyCanonical(key, ['kind/v1', 'a', 1], undefined)).toBe(false);
    expect(verifyCanonical(key, ['kind/v1', 'a', 1], `${signature}0`)).toBe(false);
  });

  it('uses the one signing key of API-key Secrets (no second key scheme)', () => {
    expect(RECORD_SIGNING_SECRET).toBe(KEY_SIGNING_SECRET);
  });
});
