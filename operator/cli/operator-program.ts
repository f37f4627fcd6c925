// `blink-accounts operator …` alone: the command line of the operator process (the
// image runs `operator run`). It registers only the operator command, so the process
// loads the operator and its features, not the rest of the CLI (CDKTF, the dev control
// plane and SMTP server, the CSV import, …): less memory, a faster start.
import { Command } from 'commander';
import { cliName, PROGRAM_DESCRIPTION } from './invocation.js';
import { registerOperator } from './operator.js';
import { runProgram } from './run-program.js';

const program = new Command().name(cliName()).description(PROGRAM_DESCRIPTION).showHelpAfterError().exitOverride();
registerOperator(program);
await runProgram(program);
// An operator that failed to start (a port taken, a bad flag found late) may already hold a
// listening server or a timer: exit with the error's code rather than stay up, never ready.
if (process.exitCode !== undefined && process.exitCode !== 0) process.exit(process.exitCode);
