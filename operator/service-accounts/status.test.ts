import { describe, expect, it } from 'vitest';
import type { ServiceAccountStatus } from '../api/index.js';
import type { StatusInputs } from './status.js';
import { effectiveWorkspaces } from '../policy/index.js';
import { desiredStatus, missingWorkspaces } from './status.js';

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
