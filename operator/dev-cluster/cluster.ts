// Starts and stops an embedded control plane: etcd + kube-apiserver +
// kube-controller-manager on free loopback ports, RBAC on, a service account
// signing key (TokenRequest works), an admin kubeconfig.
//
// Every process is started detached in its own process group, with its pid in
// `<cluster dir>/<component>.pid`; `stopCluster` and the stale-cluster reaper
// kill exactly the processes named there (checked against /proc so a reused
// pid is never hit). A cluster started with an owner pid also gets a watchdog
// that tears it down when the owner dies, so an interrupted test run leaves no
// processes behind.
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Binaries, Component } from './binaries.js';
import { clustersRoot } from './paths.js';

/** Name of the long-lived cluster of `dev-cluster up` and `npm start`. */
export const DEV_CLUSTER = 'dev';

/** What is recorded about a running cluster in `<dir>/state.json`. */
export interface ClusterState {
  /** Name of the cluster; also the folder name under the clusters root. */
  readonly name: string;
  /** Folder holding certificates, etcd data, logs, pid files and the kubeconfig. */
  readonly dir: string;
  /** Pid whose death tears the cluster down; absent for a long-lived dev cluster. */
  readonly ownerPid?: number;
  /** https URL of kube-apiserver. */
  readonly server: string;
  /** Admin kubeconfig (system:masters). */
  readonly kubeconfig: string;
  /** Kubeconfig of an authenticated identity with no permissions at all. */
  readonly unprivilegedKubeconfig: string;
  /** Loopback ports in use. */
  readonly ports: { etcd: number; etcdPeer: number; apiserver: number; controllerManager: number };
  /** Paths of the binaries the cluster runs. */
  readonly binaries: Binaries;
  /** Command lines, so a component can be restarted (tests restart kube-apiserver). */
  readonly commands: Partial<Record<Component, string[]>>;
  /** When it was started (ISO 8601). */
  readonly startedAt: string;
}

/** Options for {@link startCluster}. */
export interface StartOptions {
  /** Cluster name; a folder of that name must not be running already. */
  readonly name: string;
  readonly binaries: Binaries;
  /** When given, a watchdog tears the cluster down once this process is gone. */
  readonly ownerPid?: number;
  /** Progress messages for people. */
  readonly progress?: (message: string) => void;
  /** Start kube-controller-manager (garbage collection, namespace deletion). Default true. */
  readonly controllerManager?: boolean;
  /**
   * A structured authentication configuration (kind AuthenticationConfiguration,
   * apiserver.config.k8s.io/v1) for kube-apiserver's `--authentication-config`: JWT
   * authenticators for OpenID providers (tests of issue 26). The file is read by kube-apiserver,
   * which also reloads it when it changes. Default: none (static tokens and service accounts only).
   */
  readonly authenticationConfig?: string;
}

const ADMIN_USER = 'blink-dev-admin';
const UNPRIVILEGED_USER = 'blink-dev-nobody';

/** Returns the folder of a named cluster. */
export function clusterDir(name: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(name)) throw new Error(`Invalid cluster name "${name}": use lowercase letters, digits and dashes`);
  return join(clustersRoot(), name);
}

/** True when nothing listens on `port` of 127.0.0.1 (checked by listening on it briefly). */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A free loopback port below Linux's ephemeral range (32768-60999): the kernel hands
 * ports of that range to every port-0 listener and outgoing connection, so a port
 * found free there can be taken by anyone before our process binds it.
 */
async function freePort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (!taken.has(port) && (await canListen(port))) {
      taken.add(port);
      return port;
    }
  }
  throw new Error('No free loopback port between 20000 and 32000');
}

/** How often a start is retried when a port was taken between choosing and binding it. */
const PORT_RACE_ATTEMPTS = 3;

/** Reads the state of a named cluster, or undefined when there is none. */
export async function readClusterState(name: string): Promise<ClusterState | undefined> {
  try {
    return JSON.parse(await readFile(join(clusterDir(name), 'state.json'), 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}

/** Starts a cluster and waits until kube-apiserver's /readyz is ok. */
export async function startCluster(options: StartOptions): Promise<ClusterState> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startClusterOnce(options);
    } catch (error) {
      if (attempt >= PORT_RACE_ATTEMPTS || !/address already in use/.test(String((error as Error).message))) throw error;
      options.progress?.(`A port was taken while starting; retrying with other ports (attempt ${attempt + 1} of ${PORT_RACE_ATTEMPTS})`);
    }
  }
}

