// The product's figures on /metrics, from a real operator against the real API
// server: users per phase, invitations, service accounts without a key, key
// ages; no email, user name or key in any label or value.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_KINDS } from '../../operator/api/index.js';
import type { RunningOperator } from '../../operator/operator.js';
import { eventually } from '../harness/kube.js';
import { scrapeMetrics } from '../harness/metrics.js';
import { newShard, startTestOperator } from '../harness/operator.js';
import { adminClient, cleanUp, createServiceAccount, createTenant, createUser, tenantReady, uniqueName } from '../harness/tenant.js';

describe('domain metrics', () => {
  const shard = newShard('metrics');
  const client = adminClient();
  const tenant = uniqueName('metrics');
  const ns = `tenant-${tenant}`;
  let operator: RunningOperator;

  const scrape = async (): Promise<string> => scrapeMetrics(`${operator.metricsUrl}/metrics`);
  const value = (text: string, series: string): number | undefined => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };

  beforeAll(async () => {
    operator = await startTestOperator({ shard });
    await createTenant(client, tenant, shard);
    await tenantReady(client, tenant);
    await createUser(client, ns, 'quinn', { email: 'quinn@metrics.example', role: 'Builder' });
    await createUser(client, ns, 'rae', { email: 'rae@metrics.example', role: 'Consumer', active: false });
    await createServiceAccount(client, ns, 'robot', { role: 'Builder' });
  });
  afterAll(async () => {
    await cleanUp(client, [tenant], [ns]);
    await operator?.stop();
    client.close();
  });

  it('counts users per phase and service accounts by key', async () => {
    const text = await eventually(async () => {
      const t = await scrape();
      return value(t, `blink_accounts_api_keys{tenant="${tenant}",age="under_1d"}`) === 1 ? t : undefined;
    }, 30_000, 'the key in the metrics');
    expect(value(text, `blink_accounts_users{tenant="${tenant}",phase="Invited"}`)).toBe(1);
    expect(value(text, `blink_accounts_users{tenant="${tenant}",phase="Inactive"}`)).toBe(1);
    expect(value(text, `blink_accounts_users{tenant="${tenant}",phase="Active"}`)).toBe(0);
    expect(value(text, `blink_accounts_service_accounts_without_key{tenant="${tenant}"}`)).toBe(0);
    expect(value(text, `blink_accounts_api_key_oldest_age_seconds{tenant="${tenant}"}`)).toBeLessThan(600);
  });

  it('a service account that cannot get a key is counted without one', async () => {
    await client.create({ group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true }, { metadata: { name: 'squat-api-key', namespace: ns }, stringData: { note: 'not ours' } } as never);
    await createServiceAccount(client, ns, 'squat', { role: 'Consumer' });
    await eventually(async () => (value(await scrape(), `blink_accounts_service_accounts_without_key{tenant="${tenant}"}`) === 1 ? true : undefined), 30_000, 'one account without a key');
    await client.delete(ACCOUNT_KINDS.serviceAccount, ns, 'squat');
  });

  it('carries no email, user or account name and no key in any label or value', async () => {
    // (Pending, expired and failing invitations are counted from the records: domain-metrics.test.ts.)
    const text = await scrape();
    expect(value(text, `blink_accounts_invitations{tenant="${tenant}",state="failing"}`)).toBe(0);
    for (const secret of ['quinn', 'rae', 'robot', '@metrics.example', 'blink_sa_', 'blink_inv_']) expect(text).not.toContain(secret);
  });
});
