// Table tests of the rollout-restart act step against the fake writer: only workloads that
// consume the key are patched, and a missing workload reads exactly like one that does not use it.
import { describe, expect, it } from 'vitest';
import type { ServiceAccount } from '../api/index.js';
import { ApiError } from '../runtime/errors.js';
import { FakeKubeWriter } from '../runtime/fake-kube-writer.js';
import type { KubeObject } from '../runtime/kinds.js';
import { restartTargets } from './restart-act.js';
import { RESTART_KINDS, RESTARTED_AT_ANNOTATION } from './restart-targets.js';
import type { RestartTarget } from './restart-targets.js';

const NOW = Date.UTC(2026, 0, 1, 12);
const sa = { metadata: { name: 'ci', namespace: 'tenant-acme', uid: 'uid-1' }, spec: { role: 'Builder' } } as ServiceAccount & KubeObject;
const SECRET = 'ci-api-key';

function workload(name: string, podSpec: object, annotations: Record<string, string> = {}): KubeObject {
  return { metadata: { name, namespace: 'tenant-acme', resourceVersion: '5', annotations }, spec: { template: { metadata: {}, spec: { containers: [{ name: 'app', image: 'app:1' }], ...podSpec } } } };
}

const mounts = workload('mounts', { volumes: [{ name: 'key', secret: { secretName: SECRET } }] });
const annotated = workload('annotated', {}, { 'accounts.blinkops.com/restart-on-key-rotation': 'ci' });
const stranger = workload('stranger', { volumes: [{ name: 'db', secret: { secretName: 'db-password' } }] });

function restarted(fake: FakeKubeWriter, name: string): string | undefined {
  return fake.stored<KubeObject & { spec: { template: { metadata?: { annotations?: Record<string, string> } } } }>(RESTART_KINDS.Deployment, 'tenant-acme', name)?.spec.template.metadata?.annotations?.[RESTARTED_AT_ANNOTATION];
}

async function run(fake: FakeKubeWriter, targets: readonly RestartTarget[]): ReturnType<typeof restartTargets> {
  return restartTargets(fake.act(), sa, targets, SECRET, 'k2', NOW);
}

describe('restartTargets', () => {
  const seed = [mounts, annotated, stranger].map((object) => ({ kind: RESTART_KINDS.Deployment, object }));

  it('restarts a workload that mounts the key Secret, and one annotated for the account, guarded by the version read', async () => {
    const fake = new FakeKubeWriter(seed);
    const condition = await run(fake, [{ kind: 'Deployment', name: 'mounts' }, { kind: 'Deployment', name: 'annotated' }]);
    expect(condition).toMatchObject({ status: 'True', reason: 'Restarted' });
    expect(fake.writes).toEqual(['patch Deployment tenant-acme/mounts', 'patch Deployment tenant-acme/annotated']);
    expect(fake.calls.filter((c) => c.verb === 'patch').map((c) => (c.body as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion)).toEqual(['5', '5']);
    expect(restarted(fake, 'mounts')).toBe(new Date(NOW).toISOString());
    expect(fake.events.map((e) => `${e.type}/${e.reason}`)).toEqual(['Normal/RolloutRestarted']);
  });

  it('patches nothing that does not use the key, and says the same for a workload that does not exist', async () => {
    const existing = new FakeKubeWriter(seed);
    const onExisting = await run(existing, [{ kind: 'Deployment', name: 'stranger' }]);
    const missing = new FakeKubeWriter(seed);
    const onMissing = await run(missing, [{ kind: 'Deployment', name: 'nothing-here' }]);
    expect(existing.writes).toEqual([]);
    expect(restarted(existing, 'stranger')).toBeUndefined();
    expect(onExisting).toMatchObject({ status: 'False', reason: 'NotAKeyConsumer' });
    // Same words, the name aside: no existence oracle.
    expect(onMissing.message.replace('nothing-here', 'stranger')).toBe(onExisting.message);
    expect(onMissing.reason).toBe(onExisting.reason);
    expect(existing.events.map((e) => `${e.type}/${e.reason}`)).toEqual(['Warning/NotAKeyConsumer']);
    expect(missing.events.map((e) => e.note.replace('nothing-here', 'stranger'))).toEqual(existing.events.map((e) => e.note));
  });

  it('judges again when the workload changed between the read and the patch', async () => {
    const fake = new FakeKubeWriter(seed).failNext('patch', new ApiError('the object has been modified', 409, 'Conflict'));
    expect(await run(fake, [{ kind: 'Deployment', name: 'mounts' }])).toMatchObject({ status: 'True' });
    expect(fake.calls.map((c) => c.verb)).toEqual(['get', 'patch', 'get', 'patch']);
  });

  it('reports a refused read or patch as RestartFailed, and goes on with the other targets', async () => {
    const fake = new FakeKubeWriter(seed).failNext('get', new ApiError('forbidden', 403, 'Forbidden'));
    const condition = await run(fake, [{ kind: 'Deployment', name: 'mounts' }, { kind: 'Deployment', name: 'annotated' }]);
    expect(condition).toMatchObject({ status: 'False', reason: 'RestartFailed' });
    expect(condition.message).toContain('Could not restart deployment/mounts (Forbidden)');
    expect(restarted(fake, 'annotated')).toBeDefined();
  });
});
