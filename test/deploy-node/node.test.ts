// The chart on a real node: helm install against the test control plane plus a
// kubelet (test/deploy-node/node.ts) → two pods Running and Ready, one leader,
// the examples converge, and a rolling update loses no access-API request.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { SHARD_LABEL } from '../../operator/api/index.js';
import { applyObjects } from '../../operator/kube/apply.js';
import { CHART, helmBinary } from '../../tools/helm/render-manifests.js';
import { buildImage } from '../deploy-image/image.js';
import { accessApiCaller } from '../harness/access.js';
import { adminKubeConfig, cluster, eventually, kubectl } from '../harness/kube.js';
import { newShard } from '../harness/operator.js';
import { startTestSmtp } from '../users/fixtures.js';
import type { TestSmtp } from '../users/fixtures.js';
import { startNode } from './node.js';
import type { TestNode } from './node.js';

const run = promisify(execFile);
const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
type Manifest = { kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: Record<string, unknown> };

// A kubelet, containerd and network bridges need root (npm test on CI runs as root).
describe.skipIf(process.getuid?.() !== 0)('the chart on a real node (kubelet + containerd)', () => {
  const id = randomBytes(3).toString('hex');
  const release = `node-${id}`;
  const namespace = `node-${id}`;
  const fullname = `${release}-blink-accounts-operator`;
  const shard = newShard('node');
  const tenant = `node-${id}`;
  const tenantNs = `tenant-node-${id}`;
  let helm = '';
  let node: TestNode | undefined;
  let smtp: TestSmtp | undefined;
  let image = '';
  let bearer: Record<string, string> = {};
  const helmCmd = (args: string[]) => run(helm, args, { env: { ...process.env, KUBECONFIG: cluster().kubeconfig }, maxBuffer: 32 * 1024 * 1024, timeout: 300_000 });
  const podsJson = async () =>
    JSON.parse((await kubectl(['get', 'pods', '-n', namespace, '-l', `app.kubernetes.io/instance=${release}`, '-o', 'json'])).stdout) as {
      items: { metadata: { name: string; deletionTimestamp?: string }; status: { phase: string; podIP?: string; conditions?: { type: string; status: string }[] } }[];
    };
  const readyPods = async () => (await podsJson()).items.filter((p) => !p.metadata.deletionTimestamp && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));

  beforeAll(async () => {
    helm = await helmBinary();
    image = await buildImage();
    node = await startNode(cluster(), [image]);
    await kubectl(['create', 'namespace', namespace]);
    await kubectl(['label', 'namespace', namespace, 'pod-security.kubernetes.io/enforce=restricted']);
    smtp = await startTestSmtp(namespace);
    // Pods reach the test SMTP server through the node's forwarder.
    const smtpPort = await node.forward(smtp.server.port);
    await kubectl(['patch', 'secret', smtp.secret.name, '-n', namespace, '--type=merge', '-p', JSON.stringify({ stringData: { host: node.gateway, port: String(smtpPort), requireTLS: 'false' } })]);

    const [repository, tag] = [image.slice(0, image.lastIndexOf(':')), image.slice(image.lastIndexOf(':') + 1)];
    await helmCmd([
      'install', release, CHART, '-n', namespace, '--take-ownership',
      '--set', `image.repository=${repository}`, '--set', `image.tag=${tag}`, '--set', 'image.pullPolicy=Never',
      '--set', `operator.shard=${shard}`, '--set', `operator.smtpSecret=${smtp.secret.name}`,
      '--set', `accessApi.clientClusterRole.name=blink-accounts-access-api-client-${id}`,
      // No admission policy: on this shared cluster it would judge every other test's Users.
      '--set', 'admissionPolicy.install=false',
      '--set', `hostAliases[0].ip=${node.gateway}`, '--set', 'hostAliases[0].hostnames[0]=kubernetes.default.svc',
      '--set', 'operator.extraEnv[0].name=KUBERNETES_SERVICE_HOST', '--set', 'operator.extraEnv[0].value=kubernetes.default.svc',
      '--set', 'operator.extraEnv[1].name=KUBERNETES_SERVICE_PORT', '--set-string', `operator.extraEnv[1].value=${node.apiServerPort}`,
    ]);
    // A platform service's ServiceAccount bound to the access-API client ClusterRole, with a token of the access API's audience.
    bearer = { ...(await accessApiCaller()).headers };
  }, 3_600_000);

  afterAll(async () => {
    await helmCmd(['uninstall', release, '-n', namespace, '--wait', '--timeout', '60s']).catch(() => undefined);
    await kubectl(['delete', 'tenant', tenant, '--ignore-not-found', '--wait=false']).catch(() => undefined);
    await kubectl(['delete', 'namespace', namespace, tenantNs, '--ignore-not-found', '--wait=false']).catch(() => undefined);
    await smtp?.close();
    await node?.stop();
  }, 300_000);

  it('runs two pods, Running and Ready, one of them the leader', async () => {
    await eventually(async () => ((await readyPods()).length === 2 ? true : undefined), 240_000, 'two Ready pods').catch(async (error: Error) => {
      throw new Error(`${error.message}\n${JSON.stringify((await podsJson()).items.map((p) => p.status), null, 1)}\nkubelet:\n${await node!.log('kubelet')}`);
    });
    const pods = await readyPods();
    expect(pods.map((p) => p.status.phase)).toEqual(['Running', 'Running']);
    const holder = await eventually(async () => (await kubectl(['get', 'lease', `blink-accounts-operator-${shard}`, '-n', namespace, '-o', 'jsonpath={.spec.holderIdentity}'])).stdout || undefined, 30_000, 'a leader');
    expect(pods.some((p) => holder.startsWith(`${p.metadata.name}-`))).toBe(true);
  }, 300_000);

  it('converges the examples', async () => {
    const objects: Manifest[] = [];
    for (const file of ['00-tenant.yaml', '10-workspaces.yaml', '20-groups.yaml', '30-users.yaml', '40-service-accounts.yaml']) {
      for (const doc of parseAllDocuments(await readFile(join(EXAMPLES, file), 'utf8'))) {
        const object = doc.toJS() as Manifest | null;
        if (!object) continue;
        if (object.kind === 'Namespace') {
          // It exists before the Tenant, so it opts in to adoption by the renamed tenant.
          object.metadata.name = tenantNs;
          (object.metadata as { annotations?: Record<string, string> }).annotations = { 'accounts.blinkops.com/adopt-by-tenant': tenant };
        }
        else if (object.kind === 'Tenant') {
          object.metadata.name = tenant;
          object.metadata.labels = { [SHARD_LABEL]: shard };
          object.spec = { ...object.spec, namespace: tenantNs, deletionPolicy: 'Delete' };
        } else object.metadata.namespace = tenantNs;
        objects.push(object);
      }
    }
    await applyObjects(adminKubeConfig(), objects as never);
    const ready = async (resource: string, name: string, ns?: string) =>
      (await kubectl(['get', resource, name, ...(ns ? ['-n', ns] : []), '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']).catch(() => ({ stdout: '' }))).stdout === 'True' ? true : undefined;
    await eventually(() => ready('tenant', tenant), 90_000, 'the Tenant to be Ready');
    for (const sa of ['provisioning', 'etl-runner', 'dashboard-reader']) await eventually(() => ready('bsa', sa, tenantNs), 90_000, `ServiceAccount ${sa}`);
    const users = JSON.parse((await kubectl(['get', 'users.accounts.blinkops.com', '-n', tenantNs, '-o', 'json'])).stdout) as { items: { spec: { email: string; active?: boolean } }[] };
    for (const user of users.items.filter((u) => u.spec.active !== false)) await smtp!.waitForMessage(user.spec.email, 1, 90_000);
  }, 300_000);

  it('loses no access-API request during a rolling update', async () => {
    const secret = await adminKubeConfig().makeApiClient(CoreV1Api).readNamespacedSecret({ name: 'etl-runner-api-key', namespace: tenantNs });
    const apiKey = Buffer.from(secret.data?.['apiKey'] ?? '', 'base64').toString();
    // What kube-proxy would do: spread requests over the ready endpoints of the access-API Service.
    const service = `${fullname}-access-api`;
    const endpoints = async () => {
      const { stdout } = await kubectl(['get', 'endpointslices', '-n', namespace, '-l', `kubernetes.io/service-name=${service}`, '-o', 'json']);
      const slices = JSON.parse(stdout) as { items: { endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[]; ports?: { port: number }[] }[] };
      return slices.items.flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready).flatMap((e) => e.addresses.map((a) => `${a}:${s.ports?.[0]?.port ?? 0}`)));
    };
    let targets = await endpoints();
    expect(targets).toHaveLength(2);
    let done = false;
    const refresher = (async () => {
      while (!done) {
        targets = await endpoints().catch(() => targets);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    let sent = 0;
    const failures: string[] = [];
    const client = (async () => {
      while (!done) {
        const target = targets[sent % targets.length];
        sent++;
        try {
          const res = await fetch(`http://${target}/api/v1/authenticate`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer }, body: JSON.stringify({ apiKey }), signal: AbortSignal.timeout(5_000) });
          if (res.status !== 200) failures.push(`${target}: ${res.status}`);
          await res.arrayBuffer();
        } catch (error) {
          failures.push(`${target}: ${(error as Error).message}`);
        }
      }
    })();
    const before = (await readyPods()).map((p) => p.metadata.name).sort();
    await kubectl(['patch', 'deployment', fullname, '-n', namespace, '--type=merge', '-p', JSON.stringify({ spec: { template: { metadata: { annotations: { 'blink-test/restarted': id } } } } })]);
    await kubectl(['rollout', 'status', `deployment/${fullname}`, '-n', namespace, '--timeout=240s']);
    await eventually(async () => {
      const now = (await readyPods()).map((p) => p.metadata.name);
      return now.length === 2 && now.every((n) => !before.includes(n)) && (await podsJson()).items.length === 2 ? true : undefined;
    }, 120_000, 'the old pods to be gone');
    done = true;
    await Promise.all([client, refresher]);
    expect(sent).toBeGreaterThan(50);
    expect(failures).toEqual([]);
  }, 300_000);
});
