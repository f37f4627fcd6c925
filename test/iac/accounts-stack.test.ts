// End to end: the example CDKTF app is synthesized with the documented command,
// and its provisioners are run against the test control plane by a plan/apply
// driver that decides from the triggers what Terraform would (no Terraform-
// compatible engine with the null provider is available here). The GitOps
// render of the same app applies with kubectl to the same objects.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { KubernetesObject } from '@kubernetes/client-node';
import { CoreV1Api } from '@kubernetes/client-node';
import { App } from 'cdktf';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withDefaults } from '../../operator/api/index.js';
import { applyObjects, readManifests } from '../../operator/kube/apply.js';
import { manifestsOfStack } from '../../operator/iac/index.js';
import { ACME, AccountsStack } from '../../examples/cdktf/accounts-stack.js';
import type { TenantDescription, TenantPlacement } from '../../examples/cdktf/accounts-stack.js';
import { adminKubeConfig, cluster, kubectl } from '../harness/kube.js';
import { apply, destroy, plan } from './terraform-driver.js';
import type { TerraformConfiguration } from './terraform-driver.js';

const exec = promisify(execFile);
const repo = fileURLToPath(new URL('../../', import.meta.url));
const runId = randomBytes(3).toString('hex');

interface TenantUnderTest extends TenantPlacement {
  readonly cleanup: string[];
}

/** A unique tenant and its namespace, created (no operator runs to create it) and removed afterwards. */
function useTenant(prefix: string): TenantUnderTest {
  const placement = { tenantName: `${prefix}-${runId}`, namespace: `${prefix}-${runId}-ns`, cleanup: [] as string[] };
  beforeAll(async () => {
    await applyObjects(adminKubeConfig(), await readManifests(join(repo, 'crds')));
    await adminKubeConfig().makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: placement.namespace, labels: { 'blink-test': 'true' } } } });
  });
  afterAll(async () => {
    await kubectl(['delete', 'tenants.accounts.blinkops.com', placement.tenantName, '--ignore-not-found']).catch(() => undefined);
    await adminKubeConfig().makeApiClient(CoreV1Api).deleteNamespace({ name: placement.namespace }).catch(() => undefined);
    for (const dir of placement.cleanup) await rm(dir, { recursive: true, force: true });
  });
  return placement;
}

/** Environment of provisioners: the built kubectl first on PATH, the test cluster's kubeconfig. */
function provisionerEnv(): NodeJS.ProcessEnv {
  return { ...process.env, KUBECONFIG: cluster().kubeconfig, PATH: `${dirname(cluster().binaries.kubectl)}${delimiter}${process.env['PATH'] ?? ''}` };
}

/** Environment that points the example app at a tenant. */
function exampleEnv(tenant: TenantPlacement, outdir: string): NodeJS.ProcessEnv {
  return { ...process.env, CDKTF_OUTDIR: outdir, ACME_TENANT: tenant.tenantName, ACME_NAMESPACE: tenant.namespace };
}

async function readStack(outdir: string): Promise<TerraformConfiguration> {
  return JSON.parse(await readFile(join(outdir, 'stacks', 'acme', 'cdk.tf.json'), 'utf8')) as TerraformConfiguration;
}

/** Runs examples/cdktf/main.ts as its README says (`npx tsx main.ts`, here with the Node of the test run). */
async function synthExample(tenant: TenantUnderTest): Promise<TerraformConfiguration> {
  const outdir = await mkdtemp(join(tmpdir(), 'blink-iac-'));
  tenant.cleanup.push(outdir);
  await exec(process.execPath, ['--import', 'tsx', 'main.ts'], { cwd: join(repo, 'examples', 'cdktf'), env: exampleEnv(tenant, outdir) });
  return readStack(outdir);
}

/** Synthesizes the example's stack from another description: the app after an edit. */
async function synthEdited(tenant: TenantUnderTest, description: TenantDescription): Promise<TerraformConfiguration> {
  const outdir = await mkdtemp(join(tmpdir(), 'blink-iac-'));
  tenant.cleanup.push(outdir);
  const app = new App({ outdir });
  new AccountsStack(app, 'acme', description, tenant);
  app.synth();
  return readStack(outdir);
}

function objectsOf(configuration: TerraformConfiguration): KubernetesObject[] {
  return [...manifestsOfStack(configuration).values()].map((yaml) => parse(yaml) as KubernetesObject);
}

function resourceOf(object: KubernetesObject): string {
  return `${object.kind?.toLowerCase()}s.accounts.blinkops.com`;
}

/** The object as stored, or undefined when it does not exist. */
async function getStored(object: KubernetesObject): Promise<(KubernetesObject & { spec?: unknown }) | undefined> {
  const namespace = object.metadata?.namespace;
  const { stdout } = await kubectl(['get', resourceOf(object), object.metadata?.name ?? '', ...(namespace ? ['-n', namespace] : []), '--ignore-not-found', '-o', 'json']);
  return stdout.trim() === '' ? undefined : (JSON.parse(stdout) as KubernetesObject);
}

