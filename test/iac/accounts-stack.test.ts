// End to end: the example CDKTF app is synthesized with the command of its
// README, and OpenTofu (built from its Go module, test/iac/opentofu.ts) runs
// init, plan, apply and destroy on it against the test control plane, with an
// operator running: the objects reach Ready, an edit replaces exactly what
// changed, an object removed from the app is deleted, a manifest the API server
// refuses fails the apply with the server's message and a rerun after the fix
// converges, and destroy removes what the stack created and nothing else.
// The GitOps render of the same app applies with kubectl to the same objects.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { KubernetesObject } from '@kubernetes/client-node';
import { CoreV1Api } from '@kubernetes/client-node';
import { App } from 'cdktf';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARD_LABEL } from '../../operator/api/index.js';
import { applyObjects, readManifests } from '../../operator/kube/apply.js';
import type { RunningOperator } from '../../operator/operator.js';
import { DECLARED_OBJECTS_ID, manifestsOfStack } from '../../operator/iac/index.js';
import { ACME, AccountsStack } from '../../examples/cdktf/accounts-stack.js';
import type { TenantDescription, TenantPlacement } from '../../examples/cdktf/accounts-stack.js';
import { adminKubeConfig, cluster, eventually, kubectl, useNamespace } from '../harness/kube.js';
import { expectDeclared, expectGone, getStored, keyOf, objectsOf } from './cluster-objects.js';
import type { Configuration } from './cluster-objects.js';
import { newShard, startTestOperator } from '../harness/operator.js';
import { acceptOverHttp, linkOf, startTestSmtp } from '../users/fixtures.js';
import type { TestSmtp } from '../users/fixtures.js';
import { ensureTofu } from './opentofu.js';

const exec = promisify(execFile);
const repo = fileURLToPath(new URL('../../', import.meta.url));
const exampleDir = join(repo, 'examples', 'cdktf');
const runId = randomBytes(3).toString('hex');

/** resourceVersions of `objects`, once two reads a second apart agree (the operator has finished writing status). */
async function settledVersions(objects: KubernetesObject[]): Promise<Map<string, string>> {
  let previous = '';
  return eventually(
    async () => {
      const versions = new Map<string, string>();
      for (const object of objects) versions.set(keyOf(object), (await getStored(object))?.metadata?.resourceVersion ?? '');
      const now = JSON.stringify([...versions]);
      const settled = now === previous;
      previous = now;
      if (!settled) await new Promise((resolve) => setTimeout(resolve, 1_000));
      return settled ? versions : undefined;
    },
    30_000,
    'status writes to settle',
  );
}

/** What one `tofu` run printed, and how long it took. */
interface TofuRun {
  readonly code: number;
  readonly output: string;
  readonly seconds: number;
}

const timings: string[] = [];
let phaseStarted = Date.now();

/** Notes how long the test spent since the previous mark (printed after the run, for the figures in the README). */
function mark(phase: string): void {
  timings.push(`${phase}: ${((Date.now() - phaseStarted) / 1000).toFixed(1)} s`);
  phaseStarted = Date.now();
}

/** OpenTofu in one stack folder of a cdktf output, with kubectl and the test cluster's kubeconfig for the provisioners. */
class Tofu {
  constructor(
    private readonly binary: string,
    readonly dir: string,
    private readonly cliConfig: string,
  ) {}

