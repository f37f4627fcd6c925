// Shell completion. `completion bash|zsh` prints a script that asks the CLI itself for
// candidates (`__complete <words…>`, hidden), so completion always matches the commands, flags and
// the cluster's objects. The reply is cobra's format: one candidate a line, then `:<directive>`
// (4: no file names, 0: the shell may fall back to file names). kubectl's plugin completion
// (`kubectl blink <TAB>`) calls bin/kubectl_complete-blink, which runs the same `__complete`.
import type { Command, Option } from 'commander';
import { ROLES } from '../api/index.js';
import { ACTIONS } from '../policy/matrix.js';
import { CliError, EXIT } from './exit-codes.js';
import { cliName } from './invocation.js';
import { OUTPUT_FORMATS } from './options.js';
import { kindAliases } from './status.js';
import type { StatusKind } from './status-report.js';

/** Directive: the candidates are all there is. */
const NO_FILES = 4;
/** Directive: no candidates of ours; the shell may complete file names. */
const DEFAULT = 0;

/** Names of objects the completion can ask the cluster for. */
export type NameLookup = (kind: StatusKind | 'TenantNamespace', flags: { namespace?: string; kubeconfig?: string; context?: string }) => Promise<string[]>;

/** What to offer for the last word. */
export interface Completion {
  readonly candidates: readonly string[];
  readonly directive: number;
}

const STATUS_KINDS = ['tenant', 'user', 'serviceaccount', 'sa', 'workspace', 'group'];
/** Commands whose first argument names an object of a kind. */
const NAME_ARGUMENTS: Record<string, StatusKind> = {
  'user resend': 'User',
  'user deactivate': 'User',
  'user activate': 'User',
  'user groups': 'User',
  'user remove': 'User',
  'sa key': 'ServiceAccount',
  'sa info': 'ServiceAccount',
  'sa rotate-key': 'ServiceAccount',
};

function findOption(command: Command, word: string): Option | undefined {
  const flag = word.split('=')[0];
  for (let c: Command | null = command; c; c = c.parent) {
    const found = c.options.find((o) => o.long === flag || o.short === flag);
    if (found) return found;
  }
  return undefined;
}

function takesValue(option: Option): boolean {
  return option.required || option.optional;
}

function visible(command: Command): Command[] {
  return command.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
}

