// How the CLI was started: as `blink-accounts`, or by kubectl as the plugin
// `kubectl blink` (bin/kubectl-blink sets BLINK_ACCOUNTS_KUBECTL_PLUGIN=1).
// The two share every command; they differ in the name they print and in how
// they find the cluster when no flag says (kubectl's rules for the plugin).

const pluginMode = process.env['BLINK_ACCOUNTS_KUBECTL_PLUGIN'] === '1';
// Not inherited by what the CLI starts (the operator, kubectl).
delete process.env['BLINK_ACCOUNTS_KUBECTL_PLUGIN'];

/** True when kubectl started the CLI as `kubectl blink`. */
export function isKubectlPlugin(): boolean {
  return pluginMode;
}

/** The command a user types to run the CLI, for help and for the hints in messages. */
export function cliName(): string {
  return pluginMode ? 'kubectl blink' : 'blink-accounts';
}

/** What `--help` says the command is. */
export const PROGRAM_DESCRIPTION = 'Blink accounts operator: tenants, users, service accounts, workspaces and groups on Kubernetes';
