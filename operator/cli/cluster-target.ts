// Which cluster a CLI command talks to: --kubeconfig, else KUBECONFIG, else the
// embedded control plane of `npm start`.
import { KubeConfig } from '@kubernetes/client-node';
import { readClusterState } from '../dev-cluster/cluster.js';
import { KubeClient } from '../runtime/kube-client.js';
import { DEV_CLUSTER } from './dev-cluster.js';

/** The kubeconfig to use: --kubeconfig, KUBECONFIG, else the dev cluster of `npm start`. */
export async function kubeConfigFor(flag: string | undefined): Promise<KubeConfig> {
  const kc = new KubeConfig();
  if (flag) {
    kc.loadFromFile(flag);
    return kc;
  }
  if (process.env['KUBECONFIG']) {
    kc.loadFromDefault();
    return kc;
  }
  const dev = await readClusterState(DEV_CLUSTER);
  if (!dev) throw new Error('No cluster to talk to: give --kubeconfig, set KUBECONFIG, or start the dev cluster with `npm start`');
  kc.loadFromFile(dev.kubeconfig);
  return kc;
}

/** Runs `fn` with a client for the chosen cluster, and closes it afterwards. */
export async function withClient<T>(kubeconfig: string | undefined, fn: (client: KubeClient) => Promise<T>): Promise<T> {
  const client = new KubeClient(await kubeConfigFor(kubeconfig));
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}
