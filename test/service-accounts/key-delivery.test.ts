// Getting keys to applications, against the real control plane: spec.secretTemplate shapes the
// Secret (and a template change never changes the key), restart targets get a rollout restart
// after a new key is in the Secret (only in the account's namespace; failures in a condition),
// and spec.keyRotation.every rotates on schedule (the injected clock).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_KINDS } from '../../operator/api/index.js';
import type { ApiKeyVerifier } from '../../operator/policy/index.js';
import type { RunningOperator } from '../../operator/operator.js';
import type { KubeObject } from '../../operator/runtime/kinds.js';
import type { KubeClient } from '../../operator/runtime/kube-client.js';
import { eventually, kubectl, useNamespace } from '../harness/kube.js';
import { newShard, startTestOperator } from '../harness/operator.js';
import { shiftableClock } from '../users/fixtures.js';
import { blinkAccounts } from '../cli/fixtures.js';
import { cluster } from '../harness/kube.js';
import { eventsText, findLeaks, getSecret } from './fixtures.js';
import { adminClient, createServiceAccount, createTenantWithNamespace, uniqueName, waitForServiceAccount } from '../harness/tenant.js';
import type { SA } from '../harness/tenant.js';

const ns = useNamespace('sa-delivery');
const other = useNamespace('sa-delivery-other');
const shard = newShard('sa-delivery');
const clock = shiftableClock();
let client: KubeClient;
let operator: RunningOperator;
let verifier: ApiKeyVerifier;
let tenant: string;
const keys = new Set<string>();
const deployments = { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true } as const;

function decode(data: Record<string, string> | undefined, name: string): string | undefined {
  const value = data?.[name];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}

/** A Deployment of no pods; `pod` adds to its pod spec (volumes, env), `annotations` to its own metadata. */
function deployment(namespace: string, name: string, pod: { volumes?: object[]; env?: object[]; envFrom?: object[] } = {}, annotations: Record<string, string> = {}): KubeObject {
  const container = { name: 'app', image: 'example.invalid/app:1', ...(pod.env ? { env: pod.env } : {}), ...(pod.envFrom ? { envFrom: pod.envFrom } : {}) };
  return {
    metadata: { name, namespace, annotations },
    spec: { replicas: 0, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [container], ...(pod.volumes ? { volumes: pod.volumes } : {}) } } },
  };
}

/** Pod spec parts that mount the key Secret `secret` as a volume. */
function mounting(secret: string): { volumes: object[] } {
  return { volumes: [{ name: 'api-key', secret: { secretName: secret } }] };
}

async function restartedAt(namespace: string, name: string): Promise<string | undefined> {
  const d = await client.get<KubeObject & { spec: { template: { metadata?: { annotations?: Record<string, string> } } } }>(deployments, namespace, name);
  return d.spec.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'];
}

beforeAll(async () => {
  client = adminClient();
  tenant = uniqueName('sa');
  await createTenantWithNamespace(client, { name: tenant, shard, namespace: ns.name, spec: { displayName: 'Service account tests' } });
  operator = await startTestOperator({ shard, clock });
  verifier = operator.services.apiKeyVerifier as ApiKeyVerifier;
});

afterAll(async () => {
  await operator?.stop();
  await client?.delete(ACCOUNT_KINDS.tenant, undefined, tenant).catch(() => undefined);
  client?.close();
});

