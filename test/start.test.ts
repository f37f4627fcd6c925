// End to end: `blink-accounts start` (what `npm start` runs) on a machine with no
// cluster configured brings up its own control plane, installs the CRDs, runs
// the operator, applies the examples and shows the result with the invitation
// links, and a token and curl line for the access API that work as printed.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { cluster } from './harness/kube.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../bin/blink-accounts.js', import.meta.url));

describe('blink-accounts start', () => {
  const name = `start-e2e-${process.pid}`;
  let cache = '';
  const env = (): NodeJS.ProcessEnv => {
    const vars: NodeJS.ProcessEnv = {
      ...process.env,
      BLINK_ACCOUNTS_CACHE: cache,
      BLINK_ACCOUNTS_ASSETS: dirname(cluster().binaries.kubectl),
      BLINK_ACCOUNTS_OWNER_PID: String(process.pid),
    };
    delete vars['KUBECONFIG'];
    return vars;
  };
  afterAll(async () => {
    if (!cache) return;
    await run(process.execPath, [CLI, 'dev-cluster', 'down', '--name', name], { env: env() }).catch(() => undefined);
    await rm(cache, { recursive: true, force: true });
  });

  /** Runs `start` until it says it is ready, runs `whileRunning` with its output, then stops it with SIGINT (Ctrl-C). */
  async function runStart(whileRunning: (stderr: string) => Promise<void>): Promise<string> {
    const child = spawn(process.execPath, [CLI, 'start', '--cluster-name', name, '--http-port', '0', '--access-api-port', '0', '--wait-seconds', '60'], { env: env(), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 150_000;
    try {
      while (!/Stop with Ctrl-C/.test(stderr)) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`start did not get ready (exit ${child.exitCode}); output:\n${redact(stderr).slice(-3000)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      await whileRunning(stderr);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    return stderr;
  }

  /** The output holds invitation links, API keys and a token; a failing assertion prints its subject, so redact them first. */
  const redact = (text: string): string =>
    text
      .replace(/blink_(inv|sa)_[A-Za-z0-9_]+/g, 'blink_$1_<redacted>')
      .replace(/BLINK_ACCESS_TOKEN=\S+/g, 'BLINK_ACCESS_TOKEN=<redacted>')
      .replace(/eyJ[\w-]+\.[\w-]+\.[\w-]+/g, '<redacted JWT>');

  it('brings up everything and shows the examples with their invitation links and a working access API call', async () => {
    cache = await mkdtemp(join(tmpdir(), 'blink-start-'));
    let answer = '';
    const raw = await runStart(async (output) => {
      // The two lines it printed, run as a user would paste them into a shell.
      const lines = output.split('\n').map((l) => l.trim());
      const exportLine = lines.find((l) => l.startsWith('export BLINK_ACCESS_TOKEN='));
      const curlLine = lines.find((l) => l.startsWith('curl ') && l.includes('/api/v1/authorize'));
      expect({ exportLine: exportLine !== undefined, curlLine: curlLine !== undefined }).toEqual({ exportLine: true, curlLine: true });
      answer = (await run('bash', ['-c', `${exportLine ?? ''}\n${curlLine ?? ''}`], { timeout: 20_000 })).stdout;
    });
    expect(JSON.parse(answer)).toMatchObject({ allowed: true, reason: 'WorkspaceMember' });
    const stderr = redact(raw);
    expect(stderr).toMatch(/access API on http:\/\/127\.0\.0\.1:\d+/);
    expect(stderr).toMatch(/blink-accounts-demo-caller, bound to the ClusterRole blink-accounts-access-api-client/);
    expect(stderr).toMatch(/Control plane "start-e2e-\d+" ready in/);
    expect(stderr).toMatch(/Installed 5 CustomResourceDefinitions/);
    expect(stderr).toMatch(/Operator running/);
    expect(stderr).toMatch(/\$ kubectl get tenants\nNAME +NAMESPACE[^\n]*\nacme +tenant-acme/);
    // Every example user but frank (spec.active: false) is invited by email; each email carries its link.
    const caught = /Invitation emails caught: (\d+)/.exec(stderr);
    expect(Number(caught?.[1])).toBe(6);
    expect(stderr).not.toMatch(/frank@acme\.example +http/);
    expect(stderr).toMatch(/alice@acme\.example +http:\/\/127\.0\.0\.1:\d+\/invitations\/blink_inv_/);
    // The kubeconfig it printed works with the built kubectl.
    const kubeconfig = /export KUBECONFIG=(\S+)/.exec(stderr)?.[1] ?? '';
    const { stdout } = await run(cluster().binaries.kubectl, ['get', 'ns', 'tenant-acme', '-o', 'name'], { env: { ...process.env, KUBECONFIG: kubeconfig } });
    expect(stdout.trim()).toBe('namespace/tenant-acme');
  });
});
