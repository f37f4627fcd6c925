// The light loader against client-node's KubeConfig on the same files: for every kubeconfig
// it reads itself, the server and what it adds to a request must be what client-node adds;
// every other kubeconfig must go to client-node.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { loadClusterConnection } from './cluster-connection.js';

const dir = mkdtempSync(join(tmpdir(), 'cluster-connection-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'ca.crt'), 'CA FROM FILE');
writeFileSync(join(dir, 'client.crt'), 'CERT FROM FILE');
writeFileSync(join(dir, 'client.key'), 'KEY FROM FILE');
writeFileSync(join(dir, 'token'), 'token-from-file');
const b64 = (text: string): string => Buffer.from(text).toString('base64');

function kubeconfig(name: string, cluster: Record<string, unknown>, user: Record<string, unknown>): string {
  const file = join(dir, `${name}.yaml`);
  const yaml = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'ctx',
    contexts: [{ name: 'other', context: { cluster: 'nope', user: 'nope' } }, { name: 'ctx', context: { cluster: 'c', user: 'u', namespace: 'ns' } }],
    clusters: [{ name: 'c', cluster }],
    users: [{ name: 'u', user }],
  });
  writeFileSync(file, yaml);
  return file;
}

/** What KubeClient takes from the options (client-node also adds an agent of its own, which KubeClient does not use). */
const USED = ['ca', 'cert', 'key', 'rejectUnauthorized', 'servername', 'headers', 'auth'];

async function applied(connection: { applyToHTTPSOptions(o: RequestOptions): Promise<void> }): Promise<Record<string, unknown>> {
  const options: RequestOptions = {};
  await connection.applyToHTTPSOptions(options);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (USED.includes(k) && v !== undefined) out[k] = Buffer.isBuffer(v) ? `buffer:${v.toString()}` : v;
  return out;
}

describe('loadClusterConnection', () => {
  const read: [string, Record<string, unknown>, Record<string, unknown>][] = [
    ['token and CA data', { server: 'https://10.0.0.1:6443/', 'certificate-authority-data': b64('CA DATA') }, { token: 'abc' }],
    ['token file and CA file (relative to the kubeconfig)', { server: 'https://api.example:443', 'certificate-authority': 'ca.crt' }, { 'token-file': join(dir, 'token') }],
    ['client certificate data', { server: 'https://[::1]:6443', 'certificate-authority-data': b64('CA') }, { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') }],
    ['client certificate files', { server: 'https://h:1', 'certificate-authority': join(dir, 'ca.crt') }, { 'client-certificate': 'client.crt', 'client-key': 'client.key' }],
    ['insecure, with a TLS server name', { server: 'https://h:1', 'insecure-skip-tls-verify': true, 'tls-server-name': 'kubernetes' }, { token: 't' }],
    ['no credentials', { server: 'https://127.0.0.1:6443', 'certificate-authority-data': b64('CA') }, {}],
  ];
  it.each(read)('reads a kubeconfig with %s itself, as client-node does', async (name, cluster, user) => {
    const file = kubeconfig(name.replace(/\W+/g, '-'), cluster, user);
    const light = await loadClusterConnection({ kubeconfig: file });
    expect(light.loader).toEqual({ light: true });
    const kc = new KubeConfig();
    kc.loadFromFile(file);
    expect(light.getCurrentCluster()?.server).toBe(kc.getCurrentCluster()?.server);
    expect(await applied(light)).toEqual(await applied(kc));
  });

  const handedOver: [string, Record<string, unknown>, Record<string, unknown>, string][] = [
    ['an exec plugin', { server: 'https://h:1' }, { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'true' } }, 'the kubeconfig uses exec'],
    ['basic auth', { server: 'https://h:1' }, { username: 'a', password: 'b' }, 'the kubeconfig uses username, password'],
    ['impersonation', { server: 'https://h:1' }, { token: 't', as: 'someone' }, 'the kubeconfig uses as'],
    ['a proxy', { server: 'https://h:1', 'proxy-url': 'http://proxy:3128' }, { token: 't' }, 'the kubeconfig uses proxy-url'],
    ['a plain-http server', { server: 'http://127.0.0.1:8080' }, {}, 'the server is plain http (client-node refuses it unless insecure-skip-tls-verify)'],
  ];
  it.each(handedOver)('hands a kubeconfig with %s to client-node', async (name, cluster, user, why) => {
    const file = kubeconfig(name.replace(/\W+/g, '-'), cluster, user);
    const connection = await loadClusterConnection({ kubeconfig: file });
    expect(connection.loader).toEqual({ light: false, why });
    expect(connection).toBeInstanceOf(KubeConfig);
  });

  it('hands several KUBECONFIG files to client-node, which merges them', async () => {
    const a = kubeconfig('merge-a', { server: 'https://a:1' }, { token: 'a' });
    const connection = await loadClusterConnection({ env: { KUBECONFIG: `${a}:${a}` } });
    expect(connection.loader).toEqual({ light: false, why: 'KUBECONFIG names several files (merged by client-node)' });
  });

  it('reads the pod ServiceAccount in-cluster, IPv6 in brackets, and reads the token again after 60 s', async () => {
    const sa = join(dir, 'sa');
    rmSync(sa, { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(sa);
    writeFileSync(join(sa, 'ca.crt'), 'POD CA');
    writeFileSync(join(sa, 'token'), 'first');
    let now = 1_000_000;
    const connection = await loadClusterConnection({ env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, serviceAccountDir: sa, home: join(dir, 'no-home'), now: () => now });
    expect(connection.loader).toEqual({ light: true });
    expect(connection.getCurrentCluster()?.server).toBe('https://[fd00::1]:443');
    expect(await applied(connection)).toEqual({ ca: 'buffer:POD CA', headers: { Authorization: 'Bearer first' } });
    writeFileSync(join(sa, 'token'), 'rotated');
    now += 59_000;
    expect((await applied(connection))['headers']).toEqual({ Authorization: 'Bearer first' });
    now += 2_000;
    expect((await applied(connection))['headers']).toEqual({ Authorization: 'Bearer rotated' });
  });

  it('prefers KUBECONFIG over ~/.kube/config over in-cluster, as client-node does', async () => {
    const home = join(dir, 'home');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(home, '.kube'), { recursive: true });
    writeFileSync(join(home, '.kube', 'config'), JSON.stringify({ 'current-context': 'x', contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }], clusters: [{ name: 'c', cluster: { server: 'https://home:1' } }], users: [{ name: 'u', user: { token: 'h' } }] }));
    const fromEnv = kubeconfig('env', { server: 'https://env:1' }, { token: 'e' });
    expect((await loadClusterConnection({ env: { KUBECONFIG: fromEnv }, home })).getCurrentCluster()?.server).toBe('https://env:1');
    expect((await loadClusterConnection({ env: {}, home })).getCurrentCluster()?.server).toBe('https://home:1');
  });
});
