// hostile-input: generated resources and edit sequences (hostile-generators.ts, fast-check
// from the run's seed) pushed through the real API server and the real operator process.
// Every create and edit must end one of three ways: rejected at admission (400/422 naming
// the field), Ready=True for its generation, or Ready=False with a reason. The final
// cluster state is compared with the pure model of the spec (hostile-model.ts): objects
// gone with their Secrets and RoleBindings, one key Secret per ServiceAccount, roles,
// phases, memberships. The operator must neither crash nor stall.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { simpleParser } from 'mailparser';
import { ACCOUNT_KINDS } from '../../../operator/api/index.js';
import { hashApiKey } from '../../../operator/apikeys/index.js';
import { startDevSmtp } from '../../../operator/dev-smtp/server.js';
import { parseInvitationToken } from '../../../operator/invitations/token.js';
import { recordFromSecret } from '../../../operator/invitations/invitation-record.js';
import type { SecretObject as RecordSecret } from '../../../operator/invitations/invitation-record.js';
import { ApiError } from '../../../operator/runtime/errors.js';
import { builtinKinds } from '../../../operator/runtime/kinds.js';
import type { KindDescriptor, KubeObject } from '../../../operator/runtime/kinds.js';
import { accessApiCaller } from '../../harness/access.js';
import { adminClient, createTenant } from '../../harness/tenant.js';
import { newShard, spawnOperator } from '../../harness/operator.js';
import type { OperatorProcess } from '../../harness/operator.js';
import type { ChaosContext, Scenario, ScenarioResult } from '../scenario.js';
import { Checks, sleep } from '../scenario.js';
import type { CreateCase, Edit } from './hostile-generators.js';
import { ALLOWED_DOMAINS, createCase, editSequence, generate, GROUP_POOL, resolveBumps, validSpecOf, WORKSPACE_POOL } from './hostile-generators.js';
import type { AccessAction, Expected, Json, Kind, ServiceAccountIntent, UserIntent, World } from './hostile-model.js';
import { admission, bigOf, emailOwnersOf, expectedAllowed, expectedMembers, expectedServiceAccount, expectedUser, mergePatch, rawJson, serviceAccountIntent, userIntent, withoutNulls } from './hostile-model.js';

/** Longest an object may take to report its generation before it counts as stalled. */
const SETTLE_MS = 45_000;

type Obj = KubeObject & { spec?: Record<string, Json>; status?: { observedGeneration?: number; conditions?: { type: string; status: string; reason?: string; message?: string; observedGeneration?: number }[]; [k: string]: unknown } };

const KIND_OF: Record<Kind, KindDescriptor> = {
  User: ACCOUNT_KINDS.user,
  ServiceAccount: ACCOUNT_KINDS.serviceAccount,
  Workspace: ACCOUNT_KINDS.workspace,
  Group: ACCOUNT_KINDS.group,
};

/** How a create or an edit ended. */
type Outcome = 'rejected' | 'ready' | 'ready-false' | 'unclassified';

/** What the scenario keeps of one object it believes exists. */
interface Live {
  readonly kind: Kind;
  spec: Record<string, Json>;
  accepted: boolean;
  /** metadata.creationTimestamp as stored (which User owns an email depends on it). */
  readonly createdAt?: string;
}

function path(kind: Kind, namespace: string, name?: string): string {
  const d = KIND_OF[kind];
  return `/apis/${d.group}/${d.version}/namespaces/${namespace}/${d.plural}${name !== undefined ? `/${encodeURIComponent(name)}` : ''}`;
}

function readyOf(object: Obj): { status: string; reason: string; message: string; observedGeneration: number | undefined } | undefined {
  const c = object.status?.conditions?.find((x) => x.type === 'Ready');
  return c ? { status: c.status, reason: c.reason ?? '', message: c.message ?? '', observedGeneration: c.observedGeneration } : undefined;
}

/** True once the object reports a Ready condition for its current generation. */
function settled(object: Obj): boolean {
  const gen = object.metadata?.generation;
  const ready = readyOf(object);
  return ready !== undefined && object.status?.observedGeneration === gen && (ready.observedGeneration === undefined || ready.observedGeneration === gen);
}

function classify(object: Obj | undefined): Outcome {
  if (!object || !settled(object)) return 'unclassified';
  const ready = readyOf(object);
  if (ready?.status === 'True') return 'ready';
  if (ready?.status === 'False' && ready.reason.trim() !== '') return 'ready-false';
  return 'unclassified';
}

/** Runs `work` over `items`, `width` at a time. */
async function pool<T>(items: readonly T[], width: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await work(items[i] as T, i);
    }
  }));
}

const short = (text: string, n = 160): string => (text.length > n ? `${text.slice(0, n)}…` : text);
const show = (value: unknown): string => short(JSON.stringify(value) ?? 'undefined', 80);
const sortedList = (value: unknown): string[] => (Array.isArray(value) ? [...(value as string[])].sort() : []);
const same = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** The acceptance links the dev SMTP server caught, by invitation id; read incrementally. */
class Mailbox {
  private readonly seen = new Set<string>();
  private readonly links = new Map<string, string>();
  constructor(private readonly dir: string) {}

  /** What is wrong with a caught message: more than one recipient (header injection), raw markup from hostile text. */
  readonly problems: string[] = [];
  messages = 0;
  /** Emails per invitation id: never two for one invitation (PRODUCT.md §3). */
  readonly emailsPer = new Map<string, number>();

  async linkFor(invitationId: string, onToken: (token: string) => void): Promise<string | undefined> {
    if (!this.links.has(invitationId)) await this.read(onToken);
    return this.links.get(invitationId);
  }

