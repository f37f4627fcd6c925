// A real node for the test control plane: containerd (runc from Debian), the
// kubelet and kube-scheduler of the same Kubernetes release, with a CNI bridge
// (Debian's containernetworking-plugins) for pod networking. Needs root.
//
// Two things a node on a shared developer machine must not do, and how this one avoids them:
//  - the kubelet sets kernel-wide sysctls (vm.overcommit_memory=1, kernel.panic=10,
//    kernel.panic_on_oops=1, …) or refuses to start: it runs in its own mount
//    namespace where those /proc/sys files are bind-mounted copies holding the
//    values it wants; the machine's kernel settings stay as they are;
//  - the control plane and the SMTP server listen on loopback, which pods cannot
//    reach: TCP forwarders on the bridge's gateway address carry their traffic, and
//    pods name the API server kubernetes.default.svc (a SAN of its certificate).
import { spawn, execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ClusterState } from '../../operator/dev-cluster/cluster.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** The sysctls the kubelet insists on, with the values it wants (pkg/kubelet/cm setupKernelTunables). */
const KUBELET_SYSCTLS: Record<string, string> = {
  'vm/overcommit_memory': '1',
  'vm/panic_on_oom': '0',
  'kernel/panic': '10',
  'kernel/panic_on_oops': '1',
  'kernel/keys/root_maxkeys': '1000000',
  'kernel/keys/root_maxbytes': '25000000',
};

/** A running node. */
export interface TestNode {
  readonly name: string;
  /** Address of the bridge on the host, as pods see it. */
  readonly gateway: string;
  /** Port on `gateway` that forwards to kube-apiserver. */
  readonly apiServerPort: number;
  /** Adds a forwarder on `gateway` to a loopback port; returns its port. */
  forward(port: number): Promise<number>;
  /** ctr against this node's containerd (CRI namespace). */
  ctr(args: readonly string[]): Promise<string>;
  /** The last lines of a component's log. */
  log(component: 'kubelet' | 'containerd' | 'kube-scheduler'): Promise<string>;
  stop(): Promise<void>;
}