describe('spec.secretTemplate', () => {
  it('puts the labels, annotations, data key and extra data on the Secret', async () => {
    await createServiceAccount(client, ns.name, 'web', {
      role: 'Builder',
      secretTemplate: {
        labels: { team: 'web' },
        annotations: { 'reloader.stakater.com/match': 'true' },
        keyName: 'BLINK_API_KEY',
        data: { BLINK_TENANT: tenant, BLINK_ACCESS_URL: 'https://accounts.example/api/v1' },
      },
    });
    const sa = await waitForServiceAccount(client, ns.name, 'web');
    const secret = await getSecret(client, ns.name, 'web-api-key');
    expect(secret?.metadata?.labels).toMatchObject({ team: 'web', 'app.kubernetes.io/managed-by': 'blink-accounts-operator', 'accounts.blinkops.com/tenant': tenant });
    expect(secret?.metadata?.annotations).toMatchObject({ 'reloader.stakater.com/match': 'true' });
    expect(Object.keys(secret?.data ?? {}).sort()).toEqual(['BLINK_ACCESS_URL', 'BLINK_API_KEY', 'BLINK_TENANT']);
    expect(decode(secret?.data, 'BLINK_TENANT')).toBe(tenant);
    const key = decode(secret?.data, 'BLINK_API_KEY') ?? '';
    keys.add(key);
    expect(verifier.authenticate(key)).toMatchObject({ ok: true });
    expect(sa.status?.keyId).toBeDefined();
    // The CLI finds the key under its data key.
    const printed = await blinkAccounts(['sa', 'key', 'web', '-n', ns.name, '--kubeconfig', cluster().kubeconfig]);
    expect(printed.stdout === key).toBe(true);
  });

  it('a template change changes the Secret, never the key; a renamed data key moves the same key', async () => {
    const before = await waitForServiceAccount(client, ns.name, 'web');
    const key = decode((await getSecret(client, ns.name, 'web-api-key'))?.data, 'BLINK_API_KEY') ?? '';
    await client.patch(ACCOUNT_KINDS.serviceAccount, ns.name, 'web', {
      spec: { secretTemplate: { labels: { team: 'platform' }, annotations: null, keyName: 'token', data: { BLINK_ACCESS_URL: null, BLINK_REGION: 'eu' } } },
    });
    const secret = await eventually(async () => {
      const s = await getSecret(client, ns.name, 'web-api-key');
      return s?.data?.['token'] && s.metadata?.labels?.['team'] === 'platform' && s.data['BLINK_REGION'] ? s : undefined;
    }, 30_000, 'the template applied');
    expect(Object.keys(secret.data ?? {}).sort()).toEqual(['BLINK_REGION', 'BLINK_TENANT', 'token']);
    expect(secret.metadata?.annotations?.['reloader.stakater.com/match']).toBeUndefined();
    expect(decode(secret.data, 'token') === key).toBe(true);
    const after = await waitForServiceAccount(client, ns.name, 'web');
    expect(after.status?.keyId).toBe(before.status?.keyId);
    expect(after.status?.keyCreatedAt).toBe(before.status?.keyCreatedAt);
    const events = await eventsText(client, ns.name);
    const reasons = events.items.filter((e) => (e['regarding'] as { name?: string }).name === 'web').map((e) => e['reason']);
    expect(reasons).toContain('KeyMoved');
    expect(reasons).not.toContain('KeyRotated');
    expect(reasons).not.toContain('KeyAltered');
  });
});