  /** Runs `tofu <args>`; resolves with the exit code (rejects only when it could not run). */
  async run(args: string[]): Promise<TofuRun> {
    mark('test steps');
    const started = Date.now();
    const env = {
      ...process.env,
      KUBECONFIG: cluster().kubeconfig,
      PATH: `${dirname(cluster().binaries.kubectl)}${delimiter}${process.env['PATH'] ?? ''}`,
      TF_CLI_CONFIG_FILE: this.cliConfig,
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
    };
    const result = await exec(this.binary, [...args, '-no-color'], { cwd: this.dir, env, maxBuffer: 32 * 1024 * 1024 }).then(
      ({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
      (error: { code?: unknown; stdout?: string; stderr?: string }) => {
        if (typeof error.code !== 'number') throw error;
        return { code: error.code, output: `${error.stdout ?? ''}${error.stderr ?? ''}` };
      },
    );
    const seconds = (Date.now() - started) / 1000;
    mark(`tofu ${args[0]}`);
    return { ...result, seconds };
  }

  /** `run` that must succeed. */
  async ok(args: string[]): Promise<TofuRun> {
    const result = await this.run(args);
    expect(result.code, `tofu ${args.join(' ')}:\n${result.output}`).toBe(0);
    return result;
  }

  /** `tofu plan -out=tfplan`, then the planned actions by address (no-ops left out), as `tofu show -json` reports them. */
  async plan(): Promise<Map<string, string>> {
    await this.ok(['plan', '-out=tfplan']);
    const { stdout } = await exec(this.binary, ['show', '-json', 'tfplan'], { cwd: this.dir, env: { ...process.env, TF_CLI_CONFIG_FILE: this.cliConfig }, maxBuffer: 32 * 1024 * 1024 });
    const plan = JSON.parse(stdout) as { resource_changes?: { address: string; change: { actions: string[] } }[] };
    return new Map(
      (plan.resource_changes ?? [])
        .filter((c) => c.change.actions.join() !== 'no-op')
        .map((c) => [c.address, c.change.actions.join(',')] as const)
        .sort(([a], [b]) => (a < b ? -1 : 1)),
    );
  }
}

const addressOf = (object: KubernetesObject, suffix = '') => `terraform_data.blink_${[object.kind?.toLowerCase(), object.metadata?.namespace, object.metadata?.name].filter((p) => p !== undefined).join('_')}${suffix}`;

describe('the example CDKTF app through OpenTofu', () => {
  const operatorNs = useNamespace('iac-op');
  const shard = newShard('iac');
  const placement: TenantPlacement = { tenantName: `iac-${runId}`, namespace: `iac-${runId}-ns`, tenantLabels: { [SHARD_LABEL]: shard } };
  const cleanup: string[] = [];
  let work: string;
  let tofuBinary: string;
  let smtp: TestSmtp;
  let operator: RunningOperator | undefined;

  beforeAll(async () => {
    // Built by tools/setup.sh before `npm test`; a cold build here takes minutes.
    tofuBinary = await ensureTofu((message) => process.stderr.write(`[opentofu] ${message}\n`));
    work = await mkdtemp(join(tmpdir(), 'blink-tofu-'));
    cleanup.push(work);
    smtp = await startTestSmtp(operatorNs.name);
    operator = await startTestOperator({ shard, namespace: operatorNs.name, smtpSecret: smtp.secret });
  }, 30 * 60_000);

  afterAll(async () => {
    await kubectl(['delete', 'tenants.accounts.blinkops.com', placement.tenantName, '--ignore-not-found', '--wait=false']).catch(() => undefined);
    await kubectl(['delete', 'users,serviceaccounts,groups,workspaces', '--all', '-n', placement.namespace, '--timeout=20s']).catch(() => undefined);
    await operator?.stop();
    await smtp?.close();
    await adminKubeConfig().makeApiClient(CoreV1Api).deleteNamespace({ name: placement.namespace }).catch(() => undefined);
    for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
    process.stderr.write(`[opentofu] timings: ${timings.join('; ')}\n`);
  });

  /** The README's `npx tsx main.ts`, pointed at this test's tenant, output folder and state file. */
  async function synthExample(): Promise<Configuration> {
    await exec('npx', ['tsx', 'main.ts'], {
      cwd: exampleDir,
      env: {
        ...process.env,
        CDKTF_OUTDIR: join(work, 'cdktf.out'),
        ACME_TENANT: placement.tenantName,
        ACME_NAMESPACE: placement.namespace,
        ACME_TENANT_LABELS: `${SHARD_LABEL}=${shard}`,
        ACME_STATE_FILE: join(work, 'terraform.acme.tfstate'),
      },
    });
    return readStack();
  }

  /** The same app after an edit of its description, synthesized into the same folder (so the same state). */
  async function synthEdited(description: TenantDescription): Promise<Configuration> {
    const app = new App({ outdir: join(work, 'cdktf.out') });
    new AccountsStack(app, 'acme', description, { ...placement, stateFile: join(work, 'terraform.acme.tfstate') });
    app.synth();
    return readStack();
  }

  async function readStack(): Promise<Configuration> {
    return JSON.parse(await readFile(join(work, 'cdktf.out', 'stacks', 'acme', 'cdk.tf.json'), 'utf8')) as Configuration;
  }

  it('plans, applies, changes, removes and destroys the tenant, with objects Ready in between', async () => {
    const ns = placement.namespace;
    // A CLI configuration that allows no provider installation: `init` would fail if the stack needed one.
    const cliConfig = join(work, 'tofurc');
    await writeFile(cliConfig, `provider_installation {\n  filesystem_mirror {\n    path    = "${join(work, 'no-providers')}"\n    include = ["*/*"]\n  }\n}\n`);

    // 1. Synthesize with the README command; init downloads nothing.
    phaseStarted = Date.now();
    const v1 = await synthExample();
    mark('synth (npx tsx main.ts)');
    const tofu = new Tofu(tofuBinary, join(work, 'cdktf.out', 'stacks', 'acme'), cliConfig);
    await tofu.ok(['init']);
    expect(existsSync(join(tofu.dir, '.terraform', 'providers'))).toBe(false);

    // 2. The plan creates exactly the declared objects (two resources each) and the declared-objects list.
    const objects = objectsOf(v1);
    expect(objects.map((o) => o.kind).sort()).toEqual(['Group', 'Group', 'ServiceAccount', 'Tenant', 'User', 'User', 'User', 'Workspace', 'Workspace']);
    const expectedCreates = [...objects.flatMap((o) => [addressOf(o), addressOf(o, '_manifest')]), `terraform_data.${DECLARED_OBJECTS_ID}`].sort();
    expect([...(await tofu.plan())]).toEqual(expectedCreates.map((address) => [address, 'create']));

    // 3. Apply creates them; they reach Ready (users once they accepted their invitations).
    await tofu.ok(['apply', 'tfplan']);
    await expectDeclared(objects);
    for (const user of ACME.users) expect((await acceptOverHttp(linkOf(await smtp.waitForMessage(user.email)))).status).toBe(200);
    await eventually(async () => {
      const stored = await Promise.all(objects.map((object) => getStored(object)));
      return stored.every((o) => o?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) ? true : undefined;
    }, 30_000, 'every object Ready');
    mark('invitations accepted, every object Ready');
    const before = await settledVersions(objects);
    mark('status settled');
    const bob: KubernetesObject = { kind: 'User', metadata: { name: 'bob', namespace: ns } };
    const bobUid = (await getStored(bob))?.metadata?.uid;

    // 4. Edit one user: exactly its manifest resource is replaced; nothing else moves.
    const bobConsumer: TenantDescription = { ...ACME, users: ACME.users.map((u) => (u.name === 'bob' ? { ...u, role: 'Consumer' as const } : u)) };
    const v2 = await synthEdited(bobConsumer);
    mark('synth (edit)');
    expect([...(await tofu.plan())]).toEqual([[`terraform_data.blink_user_${ns}_bob_manifest`, 'delete,create']]);
    await tofu.ok(['apply', 'tfplan']);
    const after = await expectDeclared(objectsOf(v2));
    // Updated in place, not re-created (a new User would mean a new invitation).
    expect(await getStored(bob)).toMatchObject({ metadata: { uid: bobUid }, spec: { role: 'Consumer' } });
    for (const [key, version] of before) expect(after.get(key) === version, `${key} resourceVersion ${key === 'User/bob' ? 'changed' : 'kept'}`).toBe(key !== 'User/bob');
    expect([...(await tofu.plan())]).toEqual([]);

    // 5. Remove a user from the app: applying deletes it from the cluster.
    const withoutCarol: TenantDescription = { ...bobConsumer, users: bobConsumer.users.filter((u) => u.name !== 'carol') };
    const v3 = await synthEdited(withoutCarol);
    expect([...(await tofu.plan())]).toEqual([
      [`terraform_data.${DECLARED_OBJECTS_ID}`, 'delete,create'],
      [`terraform_data.blink_user_${ns}_carol`, 'delete'],
      [`terraform_data.blink_user_${ns}_carol_manifest`, 'delete'],
    ]);
    const removal = await tofu.ok(['apply', 'tfplan']);
    expect(removal.output).toContain(`Deleting users.accounts.blinkops.com carol in namespace ${ns}: no longer declared`);
    await expectGone([{ kind: 'User', metadata: { name: 'carol', namespace: ns } }]);
    await expectDeclared(objectsOf(v3));

    // 6. A manifest the API server refuses (email is immutable) fails the apply with the server's message...
    const aliceMoved: TenantDescription = { ...withoutCarol, users: withoutCarol.users.map((u) => (u.name === 'alice' ? { ...u, email: 'alice.new@acme.example' } : u)) };
    await synthEdited(aliceMoved);
    expect([...(await tofu.plan())]).toEqual([[`terraform_data.blink_user_${ns}_alice_manifest`, 'delete,create']]);
    const refused = await tofu.run(['apply', 'tfplan']);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain('email is immutable: delete the User and create a new one');
    expect((await getStored({ kind: 'User', metadata: { name: 'alice', namespace: ns } }))?.spec).toMatchObject({ email: 'alice@acme.example' });
    // ...and leaves the state consistent: after the fix, a rerun converges and then plans nothing.
    await synthEdited(withoutCarol);
    expect([...(await tofu.plan())]).toEqual([[`terraform_data.blink_user_${ns}_alice_manifest`, 'delete,create']]);
    await tofu.ok(['apply', 'tfplan']);
    await expectDeclared(objectsOf(v3));
    expect([...(await tofu.plan())]).toEqual([]);

    // 7. Destroy removes everything the stack created and nothing else.
    const outsider = { apiVersion: 'accounts.blinkops.com/v1alpha1', kind: 'Group', metadata: { name: 'outsider', namespace: ns }, spec: {} };
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(outsider) });
    await tofu.ok(['destroy', '-auto-approve']);
    await expectGone(objectsOf(v3));
    expect(await getStored(outsider)).toBeDefined();
    expect([...(await tofu.plan())]).toEqual(expectedCreates.filter((a) => !a.includes('_carol')).map((address) => [address, 'create']));
  });
});

