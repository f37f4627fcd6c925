// `status <kind> <name>`: gathers one object, its last Events and its Secret or invitation record
// (reduced to what is not secret as soon as it is read), and prints status-report.ts's report.
import type { Command } from 'commander';
import { KINDS } from '../api/index.js';
import { ACCOUNT_KINDS } from '../api/index.js';
import { ApiError, isNotFound } from '../runtime/errors.js';
import { builtinKinds } from '../runtime/kinds.js';
import type { KindDescriptor, KubeObject } from '../runtime/kinds.js';
import type { KubeClient } from '../runtime/kube-client.js';
import { apiKeySecretName, controllerOwnerUid, recordedAnnotations, toCachedApiKeySecret } from '../service-accounts/api-key-secret.js';
import { invitationSecretName, recordFromSecret } from '../invitations/invitation-record.js';
import type { SecretObject } from '../invitations/invitation-record.js';
import { withTarget } from './cluster-target.js';
import { CliError, EXIT } from './exit-codes.js';
import { cliName } from './invocation.js';
import { clusterOptions, outputOption, print } from './options.js';
import type { ReadFlags } from './options.js';
import type { EventSummary, InvitationFacts, KeySecretFacts, Related, StatusInputs, StatusKind } from './status-report.js';
import { buildStatusReport, renderStatusReport } from './status-report.js';

/** How many Events `status` shows. */
const EVENT_LIMIT = 10;

const DESCRIPTORS: Record<StatusKind, KindDescriptor> = {
  Tenant: ACCOUNT_KINDS.tenant,
  User: ACCOUNT_KINDS.user,
  ServiceAccount: ACCOUNT_KINDS.serviceAccount,
  Workspace: ACCOUNT_KINDS.workspace,
  Group: ACCOUNT_KINDS.group,
};

/** Every word that names a kind: kind, singular, plural, short names (and `sa`), any case, with or without the group. */
export function kindAliases(): Map<string, StatusKind> {
  const aliases = new Map<string, StatusKind>();
  for (const k of KINDS) {
    for (const word of [k.kind, k.singular, k.plural, ...k.shortNames]) {
      aliases.set(word.toLowerCase(), k.kind as StatusKind);
      aliases.set(`${word.toLowerCase()}.accounts.blinkops.com`, k.kind as StatusKind);
    }
  }
  aliases.set('sa', 'ServiceAccount');
  return aliases;
}

/** The kind a word names; a usage error listing the kinds otherwise. */
export function parseKind(word: string): StatusKind {
  const kind = kindAliases().get(word.toLowerCase());
  if (!kind) throw new CliError(`Unknown kind "${word}": use one of tenant, user, sa (serviceaccount), workspace, group, e.g. ${cliName()} status user jane -n tenant-acme`, EXIT.usage);
  return kind;
}

/** Accepts `user jane` and `user/jane` (as kubectl does). */
export function parseTarget(kindWord: string, name: string | undefined): { kind: StatusKind; name: string } {
  if (name === undefined) {
    const slash = kindWord.indexOf('/');
    if (slash < 0) throw new CliError(`status needs a kind and a name: ${cliName()} status ${kindWord} <name>`, EXIT.usage);
    return { kind: parseKind(kindWord.slice(0, slash)), name: kindWord.slice(slash + 1) };
  }
  return { kind: parseKind(kindWord), name };
}

async function related<T>(name: string, read: () => Promise<T | undefined>): Promise<Related<T>> {
  try {
    const found = await read();
    return found === undefined ? { absent: name } : { found };
  } catch (error) {
    if (isNotFound(error)) return { absent: name };
    if (error instanceof ApiError && error.code === 403) return { forbidden: name };
    throw error;
  }
}

async function keySecret(client: KubeClient, sa: KubeObject): Promise<Related<KeySecretFacts>> {
  const namespace = sa.metadata?.namespace ?? '';
  const name = ((sa['status'] as { secretName?: string } | undefined)?.secretName) ?? apiKeySecretName(sa.metadata?.name ?? '');
  return related(name, async () => {
    const raw = await client.get<SecretObject>(builtinKinds.secret, namespace, name);
    const dataKeys = Object.keys(raw.data ?? {}).sort();
    // The key is reduced to its id, hash and fingerprint here; only the id and fingerprint go on.
    const cached = toCachedApiKeySecret(raw);
    const recorded = recordedAnnotations(cached);
    const saStatus = (sa['status'] ?? {}) as { previousKeyId?: string; previousKeyExpiresAt?: string };
    const facts: KeySecretFacts = {
      name,
      type: cached.type ?? '',
      dataKeys,
      keyState: cached.observedKey.state,
      ...(cached.observedKey.keyId ? { keyId: cached.observedKey.keyId } : {}),
      ...(cached.observedKey.fingerprint ? { fingerprint: cached.observedKey.fingerprint } : {}),
      ...(recorded.fingerprint ? { recordedFingerprint: recorded.fingerprint } : {}),
      ...(recorded.createdAt ? { createdAt: recorded.createdAt } : {}),
      revision: String(recorded.revision),
      // The previous key as the account's status names it: the Secret's annotations are unsigned and steer nothing.
      ...(saStatus.previousKeyId ? { previousKeyId: saStatus.previousKeyId } : {}),
      ...(saStatus.previousKeyExpiresAt ? { previousExpiresAt: saStatus.previousKeyExpiresAt } : {}),
      ownedByAccount: controllerOwnerUid(cached) === sa.metadata?.uid,
    };
    return facts;
  });
}

