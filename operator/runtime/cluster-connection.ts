// Where the API server is and how to authenticate to it, for the operator process,
// without loading @kubernetes/client-node: its KubeConfig module imports the whole
// generated client (about 870 modules, ~0.5 s and ~80 MB of a start), of which the
// runtime uses two methods. The common cases are read here: in-cluster (the pod's
// ServiceAccount token, re-read every 60 s as client-go does) and a kubeconfig file
// whose user has a token, a token file or a client certificate. Anything else (exec
// plugins, auth providers, basic auth, impersonation, proxies, several KUBECONFIG
// files, no configuration at all) is handed to client-node's KubeConfig, loaded
// only then, so every kubeconfig works as it did.
import { existsSync, readFileSync } from 'node:fs';
import type { OutgoingHttpHeaders } from 'node:http';
import type { RequestOptions } from 'node:https';
import { isIPv6 } from 'node:net';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';

/** What the runtime's KubeClient needs of a kubeconfig (client-node's KubeConfig is one). */
export interface ClusterConnection {
  /** The API server of the current context; null when there is none. */
  getCurrentCluster(): { readonly server: string } | null;
  /** Adds the credentials (Authorization header, client certificate) and TLS settings (CA, server name) of a request. */
  applyToHTTPSOptions(options: RequestOptions): Promise<void>;
}

/** Where {@link loadClusterConnection} looks; the defaults are the process's. */
export interface ConnectionSource {
  /** A kubeconfig file (`--kubeconfig`); without it: KUBECONFIG, then ~/.kube/config, then in-cluster. */
  readonly kubeconfig?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
  /** The folder of the pod's ServiceAccount token, CA and namespace. */
  readonly serviceAccountDir?: string;
  /** The home folder (~/.kube/config). */
  readonly home?: string | undefined;
  /** Milliseconds since the epoch (the token file's re-read interval). */
  readonly now?: () => number;
}

/** The folder a pod's ServiceAccount token is mounted in. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** How often a token file is read again (client-go and client-node: 60 s); projected tokens rotate. */
const TOKEN_FILE_REREAD_MS = 60_000;

/** Which loader served a connection: this module's ("light") or client-node's, and why. */
export type ConnectionLoader = { readonly light: true } | { readonly light: false; readonly why: string };

/** Loads the connection the way client-node's `loadFromFile` / `loadFromDefault` would. */
export async function loadClusterConnection(source: ConnectionSource = {}): Promise<ClusterConnection & { readonly loader: ConnectionLoader }> {
  const light = readLight(source);
  if ('connection' in light) return Object.assign(light.connection, { loader: { light: true } as const });
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  if (source.kubeconfig) kc.loadFromFile(source.kubeconfig);
  else kc.loadFromDefault();
  return Object.assign(kc, { loader: { light: false, why: light.why } as const });
}

type Light = { readonly connection: ClusterConnection } | { readonly why: string };

function readLight(source: ConnectionSource): Light {
  const env = source.env ?? process.env;
  const now = source.now ?? Date.now;
  if (source.kubeconfig) return fromFile(source.kubeconfig);
  const fromEnv = (env['KUBECONFIG'] ?? '').split(delimiter).filter(Boolean);
  if (fromEnv.length > 1) return { why: 'KUBECONFIG names several files (merged by client-node)' };
  if (fromEnv.length === 1) return fromFile(fromEnv[0] as string);
  const home = source.home ?? (env['HOME'] || undefined);
  if (home && existsSync(join(home, '.kube', 'config'))) return fromFile(join(home, '.kube', 'config'));
  const saDir = source.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  if (existsSync(join(saDir, 'token'))) return inCluster(env, saDir, now);
  return { why: 'no kubeconfig and no ServiceAccount token' };
}

function inCluster(env: NodeJS.ProcessEnv, dir: string, now: () => number): Light {
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'];
  if (!host || !port) return { why: 'KUBERNETES_SERVICE_HOST or KUBERNETES_SERVICE_PORT is not set' };
  const scheme = port === '80' || port === '8080' || port === '8001' ? 'http' : 'https';
  const server = `${scheme}://${isIPv6(host) ? `[${host}]` : host}:${port}`;
  const caFile = join(dir, 'ca.crt');
  return { connection: connection(server, { ca: existsSync(caFile) ? readFileSync(caFile) : undefined }, tokenFile(join(dir, 'token'), now)) };
}

