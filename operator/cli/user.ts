// `blink-accounts user invite | resend | deactivate | activate | list | groups | remove`: conveniences
// over the User API. Each only edits the resource (create, merge-patch spec, delete), exactly
// what kubectl or a GitOps commit would do, so the CLI and declarative workflows never disagree.
// Every write takes --dry-run (server dry run); `groups` takes -o.
import type { Command } from 'commander';
import { assertValid, ROLES } from '../api/index.js';
import type { Role, User } from '../api/index.js';
import { ACCOUNT_KINDS, SOURCE_LABEL, SOURCES, sourceOf } from '../api/index.js';
import { isConflict, isNotFound } from '../runtime/errors.js';
import type { KubeObject } from '../runtime/kinds.js';
import type { KubeClient } from '../runtime/kube-client.js';
import { withTarget } from './cluster-target.js';
import { CliError, EXIT } from './exit-codes.js';
import { inviteFromCsv } from './invite-from-csv.js';
import { cliName } from './invocation.js';
import { clusterOptions, dryRunNote, dryRunOption, outputOption, print } from './options.js';
import type { ReadFlags, WriteFlags } from './options.js';
import { createObject, deleteObject, mergePatch } from './writes.js';
import { renderTable } from './table.js';
import { writeOut } from './terminal-text.js';

type UserObject = User & KubeObject;

