// Account lifecycle events to webhooks, against the real control plane and a real HTTP receiver
// that verifies every Standard Webhooks signature: a scripted lifecycle arrives exactly and in
// order per object; a receiver down while the operator is SIGKILLed loses nothing and a repeat
// carries the same id; a webhook that keeps failing is given up after its retryFor, with the
// WebhookDelivery condition and the abandoned counter. No body holds a key, token or hash.
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_KINDS } from '../../operator/api/index.js';
import type { Tenant } from '../../operator/api/index.js';
import { decodeOutbox } from '../../operator/events-out/outbox.js';
import { OUTBOX_DATA_KEY, outboxSecretName } from '../../operator/events-out/outbox-store.js';
import type { RunningOperator } from '../../operator/operator.js';
import { builtinKinds } from '../../operator/runtime/kinds.js';
import type { KubeObject } from '../../operator/runtime/kinds.js';
import type { KubeClient } from '../../operator/runtime/kube-client.js';
import { eventually, kubectl, useNamespace } from '../harness/kube.js';
import { newShard, spawnOperator, startTestOperator } from '../harness/operator.js';
import type { OperatorProcess } from '../harness/operator.js';
import { adminClient, createServiceAccount, createTenantWithNamespace, deleteTenant, waitForServiceAccount } from '../harness/tenant.js';
import type { SA } from '../harness/tenant.js';
import { leakForms, readKey } from '../service-accounts/fixtures.js';
import { acceptOverHttp, apply, linkOf, startTestSmtp, userManifest, waitForUser } from '../users/fixtures.js';
import type { TestSmtp } from '../users/fixtures.js';
import { newWebhookSecret, startReceiver } from './receiver.js';
import type { Received, TestReceiver } from './receiver.js';

const operatorNs = useNamespace('events-out');
const shard = newShard('events');
const suffix = randomBytes(3).toString('hex');
const tenantName = `events-${suffix}`;
const flakyTenant = `events-flaky-${suffix}`;
let ns: string;
let flakyNs: string;
let client: KubeClient;
let smtp: TestSmtp;
let receiver: TestReceiver;
let refusing: TestReceiver;
let operator: RunningOperator | undefined;
let child: OperatorProcess | undefined;
/** Everything that must never appear in an event: keys (and their hashes), invitation tokens. */
const secrets = new Set<string>();

type CachedTenant = Tenant & KubeObject;

const SIGNING_SECRET = { name: 'webhook-signing', key: 'secret' };

async function signingSecret(namespace: string, value: string): Promise<void> {
  await client.create(builtinKinds.secret, { metadata: { name: SIGNING_SECRET.name, namespace }, stringData: { [SIGNING_SECRET.key]: value } } as KubeObject);
}

async function getTenant(name: string): Promise<CachedTenant> {
  return client.get<CachedTenant>(ACCOUNT_KINDS.tenant, undefined, name);
}

function deliveryCondition(tenant: CachedTenant): { status: string; reason: string; message: string } | undefined {
  return tenant.status?.conditions?.find((c) => c.type === 'WebhookDelivery');
}

async function waitForDelivery(name: string, check: (c: { status: string; reason: string; message: string }) => boolean, what: string, timeoutMs = 30_000): Promise<{ status: string; reason: string; message: string }> {
  return eventually(async () => {
    const c = deliveryCondition(await getTenant(name));
    return c && check(c) ? c : undefined;
  }, timeoutMs, what);
}

async function startOperator(): Promise<RunningOperator> {
  return startTestOperator({ shard, namespace: operatorNs.name, smtpSecret: smtp.secret });
}

/** What arrived for one object, in arrival order. */
function arrivals(name: string, kind = 'User'): Received[] {
  return receiver.received.filter((r) => r.data?.object?.name === name && r.data.object.kind === kind);
}

/** The types, first arrival of each id, in arrival order. */
function distinctTypes(list: readonly Received[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const r of list) {
    if (seen.has(r.id)) continue;
    seen.add(r.id);
    out.push(r.type.replace('com.blinkops.accounts.', ''));
  }
  return out;
}

