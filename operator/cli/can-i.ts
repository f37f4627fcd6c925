// `can-i <principal> <action>` and `who-can <action>`: why a principal of a tenant may (or may not)
// do something, and who may. Gathers the tenant's objects with the caller's kubeconfig, verifies a
// key read from stdin with the operator's own verifier, asks Kubernetes RBAC (SubjectAccessReview)
// the action's counterpart, and hands everything to access-explain.ts, which runs the access API's
// decision function (see the comment there for why not the access API over HTTP).
import type { Command } from 'commander';
import { Option } from 'commander';
import { ACCOUNT_KINDS } from '../api/index.js';
import type { ServiceAccount, Tenant, User } from '../api/index.js';
import { API_KEY_PATTERN, API_KEY_PREFIX, parseApiKey } from '../apikeys/index.js';
import { ACTIONS, isAction, kubernetesUsername, normalizeEmail, OPERATOR_INSTALL_NAMESPACE, owningTenant, WORKSPACE_ACTIONS } from '../policy/index.js';
import type { Action, AuthenticatedServiceAccount, AuthFailure } from '../policy/index.js';
import { ApiError, isNotFound } from '../runtime/errors.js';
import { builtinKinds } from '../runtime/kinds.js';
import type { KubeObject } from '../runtime/kinds.js';
import type { KubeClient } from '../runtime/kube-client.js';
import { keyOf } from '../runtime/shared-key.js';
import { kubeAccessReviewer } from '../runtime/token-authenticator.js';
import { apiKeySecretName, keyIdsOf, toCachedApiKeySecret } from '../service-accounts/api-key-secret.js';
import type { CachedApiKeySecret } from '../service-accounts/api-key-secret.js';
import { KEY_SIGNING_SECRET } from '../service-accounts/key-signing.js';
import { createApiKeyVerifier } from '../service-accounts/key-verifier.js';
import type { RoleBinding } from '../tenants/binding-plan.js';
import type { AccessExplanation, AccessFacts, AskedPrincipal, WhoCanAnswer } from './access-explain.js';
import { emailsToReview, explainAccess, rbacCounterpart, tenantNameOf, whoCan } from './access-explain.js';
import { withTarget } from './cluster-target.js';
import { CliError, EXIT } from './exit-codes.js';
import { cliName } from './invocation.js';
import { clusterOptions, outputOption, printStructured } from './options.js';
import { terminalText } from './terminal-text.js';
import type { ReadFlags } from './options.js';
import { renderTable } from './table.js';

/** SubjectAccessReviews in flight at once. */
const REVIEWS_IN_FLIGHT = 8;

/** Largest key read from stdin (keys are about 70 characters). */
const MAX_STDIN_BYTES = 4096;

/** Flags of can-i and who-can. */
interface AccessFlags extends ReadFlags {
  readonly workspace?: string;
  readonly keyStdin?: boolean;
  readonly color?: boolean;
  readonly operatorNamespace: string;
}

/** True when a command-line word is, or holds, an API key. */
export function looksLikeKey(word: string): boolean {
  return word.toLowerCase().includes(API_KEY_PREFIX) || API_KEY_PATTERN.test(word);
}

function refuseKeyArgument(): never {
  throw new CliError(
    `An argument looks like an API key. Keys are read from stdin only, never from an argument (arguments stay in shell history and the process list): ` +
      `printf '%s' "$KEY" | ${cliName()} can-i - <action> -n <tenant namespace>. Treat that key as exposed: rotate it (${cliName()} sa rotate-key <name> -n <tenant namespace>)`,
    EXIT.usage,
  );
}

/** Parses can-i's words: `<principal> <action>`, or `<action>` with --key-stdin; `-` as principal is a key on stdin. */
export function parseCanIArgs(words: readonly string[], keyStdin: boolean): { readonly principal: { user: string } | { serviceAccount: string } | 'stdin'; readonly action: Action } {
  if (words.some(looksLikeKey)) refuseKeyArgument();
  const usage = `${cliName()} can-i <email | sa/<name> | -> <action> [--workspace W] -n <tenant namespace>`;
  const expected = keyStdin ? 1 : 2;
  if (words.length !== expected) throw new CliError(`can-i needs ${keyStdin ? 'an action (the key comes from stdin)' : 'a principal and an action'}: ${usage}`, EXIT.usage);
  const actionWord = words[expected - 1] ?? '';
  if (!isAction(actionWord)) throw new CliError(`Unknown action "${terminalText(actionWord.slice(0, 40))}": use one of ${ACTIONS.join(', ')}`, EXIT.usage);
  if (keyStdin) return { principal: 'stdin', action: actionWord };
  const who = words[0] ?? '';
  if (who === '-') return { principal: 'stdin', action: actionWord };
  if (who.startsWith('sa/')) {
    const name = who.slice(3);
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63) throw new CliError(`sa/<name> needs a service account name (lowercase letters, digits and "-"): ${usage}`, EXIT.usage);
    return { principal: { serviceAccount: name }, action: actionWord };
  }
  if (/^[^\s@]+@[^\s@]+$/.test(who) && who.length <= 254) return { principal: { user: who }, action: actionWord };
  // Not echoed: a mistyped secret of another shape must not reach the terminal or its scrollback.
  throw new CliError(`The principal must be a user's email, sa/<name>, or - (an API key on stdin): ${usage}`, EXIT.usage);
}

