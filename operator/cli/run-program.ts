// How every entry of the command line ends: commander's usage errors exit 2, any
// other error is printed (terminal-safe) with the exit code it carries.
import { CommanderError } from 'commander';
import type { Command } from 'commander';
import { describeError, EXIT, exitCodeOf } from './exit-codes.js';
import { cliName } from './invocation.js';
import { writeErr } from './terminal-text.js';

/** Runs `parse` (the program's parse, or completion) and turns what it throws into the exit code. */
export async function runProgram(program: Command, parse: () => Promise<unknown> = () => program.parseAsync(process.argv)): Promise<void> {
  try {
    await parse();
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed the message (and help) already.
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    } else {
      writeErr(`Error: ${describeError(error, cliName())}\n`);
      process.exitCode = exitCodeOf(error);
    }
  }
}