  /** Reads the messages not read yet. */
  async read(onToken: (token: string) => void): Promise<void> {
    for (const file of (await readdir(this.dir)).filter((f) => f.endsWith('.eml') && !this.seen.has(f)).sort()) {
      this.seen.add(file);
      this.messages++;
      const raw = await readFile(join(this.dir, file));
      const mail = await simpleParser(raw);
      const envelope = /^X-Dev-Smtp-Envelope-To: (.*)$/m.exec(raw.toString('utf8', 0, 2048))?.[1]?.split(',').filter(Boolean) ?? [];
      const headerRecipients = [mail.to, mail.cc, mail.bcc].flatMap((a) => (a === undefined ? [] : Array.isArray(a) ? a : [a])).flatMap((a) => a.value);
      if (envelope.length !== 1 || headerRecipients.length !== 1) this.problems.push(`${file}: ${envelope.length} envelope and ${headerRecipients.length} header recipients`);
      const html = typeof mail.html === 'string' ? mail.html : '';
      if (/<script|<img|<svg/i.test(html)) this.problems.push(`${file}: raw markup in the HTML part`);
      for (const [link] of (mail.text ?? '').matchAll(/https?:\/\/[^\s<>"]+\/invitations\/[^\s<>"]+/g)) {
        const token = decodeURIComponent(link.slice(link.lastIndexOf('/') + 1));
        onToken(token);
        const parsed = parseInvitationToken(token);
        if (parsed.ok) {
          if (this.links.has(parsed.value.invitationId) && this.links.get(parsed.value.invitationId) !== link) this.problems.push(`${file}: two different links for invitation ${parsed.value.invitationId}`);
          this.emailsPer.set(parsed.value.invitationId, (this.emailsPer.get(parsed.value.invitationId) ?? 0) + 1);
          this.links.set(parsed.value.invitationId, link);
        }
      }
    }
  }
}

class Run {
  readonly checks = new Checks();
  readonly outcomes: Record<Outcome, number> = { rejected: 0, ready: 0, 'ready-false': 0, unclassified: 0 };
  readonly unclassified: string[] = [];
  readonly admissionMismatches: string[] = [];
  readonly unclearMessages: string[] = [];
  readonly lostInput: string[] = [];
  readonly stateMismatches: string[] = [];
  readonly stalls: string[] = [];
  readonly notes: string[] = [];
  readonly reasons = new Map<string, number>();
  settleMaxMs = 0;
  settleTotalMs = 0;
  settleCount = 0;
  readonly counts = { 'cases generated': 0, edits: 0, creates: 0, 'rejected at admission': 0, Ready: 0, 'Ready=False': 0, unclassified: 0, accepted: 0, deletes: 0, 'objects checked against the model': 0, 'edits admitted': 0, 'edits rejected': 0, 'edits that created a missing object': 0, 'keys rotated': 0, 'invitations resent': 0, 'access API questions': 0, 'dead keys tried': 0, 'counters beyond 2^53 admitted': 0 };
  readonly live = new Map<string, Live>();
  readonly client = adminClient();
  world: World = { allowedEmailDomains: ALLOWED_DOMAINS, workspaces: new Set(), groups: new Set() };
  private clientIp = 1;
  /** Every API key seen in a Secret, with the uid of the ServiceAccount that owned it. */
  readonly keysSeen = new Map<string, string>();
  readonly accessMismatches: string[] = [];

  constructor(
    readonly ctx: ChaosContext,
    readonly namespace: string,
    readonly mailbox: Mailbox,
    readonly operator: OperatorProcess,
  ) {}

  key(kind: Kind, name: string): string {
    return `${kind}/${name}`;
  }

  async get(kind: Kind, name: string): Promise<Obj | undefined> {
    try {
      return await this.client.request<Obj>('GET', path(kind, this.namespace, name));
    } catch (error) {
      if (error instanceof ApiError && error.code === 404) return undefined;
      throw error;
    }
  }

  /** Sends a create or a merge patch; returns the stored object, or the rejection. */
  async send(method: 'POST' | 'PATCH', kind: Kind, name: string | undefined, body: Json, strict: boolean): Promise<{ object: Obj } | { code: number; message: string }> {
    try {
      const object = await this.client.request<Obj>(method, path(kind, this.namespace, method === 'PATCH' ? name : undefined), {
        body: rawJson(body),
        ...(method === 'PATCH' ? { contentType: 'application/merge-patch+json' } : {}),
        query: { fieldValidation: strict ? 'Strict' : 'Warn' },
      });
      return { object };
    } catch (error) {
      if (error instanceof ApiError) {
        this.ctx.evidence.text(`API response ${method} ${kind}`, error.message);
        return { code: error.code, message: error.message };
      }
      throw error;
    }
  }

  /** Judges an admission answer against the model's verdict; true when the object was admitted. */
  judgeAdmission(what: string, verdict: { admitted: boolean; fields: readonly string[] }, answer: { object: Obj } | { code: number; message: string }): boolean {
    if ('object' in answer) {
      if (!verdict.admitted) this.admissionMismatches.push(`${what}: admitted, the model expected a rejection naming ${verdict.fields.join(' or ')}`);
      return true;
    }
    this.outcomes.rejected++;
    this.counts['rejected at admission']++;
    if (verdict.admitted) {
      this.admissionMismatches.push(`${what}: rejected (${answer.code}: ${short(answer.message)}), the model expected it admitted`);
      return false;
    }
    if (answer.code !== 400 && answer.code !== 422) this.unclearMessages.push(`${what}: HTTP ${answer.code}, not 400/422: ${short(answer.message)}`);
    else if (!verdict.fields.some((f) => answer.message.includes(f))) this.unclearMessages.push(`${what}: the message names none of ${verdict.fields.join(', ')}: ${short(answer.message, 300)}`);
    return false;
  }

  /** Compares the text fields as stored with what was sent (nothing lost, nothing rewritten). */
  checkStored(what: string, sent: Record<string, Json>, stored: Obj): void {
    for (const field of ['email', 'displayName', 'description']) {
      if (typeof sent[field] === 'string' && stored.spec?.[field] !== sent[field]) this.lostInput.push(`${what}: spec.${field} stored as ${show(stored.spec?.[field])}, sent ${show(sent[field])}`);
    }
  }

  /**
   * The key of a ServiceAccount changes exactly when its revision goes up (§4: never silently
   * otherwise); an Invited User's invitation is replaced when its resend counter goes up (R9).
   */
  checkIdentity(kind: Kind, name: string, oldSpec: Record<string, Json>, newSpec: Record<string, Json>, before: Obj | undefined, after: Obj | undefined): void {
    if (!before || !after) return;
    if (kind === 'ServiceAccount') {
      const rotated = serviceAccountIntent(newSpec).revision > serviceAccountIntent(oldSpec).revision;
      const was = before.status?.['keyId'];
      const now = after.status?.['keyId'];
      if (rotated && was === now) this.stateMismatches.push(`ServiceAccount/${name}: revision raised but the key ${String(now)} stayed`);
      if (!rotated && was !== now) this.stateMismatches.push(`ServiceAccount/${name}: key changed from ${String(was)} to ${String(now)} without a rotation`);
      if (rotated && was !== now) this.counts['keys rotated']++;
    }
    if (kind === 'User') {
      const o = userIntent(oldSpec);
      const n = userIntent(newSpec);
      const live = this.live.get(this.key(kind, name));
      const pending = (i: UserIntent) => expectedUser(i, live?.accepted ?? false, this.world, name).reason === 'InvitationPending';
      const was = (before.status?.['invitation'] as { id?: string } | undefined)?.id;
      const now = (after.status?.['invitation'] as { id?: string } | undefined)?.id;
      if (n.resend > o.resend && pending(o) && pending(n)) {
        if (!now || now === was) this.stateMismatches.push(`User/${name}: resend raised to ${n.resend} but the invitation stayed ${String(was)}`);
        else this.counts['invitations resent']++;
      }
    }
  }