async function invitationRecord(client: KubeClient, user: KubeObject): Promise<Related<InvitationFacts>> {
  const name = invitationSecretName(user.metadata?.name ?? '');
  return related(name, async () => {
    const record = recordFromSecret(await client.get<SecretObject>(builtinKinds.secret, user.metadata?.namespace ?? '', name));
    if (!record) return undefined;
    // Everything but the token hash.
    const facts: InvitationFacts = {
      secretName: name,
      invitationId: record.invitationId,
      state: record.state,
      delivery: record.delivery,
      issuedAt: record.issuedAt,
      expiresAt: record.expiresAt,
      ...(record.sentAt ? { sentAt: record.sentAt } : {}),
      ...(record.acceptedAt ? { acceptedAt: record.acceptedAt } : {}),
      ...(record.deliveryError ? { deliveryError: record.deliveryError } : {}),
      ...(record.failedAttempts ? { failedAttempts: record.failedAttempts } : {}),
    };
    return facts;
  });
}

interface CoreEvent extends KubeObject {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  series?: { count?: number; lastObservedTime?: string };
}

async function eventsAbout(client: KubeClient, object: KubeObject): Promise<EventSummary[]> {
  const uid = object.metadata?.uid;
  if (!uid) return [];
  const kind: KindDescriptor = { group: '', version: 'v1', kind: 'Event', plural: 'events', namespaced: true };
  // A Tenant is cluster-scoped: its Events are in "default".
  const namespace = object.metadata?.namespace ?? 'default';
  try {
    const list = await client.list<CoreEvent>(kind, { namespace, query: { fieldSelector: `involvedObject.uid=${uid}` } });
    return list.items
      .map((e) => ({
        type: e.type ?? '',
        reason: e.reason ?? '',
        message: e.message ?? '',
        lastSeen: e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? '',
        count: e.series?.count ?? e.count ?? 1,
      }))
      .sort((a, b) => Date.parse(a.lastSeen) - Date.parse(b.lastSeen))
      .slice(-EVENT_LIMIT);
  } catch (error) {
    if (error instanceof ApiError && error.code === 403) return [];
    throw error;
  }
}

/** Gathers what `status` shows about one object. */
export async function gatherStatus(client: KubeClient, kind: StatusKind, namespace: string, name: string, now: number): Promise<StatusInputs> {
  const descriptor = DESCRIPTORS[kind];
  let object: StatusInputs['object'];
  try {
    object = await client.get(descriptor, descriptor.namespaced ? namespace : undefined, name);
  } catch (error) {
    if (isNotFound(error)) {
      const where = descriptor.namespaced ? ` in namespace "${namespace}"` : '';
      throw new CliError(`${kind} "${name}" not found${where} (kubectl get ${descriptor.plural}.accounts.blinkops.com${descriptor.namespaced ? ` -n ${namespace}` : ''})`, EXIT.notFound);
    }
    throw new Error(`Could not read ${kind} "${name}"`, { cause: error });
  }
  if (object.metadata) delete object.metadata.managedFields;
  const [events, secret, invitation] = await Promise.all([
    eventsAbout(client, object),
    kind === 'ServiceAccount' ? keySecret(client, object) : Promise.resolve(undefined),
    kind === 'User' ? invitationRecord(client, object) : Promise.resolve(undefined),
  ]);
  return { kind, object, events, ...(secret ? { secret } : {}), ...(invitation ? { invitation } : {}), cli: cliName(), now };
}

/** Registers `status`. */
export function registerStatus(program: Command): void {
  outputOption(
    clusterOptions(
      program
        .command('status <kind> [name]')
        .description('Everything about one object on one screen: conditions, last Events, its Secret or invitation record (never secret values), memberships, what is wrong and what to do')
        .addHelpText('after', `\nKinds: tenant (btn), user (bu), serviceaccount (sa, bsa), workspace (bws), group (bgrp); "user/jane" works too.\nExample: ${cliName()} status sa etl-runner -n tenant-acme -o yaml`),
    ),
  ).action(async (kindWord: string, nameArg: string | undefined, flags: ReadFlags) => {
    const { kind, name } = parseTarget(kindWord, nameArg);
    await withTarget(flags, async ({ client, namespace }) => {
      const now = Date.now();
      const report = buildStatusReport(await gatherStatus(client, kind, namespace, name, now));
      print(report, flags.output, (r) => renderStatusReport(r, now));
    });
  });
}
