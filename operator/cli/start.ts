// `blink-accounts start` (`npm start`): the whole product on one machine.
//
//  1. a cluster: KUBECONFIG's, or the embedded control plane (built on first use);
//  2. the CRDs and the operator's namespace;
//  3. a local SMTP server that catches the invitation emails, and the Secret
//     that points the operator at it;
//  4. the operator, in this process;
//  5. the examples, applied; then what they became, and the invitation links;
//  6. a demo caller of the access API (a ServiceAccount bound to the access API
//     client ClusterRole), its token, and a curl line that works.
// It keeps running (the acceptance links are served by it) until Ctrl-C; the
// embedded control plane stays up for inspection.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import type { Command } from 'commander';
import { startDevSmtp, invitationLinks } from '../dev-smtp/server.js';
import type { CaughtMessage, DevSmtpServer } from '../dev-smtp/server.js';
import { cacheRoot } from '../dev-cluster/paths.js';
import { applyObjects, readManifests } from '../kube/apply.js';
import { installProduct, OPERATOR_NAMESPACE } from '../kube/install.js';
import { accessApiClientClusterRole, ACCESS_API_CLIENT_ROLE, DEFAULT_ACCESS_API_AUDIENCE } from '../access/caller-access.js';
import { ACCOUNT_KINDS } from '../api/index.js';
import { KubeClient } from '../runtime/kube-client.js';
import { createLogger } from '../runtime/logger.js';
import { FEATURES } from '../features.js';
import { startOperator } from '../operator.js';
import type { RunningOperator } from '../operator.js';
import { DEV_CLUSTER, upDevCluster, usage } from './dev-cluster.js';
import { writeErr } from './terminal-text.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

function say(message: string): void {
  writeErr(`${message}\n`);
}

/** Flags of `start`. */
interface StartFlags {
  clusterName: string;
  examples: boolean;
  once: boolean;
  httpPort: string;
  accessApiPort: string;
  smtpPort: string;
  waitSeconds: string;
}

/** The demo caller of the access API that `start` sets up. */
const DEMO_CALLER = 'blink-accounts-demo-caller';

/**
 * Sets up a platform service as a real cluster would: a ServiceAccount bound to the access API
 * client ClusterRole cluster-wide, and a token for the access API audience (TokenRequest, 1 h).
 */
async function demoCallerToken(kc: KubeConfig, namespace: string): Promise<string> {
  await applyObjects(kc, [
    accessApiClientClusterRole() as never,
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: DEMO_CALLER, namespace } } as never,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: DEMO_CALLER },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: ACCESS_API_CLIENT_ROLE },
      subjects: [{ kind: 'ServiceAccount', name: DEMO_CALLER, namespace }],
    } as never,
  ]);
  const client = new KubeClient(kc);
  try {
    const answer = await client.request<{ status?: { token?: string } }>('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${DEMO_CALLER}/token`, {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: [DEFAULT_ACCESS_API_AUDIENCE], expirationSeconds: 3600 } },
    });
    const token = answer.status?.token;
    if (!token) throw new Error(`The TokenRequest of ${namespace}/${DEMO_CALLER} returned no token`);
    return token;
  } finally {
    client.close();
  }
}