/** Reads the key from stdin (first line, trimmed); never echoed, never logged. */
async function readKeyFromStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new CliError(`Pipe the key in: printf '%s' "$KEY" | ${cliName()} can-i - <action> -n <tenant namespace>`, EXIT.usage);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_STDIN_BYTES) throw new CliError(`stdin holds more than ${MAX_STDIN_BYTES} bytes; give one API key`, EXIT.usage);
    chunks.push(chunk);
  }
  const key = (Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '').trim();
  if (key === '') throw new CliError('stdin held no API key', EXIT.usage);
  return key;
}

async function getOrUndefined<T extends KubeObject>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

function forbiddenHint(what: string, error: unknown): Error {
  if (error instanceof ApiError && error.code === 403) {
    return new CliError(`Your identity may not ${what}, which can-i and who-can read: they are for platform engineers (or anyone allowed to read the tenant namespace's Users, ServiceAccounts, Workspaces and RoleBindings, its Namespace and Tenant, and to create SubjectAccessReviews)`, EXIT.failed, { cause: error });
  }
  return new Error(`Could not ${what}`, { cause: error });
}

/** Reads the tenant namespace's objects, and RBAC's answer for `emails` (a function of them) on the action's counterpart. */
export async function gatherAccessFacts(client: KubeClient, namespace: string, action: Action, emails: (facts: AccessFacts) => readonly string[]): Promise<AccessFacts> {
  let namespaceObject: KubeObject | undefined;
  try {
    namespaceObject = await getOrUndefined(() => client.get(builtinKinds.namespace, undefined, namespace));
  } catch (error) {
    throw forbiddenHint(`get namespace ${namespace}`, error);
  }
  if (!namespaceObject) throw new CliError(`Namespace "${namespace}" not found: give the tenant's namespace with -n (kubectl get tenants.accounts.blinkops.com)`, EXIT.notFound);
  const base = { namespace, namespaceObject };
  const tenantName = tenantNameOf(base);
  if (tenantName === undefined) throw new CliError(`Namespace "${namespace}" belongs to no Tenant (it has no accounts.blinkops.com/tenant label): give the tenant's namespace with -n`, EXIT.notFound);
  try {
    const [tenant, users, serviceAccounts, workspaces, roleBindings] = await Promise.all([
      getOrUndefined(() => client.get<Tenant & KubeObject>(ACCOUNT_KINDS.tenant, undefined, tenantName)),
      client.list<User & KubeObject>(ACCOUNT_KINDS.user, { namespace }),
      client.list<ServiceAccount & KubeObject>(ACCOUNT_KINDS.serviceAccount, { namespace }),
      client.list(ACCOUNT_KINDS.workspace, { namespace }),
      client.list<RoleBinding>(builtinKinds.roleBinding, { namespace }),
    ]);
    const facts: AccessFacts = { ...base, tenant, users: users.items, serviceAccounts: serviceAccounts.items, workspaces: workspaces.items, roleBindings: roleBindings.items, rbac: new Map() };
    const counterpart = rbacCounterpart(action);
    if ('why' in counterpart) return facts;
    const reviewer = kubeAccessReviewer(client);
    const rbac = new Map<string, boolean>();
    const queue = [...emails(facts)];
    // A few reviews at a time: who-can asks one per user of the tenant.
    const worker = async (): Promise<void> => {
      for (let email = queue.shift(); email !== undefined; email = queue.shift()) {
        // The groups the API server gives every person it authenticated (an OIDC user has at least these).
        // With an identity provider the person's Kubernetes username is issuer-scoped (policy/identity.ts).
        rbac.set(email, await reviewer.reviewAccess({ username: kubernetesUsername(tenant, email), groups: ['system:authenticated'] }, { ...counterpart.permission, namespace }));
      }
    };
    await Promise.all(Array.from({ length: REVIEWS_IN_FLIGHT }, worker));
    return { ...facts, rbac };
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw forbiddenHint(`read the Tenant "${tenantName}" and its accounts in ${namespace}, or create a SubjectAccessReview`, error);
  }
}

