// The whole `blink-accounts` command line, also run by kubectl as the plugin `kubectl blink`
// (bin/kubectl-blink); main.ts loads it for every command but `operator`. Exit codes:
// exit-codes.ts (and README.md).
import { Command } from 'commander';
import { ACCOUNT_KINDS } from '../api/index.js';
import type { Tenant } from '../api/index.js';
import { namespaceOfTenant } from '../policy/tenancy.js';
import type { KubeObject } from '../runtime/kinds.js';
import { withTarget } from './cluster-target.js';
import { complete, formatCompletion, registerCompletion } from './completion.js';
import type { NameLookup } from './completion.js';
import { registerAccess } from './can-i.js';
import { registerDevCluster } from './dev-cluster.js';
import { registerGenerate } from './generate.js';
import { registerHistory } from './history.js';
import { registerInvitations } from './invitations.js';
import { cliName, PROGRAM_DESCRIPTION } from './invocation.js';
import { registerOperator } from './operator.js';
import { registerServiceAccounts } from './sa.js';
import { registerStart } from './start.js';
import { registerStatus } from './status.js';
import { registerSynth } from './synth.js';
import { registerUsers } from './user.js';
import { runProgram } from './run-program.js';

const program = new Command()
  .name(cliName())
  .description(PROGRAM_DESCRIPTION)
  .showHelpAfterError()
  // Usage errors exit 2 (commander's default is 1); settings are inherited by the commands below.
  .exitOverride();

registerStatus(program);
registerHistory(program);
registerUsers(program);
registerServiceAccounts(program);
registerInvitations(program);
registerAccess(program);
registerCompletion(program);
registerDevCluster(program);
registerOperator(program);
registerGenerate(program);
registerStart(program);
registerSynth(program);

program.addHelpText(
  'after',
  `
Exit codes: 0 done, 1 failed, 2 bad command line, 3 not found, 4 input rejected (nothing changed), 5 partly done.
  can-i: 6 the answer is no; can-i, who-can: 7 Kubernetes RBAC and the access API disagree (a bug).
Shell completion: source <(${cliName()} completion bash)   (or zsh)`,
);

/** Names for completion, from the cluster; a slow or unreachable cluster yields none. */
const lookup: NameLookup = (kind, flags) =>
  withTarget(flags, async ({ client, namespace }) => {
    const timeout = AbortSignal.timeout(3_000);
    if (kind === 'TenantNamespace' || kind === 'Tenant') {
      const tenants = await client.list<Tenant & KubeObject>(ACCOUNT_KINDS.tenant, { signal: timeout });
      return tenants.items.map((t) => (kind === 'Tenant' ? (t.metadata?.name ?? '') : namespaceOfTenant(t)));
    }
    const descriptor = { User: ACCOUNT_KINDS.user, ServiceAccount: ACCOUNT_KINDS.serviceAccount, Workspace: ACCOUNT_KINDS.workspace, Group: ACCOUNT_KINDS.group }[kind];
    const list = await client.list(descriptor, { namespace, signal: timeout });
    return list.items.map((o) => o.metadata?.name ?? '');
  });

const args = process.argv.slice(2);
await runProgram(program, async () => {
  if (args[0] === '__complete') process.stdout.write(formatCompletion(await complete(program, args.slice(1), lookup)));
  else await program.parseAsync(process.argv);
});
