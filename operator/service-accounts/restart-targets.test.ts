import { describe, expect, it } from 'vitest';
import { decideRestart, restartPatch, rolloutCondition } from './restart-targets.js';

const targets = [{ kind: 'Deployment' as const, name: 'api' }];

describe('decideRestart', () => {
  it.each([
    ['no key yet', { targets, keyId: undefined, rolledOutKeyId: undefined }, 'none'],
    ['first key: remember it, restart nothing', { targets, keyId: 'k1', rolledOutKeyId: undefined }, 'record'],
    ['targets already run with this key', { targets, keyId: 'k1', rolledOutKeyId: 'k1' }, 'none'],
    ['a new key replaced theirs', { targets, keyId: 'k2', rolledOutKeyId: 'k1' }, 'restart'],
    ['a new key, no targets: remember it', { targets: [], keyId: 'k2', rolledOutKeyId: 'k1' }, 'record'],
  ] as const)('%s -> %s', (_name, input, decision) => expect(decideRestart(input)).toBe(decision));
});

describe('restartPatch', () => {
  it('sets the annotation kubectl rollout restart sets', () => {
    expect(restartPatch(Date.UTC(2026, 11, 1))).toEqual({ spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-12-01T00:00:00.000Z' } } } } });
  });
});

describe('rolloutCondition', () => {
  it('True when every target restarted, False naming the failures and the command to type', () => {
    expect(rolloutCondition('k2', 'tenant-acme', [{ target: targets[0] as never }])).toEqual({ status: 'True', reason: 'Restarted', message: 'Restarted deployment/api for API key k2' });
    expect(rolloutCondition('k2', 'tenant-acme', [{ target: { kind: 'StatefulSet', name: 'db' }, error: 'NotFound' }, { target: targets[0] as never }])).toEqual({
      status: 'False',
      reason: 'RestartFailed',
      message: 'Could not restart statefulset/db (NotFound) for API key k2; restart by hand: kubectl rollout restart statefulset/db -n tenant-acme',
    });
  });
});