/** A token read from a file, read again once older than a minute. */
function tokenFile(path: string, now: () => number): () => string {
  let token = '';
  let readAt = -Infinity;
  return () => {
    if (now() - readAt > TOKEN_FILE_REREAD_MS) {
      token = readFileSync(path, 'utf8');
      readAt = now();
    }
    return token;
  };
}

const CLUSTER_KEYS = new Set(['server', 'certificate-authority', 'certificate-authority-data', 'insecure-skip-tls-verify', 'tls-server-name']);
const USER_KEYS = new Set(['token', 'token-file', 'client-certificate', 'client-certificate-data', 'client-key', 'client-key-data']);

interface Named {
  readonly name?: unknown;
  readonly [key: string]: unknown;
}

/** A kubeconfig file; its token-file is read once, at load, as client-node does. */
function fromFile(file: string): Light {
  let config: { 'current-context'?: unknown; contexts?: unknown; clusters?: unknown; users?: unknown } | null;
  try {
    config = parse(readFileSync(file, 'utf8')) as typeof config;
  } catch (error) {
    return { why: `the kubeconfig could not be read here (${(error as Error).message.split('\n')[0]})` };
  }
  const find = (list: unknown, name: unknown, key: string): Record<string, unknown> | undefined => {
    if (!Array.isArray(list)) return undefined;
    const entry = (list as Named[]).find((e) => e?.name === name);
    const value = entry?.[key];
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  };
  const context = find(config?.contexts, config?.['current-context'], 'context');
  if (!context) return { why: 'no current context' };
  const cluster = find(config?.clusters, context['cluster'], 'cluster');
  if (!cluster || typeof cluster['server'] !== 'string' || !cluster['server']) return { why: 'the current context names no cluster with a server' };
  const user = find(config?.users, context['user'], 'user');
  if (!user) return { why: 'the current context names no user' };
  const unknownCluster = Object.keys(cluster).filter((k) => !CLUSTER_KEYS.has(k));
  const unknownUser = Object.keys(user).filter((k) => !USER_KEYS.has(k));
  if (unknownCluster.length + unknownUser.length > 0) return { why: `the kubeconfig uses ${[...unknownCluster, ...unknownUser].join(', ')}` };
  if (/^http:/i.test(cluster['server'])) return { why: 'the server is plain http (client-node refuses it unless insecure-skip-tls-verify)' };
  const root = dirname(file);
  const read = (path: unknown, data: unknown): Buffer | undefined => {
    if (typeof path === 'string' && path) return readFileSync(isAbsolute(path) ? path : join(root, path));
    if (typeof data === 'string' && data) return Buffer.from(data, 'base64');
    return undefined;
  };
  const tokenText = typeof user['token'] === 'string' && user['token'] ? user['token'] : typeof user['token-file'] === 'string' && user['token-file'] ? readFileSync(user['token-file'], 'utf8') : undefined;
  return {
    connection: connection(
      (cluster['server'] as string).replace(/\/$/, ''),
      {
        ca: read(cluster['certificate-authority'], cluster['certificate-authority-data']),
        cert: read(user['client-certificate'], user['client-certificate-data']),
        key: read(user['client-key'], user['client-key-data']),
        skipTLSVerify: cluster['insecure-skip-tls-verify'] === true,
        ...(typeof cluster['tls-server-name'] === 'string' ? { servername: cluster['tls-server-name'] } : {}),
      },
      tokenText === undefined ? undefined : () => tokenText,
    ),
  };
}

interface Tls {
  readonly ca?: Buffer | undefined;
  readonly cert?: Buffer | undefined;
  readonly key?: Buffer | undefined;
  readonly skipTLSVerify?: boolean;
  readonly servername?: string;
}

function connection(server: string, tls: Tls, token: (() => string) | undefined): ClusterConnection {
  const cluster = { server };
  return {
    getCurrentCluster: () => cluster,
    applyToHTTPSOptions(options) {
      if (tls.skipTLSVerify) options.rejectUnauthorized = false;
      if (tls.servername) options.servername = tls.servername;
      if (tls.ca) options.ca = tls.ca;
      if (tls.cert) options.cert = tls.cert;
      if (tls.key) options.key = tls.key;
      const headers: OutgoingHttpHeaders = options.headers && !Array.isArray(options.headers) ? (options.headers as OutgoingHttpHeaders) : {};
      const bearer = token?.();
      if (bearer) headers['Authorization'] = `Bearer ${bearer}`;
      options.headers = headers;
      return Promise.resolve();
    },
  };
}
