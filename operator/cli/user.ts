// `blink-accounts user invite | resend | deactivate | activate | groups | remove`: conveniences
// over the User API. Each only edits the resource (create, merge-patch spec, delete), exactly
// what kubectl or a GitOps commit would do, so the CLI and declarative workflows never disagree.
import { withClient } from './cluster-target.js';
import type { Command } from 'commander';
import { ROLES } from '../api/index.js';
import type { Role, User } from '../api/index.js';
import { ACCOUNT_KINDS } from '../api/index.js';
import { isConflict, isNotFound } from '../runtime/errors.js';
import type { KubeObject } from '../runtime/kinds.js';
import type { KubeClient } from '../runtime/kube-client.js';

type UserObject = User & KubeObject;

/** Flags every `user` command takes. */
interface TargetFlags {
  namespace: string;
  kubeconfig?: string;
}

/** Flags of `user invite`. */
export interface InviteFlags {
  email: string;
  role: string;
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
  const role = ROLES.find((r) => r.toLowerCase() === flags.role.trim().toLowerCase());
  if (!role) throw new Error(`--role must be one of ${ROLES.join(', ')}, got "${flags.role}"`);
  return {
    apiVersion: 'accounts.blinkops.com/v1alpha1',
    kind: 'User',
    metadata: { name, namespace },
    spec: {
      email: flags.email,
      role: role as Role,
      ...(flags.displayName ? { displayName: flags.displayName } : {}),
      groups: list(flags.groups),
      workspaces: list(flags.workspaces),
    },
  } as UserObject;
}

/** The merge patch of `user resend`: one more than the current counter, guarded by the resourceVersion read. */
export function resendPatch(user: UserObject): object {
  return { metadata: { resourceVersion: user.metadata?.resourceVersion }, spec: { invitation: { resend: (user.spec.invitation?.resend ?? 0) + 1 } } };
}

async function readUser(client: KubeClient, namespace: string, name: string): Promise<UserObject> {
  try {
    return await client.get<UserObject>(ACCOUNT_KINDS.user, namespace, name);
  } catch (error) {
    if (isNotFound(error)) throw new Error(`User "${name}" not found in namespace "${namespace}" (kubectl get users.accounts.blinkops.com -n ${namespace})`);
    throw new Error(`Could not read User "${name}" in namespace "${namespace}"`, { cause: error });
  }
}

async function patchSpec(client: KubeClient, namespace: string, name: string, patch: object): Promise<UserObject> {
  try {
    return await client.patch<UserObject>(ACCOUNT_KINDS.user, namespace, name, patch);
  } catch (error) {
    if (isNotFound(error)) throw new Error(`User "${name}" not found in namespace "${namespace}"`);
    if (isConflict(error)) throw new Error(`User "${name}" changed while it was being edited; run the command again`);
    throw new Error(`Could not update User "${name}"`, { cause: error });
  }
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Registers `user`. */
export function registerUsers(program: Command): void {
  const user = program.command('user').description('Invite and manage the human users of a tenant (edits User resources)');
  const target = (command: Command): Command =>
    command.requiredOption('-n, --namespace <ns>', 'tenant namespace of the User').option('--kubeconfig <path>', 'kubeconfig file (default: KUBECONFIG, then the dev cluster)');

  target(
    user
      .command('invite <name>')
      .description('Create a User: the operator emails an invitation')
      .requiredOption('--email <address>', 'email address to invite (immutable)')
      .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
      .option('--groups <a,b>', 'Groups the user belongs to')
      .option('--workspaces <x,y>', 'Workspaces the user works in')
      .option('--display-name <name>', 'name shown in the invitation'),
  ).action(async (name: string, flags: InviteFlags & TargetFlags) => {
    const object = userFromFlags(name, flags.namespace, flags);
    await withClient(flags.kubeconfig, async (client) => {
      try {
        await client.create(ACCOUNT_KINDS.user, object);
      } catch (error) {
        if (isConflict(error)) throw new Error(`User "${name}" already exists in namespace "${flags.namespace}"`);
        throw new Error(`Could not create User "${name}"`, { cause: error });
      }
    });
    say(`Invited ${flags.email} as User ${name}; watch it with: kubectl get users.accounts.blinkops.com ${name} -n ${flags.namespace} -w`);
  });

  target(user.command('resend <name>').description('Send a new invitation (new link, the old one stops working, new expiry)')).action(async (name: string, flags: TargetFlags) => {
    const updated = await withClient(flags.kubeconfig, async (client) => patchSpec(client, flags.namespace, name, resendPatch(await readUser(client, flags.namespace, name))));
    say(`Requested a new invitation for User ${name} (spec.invitation.resend=${updated.spec.invitation?.resend ?? 0})`);
  });

  target(user.command('deactivate <name>').description('Deactivate a User (phase Inactive, no access)')).action(async (name: string, flags: TargetFlags) => {
    await withClient(flags.kubeconfig, (client) => patchSpec(client, flags.namespace, name, { spec: { active: false } }));
    say(`Deactivated User ${name}`);
  });

  target(user.command('activate <name>').description('Re-activate a User (Active again, or Invited if it never accepted)')).action(async (name: string, flags: TargetFlags) => {
    await withClient(flags.kubeconfig, (client) => patchSpec(client, flags.namespace, name, { spec: { active: true } }));
    say(`Activated User ${name}`);
  });

  target(user.command('groups <name>').description('Print the Groups the User belongs to (status.groups), one a line')).action(async (name: string, flags: TargetFlags) => {
    const found = await withClient(flags.kubeconfig, (client) => readUser(client, flags.namespace, name));
    for (const group of found.status?.groups ?? []) say(group);
  });

  target(user.command('remove <name>').description('Delete a User: its invitation is cancelled and its access removed')).action(async (name: string, flags: TargetFlags) => {
    await withClient(flags.kubeconfig, async (client) => {
      await readUser(client, flags.namespace, name);
      await client.delete(ACCOUNT_KINDS.user, flags.namespace, name);
    });
    say(`Removed User ${name}`);
  });
}
