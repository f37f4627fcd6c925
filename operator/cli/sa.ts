// `blink-accounts sa key | info | rotate-key`: read and rotate a service account's API key.
// `key` prints the key and nothing else (pipe it into a clipboard tool); `info` never prints it.
// The reads take -o, `rotate-key` takes --dry-run.
import type { Command } from 'commander';
import type { ServiceAccount } from '../api/index.js';
import { parseDuration } from '../api-values/duration.js';
import { parseApiKey } from '../apikeys/index.js';
import { ACCOUNT_KINDS } from '../api/index.js';
import { isConflict, isNotFound } from '../runtime/errors.js';
import { builtinKinds } from '../runtime/kinds.js';
import type { KubeObject } from '../runtime/kinds.js';
import type { KubeClient } from '../runtime/kube-client.js';
import { apiKeySecretName, keyDataKeyOf } from '../service-accounts/api-key-secret.js';
import { withTarget } from './cluster-target.js';
import { CliError, EXIT } from './exit-codes.js';
import { cliName } from './invocation.js';
import { clusterOptions, dryRunNote, dryRunOption, outputOption, print } from './options.js';
import type { ReadFlags, WriteFlags } from './options.js';
import { mergePatch } from './writes.js';
import { terminalText, writeErr } from './terminal-text.js';

type SA = ServiceAccount & KubeObject;

async function readServiceAccount(client: KubeClient, namespace: string, name: string): Promise<SA> {
  try {
    return await client.get<SA>(ACCOUNT_KINDS.serviceAccount, namespace, name);
  } catch (error) {
    if (isNotFound(error)) throw new CliError(`ServiceAccount "${name}" not found in namespace "${namespace}" (kubectl get bsa -n ${namespace})`, EXIT.notFound);
    throw new Error(`Could not read ServiceAccount "${name}" in namespace "${namespace}"`, { cause: error });
  }
}

/** The key of a service account, read from its Secret. */
export async function readServiceAccountKey(client: KubeClient, namespace: string, name: string): Promise<string> {
  const sa = await readServiceAccount(client, namespace, name);
  const secretName = sa.status?.secretName ?? apiKeySecretName(name);
  let secret: KubeObject & { data?: Record<string, string> };
  try {
    secret = await client.get(builtinKinds.secret, namespace, secretName);
  } catch (error) {
    if (isNotFound(error)) throw new CliError(`Secret "${secretName}" of ServiceAccount "${name}" does not exist yet; the operator issues it (${cliName()} status sa ${name} -n ${namespace})`, EXIT.notFound);
    throw new Error(`Could not read Secret "${secretName}"`, { cause: error });
  }
  const encoded = secret.data?.[keyDataKeyOf(secret)];
  const key = encoded === undefined ? '' : Buffer.from(encoded, 'base64').toString('utf8');
  if (!parseApiKey(key).ok) throw new CliError(`Secret "${secretName}" holds no valid API key; the operator replaces it shortly (${cliName()} status sa ${name} -n ${namespace})`, EXIT.failed);
  return key;
}

/** The lines `sa info` prints: everything about the key except the key. */
export function describeServiceAccount(sa: SA): string {
  const status = sa.status ?? {};
  const ready = status.conditions?.find((c) => c.type === 'Ready');
  const rows: [string, string][] = [
    ['Name', sa.metadata?.name ?? ''],
    ['Namespace', sa.metadata?.namespace ?? ''],
    ['Description', sa.spec.description ?? ''],
    ['Role', sa.spec.role],
    ['Workspaces', (sa.spec.workspaces ?? []).join(', ') || '(none)'],
    ['Acts in', (status.workspaces ?? []).join(', ') || '(none)'],
    ['Key ID', status.keyId ?? '(not issued yet)'],
    ['Fingerprint', status.fingerprint ?? ''],
    ['Created', status.keyCreatedAt ?? ''],
    ['Key revision', String(status.keyRevision ?? '')],
    ['Secret', status.secretName ?? ''],
    ['Ready', ready ? `${ready.status} (${ready.reason}: ${ready.message})` : 'Unknown'],
  ];
  return rows.map(([label, value]) => `${`${label}:`.padEnd(14)}${terminalText(value)}`).join('\n') + '\n';
}

