// Where the embedded control plane keeps its cache and the state of running clusters.
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Root of everything cached outside the repository (XDG_CACHE_HOME aware). */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env['BLINK_ACCOUNTS_CACHE'] || join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'blink-accounts');
}

/** Folder holding one folder per running cluster (pid files, certificates, etcd data, kubeconfig). */
export function clustersRoot(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), 'clusters');
}
