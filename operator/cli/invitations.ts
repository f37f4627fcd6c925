// `blink-accounts invitations links`: the acceptance links the dev SMTP server of `npm start`
// (or a test) caught, so a developer can open them without a real mailbox.
import { join } from 'node:path';
import type { Command } from 'commander';
import { cacheRoot } from '../dev-cluster/paths.js';
import { invitationLinks, readMessages } from '../dev-smtp/server.js';
import type { CaughtMessage } from '../dev-smtp/server.js';
import { outputOption, printStructured } from './options.js';
import type { OutputFormat } from './options.js';
import { terminalText, writeErr, writeOut } from './terminal-text.js';

/** Where `npm start` keeps caught mail. */
export function defaultDevSmtpDir(): string {
  return join(cacheRoot(), 'dev-smtp');
}

/** One caught acceptance link. */
export interface CaughtLink {
  readonly date: string;
  readonly to: readonly string[];
  readonly link: string;
}

/** The links in `messages`, oldest first, only those sent to `to` when given. */
export function caughtLinks(messages: readonly CaughtMessage[], to?: string): CaughtLink[] {
  const wanted = to?.toLowerCase();
  return messages
    .filter((m) => !wanted || m.to.some((address) => address.toLowerCase() === wanted))
    .flatMap((m) => [...new Set(invitationLinks(m))].map((link) => ({ date: m.date?.toISOString() ?? '-', to: m.to, link })));
}

/** One line per link, oldest first: `<date> <to> <link>`. */
export function linkLines(messages: readonly CaughtMessage[], to?: string): string[] {
  return caughtLinks(messages, to).map((l) => `${l.date}\t${l.to.join(',')}\t${l.link}`);
}

/** Registers `invitations`. */
export function registerInvitations(program: Command): void {
  const invitations = program.command('invitations').description('Invitation emails caught by the dev SMTP server');
  outputOption(
    invitations
      .command('links')
      .description('List the acceptance links in the caught emails, oldest first (date, recipient, link)')
      .option('--dir <dir>', 'folder of the dev SMTP server', defaultDevSmtpDir())
      .option('--to <email>', 'only links sent to this address'),
  ).action(async (flags: { dir: string; to?: string; output: OutputFormat }) => {
    const messages = await readMessages(flags.dir);
    if (flags.output !== 'text') {
      printStructured(caughtLinks(messages, flags.to), flags.output);
      return;
    }
    const lines = linkLines(messages, flags.to);
    if (lines.length === 0) writeErr(`No invitation emails in ${flags.dir}\n`);
    // Each field made safe on its own: the tabs between them are the CLI's (terminalText of the whole line escaped them).
    for (const line of lines) writeOut(`${line.split('\t').map((field) => terminalText(field)).join('\t')}\n`);
  });
}
