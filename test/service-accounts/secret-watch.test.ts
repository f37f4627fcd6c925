// The operator remembers only its own Secrets: what strangers create, in a
// tenant namespace or anywhere else, never reaches its caches (its memory grows
// with tenants' objects only), and the chart's ValidatingAdmissionPolicy keeps
// everyone but the operator's ServiceAccount from writing a Secret that would
// pass for the operator's (its types, its managed-by label). Against the real
// kube-apiserver, with real identities (impersonated with kubectl --as).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { MANAGED_LABELS, SHARD_LABEL, TENANT_LABEL } from '../../operator/api/index.js';
import { applyObjects } from '../../operator/kube/apply.js';
import type { RunningOperator } from '../../operator/operator.js';
import { builtinKinds } from '../../operator/runtime/kinds.js';
import type { KubeObject } from '../../operator/runtime/kinds.js';
import { apiKeySecretInformer } from '../../operator/service-accounts/api-key-secret.js';
import { helmBinary, helmTemplate } from '../../tools/helm/render-manifests.js';
import { adminKubeConfig, eventually, kubectl, useNamespace } from '../harness/kube.js';
import { newShard, startTestOperator } from '../harness/operator.js';
import { adminClient, createServiceAccount, createTenantWithNamespace, uniqueName, waitForServiceAccount } from '../harness/tenant.js';

const STRANGERS_IN_TENANT = 2_000;
const STRANGERS_ELSEWHERE = 500;

/** Creates `count` Secrets made by `make(i)`, 32 at a time. */
async function createSecrets(count: number, make: (i: number) => KubeObject): Promise<void> {
  const client = adminClient();
  try {
    for (let i = 0; i < count; i += 32) {
      await Promise.all(Array.from({ length: Math.min(32, count - i) }, (_, j) => client.create(builtinKinds.secret, make(i + j))));
    }
  } finally {
    client.close();
  }
}

/** Secrets in every Secret cache of the operator. */
function cachedSecrets(operator: RunningOperator): number {
  return operator.manager
    .cacheSizes()
    .filter((c) => c.kind === 'Secret')
    .reduce((sum, c) => sum + c.objects, 0);
}

describe("the operator's Secret caches", () => {
  const shard = newShard('secret-watch');
  const tenantNs = useNamespace('sw-tenant');
  const elsewhere = useNamespace('sw-elsewhere');
  const client = adminClient();
  let operator: RunningOperator;

  beforeAll(async () => {
    operator = await startTestOperator({ shard });
    await createTenantWithNamespace(client, { name: uniqueName('sa'), shard, namespace: tenantNs.name, spec: { displayName: 'Service account tests' } });
    await createServiceAccount(client, tenantNs.name, 'robot', { role: 'Admin' });
    await waitForServiceAccount(client, tenantNs.name, 'robot');
  }, 60_000);
  afterAll(async () => {
    await operator?.stop();
    client.close();
  });

  it(`do not grow with ${STRANGERS_IN_TENANT} strangers' Secrets in a tenant namespace, nor with look-alikes elsewhere`, async () => {
    const before = apiKeySecretInformer(operator.manager).size;
    expect(before).toBe(1);
    // What other software labels its own Secrets with (the recommended labels say component=api-key for an API key).
    await createSecrets(STRANGERS_IN_TENANT, (i) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `stranger-${i}`, namespace: tenantNs.name, labels: { 'app.kubernetes.io/component': 'api-key' } },
      stringData: { apiKey: `not-ours-${i}` },
    }));
    // Exact look-alikes of the operator's Secrets (labels, type) in a namespace that is no tenant's:
    // nothing stops their author there unless the chart's admission policy is installed.
    await createSecrets(STRANGERS_ELSEWHERE, (i) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'accounts.blinkops.com/api-key',
      metadata: { name: `lookalike-${i}`, namespace: elsewhere.name, labels: { ...MANAGED_LABELS, 'app.kubernetes.io/component': 'api-key', [TENANT_LABEL]: 'someone' } },
      stringData: { apiKey: `not-ours-${i}` },
    }));
    // A Secret of the operator's made after them: once it is cached, every event before it was seen.
    await createServiceAccount(client, tenantNs.name, 'marker', { role: 'Admin' });
    await eventually(async () => apiKeySecretInformer(operator.manager).get(`${tenantNs.name}/marker-api-key`), 30_000, 'the marker key Secret in the cache');
    expect(apiKeySecretInformer(operator.manager).size).toBe(2);
    // Every Secret cache of the operator (the invitation records' too).
    expect(cachedSecrets(operator)).toBe(2);
    process.stderr.write(`secret-watch: ${STRANGERS_IN_TENANT + STRANGERS_ELSEWHERE} strangers' Secrets; cached Secrets ${before} -> ${cachedSecrets(operator)}\n`);
  }, 240_000);

  it('brings in the Secrets of a namespace that comes into scope later (one relist)', async () => {
    await createTenantWithNamespace(client, { name: uniqueName('sa'), shard, namespace: elsewhere.name, spec: { displayName: 'Service account tests' } });
    await eventually(async () => (cachedSecrets(operator) === 2 + STRANGERS_ELSEWHERE ? true : undefined), 30_000, 'the newly scoped namespace in the cache');
  }, 60_000);
});

