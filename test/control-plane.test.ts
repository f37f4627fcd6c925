// Proves the embedded control plane is a real Kubernetes: storage, CRDs, watches,
// garbage collection, namespace deletion, RBAC denial, TokenRequest, and that a
// killed owner leaves no processes behind.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import {
  ApiextensionsV1Api,
  AuthenticationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  Watch,
} from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { reapStaleClusters, readClusterState, runningComponents, startCluster, stopCluster } from '../operator/dev-cluster/cluster.js';
import { adminKubeConfig, cluster, eventually, kubectl, useNamespace } from './harness/kube.js';

const ns = useNamespace('cp');

function statusCode(error: unknown): number | undefined {
  return (error as { code?: number }).code;
}

describe('embedded control plane', () => {
  it('stores and returns a Secret', async () => {
    const core = adminKubeConfig().makeApiClient(CoreV1Api);
    await core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 's1' }, stringData: { k: 'v' } } });
    const read = await core.readNamespacedSecret({ namespace: ns.name, name: 's1' });
    expect(Buffer.from(read.data?.['k'] ?? '', 'base64').toString()).toBe('v');
  });

  it('serves a CustomResourceDefinition and objects of it', async () => {
    const kc = adminKubeConfig();
    const ext = kc.makeApiClient(ApiextensionsV1Api);
    await ext.createCustomResourceDefinition({
      body: {
        metadata: { name: 'widgets.cp-test.blink.dev' },
        spec: {
          group: 'cp-test.blink.dev',
          names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
          scope: 'Namespaced',
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer', minimum: 1 } } } } } },
            },
          ],
        },
      },
    });
    await eventually(async () => {
      const crd = await ext.readCustomResourceDefinition({ name: 'widgets.cp-test.blink.dev' });
      return crd.status?.conditions?.find((c) => c.type === 'Established' && c.status === 'True');
    }, 30_000, 'the CRD to be Established');
    const custom = kc.makeApiClient(CustomObjectsApi);
    const body = { apiVersion: 'cp-test.blink.dev/v1', kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 3 } };
    await eventually(() => custom.createNamespacedCustomObject({ group: 'cp-test.blink.dev', version: 'v1', namespace: ns.name, plural: 'widgets', body }), 30_000, 'the Widget to be created');
    const read = (await custom.getNamespacedCustomObject({ group: 'cp-test.blink.dev', version: 'v1', namespace: ns.name, plural: 'widgets', name: 'w1' })) as { spec: { size: number } };
    expect(read.spec.size).toBe(3);
    // The schema is enforced by the API server.
    const bad = { ...body, metadata: { name: 'w2' }, spec: { size: 0 } };
    const error = await custom
      .createNamespacedCustomObject({ group: 'cp-test.blink.dev', version: 'v1', namespace: ns.name, plural: 'widgets', body: bad })
      .catch((e: unknown) => e);
    expect(statusCode(error)).toBe(422);
    await ext.deleteCustomResourceDefinition({ name: 'widgets.cp-test.blink.dev' });
  });

  it('delivers watch events', async () => {
    const kc = adminKubeConfig();
    const seen: string[] = [];
    const controller = await new Watch(kc).watch(
      `/api/v1/namespaces/${ns.name}/configmaps`,
      {},
      (type, object: { metadata: { name: string } }) => seen.push(`${type} ${object.metadata.name}`),
      () => {},
    );
    try {
      const core = kc.makeApiClient(CoreV1Api);
      await core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: 'watched' }, data: { a: '1' } } });
      await core.patchNamespacedConfigMap({ namespace: ns.name, name: 'watched', body: [{ op: 'replace', path: '/data/a', value: '2' }] });
      await core.deleteNamespacedConfigMap({ namespace: ns.name, name: 'watched' });
      await eventually(async () => (seen.includes('DELETED watched') ? true : undefined), 10_000, 'the DELETED event');
      expect(seen.filter((e) => e.endsWith(' watched'))).toEqual(['ADDED watched', 'MODIFIED watched', 'DELETED watched']);
    } finally {
      controller.abort();
    }
  });

  it('garbage-collects an object whose owner is deleted', async () => {
    const core = adminKubeConfig().makeApiClient(CoreV1Api);
    const owner = await core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: 'owner' } } });
    await core.createNamespacedSecret({
      namespace: ns.name,
      body: {
        metadata: { name: 'owned', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata?.uid ?? '' }] },
        stringData: { k: 'v' },
      },
    });
    await core.deleteNamespacedConfigMap({ namespace: ns.name, name: 'owner' });
    await eventually(
      () => core.readNamespacedSecret({ namespace: ns.name, name: 'owned' }).then(() => undefined, (e: unknown) => (statusCode(e) === 404 ? true : undefined)),
      60_000,
      'the owned Secret to be garbage-collected',
    );
  });

  it('completes a namespace deletion', async () => {
    const core = adminKubeConfig().makeApiClient(CoreV1Api);
    const name = `${ns.name}-doomed`;
    await core.createNamespace({ body: { metadata: { name } } });
    await core.createNamespacedConfigMap({ namespace: name, body: { metadata: { name: 'content' } } });
    await core.deleteNamespace({ name });
    await eventually(
      () => core.readNamespace({ name }).then(() => undefined, (e: unknown) => (statusCode(e) === 404 ? true : undefined)),
      60_000,
      'the namespace to be gone',
    );
  });

  it('denies an authenticated identity without permissions', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(cluster().unprivilegedKubeconfig);
    const error = await kc.makeApiClient(CoreV1Api).listNamespace().catch((e: unknown) => e);
    expect(statusCode(error)).toBe(403);
    const result = await kubectl(['auth', 'can-i', 'list', 'secrets', '-n', ns.name], { kubeconfig: cluster().unprivilegedKubeconfig }).catch(
      (e: { stdout: string; code: number }) => e,
    );
    expect(result.stdout.trim()).toBe('no');
  });

  it('issues service account tokens through the TokenRequest API', async () => {
    const kc = adminKubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: 'robot' } } });
    const token = await core.createNamespacedServiceAccountToken({ namespace: ns.name, name: 'robot', body: { spec: { audiences: [], expirationSeconds: 600 } } });
    const asRobot = new KubeConfig();
    asRobot.loadFromOptions({
      clusters: [{ name: 'c', server: cluster().server, caFile: `${cluster().dir}/pki/apiserver.crt` }],
      users: [{ name: 'robot', token: token.status?.token ?? '' }],
      contexts: [{ name: 'c', cluster: 'c', user: 'robot' }],
      currentContext: 'c',
    });
    const review = await asRobot.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    expect(review.status?.userInfo?.username).toBe(`system:serviceaccount:${ns.name}:robot`);
  });

  it('answers kubectl with the built binary', async () => {
    const { stdout } = await kubectl(['get', 'ns', ns.name, '-o', 'name']);
    expect(stdout.trim()).toBe(`namespace/${ns.name}`);
  });
});

