// Crash storm: while users and service accounts across five tenants converge
// (some of the invited people accepting through the acceptance page as it
// runs, some objects deleted, a few keys rotated on purpose), the operator
// process is SIGKILLed at random moments and restarted each time. Afterwards
// every object is Ready, each service account has exactly one Secret whose key
// never changed unless rotated, each invitation was mailed exactly once, every
// accepted invitation stayed accepted, and nothing is left of what was deleted.
// Every tenant has a webhook: every account event reached it, signed, in order
// per object, a repeat after a kill with the same id and body.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { ACCOUNT_KINDS, SERVICE_ACCOUNT_LABEL, USER_LABEL } from '../../../operator/api/index.js';
import type { User } from '../../../operator/api/index.js';
import { fingerprintOf } from '../../../operator/apikeys/index.js';
import { invitationLinks } from '../../../operator/dev-smtp/server.js';
import type { CaughtMessage } from '../../../operator/dev-smtp/server.js';
import { INVITATION_TOKEN_PREFIX } from '../../../operator/invitations/token.js';
import { builtinKinds } from '../../../operator/runtime/kinds.js';
import type { KubeObject } from '../../../operator/runtime/kinds.js';
import type { KubeClient } from '../../../operator/runtime/kube-client.js';
import { newShard, spawnOperator } from '../../harness/operator.js';
import type { OperatorProcess } from '../../harness/operator.js';
import type { SecretObject } from '../../service-accounts/fixtures.js';
import { startTestSmtp } from '../../users/fixtures.js';
import type { TestSmtp } from '../../users/fixtures.js';
import { DEFAULT_SEND_CONCURRENCY } from '../../../operator/users/send-queue.js';
import { acceptanceChecks, unconfirmedDeliveryCheck } from '../invariants.js';
import { webhookChecks } from '../webhook-invariants.js';
import type { ArrivedEvent, ExpectedEvents } from '../webhook-invariants.js';
import { startReceiver } from '../../events-out/receiver.js';
import type { TestReceiver } from '../../events-out/receiver.js';
import type { UnconfirmedDelivery } from '../invariants.js';
import { Checks, random, sleep } from '../scenario.js';
import { scrapeMetrics } from '../../harness/metrics.js';
import { inPool } from './workload.js';
import type { ChaosContext, Scenario, ScenarioResult } from '../scenario.js';
import { adminClient, createTenantWithNamespace, deleteTenant } from '../../harness/tenant.js';
import type { SA } from '../../harness/tenant.js';

const TENANTS = 5;
const ROLES = ['Admin', 'Builder', 'Consumer'] as const;

interface Sizes {
  readonly users: number;
  readonly serviceAccounts: number;
  readonly kills: number;
  /** Kill moments are drawn uniformly from [min, max] ms after the previous restart. */
  readonly gapMs: readonly [number, number];
}

const FULL: Sizes = { users: 500, serviceAccounts: 500, kills: 20, gapMs: [500, 5_000] };
const SHORT: Sizes = { users: 40, serviceAccounts: 40, kills: 5, gapMs: [300, 1_500] };

/** A free loopback port: the acceptance page keeps it across restarts, so mailed links stay valid. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function isReady(object: KubeObject & { status?: { conditions?: { type: string; status: string }[]; observedGeneration?: number } }): boolean {
  return object.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true && object.status?.observedGeneration === object.metadata?.generation;
}

/**
 * A User is settled once its status is for its generation and it is Ready, or, while invited, it waits
 * for the person (Ready=False, InvitationPending) with its invitation attempted to the end.
 */
function userSettled(user: User & KubeObject): boolean {
  if (user.status?.observedGeneration !== user.metadata?.generation) return false;
  const ready = user.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status === 'True') return true;
  const sent = user.status?.conditions?.find((c) => c.type === 'InvitationSent');
  return user.status?.phase === 'Invited' && ready?.reason === 'InvitationPending' && (sent?.status === 'True' || (sent?.status === 'Unknown' && sent.reason === 'DeliveryUnconfirmed'));
}

/** Posts the acceptance form as a browser would (CSRF token from the page), with `headers` on both requests. */
async function acceptFrom(link: string, headers: Record<string, string>): Promise<Response> {
  const page = await fetch(link, { headers });
  const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1];
  if (!csrf) return page;
  return fetch(link, { method: 'POST', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ csrf }).toString() });
}

