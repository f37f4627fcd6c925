// `blink-accounts invitations links`: the acceptance links the dev SMTP server of `npm start`
// (or a test) caught, so a developer can open them without a real mailbox.
import { join } from 'node:path';
import type { Command } from 'commander';
import { cacheRoot } from '../dev-cluster/paths.js';
import { invitationLinks, readMessages } from '../dev-smtp/server.js';
import type { CaughtMessage } from '../dev-smtp/server.js';

/** Where `npm start` keeps caught mail. */
export function defaultDevSmtpDir(): string {
  return join(cacheRoot(), 'dev-smtp');
}

/** One line per link, oldest first: `<date> <to> <link>`. */
export function linkLines(messages: readonly CaughtMessage[], to?: string): string[] {
  const wanted = to?.toLowerCase();
  return messages
    .filter((m) => !wanted || m.to.some((address) => address.toLowerCase() === wanted))
    .flatMap((m) => [...new Set(invitationLinks(m))].map((link) => `${m.date?.toISOString() ?? '-'}\t${m.to.join(',')}\t${link}`));
}

/** Registers `invitations`. */
export function registerInvitations(program: Command): void {
  const invitations = program.command('invitations').description('Invitation emails caught by the dev SMTP server');
  invitations
    .command('links')
    .description('List the acceptance links in the caught emails, oldest first (date, recipient, link)')
    .option('--dir <dir>', 'folder of the dev SMTP server', defaultDevSmtpDir())
    .option('--to <email>', 'only links sent to this address')
    .action(async (flags: { dir: string; to?: string }) => {
      const lines = linkLines(await readMessages(flags.dir), flags.to);
      if (lines.length === 0) process.stderr.write(`No invitation emails in ${flags.dir}\n`);
      for (const line of lines) process.stdout.write(`${line}\n`);
    });
}