/** Asserts each object exists with exactly the declared spec (plus the schema defaults the API server adds); returns resourceVersions. */
async function expectDeclared(objects: KubernetesObject[]): Promise<Map<string, string>> {
  const versions = new Map<string, string>();
  for (const object of objects) {
    const stored = await getStored(object);
    expect(stored, `${object.kind} ${object.metadata?.name}`).toBeDefined();
    expect(stored?.spec).toEqual((withDefaults(object) as { spec?: unknown }).spec);
    versions.set(`${object.kind}/${object.metadata?.name}`, stored?.metadata?.resourceVersion ?? '');
  }
  return versions;
}

async function expectGone(objects: KubernetesObject[]): Promise<void> {
  for (const object of objects) expect(await getStored(object), `${object.kind} ${object.metadata?.name}`).toBeUndefined();
}

describe('the example CDKTF app through Terraform provisioners', () => {
  const tenant = useTenant('iac');

  it('is applied, re-applies exactly what changed in the app, and is destroyed', async () => {
    const env = { env: provisionerEnv() };
    // 1. First apply: everything is created.
    const v1 = await synthExample(tenant);
    const first = await apply(v1, new Map(), env);
    const objects = objectsOf(v1);
    expect(objects.map((o) => o.kind).sort()).toEqual(['Group', 'Group', 'ServiceAccount', 'Tenant', 'User', 'User', 'User', 'Workspace', 'Workspace']);
    expect(first.plan.create).toHaveLength(2 * objects.length);
    expect(first.runs.filter((r) => r.when === 'create')).toHaveLength(objects.length);
    // The tenant is applied before anything in it.
    expect(first.runs[0]?.address).toBe(`null_resource.blink_tenant_${tenant.tenantName}_manifest`);
    const before = await expectDeclared(objects);
    const deployer = objects.find((o) => o.kind === 'ServiceAccount') as KubernetesObject;
    const deployerUid = (await getStored(deployer))?.metadata?.uid;

    // 2. An edit: bob becomes a Consumer, a sandbox workspace appears and the deployer is invited to it.
    const edited: TenantDescription = {
      ...ACME,
      workspaces: [...ACME.workspaces, { name: 'sandbox', displayName: 'Sandbox' }],
      users: ACME.users.map((u) => (u.name === 'bob' ? { ...u, role: 'Consumer' as const } : u)),
      serviceAccounts: ACME.serviceAccounts.map((s) => ({ ...s, workspaces: [...(s.workspaces ?? []), 'sandbox'] })),
    };
    const v2 = await synthEdited(tenant, edited);
    const ns = tenant.namespace;
    const expectedPlan = {
      create: [`null_resource.blink_workspace_${ns}_sandbox`, `null_resource.blink_workspace_${ns}_sandbox_manifest`],
      replace: [`null_resource.blink_serviceaccount_${ns}_deployer_manifest`, `null_resource.blink_user_${ns}_bob_manifest`],
      delete: [],
    };
    expect(plan(v2, first.state)).toMatchObject(expectedPlan);
    const second = await apply(v2, first.state, env);
    // Exactly the changed objects were (re)applied, and nothing was deleted.
    // (The new workspace first: the deployer that names it depends on it.)
    expect(second.runs.map((r) => `${r.when} ${r.address}`)).toEqual([
      `create null_resource.blink_workspace_${ns}_sandbox_manifest`,
      `create null_resource.blink_serviceaccount_${ns}_deployer_manifest`,
      `create null_resource.blink_user_${ns}_bob_manifest`,
    ]);
    const after = await expectDeclared(objectsOf(v2));
    for (const [key, version] of before) {
      const changed = key === 'User/bob' || key === 'ServiceAccount/deployer';
      expect(after.get(key) !== version, `${key} ${changed ? 'changed' : 'unchanged'}`).toBe(changed);
    }
    // Updated in place, not re-created: the uid survives (a new ServiceAccount would mean a new API key).
    const updated = await getStored(deployer);
    expect(updated?.metadata?.uid).toBe(deployerUid);
    expect(updated?.spec).toMatchObject({ workspaces: ['staging', 'sandbox'] });
    expect(plan(v2, second.state)).toMatchObject({ create: [], replace: [], delete: [] });

    // 3. Destroy: every object is deleted, the things in the tenant before the tenant.
    const removed = await destroy(v2, second.state, env);
    expect(removed.runs.filter((r) => r.when === 'destroy')).toHaveLength(objectsOf(v2).length);
    expect(removed.runs.at(-1)?.address).toBe(`null_resource.blink_tenant_${tenant.tenantName}`);
    await expectGone(objectsOf(v2));
  });
});

describe('blink-accounts synth --out', () => {
  const tenant = useTenant('iac-gitops');

  it('writes the bytes Terraform applies, and kubectl apply -f gives the same objects', async () => {
    const out = await mkdtemp(join(tmpdir(), 'blink-gitops-'));
    tenant.cleanup.push(out);
    const env = exampleEnv(tenant, '');
    delete env['CDKTF_OUTDIR'];
    await exec(process.execPath, [join(repo, 'bin', 'blink-accounts.js'), 'synth', '--app', 'examples/cdktf/main.ts', '--out', out], { cwd: repo, env });

    const terraform = manifestsOfStack(await synthExample(tenant));
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
