import { describe, expect, it } from 'vitest';
import type { KeyObservation, KeyPlan, ObservedSecret } from './key-plan.js';
import { issuesNewKey, planKey } from './key-plan.js';
import type { SignedKeyRecord } from './key-signing.js';

const NOW = Date.UTC(2026, 0, 1, 12);
const T0 = '2026-01-01T10:00:00.000Z';
const T1 = '2026-01-01T11:00:00.000Z';
const FP = 'sha256:aaaaaaaaaaaa';
const FP2 = 'sha256:bbbbbbbbbbbb';

/** What the operator signed for the key in {@link secret}. */
const SIGNED: SignedKeyRecord = { namespace: 'tenant-acme', serviceAccount: 'ci', ownerUid: 'uid-1', keyId: 'Abc123Abc123', hash: '0'.repeat(64), revision: 0, createdAt: T0, previous: undefined };
const OTHER_KEY = { state: 'ok', keyId: 'Zzz999Zzz999', hash: '1'.repeat(64), fingerprint: FP2 } as const;

function signed(overrides: Partial<SignedKeyRecord> = {}): SignedKeyRecord {
  return { ...SIGNED, ...overrides };
}

function previousUntil(expiresAt: number): SignedKeyRecord['previous'] {
  return { keyId: 'Old000Old000', hash: '2'.repeat(64), expiresAt: new Date(expiresAt).toISOString() };
}

function secret(overrides: Partial<ObservedSecret> = {}): ObservedSecret {
  return {
    ownership: 'this',
    key: { state: 'ok', keyId: 'Abc123Abc123', hash: '0'.repeat(64), fingerprint: FP },
    signed: SIGNED,
    metadataCurrent: true,
    signature: 'valid',
    ...overrides,
  };
}

function observe(overrides: Partial<KeyObservation> = {}): KeyObservation {
  return { now: NOW, desiredRevision: 0, gracePeriodMs: 0, status: { keyId: 'Abc123Abc123', fingerprint: FP, keyCreatedAt: T0, keyRevision: 0 }, secret: secret(), ...overrides };
}

const withPrevious = (expiresAt: number): ObservedSecret =>
  secret({ signed: signed({ previous: previousUntil(expiresAt) }), key: { state: 'ok', keyId: 'Abc123Abc123', hash: '0'.repeat(64), fingerprint: FP, previousKeyHash: '2'.repeat(64) } });

const keep = (extra: { record?: SignedKeyRecord; fixMetadata?: boolean; requeueAfterMs?: number } = {}): KeyPlan => ({ action: 'keep', record: SIGNED, fixMetadata: false, ...extra });