/** Raises spec.keyRotation.revision by one (a merge patch guarded by resourceVersion); returns the new revision. */
export async function requestKeyRotation(client: KubeClient, namespace: string, name: string, gracePeriod: string | undefined, dryRun = false): Promise<number> {
  if (gracePeriod !== undefined) {
    try {
      parseDuration(gracePeriod);
    } catch (error) {
      throw new CliError(`--grace-period must be a duration such as 30m, 1h or 1h30m (at most 168h), got "${gracePeriod}"`, EXIT.usage, { cause: error });
    }
  }
  for (let attempt = 0; ; attempt++) {
    const sa = await readServiceAccount(client, namespace, name);
    const revision = (sa.spec.keyRotation?.revision ?? 0) + 1;
    const patch = { metadata: { resourceVersion: sa.metadata?.resourceVersion }, spec: { keyRotation: { revision, ...(gracePeriod !== undefined ? { gracePeriod } : {}) } } };
    try {
      await mergePatch(client, ACCOUNT_KINDS.serviceAccount, namespace, name, patch, dryRun);
      return revision;
    } catch (error) {
      if (isConflict(error) && attempt < 5) continue;
      throw new Error(`Could not request the rotation of ServiceAccount "${name}"`, { cause: error });
    }
  }
}

/** Registers `sa key`, `sa info` and `sa rotate-key`. */
export function registerServiceAccounts(program: Command): void {
  const sa = program.command('sa').description('Service accounts: print, inspect and rotate API keys');
  const common = (command: Command): Command => clusterOptions(command, 'service account');

  outputOption(common(sa.command('key <name>').description(`Print the API key and nothing else (e.g. \`${cliName()} sa key ci -n tenant-acme | pbcopy\`); -o json|yaml adds the key id`))).action(
    async (name: string, flags: ReadFlags) => {
      await withTarget(flags, async ({ client, namespace }) => {
        const key = await readServiceAccountKey(client, namespace, name);
        if (flags.output === 'text') {
          process.stdout.write(process.stdout.isTTY ? `${key}\n` : key);
          return;
        }
        const parsed = parseApiKey(key);
        print({ name, namespace, secretName: apiKeySecretName(name), keyId: parsed.ok ? parsed.value.keyId : '', apiKey: key }, flags.output, () => '');
      });
    },
  );

  outputOption(common(sa.command('info <name>').description('Show role, workspaces, key id, fingerprint, creation time and Secret (never the key); -o json|yaml prints the ServiceAccount'))).action(
    async (name: string, flags: ReadFlags) => {
      const account = await withTarget(flags, ({ client, namespace }) => readServiceAccount(client, namespace, name));
      if (account.metadata) delete account.metadata.managedFields;
      print(account, flags.output, describeServiceAccount);
    },
  );

  dryRunOption(common(sa.command('rotate-key <name>').description('Replace the API key (raises spec.keyRotation.revision, as a GitOps change would)')))
    .option('--grace-period <duration>', 'how long the old key keeps working, as a Go duration such as 1h (at most 168h)')
    .action(async (name: string, flags: WriteFlags & { gracePeriod?: string }) => {
      await withTarget(flags, async ({ client, namespace }) => {
        const revision = await requestKeyRotation(client, namespace, name, flags.gracePeriod, flags.dryRun);
        writeErr(
          flags.dryRun
            ? `Key revision ${revision} for ServiceAccount "${name}" would be requested${dryRunNote(true)}\n`
            : `Requested key revision ${revision} for ServiceAccount "${name}"; the operator issues the new key (${cliName()} status sa ${name} -n ${namespace})\n`,
        );
      });
    });
}
