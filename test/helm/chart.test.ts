// The Helm chart against the real control plane: lint, schema, the rendered
// objects accepted by the API server (dry run) in a namespace that enforces the
// restricted Pod Security Standard, and a real install and uninstall.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { CHART, helmBinary, helmTemplate } from '../../tools/helm/render-manifests.js';
import { cluster, kubectl } from '../harness/kube.js';

const run = promisify(execFile);
const MONITORING = ['metrics.serviceMonitor.enabled=true', 'metrics.prometheusRule.enabled=true', 'metrics.grafanaDashboard.enabled=true'];

type Doc = { kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; spec?: Record<string, unknown> };

const docsOf = (stream: string) => parseAllDocuments(stream).map((d) => d.toJS() as Doc | null).filter((d): d is Doc => d !== null);

/** kubectl with stdin; resolves with exit code and output instead of rejecting. */
async function kubectlWith(args: string[], input: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(cluster().binaries.kubectl, args, { env: { ...process.env, KUBECONFIG: cluster().kubeconfig }, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(input);
  });
}

describe('the Helm chart', () => {
  let helm = '';
  const id = randomBytes(3).toString('hex');
  const restricted = `helm-psa-${id}`;
  const release = `bao-${id}`;
  const releaseNs = `helm-${id}`;
  const clientRole = `blink-accounts-access-api-client-${id}`;
  const helmCmd = (args: string[]) => run(helm, args, { env: { ...process.env, KUBECONFIG: cluster().kubeconfig }, maxBuffer: 32 * 1024 * 1024 });

  beforeAll(async () => {
    helm = await helmBinary();
    for (const ns of [restricted, releaseNs]) {
      await kubectl(['create', 'namespace', ns]);
      await kubectl(['label', 'namespace', ns, 'pod-security.kubernetes.io/enforce=restricted', 'pod-security.kubernetes.io/warn=restricted']);
    }
  }, 900_000);

  afterAll(async () => {
    await helmCmd(['uninstall', release, '-n', releaseNs]).catch(() => undefined);
    for (const ns of [restricted, releaseNs]) await kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']).catch(() => undefined);
  });

  it('lints clean, with the defaults and with every optional part on', async () => {
    await helmCmd(['lint', '--strict', CHART]);
    await helmCmd(['lint', '--strict', CHART, ...MONITORING.flatMap((s) => ['--set', s])]);
  });

  it('refuses values outside values.schema.json, naming the bad one', async () => {
    for (const [set, path] of [['runAsUser=0', '/runAsUser'], ['replicas=2', "'replicas' not allowed"], ['image.pullPolicy=Sometimes', '/image/pullPolicy'], ['ports.http=70000', '/ports/http']]) {
      const failure = await helmTemplate(helm, [set!]).then(() => 'rendered', (error: Error & { stderr?: string }) => error.stderr ?? error.message);
      expect(failure, set).toContain(path);
    }
  });

  it('passes operator.trustedProxies to the operator as --trusted-proxies, and refuses what is no address', async () => {
    const argsOf = async (sets: string[]) => {
      const deployment = docsOf(await helmTemplate(helm, sets)).find((d) => d.kind === 'Deployment') as unknown as { spec: { template: { spec: { containers: { args: string[] }[] } } } };
      return deployment.spec.template.spec.containers[0]?.args ?? [];
    };
    expect((await argsOf([])).filter((a) => a.startsWith('--trusted-proxies'))).toEqual([]);
    expect((await argsOf(['operator.trustedProxies={10.244.0.0/16}'])).filter((a) => a.startsWith('--trusted-proxies'))).toEqual(['--trusted-proxies=10.244.0.0/16']);
    expect((await argsOf(['operator.trustedProxies={10.244.0.0/16,fd00:10:244::/56,192.0.2.7}'])).filter((a) => a.startsWith('--trusted-proxies'))).toEqual(['--trusted-proxies=10.244.0.0/16,fd00:10:244::/56,192.0.2.7']);
    for (const bad of ['operator.trustedProxies={ingress-nginx}', 'operator.trustedProxies={10.0.0.0/8 --shard=x}']) {
      const failure = await helmTemplate(helm, [bad]).then(() => 'rendered', (error: Error & { stderr?: string }) => error.stderr ?? error.message);
      expect(failure, bad).toContain('/operator/trustedProxies/0');
    }
  });

  it('renders every optional part, with the alerts the issue asks for', async () => {
    const docs = docsOf(await helmTemplate(helm, MONITORING));
    const kinds = docs.map((d) => d.kind);
    for (const kind of ['CustomResourceDefinition', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'Deployment', 'PodDisruptionBudget', 'NetworkPolicy', 'Service', 'ServiceMonitor', 'PrometheusRule', 'ConfigMap', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']) {
      expect(kinds, kind).toContain(kind);
    }
    expect(docs.filter((d) => d.kind === 'Service').map((d) => d.metadata.name).sort()).toEqual(['blink-accounts-operator-access-api', 'blink-accounts-operator-metrics', 'blink-accounts-operator-public']);
    const rule = docs.find((d) => d.kind === 'PrometheusRule') as unknown as { spec: { groups: { rules: { alert: string; expr: string }[] }[] } };
    expect(rule.spec.groups.flatMap((g) => g.rules.map((r) => r.alert))).toEqual([
      'BlinkAccountsOperatorDown',
      'BlinkAccountsOperatorNoLeader',
      'BlinkAccountsReconcileErrors',
      'BlinkAccountsInvitationsFailingToSend',
      'BlinkAccountsKeysNotIssued',
      'BlinkAccountsApiKeysUnused',
      'BlinkAccountsWebhookEventsAbandoned',
    ]);
    // /metrics answers only authorized tokens: the ServiceMonitor sends Prometheus's, the chart ships the role to bind.
    const monitor = docs.find((d) => d.kind === 'ServiceMonitor') as unknown as { spec: { endpoints: { path: string; bearerTokenFile?: string }[] } };
    expect(monitor.spec.endpoints).toEqual([expect.objectContaining({ path: '/metrics', bearerTokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' })]);
    const reader = docs.find((d) => d.kind === 'ClusterRole' && d.metadata.name === 'blink-accounts-operator-metrics-reader') as unknown as { rules: unknown[] } | undefined;
    expect(reader?.rules).toEqual([{ nonResourceURLs: ['/metrics'], verbs: ['get'] }]);
    const dashboard = docs.find((d) => d.kind === 'ConfigMap') as unknown as { data: Record<string, string> };
    const json = JSON.parse(dashboard.data['blink-accounts-operator.json'] ?? '{}') as { panels: unknown[] };
    expect(json.panels.length).toBeGreaterThan(5);
    // Off by default: a cluster without the Prometheus operator's CRDs installs cleanly.
    const plain = docsOf(await helmTemplate(helm, [])).map((d) => d.kind);
    expect(plain).not.toContain('ServiceMonitor');
    expect(plain).not.toContain('PrometheusRule');
  });

  it('is accepted by the API server (dry run) in a namespace enforcing Pod Security "restricted", without a warning', async () => {
    const rendered = await helmTemplate(helm, [`fullnameOverride=dry-${id}`, `accessApi.clientClusterRole.name=${clientRole}`], { name: 'dry', namespace: restricted });
    const result = await kubectlWith(['apply', '--server-side', '--force-conflicts', '--dry-run=server', '--field-manager=helm-dry-run', '-f', '-'], rendered);
    expect(result.stderr).not.toMatch(/would violate PodSecurity/);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/deployment\.apps\/dry-\w+ serverside-applied \(server dry run\)/);

    // The control, so this test can fail: a privileged Deployment gets the PodSecurity warning here.
    const privileged = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'privileged', namespace: restricted }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x', securityContext: { privileged: true } }] } } } };
    const warned = await kubectlWith(['apply', '--dry-run=server', '-f', '-'], stringify(privileged));
    expect(warned.stderr).toMatch(/would violate PodSecurity "restricted/);
  });

  it('installs, and on uninstall keeps the CRDs and the role ClusterRoles but removes the rest', async () => {
    // The CRDs and role ClusterRoles exist already (the test harness and other operators installed them): adopt them.
    // No admission policy: on this shared cluster it would judge every other test's Users.
    await helmCmd(['install', release, CHART, '-n', releaseNs, '--take-ownership', '--set', `accessApi.clientClusterRole.name=${clientRole}`, '--set', 'replicaCount=2', '--set', 'admissionPolicy.install=false', '--set', 'secretPolicy.install=false']);
    const fullname = `${release}-blink-accounts-operator`;
    const { stdout: deployment } = await kubectl(['get', 'deployment', fullname, '-n', releaseNs, '-o', 'json']);
    const pod = JSON.parse(deployment) as { spec: { replicas: number; template: { metadata: Record<string, unknown>; spec: Record<string, unknown> } } };
    expect(pod.spec.replicas).toBe(2);
    expect((await kubectl(['get', 'crd', 'tenants.accounts.blinkops.com', '-o', 'jsonpath={.metadata.annotations.meta\\.helm\\.sh/release-name}'])).stdout).toBe(release);
    for (const name of [fullname]) expect((await kubectl(['get', 'clusterrole', name, '-o', 'name'])).stdout.trim()).toBe(`clusterrole.rbac.authorization.k8s.io/${name}`);

    // The kubelet is not here, so admit the Deployment's pod the way it would be created: Pod Security enforces "restricted".
    const asPod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'from-template', namespace: releaseNs, labels: pod.spec.template.metadata['labels'] }, spec: pod.spec.template.spec };
    const admitted = await kubectlWith(['create', '--dry-run=server', '-f', '-'], JSON.stringify(asPod));
    expect(admitted.code, admitted.stderr).toBe(0);
    const spec = pod.spec.template.spec as { securityContext: Record<string, unknown> };
    const loose = { ...asPod, metadata: { ...asPod.metadata, name: 'loose' }, spec: { ...spec, securityContext: { ...spec.securityContext, runAsNonRoot: false } } };
    const refused = await kubectlWith(['create', '--dry-run=server', '-f', '-'], JSON.stringify(loose));
    expect(refused.stderr).toMatch(/violates PodSecurity "restricted/);

    await helmCmd(['uninstall', release, '-n', releaseNs, '--wait']);
    const exists = async (kind: string, name: string, ns?: string) =>
      (await kubectl(['get', kind, name, ...(ns ? ['-n', ns] : []), '--ignore-not-found', '-o', 'name'])).stdout.trim() !== '';
    for (const crd of ['tenants', 'users', 'serviceaccounts', 'workspaces', 'groups']) expect(await exists('crd', `${crd}.accounts.blinkops.com`), crd).toBe(true);
    for (const role of ['admin', 'builder', 'consumer']) expect(await exists('clusterrole', `blink-accounts-${role}`), role).toBe(true);
    expect(await exists('deployment', fullname, releaseNs)).toBe(false);
    expect(await exists('serviceaccount', fullname, releaseNs)).toBe(false);
    expect(await exists('clusterrole', fullname)).toBe(false);
    expect(await exists('clusterrolebinding', fullname)).toBe(false);
    expect(await exists('clusterrole', clientRole)).toBe(false);
  });
});
