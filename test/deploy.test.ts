// The operator under exactly the RBAC that deploy/operator.yaml ships: a token of
// its ServiceAccount (TokenRequest API), leader election on, every feature. A
// permission missing from the ClusterRole or Role shows up here as a resource
// that never converges, or as "forbidden" in the operator's logs.
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { applyObjects } from '../operator/kube/apply.js';
import { SHARD_LABEL } from '../operator/api/index.js';
import { adminKubeConfig, cluster, eventually, kubectl } from './harness/kube.js';
import { newShard, spawnOperator } from './harness/operator.js';
import type { OperatorProcess } from './harness/operator.js';
import { acceptOverHttp, apply, linkOf, startTestSmtp } from './users/fixtures.js';
import type { TestSmtp } from './users/fixtures.js';

const DEPLOY = fileURLToPath(new URL('../deploy/operator.yaml', import.meta.url));
const NAMESPACE = 'blink-accounts-system';

describe('the operator under the RBAC of deploy/operator.yaml', () => {
  const shard = newShard('deploy');
  const tenant = `deploy-${shard.slice(-8)}`;
  const tenantNs = `tenant-${tenant}`;
  let dir = '';
  let smtp: TestSmtp | undefined;
  let operator: OperatorProcess | undefined;

  beforeAll(async () => {
    // Everything of deploy/operator.yaml but the workload (no kubelet runs here).
    const objects = parseAllDocuments(await readFile(DEPLOY, 'utf8')).map((d) => d.toJS() as { kind: string });
    await applyObjects(adminKubeConfig(), objects.filter((o) => !['Deployment', 'Service'].includes(o.kind)) as never);
    const token = await adminKubeConfig()
      .makeApiClient(CoreV1Api)
      .createNamespacedServiceAccountToken({ namespace: NAMESPACE, name: 'blink-accounts-operator', body: { spec: { audiences: [], expirationSeconds: 3600 } } });
    dir = await mkdtemp(join(tmpdir(), 'deploy-test-'));
    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: cluster().server, 'certificate-authority': join(cluster().dir, 'pki', 'apiserver.crt') } }],
        users: [{ name: 'operator', user: { token: token.status?.token } }],
        contexts: [{ name: 'c', context: { cluster: 'c', user: 'operator' } }],
        'current-context': 'c',
      }),
    );
    smtp = await startTestSmtp(NAMESPACE);
    operator = await spawnOperator(
      ['--kubeconfig', kubeconfig, '--namespace', NAMESPACE, '--shard', shard, '--smtp-secret', `${NAMESPACE}/${smtp.secret.name}`, '--metrics-port', '0', '--http-port', '0'],
      { LOG_LEVEL: 'info' },
    );
  });

  afterAll(async () => {
    await operator?.kill('SIGTERM');
    await smtp?.close();
    await kubectl(['delete', 'tenant', tenant, '--ignore-not-found', '--wait=false']).catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs a tenant end to end with no permission missing', async () => {
    const get = async (resource: string, name: string, jsonpath: string, ns = tenantNs) =>
      (await kubectl(['get', resource, name, '-n', ns, '-o', `jsonpath=${jsonpath}`]).catch(() => ({ stdout: '' }))).stdout;
    await apply({
      apiVersion: 'accounts.blinkops.com/v1alpha1',
      kind: 'Tenant',
      metadata: { name: tenant, labels: { [SHARD_LABEL]: shard } },
      spec: { displayName: 'Deploy Test', deletionPolicy: 'Delete' },
    });
    await eventually(async () => ((await get('tenant', tenant, '{.status.conditions[?(@.type=="Ready")].status}', '')) === 'True' ? true : undefined), 30_000, 'the Tenant to be Ready');
    await apply(
      { apiVersion: 'accounts.blinkops.com/v1alpha1', kind: 'Workspace', metadata: { name: 'ops', namespace: tenantNs }, spec: {} },
      { apiVersion: 'accounts.blinkops.com/v1alpha1', kind: 'ServiceAccount', metadata: { name: 'robot', namespace: tenantNs }, spec: { role: 'Builder', workspaces: ['ops'] } },
      { apiVersion: 'accounts.blinkops.com/v1alpha1', kind: 'User', metadata: { name: 'ada', namespace: tenantNs }, spec: { email: 'ada@deploy.example', role: 'Admin' } },
    );
    await eventually(async () => ((await get('bsa', 'robot', '{.status.conditions[?(@.type=="Ready")].status}')) === 'True' ? true : undefined), 30_000, 'the ServiceAccount to be Ready');
    expect(await get('secret', 'robot-api-key', '{.type}')).toBe('accounts.blinkops.com/api-key');

    const link = linkOf(await smtp!.waitForMessage('ada@deploy.example'));
    expect((await acceptOverHttp(link)).status).toBe(200);
    await eventually(async () => ((await get('user', 'ada', '{.status.phase}')) === 'Active' ? true : undefined), 30_000, 'the User to be Active');
    await eventually(async () => ((await get('rolebinding', 'blink-user-ada', '{.roleRef.name}')) === 'blink-accounts-admin' ? true : undefined), 30_000, 'the RoleBinding');
    const { stdout: canCreate } = await kubectl(['auth', 'can-i', 'create', 'users.accounts.blinkops.com', '-n', tenantNs, '--as', 'ada@deploy.example']);
    expect(canCreate.trim()).toBe('yes');

    await kubectl(['delete', 'bsa', 'robot', '-n', tenantNs, '--wait=true', '--timeout=30s']);
    expect(await get('secret', 'robot-api-key', '{.metadata.name}')).toBe('');

    // deletionPolicy Delete: the operator deletes the namespace (its ClusterRole allows it).
    await kubectl(['delete', 'tenant', tenant, '--wait=true', '--timeout=60s']);
    await eventually(
      () => adminKubeConfig().makeApiClient(CoreV1Api).readNamespace({ name: tenantNs }).then(() => undefined, () => true),
      60_000,
      'the tenant namespace to be deleted',
    );
    const forbidden = operator!.output().split('\n').filter((line) => /forbidden|\b403\b/i.test(line));
    expect(forbidden).toEqual([]);
  });
});
