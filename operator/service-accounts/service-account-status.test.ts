import { describe, expect, it } from 'vitest';
import type { ServiceAccountStatus } from '../api/index.js';
import type { StatusInputs } from './service-account-status.js';
import { effectiveWorkspaces } from '../policy/index.js';
import { desiredStatus, missingWorkspaces, serviceAccountTransitions } from './service-account-status.js';

const NOW = Date.UTC(2026, 0, 1, 12);
const KEY = { keyId: 'Abc123Abc123', fingerprint: 'sha256:aaaaaaaaaaaa', revision: 0, createdAt: '2026-01-01T10:00:00.000Z' };

function inputs(overrides: Partial<StatusInputs> = {}): StatusInputs {
  return { generation: 2, current: undefined, role: 'Builder', listedWorkspaces: ['a'], existingWorkspaces: ['a', 'b'], secretName: 'ci-api-key', key: KEY, now: NOW, ...overrides };
}

function condition(status: ServiceAccountStatus, type: string): [string | undefined, string | undefined] {
  const c = status.conditions?.find((x) => x.type === type);
  return [c?.status, c?.reason];
}

describe('effectiveWorkspaces', () => {
  it.each([
    ['Admin', ['x'], ['b', 'a'], ['a', 'b']],
    ['Builder', ['b', 'zz'], ['a', 'b'], ['b']],
    ['Consumer', [], ['a'], []],
    ['Builder', ['a', 'a'], ['a'], ['a']],
  ] as const)('%s listing %j with %j existing acts in %j', (role, listed, existing, expected) => {
    expect(effectiveWorkspaces(role, listed, existing)).toEqual(expected);
  });

  it('lists missing workspaces sorted', () => {
    expect(missingWorkspaces(['z', 'a', 'b'], ['b'])).toEqual(['a', 'z']);
  });
});

describe('desiredStatus', () => {
  it.each<[string, Partial<StatusInputs>, Record<string, [string, string]>]>([
    ['key issued, references resolved', {}, { KeyIssued: ['True', 'KeyIssued'], ReferencesResolved: ['True', 'AllReferencesResolved'], Ready: ['True', 'Ready'] }],
    ['missing workspace', { listedWorkspaces: ['a', 'nope'] }, { KeyIssued: ['True', 'KeyIssued'], ReferencesResolved: ['False', 'MissingReferences'], Ready: ['False', 'MissingReferences'] }],
    [
      'not in a tenant namespace',
      { key: { reason: 'NotInTenantNamespace', message: 'no tenant' } },
      { KeyIssued: ['False', 'NotInTenantNamespace'], Ready: ['False', 'NotInTenantNamespace'] },
    ],
    ['Secret name taken', { key: { reason: 'SecretConflict', message: 'taken' } }, { KeyIssued: ['False', 'SecretConflict'], Ready: ['False', 'SecretConflict'] }],
  ])('%s', (_name, overrides, expected) => {
    const status = desiredStatus(inputs(overrides));
    for (const [type, value] of Object.entries(expected)) expect(condition(status, type)).toEqual(value);
  });

  it('reports the key, never more than its id and fingerprint', () => {
    const status = desiredStatus(inputs());
    expect(status).toMatchObject({ secretName: 'ci-api-key', keyId: KEY.keyId, fingerprint: KEY.fingerprint, keyCreatedAt: KEY.createdAt, keyRevision: 0, workspaces: ['a'], observedGeneration: 2 });
    expect(Object.keys(status).sort()).toEqual(['conditions', 'fingerprint', 'keyCreatedAt', 'keyId', 'keyRevision', 'observedGeneration', 'role', 'secretName', 'workspaces']);
  });

  it('is stable: deriving it again from itself changes nothing (no write)', () => {
    const first = desiredStatus(inputs());
    const again = desiredStatus(inputs({ current: first, now: NOW + 60_000 }));
    expect(again).toEqual(first);
  });

  it('shows the next scheduled rotation and the key the restart targets got', () => {
    const status = desiredStatus(inputs({ nextRotationAt: Date.parse(KEY.createdAt) + 3_600_000, rolledOutKeyId: 'Abc123Abc123' }));
    expect(status).toMatchObject({ nextRotationAt: '2026-01-01T11:00:00Z', rolledOutKeyId: 'Abc123Abc123' });
  });

  it('sets RolloutRestarted after a restart, keeps it while targets remain, drops it without targets', () => {
    const failed = desiredStatus(inputs({ hasRestartTargets: true, rollout: { status: 'False', reason: 'RestartFailed', message: 'Could not restart deployment/api' } }));
    expect(condition(failed, 'RolloutRestarted')).toEqual(['False', 'RestartFailed']);
    expect(condition(desiredStatus(inputs({ current: failed, hasRestartTargets: true })), 'RolloutRestarted')).toEqual(['False', 'RestartFailed']);
    expect(condition(desiredStatus(inputs({ current: failed, hasRestartTargets: false })), 'RolloutRestarted')).toEqual([undefined, undefined]);
  });
});