function path(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Candidates for the last of `words` (the words after the program name; the last may be empty). */
export async function complete(program: Command, words: readonly string[], lookup: NameLookup): Promise<Completion> {
  const current = words[words.length - 1] ?? '';
  let command = program;
  const positionals: string[] = [];
  const values: Record<string, string> = {};
  let pendingOption: Option | undefined;
  for (const word of words.slice(0, -1)) {
    if (pendingOption) {
      values[pendingOption.attributeName()] = word;
      pendingOption = undefined;
    } else if (word.startsWith('-')) {
      const option = findOption(command, word);
      if (option && takesValue(option) && !word.includes('=')) pendingOption = option;
      else if (option && word.includes('=')) values[option.attributeName()] = word.slice(word.indexOf('=') + 1);
      else if (option) values[option.attributeName()] = 'true';
    } else {
      const sub = positionals.length === 0 ? command.commands.find((c) => c.name() === word || c.aliases().includes(word)) : undefined;
      if (sub) command = sub;
      else positionals.push(word);
    }
  }
  const filter = (list: readonly string[], directive = NO_FILES): Completion => ({ candidates: list.filter((c) => c.startsWith(current)), directive });
  const cluster = { ...(values['namespace'] ? { namespace: values['namespace'] } : {}), ...(values['kubeconfig'] ? { kubeconfig: values['kubeconfig'] } : {}), ...(values['context'] ? { context: values['context'] } : {}) };

  if (pendingOption) {
    if (pendingOption.argChoices) return filter(pendingOption.argChoices);
    if (pendingOption.long === '--output') return filter(OUTPUT_FORMATS);
    if (pendingOption.long === '--role') return filter(ROLES);
    if (pendingOption.long === '--namespace') return filter(await lookup('TenantNamespace', cluster).catch(() => []));
    if (pendingOption.long === '--workspace') return filter(await lookup('Workspace', cluster).catch(() => []));
    return { candidates: [], directive: DEFAULT };
  }
  if (current.startsWith('-')) {
    const options: string[] = [];
    for (let c: Command | null = command; c; c = c.parent) for (const o of c.options) if (o.long && !o.hidden) options.push(o.long);
    return filter([...new Set([...options, '--help'])]);
  }
  if (visible(command).length > 0 && positionals.length === 0) return filter(visible(command).map((c) => c.name()));
  const where = path(command);
  if (where === 'status') {
    if (positionals.length === 0) return filter(STATUS_KINDS);
    const kind = kindAliases().get((positionals[0] ?? '').toLowerCase());
    if (positionals.length === 1 && kind) return filter(await lookup(kind, cluster).catch(() => []));
    return filter([]);
  }
  if (where === 'history') {
    if (positionals.length === 0) return filter(['user', 'serviceaccount']);
    const kind = kindAliases().get((positionals[0] ?? '').toLowerCase());
    if (positionals.length === 1 && (kind === 'User' || kind === 'ServiceAccount')) return filter(await lookup(kind, cluster).catch(() => []));
    return filter([]);
  }
  if (where === 'completion' && positionals.length === 0) return filter(['bash', 'zsh']);
  if (where === 'who-can' && positionals.length === 0) return filter(ACTIONS);
  if (where === 'can-i') {
    // The principal (unless --key-stdin): sa/<name> of the namespace's service accounts, or - for a key on stdin; emails are typed.
    if (positionals.length === 0 && values['keyStdin'] === undefined) {
      return filter(['-', ...(await lookup('ServiceAccount', cluster).catch(() => [])).map((n) => `sa/${n}`)]);
    }
    return positionals.length <= 1 ? filter(ACTIONS) : filter([]);
  }
  const kind = NAME_ARGUMENTS[where];
  if (kind && positionals.length === 0) return filter(await lookup(kind, cluster).catch(() => []));
  return { candidates: [], directive: DEFAULT };
}

/** The `__complete` reply. */
export function formatCompletion(completion: Completion): string {
  return [...completion.candidates, `:${completion.directive}`].join('\n') + '\n';
}

/** The bash script. */
export function bashScript(): string {
  return `# bash completion for blink-accounts and kubectl-blink.
# Load it now:      source <(blink-accounts completion bash)
# Load it always:   blink-accounts completion bash > ~/.local/share/bash-completion/completions/blink-accounts
# (\`kubectl blink <TAB>\` completes through kubectl's own completion and bin/kubectl_complete-blink.)
_blink_accounts_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" directive=0 line
  local -a lines
  mapfile -t lines < <("\${COMP_WORDS[0]}" __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)
  if [[ \${#lines[@]} -gt 0 && \${lines[-1]} == :* ]]; then
    directive=\${lines[-1]#:}
    unset 'lines[-1]'
  fi
  COMPREPLY=()
  for line in "\${lines[@]}"; do
    [[ -n $line && $line == "$cur"* ]] && COMPREPLY+=("$line")
  done
  if [[ \${#COMPREPLY[@]} -eq 0 && $directive -eq 0 ]]; then
    compopt -o default 2>/dev/null
  fi
}
complete -F _blink_accounts_complete blink-accounts kubectl-blink
`;
}

/** The zsh script. */
export function zshScript(): string {
  return `#compdef blink-accounts kubectl-blink
# zsh completion for blink-accounts and kubectl-blink.
# Load it now (after compinit):  source <(blink-accounts completion zsh)
# Load it always:                blink-accounts completion zsh > "\${fpath[1]}/_blink-accounts"
_blink_accounts_complete() {
  local -a lines
  local directive=0
  lines=("\${(@f)$(\${words[1]} __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  if [[ \${lines[-1]} == :* ]]; then
    directive=\${lines[-1]#:}
    lines=("\${(@)lines[1,-2]}")
  fi
  lines=("\${(@)lines:#}")
  if (( \${#lines} )); then
    compadd -- "\${lines[@]}"
  elif (( directive == 0 )); then
    _files
  fi
}
if (( $+functions[compdef] )); then
  compdef _blink_accounts_complete blink-accounts kubectl-blink
fi
`;
}

/** Registers `completion bash|zsh`. */
export function registerCompletion(program: Command): void {
  program
    .command('completion <shell>')
    .description(`Print the shell completion script (bash or zsh): source <(${cliName()} completion bash)`)
    .action((shell: string) => {
      if (shell === 'bash') process.stdout.write(bashScript());
      else if (shell === 'zsh') process.stdout.write(zshScript());
      else throw new CliError(`completion supports bash and zsh, got "${shell}": ${cliName()} completion bash`, EXIT.usage);
    });
}