/**
 * Verifies a key with the operator's own verifier (service-accounts/key-verifier.ts) over objects
 * read now: the Secrets of the accounts whose status names its key id, and the operator's signing
 * key (only a key the operator signed verifies, so the CLI must read it too).
 */
export async function verifyKeyWithCluster(client: KubeClient, facts: AccessFacts, key: string, operatorNamespace: string, now: number): Promise<AuthenticatedServiceAccount | AuthFailure> {
  const parsed = parseApiKey(key);
  if (!parsed.ok) return { ok: false, reason: 'malformed' };
  const { keyId } = parsed.value;
  let signingSecret: (KubeObject & { data?: Record<string, string> }) | undefined;
  try {
    signingSecret = await getOrUndefined(() => client.get<KubeObject & { data?: Record<string, string> }>(builtinKinds.secret, operatorNamespace, KEY_SIGNING_SECRET));
  } catch (error) {
    if (error instanceof ApiError && error.code === 403) {
      throw new CliError(`Verifying an API key needs the operator's signing key, Secret ${operatorNamespace}/${KEY_SIGNING_SECRET}, which your identity may not read: ask a platform engineer, or ask about the account by name (sa/<name>)`, EXIT.failed, { cause: error });
    }
    throw new Error(`Could not read Secret ${operatorNamespace}/${KEY_SIGNING_SECRET}`, { cause: error });
  }
  const signingKey = signingSecret ? keyOf(signingSecret) : undefined;
  if (!signingKey) throw new CliError(`The operator's signing key, Secret ${operatorNamespace}/${KEY_SIGNING_SECRET}, is not there: give the operator's namespace with --operator-namespace`, EXIT.failed);
  const named = facts.serviceAccounts.filter((sa) => sa.status?.keyId === keyId || sa.status?.previousKeyId === keyId);
  const secrets: CachedApiKeySecret[] = [];
  for (const sa of named) {
    const raw = await getOrUndefined(() => client.get(builtinKinds.secret, facts.namespace, sa.status?.secretName ?? apiKeySecretName(sa.metadata?.name ?? '')));
    // Reduced to the key's id and hash at once, as the operator's cache does.
    if (raw) secrets.push(toCachedApiKeySecret(raw));
  }
  const verifier = createApiKeyVerifier({
    secretsWithKeyId: (id) => secrets.filter((s) => keyIdsOf(s).includes(id)),
    serviceAccount: (namespace, name) => (namespace === facts.namespace ? facts.serviceAccounts.find((s) => s.metadata?.name === name) : undefined),
    tenantOf: (namespace) => (namespace === facts.namespace ? owningTenant(facts.namespaceObject, facts.tenant ? [facts.tenant] : [])?.metadata?.name : undefined),
    workspacesIn: (namespace) => (namespace === facts.namespace ? facts.workspaces.filter((w) => !w.metadata?.deletionTimestamp).map((w) => w.metadata?.name ?? '') : []),
    now: () => now,
    signingKey,
  });
  return verifier.authenticate(key);
}

const RED = '\u001b[31m';
const RESET = '\u001b[0m';

/**
 * Prints an answer: -o json|yaml as every command does; text made terminal-safe as a whole
 * (terminal-text.ts), and only then the BUG lines coloured red, so no colour code comes from the cluster.
 */
export function printAccess<T>(value: T, flags: Pick<AccessFlags, 'output' | 'color'>, render: (value: T) => string, isTTY = process.stdout.isTTY === true): void {
  if (flags.output !== 'text') return printStructured(value, flags.output);
  process.stdout.write(colorBugs(terminalText(render(value), { multiline: true }), flags.color === true || isTTY));
}

/** Colours the lines starting with `BUG:` red when `color`. */
export function colorBugs(text: string, color: boolean): string {
  return color ? text.replace(/^BUG: .*$/gm, (line) => `${RED}${line}${RESET}`) : text;
}

function list(items: readonly string[] | undefined): string {
  return items && items.length > 0 ? items.join(', ') : '(none)';
}