  /** Waits until the object reports its current generation; classifies it. */
  async settle(kind: Kind, name: string, generation: number | undefined): Promise<Obj | undefined> {
    const started = Date.now();
    let object: Obj | undefined;
    while (Date.now() - started < SETTLE_MS) {
      object = await this.get(kind, name);
      if (object && settled(object) && (generation === undefined || (object.metadata?.generation ?? 0) >= generation)) break;
      await sleep(75);
    }
    const ms = Date.now() - started;
    this.settleMaxMs = Math.max(this.settleMaxMs, ms);
    this.settleTotalMs += ms;
    this.settleCount++;
    if (!object || !settled(object)) this.stalls.push(`${kind}/${short(name, 40)} generation ${generation ?? '?'} not reported within ${SETTLE_MS / 1000} s (status ${show(object?.status)})`);
    this.record(kind, name, object);
    return object;
  }

  record(kind: Kind, name: string, object: Obj | undefined): void {
    const outcome = classify(object);
    this.outcomes[outcome]++;
    if (outcome === 'ready') this.counts.Ready++;
    if (outcome === 'ready-false') this.counts['Ready=False']++;
    if (outcome === 'unclassified') {
      this.counts.unclassified++;
      this.unclassified.push(`${kind}/${short(name, 40)}: ${show(object ? readyOf(object) : 'gone')}`);
    }
    const ready = object ? readyOf(object) : undefined;
    if (ready) this.reasons.set(`${ready.status}/${ready.reason}`, (this.reasons.get(`${ready.status}/${ready.reason}`) ?? 0) + 1);
  }

  /** The world the model judges by: the Workspaces and Groups the model says exist. */
  refreshWorld(): void {
    const names = (kind: Kind) => [...this.live].filter(([, l]) => l.kind === kind).map(([key]) => key.slice(kind.length + 1));
    const users = [...this.live].filter(([, l]) => l.kind === 'User').map(([key, l]) => ({ name: key.slice('User'.length + 1), email: userIntent(l.spec).email, createdAt: l.createdAt ?? '' }));
    this.world = { allowedEmailDomains: ALLOWED_DOMAINS, workspaces: new Set(names('Workspace')), groups: new Set(names('Group')), emailOwners: emailOwnersOf(users) };
  }

  /** Creates one object; returns its name when admitted. */
  async create(kind: Kind, name: Json, spec: Json | undefined, strict: boolean, topLevelExtra: boolean, what: string): Promise<string | undefined> {
    const body: Record<string, Json> = { apiVersion: 'accounts.blinkops.com/v1alpha1', kind, metadata: { name, namespace: this.namespace } };
    if (spec !== undefined) body['spec'] = spec;
    if (topLevelExtra) body['specs'] = { role: 'Admin' };
    const { apiVersion: _a, kind: _k, ...judged } = body;
    const verdict = admission(kind, judged, undefined, strict);
    const answer = await this.send('POST', kind, undefined, body, strict);
    this.counts.creates++;
    if (!this.judgeAdmission(what, verdict, answer) || !('object' in answer)) return undefined;
    const stored = answer.object;
    const storedName = stored.metadata?.name ?? '';
    if (typeof spec === 'object' && spec !== null && !Array.isArray(spec)) this.checkStored(what, spec, stored);
    // The model's intent: what was sent, nulls pruned (unknown fields are ignored by the intent).
    this.live.set(this.key(kind, storedName), { kind, spec: (withoutNulls(spec ?? {}) as Record<string, Json>) ?? {}, accepted: false, ...(stored.metadata?.creationTimestamp ? { createdAt: stored.metadata.creationTimestamp } : {}) });
    return storedName;
  }

  async remove(kind: Kind, name: string): Promise<void> {
    this.counts.deletes++;
    await this.client.delete(KIND_OF[kind], this.namespace, name);
    const started = Date.now();
    while ((await this.get(kind, name)) !== undefined) {
      if (Date.now() - started > SETTLE_MS) {
        this.stalls.push(`${kind}/${name} still there ${SETTLE_MS / 1000} s after its deletion (finalizer not removed)`);
        break;
      }
      await sleep(75);
    }
    this.live.delete(this.key(kind, name));
  }