/** Flags of `user invite`. */
export interface InviteFlags {
  email?: string;
  role?: string;
  groups?: string;
  workspaces?: string;
  displayName?: string;
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The User `user invite` creates; throws with the bad flag in the message. */
export function userFromFlags(name: string, namespace: string, flags: InviteFlags): UserObject {
  if (!flags.email) throw new CliError(`--email is required: ${cliName()} user invite ${name} --email jane@example.com --role Builder`, EXIT.usage);
  const role = ROLES.find((r) => r.toLowerCase() === (flags.role ?? '').trim().toLowerCase());
  if (!role) throw new CliError(`--role must be one of ${ROLES.join(', ')}, got "${flags.role ?? ''}"`, EXIT.usage);
  const user = {
    apiVersion: 'accounts.blinkops.com/v1alpha1',
    kind: 'User',
    metadata: { name, namespace, labels: { [SOURCE_LABEL]: SOURCES.cli } },
    spec: {
      email: flags.email,
      role: role as Role,
      ...(flags.displayName ? { displayName: flags.displayName } : {}),
      groups: list(flags.groups),
      workspaces: list(flags.workspaces),
    },
  } as UserObject;
  // The API server's verdict, before anything is sent (the same schema and rules).
  assertValid(user);
  return user;
}

/** The merge patch of `user resend`: one more than the current counter, guarded by the resourceVersion read. */
export function resendPatch(user: UserObject): object {
  return { metadata: { resourceVersion: user.metadata?.resourceVersion }, spec: { invitation: { resend: (user.spec.invitation?.resend ?? 0) + 1 } } };
}

/** One line of `user list`. */
export interface UserListRow {
  readonly name: string;
  readonly email: string;
  readonly role: string;
  readonly phase: string;
  /** Where the User came from: Git (declared by hand or by a GitOps tool), SCIM (the identity provider) or CLI. */
  readonly source: 'Git' | 'SCIM' | 'CLI';
}

/** The rows of `user list`, by name. */
export function userListRows(users: readonly UserObject[]): UserListRow[] {
  return users
    .map((u) => ({ name: u.metadata?.name ?? '', email: u.spec?.email ?? '', role: u.spec?.role ?? '', phase: u.status?.phase ?? '', source: sourceOf(u) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** `user list` as text: a kubectl-style table. */
export function renderUserList(rows: readonly UserListRow[]): string {
  return renderTable(['name', 'email', 'role', 'phase', 'source'], rows.map((r) => [r.name, r.email, r.role, r.phase, r.source]));
}

function notFound(name: string, namespace: string): CliError {
  return new CliError(`User "${name}" not found in namespace "${namespace}" (kubectl get users.accounts.blinkops.com -n ${namespace})`, EXIT.notFound);
}

async function readUser(client: KubeClient, namespace: string, name: string): Promise<UserObject> {
  try {
    return await client.get<UserObject>(ACCOUNT_KINDS.user, namespace, name);
  } catch (error) {
    if (isNotFound(error)) throw notFound(name, namespace);
    throw new Error(`Could not read User "${name}" in namespace "${namespace}"`, { cause: error });
  }
}

async function patchSpec(client: KubeClient, namespace: string, name: string, patch: object, dryRun: boolean): Promise<UserObject> {
  try {
    return await mergePatch<UserObject>(client, ACCOUNT_KINDS.user, namespace, name, patch, dryRun);
  } catch (error) {
    if (isNotFound(error)) throw notFound(name, namespace);
    if (isConflict(error)) throw new CliError(`User "${name}" changed while it was being edited; run the command again`, EXIT.failed, { cause: error });
    throw new Error(`Could not update User "${name}"`, { cause: error });
  }
}

function say(line: string): void {
  writeOut(`${line}\n`);
}

/** Flags of `user invite`, all of them. */
type InviteCommandFlags = InviteFlags & WriteFlags & { fromCsv?: string; skipInvalid: boolean; output: ReadFlags['output'] };

async function invite(name: string | undefined, flags: InviteCommandFlags): Promise<void> {
  if (flags.fromCsv) {
    const extra = (['email', 'role', 'groups', 'workspaces', 'displayName'] as const).filter((f) => flags[f] !== undefined);
    if (name || extra.length > 0) throw new CliError(`--from-csv takes the people from the file: leave out ${[...(name ? [`the name "${name}"`] : []), ...extra.map((f) => `--${f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`)].join(', ')}`, EXIT.usage);
    process.exitCode = await withTarget(flags, (target) => inviteFromCsv(target, flags.fromCsv as string, flags));
    return;
  }
  if (!name) throw new CliError(`user invite needs a name, or --from-csv <file>: ${cliName()} user invite jane --email jane@example.com --role Builder`, EXIT.usage);
  await withTarget(flags, async ({ client, namespace }) => {
    const object = userFromFlags(name, namespace, flags);
    try {
      await createObject(client, ACCOUNT_KINDS.user, object, flags.dryRun);
    } catch (error) {
      if (isConflict(error)) throw new CliError(`User "${name}" already exists in namespace "${namespace}" (${cliName()} status user ${name} -n ${namespace})`, EXIT.failed, { cause: error });
      throw new Error(`Could not create User "${name}"`, { cause: error });
    }
    say(
      flags.dryRun
        ? `User ${name} (${object.spec.email}) would be invited${dryRunNote(true)}`
        : `Invited ${object.spec.email} as User ${name}; watch it with: kubectl get users.accounts.blinkops.com ${name} -n ${namespace} -w`,
    );
  });
}

/** Registers `user`. */
export function registerUsers(program: Command): void {
  const user = program.command('user').description('Invite and manage the human users of a tenant (edits User resources)');
  const write = (command: Command): Command => dryRunOption(clusterOptions(command, 'User'));

  outputOption(
    write(
      user
        .command('invite [name]')
        .description('Create a User: the operator emails an invitation. With --from-csv, one User per row of a file')
        .option('--email <address>', 'email address to invite (immutable)')
        .option('--role <role>', `one of ${ROLES.join(', ')}`)
        .option('--groups <a,b>', 'Groups the user belongs to')
        .option('--workspaces <x,y>', 'Workspaces the user works in')
        .option('--display-name <name>', 'name shown in the invitation')
        .option('--from-csv <file>', 'invite everyone in a CSV file: email,role,groups,workspaces[,name,displayName] (see README)')
        .option('--skip-invalid', 'with --from-csv: invite the good rows even when others are invalid (exit code 5)', false),
    ),
  ).action(invite);

  write(user.command('resend <name>').description('Send a new invitation (new link, the old one stops working, new expiry)')).action(async (name: string, flags: WriteFlags) => {
    await withTarget(flags, async ({ client, namespace }) => {
      const updated = await patchSpec(client, namespace, name, resendPatch(await readUser(client, namespace, name)), flags.dryRun);
      say(`Requested a new invitation for User ${name} (spec.invitation.resend=${updated.spec.invitation?.resend ?? 0})${dryRunNote(flags.dryRun)}`);
    });
  });

  write(user.command('deactivate <name>').description('Deactivate a User (phase Inactive, no access)')).action(async (name: string, flags: WriteFlags) => {
    await withTarget(flags, ({ client, namespace }) => patchSpec(client, namespace, name, { spec: { active: false } }, flags.dryRun));
    say(`Deactivated User ${name}${dryRunNote(flags.dryRun)}`);
  });

  write(user.command('activate <name>').description('Re-activate a User (Active again, or Invited if it never accepted)')).action(async (name: string, flags: WriteFlags) => {
    await withTarget(flags, ({ client, namespace }) => patchSpec(client, namespace, name, { spec: { active: true } }, flags.dryRun));
    say(`Activated User ${name}${dryRunNote(flags.dryRun)}`);
  });

  outputOption(clusterOptions(user.command('list').description('List the Users of the tenant namespace: email, role, phase, and where each came from (Git, SCIM, CLI)'), 'Users')).action(async (flags: ReadFlags) => {
    const users = await withTarget(flags, async ({ client, namespace }) => (await client.list<UserObject>(ACCOUNT_KINDS.user, { namespace })).items);
    print({ users: userListRows(users) }, flags.output, (list) => renderUserList(list.users));
  });

  outputOption(clusterOptions(user.command('groups <name>').description('Print the Groups the User belongs to (status.groups), one a line'), 'User')).action(
    async (name: string, flags: ReadFlags) => {
      const found = await withTarget(flags, ({ client, namespace }) => readUser(client, namespace, name));
      const groups = found.status?.groups ?? [];
      print({ name, namespace: found.metadata?.namespace ?? '', groups }, flags.output, (g) => g.groups.map((group) => `${group}\n`).join(''));
    },
  );

  write(user.command('remove <name>').description('Delete a User: its invitation is cancelled and its access removed')).action(async (name: string, flags: WriteFlags) => {
    await withTarget(flags, async ({ client, namespace }) => {
      try {
        await deleteObject(client, ACCOUNT_KINDS.user, namespace, name, flags.dryRun);
      } catch (error) {
        if (isNotFound(error)) throw notFound(name, namespace);
        throw new Error(`Could not delete User "${name}"`, { cause: error });
      }
    });
    say(`Removed User ${name}${dryRunNote(flags.dryRun)}`);
  });
}
