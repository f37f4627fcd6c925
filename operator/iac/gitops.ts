// The GitOps render path: the manifests of a synthesized stack, read back from
// the triggers Terraform would apply, so the YAML files are those bytes exactly.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { API_VERSION } from '../api/index.js';
import { manifestFileName } from './manifest.js';
import { unescapeTemplate } from './terraform-template.js';

/** A binding resource block, as far as this module reads it: `triggers_replace` of terraform_data, `triggers` of null_resource. */
interface BindingBlock {
  readonly triggers_replace?: Readonly<Record<string, string>>;
  readonly triggers?: Readonly<Record<string, string>>;
}

/** Terraform JSON of one stack, as far as this module reads it. */
interface SynthesizedStack {
  readonly resource?: { readonly terraform_data?: Readonly<Record<string, BindingBlock>>; readonly null_resource?: Readonly<Record<string, BindingBlock>> };
}

/**
 * The manifests a synthesized stack applies, by GitOps file name, sorted by
 * file name: the value of each trigger `manifest` (of a terraform_data or
 * null_resource) that holds an object of the API, as Terraform evaluates it.
 */
export function manifestsOfStack(stack: SynthesizedStack): Map<string, string> {
  const files: [string, string][] = [];
  const blocks = [...Object.values(stack.resource?.terraform_data ?? {}), ...Object.values(stack.resource?.null_resource ?? {})];
  for (const resource of blocks) {
    const template = (resource.triggers_replace ?? resource.triggers)?.['manifest'];
    if (template === undefined) continue;
    const yaml = unescapeTemplate(template);
    const object = parse(yaml) as KubernetesObject | null;
    if (object?.apiVersion !== API_VERSION) continue;
    files.push([manifestFileName(object), yaml]);
  }
  return new Map(files.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Names of the stacks in a cdktf output folder (`cdktf.out`). */
export async function stacksIn(cdktfOut: string): Promise<string[]> {
  return (await readdir(join(cdktfOut, 'stacks'), { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

/** The synthesized Terraform JSON of one stack of a cdktf output folder. */
export async function readSynthesizedStack(cdktfOut: string, stack: string): Promise<SynthesizedStack> {
  const file = join(cdktfOut, 'stacks', stack, 'cdk.tf.json');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as SynthesizedStack;
  } catch (error) {
    throw new Error(`Reading the synthesized stack ${file} failed`, { cause: error });
  }
}

/** Writes `files` into `dir`, removing the .yaml files of `dir` that are not among them (the folder is the render's). */
export async function writeManifestFiles(dir: string, files: ReadonlyMap<string, string>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const existing of await readdir(dir)) {
    if (/\.ya?ml$/.test(existing) && !files.has(existing)) await rm(join(dir, existing));
  }
  for (const [name, yaml] of files) await writeFile(join(dir, name), yaml);
}
