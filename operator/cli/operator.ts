// `blink-accounts operator run`: the operator process.
import type { Command } from 'commander';
import { FEATURES } from '../features.js';
import { startOperator } from '../operator.js';
import type { OperatorOptions } from '../context.js';
import { parseTrustedProxies } from '../invitations/client-address.js';
import { loadClusterConnection } from '../runtime/cluster-connection.js';
import type { ClusterConnection } from '../runtime/cluster-connection.js';

/** Flags of `operator run`, as commander hands them over. */
export interface RunFlags {
  kubeconfig?: string;
  namespace: string;
  shard?: string;
  leaderElect: boolean;
  identity?: string;
  metricsPort: string;
  httpPort: string;
  accessApiPort: string;
  accessApiAudience: string;
  host?: string;
  publicUrl?: string;
  smtpSecret?: string;
  trustedProxies?: string;
  watchHealthTimeout?: string;
}

function port(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${flag} must be a port number (0-65535), got "${value}"`);
  return n;
}

function audience(value: string): string {
  if (value.trim() === '' || /\s/.test(value)) throw new Error(`--access-api-audience must be a non-empty audience without spaces, got "${value}"`);
  return value;
}

/** Turns flags into operator options; throws with the bad flag in the message. */
export function optionsFromFlags(flags: RunFlags, kubeConfig: ClusterConnection): OperatorOptions {
  let smtpSecret: OperatorOptions['smtpSecret'];
  if (flags.smtpSecret) {
    const [namespace, name, ...rest] = flags.smtpSecret.split('/');
    if (!namespace || !name || rest.length > 0) throw new Error(`--smtp-secret must be <namespace>/<name>, got "${flags.smtpSecret}"`);
    smtpSecret = { namespace, name };
  }
  const trustedProxies = flags.trustedProxies ? flags.trustedProxies.split(',').map((c) => c.trim()).filter(Boolean) : [];
  try {
    parseTrustedProxies(trustedProxies);
  } catch (error) {
    throw new Error(`--trusted-proxies: ${(error as Error).message}`, { cause: error });
  }
  let watchHealthTimeoutMs: number | undefined;
  if (flags.watchHealthTimeout !== undefined) {
    const seconds = Number(flags.watchHealthTimeout);
    if (!Number.isFinite(seconds) || seconds < 1 || seconds > 3600) throw new Error(`--watch-health-timeout must be a number of seconds from 1 to 3600, got "${flags.watchHealthTimeout}"`);
    watchHealthTimeoutMs = Math.round(seconds * 1000);
  }
  const ports = [['--metrics-port', flags.metricsPort], ['--http-port', flags.httpPort], ['--access-api-port', flags.accessApiPort]] as const;
  for (const [i, [flag, value]] of ports.entries()) {
    const clash = ports.slice(i + 1).find(([, other]) => other === value && Number(value) !== 0);
    if (clash) throw new Error(`${flag} and ${clash[0]} must differ (both ${value}): each port serves one audience`);
  }
  return {
    kubeConfig,
    namespace: flags.namespace,
    leaderElection: flags.leaderElect,
    metricsPort: port(flags.metricsPort, '--metrics-port'),
    httpPort: port(flags.httpPort, '--http-port'),
    accessApiPort: port(flags.accessApiPort, '--access-api-port'),
    accessApiAudience: audience(flags.accessApiAudience),
    ...(flags.shard ? { shard: flags.shard } : {}),
    ...(flags.identity ? { identity: flags.identity } : {}),
    ...(flags.host ? { host: flags.host } : {}),
    ...(flags.publicUrl ? { publicUrl: flags.publicUrl } : {}),
    ...(smtpSecret ? { smtpSecret } : {}),
    ...(trustedProxies.length > 0 ? { trustedProxies } : {}),
    ...(watchHealthTimeoutMs !== undefined ? { watchHealthTimeoutMs } : {}),
  };
}

/** Registers `operator run`. */
export function registerOperator(program: Command): void {
  const operator = program.command('operator').description('Run the operator');
  operator
    .command('run')
    .description('Run the operator against the cluster of --kubeconfig, KUBECONFIG, or the in-cluster service account')
    .option('--kubeconfig <path>', 'kubeconfig file (default: KUBECONFIG, then in-cluster)')
    .option('--namespace <ns>', 'namespace of the operator (Lease, SMTP Secret)', 'blink-accounts-system')
    .option('--shard <name>', 'handle only Tenants labelled accounts.blinkops.com/shard=<name>')
    .option('--no-leader-elect', 'act as the only replica, without a Lease')
    .option('--identity <id>', 'unique name of this replica (default: host name + random suffix)')
    .option('--metrics-port <port>', 'port of /metrics, /healthz and /readyz', '8080')
    .option('--http-port <port>', 'port of the public acceptance page (/invitations/...) only', '8081')
    .option('--access-api-port <port>', 'port of the access API (/api/v1/..., bearer-token authentication; 0: a free port)', '8082')
    .option('--access-api-audience <audience>', 'audience an access API caller\'s ServiceAccount token must carry', 'blink-accounts-access-api')
    .option('--host <address>', 'address to bind', '0.0.0.0')
    .option('--public-url <url>', 'base URL of the acceptance page in invitation emails')
    .option('--smtp-secret <namespace/name>', 'Secret with the SMTP settings (host, port, secure, requireTLS, caCert, username, password, from)')
    .option('--trusted-proxies <cidr,...>', 'proxies (IPs or CIDRs) whose X-Forwarded-For the acceptance page\'s rate limit believes, e.g. the Ingress controller\'s pods')
    .option('--watch-health-timeout <seconds>', 'restart a watch that delivered nothing (not even a bookmark) for this long: a dead connection or a frozen proxy (default: 90)')
    .action(async (flags: RunFlags) => {
      // client-node's KubeConfig is loaded only for a kubeconfig this loader does not read (cluster-connection.ts).
      const kubeConfig = await loadClusterConnection({ kubeconfig: flags.kubeconfig });
      const running = await startOperator(optionsFromFlags(flags, kubeConfig), FEATURES);
      // Stop the features too (SMTP connections, servers), then exit.
      running.manager.handleSignals((code) => void running.stop().finally(() => process.exit(code)));
    });
}