describe('last use, expiry and history in status', () => {
  const used = { keyId: KEY.keyId, keyLastUsedAt: '2026-01-01T11:00:00Z', previousKeyId: 'Old111Old111', previousKeyLastUsedAt: '2026-01-01T09:00:00Z' };

  it('carries the last uses of the keys that are still there, and drops them with their key', () => {
    const current = used as ServiceAccountStatus;
    expect(desiredStatus(inputs({ current, previousKey: { keyId: 'Old111Old111', expiresAt: '2026-01-02T00:00:00Z' } }))).toMatchObject({ keyLastUsedAt: '2026-01-01T11:00:00Z', previousKeyLastUsedAt: '2026-01-01T09:00:00Z' });
    // Rotated: the current key's last use becomes the previous key's; the new key was never used.
    const rotated = desiredStatus(inputs({ current, key: { ...KEY, keyId: 'New222New222' }, previousKey: { keyId: KEY.keyId, expiresAt: '2026-01-02T00:00:00Z' } }));
    expect(rotated.previousKeyLastUsedAt).toBe('2026-01-01T11:00:00Z');
    expect(rotated.keyLastUsedAt).toBeUndefined();
    const noGrace = desiredStatus(inputs({ current, key: { ...KEY, keyId: 'New222New222' } }));
    expect(noGrace.keyLastUsedAt).toBeUndefined();
    expect(noGrace.previousKeyLastUsedAt).toBeUndefined();
  });

  it('says Ready=False KeyExpiredUnused for a key unused too long, without a timestamp in the message', () => {
    const status = desiredStatus(inputs({ expiredUnused: { after: '2160h' } }));
    expect(condition(status, 'Ready')).toEqual(['False', 'KeyExpiredUnused']);
    expect(condition(status, 'KeyIssued')).toEqual(['True', 'KeyIssued']);
    expect(status.conditions?.find((c) => c.type === 'Ready')?.message).not.toMatch(/\d{4}-\d\d-\d\d/);
  });

  it.each<[string, Parameters<typeof serviceAccountTransitions>[0], string[]]>([
    ['first key', { current: undefined, role: 'Builder', action: 'create', keyId: 'K1', expiredUnused: false }, ['KeyIssued/Created']],
    ['kept: nothing', { current: { keyId: 'K1', role: 'Builder' }, role: 'Builder', action: 'keep', keyId: 'K1', expiredUnused: false }, []],
    ['rotated on request', { current: { keyId: 'K1', role: 'Builder' }, role: 'Builder', action: 'rotate', reason: 'Requested', keyId: 'K2', expiredUnused: false }, ['KeyRotated/Requested']],
    ['repaired', { current: { keyId: 'K1', role: 'Builder' }, role: 'Builder', action: 'repair', reason: 'SecretDeleted', keyId: 'K2', expiredUnused: false }, ['KeyRepaired/SecretDeleted']],
    ['role changed', { current: { keyId: 'K1', role: 'Builder' }, role: 'Admin', action: 'keep', keyId: 'K1', expiredUnused: false }, ['RoleChanged/SpecChanged']],
    // A pass that wrote a new key was killed before its status write: the next pass adopts the key (keep) and names what it was.
    ['adopted after a kill: a requested rotation', { current: { keyId: 'K1', keyRevision: 0, role: 'Builder' }, role: 'Builder', action: 'keep', keyId: 'K2', keyRevision: 1, now: 0, expiredUnused: false }, ['KeyRotated/Requested']],
    ['adopted after a kill: a scheduled rotation', { current: { keyId: 'K1', keyRevision: 0, nextRotationAt: '2026-01-01T00:00:00Z', role: 'Builder' }, role: 'Builder', action: 'keep', keyId: 'K2', keyRevision: 0, now: Date.parse('2026-01-02T00:00:00Z'), expiredUnused: false }, ['KeyRotated/Scheduled']],
    ['adopted after a kill: a repair', { current: { keyId: 'K1', keyRevision: 0, role: 'Builder' }, role: 'Builder', action: 'keep', keyId: 'K2', keyRevision: 0, now: 0, expiredUnused: false }, ['KeyRepaired/KeyAltered']],
    ['adopted after a kill: a first key', { current: { role: 'Builder' }, role: 'Builder', action: 'keep', keyId: 'K1', keyRevision: 0, now: 0, expiredUnused: false }, ['KeyIssued/Created']],
    ['expired unused (once)', { current: { keyId: 'K1', role: 'Builder' }, role: 'Builder', action: 'keep', keyId: 'K1', expiredUnused: true }, ['KeyExpiredUnused/KeyExpiredUnused']],
    [
      'still expired: not again',
      { current: { keyId: 'K1', role: 'Builder', conditions: [{ type: 'Ready', status: 'False', reason: 'KeyExpiredUnused', message: '', lastTransitionTime: 'x' }] }, role: 'Builder', action: 'keep', keyId: 'K1', expiredUnused: true },
      [],
    ],
  ])('history: %s', (_what, input, expected) => {
    expect(serviceAccountTransitions(input).map((t) => `${t.event}/${t.reason}`)).toEqual(expected);
  });

  it('appends history only with transitions, bounded to 10', () => {
    let current: ServiceAccountStatus | undefined;
    for (let i = 0; i < 12; i++) {
      const key = { ...KEY, keyId: `Key${i}` };
      current = desiredStatus(inputs({ current, key, transitions: [{ event: 'KeyRotated', reason: 'Requested', message: `to ${key.keyId}`, fromSpec: true }], specManager: 'kubectl-patch' }));
    }
    expect(current?.history).toHaveLength(10);
    expect(current?.history?.[9]).toMatchObject({ event: 'KeyRotated', message: 'to Key11', by: 'kubectl-patch' });
    expect(desiredStatus(inputs({ current, key: { ...KEY, keyId: 'Key11' } })).history).toEqual(current?.history);
  });
});
