// `blink-accounts synth --out <dir>`: writes the objects a CDKTF app declares as
// plain YAML manifests for a GitOps repository, byte for byte what Terraform applies.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { manifestsOfStack, readSynthesizedStack, stacksIn, writeManifestFiles } from '../iac/index.js';

/** Options of `synth`. */
export interface SynthOptions {
  /** Folder the YAML files are written to. */
  readonly out: string;
  /** A CDKTF app (TypeScript or JavaScript) that calls `app.synth()`; it is run with CDKTF_OUTDIR set to a temporary folder. */
  readonly app?: string;
  /** An existing cdktf output folder (`cdktf.out`) instead of running an app. */
  readonly from?: string;
  /** The stack to render; needed when there are several. */
  readonly stack?: string;
}

/** Renders the manifests of one stack into `options.out`; returns the file names. */
export async function synthManifests(options: SynthOptions): Promise<string[]> {
  if ((options.app === undefined) === (options.from === undefined)) throw new Error('Give exactly one of --app <file> and --from <cdktf.out>');
  const temporary = options.app === undefined ? undefined : await mkdtemp(join(tmpdir(), 'blink-accounts-synth-'));
  try {
    if (options.app !== undefined && temporary !== undefined) await runApp(options.app, temporary);
    const cdktfOut = options.from ?? (temporary as string);
    const stacks = await stacksIn(cdktfOut);
    const stack = options.stack ?? (stacks.length === 1 ? stacks[0] : undefined);
    if (stack === undefined || !stacks.includes(stack)) {
      throw new Error(`${options.stack === undefined ? 'Name the stack to render with --stack' : `No stack ${options.stack}`}; stacks: ${stacks.join(', ') || 'none'}`);
    }
    const files = manifestsOfStack(await readSynthesizedStack(cdktfOut, stack));
    await writeManifestFiles(options.out, files);
    return [...files.keys()];
  } finally {
    if (temporary !== undefined) await rm(temporary, { recursive: true, force: true });
  }
}

/** Runs a CDKTF app in this process the way the cdktf CLI does: its App writes into CDKTF_OUTDIR. */
async function runApp(app: string, outdir: string): Promise<void> {
  const previous = process.env['CDKTF_OUTDIR'];
  process.env['CDKTF_OUTDIR'] = outdir;
  try {
    await import(pathToFileURL(resolve(app)).href);
  } catch (error) {
    throw new Error(`Running the CDKTF app ${app} failed`, { cause: error });
  } finally {
    if (previous === undefined) delete process.env['CDKTF_OUTDIR'];
    else process.env['CDKTF_OUTDIR'] = previous;
  }
}

/** Registers `synth`. */
export function registerSynth(program: Command): void {
  program
    .command('synth')
    .description('Write the objects of a CDKTF app (operator/iac constructs) as YAML manifests, as Terraform applies them')
    .requiredOption('--out <dir>', 'output folder (its other .yaml files are removed)')
    .option('--app <file>', 'CDKTF app to run, such as examples/cdktf/main.ts')
    .option('--from <dir>', 'an existing cdktf output folder instead of --app, such as cdktf.out')
    .option('--stack <name>', 'stack to render, when the app has several')
    .action(async (options: { out: string; app?: string; from?: string; stack?: string }) => {
      const written = await synthManifests(options);
      process.stderr.write(`Wrote ${written.length} manifests to ${options.out}/\n`);
    });
}
