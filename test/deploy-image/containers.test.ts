// The operator image (deploy/Dockerfile), built with podman and run as two
// containers against the test control plane, with the security context of the
// chart's Deployment (numeric non-root user, read-only root filesystem, every
// capability dropped, no privilege escalation) and the in-cluster configuration a
// pod gets: its ServiceAccount's token (TokenRequest) and CA mounted read-only at
// /var/run/secrets/kubernetes.io/serviceaccount, KUBERNETES_SERVICE_HOST/PORT.
import { mkdtemp, readFile, rm, writeFile, mkdir, chmod } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { SHARD_LABEL } from '../../operator/api/index.js';
import { applyObjects } from '../../operator/kube/apply.js';
import { helmBinary, helmTemplate } from '../../tools/helm/render-manifests.js';
import { accessApiCaller } from '../harness/access.js';
import { adminKubeConfig, cluster, eventually, kubectl } from '../harness/kube.js';
import { newShard } from '../harness/operator.js';
import { linkOf, startTestSmtp } from '../users/fixtures.js';
import type { TestSmtp } from '../users/fixtures.js';
import { scrapeMetrics } from '../harness/metrics.js';
import { buildImage, containerLogs, freePort, podman, securityFlags } from './image.js';
import type { PodSecurity } from './image.js';

interface Replica {
  readonly name: string;
  readonly container: string;
  readonly metricsPort: number;
  readonly httpPort: number;
  readonly accessApiPort: number;
}

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const FILES = ['00-tenant.yaml', '10-workspaces.yaml', '20-groups.yaml', '30-users.yaml', '40-service-accounts.yaml'];

type Manifest = { kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: Record<string, unknown> };

/** The acme tenant of examples/, renamed to `tenant` in `namespace` and put on `shard`. */
async function examples(tenant: string, namespace: string, shard: string): Promise<Manifest[]> {
  const objects: Manifest[] = [];
  for (const file of FILES) {
    for (const doc of parseAllDocuments(await readFile(join(EXAMPLES, file), 'utf8'))) {
      const object = doc.toJS() as Manifest | null;
      if (!object) continue;
      if (object.kind === 'Namespace') {
        // It exists before the Tenant, so it opts in to adoption by the renamed tenant.
        object.metadata.name = namespace;
        (object.metadata as { annotations?: Record<string, string> }).annotations = { 'accounts.blinkops.com/adopt-by-tenant': tenant };
      }
      else if (object.kind === 'Tenant') {
        object.metadata.name = tenant;
        object.metadata.labels = { ...object.metadata.labels, [SHARD_LABEL]: shard };
        object.spec = { ...object.spec, namespace, deletionPolicy: 'Delete' };
      } else object.metadata.namespace = namespace;
      objects.push(object);
    }
  }
  return objects;
}