  /** Accepts the current invitation of a User over HTTP, as the person would. */
  async accept(name: string): Promise<void> {
    const live = this.live.get(this.key('User', name));
    if (!live) return;
    const intent = userIntent(live.spec);
    if (live.accepted || expectedUser(intent, false, this.world, name).reason !== 'InvitationPending') return;
    await this.settleUntil('User', name, (u) => u.status?.conditions?.some((c) => c.type === 'InvitationSent' && c.status === 'True') === true);
    const user = await this.get('User', name);
    const invitation = user?.status?.['invitation'] as { id?: string } | undefined;
    const sent = user?.status?.conditions?.find((c) => c.type === 'InvitationSent');
    if (!invitation?.id || sent?.status !== 'True') {
      this.stateMismatches.push(`User/${name}: Invited but no sent invitation to accept (${show(user?.status)})`);
      return;
    }
    let link: string | undefined;
    const started = Date.now();
    while (!(link = await this.mailbox.linkFor(invitation.id, (token) => this.ctx.evidence.secret('invitation-token', token))) && Date.now() - started < 10_000) await sleep(100);
    if (!link) {
      this.stateMismatches.push(`User/${name}: no email with invitation ${invitation.id}`);
      return;
    }
    // Behind the trusted proxy (127.0.0.1), each acceptance from a client address of its own, as people are.
    const ip = `10.${(this.clientIp >> 16) & 255}.${(this.clientIp >> 8) & 255}.${this.clientIp++ & 255}`;
    const headers = { 'x-forwarded-for': ip };
    const page = await fetch(link, { headers });
    const html = await page.text();
    // The form has no action (it posts back to the link): the page holds no copy of the token.
    this.ctx.evidence.text(`acceptance page GET ${name}`, html);
    if (/<script|<img|<svg/i.test(html)) this.stateMismatches.push(`User/${name}: raw markup from hostile text on the acceptance page`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
    const post = csrf
      ? await fetch(link, { method: 'POST', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ csrf }).toString() })
      : undefined;
    const answer = post ? await post.text() : '';
    this.ctx.evidence.text(`acceptance page POST ${name}`, answer);
    if (post?.status !== 200) {
      this.stateMismatches.push(`User/${name}: accepting invitation ${invitation.id} answered ${post?.status ?? page.status}`);
      return;
    }
    live.accepted = true;
    this.counts.accepted++;
    await this.settleUntil('User', name, (u) => u.status?.['phase'] === 'Active' || !intent.active);
  }

  async settleUntil(kind: Kind, name: string, check: (o: Obj) => boolean): Promise<void> {
    const started = Date.now();
    while (Date.now() - started < SETTLE_MS) {
      const o = await this.get(kind, name);
      if (o && settled(o) && check(o)) return;
      await sleep(75);
    }
    this.stalls.push(`${kind}/${name}: did not reach the expected state within ${SETTLE_MS / 1000} s`);
  }

  /** Where one object differs from the model (empty: it does not). */
  differences(kind: Kind, name: string, object: Obj | undefined, secrets: ReadonlyMap<string, SecretLike>, bindings: ReadonlyMap<string, BindingLike>): string[] {
    const live = this.live.get(this.key(kind, name));
    const label = `${kind}/${short(name, 40)}`;
    if (!live) {
      const gone: string[] = [];
      if (object) gone.push(`${label}: exists, the model says deleted`);
      if (kind === 'ServiceAccount' && secrets.has(`${name}-api-key`)) gone.push(`${label}: deleted but its Secret ${name}-api-key is still there`);
      if (kind === 'User' && secrets.has(`blink-invitation-${name}`)) gone.push(`${label}: deleted but its invitation record is still there`);
      if (kind === 'User' && bindings.has(`blink-user-${name}`)) gone.push(`${label}: deleted but its RoleBinding is still there`);
      return gone;
    }
    if (!object) return [`${label}: missing, the model says it exists`];
    const ready = readyOf(object);
    const status = object.status ?? {};
    let expected: Expected | undefined;
    let members: { users: string[]; serviceAccounts?: string[] } | undefined;
    if (kind === 'User') expected = expectedUser(userIntent(live.spec), live.accepted, this.world, name);
    else if (kind === 'ServiceAccount') expected = expectedServiceAccount(serviceAccountIntent(live.spec), this.world);
    else members = expectedMembers(kind, name, this.intents('User') as Map<string, UserIntent>, this.intents('ServiceAccount') as Map<string, ServiceAccountIntent>);
    const diff: string[] = [];
    if (expected) {
      if (ready?.status !== expected.ready || ready.reason !== expected.reason) diff.push(`Ready ${ready?.status}/${ready?.reason}, model ${expected.ready}/${expected.reason}`);
      if (expected.phase !== undefined && status['phase'] !== expected.phase) diff.push(`phase ${show(status['phase'])}, model ${expected.phase}`);
      if (expected.workspaces && !same(sortedList(status['workspaces']), expected.workspaces)) diff.push(`status.workspaces ${show(status['workspaces'])}, model ${show(expected.workspaces)}`);
      if (expected.groups && !same(sortedList(status['groups']), expected.groups)) diff.push(`status.groups ${show(status['groups'])}, model ${show(expected.groups)}`);
      if (expected.binding !== undefined) {
        const binding = bindings.get(`blink-user-${name}`);
        if (expected.binding === null && binding) diff.push(`RoleBinding to ${binding.roleRef?.name}, model none`);
        if (expected.binding !== null) {
          if (!binding) diff.push(`no RoleBinding, model ${expected.binding.clusterRole}`);
          else if (binding.roleRef?.name !== expected.binding.clusterRole || binding.subjects?.length !== 1 || binding.subjects[0]?.name !== expected.binding.subject) {
            diff.push(`RoleBinding ${binding.roleRef?.name} for ${show(binding.subjects)}, model ${expected.binding.clusterRole} for ${expected.binding.subject}`);
          }
        }
      }
      if (expected.apiKeySecrets !== undefined) {
        const owned = [...secrets.values()].filter((s) => s.metadata?.labels?.['accounts.blinkops.com/service-account'] === name && s.type === 'accounts.blinkops.com/api-key');
        if (owned.length !== expected.apiKeySecrets) diff.push(`${owned.length} API-key Secrets, model ${expected.apiKeySecrets}`);
        const secret = secrets.get(`${name}-api-key`);
        if (status['keyRevision'] !== expected.keyRevision) diff.push(`status.keyRevision ${show(status['keyRevision'])}, model ${expected.keyRevision}`);
        if (secret && expected.keyName && secret.data?.[expected.keyName] === undefined) diff.push(`Secret has no ${expected.keyName}`);
        for (const [k, v] of Object.entries(expected.secretData ?? {})) {
          const stored = secret?.data?.[k];
          if (stored === undefined || Buffer.from(stored, 'base64').toString('utf8') !== v) diff.push(`Secret data ${k} ${show(stored && Buffer.from(stored, 'base64').toString('utf8'))}, model ${show(v)}`);
        }
      }
    }
    if (members) {
      if (ready?.status !== 'True') diff.push(`Ready ${ready?.status}/${ready?.reason}, model True`);
      if (!same(sortedList(status['users']), members.users)) diff.push(`status.users ${show(status['users'])}, model ${show(members.users)}`);
      if (members.serviceAccounts && !same(sortedList(status['serviceAccounts']), members.serviceAccounts)) diff.push(`status.serviceAccounts ${show(status['serviceAccounts'])}, model ${show(members.serviceAccounts)}`);
    }
    return diff.length > 0 ? [`${label}: ${diff.join('; ')}`] : [];
  }

  /** Compares one object with the model, allowing the operator `boundMs` to converge (Secrets and RoleBindings follow the object's status). */
  async compareEventually(kind: Kind, name: string, boundMs = 10_000): Promise<void> {
    const started = Date.now();
    let diffs: string[] = [];
    do {
      this.refreshWorld();
      const { secrets, bindings } = await this.secretsAndBindings();
      diffs = this.differences(kind, name, await this.get(kind, name), secrets, bindings);
      if (diffs.length === 0) break;
      await sleep(200);
    } while (Date.now() - started < boundMs);
    this.counts['objects checked against the model']++;
    this.stateMismatches.push(...diffs.map((d) => `after an edit: ${d} (for ${boundMs / 1000} s)`));
  }

  intents(kind: 'User' | 'ServiceAccount'): Map<string, UserIntent | ServiceAccountIntent> {
    const result = new Map<string, UserIntent | ServiceAccountIntent>();
    for (const [key, live] of this.live) {
      if (live.kind !== kind) continue;
      result.set(key.slice(kind.length + 1), kind === 'User' ? userIntent(live.spec) : serviceAccountIntent(live.spec));
    }
    return result;
  }

  /** The namespace's Secrets and RoleBindings by name; every key, token hash and key hash registered with the evidence. */
  async secretsAndBindings(): Promise<{ secrets: Map<string, SecretLike>; bindings: Map<string, BindingLike> }> {
    const secrets = new Map<string, SecretLike>();
    for (const s of (await this.client.list<SecretLike>(builtinKinds.secret, { namespace: this.namespace })).items) {
      secrets.set(s.metadata?.name ?? '', s);
      if (s.type === 'accounts.blinkops.com/api-key') {
        for (const [k, v] of Object.entries(s.data ?? {})) {
          const value = Buffer.from(v, 'base64').toString('utf8');
          if (value.startsWith('blink_sa_')) {
            this.keysSeen.set(value, s.metadata?.ownerReferences?.[0]?.uid ?? '');
            this.ctx.evidence.secret('api-key', value);
            this.ctx.evidence.secret('hash', hashApiKey(value));
          } else if (k === 'previousKeyHash') this.ctx.evidence.secret('hash', value);
        }
      }
      const record = recordFromSecret(s as unknown as RecordSecret);
      if (record?.tokenHash) this.ctx.evidence.secret('hash', record.tokenHash);
    }
    const bindings = new Map<string, BindingLike>();
    for (const b of (await this.client.list<BindingLike>(builtinKinds.roleBinding, { namespace: this.namespace })).items) bindings.set(b.metadata?.name ?? '', b);
    return { secrets, bindings };
  }

  /** Waits until every object of the namespace reports its generation, then returns them by key. */
  async settleAll(): Promise<Map<string, Obj>> {
    const started = Date.now();
    let objects = new Map<string, Obj>();
    for (;;) {
      objects = new Map();
      for (const kind of Object.keys(KIND_OF) as Kind[]) {
        for (const o of (await this.client.list<Obj>(KIND_OF[kind], { namespace: this.namespace })).items) objects.set(this.key(kind, o.metadata?.name ?? ''), o);
      }
      const waiting = [...objects].filter(([, o]) => !settled(o) || o.metadata?.deletionTimestamp);
      if (waiting.length === 0) break;
      if (Date.now() - started > SETTLE_MS * 2) {
        for (const [key, o] of waiting) this.stalls.push(`${key}: not settled ${(SETTLE_MS * 2) / 1000} s after the last change (status ${show(o.status)})`);
        break;
      }
      await sleep(250);
    }
    this.settleMaxMs = Math.max(this.settleMaxMs, Date.now() - started);
    return objects;
  }

  /** Compares every object of the model and of the cluster. */
  async compareAll(names: Iterable<[Kind, string]>): Promise<void> {
    this.refreshWorld();
    const objects = await this.settleAll();
    const { secrets, bindings } = await this.secretsAndBindings();
    this.ctx.evidence.text('statuses hostile-input', JSON.stringify([...objects.values()].map((o) => ({ name: o.metadata?.name, status: o.status }))));
    const keys = new Map<string, [Kind, string]>();
    for (const [kind, name] of names) keys.set(this.key(kind, name), [kind, name]);
    for (const key of objects.keys()) {
      const [kind, ...rest] = key.split('/');
      keys.set(key, [kind as Kind, rest.join('/')]);
    }
    for (const [key, [kind, name]] of keys) {
      this.counts['objects checked against the model']++;
      this.stateMismatches.push(...this.differences(kind, name, objects.get(key), secrets, bindings));
    }
  }

  /**
   * Asks the access API about every pool principal, as a platform service would (a caller
   * allowed for this tenant), and compares with the matrix: users by their email (and its
   * uppercase and look-alike forms), service accounts by name and by their current key, and
   * every key of a deleted ServiceAccount.
   */
  async probeAccess(tenant: string, objects: ReadonlyMap<string, Obj>): Promise<void> {
    const caller = await accessApiCaller(this.namespace);
    const base = this.operator.urls().accessApiUrl;
    const ask = async (principal: Record<string, string>, action: AccessAction, workspace: string | undefined): Promise<{ status: number; allowed: boolean | undefined; text: string }> => {
      const res = await fetch(`${base}/api/v1/authorize`, {
        method: 'POST',
        headers: { ...caller.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ tenant, principal, action, ...(workspace ? { workspace } : {}) }),
      });
      const text = await res.text();
      this.ctx.evidence.text('access API authorize', text);
      this.counts['access API questions']++;
      let allowed: boolean | undefined;
      try {
        allowed = (JSON.parse(text) as { allowed?: boolean }).allowed;
      } catch {
        allowed = undefined;
      }
      return { status: res.status, allowed, text };
    };
    const questions: [AccessAction, string | undefined][] = [['portal', undefined], ['settings', undefined]];
    for (const action of ['read', 'write', 'execute'] as const) for (const w of WORKSPACE_POOL) questions.push([action, w]);
    const judge = async (label: string, principal: Record<string, string>, expected: Parameters<typeof expectedAllowed>[0]) => {
      for (const [action, workspace] of questions) {
        const want = expectedAllowed(expected, action, workspace, this.world);
        let got = await ask(principal, action, workspace);
        // Decisions follow a change within a second (§5); the state is settled, but give it that second.
        for (let retry = 0; retry < 5 && (got.status !== 200 || got.allowed !== want); retry++) {
          await sleep(250);
          got = await ask(principal, action, workspace);
        }
        if (got.status !== 200 || got.allowed !== want) this.accessMismatches.push(`${label} ${action}${workspace ? ` in ${workspace}` : ''}: ${got.status} ${short(got.text, 200)}, matrix says ${want ? 'allowed' : 'denied'}`);
      }
    };
    const users = this.intents('User') as Map<string, UserIntent>;
    const byEmail = new Map<string, string[]>();
    for (const [name, u] of users) byEmail.set(u.email.toLowerCase(), [...(byEmail.get(u.email.toLowerCase()) ?? []), name]);
    for (const [name, u] of users) {
      if (!name.startsWith('u-') || (byEmail.get(u.email.toLowerCase())?.length ?? 0) > 1) continue; // one person per address
      const live = this.live.get(this.key('User', name));
      const outcome = expectedUser(u, live?.accepted ?? false, this.world);
      const principal = { access: outcome.reason === 'Active', role: u.role, workspaces: u.workspaces };
      await judge(`User ${name} as ${u.email}`, { user: u.email }, principal);
      await judge(`User ${name} as ${u.email.toUpperCase()}`, { user: u.email.toUpperCase() }, principal);
      // A look-alike of the address is nobody: a 400 (not an address) or a denial.
      for (const lookalike of [u.email.replace(/a/, '\u0430'), u.email.replace(/k/i, '\u212A'), `${u.email}\u200B`, u.email.replace('@', '\uff20')]) {
        if (lookalike === u.email) continue;
        const got = await ask({ user: lookalike }, 'portal', undefined);
        if (got.allowed === true || (got.status !== 200 && got.status !== 400)) this.accessMismatches.push(`User ${name}: the look-alike ${show(lookalike)} got ${got.status} ${short(got.text, 120)}`);
      }
    }
    const liveUids = new Set<string>();
    for (const [name, sa] of this.intents('ServiceAccount') as Map<string, ServiceAccountIntent>) {
      const object = objects.get(this.key('ServiceAccount', name));
      if (object?.metadata?.uid) liveUids.add(object.metadata.uid);
      if (!name.startsWith('s-')) continue;
      const principal = { access: true, role: sa.role, workspaces: sa.workspaces };
      await judge(`ServiceAccount ${name}`, { serviceAccount: name }, principal);
      const current = [...this.keysSeen].find(([key, uid]) => uid === object?.metadata?.uid && key.includes(String(object?.status?.['keyId'] ?? '\u0000')));
      if (current) await judge(`the current key of ServiceAccount ${name}`, { apiKey: current[0] }, principal);
      else this.accessMismatches.push(`ServiceAccount ${name}: no current key ${String(object?.status?.['keyId'])} among the Secrets seen`);
    }
    let dead = 0;
    for (const [key, uid] of this.keysSeen) {
      if (liveUids.has(uid)) continue;
      dead++;
      const got = await ask({ apiKey: key }, 'portal', undefined);
      if (got.allowed !== false) this.accessMismatches.push(`a key of a deleted ServiceAccount (owner ${uid}) got ${got.status} ${short(got.text, 120)}`);
    }
    this.counts['dead keys tried'] = dead;
  }

  /** Every RoleBinding and key Secret must belong to an object the model says exists. */
  async noOrphans(): Promise<void> {
    const { secrets, bindings } = await this.secretsAndBindings();
    for (const [name, s] of secrets) {
      const sa = s.metadata?.labels?.['accounts.blinkops.com/service-account'];
      if (s.type === 'accounts.blinkops.com/api-key' && sa && !this.live.has(this.key('ServiceAccount', sa))) this.stateMismatches.push(`Secret ${name} of deleted ServiceAccount ${sa}`);
      const user = s.metadata?.labels?.['accounts.blinkops.com/user'];
      if (s.type === 'accounts.blinkops.com/invitation' && user && !this.live.has(this.key('User', user))) this.stateMismatches.push(`invitation record ${name} of deleted User ${user}`);
    }
    for (const name of bindings.keys()) {
      if (name.startsWith('blink-user-') && !this.live.has(this.key('User', name.slice('blink-user-'.length)))) this.stateMismatches.push(`RoleBinding ${name} of a deleted User`);
    }
  }
}