/** Retries `fn` until it resolves (the API server is up; only the operator is being killed). */
async function retry<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (error) {
      if (i >= attempts) throw error;
      await sleep(200 * i);
    }
  }
}

export const crashStorm: Scenario = {
  name: 'crash-storm',
  title: 'users and service accounts converge while the operator is SIGKILLed at random moments',
  async run(ctx: ChaosContext): Promise<ScenarioResult> {
    const sizes = ctx.short ? SHORT : FULL;
    const rand = random(ctx.seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
    const shard = newShard('storm');
    const id = randomBytes(3).toString('hex');
    const client: KubeClient = adminClient();
    const opsNamespace = `storm-ops-${id}`;
    const tenants = Array.from({ length: TENANTS }, (_, i) => `storm-${id}-${i}`);
    const namespaces: string[] = [];
    let smtp: TestSmtp | undefined;
    let operator: OperatorProcess | undefined;
    let receiver: TestReceiver | undefined;
    const outputs: string[] = [];
    try {
      await client.create(builtinKinds.namespace, { metadata: { name: opsNamespace, labels: { 'blink-test': 'true' } } });
      smtp = await startTestSmtp(opsNamespace);
      receiver = await startReceiver();
      ctx.evidence.secret('webhook-secret', receiver.secret);
      const webhooks = [{ name: 'storm', url: receiver.url, secretRef: { name: 'storm-webhook', key: 'secret' } }];
      for (const [i, tenant] of tenants.entries()) {
        const namespace = await createTenantWithNamespace(client, { shard, name: tenant, spec: { displayName: `Storm tenant ${i}`, invitationEmailsPerHour: 10_000, notifications: { webhooks } } });
        namespaces.push(namespace);
        await client.create(builtinKinds.secret, { metadata: { name: 'storm-webhook', namespace }, stringData: { secret: receiver.secret } } as KubeObject);
      }
      for (const namespace of namespaces) {
        for (const ws of ['ws-a', 'ws-b']) await retry(() => client.create(ACCOUNT_KINDS.workspace, { metadata: { name: ws, namespace }, spec: {} }));
      }

      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      // People accept from their own addresses, through a proxy on loopback (the page's rate limit is per client).
      const spawn = () =>
        spawnOperator(
          ['--shard', shard, '--no-leader-elect', '--metrics-port', '0', '--http-port', String(port), '--public-url', url, '--smtp-secret', `${opsNamespace}/smtp`, '--trusted-proxies', '127.0.0.1'],
          { LOG_LEVEL: 'info' },
        );
      const restartMs: number[] = [];
      const killMoments: number[] = [];
      const started = Date.now();
      operator = await spawn();
      // Events start when the outbox does: the objects come after every tenant's outbox is there.
      for (const tenant of tenants) {
        for (let i = 0; ; i++) {
          const t = await client.get<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>(ACCOUNT_KINDS.tenant, undefined, tenant);
          if (t.status?.conditions?.some((c) => c.type === 'WebhookDelivery' && c.status === 'True')) break;
          if (i > 120) throw new Error(`Tenant ${tenant} never said WebhookDelivery=True`);
          await sleep(250);
        }
      }

      // The objects, in a random order; a fifth of the people accept, a twentieth of everything is deleted again.
      type Item = { kind: 'user' | 'sa'; namespace: string; name: string; accept: boolean; remove: boolean };
      const items: Item[] = [];
      for (let i = 0; i < sizes.users; i++) items.push({ kind: 'user', namespace: namespaces[i % TENANTS] as string, name: `u-${i}`, accept: rand() < 0.2, remove: rand() < 0.05 });
      for (let i = 0; i < sizes.serviceAccounts; i++) items.push({ kind: 'sa', namespace: namespaces[i % TENANTS] as string, name: `sa-${i}`, accept: false, remove: rand() < 0.05 });
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [items[i], items[j]] = [items[j] as Item, items[i] as Item];
      }
      // At least one person accepts, whatever the draw: the acceptance checks need something to judge.
      const firstKept = items.find((i) => i.kind === 'user' && !i.remove);
      if (firstKept && !items.some((i) => i.accept && !i.remove)) firstKept.accept = true;
      const from = (item: Item): Record<string, string> => {
        const n = Number(item.name.slice(2));
        return { 'x-forwarded-for': `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` };
      };
      const emailOf = (item: Item) => `${item.name}@${item.namespace}.storm.test`;
      const key = (namespace: string, name: string) => `${namespace}/${name}`;
      const rotated = new Set(items.filter((i) => i.kind === 'sa' && !i.remove).slice(0, ctx.short ? 2 : 8).map((i) => key(i.namespace, i.name)));

      // What the observer saw while the storm ran.
      const firstKey = new Map<string, { key: string; at: number }>();
      const keyChanges: string[] = [];
      const accepted = new Map<string, number>();
      const acceptErrors: string[] = [];
      const attempted = new Set<string>();
      let stormOver = false;
      let deletions = 0;
      const rotatedAt = new Map<string, number>();
      let rotations = 0;

      const create = async (item: Item) => {
        const spec =
          item.kind === 'user'
            ? { email: emailOf(item), role: pick(ROLES), workspaces: rand() < 0.5 ? ['ws-a'] : ['ws-a', 'ws-b'] }
            : { role: pick(ROLES), workspaces: rand() < 0.5 ? ['ws-b'] : [] };
        const kind = item.kind === 'user' ? ACCOUNT_KINDS.user : ACCOUNT_KINDS.serviceAccount;
        await retry(() => client.create(kind, { metadata: { name: item.name, namespace: item.namespace }, spec }));
      };

      const observeKeys = async () => {
        for (const namespace of namespaces) {
          const secrets = await client.list<SecretObject>(builtinKinds.secret, { namespace, query: { labelSelector: SERVICE_ACCOUNT_LABEL } });
          for (const secret of secrets.items) {
            const sa = secret.metadata?.labels?.[SERVICE_ACCOUNT_LABEL] ?? '';
            const data = secret.data?.['apiKey'];
            if (!data) continue;
            const value = Buffer.from(data, 'base64').toString('utf8');
            ctx.evidence.secret('api-key', value);
            const k = key(namespace, sa);
            const first = firstKey.get(k);
            if (!first) firstKey.set(k, { key: value, at: Date.now() });
            else if (first.key !== value && !rotated.has(k)) keyChanges.push(`${k} changed ${((Date.now() - first.at) / 1000).toFixed(1)} s after it was first seen`);
          }
        }
      };

      const acceptSome = async () => {
        const wanted = new Map(items.filter((i) => i.accept && !i.remove).map((i) => [emailOf(i), i]));
        for (const message of await smtp!.server.messages()) {
          for (const to of message.to) {
            const item = wanted.get(to);
            if (!item || accepted.has(key(item.namespace, item.name))) continue;
            const link = invitationLinks(message)[0];
            if (!link) continue;
            try {
              // A link whose POST went through while the operator died on the way back answers 409 (used) from now on.
              if (attempted.has(item.name) && (await fetch(link, { headers: from(item) })).status === 409) {
                accepted.set(key(item.namespace, item.name), Date.now());
                continue;
              }
              const response = await acceptFrom(link, from(item));
              const body = await response.text();
              ctx.evidence.text(`acceptance page response (${item.name})`, body);
              // 409 after an attempt that failed on the way back: the earlier POST was accepted.
              if (response.status === 200 || (response.status === 409 && attempted.has(item.name))) accepted.set(key(item.namespace, item.name), Date.now());
              else if (response.status !== 503 && response.status !== 429) acceptErrors.push(`${item.name}: HTTP ${response.status}`);
            } catch {
              // The operator is down for a moment: the next pass tries again.
              attempted.add(item.name);
            }
          }
        }
      };

      const observer = (async () => {
        while (!stormOver) {
          await observeKeys().catch(() => undefined);
          await acceptSome().catch(() => undefined);
          await sleep(500);
        }
      })();

      // The workload: creates, then deletions and rotations while the storm goes on.
      const workload = (async () => {
        await inPool(items, 16, create);
        ctx.say(`crash-storm: ${items.length} objects created in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        await sleep(1_000);
        for (const item of items.filter((i) => i.remove)) {
          const kind = item.kind === 'user' ? ACCOUNT_KINDS.user : ACCOUNT_KINDS.serviceAccount;
          await retry(() => client.delete(kind, item.namespace, item.name));
          deletions++;
        }
        for (const k of rotated) {
          const [namespace, name] = k.split('/') as [string, string];
          rotatedAt.set(k, Date.now());
          await retry(() => client.patch(ACCOUNT_KINDS.serviceAccount, namespace, name, { spec: { keyRotation: { revision: 1 } } }));
          rotations++;
        }
      })();

      // The storm.
      for (let kill = 0; kill < sizes.kills; kill++) {
        await sleep(sizes.gapMs[0] + rand() * (sizes.gapMs[1] - sizes.gapMs[0]));
        killMoments.push(Date.now());
        await operator.kill('SIGKILL');
        outputs.push(operator.output());
        const restart = Date.now();
        operator = await spawn();
        restartMs.push(Date.now() - restart);
        ctx.say(`crash-storm: kill ${kill + 1}/${sizes.kills} at +${((restart - started) / 1000).toFixed(1)} s, restarted in ${((Date.now() - restart) / 1000).toFixed(1)} s; ${firstKey.size} keys issued, ${accepted.size} accepted`);
      }
      await workload;
      const lastKill = Date.now();

      // Convergence after the last kill.
      const live = items.filter((i) => !i.remove);
      const deadline = Date.now() + (ctx.short ? 120_000 : 300_000);
      let pendingNames: string[] = [];
      let users: (User & KubeObject)[] = [];
      let sas: SA[] = [];
      let lastProgress = Date.now();
      for (;;) {
        users = [];
        sas = [];
        for (const namespace of namespaces) {
          users.push(...(await client.list<User & KubeObject>(ACCOUNT_KINDS.user, { namespace })).items);
          sas.push(...(await client.list<SA>(ACCOUNT_KINDS.serviceAccount, { namespace })).items);
        }
        const settled = new Set([...users.filter(userSettled), ...sas.filter((s) => isReady(s) && s.status?.keyRevision === (s.spec.keyRotation?.revision ?? 0))].map((o) => key(o.metadata?.namespace ?? '', o.metadata?.name ?? '')));
        // People whose invitation never arrived (DeliveryUnconfirmed) cannot accept: they are not waited for.
        const mailed = new Set((await smtp.server.messages()).flatMap((m) => m.to));
        const wantedAccepted = live.filter((i) => i.accept && mailed.has(emailOf(i)) && !accepted.has(key(i.namespace, i.name)));
        const describe = (i: Item) => {
          const object = [...users, ...sas].find((o) => o.metadata?.namespace === i.namespace && o.metadata?.name === i.name);
          const conditions = (object?.status as { conditions?: { type: string; status: string; reason: string }[] } | undefined)?.conditions ?? [];
          return `${key(i.namespace, i.name)} (${object ? conditions.map((c) => `${c.type}=${c.status}/${c.reason}`).join(' ') || 'no status' : 'missing'})`;
        };
        // An acceptance is settled once the User says Active (the record is written first, status follows).
        const activeNow = new Set(users.filter((u) => u.status?.phase === 'Active').map((u) => key(u.metadata?.namespace ?? '', u.metadata?.name ?? '')));
        pendingNames = live.filter((i) => !settled.has(key(i.namespace, i.name)) || (accepted.has(key(i.namespace, i.name)) && !activeNow.has(key(i.namespace, i.name)))).map(describe);
        const gone = users.length + sas.length === live.length;
        if (pendingNames.length === 0 && wantedAccepted.length === 0 && gone) break;
        if (Date.now() > deadline) break;
        if (Date.now() - lastProgress > 10_000) {
          lastProgress = Date.now();
          ctx.say(`crash-storm: ${live.length - pendingNames.length}/${live.length} settled, ${wantedAccepted.length} acceptances to go`);
        }
        await sleep(500);
      }
      const convergedMs = Date.now() - lastKill;
      stormOver = true;
      await observer;
      await observeKeys();
      await acceptSome();

      // Account events: what each object ended as says what had to arrive; wait for it (bounded).
      const kindOf = (item: Item) => (item.kind === 'user' ? 'User' : 'ServiceAccount');
      const expectedEvents: ExpectedEvents[] = items.map((item) => {
        const object = `${kindOf(item)} ${key(item.namespace, item.name)}`;
        if (item.remove) return { object, types: [], removal: item.kind === 'user' ? 'user.removed' : 'serviceaccount.key.deleted' };
        // A rotation asked for before the first key was issued just issues that key at the new revision: rotated only if a key was seen before.
        const k = key(item.namespace, item.name);
        const rotatedAfterAKey = rotated.has(k) && (firstKey.get(k)?.at ?? Infinity) < (rotatedAt.get(k) ?? 0);
        if (item.kind === 'sa') return { object, types: ['serviceaccount.key.issued', ...(rotatedAfterAKey ? ['serviceaccount.key.rotated'] : [])] };
        const user = users.find((u) => u.metadata?.namespace === item.namespace && u.metadata?.name === item.name);
        return { object, types: ['user.invited', ...(user?.status?.invitation?.sentAt ? ['user.invitation.sent'] : []), ...(user?.status?.phase === 'Active' ? ['user.accepted'] : [])] };
      });
      const arrivedEvents = (): ArrivedEvent[] =>
        receiver!.received.map((r) => ({ id: r.id, type: r.type.replace('com.blinkops.accounts.', ''), object: `${r.data.object.kind} ${r.data.namespace}/${r.data.object.name}`, sequence: r.data.sequence, body: r.body, verified: r.verified }));
      const eventsDeadline = Date.now() + 60_000;
      while (Date.now() < eventsDeadline && !webhookChecks(arrivedEvents(), expectedEvents)[0]?.ok) await sleep(500);

      // Judge.
      const checks = new Checks();
      for (const check of webhookChecks(arrivedEvents(), expectedEvents)) checks.add(check.name, check.ok, check.detail);
      ctx.evidence.text('webhook requests', receiver.received.map((r) => `${JSON.stringify(r.headers)}\n${r.body}`).join('\n'));
      checks.none('every object Ready (an invited user: waiting for the person, mail sent)', pendingNames, `${live.length} objects settled ${(convergedMs / 1000).toFixed(1)} s after the last kill`);
      const removedKeys = new Set(items.filter((i) => i.remove).map((i) => key(i.namespace, i.name)));
      const lingering = [...users, ...sas].map((o) => key(o.metadata?.namespace ?? '', o.metadata?.name ?? '')).filter((k) => removedKeys.has(k));
      checks.none('every deleted object is gone (finalizers released)', lingering, `${deletions} deleted objects gone`);

      const secretsBySa = new Map<string, SecretObject[]>();
      const records: SecretObject[] = [];
      const bindings: KubeObject[] = [];
      for (const namespace of namespaces) {
        for (const secret of (await client.list<SecretObject>(builtinKinds.secret, { namespace })).items) {
          const sa = secret.metadata?.labels?.[SERVICE_ACCOUNT_LABEL];
          if (sa) secretsBySa.set(key(namespace, sa), [...(secretsBySa.get(key(namespace, sa)) ?? []), secret]);
          if (secret.metadata?.labels?.[USER_LABEL]) records.push(secret);
        }
        bindings.push(...(await client.list(builtinKinds.roleBinding, { namespace, query: { labelSelector: USER_LABEL } })).items);
      }
      const liveSas = sas.filter((s) => !removedKeys.has(key(s.metadata?.namespace ?? '', s.metadata?.name ?? '')));
      const secretCounts = liveSas.map((s) => key(s.metadata?.namespace ?? '', s.metadata?.name ?? '')).filter((k) => (secretsBySa.get(k)?.length ?? 0) !== 1).map((k) => `${k} has ${secretsBySa.get(k)?.length ?? 0}`);
      checks.none('exactly one Secret per service account', secretCounts, `${liveSas.length} service accounts, one Secret each`);

      const keyProblems = [...keyChanges];
      for (const sa of liveSas) {
        const k = key(sa.metadata?.namespace ?? '', sa.metadata?.name ?? '');
        const data = secretsBySa.get(k)?.[0]?.data?.['apiKey'];
        const final = data ? Buffer.from(data, 'base64').toString('utf8') : '';
        if (sa.status?.fingerprint !== fingerprintOf(final)) keyProblems.push(`${k}: status fingerprint does not match its Secret`);
        if (!rotated.has(k) && firstKey.get(k)?.key !== final) keyProblems.push(`${k}: key differs from the one first issued`);
        // A key seen before the rotation was asked for must have been replaced (one first seen after it is the new one).
        const first = firstKey.get(k);
        if (rotated.has(k) && first && first.at < (rotatedAt.get(k) ?? 0) && first.key === final) keyProblems.push(`${k}: rotated on purpose but still has the key issued before`);
        if (rotated.has(k) && sa.status?.keyRevision !== 1) keyProblems.push(`${k}: rotated on purpose but status.keyRevision is ${sa.status?.keyRevision ?? 'unset'}`);
      }
      checks.none('every key unchanged since first issued (unless rotated)', keyProblems, `${liveSas.length - rotated.size} keys byte-identical, ${rotated.size} rotated on purpose`);

      const messages = await smtp.server.messages();
      // The emails themselves carry the links (that is their job); everything else must not.
      for (const m of messages) {
        for (const link of invitationLinks(m)) {
          const token = new RegExp(`${INVITATION_TOKEN_PREFIX}[A-Za-z0-9_-]+`).exec(link)?.[0];
          if (token) ctx.evidence.secret('invitation-token', token);
        }
      }
      const byAddress = new Map<string, CaughtMessage[]>();
      for (const m of messages) for (const to of m.to) byAddress.set(to, [...(byAddress.get(to) ?? []), m]);
      const notes: string[] = [];
      const mailProblems: string[] = [];
      const unconfirmedList: UnconfirmedDelivery[] = [];
      for (const item of items.filter((i) => i.kind === 'user')) {
        const got = byAddress.get(emailOf(item)) ?? [];
        const user = users.find((u) => u.metadata?.namespace === item.namespace && u.metadata?.name === item.name);
        const sent = user?.status?.conditions?.find((c) => c.type === 'InvitationSent');
        if (sent?.status === 'Unknown') unconfirmedList.push({ name: item.name, emails: got.length });
        if (got.length > 1) {
          const moments = got.map((m) => {
            const at = m.date?.getTime() ?? 0;
            const kill = killMoments.filter((k) => k <= at).pop();
            return kill !== undefined ? `${((at - kill) / 1000).toFixed(2)} s after kill ${killMoments.indexOf(kill) + 1}` : 'before any kill';
          });
          mailProblems.push(`${item.name} got ${got.length} (${moments.join(', ')})`);
        }
        if (got.length === 0 && !item.remove && sent?.status !== 'Unknown') mailProblems.push(`${item.name} got none`);
      }
      checks.none('exactly one email per invitation (or DeliveryUnconfirmed, never two)', mailProblems, `${messages.length} emails for ${sizes.users} invited people, none twice`);
      // One worker sends invitations: a SIGKILL cuts at most one send short (as in the outages scenario).
      const unconfirmedCheck = unconfirmedDeliveryCheck(unconfirmedList, killMoments.length, DEFAULT_SEND_CONCURRENCY);
      checks.add(unconfirmedCheck.name, unconfirmedCheck.ok, unconfirmedCheck.detail);
      const unconfirmed = unconfirmedList.length;
      const unconfirmedDelivered = unconfirmedList.filter((u) => u.emails === 1).length;
      if (unconfirmed > 0) {
        notes.push(
          `${unconfirmed} invitation(s) ended DeliveryUnconfirmed (${unconfirmedDelivered} of them had in fact arrived, ${unconfirmed - unconfirmedDelivered} had not): ` +
            'the operator was killed between starting the SMTP transaction and recording its reply; it never sends twice (PRODUCT), so these wait for an admin to raise spec.invitation.resend',
        );
      }

      // Planned: the people drawn to accept who are still there and whose email arrived (a DeliveryUnconfirmed one may not have).
      const mailedAtEnd = new Set(messages.flatMap((m) => m.to));
      const acceptances = acceptanceChecks({
        planned: live.filter((i) => i.accept && mailedAtEnd.has(emailOf(i))).map((i) => key(i.namespace, i.name)),
        accepted: new Set(accepted.keys()),
        outcome: (k) => {
          const user = users.find((u) => key(u.metadata?.namespace ?? '', u.metadata?.name ?? '') === k);
          return { phase: user?.status?.phase, acceptedAt: Boolean(user?.status?.acceptedAt) };
        },
        errors: acceptErrors,
      });
      for (const check of acceptances) checks.add(check.name, check.ok, check.detail);

      const liveUsers = new Set(users.map((u) => key(u.metadata?.namespace ?? '', u.metadata?.name ?? '')));
      const activeUsers = new Set(users.filter((u) => u.status?.phase === 'Active').map((u) => key(u.metadata?.namespace ?? '', u.metadata?.name ?? '')));
      const liveSaKeys = new Set(liveSas.map((s) => key(s.metadata?.namespace ?? '', s.metadata?.name ?? '')));
      const orphans = [
        ...[...secretsBySa.keys()].filter((k) => !liveSaKeys.has(k)).map((k) => `Secret of ${k}`),
        ...records.map((r) => key(r.metadata?.namespace ?? '', r.metadata?.labels?.[USER_LABEL] ?? '')).filter((k) => !liveUsers.has(k)).map((k) => `record of ${k}`),
        ...bindings.map((b) => key(b.metadata?.namespace ?? '', b.metadata?.labels?.[USER_LABEL] ?? '')).filter((k) => !activeUsers.has(k)).map((k) => `RoleBinding of ${k}`),
      ];
      checks.none('no orphan Secret, RoleBinding or record', orphans, `${[...secretsBySa.values()].flat().length} key Secrets, ${records.length} records, ${bindings.length} RoleBindings, all owned`);
      const missingBindings = [...activeUsers].filter((k) => !bindings.some((b) => key(b.metadata?.namespace ?? '', b.metadata?.labels?.[USER_LABEL] ?? '') === k));
      checks.none('every Active user has its RoleBinding', missingBindings, `${activeUsers.size} Active users bound`);

      for (const r of records) {
        const hash = r.data?.['tokenHash'];
        if (hash) ctx.evidence.secret('hash', Buffer.from(hash, 'base64').toString('utf8'));
      }
      let interrupted = 0;
      for (const namespace of namespaces) {
        const events = await client.list<KubeObject & { note?: string }>(builtinKinds.event, { namespace });
        interrupted += events.items.filter((e) => e.note?.startsWith('Emailed the invitation again')).length;
        ctx.evidence.text(`Events ${namespace}`, JSON.stringify(events.items));
      }
      ctx.evidence.text('statuses', JSON.stringify([...users, ...sas].map((o) => o['status'])));
      outputs.push(operator.output());
      const metricsPort = /"metricsPort":(\d+)/.exec(operator.output())?.[1];
      if (metricsPort) ctx.evidence.text('operator /metrics', await scrapeMetrics(`http://127.0.0.1:${metricsPort}/metrics`));
      for (const [i, output] of outputs.entries()) ctx.evidence.text(`operator log #${i + 1}`, output);

      const sorted = [...restartMs].sort((a, b) => a - b);
      return {
        counts: { 'delivery unconfirmed': unconfirmed, 'invitations re-sent after a kill before the end of the message': interrupted, tenants: TENANTS, users: sizes.users, 'service accounts': sizes.serviceAccounts, kills: killMoments.length, restarts: restartMs.length, 'webhook requests': receiver.received.length, 'accepted via HTTP': accepted.size, deleted: deletions, rotated: rotations, emails: messages.length },
        timingsMs: {
          'storm (first create to last kill)': lastKill - started,
          'converged after last kill': convergedMs,
          'restart to Started, median': sorted[Math.floor(sorted.length / 2)] ?? 0,
          'restart to Started, max': sorted[sorted.length - 1] ?? 0,
        },
        checks: checks.list,
        notes,
      };
    } finally {
      // Tenants go while an operator still runs, so it releases the finalizers of what they hold.
      for (const tenant of tenants) await deleteTenant(client, tenant);
      for (let i = 0; i < 120 && (await client.list(ACCOUNT_KINDS.tenant).catch(() => ({ items: [] }))).items.some((t) => tenants.includes(t.metadata?.name ?? '')); i++) await sleep(500);
      await operator?.kill('SIGTERM');
      await smtp?.close();
      await receiver?.close();
      await client.delete(builtinKinds.namespace, undefined, opsNamespace).catch(() => undefined);
      client.close();
    }
  },
};
