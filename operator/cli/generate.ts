// `blink-accounts generate crds|rbac|all`: writes every file derived from the
// source (CRDs from operator/api/, the role ClusterRoles and the email-domain
// admission policy from operator/tenants/). Unit tests diff each against what
// is committed, so a stale file fails `npm test`.
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { crdFileName, customResourceDefinitions, renderCrd } from '../api/crds.js';
import { renderAccessApiClientRoleYaml } from '../access/caller-access.js';
import { renderEmailDomainPolicyYaml } from '../tenants/admission-policy.js';
import { renderClusterRolesYaml } from '../tenants/cluster-roles.js';

/** Writes one YAML file per CRD into `dir`, removing CRD files that are no longer generated; returns the file names. */
export async function writeCrds(dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files = new Map(customResourceDefinitions().map((crd) => [crdFileName(crd), renderCrd(crd)]));
  for (const existing of await readdir(dir)) {
    if (existing.endsWith('.yaml') && !files.has(existing)) await rm(join(dir, existing));
  }
  for (const [name, yaml] of files) await writeFile(join(dir, name), yaml);
  return [...files.keys()];
}

/** The RBAC manifests rendered from code, by file name. */
export function rbacManifests(): ReadonlyMap<string, string> {
  return new Map([
    ['cluster-roles.yaml', renderClusterRolesYaml()],
    ['user-email-domain-policy.yaml', renderEmailDomainPolicyYaml()],
    ['access-api-client.yaml', renderAccessApiClientRoleYaml()],
  ]);
}

/** Writes the RBAC manifests into `dir`; returns the file names. */
export async function writeRbac(dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  for (const [name, yaml] of rbacManifests()) await writeFile(join(dir, name), yaml);
  return [...rbacManifests().keys()];
}

/** Registers `generate`. */
export function registerGenerate(program: Command): void {
  const generate = program.command('generate').description('Generate the files derived from the source (CRDs, RBAC manifests)');
  const crds = async (out: string): Promise<void> => {
    const written = await writeCrds(out);
    process.stderr.write(`Wrote ${written.length} CustomResourceDefinitions to ${out}/: ${written.join(', ')}\n`);
  };
  const rbac = async (out: string): Promise<void> => {
    const written = await writeRbac(out);
    process.stderr.write(`Wrote ${written.length} RBAC manifests to ${out}/: ${written.join(', ')}\n`);
  };
  generate
    .command('crds')
    .description('Write one CustomResourceDefinition YAML file per kind')
    .option('--out <dir>', 'output folder', 'crds')
    .action((options: { out: string }) => crds(options.out));
  generate
    .command('rbac')
    .description('Write the role ClusterRoles, the email-domain admission policy and the access API client ClusterRole')
    .option('--out <dir>', 'output folder', 'deploy/rbac')
    .action((options: { out: string }) => rbac(options.out));
  generate
    .command('all')
    .description('Write every generated file at its place in the repository')
    .action(async () => {
      await crds('crds');
      await rbac('deploy/rbac');
    });
}