async function waitForArrivals(name: string, kind: string, count: number, timeoutMs = 60_000): Promise<Received[]> {
  return eventually(async () => {
    const list = arrivals(name, kind);
    return new Set(list.map((r) => r.id)).size >= count ? list : undefined;
  }, timeoutMs, `${count} events of ${kind}/${name}`);
}

async function keyOf(name: string): Promise<string> {
  const key = await readKey(client, ns, name);
  for (const form of leakForms(key)) secrets.add(form);
  return key;
}

function sa(name: string): Promise<SA> {
  return client.get<SA>(ACCOUNT_KINDS.serviceAccount, ns, name);
}

beforeAll(async () => {
  client = adminClient();
  smtp = await startTestSmtp(operatorNs.name);
  receiver = await startReceiver();
  refusing = await startReceiver();
  refusing.setMode('refuse');
  ns = `tenant-${tenantName}`;
  flakyNs = `tenant-${flakyTenant}`;
  // The namespaces first (with the signing Secrets), then the Tenants naming them.
  await client.create(builtinKinds.namespace, { metadata: { name: ns, labels: { 'blink-test': 'true' } } });
  await client.create(builtinKinds.namespace, { metadata: { name: flakyNs, labels: { 'blink-test': 'true' } } });
  await signingSecret(ns, receiver.secret);
  await signingSecret(flakyNs, refusing.secret);
  await createTenantWithNamespace(client, {
    name: tenantName,
    shard,
    namespace: ns,
    spec: { displayName: 'Events Ltd', notifications: { webhooks: [{ name: 'audit', url: receiver.url, secretRef: SIGNING_SECRET }] } },
  });
  await createTenantWithNamespace(client, {
    name: flakyTenant,
    shard,
    namespace: flakyNs,
    spec: { displayName: 'Flaky Ltd', notifications: { webhooks: [{ name: 'flaky', url: refusing.url, secretRef: SIGNING_SECRET, retryFor: '5s', events: ['serviceaccount.key.issued'] }] } },
  });
  operator = await startOperator();
  // The outbox starts when the webhooks are first seen: from then on every transition is sent.
  await waitForDelivery(tenantName, (c) => c.status === 'True', 'WebhookDelivery=True');
}, 120_000);

afterAll(async () => {
  await child?.kill('SIGKILL');
  await kubectl(['delete', 'users,serviceaccounts.accounts.blinkops.com', '--all', '-n', ns, '--wait=true', '--timeout=20s']).catch(() => undefined);
  await kubectl(['delete', 'serviceaccounts.accounts.blinkops.com', '--all', '-n', flakyNs, '--wait=true', '--timeout=20s']).catch(() => undefined);
  await operator?.stop();
  await smtp?.close();
  await receiver?.close();
  await refusing?.close();
  await deleteTenant(client, tenantName, ns);
  await deleteTenant(client, flakyTenant, flakyNs);
});