/** Runs the whole product; returns a stop function. */
export async function startEverything(flags: StartFlags): Promise<{ stop(): Promise<void> }> {
  const started = Date.now();
  const kc = new KubeConfig();
  let howToUse: string;
  let kubectlPath: string | undefined;
  let kubeconfigPath: string;
  if (process.env['KUBECONFIG']) {
    kubeconfigPath = process.env['KUBECONFIG'];
    kc.loadFromFile(kubeconfigPath);
    say(`Using the cluster of KUBECONFIG=${process.env['KUBECONFIG']} (context ${kc.getCurrentContext()}); no control plane is started`);
    howToUse = '  kubectl get tenants; kubectl get blink -A';
  } else {
    const { state, reused } = await upDevCluster(flags.clusterName);
    if (reused) say(`Reusing the running control plane at ${state.server}`);
    kubeconfigPath = state.kubeconfig;
    kc.loadFromFile(kubeconfigPath);
    kubectlPath = state.binaries.kubectl;
    howToUse = `${usage(state).replace('kubectl get ns', 'kubectl get tenants; kubectl get blink -A')}`;
  }

  const crdCount = await installProduct(kc);
  say(`Installed ${crdCount} CustomResourceDefinitions from crds/, the operator namespace and the role ClusterRoles`);
  const operatorNamespace = OPERATOR_NAMESPACE;

  const smtpDir = join(cacheRoot(), 'dev-smtp');
  const smtp: DevSmtpServer = await startDevSmtp({ dir: smtpDir, port: Number(flags.smtpPort) });
  say(`Catching invitation emails on smtp://${smtp.host}:${smtp.port} (stored in ${smtpDir})`);
  await applyObjects(kc, [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'blink-accounts-smtp', namespace: operatorNamespace },
      stringData: { host: smtp.host, port: String(smtp.port), secure: 'false', from: 'Blink Accounts <accounts@blink.local>' },
    } as never,
  ]);

  let operator: RunningOperator;
  try {
    operator = await startOperator({
      kubeConfig: kc,
      namespace: operatorNamespace,
      leaderElection: true,
      identity: `npm-start-${process.pid}`,
      metricsPort: 0,
      httpPort: Number(flags.httpPort),
      accessApiPort: Number(flags.accessApiPort),
      host: '127.0.0.1',
      smtpSecret: { namespace: operatorNamespace, name: 'blink-accounts-smtp' },
      logger: createLogger({ level: process.env['LOG_LEVEL'] ?? 'warn' }),
    }, FEATURES);
  } catch (error) {
    await smtp.close();
    throw error;
  }
  say(`Operator running: acceptance page on ${operator.url}, access API on ${operator.accessApiUrl}, metrics and probes on ${operator.metricsUrl}/metrics`);

  if (flags.examples && existsSync(join(REPO, 'examples'))) {
    const examples = await readManifests(join(REPO, 'examples'));
    await applyObjects(kc, examples);
    say(`Applied ${examples.length} objects from examples/; waiting up to ${flags.waitSeconds}s for them to converge...`);
    await waitForReady(kc, Number(flags.waitSeconds) * 1000);
    if (kubectlPath) {
      const env = { ...process.env, KUBECONFIG: kubeconfigPath };
      for (const args of [['get', 'tenants'], ['get', 'blink', '-A']]) {
        const { stdout } = await run(kubectlPath, args, { env }).catch((error: { stdout?: string; stderr?: string }) => ({ stdout: error.stderr ?? error.stdout ?? '' }));
        say(`\n$ kubectl ${args.join(' ')}\n${stdout.trimEnd()}`);
      }
    }
    const pending = await pendingInvitationLinks(kc, await smtp.messages());
    say(`\nInvitation emails caught: ${pending.length} for users still Invited${pending.length ? '\n' + pending.map(({ email, link }) => `  ${email.padEnd(32)} ${link}`).join('\n') : ''}`);
    say('Open a link in a browser to accept the invitation; `npx blink-accounts invitations links` lists them again.');
  }
  const token = await demoCallerToken(kc, operatorNamespace);
  const question = JSON.stringify({ tenant: 'acme', principal: { serviceAccount: 'etl-runner' }, workspace: 'data-platform', action: 'execute' });
  say(
    `\nAccess API: callers send a ServiceAccount token with the audience "${DEFAULT_ACCESS_API_AUDIENCE}"; this one is the ServiceAccount ` +
      `${operatorNamespace}/${DEMO_CALLER}, bound to the ClusterRole ${ACCESS_API_CLIENT_ROLE} (valid 1 h):\n` +
      `  export BLINK_ACCESS_TOKEN=${token}\n` +
      `  curl -s ${operator.accessApiUrl}/api/v1/authorize -H "Authorization: Bearer $BLINK_ACCESS_TOKEN" -H 'Content-Type: application/json' -d '${question}'`,
  );
  say(`\nReady in ${((Date.now() - started) / 1000).toFixed(1)}s. Use it with:\n${howToUse}`);
  say(`Stop with Ctrl-C (the control plane stays up; stop it with: npx blink-accounts dev-cluster down${flags.clusterName === DEV_CLUSTER ? '' : ` --name ${flags.clusterName}`})`);
  return {
    async stop() {
      await operator.stop();
      await smtp.close();
    },
  };
}

/** The newest caught link of every User that is still Invited (a rerun shows the same links). */
async function pendingInvitationLinks(kc: KubeConfig, messages: readonly CaughtMessage[]): Promise<{ email: string; link: string }[]> {
  const client = new KubeClient(kc);
  const users = await client.list(ACCOUNT_KINDS.user).finally(() => client.close());
  const pending: { email: string; link: string }[] = [];
  for (const user of users.items as { spec?: { email?: string }; status?: { phase?: string } }[]) {
    const email = user.spec?.email;
    if (!email || user.status?.phase !== 'Invited') continue;
    const link = messages.filter((m) => m.to.includes(email)).flatMap((m) => invitationLinks(m)).at(-1);
    if (link) pending.push({ email, link });
  }
  return pending;
}

/** What `waitForReady` reads of an object. */
interface ConvergingObject {
  spec?: { active?: boolean };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

/** True once an object has a Ready condition and, for a User to be invited, its email went out. */
function converging(kind: string, object: ConvergingObject): boolean {
  const conditions = object.status?.conditions ?? [];
  if (!conditions.some((c) => c.type === 'Ready')) return false;
  if (kind !== 'User' || object.spec?.active === false || object.status?.phase === 'Active') return true;
  return conditions.some((c) => c.type === 'InvitationSent' && c.status !== 'Unknown');
}

/** Waits until every object of the five kinds has converged (see `converging`), or the time is up. */
async function waitForReady(kc: KubeConfig, timeoutMs: number): Promise<void> {
  const client = new KubeClient(kc);
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      let pending = 0;
      for (const kind of Object.values(ACCOUNT_KINDS)) {
        const list = await client.list(kind).catch(() => ({ items: [] }));
        for (const item of list.items as ConvergingObject[]) {
          if (!converging(kind.kind, item)) pending += 1;
        }
      }
      if (pending === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } finally {
    client.close();
  }
  say('Some objects have no Ready condition yet; `kubectl get blink -A` shows where they are.');
}

/** Registers `start`. */
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('Run everything on this machine: control plane (unless KUBECONFIG is set), CRDs, a local SMTP server, the operator, the examples')
    .option('--cluster-name <name>', 'name of the embedded control plane', DEV_CLUSTER)
    .option('--no-examples', 'do not apply examples/')
    .option('--once', 'exit after showing the result instead of running until Ctrl-C')
    .option('--http-port <port>', 'port of the public acceptance page', '8081')
    .option('--access-api-port <port>', 'port of the access API (0: any free port)', '8082')
    .option('--smtp-port <port>', 'port of the local SMTP server (0: any free port)', '0')
    .option('--wait-seconds <s>', 'how long to wait for the examples to converge', '60')
    .action(async (flags: StartFlags) => {
      const running = await startEverything(flags);
      if (flags.once) {
        await running.stop();
        return;
      }
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      say('Stopping the operator...');
      await running.stop();
    });
}