type SecretLike = KubeObject & { type?: string; data?: Record<string, string> };
type BindingLike = KubeObject & { roleRef?: { name: string }; subjects?: { name: string }[] };

/** The admission case of a generated create, for the report. */
function describeCase(c: CreateCase, i: number): string {
  return `case ${i} ${c.kind} ${c.strict ? '' : '(Warn) '}${show(c.name.valid ? 'valid name' : c.name.name)} ${show(c.spec)}`;
}

/** Phase 1: generated objects, created in batches, each classified and compared, then deleted. */
async function createPhase(run: Run, cases: readonly CreateCase[]): Promise<void> {
  const batch = run.ctx.short ? cases.length : 250;
  for (let start = 0; start < cases.length; start += batch) {
    const admitted: [Kind, string][] = [];
    await pool(cases.slice(start, start + batch), 6, async (c, j) => {
      const i = start + j;
      const name = c.name.valid ? `fz-${i}-${c.kind.toLowerCase()}` : c.name.name;
      const created = await run.create(c.kind, name, c.spec, c.strict, c.topLevelExtra, describeCase(c, i));
      if (created !== undefined) admitted.push([c.kind, created]);
    });
    const objects = await run.settleAll();
    for (const [kind, name] of admitted) run.record(kind, name, objects.get(run.key(kind, name)));
    await run.compareAll(admitted);
    await pool(admitted, 6, async ([kind, name]) => run.remove(kind, name));
    await run.noOrphans();
    run.ctx.say(`hostile-input: ${Math.min(start + batch, cases.length)}/${cases.length} generated objects sent, ${admitted.length} of this batch admitted`);
  }
}

