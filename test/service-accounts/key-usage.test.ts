// Issue 27 §2 and §3 against the real control plane and the real access API:
// the last use of a key is written into status within its budget under a sustained
// load on two replicas; a key unused for spec.keyRotation.expireUnusedAfter stops
// verifying (Ready=False KeyExpiredUnused, Warning Event) until the revision is
// raised; and the account's history tells the whole lifecycle, with who changed
// the spec, through `blink-accounts history`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessApiFeature } from '../../operator/access/feature.js';
import { ACCOUNT_KINDS } from '../../operator/api/index.js';
import type { RunningOperator } from '../../operator/operator.js';
import type { Clock } from '../../operator/runtime/clock.js';
import { systemClock } from '../../operator/runtime/clock.js';
import { builtinKinds } from '../../operator/runtime/kinds.js';
import { apiKeyVerifierFeature, serviceAccountsFeature } from '../../operator/service-accounts/feature.js';
import { accessApiToken } from '../harness/access.js';
import { eventually, kubectl, useNamespace } from '../harness/kube.js';
import { newShard, startTestOperator } from '../harness/operator.js';
import type { SA } from '../harness/tenant.js';
import { adminClient, createServiceAccount, createTenantWithNamespace, getServiceAccount, uniqueName, waitForServiceAccount as waitFor } from '../harness/tenant.js';
import { cli, eventsText, findLeaks, readKey, statusesText } from './fixtures.js';

const HOUR = 3_600_000;
/** The write budget in this file: one status write per key per 2 s (an hour in production). */
const INTERVAL_MS = 2_000;
const shard = newShard('key-usage');
const client = adminClient();
const ns = useNamespace('key-usage');
/** Both replicas' clock: real time plus an offset the expiry tests move forward. */
let offset = 0;
const clock: Clock = { now: () => Date.now() + offset, setTimer: (fn, ms) => systemClock.setTimer(fn, ms) };
let leader: RunningOperator;
let reader: RunningOperator;
let token = '';
const keys: string[] = [];

async function authenticate(base: string, apiKey: string): Promise<number> {
  const res = await fetch(`${base}/api/v1/authenticate`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ apiKey }) });
  await res.arrayBuffer();
  return res.status;
}

/** Touches the account (an annotation) so that the controller looks at it now rather than at its timer. */
async function nudge(name: string): Promise<void> {
  await client.patch(ACCOUNT_KINDS.serviceAccount, ns.name, name, { metadata: { annotations: { 'example.com/nudge': String(Date.now()) } } });
}

/** Counts the writes of status.keyLastUsedAt of one account, from a watch of the real API server. */
async function countLastUsedWrites(name: string): Promise<{ readonly count: () => number; stop(): void }> {
  let count = 0;
  let last: string | undefined = (await getServiceAccount(client, ns.name, name)).status?.keyLastUsedAt;
  let buffer = '';
  const watch = await client.watch(
    `/apis/accounts.blinkops.com/v1alpha1/namespaces/${ns.name}/serviceaccounts`,
    { fieldSelector: `metadata.name=${name}` },
    (line) => {
      buffer = line;
      const event = JSON.parse(buffer) as { type: string; object: SA };
      const now = event.object.status?.keyLastUsedAt;
      if (event.type === 'MODIFIED' && now !== last) count += 1;
      last = now;
    },
    () => undefined,
  );
  return { count: () => count, stop: () => watch.abort() };
}

beforeAll(async () => {
  await createTenantWithNamespace(client, { name: uniqueName('sa'), shard, namespace: ns.name, spec: { displayName: 'Service account tests' } });
  const options = { shard, clock, keyUsageWriteIntervalMs: INTERVAL_MS };
  leader = await startTestOperator(options, [serviceAccountsFeature, accessApiFeature]);
  // A second replica that runs no controller: its access API's knowledge counts too.
  reader = await startTestOperator(options, [apiKeyVerifierFeature, accessApiFeature]);
  // Valid for a week: the expiry tests move the operator's clock up to 30 h ahead.
  token = await accessApiToken(ns.name, { expirationSeconds: 7 * 24 * 3600 });
}, 120_000);

afterAll(async () => {
  await reader?.stop();
  await leader?.stop();
  client.close();
});

