// spec.delivery against the real control plane (issue 28, part 1): a copy of the key Secret in
// another namespace, written only once that namespace's owner opted in for the tenant, never in a
// system namespace, another tenant's or the account's own; it follows rotation (the old key keeps
// working for the grace period), is repaired when deleted or altered (Warning Event), is removed
// when its entry goes, the opt-in is withdrawn or the account is deleted (even while the operator
// was down), and restart targets work in its namespace. The access API never believes a copy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_KINDS } from '../../operator/api/index.js';
import { generateApiKey } from '../../operator/apikeys/index.js';
import type { ApiKeyVerifier } from '../../operator/policy/index.js';
import type { RunningOperator } from '../../operator/operator.js';
import { builtinKinds } from '../../operator/runtime/kinds.js';
import type { KubeObject } from '../../operator/runtime/kinds.js';
import type { KubeClient } from '../../operator/runtime/kube-client.js';
import { eventually, useNamespace } from '../harness/kube.js';
import { newShard, startTestOperator } from '../harness/operator.js';
import { shiftableClock } from '../users/fixtures.js';
import { eventsText, findLeaks, getSecret } from './fixtures.js';
import { adminClient, createServiceAccount, createTenantWithNamespace, uniqueName, waitForServiceAccount } from '../harness/tenant.js';
import type { SA } from '../harness/tenant.js';

const home = useNamespace('deliver-home');
const otherTenantNs = useNamespace('deliver-other');
const payments = useNamespace('deliver-payments');
const billing = useNamespace('deliver-billing');
const shard = newShard('deliver');
const clock = shiftableClock();
const OPT_IN = 'accounts.blinkops.com/accept-keys-from';
const COPY_TYPE = 'accounts.blinkops.com/api-key-copy';
const deployments = { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true } as const;
let client: KubeClient;
let operator: RunningOperator;
let verifier: ApiKeyVerifier;
let tenant: string;
let otherTenant: string;
const keys = new Set<string>();

function decode(data: Record<string, string> | undefined, name: string): string | undefined {
  const value = data?.[name];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}

function condition(sa: SA, type: string): { status?: string; reason?: string; message?: string } | undefined {
  return sa.status?.conditions?.find((c) => c.type === type);
}

async function optIn(namespace: string, value: string | null): Promise<void> {
  await client.patch(builtinKinds.namespace, undefined, namespace, { metadata: { labels: { [OPT_IN]: value } } });
}

/** Events about the account `name` in the home namespace: `reason type` each. */
async function eventsOf(name: string): Promise<{ reason: string; type: string; note: string }[]> {
  const { items } = await eventsText(client, home.name);
  return items.filter((e) => (e['regarding'] as { name?: string }).name === name).map((e) => ({ reason: String(e['reason']), type: String(e['type']), note: String(e['note']) }));
}

/** Waits for an Event about `name` with `reason` (and `type`): Events are written after the change they report. */
async function sawEvent(name: string, reason: string, type?: string): Promise<void> {
  await eventually(async () => ((await eventsOf(name)).some((e) => e.reason === reason && (type === undefined || e.type === type)) ? true : undefined), 10_000, `${reason} Event`);
}

async function mainKey(name: string, keyName = 'apiKey'): Promise<string> {
  const key = decode((await getSecret(client, home.name, `${name}-api-key`))?.data, keyName) ?? '';
  keys.add(key);
  return key;
}

/** Waits until the copy `namespace/secretName` holds `key` under `keyName`; returns it. */
async function copyHolding(namespace: string, secretName: string, key: string, keyName = 'apiKey'): Promise<KubeObject & { type?: string; data?: Record<string, string> }> {
  return eventually(async () => {
    const copy = await getSecret(client, namespace, secretName);
    return copy && decode(copy.data, keyName) === key ? copy : undefined;
  }, 30_000, `the copy ${namespace}/${secretName} holding the key`);
}

async function gone(namespace: string, secretName: string): Promise<void> {
  await eventually(async () => ((await getSecret(client, namespace, secretName)) === undefined ? true : undefined), 30_000, `${namespace}/${secretName} deleted`);
}

beforeAll(async () => {
  client = adminClient();
  tenant = uniqueName('dlv');
  otherTenant = uniqueName('dlv-b');
  await createTenantWithNamespace(client, { name: tenant, shard, namespace: home.name, spec: { displayName: 'Delivery tests' } });
  await createTenantWithNamespace(client, { name: otherTenant, shard, namespace: otherTenantNs.name, spec: { displayName: 'Another tenant' } });
  operator = await startTestOperator({ shard, clock });
  verifier = operator.services.apiKeyVerifier as ApiKeyVerifier;
});