describe('blink-accounts synth --out', () => {
  const placement = { tenantName: `iac-gitops-${runId}`, namespace: `iac-gitops-${runId}-ns` };
  const cleanup: string[] = [];
  beforeAll(async () => {
    await applyObjects(adminKubeConfig(), await readManifests(join(repo, 'crds')));
    await adminKubeConfig().makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: placement.namespace, labels: { 'blink-test': 'true' } } } });
  });
  afterAll(async () => {
    await kubectl(['delete', 'tenants.accounts.blinkops.com', placement.tenantName, '--ignore-not-found']).catch(() => undefined);
    await adminKubeConfig().makeApiClient(CoreV1Api).deleteNamespace({ name: placement.namespace }).catch(() => undefined);
    for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
  });

  it('writes the bytes Terraform applies, and kubectl apply -f gives the same objects', async () => {
    const out = await mkdtemp(join(tmpdir(), 'blink-gitops-'));
    const outdir = await mkdtemp(join(tmpdir(), 'blink-iac-'));
    cleanup.push(out, outdir);
    const env = { ...process.env, ACME_TENANT: placement.tenantName, ACME_NAMESPACE: placement.namespace };
    await exec(process.execPath, [join(repo, 'bin', 'blink-accounts.js'), 'synth', '--app', 'examples/cdktf/main.ts', '--out', out], { cwd: repo, env });
    await exec('npx', ['tsx', 'main.ts'], { cwd: exampleDir, env: { ...env, CDKTF_OUTDIR: outdir } });

    const terraform = manifestsOfStack(JSON.parse(await readFile(join(outdir, 'stacks', 'acme', 'cdk.tf.json'), 'utf8')) as Configuration);
    const files = (await readdir(out)).sort();
    expect(files).toEqual([...terraform.keys()]);
    for (const file of files) expect(await readFile(join(out, file), 'utf8')).toBe(terraform.get(file));

    await kubectl(['apply', '-f', out]);
    const objects = [...terraform.values()].map((yaml) => parse(yaml) as KubernetesObject);
    await expectDeclared(objects);
    await kubectl(['delete', '-f', out]);
    await expectGone(objects);
  });
});