describe('the admission policy reserving the operator\'s Secrets', () => {
  const id = randomBytes(3).toString('hex');
  const release = `sw-${id}`;
  const shard = newShard('secret-policy');
  const releaseNs = useNamespace('sw-release');
  const tenantNs = useNamespace('sw-policy');
  /** A namespace of applications that opted in to receive key copies (spec.delivery). */
  const appNs = useNamespace('sw-policy-app');
  /** The chart's ServiceAccount of the operator: <release>-blink-accounts-operator. */
  const operatorSa = `${release}-blink-accounts-operator`;
  const operatorUser = (): string => `system:serviceaccount:${releaseNs.name}:${operatorSa}`;
  const editor = `editor-${id}@tenant.example`;
  let policies: KubeObject[] = [];

  /** Runs kubectl as `user` (impersonated); resolves with the exit and what it printed. */
  const as = async (user: string, args: string[], input?: string): Promise<{ ok: boolean; output: string }> => {
    const groups = user.startsWith('system:serviceaccount:') ? ['--as-group', 'system:serviceaccounts', '--as-group', 'system:authenticated'] : ['--as-group', 'system:authenticated'];
    return kubectl([...args, ...(args.includes('-n') ? [] : ['-n', tenantNs.name]), '--as', user, ...groups], input === undefined ? {} : { input }).then(
      (r) => ({ ok: true, output: r.stdout + r.stderr }),
      (error: Error & { stderr?: string }) => ({ ok: false, output: error.stderr ?? error.message }),
    );
  };
  const secret = (name: string, extra: { type?: string; labels?: Record<string, string> }): string =>
    JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: tenantNs.name, ...(extra.labels ? { labels: extra.labels } : {}) }, ...(extra.type ? { type: extra.type } : {}), stringData: { v: 'x' } });

  beforeAll(async () => {
    // The chart's policy for a release of this shard (its binding covers only the shard's namespaces).
    const rendered = await helmTemplate(await helmBinary(), [`operator.shard=${shard}`, 'admissionPolicy.install=false'], { name: release, namespace: releaseNs.name });
    policies = parseAllDocuments(rendered)
      .map((d) => d.toJS() as KubeObject | null)
      .filter((o): o is KubeObject => o !== null && /^ValidatingAdmissionPolicy(Binding)?$/.test(o.kind ?? ''));
    expect(policies.map((p) => p.kind).sort()).toEqual(['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding', 'ValidatingAdmissionPolicyBinding']);
    // The second binding covers the namespaces that opted in to key copies. Here it is narrowed to this
    // test's own such namespace: cluster-wide it would judge every other test's operator (the admin).
    const delivery = policies.find((p) => p.metadata?.name?.endsWith('-reserved-secrets-delivery')) as KubeObject & { spec: { matchResources: { namespaceSelector: unknown } } };
    expect(delivery.spec.matchResources.namespaceSelector).toEqual({ matchExpressions: [{ key: 'accounts.blinkops.com/accept-keys-from', operator: 'Exists' }] });
    delivery.spec.matchResources.namespaceSelector = { matchLabels: { 'accounts.blinkops.com/accept-keys-from': `policy-${id}` } };
    expect(parseAllDocuments(rendered).some((d) => (d.toJS() as KubeObject | null)?.kind === 'ServiceAccount' && (d.toJS() as KubeObject).metadata?.name === operatorSa)).toBe(true);
    const client = adminClient();
    try {
      await client.patch(builtinKinds.namespace, undefined, tenantNs.name, { metadata: { labels: { [TENANT_LABEL]: `policy-${id}`, [SHARD_LABEL]: shard } } });
      await client.patch(builtinKinds.namespace, undefined, appNs.name, { metadata: { labels: { 'accounts.blinkops.com/accept-keys-from': `policy-${id}` } } });
    } finally {
      client.close();
    }
    const edit = { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' };
    await applyObjects(adminKubeConfig(), [
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: operatorSa, namespace: releaseNs.name } },
      // Both may write Secrets in the tenant namespace: only the policy tells them apart.
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: `editor-${id}`, namespace: tenantNs.name }, roleRef: edit, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: editor }] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: `operator-${id}`, namespace: tenantNs.name }, roleRef: edit, subjects: [{ kind: 'ServiceAccount', name: operatorSa, namespace: releaseNs.name }] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: `editor-${id}`, namespace: appNs.name }, roleRef: edit, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: editor }] },
      ...policies,
    ] as never);
  }, 600_000);
  afterAll(async () => {
    for (const policy of policies) await kubectl(['delete', policy.kind!.toLowerCase(), policy.metadata!.name!, '--ignore-not-found']).catch(() => undefined);
  });

  it('refuses a tenant-namespace editor a Secret of the operator\'s types, or with its managed-by label', async () => {
    // The policy reaches kube-apiserver's admission within moments.
    const refusal = await eventually(async () => {
      const r = await as(editor, ['create', '-f', '-'], secret('forged-key', { type: 'accounts.blinkops.com/api-key' }));
      return r.ok ? (await kubectl(['delete', 'secret', 'forged-key', '-n', tenantNs.name]), undefined) : r;
    }, 30_000, 'the policy to refuse');
    expect(refusal.output).toMatch(/created only by the blink-accounts operator/);
    expect((await as(editor, ['create', '-f', '-'], secret('forged-record', { type: 'accounts.blinkops.com/invitation' }))).ok).toBe(false);
    const labelled = await as(editor, ['create', '-f', '-'], secret('labelled', { labels: { 'app.kubernetes.io/managed-by': 'blink-accounts-operator', 'app.kubernetes.io/component': 'api-key' } }));
    expect(labelled).toMatchObject({ ok: false });
    expect(labelled.output).toMatch(/set and removed only by the blink-accounts operator/);
    // Their own Secrets stay theirs to write, whatever else they are labelled with.
    expect((await as(editor, ['create', '-f', '-'], secret('own', { labels: { 'app.kubernetes.io/component': 'api-key' } }))).ok).toBe(true);
    expect((await as(editor, ['label', 'secret', 'own', 'app.kubernetes.io/managed-by=blink-accounts-operator'])).ok).toBe(false);
  });

  it('with a shard, also refuses a forged key copy in a namespace that opted in to key copies', async () => {
    const copy = (name: string): string => secret(name, { type: 'accounts.blinkops.com/api-key-copy' }).replace(`"namespace":"${tenantNs.name}"`, `"namespace":"${appNs.name}"`);
    const refusal = await eventually(async () => {
      const r = await as(editor, ['create', '-n', appNs.name, '-f', '-'], copy('forged-copy'));
      return r.ok ? (await kubectl(['delete', 'secret', 'forged-copy', '-n', appNs.name]), undefined) : r;
    }, 30_000, 'the delivery binding to refuse');
    expect(refusal.output).toMatch(/created only by the blink-accounts operator/);
    // A Secret of their own there is still theirs to write.
    expect((await as(editor, ['create', '-n', appNs.name, '-f', '-'], copy('own').replace('"type":"accounts.blinkops.com/api-key-copy",', ''))).ok).toBe(true);
  });

  it("lets the operator's ServiceAccount write them, and keeps others from taking its label off", async () => {
    const created = await as(operatorUser(), ['create', '-f', '-'], secret('key', { type: 'accounts.blinkops.com/api-key', labels: { ...MANAGED_LABELS, 'app.kubernetes.io/component': 'api-key' } }));
    expect(created.ok, created.output).toBe(true);
    expect((await as(operatorUser(), ['create', '-f', '-'], secret('record', { type: 'accounts.blinkops.com/invitation', labels: { ...MANAGED_LABELS } }))).ok).toBe(true);
    // Others may still edit the Secret's other labels (Reloader, backups), not the operator's label.
    expect((await as(editor, ['label', 'secret', 'key', 'team=data'])).ok).toBe(true);
    expect((await as(editor, ['label', 'secret', 'key', 'app.kubernetes.io/managed-by-'])).ok).toBe(false);
    expect((await as(editor, ['label', 'secret', 'key', 'app.kubernetes.io/managed-by=someone', '--overwrite'])).ok).toBe(false);
  });
});