describe('status.keyLastUsedAt', () => {
  it('is written at most once per interval per key under a sustained load on two replicas', async () => {
    await createServiceAccount(client, ns.name, 'busy', { role: 'Builder' });
    await waitFor(client, ns.name, 'busy');
    const key = await readKey(client, ns.name, 'busy');
    keys.push(key);
    await eventually(async () => ((await authenticate(reader.accessApiUrl, key)) === 200 ? true : undefined), 15_000, 'the reader to know the key');
    const writes = await countLastUsedWrites('busy');
    const started = Date.now();
    let calls = 0;
    let ok = 0;
    // 8 callers in parallel, alternating replicas, for at least 12 s and 2,500 authentications (at most 60 s on a loaded machine).
    await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        while ((Date.now() - started < 12_000 || calls < 2_500) && Date.now() - started < 60_000) {
          const status = await authenticate(i % 2 === 0 ? leader.accessApiUrl : reader.accessApiUrl, key);
          calls += 1;
          if (status === 200) ok += 1;
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    writes.stop();
    const budget = Math.ceil((seconds * 1000) / INTERVAL_MS) + 1;
    console.log(`key-usage: ${calls} authentications (${ok} ok) in ${seconds.toFixed(1)} s on 2 replicas -> ${writes.count()} writes of keyLastUsedAt (budget ${budget})`);
    expect(calls).toBeGreaterThan(2000);
    expect(ok).toBe(calls);
    expect(writes.count()).toBeGreaterThanOrEqual(3);
    expect(writes.count()).toBeLessThanOrEqual(budget);
    const sa = await getServiceAccount(client, ns.name, 'busy');
    expect(Date.now() - Date.parse(sa.status?.keyLastUsedAt ?? '')).toBeLessThan(INTERVAL_MS + 3_000);
    // Shown as the LAST USED column, and by `status`.
    const { stdout: table } = await kubectl(['get', 'bsa', 'busy', '-n', ns.name]);
    expect(table.split('\n')[0]).toMatch(/LAST USED/);
    const { stdout } = await cli(['status', 'sa', 'busy', '-n', ns.name]);
    expect(stdout).toMatch(/Key last used:\s+\S+Z \(\d+s ago; recorded at most hourly\)/);
  }, 120_000);
});

describe('spec.keyRotation.expireUnusedAfter', () => {
  it('is refused at admission when it is not a duration of at least 24h', async () => {
    await expect(createServiceAccount(client, ns.name, 'bad-expiry', { role: 'Builder', keyRotation: { expireUnusedAfter: '90d' } })).rejects.toThrow(/expireUnusedAfter must be a duration between 24h and 87600h/);
    await expect(createServiceAccount(client, ns.name, 'bad-expiry', { role: 'Builder', keyRotation: { expireUnusedAfter: '1h' } })).rejects.toThrow(/expireUnusedAfter/);
  });

  it('stops a key nobody used for that long, says so, and a revision bump heals it; use keeps a key alive', async () => {
    offset = 0;
    await createServiceAccount(client, ns.name, 'idle', { role: 'Builder', keyRotation: { expireUnusedAfter: '24h' } });
    await createServiceAccount(client, ns.name, 'used', { role: 'Builder', keyRotation: { expireUnusedAfter: '24h' } });
    await waitFor(client, ns.name, 'idle');
    await waitFor(client, ns.name, 'used');
    const idleKey = await readKey(client, ns.name, 'idle');
    const usedKey = await readKey(client, ns.name, 'used');
    keys.push(idleKey, usedKey);
    await eventually(async () => ((await authenticate(leader.accessApiUrl, usedKey)) === 200 ? true : undefined), 15_000, 'the key to verify');
    // 20 hours later the used key is used again (recorded); 30 hours after the issue only the idle key is dead.
    offset = 20 * HOUR;
    expect(await authenticate(reader.accessApiUrl, usedKey)).toBe(200);
    await waitFor(client, ns.name, 'used', (sa) => Date.parse(sa.status?.keyLastUsedAt ?? '') >= Date.now() + 20 * HOUR - 5_000);
    offset = 30 * HOUR;
    expect(await authenticate(leader.accessApiUrl, idleKey)).toBe(401);
    expect(await authenticate(reader.accessApiUrl, idleKey)).toBe(401);
    expect(await authenticate(leader.accessApiUrl, usedKey)).toBe(200);
    await nudge('idle');
    await nudge('used');
    const expired = await waitFor(client, ns.name, 'idle', (sa) => sa.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'False' && c.reason === 'KeyExpiredUnused') ?? false);
    expect(expired.status?.conditions?.find((c) => c.type === 'Ready')?.message).toContain('raise spec.keyRotation.revision');
    await eventually(async () => ((await eventsText(client, ns.name)).items.some((e) => e['reason'] === 'KeyExpiredUnused' && e['type'] === 'Warning') ? true : undefined), 15_000, 'the KeyExpiredUnused Event');
    expect((await getServiceAccount(client, ns.name, 'used')).status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    // Raising the revision issues a new key that verifies; the expired one stays dead (no grace period for it).
    await client.patch(ACCOUNT_KINDS.serviceAccount, ns.name, 'idle', { spec: { keyRotation: { revision: 1, gracePeriod: '1h' } } }, { fieldManager: 'key-usage-test' });
    const healed = await waitFor(client, ns.name, 'idle', (sa) => sa.status?.keyRevision === 1 && sa.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True');
    expect(healed.status?.previousKeyId).toBeUndefined();
    const newKey = await readKey(client, ns.name, 'idle');
    keys.push(newKey);
    await eventually(async () => ((await authenticate(reader.accessApiUrl, newKey)) === 200 ? true : undefined), 15_000, 'the new key to verify');
    expect(await authenticate(leader.accessApiUrl, idleKey)).toBe(401);
  }, 90_000);
});

describe('who may write a last use', () => {
  it("a tenant Admin cannot forge a key's last use (status is the operator's alone), so cannot keep an unused key alive", async () => {
    const admin = 'mallory@key-usage.example';
    await client.create(builtinKinds.roleBinding, {
      metadata: { name: 'mallory-admin', namespace: ns.name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'blink-accounts-admin' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: admin }],
    } as never);
    // The Admin may edit the account itself, not its status.
    expect((await kubectl(['auth', 'can-i', 'patch', 'serviceaccounts.accounts.blinkops.com', '-n', ns.name, '--as', admin]).catch((e: { stdout: string }) => e)).stdout.trim()).toBe('yes');
    const forged = await kubectl(
      ['patch', 'serviceaccounts.accounts.blinkops.com', 'idle', '-n', ns.name, '--subresource=status', '--type=merge', '-p', `{"status":{"keyLastUsedAt":"${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}"}}`, '--as', admin],
    ).catch((e: { stderr: string }) => e);
    expect('stderr' in forged ? forged.stderr : '').toMatch(/forbidden/i);
  });
});

describe('status.history', () => {
  it('tells the lifecycle of a service account, with who changed the spec, through the CLI', async () => {
    offset = 0;
    await createServiceAccount(client, ns.name, 'story', { role: 'Builder', keyRotation: { expireUnusedAfter: '24h' } });
    await waitFor(client, ns.name, 'story');
    await client.patch(ACCOUNT_KINDS.serviceAccount, ns.name, 'story', { spec: { role: 'Admin' } }, { fieldManager: 'platform-team-gitops' });
    await waitFor(client, ns.name, 'story', (sa) => sa.status?.role === 'Admin');
    await client.patch(ACCOUNT_KINDS.serviceAccount, ns.name, 'story', { spec: { keyRotation: { revision: 1 } } }, { fieldManager: 'kubectl-blink' });
    await waitFor(client, ns.name, 'story', (sa) => sa.status?.keyRevision === 1);
    const beforeRepair = (await getServiceAccount(client, ns.name, 'story')).status?.keyId;
    await client.delete(builtinKinds.secret, ns.name, 'story-api-key');
    await waitFor(client, ns.name, 'story', (sa) => isReadyWithOtherKey(sa, beforeRepair));
    offset = 30 * HOUR;
    await nudge('story');
    const sa = await waitFor(client, ns.name, 'story', (s) => s.status?.history?.some((e) => e.event === 'KeyExpiredUnused') ?? false);
    offset = 0;
    expect(sa.status?.history?.map((e) => `${e.event}/${e.reason}${e.by ? `/${e.by}` : ''}`)).toEqual([
      'KeyIssued/Created',
      'RoleChanged/SpecChanged/platform-team-gitops',
      'KeyRotated/Requested/kubectl-blink',
      'KeyRepaired/SecretDeleted',
      'KeyExpiredUnused/KeyExpiredUnused',
    ]);
    const { stdout } = await cli(['history', 'sa', 'story', '-n', ns.name]);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe(`ServiceAccount ${ns.name}/story: the last 5 transitions, oldest first`);
    expect(lines[3]).toMatch(/RoleChanged\s+SpecChanged\s+Role changed from Builder to Admin \[by platform-team-gitops\]$/);
    const { stdout: json } = await cli(['history', 'serviceaccount/story', '-n', ns.name, '-o', 'json']);
    expect((JSON.parse(json) as { history: unknown[] }).history).toHaveLength(5);
  }, 90_000);

  it('holds no key material, nor does any status, Event or CLI output of this file', async () => {
    const { stdout } = await cli(['history', 'sa', 'idle', '-n', ns.name]);
    const texts = { statuses: await statusesText(client, ns.name), events: (await eventsText(client, ns.name)).text, history: stdout };
    expect(findLeaks(keys, texts)).toEqual([]);
  });
});

function isReadyWithOtherKey(sa: SA, keyId: string | undefined): boolean {
  return sa.status?.keyId !== undefined && sa.status.keyId !== keyId && sa.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
}
