import { describe, expect, it } from 'vitest';
import { decideRestart, isKeyConsumer, optedInToRestarts, podTemplateConsumesSecret, restartPatch, rolloutCondition } from './restart-targets.js';

const targets = [{ kind: 'Deployment' as const, name: 'api' }];
const SECRET = 'ci-api-key';

describe('decideRestart', () => {
  it.each([
    ['no key yet', { targets, keyId: undefined, rolledOutKeyId: undefined }, 'none'],
    ['first key: remember it, restart nothing', { targets, keyId: 'k1', rolledOutKeyId: undefined }, 'record'],
    ['targets already run with this key', { targets, keyId: 'k1', rolledOutKeyId: 'k1' }, 'none'],
    ['a new key replaced theirs', { targets, keyId: 'k2', rolledOutKeyId: 'k1' }, 'restart'],
    ['a new key, no targets: remember it', { targets: [], keyId: 'k2', rolledOutKeyId: 'k1' }, 'record'],
  ] as const)('%s -> %s', (_name, input, decision) => expect(decideRestart(input)).toBe(decision));
});

describe('podTemplateConsumesSecret', () => {
  const container = (extra: object): object => ({ name: 'app', image: 'app:1', ...extra });
  const template = (spec: object): object => ({ metadata: { labels: { app: 'x' } }, spec: { containers: [container({})], ...spec } });
  it.each<[string, unknown, boolean]>([
    ['a secret volume of the key Secret', template({ volumes: [{ name: 'key', secret: { secretName: SECRET } }] }), true],
    ['a projected volume with the key Secret among its sources', template({ volumes: [{ name: 'all', projected: { sources: [{ configMap: { name: 'c' } }, { secret: { name: SECRET } }] } }] }), true],
    ['env valueFrom.secretKeyRef', template({ containers: [container({ env: [{ name: 'K', valueFrom: { secretKeyRef: { name: SECRET, key: 'apiKey' } } }] })] }), true],
    ['envFrom.secretRef', template({ containers: [container({ envFrom: [{ secretRef: { name: SECRET } }] })] }), true],
    ['an init container envFrom', template({ initContainers: [container({ envFrom: [{ secretRef: { name: SECRET } }] })] }), true],
    ['an ephemeral container env', template({ ephemeralContainers: [container({ env: [{ name: 'K', valueFrom: { secretKeyRef: { name: SECRET, key: 'k' } } }] })] }), true],
    ['another Secret only', template({ volumes: [{ name: 'o', secret: { secretName: 'other' } }], containers: [container({ envFrom: [{ secretRef: { name: 'other' } }] })] }), false],
    ['the name as a ConfigMap', template({ volumes: [{ name: 'c', configMap: { name: SECRET } }], containers: [container({ envFrom: [{ configMapRef: { name: SECRET } }] })] }), false],
    ['the name as a plain env value', template({ containers: [container({ env: [{ name: 'SECRET', value: SECRET }] })] }), false],
    ['the name as an image pull Secret', template({ imagePullSecrets: [{ name: SECRET }] }), false],
    ['the name only in a label', { metadata: { labels: { secret: SECRET } }, spec: { containers: [container({})] } }, false],
    ['no template', undefined, false],
    ['a malformed template', { spec: { volumes: 'nope', containers: [null, { env: 'x', envFrom: [null] }] } }, false],
  ])('%s: %s', (_name, podTemplate, consumes) => expect(podTemplateConsumesSecret(podTemplate, SECRET)).toBe(consumes));

  it('never matches an empty Secret name', () => {
    expect(podTemplateConsumesSecret(template({ volumes: [{ name: 'k', secret: {} }] }), '')).toBe(false);
  });
});