async function startClusterOnce(options: StartOptions): Promise<ClusterState> {
  const progress = options.progress ?? (() => {});
  const dir = clusterDir(options.name);
  const existing = await readClusterState(options.name);
  if (existing && (await runningComponents(existing)).length > 0) {
    throw new Error(`Cluster "${options.name}" is already running (kubeconfig ${existing.kubeconfig}); run \`blink-accounts dev-cluster down\` first`);
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, 'logs'), { recursive: true, mode: 0o700 });
  await mkdir(join(dir, 'pki'), { recursive: true, mode: 0o700 });

  const taken = new Set<number>();
  const ports = { etcd: await freePort(taken), etcdPeer: await freePort(taken), apiserver: await freePort(taken), controllerManager: await freePort(taken) };
  const server = `https://127.0.0.1:${ports.apiserver}`;
  const pki = join(dir, 'pki');
  const adminToken = randomBytes(32).toString('hex');
  const nobodyToken = randomBytes(32).toString('hex');
  await writeFile(join(pki, 'tokens.csv'), `${adminToken},${ADMIN_USER},${ADMIN_USER},"system:masters"\n${nobodyToken},${UNPRIVILEGED_USER},${UNPRIVILEGED_USER}\n`, {
    mode: 0o600,
  });
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  await writeFile(join(pki, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  await writeFile(join(pki, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  // kube-apiserver generates its own serving CA and certificate into --cert-dir.
  const servingCert = join(pki, 'apiserver.crt');
  const kubeconfig = join(dir, 'kubeconfig');
  const unprivilegedKubeconfig = join(dir, 'kubeconfig-unprivileged');
  await writeFile(kubeconfig, kubeconfigYaml(server, servingCert, ADMIN_USER, adminToken), { mode: 0o600 });
  await writeFile(unprivilegedKubeconfig, kubeconfigYaml(server, servingCert, UNPRIVILEGED_USER, nobodyToken), { mode: 0o600 });

  // Audit of what the operator's own identities do (ServiceAccounts of the operator namespace), so a test
  // can prove every permission the shipped RBAC grants is one the operator uses.
  const auditPolicy = join(dir, 'audit-policy.yaml');
  await writeFile(
    auditPolicy,
    'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n  - level: Metadata\n    userGroups: ["system:serviceaccounts:blink-accounts-system"]\n  - level: None\n',
  );
  const b = options.binaries;
  const commands: Partial<Record<Component, string[]>> = {
    etcd: [
      b.etcd,
      '--name=default',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${ports.etcd}`,
      `--advertise-client-urls=http://127.0.0.1:${ports.etcd}`,
      `--listen-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
      `--initial-cluster=default=http://127.0.0.1:${ports.etcdPeer}`,
      // A throwaway development store: durability is not worth the fsync latency.
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ],
    'kube-apiserver': [
      b['kube-apiserver'],
      `--etcd-servers=http://127.0.0.1:${ports.etcd}`,
      `--cert-dir=${pki}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${ports.apiserver}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--allow-privileged=true',
      '--authorization-mode=RBAC',
      `--token-auth-file=${join(pki, 'tokens.csv')}`,
      ...(options.authenticationConfig !== undefined ? [`--authentication-config=${options.authenticationConfig}`] : []),
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${join(pki, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(pki, 'sa.key')}`,
      // The loopback address may not be published as the `kubernetes` Service's endpoint.
      '--endpoint-reconciler-type=none',
      `--audit-policy-file=${auditPolicy}`,
      `--audit-log-path=${join(dir, 'logs', 'audit.log')}`,
      '--audit-log-format=json',
      '--audit-log-maxsize=200',
      '--v=0',
    ],
    'kube-controller-manager': [
      b['kube-controller-manager'],
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${ports.controllerManager}`,
      `--cert-dir=${join(pki, 'kcm')}`,
      '--leader-elect=false',
      `--service-account-private-key-file=${join(pki, 'sa.key')}`,
      `--root-ca-file=${servingCert}`,
      '--v=0',
    ],
  };

  const state: ClusterState = {
    name: options.name,
    dir,
    ...(options.ownerPid === undefined ? {} : { ownerPid: options.ownerPid }),
    server,
    kubeconfig,
    unprivilegedKubeconfig,
    ports,
    binaries: b,
    commands,
    startedAt: new Date().toISOString(),
  };
  await writeFile(join(dir, 'state.json'), JSON.stringify(state, null, 2));
  if (options.ownerPid !== undefined) await startWatchdog(dir, options.ownerPid);

  try {
    progress(`Starting etcd on 127.0.0.1:${ports.etcd}`);
    await startComponent(state, 'etcd');
    progress(`Starting kube-apiserver on ${server}`);
    await startComponent(state, 'kube-apiserver');
    await waitForApiServer(state, 60_000);
    if (options.controllerManager !== false) {
      progress('Starting kube-controller-manager');
      await startComponent(state, 'kube-controller-manager');
      await waitForHealthz(state, 'kube-controller-manager', `https://127.0.0.1:${ports.controllerManager}/healthz`, 60_000);
    }
  } catch (error) {
    await stopCluster(options.name);
    throw error;
  }
  return state;
}

function kubeconfigYaml(server: string, caFile: string, user: string, token: string): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: blink-dev
  cluster:
    server: ${server}
    certificate-authority: ${caFile}
users:
- name: ${user}
  user:
    token: ${token}
contexts:
- name: blink-dev
  context:
    cluster: blink-dev
    user: ${user}
current-context: blink-dev
`;
}

/** Starts (or restarts) one component of a cluster from its recorded command line. */
export async function startComponent(state: ClusterState, component: Component): Promise<number> {
  const command = state.commands[component];
  if (!command) throw new Error(`Cluster ${state.name} has no command for ${component}`);
  const [file, ...args] = command as [string, ...string[]];
  const logFd = openSync(join(state.dir, 'logs', `${component}.log`), 'a');
  try {
    const child = spawn(file, args, { detached: true, stdio: ['ignore', logFd, logFd] });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('spawn', () => resolve(child.pid as number));
      child.once('error', (error) => reject(new Error(`Could not start ${component} (${file})`, { cause: error })));
    });
    child.unref();
    await writeFile(join(state.dir, `${component}.pid`), `${pid}\n`);
    return pid;
  } finally {
    closeSync(logFd);
  }
}

/** Kills one component (SIGKILL when `hard`, else SIGTERM then SIGKILL after 5 s). */
export async function stopComponent(state: ClusterState, component: Component, hard = false): Promise<void> {
  const pid = await componentPid(state, component);
  if (pid === undefined) return;
  await killAndWait(pid, hard);
  await rm(join(state.dir, `${component}.pid`), { force: true });
}

async function componentPid(state: ClusterState, component: Component): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(join(state.dir, `${component}.pid`), 'utf8')).trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    // Only a process that still runs our binary with our folder counts: pids get reused.
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    const expected = state.commands[component]?.[0];
    if (cmdline[0] !== expected || !cmdline.some((arg) => arg.includes(state.dir))) return undefined;
    return pid;
  } catch {
    return undefined;
  }
}

/** Components of a cluster whose processes are alive. */
export async function runningComponents(state: ClusterState): Promise<Component[]> {
  const running: Component[] = [];
  for (const component of Object.keys(state.commands) as Component[]) {
    if ((await componentPid(state, component)) !== undefined) running.push(component);
  }
  return running;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function killAndWait(pid: number, hard: boolean): Promise<void> {
  try {
    process.kill(pid, hard ? 'SIGKILL' : 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + 5_000;
  while (alive(pid) && Date.now() < deadline) await sleep(50);
  if (alive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      return;
    }
    while (alive(pid)) await sleep(50);
  }
}

/** Stops every process of a cluster and removes its folder. Safe to call twice. */
export async function stopCluster(name: string): Promise<boolean> {
  const state = await readClusterState(name);
  const dir = clusterDir(name);
  if (!state) {
    await rm(dir, { recursive: true, force: true });
    return false;
  }
  // Reverse start order: controllers first, storage last.
  const order: Component[] = ['kube-controller-manager', 'kube-apiserver', 'etcd'];
  await Promise.all(order.map((component) => stopComponent(state, component)));
  const watchdog = await readFile(join(dir, 'watchdog.pid'), 'utf8').catch(() => '');
  if (watchdog.trim()) {
    try {
      process.kill(Number(watchdog.trim()), 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  await rm(dir, { recursive: true, force: true });
  return true;
}

/**
 * Tears down clusters left behind by an owner that died without cleaning up
 * (a killed test run). Long-lived clusters (no owner) are left alone.
 */
export async function reapStaleClusters(): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(clustersRoot());
  } catch {
    return [];
  }
  const reaped: string[] = [];
  for (const name of names) {
    const state = await readClusterState(name).catch(() => undefined);
    if (!state || state.ownerPid === undefined || alive(state.ownerPid)) continue;
    await stopCluster(name);
    reaped.push(name);
  }
  return reaped;
}

async function startWatchdog(dir: string, ownerPid: number): Promise<void> {
  // A plain shell loop outlives a SIGKILLed owner and needs nothing but /bin/sh.
  const script = `
while kill -0 ${ownerPid} 2>/dev/null; do sleep 1; done
for f in "${dir}"/*.pid; do [ "$f" = "${dir}/watchdog.pid" ] || kill -TERM "$(cat "$f")" 2>/dev/null; done
sleep 3
for f in "${dir}"/*.pid; do [ "$f" = "${dir}/watchdog.pid" ] || kill -KILL "$(cat "$f")" 2>/dev/null; done
rm -rf "${dir}"
`;
  const child = spawn('/bin/sh', ['-c', script], { detached: true, stdio: 'ignore' });
  child.unref();
  await writeFile(join(dir, 'watchdog.pid'), `${child.pid}\n`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function tail(file: string, lines = 15): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

async function httpsGet(url: string, options: { ca?: Buffer; token?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'GET',
        timeout: 2_000,
        ...(options.ca ? { ca: options.ca } : { rejectUnauthorized: false }),
        headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Reads the admin bearer token from the cluster's kubeconfig. */
export async function adminToken(state: ClusterState): Promise<string> {
  const match = /token: (\S+)/.exec(await readFile(state.kubeconfig, 'utf8'));
  if (!match?.[1]) throw new Error(`No token in ${state.kubeconfig}`);
  return match[1];
}

/** Waits until kube-apiserver answers /readyz with ok. */
export async function waitForApiServer(state: ClusterState, timeoutMs: number): Promise<void> {
  const token = await adminToken(state);
  const deadline = Date.now() + timeoutMs;
  let last = 'not started';
  while (Date.now() < deadline) {
    for (const component of ['etcd', 'kube-apiserver'] as const) {
      if ((await componentPid(state, component)) === undefined) {
        throw new Error(`${component} exited; last log lines:\n${await tail(join(state.dir, 'logs', `${component}.log`))}`);
      }
    }
    try {
      const ca = await readFile(join(state.dir, 'pki', 'apiserver.crt'));
      const res = await httpsGet(`${state.server}/readyz`, { ca, token });
      if (res.status === 200) return;
      last = `${res.status} ${res.body.slice(0, 300)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`kube-apiserver was not ready after ${timeoutMs / 1000}s (${last}); see ${join(state.dir, 'logs', 'kube-apiserver.log')}`);
}

async function waitForHealthz(state: ClusterState, component: Component, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'not started';
  while (Date.now() < deadline) {
    if ((await componentPid(state, component)) === undefined) {
      throw new Error(`${component} exited; last log lines:\n${await tail(join(state.dir, 'logs', `${component}.log`))}`);
    }
    try {
      const res = await httpsGet(url, {});
      if (res.status === 200) return;
      last = `${res.status} ${res.body.slice(0, 300)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`${component} was not healthy after ${timeoutMs / 1000}s (${last})`);
}