describe('spec.keyRotation.restartTargets', () => {
  it('restarts the targets after a new key is in the Secret, only in the account namespace, and reports a missing target', async () => {
    await client.create(deployments, deployment(ns.name, 'api', mounting('api-api-key')));
    await client.create(deployments, deployment(other.name, 'api', mounting('api-api-key')));
    await createServiceAccount(client, ns.name, 'api', {
      role: 'Builder',
      keyRotation: { gracePeriod: '1h', restartTargets: [{ kind: 'Deployment', name: 'api' }, { kind: 'StatefulSet', name: 'missing' }] },
    });
    const first = await waitForServiceAccount(client, ns.name, 'api', (sa) => sa.status?.rolledOutKeyId !== undefined);
    // The first key restarts nothing.
    expect(first.status?.rolledOutKeyId).toBe(first.status?.keyId);
    expect(await restartedAt(ns.name, 'api')).toBeUndefined();

    const rotate = await blinkAccounts(['sa', 'rotate-key', 'api', '-n', ns.name, '--kubeconfig', cluster().kubeconfig]);
    expect(rotate.code, rotate.stderr).toBe(0);
    const rotated = await waitForServiceAccount(client, ns.name, 'api', (sa) => sa.status?.keyRevision === 1 && sa.status.rolledOutKeyId === sa.status.keyId);
    const at = await restartedAt(ns.name, 'api');
    expect(at).toBeDefined();
    // After the new key was in the Secret (its creation time), during the grace period.
    expect(Date.parse(at ?? '')).toBeGreaterThanOrEqual(Date.parse(rotated.status?.keyCreatedAt ?? ''));
    const secret = await getSecret(client, ns.name, 'api-api-key');
    expect(secret?.metadata?.annotations?.['accounts.blinkops.com/previous-key-id']).toBe(first.status?.keyId);
    expect(await restartedAt(other.name, 'api')).toBeUndefined();
    // Issue 22: a missing target is not a key consumer, said without telling whether it exists.
    const condition = rotated.status?.conditions?.find((c) => c.type === 'RolloutRestarted');
    expect(condition).toMatchObject({ status: 'False', reason: 'NotAKeyConsumer' });
    expect(condition?.message).toBe(
      'Not restarted: statefulset/missing: only a workload that uses the key is restarted, one whose pod template mounts or references Secret api-api-key (volume, projected volume, env or envFrom) or that is annotated accounts.blinkops.com/restart-on-key-rotation=api. Restarted deployment/api',
    );
    keys.add(decode(secret?.data, 'apiKey') ?? '');
    // The status command shows it.
    const status = await blinkAccounts(['status', 'sa', 'api', '-n', ns.name, '--kubeconfig', cluster().kubeconfig]);
    expect(status.stdout).toMatch(/Restart targets: +deployment\/api, statefulset\/missing/);
    expect(status.stdout).toContain('Not restarted: statefulset/missing');
  });

  // Issue 22, point 6: a tenant Admin names restart targets but has no rights on workloads.
  it('restarts only workloads that use the key; any other name, existing or not, gets the same NotAKeyConsumer answer', async () => {
    await client.create(deployments, deployment(ns.name, 'unrelated', { volumes: [{ name: 'db', secret: { secretName: 'db-password' } }], envFrom: [{ configMapRef: { name: 'guard-api-key' } }] }));
    await client.create(deployments, deployment(ns.name, 'by-env', { env: [{ name: 'BLINK_API_KEY', valueFrom: { secretKeyRef: { name: 'guard-api-key', key: 'apiKey' } } }] }));
    await client.create(deployments, deployment(ns.name, 'by-projection', { volumes: [{ name: 'all', projected: { sources: [{ secret: { name: 'guard-api-key' } }] } }] }));
    await client.create(deployments, deployment(ns.name, 'opted-in', {}, { 'accounts.blinkops.com/restart-on-key-rotation': 'other-account, guard' }));
    const consumers = ['by-env', 'by-projection', 'opted-in'];
    const named = (name: string): { kind: 'Deployment'; name: string } => ({ kind: 'Deployment', name });
    // Two accounts alike but for the name of the one stranger: a workload that exists, or one that does not.
    for (const [account, stranger] of [['guard', 'unrelated'], ['guard2', 'no-such-workload']] as const) {
      await createServiceAccount(client, ns.name, account, { role: 'Consumer', keyRotation: { restartTargets: [named(stranger), ...(account === 'guard' ? consumers.map(named) : [])] } });
    }
    const messages = new Map<string, { reason: string | undefined; message: string | undefined }>();
    for (const [account, stranger] of [['guard', 'unrelated'], ['guard2', 'no-such-workload']] as const) {
      await waitForServiceAccount(client, ns.name, account, (sa) => sa.status?.rolledOutKeyId !== undefined);
      await client.patch(ACCOUNT_KINDS.serviceAccount, ns.name, account, { spec: { keyRotation: { revision: 1 } } });
      const rotated = await waitForServiceAccount(client, ns.name, account, (sa) => sa.status?.keyRevision === 1 && sa.status.rolledOutKeyId === sa.status.keyId);
      const condition = rotated.status?.conditions?.find((c) => c.type === 'RolloutRestarted');
      messages.set(account, { reason: condition?.reason, message: condition?.message?.split('. Restarted ')[0]?.replace(stranger, '<stranger>') });
      keys.add(decode((await getSecret(client, ns.name, `${account}-api-key`))?.data, 'apiKey') ?? '');
    }
    expect(await restartedAt(ns.name, 'unrelated')).toBeUndefined();
    for (const name of consumers) expect(await restartedAt(ns.name, name), name).toBeDefined();
    expect(messages.get('guard')?.reason).toBe('NotAKeyConsumer');
    // The same answer for an existing stranger and a missing one (the account name aside): no existence oracle.
    expect(messages.get('guard')?.message?.replaceAll('=guard', '=<account>').replaceAll('guard-api-key', '<secret>')).toBe(
      messages.get('guard2')?.message?.replaceAll('=guard2', '=<account>').replaceAll('guard2-api-key', '<secret>'),
    );
    expect(messages.get('guard2')?.reason).toBe('NotAKeyConsumer');
    const events = (await eventsText(client, ns.name)).items.filter((e) => ['guard', 'guard2'].includes((e['regarding'] as { name?: string }).name ?? ''));
    expect(events.filter((e) => e['reason'] === 'NotAKeyConsumer' && e['type'] === 'Warning').length).toBe(2);
  });
});