describe('process hygiene', () => {
  async function ownedCluster(name: string): Promise<{ owner: ReturnType<typeof spawn>; pids: number[] }> {
    const owner = spawn('sleep', ['300'], { stdio: 'ignore' });
    const state = await startCluster({ name, binaries: cluster().binaries, ownerPid: owner.pid as number, controllerManager: false });
    expect(await runningComponents(state)).toEqual(['etcd', 'kube-apiserver']);
    const pids = await Promise.all(['etcd', 'kube-apiserver'].map(async (c) => Number(await readFile(`${state.dir}/${c}.pid`, 'utf8'))));
    return { owner, pids };
  }

  function alive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  it('tears a cluster down when the process that owns it is killed', async () => {
    const name = `hygiene-a-${process.pid}`;
    const { owner, pids } = await ownedCluster(name);
    try {
      owner.kill('SIGKILL');
      await eventually(async () => (pids.every((pid) => !alive(pid)) ? true : undefined), 20_000, 'the watchdog to stop the cluster');
      await eventually(async () => ((await readClusterState(name)) === undefined ? true : undefined), 10_000, 'the cluster folder to be removed');
    } finally {
      await stopCluster(name);
    }
  });

  it('reaps a cluster whose owner and watchdog were both killed', async () => {
    const name = `hygiene-b-${process.pid}`;
    const { owner, pids } = await ownedCluster(name);
    try {
      const state = await readClusterState(name);
      const watchdog = Number(await readFile(`${state?.dir}/watchdog.pid`, 'utf8'));
      process.kill(watchdog, 'SIGKILL');
      owner.kill('SIGKILL');
      await eventually(async () => (alive(owner.pid as number) ? undefined : true), 5_000, 'the owner to die');
      expect(pids.every(alive)).toBe(true);
      const reaped = await reapStaleClusters();
      expect(reaped).toContain(name);
      expect(pids.some(alive)).toBe(false);
      // The cluster of this very test run has a live owner and is left alone.
      expect(reaped).not.toContain(cluster().name);
    } finally {
      await stopCluster(name);
    }
  });
});