/** Builds (once, cached) the node binaries; returns their folder. */
export async function nodeBinaries(): Promise<string> {
  const { stdout } = await run('bash', [join(REPO, 'tools/node/build.sh')], { maxBuffer: 1024 * 1024, timeout: 3_600_000 });
  return stdout.trim();
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string, diagnostics?: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${diagnostics ? `\n${await diagnostics()}` : ''}`);
}

function forwarder(listenHost: string, target: number): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => {
      const upstream = connect(target, '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      const close = () => (socket.destroy(), upstream.destroy());
      socket.on('error', close);
      upstream.on('error', close);
    });
    server.once('error', reject);
    server.listen(0, listenHost, () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : 0 });
    });
  });
}

/** Starts a node named `name` and waits until it is Ready. `images` (podman references) are loaded into containerd. */
export async function startNode(cluster: ClusterState, images: readonly string[]): Promise<TestNode> {
  const bin = await nodeBinaries();
  const id = randomBytes(3).toString('hex');
  const name = `node-${id}`;
  const dir = await mkdtemp(`/tmp/blink-node-${id}-`);
  const subnet = `10.89.${randomBytes(1)[0]! % 250}`;
  const gateway = `${subnet}.1`;
  const bridge = `bkn${id}`;
  const socket = join(dir, 'containerd.sock');
  const kubeletRoot = join(dir, 'kubelet');
  const processes: ChildProcess[] = [];
  const servers: Server[] = [];
  const logs = { kubelet: join(dir, 'kubelet.log'), containerd: join(dir, 'containerd.log'), 'kube-scheduler': join(dir, 'kube-scheduler.log') };

  const start = (component: keyof typeof logs, command: string, args: string[]) => {
    const out = createWriteStream(logs[component]);
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}` } });
    child.stdout?.pipe(out);
    child.stderr?.pipe(out);
    processes.push(child);
    return child;
  };
  const ctr = async (args: readonly string[]) => (await run(join(bin, 'ctr'), ['--address', socket, '--namespace', 'k8s.io', ...args], { maxBuffer: 64 * 1024 * 1024, timeout: 300_000 })).stdout;
  const log = async (component: keyof typeof logs) => (await readFile(logs[component], 'utf8').catch(() => '')).split('\n').slice(-40).join('\n');

  const stop = async () => {
    // Pods first, while containerd still runs: every task and sandbox of this node.
    for (const child of processes.filter((p) => p.spawnargs.some((a) => a.includes('kubelet') || a.includes('kube-scheduler')))) child.kill('SIGTERM');
    const tasks = (await ctr(['tasks', 'ls', '-q']).catch(() => '')).split('\n').filter(Boolean);
    for (const task of tasks) await ctr(['tasks', 'kill', '--signal', 'SIGKILL', task]).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const task of tasks) await ctr(['tasks', 'delete', '--force', task]).catch(() => undefined);
    for (const child of processes) if (child.exitCode === null) child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    for (const child of processes) if (child.exitCode === null) child.kill('SIGKILL');
    for (const server of servers) server.close();
    // Shims of this containerd (they outlive it by design), then every mount under the node's folder.
    const { stdout: shims } = await run('pgrep', ['-f', `containerd-shim-runc-v2.*${socket}`]).catch(() => ({ stdout: '' }));
    for (const pid of shims.split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(dir)).sort((a, b) => b.length - a.length);
    for (const mount of mounts) await run('umount', ['-l', mount]).catch(() => undefined);
    await run('ip', ['link', 'delete', bridge]).catch(() => undefined);
    await run(cluster.binaries.kubectl, ['delete', 'node', name, '--ignore-not-found', '--wait=false'], { env: { ...process.env, KUBECONFIG: cluster.kubeconfig } }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  };

  try {
    // The bridge exists before any pod, so the forwarders can listen on its address.
    await run('ip', ['link', 'add', bridge, 'type', 'bridge']);
    await run('ip', ['addr', 'add', `${gateway}/24`, 'dev', bridge]);
    await run('ip', ['link', 'set', bridge, 'up']);
    await mkdir(join(dir, 'cni'));
    await writeFile(
      join(dir, 'cni', '10-blink.conflist'),
      JSON.stringify({
        cniVersion: '1.0.0',
        name: 'blink',
        plugins: [{ type: 'bridge', bridge, isGateway: true, ipMasq: false, ipam: { type: 'host-local', ranges: [[{ subnet: `${subnet}.0/24`, gateway }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: join(dir, 'ipam') } }],
      }),
    );
    await writeFile(
      join(dir, 'containerd.toml'),
      [
        'version = 3',
        `root = "${join(dir, 'containerd-root')}"`,
        `state = "${join(dir, 'containerd-state')}"`,
        '[grpc]',
        `  address = "${socket}"`,
        "[plugins.'io.containerd.cri.v1.images']",
        '  snapshotter = "overlayfs"',
        "  [plugins.'io.containerd.cri.v1.images'.pinned_images]",
        '    sandbox = "localhost/blink-pause:1"',
        "[plugins.'io.containerd.cri.v1.runtime']",
        // Machines like CI containers lack CAP_SYS_RESOURCE: no oom_score_adj below containerd's own.
        '  restrict_oom_score_adj = true',
        "  [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]",
        '    runtime_type = "io.containerd.runc.v2"',
        "    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]",
        '      BinaryName = "/usr/sbin/runc"',
        '      SystemdCgroup = false',
        "  [plugins.'io.containerd.cri.v1.runtime'.cni]",
        '    bin_dirs = ["/usr/lib/cni"]',
        `    conf_dir = "${join(dir, 'cni')}"`,
        '',
      ].join('\n'),
    );
    start('containerd', join(bin, 'containerd'), ['--config', join(dir, 'containerd.toml')]);
    await waitFor(async () => (await ctr(['version'])).includes('Server'), 30_000, 'containerd', () => log('containerd'));

    // The sandbox image: the pause binary alone, and the images the test needs, through podman.
    const pauseRoot = join(dir, 'pause-root');
    await mkdir(pauseRoot);
    await run('cp', [join(bin, 'pause'), join(pauseRoot, 'pause')]);
    await run('tar', ['-C', pauseRoot, '-cf', join(dir, 'pause.tar'), 'pause']);
    const podman = join(REPO, 'tools/container/podman.sh');
    // Imported once per machine (a new import each run would leave the old one dangling).
    if (!(await run(podman, ['image', 'exists', 'localhost/blink-pause:1']).then(() => true, () => false))) {
      await run(podman, ['import', '--quiet', '--change', 'ENTRYPOINT ["/pause"]', join(dir, 'pause.tar'), 'localhost/blink-pause:1']);
    }
    for (const image of ['localhost/blink-pause:1', ...images]) {
      const archive = join(dir, 'image.tar');
      // A docker archive names the image as podman does (localhost/<name>:<tag>), which is what the pods ask for.
      await run(podman, ['save', '--quiet', '--format', 'docker-archive', '--output', archive, image], { timeout: 300_000 });
      await ctr(['images', 'import', archive]);
      await rm(archive);
    }

    // kubelet mounts (volumes) must reach containerd's namespace: make its root a shared mount first.
    await mkdir(kubeletRoot);
    await run('mount', ['--bind', kubeletRoot, kubeletRoot]);
    await run('mount', ['--make-shared', kubeletRoot]);
    const fakes = join(dir, 'sysctl');
    await mkdir(fakes);
    const binds: string[] = [];
    for (const [key, value] of Object.entries(KUBELET_SYSCTLS)) {
      const fake = join(fakes, key.replace(/\//g, '.'));
      await writeFile(fake, `${value}\n`);
      binds.push(`mount --bind ${fake} /proc/sys/${key}`);
    }
    const kubeletPort = await freeLoopbackPort();
    const healthzPort = await freeLoopbackPort();
    await writeFile(
      join(dir, 'kubelet.yaml'),
      JSON.stringify({
        apiVersion: 'kubelet.config.k8s.io/v1beta1',
        kind: 'KubeletConfiguration',
        failCgroupV1: false,
        cgroupDriver: 'cgroupfs',
        failSwapOn: false,
        address: '127.0.0.1',
        port: kubeletPort,
        readOnlyPort: 0,
        healthzBindAddress: '127.0.0.1',
        healthzPort,
        // Loopback only; lets kube-apiserver (which has no kubelet client certificate) fetch logs.
        authentication: { anonymous: { enabled: true }, webhook: { enabled: false } },
        authorization: { mode: 'AlwaysAllow' },
        containerRuntimeEndpoint: `unix://${socket}`,
        imageServiceEndpoint: `unix://${socket}`,
        protectKernelDefaults: true,
        evictionHard: { 'memory.available': '50Mi', 'nodefs.available': '1%', 'imagefs.available': '1%', 'nodefs.inodesFree': '1%' },
        imageGCHighThresholdPercent: 100,
        imageGCLowThresholdPercent: 99,
        serializeImagePulls: false,
        resolvConf: '/etc/resolv.conf',
        registerNode: true,
        localStorageCapacityIsolation: false,
      }),
    );
    const kubelet = [
      join(bin, 'kubelet'),
      `--config=${join(dir, 'kubelet.yaml')}`,
      `--kubeconfig=${cluster.kubeconfig}`,
      `--hostname-override=${name}`,
      '--node-ip=127.0.0.1',
      `--root-dir=${kubeletRoot}`,
      `--cert-dir=${join(dir, 'kubelet-pki')}`,
      '--v=1',
    ].join(' ');
    // Private /proc in the kubelet's own mount namespace, so the bind mounts stay there.
    start('kubelet', 'unshare', ['--mount', '--propagation', 'unchanged', '--', 'sh', '-c', `mount --make-rprivate /proc && ${binds.join(' && ')} && exec ${kubelet}`]);
    start('kube-scheduler', join(bin, 'kube-scheduler'), [
      `--kubeconfig=${cluster.kubeconfig}`,
      `--authentication-kubeconfig=${cluster.kubeconfig}`,
      `--authorization-kubeconfig=${cluster.kubeconfig}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${await freeLoopbackPort()}`,
      `--cert-dir=${join(dir, 'scheduler-pki')}`,
    ]);
    const kubectl = (args: string[]) => run(cluster.binaries.kubectl, args, { env: { ...process.env, KUBECONFIG: cluster.kubeconfig } });
    await waitFor(
      async () => (await kubectl(['get', 'node', name, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])).stdout === 'True',
      120_000,
      `node ${name} to be Ready`,
      async () => `kubelet:\n${await log('kubelet')}\ncontainerd:\n${await log('containerd')}`,
    );
    const api = await forwarder(gateway, Number(new URL(cluster.server).port));
    servers.push(api.server);
    return {
      name,
      gateway,
      apiServerPort: api.port,
      async forward(port) {
        const f = await forwarder(gateway, port);
        servers.push(f.server);
        return f.port;
      },
      ctr,
      log,
      stop,
    };
  } catch (error) {
    const diagnostics = `kubelet:\n${await log('kubelet')}\ncontainerd:\n${await log('containerd')}`;
    await stop();
    throw new Error(`Starting the node failed: ${(error as Error).message}\n${diagnostics}`, { cause: error });
  }
}

async function freeLoopbackPort(): Promise<number> {
  const { server, port } = await forwarder('127.0.0.1', 1);
  server.close();
  return port;
}

/** Folders of earlier nodes a killed run left behind (for diagnostics). */
export async function leftoverNodes(): Promise<string[]> {
  return (await readdir('/tmp')).filter((d) => d.startsWith('blink-node-'));
}