describe('the operator image: two containers with the Deployment\'s security context', () => {
  const id = randomBytes(3).toString('hex');
  const release = `img-${id}`;
  const namespace = `img-${id}`;
  const shard = newShard('img');
  const tenant = `img-${id}`;
  const tenantNs = `tenant-img-${id}`;
  const lease = `blink-accounts-operator-${shard}`;
  let dir = '';
  let image = '';
  let smtp: TestSmtp | undefined;
  let clusterScoped: Manifest[] = [];
  const replicas: Replica[] = [];
  let bearer: Record<string, string> = {};
  // Probes on the metrics port, the access API on its own, the public port serves the acceptance page only.
  const probeBase = (r: Replica) => `http://127.0.0.1:${r.metricsPort}`;
  const accessApiBase = (r: Replica) => `http://127.0.0.1:${r.accessApiPort}`;

  const get = async (resource: string, name: string, jsonpath: string, ns = tenantNs) =>
    (await kubectl(['get', resource, name, '-n', ns, '-o', `jsonpath=${jsonpath}`]).catch(() => ({ stdout: '' }))).stdout;
  const holder = () => get('lease', lease, '{.spec.holderIdentity}', namespace);
  const logs = async (replica: Replica) => containerLogs(replica.container).catch(() => '');
  const running = async (replica: Replica) => (await podman(['inspect', '--format', '{{.State.Running}}', replica.container]).catch(() => 'false')).trim() === 'true';

  async function startReplica(name: string, security: PodSecurity, saDir: string): Promise<Replica> {
    const replica = { name, container: `${release}-${name}`, metricsPort: await freePort(), httpPort: await freePort(), accessApiPort: await freePort() };
    const { hostname, port } = new URL(cluster().server);
    await podman([
      'run', '--detach', '--name', replica.container, '--network=host', '--hostname', name,
      ...securityFlags(security),
      '--volume', `${saDir}:/var/run/secrets/kubernetes.io/serviceaccount:ro`,
      '--env', `KUBERNETES_SERVICE_HOST=${hostname}`, '--env', `KUBERNETES_SERVICE_PORT=${port}`,
      '--env', `HOSTNAME=${name}`, '--env', 'LOG_LEVEL=info',
      image,
      'operator', 'run', `--namespace=${namespace}`, `--shard=${shard}`, `--smtp-secret=${namespace}/${smtp!.secret.name}`,
      '--host=127.0.0.1', `--metrics-port=${replica.metricsPort}`, `--http-port=${replica.httpPort}`, `--public-url=http://127.0.0.1:${replica.httpPort}`,
      `--access-api-port=${replica.accessApiPort}`,
    ]);
    replicas.push(replica);
    await eventually(
      async () => {
        if (!(await running(replica))) throw new Error(`container ${name} exited:\n${(await logs(replica)).slice(-3000)}`);
        return (await fetch(`${probeBase(replica)}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined;
      },
      60_000,
      `replica ${name} to be ready`,
    );
    return replica;
  }

  beforeAll(async () => {
    image = await buildImage();
    // The chart's objects for this release, but the workload (no kubelet here) and the shared role ClusterRoles.
    const clientRole = `blink-accounts-access-api-client-${id}`;
    const rendered = await helmTemplate(await helmBinary(), ['namespace.create=true', 'crds.install=false', 'roles.install=false', 'admissionPolicy.install=false', `accessApi.clientClusterRole.name=${clientRole}`, `operator.shard=${shard}`], { name: release, namespace });
    const objects = parseAllDocuments(rendered).map((d) => d.toJS() as Manifest | null).filter((o): o is Manifest => o !== null);
    const deployment = objects.find((o) => o.kind === 'Deployment') as unknown as { spec: { template: { spec: { securityContext: Record<string, number>; containers: { securityContext: { readOnlyRootFilesystem: boolean; allowPrivilegeEscalation: boolean; capabilities: { drop: string[] } } }[] } } } };
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0]!.securityContext;
    const security: PodSecurity = {
      runAsUser: pod.securityContext['runAsUser']!,
      runAsGroup: pod.securityContext['runAsGroup']!,
      readOnlyRootFilesystem: container.readOnlyRootFilesystem,
      dropCapabilities: container.capabilities.drop,
      allowPrivilegeEscalation: container.allowPrivilegeEscalation,
    };
    const namespaced = objects.filter((o) => o.kind !== 'Deployment');
    await applyObjects(adminKubeConfig(), namespaced as never);
    clusterScoped = namespaced.filter((o) => ['ClusterRole', 'ClusterRoleBinding', 'Namespace'].includes(o.kind));

    const serviceAccount = objects.find((o) => o.kind === 'ServiceAccount')!.metadata.name;
    const token = await adminKubeConfig()
      .makeApiClient(CoreV1Api)
      .createNamespacedServiceAccountToken({ namespace, name: serviceAccount, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
    dir = await mkdtemp(join(tmpdir(), 'image-test-'));
    const saDir = join(dir, 'serviceaccount');
    await mkdir(saDir);
    await writeFile(join(saDir, 'token'), token.status?.token ?? '');
    await writeFile(join(saDir, 'ca.crt'), await readFile(join(cluster().dir, 'pki', 'apiserver.crt')));
    await writeFile(join(saDir, 'namespace'), namespace);
    // Readable by the container's non-root user, as the kubelet's projected volume is.
    for (const file of ['token', 'ca.crt', 'namespace']) await chmod(join(saDir, file), 0o644);
    await chmod(dir, 0o755);
    await chmod(saDir, 0o755);

    // A platform service's ServiceAccount bound to the access-API client ClusterRole, with a token of the access API's audience.
    bearer = { ...(await accessApiCaller()).headers };
    smtp = await startTestSmtp(namespace);
    await startReplica('replica-a', security, saDir);
    await startReplica('replica-b', security, saDir);
  }, 900_000);

  afterAll(async () => {
    for (const replica of replicas) await podman(['rm', '--force', '--time', '0', replica.container]).catch(() => undefined);
    await smtp?.close();
    await kubectl(['delete', 'tenant', tenant, '--ignore-not-found', '--wait=false']).catch(() => undefined);
    await kubectl(['delete', 'namespace', tenantNs, '--ignore-not-found', '--wait=false']).catch(() => undefined);
    for (const object of clusterScoped) await kubectl(['delete', object.kind, object.metadata.name, '--ignore-not-found', '--wait=false']).catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 120_000);

  it('runs as the numeric non-root user on a read-only root filesystem', async () => {
    const [first] = replicas;
    const user = (await podman(['exec', first!.container, 'node', '-e', 'process.stdout.write(String(process.getuid()))'])).trim();
    expect(user).toBe('65532');
    const write = await podman(['exec', first!.container, 'node', '-e', 'require("fs").writeFileSync("/app/x", "")']).then(() => 'written', (error: Error) => error.message);
    expect(write).toMatch(/EROFS|read-only/);
  });

  it('elects exactly one leader between the two', async () => {
    const leader = await eventually(async () => (await holder()) || undefined, 30_000, 'a Lease holder');
    const names = replicas.map((r) => r.name);
    expect(names.some((name) => leader.startsWith(`${name}-`))).toBe(true);
    const status = await Promise.all(
      replicas.map(async (r) => {
        const text = await scrapeMetrics(`http://127.0.0.1:${r.metricsPort}/metrics`);
        return Number(/^leader_election_master_status\{[^}]*\} (\d)/m.exec(text)?.[1] ?? 'NaN');
      }),
    );
    expect(status.sort()).toEqual([0, 1]);
  });

  it('converges the examples, and both replicas serve the acceptance page and the access API', async () => {
    await applyObjects(adminKubeConfig(), (await examples(tenant, tenantNs, shard)) as never);
    await eventually(async () => ((await get('tenant', tenant, '{.status.conditions[?(@.type=="Ready")].status}', '')) === 'True' ? true : undefined), 60_000, 'the Tenant to be Ready');
    for (const sa of ['provisioning', 'etl-runner', 'dashboard-reader']) {
      await eventually(async () => ((await get('bsa', sa, '{.status.conditions[?(@.type=="Ready")].status}')) === 'True' ? true : undefined), 60_000, `ServiceAccount ${sa} to be Ready`);
    }
    const users = JSON.parse((await kubectl(['get', 'users.accounts.blinkops.com', '-n', tenantNs, '-o', 'json'])).stdout) as { items: { spec: { email: string; active?: boolean } }[] };
    expect(users.items.length).toBeGreaterThan(0);
    const invited = users.items.filter((u) => u.spec.active !== false);
    for (const user of invited) await smtp!.waitForMessage(user.spec.email, 1, 60_000);

    const link = new URL(linkOf(await smtp!.waitForMessage(invited[0]!.spec.email)));
    const secret = await adminKubeConfig().makeApiClient(CoreV1Api).readNamespacedSecret({ name: 'etl-runner-api-key', namespace: tenantNs });
    const apiKey = Buffer.from(secret.data?.['apiKey'] ?? '', 'base64').toString();
    for (const replica of replicas) {
      const page = await fetch(`http://127.0.0.1:${replica.httpPort}${link.pathname}`);
      expect(page.status, `acceptance page of ${replica.name}`).toBe(200);
      expect(await page.text()).toContain('Acme Corp');
      const unknown = await fetch(`http://127.0.0.1:${replica.httpPort}/invitations/blink_inv_not-a-token`);
      expect(unknown.status).toBeGreaterThanOrEqual(400);
      expect(unknown.status).toBeLessThan(500);
      const authenticate = (headers: Record<string, string>) =>
        fetch(`${accessApiBase(replica)}/api/v1/authenticate`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ apiKey }) });
      const auth = await authenticate(bearer);
      expect(auth.status, `access API of ${replica.name}`).toBe(200);
      expect(await auth.json()).toMatchObject({ tenant, serviceAccount: 'etl-runner' });
      expect((await authenticate({})).status, 'the access API without a token').toBe(401);
      expect((await fetch(`http://127.0.0.1:${replica.httpPort}/api/v1/authenticate`, { method: 'POST', body: '{}' })).status, 'the access API on the public port').toBe(404);
      expect((await fetch(`${probeBase(replica)}/healthz`)).status).toBe(200);
    }
  });

  it('hands over on SIGTERM of the leader: the other takes the Lease and converges new work', async () => {
    const leaderIdentity = await holder();
    const leader = replicas.find((r) => leaderIdentity.startsWith(`${r.name}-`))!;
    const standby = replicas.find((r) => r !== leader)!;
    // podman stop sends SIGTERM (the image's stop signal), like the kubelet.
    await podman(['stop', '--time', '30', leader.container], 60_000);
    expect((await podman(['inspect', '--format', '{{.State.ExitCode}}', leader.container])).trim()).toBe('0');
    expect(await logs(leader)).toContain('Released the leader lease');
    await eventually(async () => ((await holder()).startsWith(`${standby.name}-`) ? true : undefined), 30_000, `${standby.name} to hold the Lease`);

    await applyObjects(adminKubeConfig(), [{ apiVersion: 'accounts.blinkops.com/v1alpha1', kind: 'ServiceAccount', metadata: { name: 'after-handover', namespace: tenantNs }, spec: { role: 'Consumer', workspaces: ['marketing'] } }] as never);
    await eventually(async () => ((await get('bsa', 'after-handover', '{.status.conditions[?(@.type=="KeyIssued")].status}')) === 'True' ? true : undefined), 60_000, 'the new ServiceAccount to get a key');
    expect(await get('secret', 'after-handover-api-key', '{.type}')).toBe('accounts.blinkops.com/api-key');
    expect((await fetch(`${probeBase(standby)}/readyz`)).status).toBe(200);
  });

  it('logged no permission error in either container', async () => {
    for (const replica of replicas) {
      const forbidden = (await logs(replica)).split('\n').filter((line) => /forbidden|\b403\b/i.test(line));
      expect(forbidden, replica.name).toEqual([]);
    }
  });
});
