// The `blink-accounts` command line.
import { Command } from 'commander';
import { registerDevCluster } from './dev-cluster.js';
import { registerOperator } from './operator.js';
import { registerServiceAccounts } from './sa.js';
import { registerGenerate } from './generate.js';
import { registerInvitations } from './invitations.js';
import { registerUsers } from './user.js';
import { registerStart } from './start.js';
import { registerSynth } from './synth.js';

const program = new Command()
  .name('blink-accounts')
  .description('Blink accounts operator: tenants, users, service accounts, workspaces and groups on Kubernetes')
  .showHelpAfterError();

registerDevCluster(program);
registerOperator(program);
registerServiceAccounts(program);
registerGenerate(program);
registerStart(program);
registerSynth(program);
registerUsers(program);
registerInvitations(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.stderr.write(`Error: ${describe(error)}\n`);
  process.exitCode = 1;
}

function describe(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    parts.push(e instanceof Error ? e.message : String(e));
    if (!(e instanceof Error)) break;
  }
  return parts.join(': ');
}
