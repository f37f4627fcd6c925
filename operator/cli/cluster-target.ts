// Which cluster and namespace a CLI command talks to.
//
// Cluster: --kubeconfig, else KUBECONFIG; then, as `kubectl blink`, ~/.kube/config like kubectl
// (the dev cluster only when that file does not exist); as `blink-accounts`, the embedded control
// plane of `npm start` when it runs, else ~/.kube/config. --context picks a context.
// Namespace: -n, else the namespace of the kubeconfig context, else "default" (as kubectl).
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { DEV_CLUSTER, readClusterState } from '../dev-cluster/cluster.js';
import { KubeClient } from '../runtime/kube-client.js';
import { CliError, EXIT } from './exit-codes.js';
import { cliName, isKubectlPlugin } from './invocation.js';

/** The flags that choose the cluster and namespace, as commander hands them over. */
export interface ClusterFlags {
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly namespace?: string;
}

/** A client, and the namespace the command acts in. */
export interface ClusterTarget {
  readonly client: KubeClient;
  readonly namespace: string;
  /** The API server URL, for messages. */
  readonly server: string;
}

function userKubeconfig(): string | undefined {
  const path = join(homedir(), '.kube', 'config');
  return existsSync(path) ? path : undefined;
}

async function devKubeconfig(): Promise<string | undefined> {
  return (await readClusterState(DEV_CLUSTER))?.kubeconfig;
}

/** The kubeconfig to use (see the file comment). */
export async function kubeConfigFor(flags: ClusterFlags): Promise<KubeConfig> {
  const { kubeconfig, context } = flags;
  const kc = new KubeConfig();
  if (kubeconfig) {
    if (!existsSync(kubeconfig)) throw new CliError(`--kubeconfig ${kubeconfig}: no such file`, EXIT.usage);
    kc.loadFromFile(kubeconfig);
  } else if (process.env['KUBECONFIG']) {
    kc.loadFromDefault();
  } else {
    const path = isKubectlPlugin() ? (userKubeconfig() ?? (await devKubeconfig())) : ((await devKubeconfig()) ?? userKubeconfig());
    if (!path) throw new CliError(`No cluster to talk to: give --kubeconfig, set KUBECONFIG, or start the dev cluster with \`npm start\``, EXIT.failed);
    kc.loadFromFile(path);
  }
  if (context) {
    if (!kc.getContexts().some((c) => c.name === context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new CliError(`--context ${context} is not in the kubeconfig; its contexts: ${known.join(', ') || '(none)'} (kubectl config get-contexts)`, EXIT.usage);
    }
    kc.setCurrentContext(context);
  }
  if (!kc.getCurrentCluster()) throw new CliError(`The kubeconfig has no current cluster: pick one with --context (kubectl config get-contexts)`, EXIT.usage);
  return kc;
}

/** -n, else the namespace of the current context, else "default". */
export function namespaceFor(kc: KubeConfig, flag: string | undefined): string {
  if (flag) return flag;
  return kc.getContextObject(kc.getCurrentContext())?.namespace || 'default';
}

/** Runs `fn` with a client for the chosen cluster and the namespace, and closes the client afterwards. */
export async function withTarget<T>(flags: ClusterFlags, fn: (target: ClusterTarget) => Promise<T>): Promise<T> {
  const kc = await kubeConfigFor(flags);
  const client = new KubeClient(kc, { userAgent: `blink-accounts-cli (${cliName()})` });
  try {
    return await fn({ client, namespace: namespaceFor(kc, flags.namespace), server: kc.getCurrentCluster()?.server ?? '' });
  } finally {
    client.close();
  }
}