describe('account events to webhooks', () => {
  it('a scripted lifecycle arrives exactly, signed, in order per object, as structured CloudEvents without secrets', async () => {
    // User: invite → sent → accept → role change → deactivate → reactivate → remove.
    await apply(userManifest(ns, 'ann', { email: 'ann@events.test', role: 'Builder' }));
    const link = linkOf(await smtp.waitForMessage('ann@events.test'));
    secrets.add(link.split('/invitations/')[1] as string);
    await waitForUser(ns, 'ann', (u) => Boolean(u.status?.invitation?.sentAt), 'invitation sent');
    expect((await acceptOverHttp(link)).status).toBe(200);
    await waitForUser(ns, 'ann', (u) => u.status?.phase === 'Active', 'Active');
    await kubectl(['patch', 'user', 'ann', '-n', ns, '--type=merge', '-p', '{"spec":{"role":"Admin"}}']);
    await waitForUser(ns, 'ann', (u) => u.status?.role === 'Admin', 'role Admin');
    await kubectl(['patch', 'user', 'ann', '-n', ns, '--type=merge', '-p', '{"spec":{"active":false}}']);
    await waitForUser(ns, 'ann', (u) => u.status?.phase === 'Inactive', 'Inactive');
    await kubectl(['patch', 'user', 'ann', '-n', ns, '--type=merge', '-p', '{"spec":{"active":true}}']);
    await waitForUser(ns, 'ann', (u) => u.status?.phase === 'Active', 'Active again');
    await kubectl(['delete', 'user', 'ann', '-n', ns, '--wait=true', '--timeout=20s']);

    // ServiceAccount: issue → rotate → repair (its Secret deleted) → delete.
    await createServiceAccount(client, ns, 'bot', { role: 'Builder' } );
    await waitForServiceAccount(client, ns, 'bot', (s) => Boolean(s.status?.keyId));
    await keyOf('bot');
    await client.patch(ACCOUNT_KINDS.serviceAccount, ns, 'bot', { spec: { keyRotation: { revision: 1 } } });
    await waitForServiceAccount(client, ns, 'bot', (s) => s.status?.keyRevision === 1);
    const rotatedId = (await sa('bot')).status?.keyId;
    await keyOf('bot');
    await client.delete(builtinKinds.secret, ns, 'bot-api-key');
    await waitForServiceAccount(client, ns, 'bot', (s) => Boolean(s.status?.keyId) && s.status?.keyId !== rotatedId);
    await keyOf('bot');
    await kubectl(['delete', 'serviceaccounts.accounts.blinkops.com', 'bot', '-n', ns, '--wait=true', '--timeout=20s']);

    const ann = await waitForArrivals('ann', 'User', 7);
    const bot = await waitForArrivals('bot', 'ServiceAccount', 4);
    expect(distinctTypes(ann)).toEqual(['user.invited', 'user.invitation.sent', 'user.accepted', 'user.role.changed', 'user.deactivated', 'user.reactivated', 'user.removed']);
    expect(distinctTypes(bot)).toEqual(['serviceaccount.key.issued', 'serviceaccount.key.rotated', 'serviceaccount.key.repaired', 'serviceaccount.key.deleted']);
    for (const list of [ann, bot]) {
      // In order, one after the other: sequence 1, 2, 3… per object.
      expect(list.map((r) => r.data.sequence)).toEqual(list.map((_, i) => i + 1));
      for (const r of list) {
        expect(r.verified).toBe(true);
        expect(r.contentType).toMatch(/^application\/cloudevents\+json/);
        expect(r.headers['webhook-id']).toBe(r.id);
        expect(r.data.tenant).toBe(tenantName);
        expect(r.data.namespace).toBe(ns);
        expect(r.data.object.uid).toMatch(/^[0-9a-f-]{36}$/);
        expect(JSON.parse(r.body)).toMatchObject({ specversion: '1.0', source: `/apis/accounts.blinkops.com/v1alpha1/tenants/${tenantName}` });
      }
    }
    expect(ann[3]?.data.transition.message).toBe('Role changed from Builder to Admin');
    expect(ann[0]?.subject).toBe('users/ann');
    // Nothing secret in any body or header (the scan must have something to look for and in).
    expect(secrets.size).toBeGreaterThan(10);
    const all = receiver.received.map((r) => r.body + JSON.stringify(r.headers)).join('\n');
    expect(all.length).toBeGreaterThan(1000);
    expect([...secrets].filter((s) => all.includes(s))).toEqual([]);
    // Ids are unique per transition.
    expect(new Set([...ann, ...bot].map((r) => r.id)).size).toBe(11);
  }, 180_000);

  it('receiver down and the operator SIGKILLed meanwhile: nothing is lost, a repeat carries the same id, order per object holds', async () => {
    await operator?.stop();
    operator = undefined;
    await receiver.down();
    const before = receiver.received.length;
    child = await spawnOperator(['--shard', shard, '--no-leader-elect', '--metrics-port', '0', '--http-port', '0', '--namespace', operatorNs.name, '--smtp-secret', `${smtp.secret.namespace}/${smtp.secret.name}`]);
    await apply(userManifest(ns, 'cara', { email: 'cara@events.test' }));
    await createServiceAccount(client, ns, 'bot2', { role: 'Consumer' } );
    await waitForServiceAccount(client, ns, 'bot2', (s) => Boolean(s.status?.keyId));
    await keyOf('bot2');
    await client.patch(ACCOUNT_KINDS.serviceAccount, ns, 'bot2', { spec: { keyRotation: { revision: 1 } } });
    await waitForServiceAccount(client, ns, 'bot2', (s) => s.status?.keyRevision === 1);
    await keyOf('bot2');
    await waitForUser(ns, 'cara', (u) => Boolean(u.status?.invitation?.sentAt), 'cara invitation sent');
    // All four wait in the durable outbox, and the Tenant says the webhook is failing.
    await eventually(async () => {
      const secret = await client.get<KubeObject & { data?: Record<string, string> }>(builtinKinds.secret, operatorNs.name, outboxSecretName(tenantName));
      const state = decodeOutbox(Buffer.from(secret.data?.[OUTBOX_DATA_KEY] ?? '', 'base64'));
      return (state?.events.length ?? 0) >= 4 ? true : undefined;
    }, 30_000, 'four events in the outbox');
    await waitForDelivery(tenantName, (c) => c.reason === 'DeliveryFailing', 'WebhookDelivery DeliveryFailing');
    expect(receiver.received.length).toBe(before);

    // The receiver comes back but takes requests without answering; the operator dies mid-request.
    receiver.setMode('hang');
    await receiver.up();
    await eventually(async () => (receiver.received.length > before ? true : undefined), 30_000, 'a request to the hanging receiver');
    const hungIds = receiver.received.slice(before).map((r) => r.id);
    await child.kill('SIGKILL');
    child = undefined;
    receiver.setMode('ok');

    operator = await startOperator();
    const cara = await waitForArrivals('cara', 'User', 2);
    const bot2 = await waitForArrivals('bot2', 'ServiceAccount', 2);
    expect(distinctTypes(cara)).toEqual(['user.invited', 'user.invitation.sent']);
    expect(distinctTypes(bot2)).toEqual(['serviceaccount.key.issued', 'serviceaccount.key.rotated']);
    // What the hanging receiver took arrived again, with the same id and the same signed body.
    for (const id of hungIds) {
      const copies = receiver.received.filter((r) => r.id === id);
      expect(copies.length).toBeGreaterThanOrEqual(2);
      expect(new Set(copies.map((r) => r.body)).size).toBe(1);
    }
    // Per object, never a later event before an earlier one.
    for (const list of [cara, bot2]) {
      const sequences = list.map((r) => r.data.sequence);
      expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
      expect(new Set(sequences)).toEqual(new Set([1, 2]));
      for (const r of list) expect(r.verified).toBe(true);
    }
    await waitForDelivery(tenantName, (c) => c.status === 'True', 'WebhookDelivery=True after the outage');
    const all = receiver.received.map((r) => r.body).join('\n');
    expect([...secrets].filter((s) => all.includes(s))).toEqual([]);
  }, 180_000);

  it('gives up after retryFor: WebhookDelivery=False DeliveryAbandoned, the abandoned counter, and later events still go out', async () => {
    operator ??= await startOperator();
    await waitForDelivery(flakyTenant, (c) => c.status === 'True', 'flaky tenant WebhookDelivery=True');
    await createServiceAccount(client, flakyNs, 'bot3', { role: 'Consumer' } );
    const condition = await waitForDelivery(flakyTenant, (c) => c.reason === 'DeliveryAbandoned', 'DeliveryAbandoned', 60_000);
    expect(condition.status).toBe('False');
    expect(condition.message).toBe('Gave up on 1 event for webhook "flaky" after retrying for 5s (last error: HTTP 503); later events are still sent, and its next delivery clears this');
    const attempts = refusing.received.filter((r) => r.data.object.name === 'bot3');
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(new Set(attempts.map((r) => r.id)).size).toBe(1);
    for (const r of attempts) expect(r.verified).toBe(true);
    const metrics = await operator.manager.metrics.registry.getSingleMetricAsString('blink_accounts_webhook_deliveries_total');
    expect(metrics).toContain(`blink_accounts_webhook_deliveries_total{tenant="${flakyTenant}",outcome="abandoned"} 1`);
    expect(metrics).toMatch(new RegExp(`blink_accounts_webhook_deliveries_total\\{tenant="${flakyTenant}",outcome="failed"\\} [1-9]`));
    expect(metrics).toMatch(new RegExp(`blink_accounts_webhook_deliveries_total\\{tenant="${tenantName}",outcome="delivered"\\} [1-9]`));
    // The endpoint recovers: the next event is delivered and clears the condition.
    refusing.setMode('ok');
    await createServiceAccount(client, flakyNs, 'bot4', { role: 'Consumer' } );
    await waitForDelivery(flakyTenant, (c) => c.status === 'True', 'WebhookDelivery=True after a delivery', 30_000);
    expect(refusing.received.some((r) => r.data.object.name === 'bot4' && r.verified)).toBe(true);
    // The receiver's check can fail: the same request does not verify under another secret.
    const sample = attempts[0] as Received;
    expect(() => new Webhook(newWebhookSecret()).verify(sample.body, sample.headers)).toThrow();
  }, 120_000);

  it('a leader change hands the outbox over: the new leader delivers what the old one took', async () => {
    await operator?.stop();
    operator = undefined;
    await receiver.down();
    const before = receiver.received.length;
    const options = { shard, namespace: operatorNs.name, smtpSecret: smtp.secret, leaderElection: true };
    const a = await startTestOperator({ ...options, identity: `events-a-${suffix}` });
    let b: RunningOperator | undefined;
    try {
      await eventually(async () => (a.manager.isLeader ? true : undefined), 30_000, 'replica a to lead');
      b = await startTestOperator({ ...options, identity: `events-b-${suffix}` });
      await apply(userManifest(ns, 'dana', { email: 'dana@events.test' }));
      await waitForUser(ns, 'dana', (u) => Boolean(u.status?.invitation?.sentAt), 'dana invitation sent');
      await eventually(async () => {
        const secret = await client.get<KubeObject & { data?: Record<string, string> }>(builtinKinds.secret, operatorNs.name, outboxSecretName(tenantName));
        const state = decodeOutbox(Buffer.from(secret.data?.[OUTBOX_DATA_KEY] ?? '', 'base64'));
        return (state?.events.filter((e) => e.object.name === 'dana').length ?? 0) >= 2 ? true : undefined;
      }, 30_000, 'dana\'s two events in the outbox');
      expect(b.manager.isLeader).toBe(false);
      await a.stop();
      await eventually(async () => (b?.manager.isLeader ? true : undefined), 30_000, 'replica b to lead');
      await receiver.up();
      const dana = await waitForArrivals('dana', 'User', 2);
      expect(distinctTypes(dana)).toEqual(['user.invited', 'user.invitation.sent']);
      for (const r of dana) expect(r.verified).toBe(true);
      expect(receiver.received.length).toBeGreaterThan(before);
    } finally {
      await a.stop();
      await b?.stop();
    }
  }, 120_000);

  it('a hanging endpoint slows nothing else: it holds at most 4 POSTs, reconciling goes on, another tenant\'s events arrive at once', async () => {
    operator ??= await startOperator();
    refusing.setMode('hang');
    const hangingBefore = refusing.received.length;
    const started = Date.now();
    for (let i = 1; i <= 6; i++) await createServiceAccount(client, flakyNs, `hang-${i}`, { role: 'Consumer' });
    // Every account of the hanging tenant gets its key at once: the POSTs are not in the reconcile.
    for (let i = 1; i <= 6; i++) await waitForServiceAccount(client, flakyNs, `hang-${i}`, (s) => Boolean(s.status?.keyId), 10_000);
    await eventually(async () => (refusing.received.length - hangingBefore >= 4 ? true : undefined), 10_000, 'four hanging POSTs');
    // Another tenant's event goes out while those four hang.
    await createServiceAccount(client, ns, 'quick', { role: 'Consumer' });
    await waitForArrivals('quick', 'ServiceAccount', 1, 8_000);
    expect(Date.now() - started).toBeLessThan(9_000);
    // The hanging tenant never had more than four in flight (each POST hangs for its 10 s timeout).
    expect(refusing.received.length - hangingBefore).toBe(4);
    refusing.setMode('ok');
  }, 60_000);

  it('a signing Secret that is no Standard Webhooks secret, or missing, is said in the condition without its value; no secret reaches status or Events', async () => {
    operator ??= await startOperator();
    // The hanging POSTs of the test before have ended (given up after their timeout, or delivered).
    await eventually(async () => {
      const secret = await client.get<KubeObject & { data?: Record<string, string> }>(builtinKinds.secret, operatorNs.name, outboxSecretName(flakyTenant));
      return decodeOutbox(Buffer.from(secret.data?.[OUTBOX_DATA_KEY] ?? '', 'base64'))?.events.length === 0 ? true : undefined;
    }, 30_000, 'the flaky outbox to be empty');
    const garbage = `not-a-whsec-${randomBytes(12).toString('hex')}`;
    await client.create(builtinKinds.secret, { metadata: { name: 'broken-signing', namespace: flakyNs }, stringData: { secret: garbage } } as KubeObject);
    const hooks = [
      { name: 'broken', url: `${refusing.url}/broken`, secretRef: { name: 'broken-signing', key: 'secret' }, events: ['serviceaccount.key.issued'] },
      { name: 'flaky', url: refusing.url, secretRef: SIGNING_SECRET, retryFor: '5s', events: ['serviceaccount.key.issued'] },
      { name: 'gone', url: `${refusing.url}/gone`, secretRef: { name: 'no-such-secret', key: 'secret' }, events: ['serviceaccount.key.issued'] },
    ];
    await client.patch(ACCOUNT_KINDS.tenant, undefined, flakyTenant, { spec: { notifications: { webhooks: hooks } } });
    await createServiceAccount(client, flakyNs, 'bot5', { role: 'Consumer' });
    const failing = await waitForDelivery(flakyTenant, (c) => c.reason === 'DeliveryFailing' && c.message.includes('"broken"'), 'DeliveryFailing for broken');
    expect(failing.message).toBe('Webhook "broken" is failing (Secret broken-signing key secret: the signing secret is not a Standard Webhooks secret (whsec_ followed by base64 of 24 to 64 bytes)) (and 1 more webhook): its events wait in the outbox and are retried with backoff');
    // Nothing was sent unsigned: the refusing receiver got bot5's event for flaky only.
    await eventually(async () => (refusing.received.some((r) => r.data.object.name === 'bot5') ? true : undefined), 10_000, 'bot5 to flaky');
    expect(new Set(refusing.received.filter((r) => r.data.object.name === 'bot5').map((r) => r.path))).toEqual(new Set(['/hooks/blink']));
    expect(refusing.received.every((r) => r.verified)).toBe(true);
    // No signing secret, nor the garbage, in the Tenant, its Events or the operator's namespace's Events.
    const tenantText = JSON.stringify(await getTenant(flakyTenant));
    const events = JSON.stringify((await client.list(builtinKinds.event, {})).items);
    for (const secret of [garbage, receiver.secret, refusing.secret, receiver.secret.slice(6), refusing.secret.slice(6)]) {
      expect(tenantText.includes(secret)).toBe(false);
      expect(events.includes(secret)).toBe(false);
    }
    expect(events).toContain('DeliveryAbandoned');
    await client.patch(ACCOUNT_KINDS.tenant, undefined, flakyTenant, { spec: { notifications: { webhooks: [hooks[1]] } } });
  }, 60_000);
});
