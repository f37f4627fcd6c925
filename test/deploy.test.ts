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
import { accessApiCaller } from './harness/access.js';
import { adminKubeConfig, cluster, eventually, kubectl } from './harness/kube.js';
import { newShard, spawnOperator } from './harness/operator.js';
import type { OperatorProcess } from './harness/operator.js';
import { startReceiver } from './events-out/receiver.js';
import type { TestReceiver } from './events-out/receiver.js';
import { acceptOverHttp, apply, linkOf, startTestSmtp } from './users/fixtures.js';
import type { TestSmtp } from './users/fixtures.js';

const DEPLOY = fileURLToPath(new URL('../deploy/operator.yaml', import.meta.url));
const OPERATOR_USER = 'system:serviceaccount:blink-accounts-system:blink-accounts-operator';

/** Grants no request exercises, with the reason each stays (deploy/operator.yaml says the same beside it). */
const NOT_A_REQUEST: Readonly<Record<string, string>> = {
  'rbac.authorization.k8s.io/clusterroles:bind': 'checked when a RoleBinding to a role ClusterRole is written, never requested itself',
  'accounts.blinkops.com/users/finalizers:update': 'OwnerReferencesPermissionEnforcement: blockOwnerDeletion on owner references to Users',
  'accounts.blinkops.com/serviceaccounts/finalizers:update': 'OwnerReferencesPermissionEnforcement: blockOwnerDeletion on owner references to ServiceAccounts',
  '/namespaces:patch': 'labels an existing namespace that opted in to adoption, or whose labels drifted',
  'events.k8s.io/events:patch': 'counts a repeat of the same Event (an Event series)',
  'accounts.blinkops.com/users:create': 'the SCIM endpoint creates the Users an identity provider provisions (test/scim/), only for tenants that opt in to SCIM',
  'accounts.blinkops.com/users:delete': 'the SCIM endpoint deletes the Users an identity provider deprovisions (test/scim/), only for tenants that opt in to SCIM',
  'accounts.blinkops.com/groups:create': 'the SCIM endpoint creates the Groups an identity provider provisions (test/scim/), only for tenants that opt in to SCIM',
  'accounts.blinkops.com/groups:patch': 'the SCIM endpoint server-side applies the Groups an identity provider renames (test/scim/), only for tenants that opt in to SCIM',
  'accounts.blinkops.com/groups:delete': 'the SCIM endpoint deletes the Groups an identity provider deprovisions (test/scim/), only for tenants that opt in to SCIM',
  'rbac.authorization.k8s.io/rolebindings:create': 'a server-side apply that creates a binding is authorized as create, audited as patch (without it no binding is ever made)',
};

interface RbacObject {
  kind?: string;
  rules?: { apiGroups?: string[]; resources?: string[]; verbs?: string[] }[];
}
interface AuditEvent {
  verb?: string;
  user?: { username?: string };
  objectRef?: { apiGroup?: string; resource?: string; subresource?: string };
}

/** Every `group/resource[/sub]:verb` the ClusterRoles and Roles of a manifest grant. */
function grantsOf(objects: readonly RbacObject[]): Set<string> {
  const grants = new Set<string>();
  for (const object of objects) {
    if (object.kind !== 'ClusterRole' && object.kind !== 'Role') continue;
    for (const rule of object.rules ?? []) {
      for (const group of rule.apiGroups ?? []) for (const resource of rule.resources ?? []) for (const verb of rule.verbs ?? []) grants.add(`${group}/${resource}:${verb}`);
    }
  }
  return grants;
}
const NAMESPACE = 'blink-accounts-system';

/** The kinds a ServiceAccount's restartTargets can name. */
const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet'] as const;

/**
 * A workload of no pods (no kubelet runs here) to restart, using the key of Secret `keySecret` (only such
 * a workload is restarted): the Deployment mounts it, the StatefulSet takes it with envFrom, the DaemonSet
 * is annotated for the account.
 */
function workload(kind: (typeof WORKLOAD_KINDS)[number], namespace: string, name: string, account: string, keySecret: string): object {
  const container = { name: 'app', image: 'example.invalid/app:1', ...(kind === 'StatefulSet' ? { envFrom: [{ secretRef: { name: keySecret } }] } : {}) };
  const volumes = kind === 'Deployment' ? { volumes: [{ name: 'key', secret: { secretName: keySecret } }] } : {};
  const template = { metadata: { labels: { app: name } }, spec: { containers: [container], ...volumes } };
  const spec = { selector: { matchLabels: { app: name } }, template, ...(kind === 'DaemonSet' ? {} : { replicas: 0 }), ...(kind === 'StatefulSet' ? { serviceName: name } : {}) };
  const annotations = kind === 'DaemonSet' ? { 'accounts.blinkops.com/restart-on-key-rotation': account } : {};
  return { apiVersion: 'apps/v1', kind, metadata: { name, namespace, annotations }, spec };
}

