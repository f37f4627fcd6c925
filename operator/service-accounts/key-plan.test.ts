import { describe, expect, it } from 'vitest';
import type { KeyObservation, KeyPlan, ObservedSecret } from './key-plan.js';
import { issuesNewKey, planKey } from './key-plan.js';

const NOW = Date.UTC(2026, 0, 1, 12);
const T0 = '2026-01-01T10:00:00.000Z';
const T1 = '2026-01-01T11:00:00.000Z';
const FP = 'sha256:aaaaaaaaaaaa';
const FP2 = 'sha256:bbbbbbbbbbbb';

function secret(overrides: Partial<ObservedSecret> = {}): ObservedSecret {
  return {
    ownership: 'this',
    key: { state: 'ok', keyId: 'Abc123Abc123', hash: '0'.repeat(64), fingerprint: FP },
    recordedFingerprint: FP,
    revision: 0,
    createdAt: T0,
    previousExpiresAt: undefined,
    metadataCurrent: true,
    signature: 'valid',
    ...overrides,
  };
}

function observe(overrides: Partial<KeyObservation> = {}): KeyObservation {
  return { now: NOW, desiredRevision: 0, gracePeriodMs: 0, status: { keyId: 'Abc123Abc123', fingerprint: FP, keyCreatedAt: T0 }, secret: secret(), ...overrides };
}