describe('spec.keyRotation.every', () => {
  it('shows the next rotation and the key age, and rotates once the key is due (injected clock)', async () => {
    await createServiceAccount(client, ns.name, 'cron', { role: 'Consumer', keyRotation: { every: '1h' } });
    const sa = await waitForServiceAccount(client, ns.name, 'cron', (s) => s.status?.nextRotationAt !== undefined);
    const created = Date.parse(sa.status?.keyCreatedAt ?? '');
    expect(Date.parse(sa.status?.nextRotationAt ?? '')).toBe(Math.floor((created + 3_600_000) / 1000) * 1000);
    const table = await kubectl(['get', 'bsa', 'cron', '-n', ns.name, '-o', 'wide']);
    expect(table.stdout).toMatch(/KEY AGE +LAST USED +NEXT ROTATION +READY/);

    // A second after it is due (the operator's clock; its timers stay real, so the requeue-after
    // of an hour cannot be waited for here): a touch makes the operator look, and it rotates.
    clock.shift(created + 3_600_000 + 1_000 - clock.now());
    await client.patch(ACCOUNT_KINDS.serviceAccount, ns.name, 'cron', { metadata: { annotations: { touched: '1' } } });
    const rotated = await waitForServiceAccount(client, ns.name, 'cron', (s: SA) => s.status?.keyId !== sa.status?.keyId, 30_000);
    expect(Date.parse(rotated.status?.nextRotationAt ?? '')).toBeGreaterThan(Date.parse(sa.status?.nextRotationAt ?? ''));
    const events = await eventsText(client, ns.name);
    const notes = events.items.filter((e) => (e['regarding'] as { name?: string }).name === 'cron' && e['reason'] === 'KeyRotated').map((e) => String(e['note']));
    expect(notes[0]).toMatch(/^Rotated the API key on schedule \(every 1h\): issued key /);
    keys.add(decode((await getSecret(client, ns.name, 'cron-api-key'))?.data, 'apiKey') ?? '');
    clock.reset();
  });

  it('leaks no key into Events or status', async () => {
    const events = await eventsText(client, ns.name);
    const statuses = JSON.stringify((await client.list(ACCOUNT_KINDS.serviceAccount, { namespace: ns.name })).items.map((o) => o['status']));
    expect(findLeaks(keys, { events: events.text, statuses })).toEqual([]);
  });
});
