// A new ServiceAccount on an idle operator: the pass its own writes bring (the finalizer, the key
// Secret) must not write status again from a cache that has not seen the status write yet: that
// repeated PATCH is refused with 409 Conflict and retried, a wasted request per account.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningOperator } from '../../operator/operator.js';
import { ACCOUNT_KINDS } from '../../operator/api/index.js';
import type { KubeClient } from '../../operator/runtime/kube-client.js';
import { eventually, useNamespace } from '../harness/kube.js';
import { newShard, startTestOperator } from '../harness/operator.js';
import { adminClient, createServiceAccount, createTenantWithNamespace, uniqueName, waitForServiceAccount } from '../harness/tenant.js';

const ACCOUNTS = 12;
const ns = useNamespace('sa-own');
const shard = newShard('sa-own');
let client: KubeClient;
let operator: RunningOperator;
let tenant: string;

/** A metric of the operator's own, summed over the series of the service-account controller (`label` names it). */
async function metric(name: string, label = 'controller'): Promise<number> {
  const text = await operator.manager.metrics.registry.metrics();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) || !line.includes(`${label}="service-account"`)) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** Nothing queued and no worker busy in the ServiceAccount controller. */
async function idle(): Promise<true | undefined> {
  return (await metric('workqueue_depth', 'name')) === 0 && (await metric('controller_runtime_active_workers')) === 0 ? true : undefined;
}

beforeAll(async () => {
  client = adminClient();
  tenant = uniqueName('sa-own');
  await createTenantWithNamespace(client, { name: tenant, shard, namespace: ns.name, spec: { displayName: 'Own writes' } });
  operator = await startTestOperator({ shard });
});

afterAll(async () => {
  await operator?.stop();
  await client?.delete(ACCOUNT_KINDS.tenant, undefined, tenant).catch(() => undefined);
  client?.close();
});

describe('a new ServiceAccount on an idle operator', () => {
  it('gets its status written without a 409: no pass writes from a cache behind the operator\'s own write', async () => {
    await eventually(idle, 30_000, 'the operator to be idle');
    const errorsBefore = await metric('controller_runtime_reconcile_errors_total');
    for (let i = 0; i < ACCOUNTS; i++) {
      const name = `bot-${i}`;
      await createServiceAccount(client, ns.name, name, { role: 'Consumer' });
      await waitForServiceAccount(client, ns.name, name);
      // Idle again before the next one: every pass the account's own writes bring has run.
      await eventually(idle, 30_000, `the operator to be idle after ${name}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await eventually(idle, 30_000, `the operator to be idle after ${name}`);
    }
    const errors = (await metric('controller_runtime_reconcile_errors_total')) - errorsBefore;
    process.stderr.write(`[own-writes] ${ACCOUNTS} accounts: ${errors} failed ServiceAccount reconciles\n`);
    expect(errors).toBe(0);
  });
});
