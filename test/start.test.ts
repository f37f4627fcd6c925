// End to end: `blink-accounts start` (what `npm start` runs) on a machine with no
// cluster configured brings up its own control plane, installs the CRDs, runs
// the operator, applies the examples and shows the result with the invitation links.
import { execFile } from 'node:child_process';
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

  it('brings up everything and shows the examples with their invitation links', async () => {
    cache = await mkdtemp(join(tmpdir(), 'blink-start-'));
    const { stderr: raw } = await run(process.execPath, [CLI, 'start', '--once', '--cluster-name', name, '--http-port', '0', '--wait-seconds', '60'], {
      env: env(),
      timeout: 150_000,
    });
    // The output holds invitation links; a failing assertion prints its subject, so redact them first.
    const stderr = raw.replace(/blink_(inv|sa)_[A-Za-z0-9_]+/g, 'blink_$1_<redacted>');
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