describe('optedInToRestarts', () => {
  it.each<[string, Record<string, string> | undefined, boolean]>([
    ['the account named', { 'accounts.blinkops.com/restart-on-key-rotation': 'ci' }, true],
    ['among several, with spaces', { 'accounts.blinkops.com/restart-on-key-rotation': 'etl, ci ,web' }, true],
    ['another account', { 'accounts.blinkops.com/restart-on-key-rotation': 'cid' }, false],
    ['a prefix of the name', { 'accounts.blinkops.com/restart-on-key-rotation': 'c' }, false],
    ['"true" is not a name', { 'accounts.blinkops.com/restart-on-key-rotation': 'true' }, false],
    ['no annotation', {}, false],
    ['no annotations at all', undefined, false],
  ])('%s: %s', (_name, annotations, opted) => expect(optedInToRestarts(annotations, 'ci')).toBe(opted));

  it('an opt-in on the pod template does not count: only the workload itself opts in', () => {
    const workload = { metadata: {}, spec: { template: { metadata: { annotations: { 'accounts.blinkops.com/restart-on-key-rotation': 'ci' } }, spec: {} } } };
    expect(isKeyConsumer(workload, 'ci', SECRET)).toBe(false);
    expect(isKeyConsumer({ ...workload, metadata: { annotations: { 'accounts.blinkops.com/restart-on-key-rotation': 'ci' } } }, 'ci', SECRET)).toBe(true);
  });
});

describe('restartPatch', () => {
  it('sets the annotation kubectl rollout restart sets', () => {
    expect(restartPatch(Date.UTC(2026, 11, 1))).toEqual({ spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-12-01T00:00:00.000Z' } } } } });
  });
});

describe('rolloutCondition', () => {
  const condition = (results: Parameters<typeof rolloutCondition>[4]): ReturnType<typeof rolloutCondition> => rolloutCondition('k2', 'tenant-acme', 'ci', SECRET, results);
  const NOT_A_CONSUMER = `Not restarted: statefulset/db: only a workload that uses the key is restarted, one whose pod template mounts or references Secret ${SECRET} (volume, projected volume, env or envFrom) or that is annotated accounts.blinkops.com/restart-on-key-rotation=ci`;

  it('True when every target restarted', () => {
    expect(condition([{ target: { kind: 'Deployment', name: 'api' }, outcome: 'restarted' }])).toEqual({ status: 'True', reason: 'Restarted', message: 'Restarted deployment/api for API key k2' });
  });

  it('False naming the failures and the command to type', () => {
    expect(condition([{ target: { kind: 'StatefulSet', name: 'db' }, outcome: { error: 'Forbidden' } }, { target: { kind: 'Deployment', name: 'api' }, outcome: 'restarted' }])).toEqual({
      status: 'False',
      reason: 'RestartFailed',
      message: 'Could not restart statefulset/db (Forbidden) for API key k2; restart by hand: kubectl rollout restart statefulset/db -n tenant-acme. Restarted deployment/api',
    });
  });

  it('False, NotAKeyConsumer, for a target that does not use the key: the message depends on the name only', () => {
    expect(condition([{ target: { kind: 'StatefulSet', name: 'db' }, outcome: 'not-a-consumer' }])).toEqual({ status: 'False', reason: 'NotAKeyConsumer', message: NOT_A_CONSUMER });
    expect(condition([{ target: { kind: 'StatefulSet', name: 'db' }, outcome: 'not-a-consumer' }, { target: { kind: 'Deployment', name: 'api' }, outcome: 'restarted' }])).toEqual({
      status: 'False',
      reason: 'NotAKeyConsumer',
      message: `${NOT_A_CONSUMER}. Restarted deployment/api`,
    });
  });

  it('a failure outranks a stranger in the reason; both are named', () => {
    const both = condition([{ target: { kind: 'StatefulSet', name: 'db' }, outcome: 'not-a-consumer' }, { target: { kind: 'Deployment', name: 'api' }, outcome: { error: 'Invalid' } }]);
    expect(both.reason).toBe('RestartFailed');
    expect(both.message).toContain('Could not restart deployment/api (Invalid)');
    expect(both.message).toContain('Not restarted: statefulset/db');
  });
});
