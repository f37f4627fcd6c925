// The example README's cdktf CLI commands, as written there: `cdktf synth`,
// `cdktf deploy` and `cdktf destroy` in examples/cdktf, with OpenTofu as the
// engine (TERRAFORM_BINARY_NAME), against the test control plane. The CLI is
// the pinned one of tools/cdktf-cli (test/iac/cdktf-cli.ts), tofu the pinned
// one of tools/opentofu.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminKubeConfig, cluster, kubectl } from '../harness/kube.js';
import { ensureCdktfCli } from './cdktf-cli.js';
import { expectDeclared, expectGone, objectsOf } from './cluster-objects.js';
import type { Configuration } from './cluster-objects.js';
import { ensureTofu } from './opentofu.js';

const exec = promisify(execFile);
const exampleDir = fileURLToPath(new URL('../../examples/cdktf/', import.meta.url));
const runId = randomBytes(3).toString('hex');

describe('the example README with the cdktf CLI', () => {
  // No operator handles this tenant (it has no shard label): the namespace is made here, as the README says.
  const placement = { tenantName: `iac-cli-${runId}`, namespace: `iac-cli-${runId}-ns` };
  let work: string;
  let cdktf: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    // Both are installed by tools/setup.sh before `npm test`; a cold install here takes minutes.
    const tofu = await ensureTofu((message) => process.stderr.write(`[opentofu] ${message}\n`));
    cdktf = await ensureCdktfCli((message) => process.stderr.write(`[cdktf-cli] ${message}\n`));
    work = await mkdtemp(join(tmpdir(), 'blink-cdktf-cli-'));
    const cliConfig = join(work, 'tofurc');
    // No provider installation is allowed: the stack must need none.
    await writeFile(cliConfig, `provider_installation {\n  filesystem_mirror {\n    path    = "${join(work, 'no-providers')}"\n    include = ["*/*"]\n  }\n}\n`);
    env = {
      ...process.env,
      TERRAFORM_BINARY_NAME: tofu,
      TF_CLI_CONFIG_FILE: cliConfig,
      CHECKPOINT_DISABLE: '1',
      CI: '1',
      KUBECONFIG: cluster().kubeconfig,
      PATH: `${dirname(cluster().binaries.kubectl)}${delimiter}${process.env['PATH'] ?? ''}`,
      ACME_TENANT: placement.tenantName,
      ACME_NAMESPACE: placement.namespace,
      ACME_STATE_FILE: join(work, 'terraform.acme.tfstate'),
    };
    await adminKubeConfig().makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: placement.namespace, labels: { 'blink-test': 'true' } } } });
  }, 30 * 60_000);

  afterAll(async () => {
    await kubectl(['delete', 'tenants.accounts.blinkops.com', placement.tenantName, '--ignore-not-found']).catch(() => undefined);
    await adminKubeConfig().makeApiClient(CoreV1Api).deleteNamespace({ name: placement.namespace }).catch(() => undefined);
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** `cdktf <args> --output <work>/cdktf.out` in examples/cdktf; rejects on a non-zero exit. */
  async function run(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<string> {
    const { stdout, stderr } = await exec(cdktf, [...args, '--output', join(work, 'cdktf.out')], { cwd: exampleDir, env: { ...env, ...extraEnv }, maxBuffer: 32 * 1024 * 1024 });
    return stdout + stderr;
  }

  it('synthesizes, deploys and destroys the acme tenant', async () => {
    await run(['synth']);
    const objects = objectsOf(JSON.parse(await readFile(join(work, 'cdktf.out', 'stacks', 'acme', 'cdk.tf.json'), 'utf8')) as Configuration);
    expect(objects).toHaveLength(9);
    expect(objects.find((o) => o.kind === 'Tenant')?.metadata?.name).toBe(placement.tenantName);

    await run(['deploy', '--auto-approve', 'acme']);
    await expectDeclared(objects);

    await run(['destroy', '--auto-approve', 'acme']);
    await expectGone(objects);
  });

  it('fails the synth on an invalid prop, naming the construct, the field and the value', async () => {
    const failed = await run(['synth'], { ACME_NAMESPACE: 'Tenant_Acme' }).then(
      () => undefined,
      (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code, output: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
    );
    expect(failed?.code).toBe(1);
    expect(failed?.output).toContain(`acme/tenant: Tenant ${placement.tenantName} is invalid: spec.namespace "Tenant_Acme": namespace must be a DNS-1123 label`);
  });
});