/** The text of `can-i`, every string from the cluster made terminal-safe and kept on its line. */
export function renderExplanation(e: AccessExplanation): string {
  const s = (text: string): string => terminalText(text);
  const lines: string[] = [e.decision.allowed ? 'yes' : 'no'];
  const where = e.workspace !== undefined && WORKSPACE_ACTIONS.has(e.action) ? ` in workspace ${s(e.workspace)}` : '';
  lines.push(`Asked:       may ${s(e.principal)} do ${e.action}${where} in tenant ${s(e.tenant)} (namespace ${s(e.namespace)})?`);
  lines.push(`Reason:      ${e.decision.reason}`);
  lines.push(`Message:     ${s(e.decision.message)}`);
  lines.push(`Decided by:  the access API's decision (operator/access/decide.ts) over the objects read with your kubeconfig`);
  lines.push('Facts:');
  lines.push(`  Tenant:        ${s(e.tenant)}, ${e.facts.tenantGrantsAccess ? 'grants access' : 'grants no access now (missing, deleting, or its namespace not labelled for it)'}`);
  if (e.facts.workspaceExists !== undefined) lines.push(`  Workspace:     ${s(e.workspace ?? '')} ${e.facts.workspaceExists ? 'exists' : 'does not exist'}`);
  const u = e.facts.user;
  if (u) {
    if (u.name === undefined) lines.push(`  User:          no User with email ${s(u.email)} in ${s(e.namespace)}`);
    else {
      lines.push(`  User:          ${s(u.name)} (${s(u.email)}), phase ${u.phase ?? '?'}${u.active === false ? ' (spec.active: false)' : ''}, role ${s(u.role ?? '')}, workspaces ${s(list(u.workspaces))}`);
      lines.push(`  Standing:      ${s(u.standing ?? '')}${u.standing === 'Active' ? ' (bound by the operator)' : ' (the operator binds no role)'}`);
    }
    const has = u.bindings.map((b) => `${s(b.name)} → ClusterRole ${s(b.clusterRole)}${b.managedByOperator ? " (the operator's)" : ' (NOT made by the operator)'}`);
    lines.push(`  RoleBindings:  ${has.length > 0 ? has.join('; ') : 'none names this email'}${u.expectedBinding && u.standing === 'Active' && !u.bindings.some((b) => b.name === u.expectedBinding) ? ` (missing: ${s(u.expectedBinding)})` : ''}`);
  }
  const sa = e.facts.serviceAccount;
  if (sa) {
    if (!sa.exists) lines.push(`  Account:       sa/${s(sa.name)} does not exist (or is being deleted)`);
    else {
      const previous = sa.previousKeyId ? `, previous key ${s(sa.previousKeyId)} until ${s(sa.previousKeyExpiresAt ?? '?')}` : '';
      lines.push(`  Account:       sa/${s(sa.name)}, role ${s(sa.role ?? '')}, workspaces ${s(list(sa.workspaces))}, key ${s(sa.keyId ?? '(not issued yet)')}${previous}`);
    }
  }
  const k = e.facts.key;
  if (k) lines.push(`  Key:           ${k.verified ? `verifies: sa/${s(k.serviceAccount ?? '')}, key id ${s(k.keyId ?? '')} (${k.keyState ?? ''})` : `does not verify (${k.reason ?? ''})`}`);
  if (e.rbac.checked) {
    lines.push(`RBAC:        may ${s(e.rbac.subject)} ${e.rbac.permission} in ${s(e.rbac.namespace)}? ${e.rbac.allowed ? 'yes' : 'no'} (SubjectAccessReview)${e.disagreement ? '' : ', agrees'}`);
  } else lines.push(`RBAC:        ${e.rbac.why}`);
  if (e.disagreement) {
    lines.push(`BUG: Kubernetes RBAC and the access API disagree: ${s(e.disagreement)}. Exit code ${EXIT.disagreement}.`);
  }
  return `${lines.join('\n')}\n`;
}

/** The text of `who-can`. */
export function renderWhoCan(answer: WhoCanAnswer): string {
  const s = (text: string): string => terminalText(text);
  const where = answer.workspace !== undefined && WORKSPACE_ACTIONS.has(answer.action) ? ` in workspace ${s(answer.workspace)}` : '';
  const lines: string[] = [];
  if (answer.allowed.length === 0) lines.push(`Nobody in tenant ${s(answer.tenant)} (namespace ${s(answer.namespace)}) may ${answer.action}${where}.`);
  else {
    lines.push(`May ${answer.action}${where} in tenant ${s(answer.tenant)} (namespace ${s(answer.namespace)}):`);
    lines.push(renderTable(['principal', 'kind', 'name', 'role', 'reason'], answer.allowed.map((e) => [s(e.principal), e.kind, s(e.name), s(e.role), e.reason])).trimEnd());
  }
  lines.push(answer.rbac.checked ? `RBAC:  every user checked against ${answer.rbac.permission} (SubjectAccessReview)` : `RBAC:  ${answer.rbac.why ?? ''}`);
  for (const d of answer.disagreements) {
    lines.push(`BUG: Kubernetes RBAC and the access API disagree about ${s(d.principal)}: ${s(d.disagreement ?? '')}.`);
  }
  return `${lines.join('\n')}\n`;
}