describe('the operator under the RBAC of deploy/operator.yaml', () => {
  const shard = newShard('deploy');
  const tenant = `deploy-${shard.slice(-8)}`;
  const tenantNs = `tenant-${tenant}`;
  // A namespace of applications that opted in to receive the tenant's keys (spec.delivery).
  const appNs = `deploy-app-${shard.slice(-8)}`;
  let dir = '';
  let smtp: TestSmtp | undefined;
  let operator: OperatorProcess | undefined;
  let receiver: TestReceiver | undefined;

  beforeAll(async () => {
    // Everything of deploy/operator.yaml but the workload (no kubelet runs here).
    const objects = parseAllDocuments(await readFile(DEPLOY, 'utf8')).map((d) => d.toJS() as { kind: string; spec?: Record<string, unknown> });
    // The Secret policy judges this shard's namespaces only: cluster-wide it would refuse every other test's
    // operator (they run as the admin, not as this ServiceAccount). Here the operator works under it.
    for (const binding of objects.filter((o) => o.kind === 'ValidatingAdmissionPolicyBinding')) {
      binding.spec = { ...binding.spec, matchResources: { namespaceSelector: { matchLabels: { [SHARD_LABEL]: shard } } } };
    }
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
    await receiver?.close();
    await kubectl(['delete', 'tenant', tenant, '--ignore-not-found', '--wait=false']).catch(() => undefined);
    await kubectl(['delete', 'namespace', appNs, '--ignore-not-found', '--wait=false']).catch(() => undefined);
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
    await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: appNs, labels: { 'accounts.blinkops.com/accept-keys-from': tenant } } });
    // Account events to a webhook: the signing Secret read in the tenant namespace, the outbox written in the operator's.
    receiver = await startReceiver();
    await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'webhook-signing', namespace: tenantNs }, stringData: { secret: receiver.secret } });
    await kubectl(['patch', 'tenant', tenant, '--type=merge', '-p', JSON.stringify({ spec: { notifications: { webhooks: [{ name: 'audit', url: receiver.url, secretRef: { name: 'webhook-signing', key: 'secret' } }] } } })]);
    await eventually(async () => ((await get('tenant', tenant, '{.status.conditions[?(@.type=="WebhookDelivery")].status}', '')) === 'True' ? true : undefined), 30_000, 'WebhookDelivery=True');
    await apply(
      { apiVersion: 'accounts.blinkops.com/v1alpha1', kind: 'Workspace', metadata: { name: 'ops', namespace: tenantNs }, spec: {} },
      { apiVersion: 'accounts.blinkops.com/v1alpha1', kind: 'Group', metadata: { name: 'admins', namespace: tenantNs }, spec: {} },
      {
        apiVersion: 'accounts.blinkops.com/v1alpha1',
        kind: 'ServiceAccount',
        metadata: { name: 'robot', namespace: tenantNs },
        spec: { role: 'Builder', workspaces: ['ops'], keyRotation: { restartTargets: WORKLOAD_KINDS.map((kind) => ({ kind, name: 'robot-app' })) }, delivery: [{ namespace: appNs }] },
      },
      ...WORKLOAD_KINDS.map((kind) => workload(kind, tenantNs, 'robot-app', 'robot', 'robot-api-key')),
      { apiVersion: 'accounts.blinkops.com/v1alpha1', kind: 'User', metadata: { name: 'ada', namespace: tenantNs }, spec: { email: 'ada@deploy.example', role: 'Admin' } },
    );
    await eventually(async () => ((await get('bsa', 'robot', '{.status.conditions[?(@.type=="Ready")].status}')) === 'True' ? true : undefined), 30_000, 'the ServiceAccount to be Ready');
    expect(await get('secret', 'robot-api-key', '{.type}')).toBe('accounts.blinkops.com/api-key');
    // The copy in the namespace that opted in (a create there, under the same Secret grant).
    await eventually(async () => ((await get('secret', 'robot-api-key', '{.type}', appNs)) === 'accounts.blinkops.com/api-key-copy' ? true : undefined), 30_000, 'the key copy');

    const link = linkOf(await smtp!.waitForMessage('ada@deploy.example'));
    expect((await acceptOverHttp(link)).status).toBe(200);
    await eventually(async () => ((await get('user', 'ada', '{.status.phase}')) === 'Active' ? true : undefined), 30_000, 'the User to be Active');
    await eventually(async () => ((await get('rolebinding', 'blink-user-ada', '{.roleRef.name}')) === 'blink-accounts-admin' ? true : undefined), 30_000, 'the RoleBinding');
    const { stdout: canCreate } = await kubectl(['auth', 'can-i', 'create', 'users.accounts.blinkops.com', '-n', tenantNs, '--as', 'ada@deploy.example']);
    expect(canCreate.trim()).toBe('yes');

    // The access API checks its caller with TokenReview and SubjectAccessReview, as the operator's ServiceAccount.
    const caller = await accessApiCaller(tenantNs);
    const asked = await fetch(`${operator!.urls().accessApiUrl}/api/v1/authorize`, {
      method: 'POST',
      headers: { ...caller.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ tenant, principal: { serviceAccount: 'robot' }, workspace: 'ops', action: 'execute' }),
    });
    expect({ status: asked.status, body: (await asked.json()) as unknown }).toMatchObject({ status: 200, body: { allowed: true, reason: 'WorkspaceMember' } });

    // Rotation (the Secret is replaced), a role change (the binding is re-created), a removal (the record goes).
    const keyId = await get('bsa', 'robot', '{.status.keyId}');
    await kubectl(['patch', 'bsa', 'robot', '-n', tenantNs, '--type=merge', '-p', '{"spec":{"keyRotation":{"revision":1,"gracePeriod":"2s"}}}']);
    await eventually(async () => ((await get('bsa', 'robot', '{.status.keyId}')) !== keyId ? true : undefined), 30_000, 'the rotated key');
    // The copy follows (replaced whole).
    const rotatedKeyId = await get('bsa', 'robot', '{.status.keyId}');
    await eventually(async () => ((await get('secret', 'robot-api-key', '{.metadata.labels.accounts\\.blinkops\\.com/key-id}', appNs)) === rotatedKeyId ? true : undefined), 30_000, 'the copy to follow');
    // The new key's restart targets get a rollout restart (a get and a patch of each kind).
    for (const kind of WORKLOAD_KINDS) {
      await eventually(async () => ((await get(kind.toLowerCase(), 'robot-app', '{.spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}')) !== '' ? true : undefined), 30_000, `the ${kind} restart`);
    }
    // The grace period ends: the previous key's hash is removed from the Secret (a patch).
    await eventually(async () => ((await get('secret', 'robot-api-key', '{.data.previousKeyHash}')) === '' ? true : undefined), 30_000, 'the grace period to end');
    await kubectl(['patch', 'user', 'ada', '-n', tenantNs, '--type=merge', '-p', '{"spec":{"role":"Builder"}}']);
    await eventually(async () => ((await get('rolebinding', 'blink-user-ada', '{.roleRef.name}')) === 'blink-accounts-builder' ? true : undefined), 30_000, 'the Builder binding');
    await kubectl(['delete', 'user', 'ada', '-n', tenantNs, '--wait=true', '--timeout=30s']);
    expect(await get('secret', 'blink-invitation-ada', '{.metadata.name}')).toBe('');

    await kubectl(['delete', 'bsa', 'robot', '-n', tenantNs, '--wait=true', '--timeout=30s']);
    expect(await get('secret', 'robot-api-key', '{.metadata.name}')).toBe('');
    expect(await get('secret', 'robot-api-key', '{.metadata.name}', appNs)).toBe('');

    // Every transition reached the webhook, signed.
    await eventually(async () => {
      const types = receiver!.received.map((r) => `${r.data.object.name} ${r.type.replace('com.blinkops.accounts.', '')}`);
      return types.includes('ada user.removed') && types.includes('robot serviceaccount.key.deleted') ? types : undefined;
    }, 30_000, 'the removal events');
    expect(receiver!.received.every((r) => r.verified)).toBe(true);
    expect(receiver!.received.map((r) => r.type)).toContain('com.blinkops.accounts.serviceaccount.key.rotated');

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

  it('uses every permission the shipped RBAC grants (kube-apiserver audit log), or the grant says why not', async () => {
    const granted = grantsOf(parseAllDocuments(await readFile(DEPLOY, 'utf8')).map((d) => d.toJS() as RbacObject));
    const used = new Set<string>();
    for (const line of (await readFile(join(cluster().dir, 'logs', 'audit.log'), 'utf8')).split('\n')) {
      if (!line) continue;
      const event = JSON.parse(line) as AuditEvent;
      if (event.user?.username !== OPERATOR_USER || !event.objectRef) continue;
      const { apiGroup = '', resource = '', subresource } = event.objectRef;
      used.add(`${apiGroup}/${resource}${subresource ? `/${subresource}` : ''}:${event.verb}`);
    }
    expect(used.size).toBeGreaterThan(10);
    process.stderr.write(`[deploy] requests the operator made, by resource and verb: ${[...used].sort().join(', ')}\n`);
    const unused = [...granted].filter((grant) => !used.has(grant) && !(grant in NOT_A_REQUEST)).sort();
    expect(unused).toEqual([]);
    // And nothing the operator asked for is outside the grants (those would be 403s).
    expect([...used].filter((u) => !granted.has(u)).sort()).toEqual([]);
  });
});
