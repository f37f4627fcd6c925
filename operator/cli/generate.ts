// `blink-accounts generate crds [--out crds]`: writes the CRD YAML from operator/api/.
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { crdFileName, customResourceDefinitions, renderCrd } from '../api/crds.js';

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

/** Registers `generate`. */
export function registerGenerate(program: Command): void {
  const generate = program.command('generate').description('Generate files derived from the API source in operator/api/');
  generate
    .command('crds')
    .description('Write one CustomResourceDefinition YAML file per kind')
    .option('--out <dir>', 'output folder', 'crds')
    .action(async (options: { out: string }) => {
      const written = await writeCrds(options.out);
      process.stderr.write(`Wrote ${written.length} CustomResourceDefinitions to ${options.out}/: ${written.join(', ')}\n`);
    });
}