/** Phase 2: edit sequences over a small pool of names. */
async function editPhase(run: Run, edits: readonly Edit[]): Promise<void> {
  const userName = (slot: number) => `u-${slot}`;
  const saName = (slot: number) => `s-${slot}`;
  for (const [i, edit] of edits.entries()) {
    run.counts.edits++;
    run.refreshWorld();
    if (edit.op === 'accept') {
      await run.accept(userName(edit.slot));
      await run.compareEventually('User', userName(edit.slot));
      continue;
    }
    if (edit.op === 'toggle') {
      if (run.live.has(run.key(edit.kind, edit.name))) await run.remove(edit.kind, edit.name);
      else if ((await run.create(edit.kind, edit.name, {}, true, false, `edit ${i} create ${edit.kind} ${edit.name}`)) !== undefined) await run.settle(edit.kind, edit.name, 1);
      // Whoever names it follows: MissingReferences, memberships, an Admin's workspaces.
      for (const key of [...run.live.keys()].filter((k) => /^(User|ServiceAccount)\//.test(k))) {
        const [kind, ...rest] = key.split('/');
        await run.compareEventually(kind as Kind, rest.join('/'));
      }
      continue;
    }
    const name = edit.kind === 'User' ? userName(edit.slot) : saName(edit.slot);
    const key = run.key(edit.kind, name);
    if (edit.op === 'delete') {
      if (run.live.has(key)) await run.remove(edit.kind, name);
      await run.compareEventually(edit.kind, name);
      continue;
    }
    if (edit.op === 'recreate') {
      if (run.live.has(key)) await run.remove(edit.kind, name);
      if ((await run.create(edit.kind, name, edit.spec, true, false, `edit ${i} re-create ${key} ${show(edit.spec)}`)) !== undefined) await run.settle(edit.kind, name, 1);
      await run.compareEventually(edit.kind, name);
      continue;
    }
    const live = run.live.get(key);
    if (!live) {
      run.counts['edits that created a missing object']++;
      if ((await run.create(edit.kind, name, edit.ifMissing, true, false, `edit ${i} create missing ${key} ${show(edit.ifMissing)}`)) !== undefined) await run.settle(edit.kind, name, 1);
      await run.compareEventually(edit.kind, name);
      continue;
    }
    const spec = live.spec;
    const patch = resolveBumps(edit.patch, (p) => {
      let value: Json | undefined = { spec };
      for (const part of p) value = typeof value === 'object' && value !== null && !Array.isArray(value) ? value[part] : undefined;
      return bigOf(value) ?? 0n;
    });
    const merged = mergePatch({ metadata: { name }, spec }, patch) as Record<string, Json>;
    const verdict = admission(edit.kind, merged, spec, true);
    const before = await run.get(edit.kind, name);
    const answer = await run.send('PATCH', edit.kind, name, patch, true);
    const what = `edit ${i} ${key} ${show(patch)}`;
    if (!run.judgeAdmission(what, verdict, answer) || !('object' in answer)) {
      run.counts['edits rejected']++;
      continue;
    }
    run.counts['edits admitted']++;
    if (rawJson(patch).match(/[0-9]{16,}/)) {
      run.counts['counters beyond 2^53 admitted']++;
      run.notes.push(`${what}: admitted`);
    }
    const newSpec = withoutNulls(merged['spec'] ?? {}) as Record<string, Json>;
    run.checkStored(what, newSpec, answer.object);
    live.spec = newSpec;
    const generation = answer.object.metadata?.generation;
    // A patch that changes nothing keeps the generation: the object is already classified for it.
    const after = generation !== before?.metadata?.generation || !before ? await run.settle(edit.kind, name, generation) : await run.get(edit.kind, name);
    if (generation === before?.metadata?.generation && before) run.record(edit.kind, name, after);
    run.checkIdentity(edit.kind, name, spec, newSpec, before, after);
    await run.compareEventually(edit.kind, name);
  }
}

/** The hostile-input scenario. */
export const hostileInput: Scenario = {
  name: 'hostile-input',
  title: 'generated hostile resources and edit sequences through the API server and the operator: every case classified, final state equals the model',
  async run(ctx: ChaosContext): Promise<ScenarioResult> {
    const started = Date.now();
    const caseCount = ctx.short ? 200 : 2_500;
    const slots = ctx.short ? 3 : 6;
    const editCount = ctx.short ? 60 : 700;
    const cases = generate(createCase, ctx.seed, caseCount);
    // The Tenant's name goes into every email's From and the acceptance page: hostile too (1-100 characters;
    // control and invisible format characters are refused at admission, so the worst that gets in: markup,
    // addresses, URLs and look-alikes).
    const tenantDisplayName = generate(fc.constantFrom('Hostile Bcc: victim@evil.example', '<script>alert(1)</script> https://evil.example/login', 'Acme "Corp" <ceo@evil.example>, x@evil.example', '\u0430cme Ltd www.evil.example', '"><img src=x onerror=alert(1)>'), ctx.seed, 1)[0] ?? 'Hostile';
    const edits = generate(editSequence(slots, editCount), ctx.seed ^ 0x5eed, 1)[0] ?? [];

    const admin = adminClient();
    const suffix = randomBytes(3).toString('hex');
    const shard = newShard('hostile');
    const operatorNs = `hostile-op-${suffix}`;
    const tenant = `hostile-${suffix}`;
    const namespace = `tenant-${tenant}`;
    const dir = await mkdtemp(join(tmpdir(), 'hostile-smtp-'));
    const smtp = await startDevSmtp({ dir });
    let operator: OperatorProcess | undefined;
    let run: Run | undefined;
    try {
      await admin.create(builtinKinds.namespace, { metadata: { name: operatorNs, labels: { 'blink-test': 'true' } } });
      await admin.create(builtinKinds.secret, {
        metadata: { name: 'smtp', namespace: operatorNs },
        stringData: { host: smtp.host, port: String(smtp.port), secure: 'false', from: 'Blink Accounts <accounts@blink.test>' },
      } as KubeObject);
      operator = await spawnOperator(
        ['--shard', shard, '--no-leader-elect', '--metrics-port', '0', '--http-port', '0', '--namespace', operatorNs, '--smtp-secret', `${operatorNs}/smtp`, '--trusted-proxies', '127.0.0.1'],
        { LOG_LEVEL: 'info' },
      );
      await createTenant(admin, tenant, shard, { displayName: tenantDisplayName, allowedEmailDomains: [...ALLOWED_DOMAINS], invitationEmailsPerHour: 10_000, deletionPolicy: 'Delete' });
      const readyStarted = Date.now();
      for (;;) {
        const t = await admin.get<Obj>(ACCOUNT_KINDS.tenant, undefined, tenant);
        if (readyOf(t)?.status === 'True') break;
        if (Date.now() - readyStarted > 60_000) throw new Error(`Tenant ${tenant} not Ready within 60 s: ${show(t.status)}`);
        await sleep(200);
      }
      run = new Run(ctx, namespace, new Mailbox(dir), operator);
      for (const w of WORKSPACE_POOL.slice(0, 2)) if (await run.create('Workspace', w, { displayName: w }, true, false, `pool ${w}`)) await run.settle('Workspace', w, 1);
      for (const g of GROUP_POOL.slice(0, 2)) if (await run.create('Group', g, { displayName: g }, true, false, `pool ${g}`)) await run.settle('Group', g, 1);
      run.counts['cases generated'] = cases.length + edits.length;

      ctx.say(`hostile-input: ${cases.length} generated objects, then ${edits.length} edits over ${slots} Users and ${slots} ServiceAccounts (seed ${ctx.seed})`);
      await createPhase(run, cases);
      const createMs = Date.now() - started;
      // The pool starts with every User and ServiceAccount created from an admissible generated spec.
      const users = generate(validSpecOf('User'), ctx.seed ^ 0x05e5, slots);
      const serviceAccounts = generate(validSpecOf('ServiceAccount'), ctx.seed ^ 0x05a5, slots);
      for (let s = 0; s < slots; s++) {
        if (await run.create('User', `u-${s}`, users[s], true, false, `pool u-${s} ${show(users[s])}`)) await run.settle('User', `u-${s}`, 1);
        if (await run.create('ServiceAccount', `s-${s}`, serviceAccounts[s], true, false, `pool s-${s} ${show(serviceAccounts[s])}`)) await run.settle('ServiceAccount', `s-${s}`, 1);
      }
      await editPhase(run, edits);
      const pooled: [Kind, string][] = [];
      for (let s = 0; s < slots; s++) pooled.push(['User', `u-${s}`], ['ServiceAccount', `s-${s}`]);
      for (const w of WORKSPACE_POOL) pooled.push(['Workspace', w]);
      for (const g of GROUP_POOL) pooled.push(['Group', g]);
      await run.compareAll(pooled);
      await run.noOrphans();
      await run.probeAccess(tenant, await run.settleAll());

      // Evidence: the operator's log, the namespace's Events, the statuses.
      const events = await admin.list(builtinKinds.event, { namespace });
      ctx.evidence.text('Events hostile-input', JSON.stringify(events.items));
      const log = operator.output();
      for (let i = 0; i < log.length; i += 1_000_000) ctx.evidence.text(`operator log hostile-input #${i / 1_000_000}`, log.slice(i, i + 1_000_000));

      const { checks } = run;
      const classified = run.outcomes.rejected + run.outcomes.ready + run.outcomes['ready-false'];
      checks.add(
        'every case classified',
        run.outcomes.unclassified === 0,
        `${classified.toLocaleString('en-US')} outcomes: ${run.outcomes.rejected} rejected at admission, ${run.outcomes.ready} Ready=True, ${run.outcomes['ready-false']} Ready=False; ${run.outcomes.unclassified} unclassified${run.unclassified.length ? `: ${run.unclassified.slice(0, 5).join('; ')}` : ''}`,
      );
      checks.none('admission verdict as the model says', run.admissionMismatches, `${run.counts.creates + run.counts.edits} requests judged`);
      checks.none('rejections are 400/422 naming the field', run.unclearMessages, `${run.outcomes.rejected} rejections, each naming a field it got wrong`);
      checks.none('access API answers as the matrix', run.accessMismatches, `${run.counts['access API questions']} questions about the pool's Users (and look-alikes of their addresses), ServiceAccounts, current keys and ${run.counts['dead keys tried']} keys of deleted ServiceAccounts`);
      checks.none('admitted text stored as sent', run.lostInput, 'every email, displayName and description read back byte for byte');
      checks.none('final state equals the model', run.stateMismatches, `${run.counts['objects checked against the model']} objects: Ready/reason, phase, workspaces, groups, RoleBindings, key Secrets; deleted ones gone with their Secrets and RoleBindings`);
      const exited = operator.child.exitCode !== null || operator.child.signalCode !== null;
      const crashLines = log.split('\n').filter((l) => /uncaught|unhandled|FATAL|"level":60|TypeError|RangeError|heap out of memory/i.test(l));
      checks.add('operator process alive, no uncaught error', !exited && crashLines.length === 0, exited ? `exited (${operator.child.exitCode ?? operator.child.signalCode})` : crashLines.length ? `${crashLines.length} lines: ${short(crashLines[0] ?? '', 300)}` : `alive after ${((Date.now() - started) / 1000).toFixed(0)} s, ${log.split('\n').length.toLocaleString('en-US')} log lines`);
      await run.mailbox.read((token) => ctx.evidence.secret('invitation-token', token));
      for (const [id, n] of run.mailbox.emailsPer) if (n > 1) run.mailbox.problems.push(`invitation ${id} emailed ${n} times`);
      checks.none('invitation emails: one recipient, no raw markup, one per invitation', run.mailbox.problems, `${run.mailbox.messages} emails, each to its one User (Tenant displayName ${show(tenantDisplayName)})`);
      checks.none('never stalled', run.stalls, `every object settled within ${SETTLE_MS / 1000} s (slowest ${(run.settleMaxMs / 1000).toFixed(1)} s)`);
      const errors = log.split('\n').filter((l) => l.includes('"level":50'));
      if (errors.length > 0) run.notes.push(`${errors.length} error lines in the operator log, e.g. ${short(errors[0] ?? '', 300)}`);
      run.notes.push(`Ready reasons seen: ${[...run.reasons].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} ${n}`).join(', ')}`);
      return {
        counts: { ...run.counts },
        timingsMs: { 'create phase': createMs, 'mean settle': run.settleCount ? run.settleTotalMs / run.settleCount : 0, 'slowest settle': run.settleMaxMs },
        checks: checks.list,
        notes: run.notes,
      };
    } finally {
      // Objects go while the operator still runs, so their finalizers do not hold the namespace.
      if (run && operator) await pool([...run.live.values()].length ? [...run.live.keys()] : [], 6, async (key) => {
        const [kind, ...rest] = key.split('/');
        await run?.remove(kind as Kind, rest.join('/')).catch(() => undefined);
      });
      await admin.delete(ACCOUNT_KINDS.tenant, undefined, tenant).catch(() => undefined);
      await sleep(1_000);
      await operator?.kill('SIGTERM');
      await admin.delete(builtinKinds.namespace, undefined, namespace).catch(() => undefined);
      await admin.delete(builtinKinds.namespace, undefined, operatorNs).catch(() => undefined);
      await smtp.close();
      await rm(dir, { recursive: true, force: true });
      admin.close();
    }
  },
};
