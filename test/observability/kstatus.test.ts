// Conditions that kstatus reads correctly (sigs.k8s.io/cli-utils, what Flux and
// kpt use): a converged object is Current, one the operator cannot go on with
// until a person acts (Ready=False with such a reason) is Failed, one it is
// still working on (an SMTP send being retried) is InProgress. Real objects from
// the real operator, judged by the real library.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_KINDS, SHARD_LABEL, TENANT_LABEL } from '../../operator/api/index.js';
import type { RunningOperator } from '../../operator/operator.js';
import { builtinKinds } from '../../operator/runtime/kinds.js';
import { eventually, useNamespace } from '../harness/kube.js';
import { ensureKstatusCheck, kstatusOf } from '../harness/kstatus.js';
import { newShard, startTestOperator } from '../harness/operator.js';
import { adminClient, cleanUp, createServiceAccount, createTenant, createUser, tenantReady, uniqueName } from '../harness/tenant.js';

describe('kstatus reads the conditions', () => {
  const shard = newShard('kstatus');
  const client = adminClient();
  const tenant = uniqueName('kstatus');
  const ns = `tenant-${tenant}`;
  const elsewhere = useNamespace('kstatus-elsewhere');
  const operatorNs = useNamespace('kstatus-op');
  let operator: RunningOperator;

  const verdict = async (kind: typeof ACCOUNT_KINDS[keyof typeof ACCOUNT_KINDS], namespace: string | undefined, name: string): Promise<string> => {
    const object = await client.get(kind, namespace, name);
    const [v] = await kstatusOf([{ apiVersion: 'accounts.blinkops.com/v1alpha1', kind: kind.kind, ...object }]);
    return `${v?.status ?? '?'}: ${v?.message ?? ''}`;
  };

  beforeAll(async () => {
    await ensureKstatusCheck();
    // SMTP that refuses every connection: sends fail and are retried (work in progress).
    await client.create(builtinKinds.secret, { metadata: { name: 'smtp-down', namespace: operatorNs.name }, stringData: { host: '127.0.0.1', port: '1', secure: 'false', from: 'x@kstatus.example' } } as never);
    operator = await startTestOperator({ shard, namespace: operatorNs.name, smtpSecret: { namespace: operatorNs.name, name: 'smtp-down' } });
    await createTenant(client, tenant, shard);
    await tenantReady(client, tenant);
  }, 600_000);
  afterAll(async () => {
    await cleanUp(client, [tenant], [ns]);
    await operator?.stop();
    client.close();
  });

  it('a converged Tenant and ServiceAccount are Current', async () => {
    await createServiceAccount(client, ns, 'fine', { role: 'Builder' });
    await eventually(async () => ((await verdict(ACCOUNT_KINDS.serviceAccount, ns, 'fine')).startsWith('Current') ? true : undefined), 30_000, 'the account Current');
    expect(await verdict(ACCOUNT_KINDS.tenant, undefined, tenant)).toMatch(/^Current/);
  });

  it('a ServiceAccount outside any tenant (Ready=False NotInTenantNamespace) is Failed, not Current', async () => {
    // In this operator's shard, labelled for a tenant that does not exist.
    await client.patch(builtinKinds.namespace, undefined, elsewhere.name, { metadata: { labels: { [TENANT_LABEL]: 'no-such-tenant', [SHARD_LABEL]: shard } } });
    await createServiceAccount(client, elsewhere.name, 'stray', { role: 'Builder' });
    await eventually(async () => ((await verdict(ACCOUNT_KINDS.serviceAccount, elsewhere.name, 'stray')).startsWith('Failed') ? true : undefined), 30_000, 'the stray account Failed');
    expect(await verdict(ACCOUNT_KINDS.serviceAccount, elsewhere.name, 'stray')).toContain('belongs to no Tenant');
  });

  it('a ServiceAccount naming a missing Workspace is Failed, and Current once it exists', async () => {
    await createServiceAccount(client, ns, 'lost', { role: 'Builder', workspaces: ['nowhere'] });
    await eventually(async () => ((await verdict(ACCOUNT_KINDS.serviceAccount, ns, 'lost')).startsWith('Failed') ? true : undefined), 30_000, 'the account Failed');
    await client.create(ACCOUNT_KINDS.workspace, { metadata: { name: 'nowhere', namespace: ns }, spec: {} } as never);
    await eventually(async () => ((await verdict(ACCOUNT_KINDS.serviceAccount, ns, 'lost')).startsWith('Current') ? true : undefined), 30_000, 'the account Current');
  });

  it('a User whose invitation is being retried is InProgress', async () => {
    await createUser(client, ns, 'wren', { email: 'wren@kstatus.example', role: 'Builder' });
    await eventually(async () => ((await verdict(ACCOUNT_KINDS.user, ns, 'wren')).startsWith('InProgress') ? true : undefined), 30_000, 'the user InProgress');
  });
});
