// A reconcile that keeps failing says so in status, against the real control
// plane: a ResourceQuota that allows no Secret in a tenant namespace makes the
// API server refuse the API key Secret of a ServiceAccount. The account then says
// why it has no key (Ready=False, ReconcileError, the refusal in the message;
// Stalled=True: kstatus says Failed, the Argo CD health check Degraded), a Warning Event
// says the same, and nothing is written again while the refusal stays the same.
// Lifting the quota heals it (Ready=True, KeyIssued=True) with no one touching it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_KINDS } from '../../operator/api/index.js';
import type { RunningOperator } from '../../operator/operator.js';
import type { KindDescriptor } from '../../operator/runtime/kinds.js';
import type { KubeClient } from '../../operator/runtime/kube-client.js';
import { serviceAccountsFeature } from '../../operator/service-accounts/feature.js';
import { eventually, useNamespace } from '../harness/kube.js';
import { ensureKstatusCheck, kstatusOf } from '../harness/kstatus.js';
import { newShard, startTestOperator } from '../harness/operator.js';
import { eventsText, getSecret } from '../service-accounts/fixtures.js';
import { adminClient, createServiceAccount, createTenantWithNamespace, getServiceAccount, uniqueName, waitForServiceAccount } from '../harness/tenant.js';
import type { SA } from '../harness/tenant.js';

const resourceQuota: KindDescriptor = { group: '', version: 'v1', kind: 'ResourceQuota', plural: 'resourcequotas', namespaced: true };
const ns = useNamespace('quota');
const shard = newShard('quota');
let client: KubeClient;
let operator: RunningOperator;
let tenant: string;

/** What kstatus (sigs.k8s.io/cli-utils, as Flux and kpt read it) says of an account. */
async function verdict(sa: SA): Promise<string> {
  const [v] = await kstatusOf([{ ...sa, apiVersion: 'accounts.blinkops.com/v1alpha1', kind: 'ServiceAccount' }]);
  return v?.status ?? '?';
}

function condition(sa: SA, type: string): { status: string; reason: string; message: string } | undefined {
  return sa.status?.conditions?.find((c) => c.type === type);
}

beforeAll(async () => {
  await ensureKstatusCheck();
  client = adminClient();
  tenant = uniqueName('sa');
  await createTenantWithNamespace(client, { name: tenant, shard, namespace: ns.name, spec: { displayName: 'Service account tests' } });
  await client.create(resourceQuota, { metadata: { name: 'no-secrets', namespace: ns.name }, spec: { hard: { 'count/secrets': '0' } } });
  // The quota is enforced once the quota controller has counted what the namespace holds.
  await eventually(async () => {
    const quota = await client.get<{ status?: { hard?: Record<string, string> } }>(resourceQuota, ns.name, 'no-secrets');
    return quota.status?.hard?.['count/secrets'] !== undefined ? true : undefined;
  }, 30_000, 'the quota counted');
  operator = await startTestOperator({ shard }, [serviceAccountsFeature]);
  // The kstatus program is built on first use (about a minute).
}, 600_000);

afterAll(async () => {
  await operator?.stop();
  await client?.delete(ACCOUNT_KINDS.tenant, undefined, tenant).catch(() => undefined);
  client?.close();
});

describe('a ServiceAccount whose Secret the API server refuses', () => {
  it('says why it has no key, with a Warning Event, and writes nothing more while the refusal lasts', async () => {
    await createServiceAccount(client, ns.name, 'etl-runner', { role: 'Builder' });
    const sa = await waitForServiceAccount(client, ns.name, 'etl-runner', (s) => condition(s, 'Ready')?.status === 'False');
    const ready = condition(sa, 'Ready');
    expect(ready?.reason).toBe('ReconcileError');
    expect(ready?.message).toMatch(/^Creating Secret etl-runner-api-key failed: .*exceeded quota: no-secrets/);
    expect(ready?.message).not.toMatch(/\d{4}-\d{2}-\d{2}T|POST|\/api\/v1/);
    expect(condition(sa, 'KeyIssued')?.status).not.toBe('True');
    expect(condition(sa, 'Stalled')).toMatchObject({ status: 'True', reason: 'ReconcileError' });
    expect(await verdict(sa)).toBe('Failed');
    expect(await getSecret(client, ns.name, 'etl-runner-api-key')).toBeUndefined();

    const warning = await eventually(async () => {
      const { items } = await eventsText(client, ns.name);
      return items.find((e) => e['type'] === 'Warning' && e['reason'] === 'ReconcileError' && (e['regarding'] as { name?: string } | undefined)?.name === 'etl-runner');
    }, 10_000, 'a Warning Event about the account');
    expect(warning['note']).toBe(ready?.message);

    // The operator keeps retrying with backoff; the status it wrote stays as it is (no write storm).
    const resourceVersion = sa.metadata?.resourceVersion;
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect((await getServiceAccount(client, ns.name, 'etl-runner')).metadata?.resourceVersion).toBe(resourceVersion);
  });

  it('heals on its own once the quota is lifted', async () => {
    await client.delete(resourceQuota, ns.name, 'no-secrets');
    const sa = await waitForServiceAccount(client, ns.name, 'etl-runner', (s) => condition(s, 'Ready')?.status === 'True' && condition(s, 'KeyIssued')?.status === 'True', 60_000);
    expect(condition(sa, 'Stalled')).toBeUndefined();
    expect(await verdict(sa)).toBe('Current');
    expect(sa.status?.keyId).toBeTruthy();
    expect(await getSecret(client, ns.name, 'etl-runner-api-key')).toBeDefined();
  });
});