const cases: [string, KeyObservation, KeyPlan][] = [
  ['new account, no Secret: create', observe({ status: {}, secret: undefined }), { action: 'create' }],
  ['Secret written, status lost to a restart: adopt the key', observe({ status: {} }), keep()],
  ['converged: keep, no write', observe(), keep()],
  ['labels, owner or record annotations changed: keep the key, restore metadata', observe({ secret: secret({ metadataCurrent: false }) }), keep({ fixMetadata: true })],
  ['Secret deleted after a key was issued: repair', observe({ secret: undefined }), { action: 'repair', reason: 'SecretDeleted' }],
  ['key unparseable: repair', observe({ secret: secret({ key: { state: 'malformed' } }) }), { action: 'repair', reason: 'KeyAltered' }],
  ['key with a bad checksum: repair', observe({ secret: secret({ key: { state: 'bad-checksum' } }) }), { action: 'repair', reason: 'KeyAltered' }],
  ['apiKey data removed: repair', observe({ secret: secret({ key: { state: 'missing' } }) }), { action: 'repair', reason: 'KeyAltered' }],
  ['valid key swapped in by hand (signature no longer matches): repair', observe({ secret: secret({ key: OTHER_KEY, signature: 'invalid', signed: undefined }) }), { action: 'repair', reason: 'KeyAltered' }],
  [
    'another key the operator signed, not newer than status (a replayed old Secret): repair',
    observe({ secret: secret({ key: OTHER_KEY, signed: signed({ keyId: 'Zzz999Zzz999', hash: '1'.repeat(64), createdAt: T0 }) }) }),
    { action: 'repair', reason: 'KeyAltered' },
  ],
  [
    'newer key the operator wrote before a restart (status stale): keep',
    observe({ secret: secret({ key: OTHER_KEY, signed: signed({ keyId: 'Zzz999Zzz999', hash: '1'.repeat(64), createdAt: T1, revision: 1 }) }), desiredRevision: 1 }),
    keep({ record: signed({ keyId: 'Zzz999Zzz999', hash: '1'.repeat(64), createdAt: T1, revision: 1 }) }),
  ],
  ['revision raised: rotate without grace', observe({ desiredRevision: 1 }), { action: 'rotate', gracePeriodMs: 0, reason: 'Requested' }],
  ['revision raised with a grace period: rotate, keep previous', observe({ desiredRevision: 2, gracePeriodMs: 3_600_000 }), { action: 'rotate', gracePeriodMs: 3_600_000, reason: 'Requested' }],
  ['signed revision above spec (cannot happen: spec never decreases): keep', observe({ desiredRevision: 0, secret: secret({ signed: signed({ revision: 3 }) }) }), keep({ record: signed({ revision: 3 }) })],
  ['new account created with revision 5: create, not rotate', observe({ desiredRevision: 5, status: {}, secret: undefined }), { action: 'create' }],
  ['rotation requested while the key was also altered: repair wins', observe({ desiredRevision: 1, secret: secret({ key: { state: 'bad-checksum' } }) }), { action: 'repair', reason: 'KeyAltered' }],
  ['previous key in its grace period: keep, look again at expiry', observe({ secret: withPrevious(NOW + 5_000) }), keep({ record: signed({ previous: previousUntil(NOW + 5_000) }), requeueAfterMs: 5_000 })],
  ['previous key expired: cleanup', observe({ secret: withPrevious(NOW) }), { action: 'cleanup-expired-previous', record: signed({ previous: previousUntil(NOW) }) }],
  [
    'previous hash the signed record does not name: cleanup',
    observe({ secret: secret({ key: { state: 'ok', keyId: 'Abc123Abc123', fingerprint: FP, previousKeyHash: '2'.repeat(64) } }) }),
    { action: 'cleanup-expired-previous', record: SIGNED },
  ],
  ['rotation during a grace period: rotate', observe({ desiredRevision: 1, secret: withPrevious(NOW + 5_000) }), { action: 'rotate', gracePeriodMs: 0, reason: 'Requested' }],
  // T0 is 2 h before NOW.
  ['key older than every: scheduled rotation, with the grace period', observe({ everyMs: 7_200_000, gracePeriodMs: 60_000 }), { action: 'rotate', gracePeriodMs: 60_000, reason: 'Scheduled' }],
  ['key younger than every: keep, look again when it is due', observe({ everyMs: 3 * 3_600_000 }), keep({ requeueAfterMs: 3_600_000 })],
  [
    'grace period ends before the next rotation: look again then',
    observe({ everyMs: 3 * 3_600_000, secret: withPrevious(NOW + 5_000) }),
    keep({ record: signed({ previous: previousUntil(NOW + 5_000) }), requeueAfterMs: 5_000 }),
  ],
  ['a raised revision wins over the schedule', observe({ everyMs: 60_000, desiredRevision: 1 }), { action: 'rotate', gracePeriodMs: 0, reason: 'Requested' }],
  ["someone else's Secret with our name: conflict", observe({ secret: secret({ ownership: 'foreign' }) }), { action: 'conflict' }],
  ['leftover of an earlier account with the same name: create', observe({ status: {}, secret: secret({ ownership: 'stale' }) }), { action: 'create' }],
  ['leftover after this account had a key: repair', observe({ secret: secret({ ownership: 'stale' }) }), { action: 'repair', reason: 'SecretDeleted' }],
  ['a key the operator did not sign (planted) with its own id: repair', observe({ secret: secret({ signature: 'invalid', signed: undefined, key: OTHER_KEY }) }), { action: 'repair', reason: 'KeyAltered' }],
  // Issue 22: a wrong signature always means a new key, even over exactly the key status records.
  ['wrong signature over the key status records (an annotation edited, or the signing key lost): repair', observe({ secret: secret({ signature: 'invalid', signed: undefined, metadataCurrent: false }) }), { action: 'repair', reason: 'KeyAltered' }],
  [
    'wrong signature with a revision bump pending: repair (a new key either way)',
    observe({ desiredRevision: 7, secret: secret({ signature: 'invalid', signed: undefined }) }),
    { action: 'repair', reason: 'KeyAltered' },
  ],
  ['valid signature without its record (cannot happen): repair', observe({ secret: secret({ signed: undefined }) }), { action: 'repair', reason: 'KeyAltered' }],
  [
    'a planted key with a forged later issue time: still repair',
    observe({ secret: secret({ signature: 'invalid', signed: undefined, key: OTHER_KEY }), desiredRevision: 1 }),
    { action: 'repair', reason: 'KeyAltered' },
  ],
  [
    'unsigned (written before signatures), the key status records: sign from status',
    observe({ status: { keyId: 'Abc123Abc123', fingerprint: FP, keyCreatedAt: T0, keyRevision: 4 }, secret: secret({ signature: 'missing', signed: undefined, metadataCurrent: false }) }),
    { action: 'sign-from-status', revision: 4, createdAt: T0 },
  ],
  [
    'unsigned, status without a revision: sign from status as revision 0 (a later bump rotates)',
    observe({ status: { keyId: 'Abc123Abc123', fingerprint: FP, keyCreatedAt: T0 }, secret: secret({ signature: 'missing', signed: undefined }) }),
    { action: 'sign-from-status', revision: 0, createdAt: T0 },
  ],
  ['unsigned, status without an issue time: repair', observe({ status: { keyId: 'Abc123Abc123', fingerprint: FP }, secret: secret({ signature: 'missing', signed: undefined }) }), { action: 'repair', reason: 'KeyAltered' }],
  ['unsigned, another key than status records: repair', observe({ secret: secret({ signature: 'missing', signed: undefined, key: OTHER_KEY }) }), { action: 'repair', reason: 'KeyAltered' }],
  ['unsigned and no key in status: repair', observe({ status: {}, secret: secret({ signature: 'missing', signed: undefined }) }), { action: 'repair', reason: 'KeyAltered' }],
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

  it('raising the revision always rotates, whatever revision the Secret shows (only the signed one counts)', () => {
    for (const desiredRevision of [1, 2, 1000, 2 ** 53 - 2]) {
      expect(planKey(observe({ desiredRevision, secret: secret({ signed: signed({ revision: desiredRevision - 1 }) }) }))).toMatchObject({ action: 'rotate', reason: 'Requested' });
    }
  });
});