afterAll(async () => {
  await operator?.stop();
  for (const t of [tenant, otherTenant]) await client?.delete(ACCOUNT_KINDS.tenant, undefined, t).catch(() => undefined);
  client?.close();
});

describe('spec.delivery', () => {
  it('writes nothing where the namespace has not opted in, and says why the same way for a namespace that does not exist', async () => {
    await createServiceAccount(client, home.name, 'etl', {
      role: 'Builder',
      keyRotation: { gracePeriod: '1h' },
      secretTemplate: { keyName: 'BLINK_API_KEY', labels: { team: 'data' }, data: { BLINK_TENANT: tenant } },
      delivery: [{ namespace: payments.name }, { namespace: 'no-such-namespace-x1' }],
    });
    const sa = await waitForServiceAccount(client, home.name, 'etl', (s) => condition(s, 'KeyDelivered') !== undefined);
    expect(condition(sa, 'KeyDelivered')).toMatchObject({ status: 'False', reason: 'NamespaceNotOptedIn' });
    expect(condition(sa, 'KeyDelivered')?.message).toBe(
      `Not delivered to ${payments.name}, no-such-namespace-x1: a namespace receives keys only once its owner labels it ${OPT_IN}=${tenant} (kubectl label namespace ${payments.name} ${OPT_IN}=${tenant})`,
    );
    // The key itself works: Ready stays about the key.
    expect(condition(sa, 'Ready')).toMatchObject({ status: 'True' });
    expect(await getSecret(client, payments.name, 'etl-api-key')).toBeUndefined();
    await sawEvent('etl', 'NamespaceNotOptedIn', 'Warning');
    // An opt-in for another tenant is no opt-in for this one.
    await optIn(payments.name, otherTenant);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await getSecret(client, payments.name, 'etl-api-key')).toBeUndefined();
  });

  it('once the namespace opts in, the copy appears with the same key, shaped by the template', async () => {
    await optIn(payments.name, tenant);
    const key = await mainKey('etl', 'BLINK_API_KEY');
    const copy = await copyHolding(payments.name, 'etl-api-key', key, 'BLINK_API_KEY');
    expect(copy.type).toBe(COPY_TYPE);
    expect(copy.metadata?.labels).toMatchObject({ team: 'data', 'app.kubernetes.io/managed-by': 'blink-accounts-operator', 'app.kubernetes.io/component': 'api-key-copy' });
    expect(copy.metadata?.ownerReferences ?? []).toEqual([]);
    expect(decode(copy.data, 'BLINK_TENANT')).toBe(tenant);
    expect(Object.keys(copy.data ?? {}).sort()).toEqual(['BLINK_API_KEY', 'BLINK_TENANT']);
    const sa = await waitForServiceAccount(client, home.name, 'etl', (s) => s.status?.deliveredTo?.length === 1);
    expect(sa.status?.deliveredTo).toEqual([{ namespace: payments.name, secretName: 'etl-api-key', keyId: sa.status?.keyId }]);
    // The namespace that does not exist is still reported, in the same words.
    expect(condition(sa, 'KeyDelivered')).toMatchObject({ status: 'False', reason: 'NamespaceNotOptedIn' });
    await client.patch(ACCOUNT_KINDS.serviceAccount, home.name, 'etl', { spec: { delivery: [{ namespace: payments.name }] } });
    const settled = await waitForServiceAccount(client, home.name, 'etl', (s) => condition(s, 'KeyDelivered')?.status === 'True');
    expect(condition(settled, 'KeyDelivered')?.message).toBe(`The API key is in ${payments.name}/etl-api-key`);
    await sawEvent('etl', 'KeyDelivered', 'Normal');
  });

  it('the copy follows a rotation, and the old key keeps working for the grace period only', async () => {
    const before = await mainKey('etl', 'BLINK_API_KEY');
    await client.patch(ACCOUNT_KINDS.serviceAccount, home.name, 'etl', { spec: { keyRotation: { revision: 1 } } });
    const rotated = await waitForServiceAccount(client, home.name, 'etl', (s) => s.status?.keyRevision === 1 && s.status.deliveredTo?.[0]?.keyId === s.status.keyId);
    const after = await mainKey('etl', 'BLINK_API_KEY');
    expect(after).not.toBe(before);
    await copyHolding(payments.name, 'etl-api-key', after, 'BLINK_API_KEY');
    // The operator's caches may see the account's status a moment before its Secret.
    await eventually(async () => (verifier.authenticate(after).ok ? true : undefined), 10_000, 'the new key to verify');
    expect(verifier.authenticate(after)).toMatchObject({ ok: true, name: 'etl' });
    expect(verifier.authenticate(before)).toMatchObject({ ok: true, keyState: 'previous' });
    expect(rotated.status?.previousKeyId).toBeDefined();
    await sawEvent('etl', 'KeyCopyRotated');
    // Past the grace period the old key is dead, copy or not.
    clock.shift(3_600_000 + 1_000);
    expect(verifier.authenticate(before)).toMatchObject({ ok: false });
    clock.reset();
  });

  it('a deleted copy is written again with the same key, and says so in a Warning Event', async () => {
    const key = await mainKey('etl', 'BLINK_API_KEY');
    const old = await getSecret(client, payments.name, 'etl-api-key');
    await client.delete(builtinKinds.secret, payments.name, 'etl-api-key');
    const copy = await eventually(async () => {
      const c = await getSecret(client, payments.name, 'etl-api-key');
      return c && c.metadata?.uid !== old?.metadata?.uid ? c : undefined;
    }, 30_000, 'the copy written again');
    expect(decode(copy.data, 'BLINK_API_KEY') === key).toBe(true);
    await eventually(async () => ((await eventsOf('etl')).some((e) => e.reason === 'KeyCopyDeleted' && e.type === 'Warning') ? true : undefined), 10_000, 'KeyCopyDeleted');
    // The account's key did not change.
    expect(await mainKey('etl', 'BLINK_API_KEY')).toBe(key);
  });

  it('an altered copy is repaired, and no key written into a copy ever verifies', async () => {
    const key = await mainKey('etl', 'BLINK_API_KEY');
    const planted = generateApiKey().key;
    keys.add(planted);
    await client.patch(builtinKinds.secret, payments.name, 'etl-api-key', { data: { BLINK_API_KEY: Buffer.from(planted).toString('base64'), extra: Buffer.from('x').toString('base64') } });
    // Whatever the copy holds meanwhile, the planted key is unknown and the account's key still verifies.
    expect(verifier.authenticate(planted)).toMatchObject({ ok: false });
    expect(verifier.authenticate(key)).toMatchObject({ ok: true, name: 'etl' });
    const copy = await eventually(async () => {
      const c = await getSecret(client, payments.name, 'etl-api-key');
      return c && decode(c.data, 'BLINK_API_KEY') === key && c.data?.['extra'] === undefined ? c : undefined;
    }, 30_000, 'the altered copy repaired');
    expect(copy.type).toBe(COPY_TYPE);
    await eventually(async () => ((await eventsOf('etl')).some((e) => e.reason === 'KeyCopyAltered' && e.type === 'Warning') ? true : undefined), 10_000, 'KeyCopyAltered');
    expect(verifier.authenticate(planted)).toMatchObject({ ok: false });
    // A copy deleted outright takes nothing from the key either (the verifier reads the account's own Secret).
    expect(await mainKey('etl', 'BLINK_API_KEY')).toBe(key);
  });

  it('a template change reaches the copy with the same key; labels other tools add to a copy are left alone', async () => {
    const key = await mainKey('etl', 'BLINK_API_KEY');
    await client.patch(builtinKinds.secret, payments.name, 'etl-api-key', { metadata: { labels: { 'argocd.argoproj.io/instance': 'payments' } } });
    await client.patch(ACCOUNT_KINDS.serviceAccount, home.name, 'etl', { spec: { secretTemplate: { labels: { team: null }, data: { BLINK_TENANT: null, BLINK_REGION: 'eu' } } } });
    const copy = await eventually(async () => {
      const c = await getSecret(client, payments.name, 'etl-api-key');
      return c?.data?.['BLINK_REGION'] && c.data['BLINK_TENANT'] === undefined && c.metadata?.labels?.['team'] === undefined ? c : undefined;
    }, 30_000, 'the copy to follow the template');
    expect(decode(copy.data, 'BLINK_API_KEY') === key).toBe(true);
    await sawEvent('etl', 'KeyCopyUpdated', 'Normal');
    const events = await eventsOf('etl');
    expect(events.filter((e) => e.reason === 'KeyCopyAltered')).toHaveLength(1);
    // A label of another tool on an exact copy costs no write.
    await client.patch(builtinKinds.secret, payments.name, 'etl-api-key', { metadata: { labels: { 'argocd.argoproj.io/instance': 'payments' } } });
    const version = (await getSecret(client, payments.name, 'etl-api-key'))?.metadata?.resourceVersion;
    await client.patch(ACCOUNT_KINDS.serviceAccount, home.name, 'etl', { metadata: { annotations: { touched: '1' } } });
    await waitForServiceAccount(client, home.name, 'etl', (s) => s.metadata?.generation === s.status?.observedGeneration);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await getSecret(client, payments.name, 'etl-api-key'))?.metadata?.resourceVersion).toBe(version);
  });

  it('restart targets in the delivery namespace: only a workload using the copy is restarted after a rotation', async () => {
    const pod = (secret: string): object => ({ containers: [{ name: 'app', image: 'example.invalid/app:1' }], volumes: [{ name: 'key', secret: { secretName: secret } }] });
    const deployment = (namespace: string, name: string, secret: string): KubeObject => ({
      metadata: { name, namespace },
      spec: { replicas: 0, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: pod(secret) } },
    });
    await client.create(deployments, deployment(payments.name, 'etl-app', 'etl-api-key'));
    await client.create(deployments, deployment(payments.name, 'stranger', 'something-else'));
    const restartedAt = async (name: string): Promise<string | undefined> =>
      (await client.get<KubeObject & { spec: { template: { metadata?: { annotations?: Record<string, string> } } } }>(deployments, payments.name, name)).spec.template.metadata?.annotations?.[
        'kubectl.kubernetes.io/restartedAt'
      ];
    await client.patch(ACCOUNT_KINDS.serviceAccount, home.name, 'etl', {
      spec: { delivery: [{ namespace: payments.name, restartTargets: [{ kind: 'Deployment', name: 'etl-app' }, { kind: 'Deployment', name: 'stranger' }] }] },
    });
    await waitForServiceAccount(client, home.name, 'etl', (s) => s.metadata?.generation === s.status?.observedGeneration);
    expect(await restartedAt('etl-app')).toBeUndefined();
    await client.patch(ACCOUNT_KINDS.serviceAccount, home.name, 'etl', { spec: { keyRotation: { revision: 2 } } });
    const rotated = await waitForServiceAccount(client, home.name, 'etl', (s) => s.status?.keyRevision === 2 && s.status.deliveredTo?.[0]?.keyId === s.status.keyId);
    expect(await restartedAt('etl-app')).toBeDefined();
    expect(await restartedAt('stranger')).toBeUndefined();
    expect(condition(rotated, 'RolloutRestarted')).toMatchObject({ status: 'False', reason: 'NotAKeyConsumer' });
    expect(condition(rotated, 'RolloutRestarted')?.message).toContain(`In namespace ${payments.name}: Not restarted: deployment/stranger`);
    await mainKey('etl', 'BLINK_API_KEY');
  });

  it('removing the entry deletes the copy; so does withdrawing the opt-in', async () => {
    await optIn(billing.name, tenant);
    await createServiceAccount(client, home.name, 'web', { role: 'Consumer', delivery: [{ namespace: payments.name, secretName: 'web-key' }, { namespace: billing.name }] });
    const key = await eventually(async () => {
      const k = await getSecret(client, home.name, 'web-api-key');
      return k ? decode(k.data, 'apiKey') : undefined;
    });
    keys.add(key);
    await copyHolding(payments.name, 'web-key', key);
    await copyHolding(billing.name, 'web-api-key', key);
    await client.patch(ACCOUNT_KINDS.serviceAccount, home.name, 'web', { spec: { delivery: [{ namespace: billing.name }] } });
    await gone(payments.name, 'web-key');
    await sawEvent('web', 'KeyCopyRemoved');
    await optIn(billing.name, null);
    await gone(billing.name, 'web-api-key');
    const sa = await waitForServiceAccount(client, home.name, 'web', (s) => condition(s, 'KeyDelivered')?.reason === 'NamespaceNotOptedIn');
    expect(sa.status?.deliveredTo).toBeUndefined();
    await client.patch(ACCOUNT_KINDS.serviceAccount, home.name, 'web', { spec: { delivery: null } });
    await waitForServiceAccount(client, home.name, 'web', (s) => condition(s, 'KeyDelivered') === undefined);
  });

  it('never delivers to a system namespace (refused at admission), another tenant\'s namespace, or its own, even when labelled', async () => {
    for (const namespace of ['kube-system', 'default', 'blink-accounts-system']) {
      await expect(createServiceAccount(client, home.name, uniqueName('bad'), { role: 'Consumer', delivery: [{ namespace }] })).rejects.toThrow(/keys are never delivered there/);
    }
    await expect(createServiceAccount(client, home.name, uniqueName('dup'), { role: 'Consumer', delivery: [{ namespace: payments.name }, { namespace: payments.name }] })).rejects.toThrow(/Duplicate value/);
    await optIn(otherTenantNs.name, tenant);
    await optIn(home.name, tenant);
    await createServiceAccount(client, home.name, 'nosy', { role: 'Consumer', delivery: [{ namespace: otherTenantNs.name }, { namespace: home.name, secretName: 'nosy-copy' }] });
    const sa = await waitForServiceAccount(client, home.name, 'nosy', (s) => condition(s, 'KeyDelivered') !== undefined);
    expect(condition(sa, 'KeyDelivered')).toMatchObject({ status: 'False', reason: 'NamespaceRefused' });
    expect(condition(sa, 'KeyDelivered')?.message).toBe(
      `Never delivered to ${otherTenantNs.name} (it is a tenant's namespace), ${home.name} (it is the account's own namespace, where the key Secret already is): keys go only to namespaces outside every tenant and the cluster's own`,
    );
    expect(await getSecret(client, otherTenantNs.name, 'nosy-api-key')).toBeUndefined();
    expect(await getSecret(client, home.name, 'nosy-copy')).toBeUndefined();
    await optIn(otherTenantNs.name, null);
    await optIn(home.name, null);
  });

  it("never touches someone else's Secret of the copy's name in the namespace", async () => {
    await client.create(builtinKinds.secret, { metadata: { name: 'clash-api-key', namespace: payments.name, labels: { app: 'theirs' } }, type: 'Opaque', data: { token: Buffer.from('theirs').toString('base64') } });
    await createServiceAccount(client, home.name, 'clash', { role: 'Consumer', delivery: [{ namespace: payments.name }] });
    const sa = await waitForServiceAccount(client, home.name, 'clash', (s) => condition(s, 'KeyDelivered') !== undefined);
    expect(condition(sa, 'KeyDelivered')).toMatchObject({ status: 'False', reason: 'SecretConflict' });
    expect(condition(sa, 'KeyDelivered')?.message).toBe(`Secret ${payments.name}/clash-api-key exists and is not this account's copy: delete or rename it, or choose another secretName`);
    const theirs = await getSecret(client, payments.name, 'clash-api-key');
    expect({ type: theirs?.type, data: theirs?.data, labels: theirs?.metadata?.labels }).toEqual({ type: 'Opaque', data: { token: Buffer.from('theirs').toString('base64') }, labels: { app: 'theirs' } });
    // Deleting the account leaves it alone too.
    await client.delete(ACCOUNT_KINDS.serviceAccount, home.name, 'clash');
    await eventually(async () => ((await client.get(ACCOUNT_KINDS.serviceAccount, home.name, 'clash').catch(() => undefined)) === undefined ? true : undefined));
    expect((await getSecret(client, payments.name, 'clash-api-key'))?.data).toEqual({ token: Buffer.from('theirs').toString('base64') });
  });

  it('deleting the account deletes its copies, also when it went while the operator was down', async () => {
    await optIn(billing.name, tenant);
    for (const name of ['gone1', 'gone2']) await createServiceAccount(client, home.name, name, { role: 'Consumer', delivery: [{ namespace: billing.name }] });
    for (const name of ['gone1', 'gone2']) {
      const key = await eventually(async () => decode((await getSecret(client, home.name, `${name}-api-key`))?.data, 'apiKey'));
      keys.add(key);
      await copyHolding(billing.name, `${name}-api-key`, key);
    }
    await client.delete(ACCOUNT_KINDS.serviceAccount, home.name, 'gone1');
    await gone(billing.name, 'gone1-api-key');

    // Down: the account is deleted with its finalizer taken off by hand, so nothing runs for it.
    await operator.stop();
    await client.patch(ACCOUNT_KINDS.serviceAccount, home.name, 'gone2', { metadata: { finalizers: null } });
    await client.delete(ACCOUNT_KINDS.serviceAccount, home.name, 'gone2');
    await eventually(async () => ((await client.get(ACCOUNT_KINDS.serviceAccount, home.name, 'gone2').catch(() => undefined)) === undefined ? true : undefined));
    expect(await getSecret(client, billing.name, 'gone2-api-key')).toBeDefined();
    operator = await startTestOperator({ shard, clock });
    verifier = operator.services.apiKeyVerifier as ApiKeyVerifier;
    await gone(billing.name, 'gone2-api-key');
    // The other copies are left alone.
    expect(await getSecret(client, payments.name, 'etl-api-key')).toBeDefined();
  });

  it('leaks no key into Events or status', async () => {
    const events = await eventsText(client, home.name);
    const statuses = JSON.stringify((await client.list(ACCOUNT_KINDS.serviceAccount, { namespace: home.name })).items.map((o) => o['status']));
    expect(findLeaks(keys, { events: events.text, statuses })).toEqual([]);
  });
});
