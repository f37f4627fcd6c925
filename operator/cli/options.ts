// The flags commands share, the kubectl way: -n/--namespace, --kubeconfig, --context on every
// command that talks to a cluster, -o/--output on every read command, --dry-run on every write.
import { Option } from 'commander';
import type { Command } from 'commander';
import type { ClusterFlags } from './cluster-target.js';
import { terminalJson, terminalYaml, writeOut } from './terminal-text.js';

/** Formats of -o. */
export const OUTPUT_FORMATS = ['text', 'json', 'yaml'] as const;
/** A format of -o. */
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Flags of a read command. */
export interface ReadFlags extends ClusterFlags {
  readonly output: OutputFormat;
}

/** Flags of a write command. */
export interface WriteFlags extends ClusterFlags {
  readonly dryRun: boolean;
}

/** Adds -n, --kubeconfig and --context. */
export function clusterOptions(command: Command, what = 'object'): Command {
  return command
    .option('-n, --namespace <namespace>', `tenant namespace of the ${what} (default: the namespace of the kubeconfig context, else "default")`)
    .option('--kubeconfig <path>', 'kubeconfig file (default: KUBECONFIG, then ~/.kube/config or the dev cluster)')
    .option('--context <name>', 'kubeconfig context to use (default: the current context)');
}

/** Adds -o/--output. */
export function outputOption(command: Command): Command {
  return command.addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('text'));
}

/** Adds --dry-run (server-side: the API server validates and admits the write, and stores nothing). */
export function dryRunOption(command: Command): Command {
  return command.option('--dry-run', 'send the write as a server dry run (dryRun=All): validated and admitted by the API server, nothing stored', false);
}

/** Prints `value` as JSON or YAML (the exact values, with any terminal control character written as an escape). */
export function printStructured(value: unknown, format: Exclude<OutputFormat, 'text'>): void {
  process.stdout.write(format === 'json' ? terminalJson(value) : terminalYaml(value));
}

/** Prints `value` in the format asked for; `text` renders it with `render` (and is made terminal-safe). */
export function print<T>(value: T, format: OutputFormat, render: (value: T) => string): void {
  if (format === 'text') writeOut(render(value));
  else printStructured(value, format);
}

/** `(server dry run: nothing was changed)` when dry-running, else ''. */
export function dryRunNote(dryRun: boolean): string {
  return dryRun ? ' (server dry run: nothing was changed)' : '';
}