function accessOptions(command: Command): Command {
  return outputOption(clusterOptions(command, 'principals'))
    .option('--workspace <name>', 'workspace of a read, write or execute')
    .option('--color', 'colour the bug report red even when stdout is not a terminal', false);
}

function checkWorkspace(action: Action, workspace: string | undefined): void {
  if (WORKSPACE_ACTIONS.has(action) && (workspace === undefined || workspace === '')) {
    throw new CliError(`${action} happens in a workspace: give --workspace <name> (the access API refuses it without one, too)`, EXIT.usage);
  }
}

/** Registers `can-i` and `who-can`. */
export function registerAccess(program: Command): void {
  accessOptions(
    program
      .command('can-i <words...>')
      .usage('<email | sa/<name> | -> <action> [--workspace W] -n <tenant namespace>')
      .description("Why may (or may not) a principal do this? The access API's answer, the facts it used, and Kubernetes RBAC checked against it")
      .option('--key-stdin', 'the principal is an API key read from stdin (as the principal "-"); never give a key as an argument', false)
      .addOption(new Option('--operator-namespace <namespace>', "the operator's namespace (its key-signing Secret verifies a key)").default(OPERATOR_INSTALL_NAMESPACE))
      .addHelpText(
        'after',
        `\nActions: ${ACTIONS.join(', ')} (read, write and execute need --workspace).\n` +
          `Exit codes: 0 yes, ${EXIT.denied} no, ${EXIT.disagreement} Kubernetes RBAC and the access API disagree (a bug), 1 failed, 2 bad command line, 3 no such tenant namespace.\n` +
          `Examples:\n  ${cliName()} can-i jane@example.com settings -n tenant-acme\n  ${cliName()} can-i sa/etl execute --workspace ws1 -n tenant-acme\n  printf '%s' "$KEY" | ${cliName()} can-i - read --workspace ws1 -n tenant-acme`,
      ),
  ).action(async (words: string[], flags: AccessFlags) => {
    const { principal, action } = parseCanIArgs(words, flags.keyStdin === true);
    checkWorkspace(action, flags.workspace);
    const key = principal === 'stdin' ? await readKeyFromStdin() : undefined;
    const email = principal !== 'stdin' && 'user' in principal ? principal.user : undefined;
    const explanation = await withTarget(flags, async ({ client, namespace }) => {
      const facts = await gatherAccessFacts(client, namespace, action, () => (email === undefined ? [] : [normalizeEmail(email) ?? email]));
      const asked: AskedPrincipal = key !== undefined ? { apiKey: await verifyKeyWithCluster(client, facts, key, flags.operatorNamespace, Date.now()) } : (principal as Exclude<typeof principal, 'stdin'>);
      return explainAccess(facts, asked, action, flags.workspace);
    });
    printAccess(explanation, flags, renderExplanation);
    process.exitCode = explanation.disagreement ? EXIT.disagreement : explanation.decision.allowed ? EXIT.ok : EXIT.denied;
  });

  accessOptions(
    program
      .command('who-can <action>')
      .description('Every user and service account of the tenant that may do this, by the same decision as can-i; flags any disagreement with Kubernetes RBAC')
      .addHelpText('after', `\nExit codes: 0 done, ${EXIT.disagreement} Kubernetes RBAC and the access API disagree about someone (a bug).\nExample: ${cliName()} who-can execute --workspace ws1 -n tenant-acme`),
  ).action(async (actionWord: string, flags: AccessFlags) => {
    if (looksLikeKey(actionWord)) refuseKeyArgument();
    if (!isAction(actionWord)) throw new CliError(`Unknown action "${terminalText(actionWord.slice(0, 40))}": use one of ${ACTIONS.join(', ')}`, EXIT.usage);
    checkWorkspace(actionWord, flags.workspace);
    const answer = await withTarget(flags, async ({ client, namespace }) => whoCan(await gatherAccessFacts(client, namespace, actionWord, emailsToReview), actionWord, flags.workspace));
    printAccess(answer, flags, renderWhoCan);
    process.exitCode = answer.disagreements.length > 0 ? EXIT.disagreement : EXIT.ok;
  });
}