const cases: [string, KeyObservation, KeyPlan][] = [
  ['new account, no Secret: create', observe({ status: {}, secret: undefined }), { action: 'create' }],
  ['Secret written, status lost to a restart: adopt the key', observe({ status: {} }), { action: 'keep', fixMetadata: false }],
  ['converged: keep, no write', observe(), { action: 'keep', fixMetadata: false }],
  ['labels or owner removed: keep the key, restore metadata', observe({ secret: secret({ metadataCurrent: false }) }), { action: 'keep', fixMetadata: true }],
  ['Secret deleted after a key was issued: repair', observe({ secret: undefined }), { action: 'repair', reason: 'SecretDeleted' }],
  ['key unparseable: repair', observe({ secret: secret({ key: { state: 'malformed' } }) }), { action: 'repair', reason: 'KeyAltered' }],
  ['key with a bad checksum: repair', observe({ secret: secret({ key: { state: 'bad-checksum' } }) }), { action: 'repair', reason: 'KeyAltered' }],
  ['apiKey data removed: repair', observe({ secret: secret({ key: { state: 'missing' } }) }), { action: 'repair', reason: 'KeyAltered' }],
  [
    'valid key swapped in by hand (fingerprint annotation left): repair',
    observe({ secret: secret({ key: { state: 'ok', keyId: 'Zzz999Zzz999', hash: '1'.repeat(64), fingerprint: FP2 } }) }),
    { action: 'repair', reason: 'KeyAltered' },
  ],
  [
    'key and fingerprint annotation swapped, not newer than status: repair',
    observe({ secret: secret({ key: { state: 'ok', keyId: 'Zzz999Zzz999', fingerprint: FP2 }, recordedFingerprint: FP2 }) }),
    { action: 'repair', reason: 'KeyAltered' },
  ],
  [
    'newer key the operator wrote before a restart (status stale): keep',
    observe({ secret: secret({ key: { state: 'ok', keyId: 'Zzz999Zzz999', fingerprint: FP2 }, recordedFingerprint: FP2, createdAt: T1, revision: 1 }), desiredRevision: 1 }),
    { action: 'keep', fixMetadata: false },
  ],
  ['revision raised: rotate without grace', observe({ desiredRevision: 1 }), { action: 'rotate', gracePeriodMs: 0, reason: 'Requested' }],
  ['revision raised with a grace period: rotate, keep previous', observe({ desiredRevision: 2, gracePeriodMs: 3_600_000 }), { action: 'rotate', gracePeriodMs: 3_600_000, reason: 'Requested' }],
  ['revision lowered (restore from backup): keep', observe({ desiredRevision: 0, secret: secret({ revision: 3 }) }), { action: 'keep', fixMetadata: false }],
  ['new account created with revision 5: create, not rotate', observe({ desiredRevision: 5, status: {}, secret: undefined }), { action: 'create' }],
  ['rotation requested while the key was also altered: repair wins', observe({ desiredRevision: 1, secret: secret({ key: { state: 'bad-checksum' } }) }), { action: 'repair', reason: 'KeyAltered' }],
  ['previous key in its grace period: keep, look again at expiry', observe({ secret: secret({ previousExpiresAt: NOW + 5_000 }) }), { action: 'keep', fixMetadata: false, requeueAfterMs: 5_000 }],
  ['previous key expired: cleanup', observe({ secret: secret({ previousExpiresAt: NOW }) }), { action: 'cleanup-expired-previous' }],
  [
    'previous hash without an expiry: cleanup',
    observe({ secret: secret({ key: { state: 'ok', keyId: 'Abc123Abc123', fingerprint: FP, previousKeyHash: '2'.repeat(64) } }) }),
    { action: 'cleanup-expired-previous' },
  ],
  ['rotation during a grace period: rotate', observe({ desiredRevision: 1, secret: secret({ previousExpiresAt: NOW + 5_000 }) }), { action: 'rotate', gracePeriodMs: 0, reason: 'Requested' }],
  // T0 is 2 h before NOW.
  ['key older than every: scheduled rotation, with the grace period', observe({ everyMs: 7_200_000, gracePeriodMs: 60_000 }), { action: 'rotate', gracePeriodMs: 60_000, reason: 'Scheduled' }],
  ['key younger than every: keep, look again when it is due', observe({ everyMs: 3 * 3_600_000 }), { action: 'keep', fixMetadata: false, requeueAfterMs: 3_600_000 }],
  [
    'grace period ends before the next rotation: look again then',
    observe({ everyMs: 3 * 3_600_000, secret: secret({ previousExpiresAt: NOW + 5_000, key: { state: 'ok', keyId: 'Abc123Abc123', fingerprint: FP, previousKeyHash: '2'.repeat(64) } }) }),
    { action: 'keep', fixMetadata: false, requeueAfterMs: 5_000 },
  ],
  ['a raised revision wins over the schedule', observe({ everyMs: 60_000, desiredRevision: 1 }), { action: 'rotate', gracePeriodMs: 0, reason: 'Requested' }],
  ['someone else\'s Secret with our name: conflict', observe({ secret: secret({ ownership: 'foreign' }) }), { action: 'conflict' }],
  ['leftover of an earlier account with the same name: create', observe({ status: {}, secret: secret({ ownership: 'stale' }) }), { action: 'create' }],
  ['leftover after this account had a key: repair', observe({ secret: secret({ ownership: 'stale' }) }), { action: 'repair', reason: 'SecretDeleted' }],
  [
    'a key the operator did not sign (planted) with its own id: repair',
    observe({ secret: secret({ signature: 'invalid', key: { state: 'ok', keyId: 'Zzz999Zzz999', fingerprint: FP2 }, recordedFingerprint: FP2 }) }),
    { action: 'repair', reason: 'KeyAltered' },
  ],
  [
    'signed with another signing key (lost and made again) but exactly the recorded key: keep and sign again',
    observe({ secret: secret({ signature: 'invalid', metadataCurrent: false }) }),
    { action: 'keep', fixMetadata: true },
  ],
  [
    'a planted key with matching annotations and a later issue time: still repair',
    observe({ secret: secret({ signature: 'invalid', key: { state: 'ok', keyId: 'Zzz999Zzz999', fingerprint: FP2 }, recordedFingerprint: FP2, createdAt: T1, revision: 1 }), desiredRevision: 1 }),
    { action: 'repair', reason: 'KeyAltered' },
  ],
  ['unsigned (written before signatures), the key status records: keep and sign', observe({ secret: secret({ signature: 'missing', metadataCurrent: false }) }), { action: 'keep', fixMetadata: true }],
  [
    'unsigned with a later issue time than status: not trusted, repair',
    observe({ secret: secret({ signature: 'missing', key: { state: 'ok', keyId: 'Zzz999Zzz999', fingerprint: FP2 }, recordedFingerprint: FP2, createdAt: T1 }) }),
    { action: 'repair', reason: 'KeyAltered' },
  ],
];

describe('planKey', () => {
  it.each(cases)('%s', (_name, observation, expected) => {
    expect(planKey(observation)).toEqual(expected);
  });

  it('issues a new key only for create, repair and rotate', () => {
    expect(cases.filter(([, o]) => issuesNewKey(planKey(o))).map(([, , p]) => p.action)).toEqual(
      cases.map(([, , p]) => p.action).filter((a) => a === 'create' || a === 'repair' || a === 'rotate'),
    );
  });
});
