// Service accounts against the real control plane: one key per account in an
// owned Secret, spec edits that keep the key, rotation with a grace period,
// self-repair of a deleted or altered key, deletion, the CLI, and a scan of
// everything the operator emitted for key material.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY_PATTERN, fingerprintOf, generateApiKey, parseApiKey } from '../../operator/apikeys/index.js';
import type { RunningOperator } from '../../operator/operator.js';
import { ACCOUNT_KINDS } from '../../operator/api/index.js';
import { builtinKinds } from '../../operator/runtime/kinds.js';
import { createLogger } from '../../operator/runtime/logger.js';
import type { KubeClient } from '../../operator/runtime/kube-client.js';
import type { ApiKeyVerifier } from '../../operator/policy/index.js';
import { scrapeMetrics } from '../harness/metrics.js';
import { eventually, kubectl, useNamespace } from '../harness/kube.js';
import { newShard, startTestOperator } from '../harness/operator.js';
import { cli, eventsText, findLeaks, getSecret, readKey, statusesText } from './fixtures.js';
import {
  adminClient,
  createServiceAccount,
  createTenantWithNamespace,
  createWorkspace,
  getServiceAccount,
  uniqueName,
  waitForServiceAccount,
} from '../harness/tenant.js';

const ns = useNamespace('sa');
const shard = newShard('sa');
let client: KubeClient;
let operator: RunningOperator;
let verifier: ApiKeyVerifier;
let tenant: string;
let logs = '';
/** Every key seen during the run, for the final leak scan. */
const seenKeys = new Set<string>();

async function key(name: string): Promise<string> {
  const value = await readKey(client, ns.name, name);
  seenKeys.add(value);
  return value;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

beforeAll(async () => {
  client = adminClient();
  tenant = uniqueName('sa');
  await createTenantWithNamespace(client, { name: tenant, shard, namespace: ns.name, spec: { displayName: 'Service account tests' } });
  await createWorkspace(client, ns.name, 'ws-a');
  await createWorkspace(client, ns.name, 'ws-b');
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs += chunk.toString();
      callback();
    },
  });
  operator = await startTestOperator({ shard, logger: createLogger({ level: 'debug', destination }) });
  verifier = operator.services.apiKeyVerifier as ApiKeyVerifier;
});

afterAll(async () => {
  await operator?.stop();
  await client?.delete(ACCOUNT_KINDS.tenant, undefined, tenant).catch(() => undefined);
  client?.close();
});

describe('ServiceAccount', () => {
  const accounts = [
    { name: 'admin-bot', spec: { role: 'Admin' as const, description: 'Does everything' } },
    { name: 'builder-bot', spec: { role: 'Builder' as const, workspaces: ['ws-a'] } },
    { name: 'consumer-bot', spec: { role: 'Consumer' as const, workspaces: ['ws-a', 'ws-b'] } },
  ];

  it('issues one key per service account, in an owned, labelled Secret named in status', async () => {
    const started = Date.now();
    for (const { name, spec } of accounts) await createServiceAccount(client, ns.name, name, spec);
    for (const { name, spec } of accounts) {
      const sa = await waitForServiceAccount(client, ns.name, name);
      const secrets = await client.list(builtinKinds.secret, {
        namespace: ns.name,
        query: { labelSelector: `accounts.blinkops.com/service-account=${name}` },
      });
      expect(secrets.items.map((s) => s.metadata?.name)).toEqual([`${name}-api-key`]);
      const secret = await getSecret(client, ns.name, `${name}-api-key`);
      const value = await key(name);
      expect(value).toMatch(API_KEY_PATTERN);
      const parsed = parseApiKey(value);
      expect(parsed.ok).toBe(true);
      const keyId = parsed.ok ? parsed.value.keyId : '';
      expect(secret?.type).toBe('accounts.blinkops.com/api-key');
      expect(Object.keys(secret?.data ?? {})).toEqual(['apiKey']);
      expect(secret?.metadata?.labels).toMatchObject({
        'app.kubernetes.io/managed-by': 'blink-accounts-operator',
        'app.kubernetes.io/part-of': 'blink-accounts',
        'app.kubernetes.io/component': 'api-key',
        'accounts.blinkops.com/tenant': tenant,
        'accounts.blinkops.com/service-account': name,
        'accounts.blinkops.com/key-id': keyId,
      });
      expect(secret?.metadata?.ownerReferences).toEqual([
        { apiVersion: 'accounts.blinkops.com/v1alpha1', kind: 'ServiceAccount', name, uid: sa.metadata?.uid, controller: true, blockOwnerDeletion: true },
      ]);
      expect(sa.status).toMatchObject({ secretName: `${name}-api-key`, keyId, fingerprint: fingerprintOf(value), keyRevision: 0 });
      expect(sa.status?.conditions?.map((c) => [c.type, c.status])).toEqual(expect.arrayContaining([['KeyIssued', 'True'], ['ReferencesResolved', 'True'], ['Ready', 'True']]));
      const auth = verifier.authenticate(value);
      expect(auth).toMatchObject({ ok: true, tenant, namespace: ns.name, name, uid: sa.metadata?.uid, role: spec.role, keyState: 'current' });
      expect(auth.ok && auth.workspaces).toEqual(spec.role === 'Admin' ? ['ws-a', 'ws-b'] : [...(spec.workspaces ?? [])].sort());
    }
    process.stderr.write(`[service-accounts] 3 accounts Ready with keys in ${Date.now() - started} ms\n`);

    const { stdout } = await kubectl(['get', 'bsa', '-n', ns.name]);
    // NAME ROLE WORKSPACES SECRET KEY-AGE LAST-USED READY AGE (LAST USED: <unknown> while never used)
    expect(stdout.split('\n')[0]).toMatch(/KEY AGE\s+LAST USED\s+READY/);
    for (const { name } of accounts) expect(stdout).toMatch(new RegExp(`^${name}\\s+\\w+\\s+.*${name}-api-key\\s+\\S+\\s+\\S+\\s+True\\s`, 'm'));
  });

  it('writes nothing when nothing changed (a full resync)', async () => {
    const before = await Promise.all(accounts.map(async ({ name }) => [(await getServiceAccount(client, ns.name, name)).metadata?.resourceVersion, (await getSecret(client, ns.name, `${name}-api-key`))?.metadata?.resourceVersion]));
    const reconciles = async (): Promise<number> => {
      const text = await scrapeMetrics(`http://127.0.0.1:${operator.manager.metricsServer.port}/metrics`);
      return Number(/^controller_runtime_reconcile_total\{[^}]*controller="service-account"[^}]*result="success"[^}]*\} (\d+)/m.exec(text)?.[1] ?? 'NaN');
    };
    const reconcilesBefore = await reconciles();
    operator.context.caches.serviceAccounts.resync();
    await sleep(1_500);
    // The resync did reconcile every account, and wrote nothing.
    expect(await reconciles()).toBeGreaterThanOrEqual(reconcilesBefore + accounts.length);
    const after = await Promise.all(accounts.map(async ({ name }) => [(await getServiceAccount(client, ns.name, name)).metadata?.resourceVersion, (await getSecret(client, ns.name, `${name}-api-key`))?.metadata?.resourceVersion]));
    expect(after).toEqual(before);
  });

  it('applies edits of description, role and workspaces without changing the key', async () => {
    const original = await key('builder-bot');
    const edited = await client.patch<{ metadata?: { generation?: number } }>(ACCOUNT_KINDS.serviceAccount, ns.name, 'builder-bot', {
      spec: { description: 'Now a consumer', role: 'Consumer', workspaces: ['ws-b', 'ws-missing'] },
    });
    const sa = await waitForServiceAccount(client, ns.name, 'builder-bot', (s) => s.status?.observedGeneration === edited.metadata?.generation);
    expect(sa.status?.workspaces).toEqual(['ws-b']);
    expect(sa.status?.conditions?.find((c) => c.type === 'ReferencesResolved')).toMatchObject({ status: 'False', reason: 'MissingReferences' });
    expect(sa.status?.conditions?.find((c) => c.type === 'ReferencesResolved')?.message).toContain('ws-missing');
    expect(await key('builder-bot')).toBe(original);
    expect(verifier.authenticate(original)).toMatchObject({ ok: true, role: 'Consumer', workspaces: ['ws-b'] });

    // The missing workspace appears: the account converges with no other action.
    await createWorkspace(client, ns.name, 'ws-missing');
    const resolved = await waitForServiceAccount(client, ns.name, 'builder-bot', (s) => s.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True');
    expect(resolved.status?.workspaces).toEqual(['ws-b', 'ws-missing']);
    expect(await key('builder-bot')).toBe(original);
  });

  it('rotates on request (CLI): a new key; the old one verifies during the grace period only', async () => {
    const old = await key('consumer-bot');
    const asked = Date.now();
    const { stderr } = await cli(['sa', 'rotate-key', 'consumer-bot', '-n', ns.name, '--grace-period', '4s']);
    expect(stderr).toContain('revision 1');
    const sa = await waitForServiceAccount(client, ns.name, 'consumer-bot', (s) => s.status?.keyRevision === 1);
    const fresh = await key('consumer-bot');
    expect(fresh).not.toBe(old);
    expect(sa.status?.fingerprint).toBe(fingerprintOf(fresh));
    expect(sa.spec.keyRotation).toEqual({ revision: 1, gracePeriod: '4s' });
    const secret = await getSecret(client, ns.name, 'consumer-bot-api-key');
    expect(Object.keys(secret?.data ?? {}).sort()).toEqual(['apiKey', 'previousKeyHash']);
    // The grace period ends 4 s after the rotation, which came after it was asked for.
    const graceEnd = Date.parse(secret?.metadata?.annotations?.['accounts.blinkops.com/previous-key-expires-at'] ?? '');
    expect(graceEnd - asked).toBeGreaterThanOrEqual(4_000);
    await eventually(async () => (verifier.authenticate(fresh).ok ? true : undefined), 5_000, 'the new key to verify');
    // Asked every 50 ms: the old key verifies until the grace end and is refused from then on.
    let lastVerified = 0;
    let refusedAt = 0;
    while (refusedAt === 0 && Date.now() < graceEnd + 10_000) {
      const before = Date.now();
      const answer = verifier.authenticate(old);
      if (answer.ok) {
        expect(answer).toMatchObject({ ok: true, name: 'consumer-bot', keyState: 'previous' });
        lastVerified = before;
      } else refusedAt = Date.now();
      if (refusedAt === 0) await sleep(50);
    }
    expect(refusedAt, 'the old key stopped verifying').toBeGreaterThan(0);
    // Lower bound: not refused before the grace end, and still verified in its last 2 s (margin for a stalled event loop).
    expect(refusedAt).toBeGreaterThanOrEqual(graceEnd);
    expect(lastVerified).toBeGreaterThanOrEqual(graceEnd - 2_000);
    const graceObserved = refusedAt - asked;
    expect(verifier.authenticate(fresh)).toMatchObject({ ok: true, keyState: 'current' });
    // The previous hash is removed from the Secret after the grace period, keeping the key.
    await eventually(async () => {
      const s = await getSecret(client, ns.name, 'consumer-bot-api-key');
      return s && Object.keys(s.data ?? {}).join() === 'apiKey' && !s.metadata?.annotations?.['accounts.blinkops.com/previous-key-id'] ? true : undefined;
    }, 10_000, 'the previous key hash to be removed');
    expect(await key('consumer-bot')).toBe(fresh);
    process.stderr.write(`[service-accounts] old key stopped verifying ${graceObserved} ms after the rotation was asked for (grace 4s; last verified ${graceEnd - lastVerified} ms before its end)\n`);
    const events = (await eventsText(client, ns.name)).items;
    expect(events.some((e) => e['reason'] === 'KeyRotated' && (e['regarding'] as { name?: string })?.name === 'consumer-bot')).toBe(true);
  });

  it('replaces the key when its Secret is deleted, with a Warning Event', async () => {
    const old = await key('admin-bot');
    const before = await getSecret(client, ns.name, 'admin-bot-api-key');
    const started = Date.now();
    await client.delete(builtinKinds.secret, ns.name, 'admin-bot-api-key');
    const fresh = await eventually(async () => {
      const s = await getSecret(client, ns.name, 'admin-bot-api-key');
      return s && s.metadata?.uid !== before?.metadata?.uid ? readKey(client, ns.name, 'admin-bot') : undefined;
    }, 15_000, 'a new Secret');
    process.stderr.write(`[service-accounts] deleted Secret replaced in ${Date.now() - started} ms\n`);
    seenKeys.add(fresh);
    expect(fresh).not.toBe(old);
    await waitForServiceAccount(client, ns.name, 'admin-bot', (s) => s.status?.fingerprint === fingerprintOf(fresh));
    expect(verifier.authenticate(old).ok).toBe(false);
    await eventually(async () => (verifier.authenticate(fresh).ok ? true : undefined), 5_000, 'the new key to verify');
    const events = await eventually(async () => {
      const items = (await eventsText(client, ns.name)).items;
      return items.find((e) => e['reason'] === 'SecretDeleted' && e['type'] === 'Warning' && (e['regarding'] as { name?: string })?.name === 'admin-bot');
    }, 10_000, 'a SecretDeleted Event');
    expect(String(events['note'])).toContain('no longer works');
  });

  it.each([
    ['a broken checksum', (k: string) => k.slice(0, -1) + (k.endsWith('a') ? 'b' : 'a')],
    ['another valid key', () => generateApiKey().key],
    ['garbage', () => 'not a key'],
  ])('replaces the key when it is altered to %s, with a Warning Event', async (_what, alter) => {
    const old = await key('admin-bot');
    const altered = alter(old);
    const before = await getSecret(client, ns.name, 'admin-bot-api-key');
    const keyAltered = async (): Promise<number> => (await eventsText(client, ns.name)).items.filter((e) => e['reason'] === 'KeyAltered' && e['type'] === 'Warning').length;
    const eventsBefore = await keyAltered();
    await client.patch(builtinKinds.secret, ns.name, 'admin-bot-api-key', {
      data: { apiKey: Buffer.from(altered).toString('base64') },
    });
    const fresh = await eventually(async () => {
      const value = await readKey(client, ns.name, 'admin-bot');
      return value !== old && value !== altered ? value : undefined;
    }, 15_000, 'a new key');
    seenKeys.add(fresh);
    expect(parseApiKey(fresh).ok).toBe(true);
    await waitForServiceAccount(client, ns.name, 'admin-bot', (s) => s.status?.fingerprint === fingerprintOf(fresh));
    expect(verifier.authenticate(old).ok).toBe(false);
    expect(verifier.authenticate(altered).ok).toBe(false);
    const after = await getSecret(client, ns.name, 'admin-bot-api-key');
    expect(after?.metadata?.uid).toBe(before?.metadata?.uid);
    await eventually(async () => ((await keyAltered()) > eventsBefore ? true : undefined), 10_000, 'a new KeyAltered Event');
  });

  it('restores removed labels and owner reference without changing the key', async () => {
    const value = await key('admin-bot');
    await client.patch(builtinKinds.secret, ns.name, 'admin-bot-api-key', {
      metadata: { labels: { 'app.kubernetes.io/component': null, 'accounts.blinkops.com/key-id': 'tampered' }, ownerReferences: null },
    });
    const restored = await eventually(async () => {
      const s = await getSecret(client, ns.name, 'admin-bot-api-key');
      return s?.metadata?.labels?.['app.kubernetes.io/component'] === 'api-key' && s.metadata.ownerReferences?.length === 1 ? s : undefined;
    }, 15_000, 'labels and owner to be restored');
    expect(restored.metadata?.labels?.['accounts.blinkops.com/key-id']).toBe(parseApiKey(value).ok ? value.slice(9, 21) : '');
    expect(await key('admin-bot')).toBe(value);
    await eventually(async () => (verifier.authenticate(value).ok ? true : undefined), 5_000, 'the key to verify again');
  });

  it('never verifies a key planted by someone who can write Secrets, however well its record is forged', async () => {
    // What the verifier trusted before key records were signed: a Secret with the account's labels,
    // its owner reference and annotations matching the planted key. Any name, or the account's own.
    const sa = await waitForServiceAccount(client, ns.name, 'admin-bot');
    const planted = generateApiKey();
    seenKeys.add(planted.key);
    const forged = (name: string): Record<string, unknown> => ({
      metadata: {
        name,
        namespace: ns.name,
        labels: { 'app.kubernetes.io/managed-by': 'blink-accounts-operator', 'app.kubernetes.io/component': 'api-key', 'accounts.blinkops.com/service-account': 'admin-bot', 'accounts.blinkops.com/key-id': planted.keyId },
        annotations: { 'accounts.blinkops.com/key-fingerprint': planted.fingerprint, 'accounts.blinkops.com/key-revision': '0', 'accounts.blinkops.com/key-created-at': new Date().toISOString() },
        ownerReferences: [{ apiVersion: 'accounts.blinkops.com/v1alpha1', kind: 'ServiceAccount', name: 'admin-bot', uid: sa.metadata?.uid ?? '', controller: true }],
      },
      type: 'accounts.blinkops.com/api-key',
      data: { apiKey: Buffer.from(planted.key).toString('base64') },
    });
    await client.create(builtinKinds.secret, forged('admin-bot-extra-key') as never);
    // The operator's cache has seen it (the key id is indexed) and still says no.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(verifier.authenticate(planted.key)).toMatchObject({ ok: false });
    await client.delete(builtinKinds.secret, ns.name, 'admin-bot-extra-key');

    // Over the account's own Secret: the planted key never verifies, and is replaced with a Warning.
    const old = await key('admin-bot');
    const keyAltered = async (): Promise<number> => (await eventsText(client, ns.name)).items.filter((e) => e['reason'] === 'KeyAltered' && e['type'] === 'Warning').length;
    const eventsBefore = await keyAltered();
    const current = await getSecret(client, ns.name, 'admin-bot-api-key');
    await client.replace(builtinKinds.secret, { ...forged('admin-bot-api-key'), metadata: { ...(forged('admin-bot-api-key')['metadata'] as object), resourceVersion: current?.metadata?.resourceVersion } } as never);
    const fresh = await eventually(async () => {
      const value = await readKey(client, ns.name, 'admin-bot');
      return value !== old && value !== planted.key ? value : undefined;
    }, 15_000, 'a new key in place of the planted one');
    seenKeys.add(fresh);
    expect(verifier.authenticate(planted.key)).toMatchObject({ ok: false });
    await eventually(async () => (verifier.authenticate(fresh).ok ? true : undefined), 5_000, 'the new key to verify');
    await eventually(async () => ((await keyAltered()) > eventsBefore ? true : undefined), 10_000, 'a KeyAltered Warning');
  });

  it('leaves a Secret of someone else alone and reports the conflict', async () => {
    await client.create(builtinKinds.secret, { metadata: { name: 'squatted-api-key', namespace: ns.name }, stringData: { note: 'not ours' } });
    await createServiceAccount(client, ns.name, 'squatted', { role: 'Consumer' });
    const sa = await waitForServiceAccount(client, ns.name, 'squatted', (s) => s.status?.conditions?.some((c) => c.type === 'KeyIssued' && c.reason === 'SecretConflict') === true);
    expect(sa.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'SecretConflict' });
    expect(sa.status?.keyId).toBeUndefined();
    const secret = await getSecret(client, ns.name, 'squatted-api-key');
    expect(Object.keys(secret?.data ?? {})).toEqual(['note']);
    // Once the name is free, the account gets its key with no other action.
    await client.delete(builtinKinds.secret, ns.name, 'squatted-api-key');
    await client.patch(ACCOUNT_KINDS.serviceAccount, ns.name, 'squatted', { spec: { description: 'nudge' } });
    await waitForServiceAccount(client, ns.name, 'squatted');
    await key('squatted');
    await client.delete(ACCOUNT_KINDS.serviceAccount, ns.name, 'squatted');
  });

  it('prints the key (only the key) and the info (never the key) from the CLI', async () => {
    const value = await key('builder-bot');
    const printed = await cli(['sa', 'key', 'builder-bot', '-n', ns.name]);
    expect(printed.stdout).toBe(value);
    const info = await cli(['sa', 'info', 'builder-bot', '-n', ns.name]);
    const sa = await getServiceAccount(client, ns.name, 'builder-bot');
    expect(info.stdout).toContain(`Key ID:       ${sa.status?.keyId}`);
    expect(info.stdout).toContain(`Fingerprint:  ${sa.status?.fingerprint}`);
    expect(info.stdout).toContain('Secret:       builder-bot-api-key');
    expect(info.stdout).toContain('Role:         Consumer');
    expect(findLeaks([value], { info: info.stdout + info.stderr })).toEqual([]);
    await expect(cli(['sa', 'key', 'nobody', '-n', ns.name])).rejects.toMatchObject({ stderr: expect.stringContaining('ServiceAccount "nobody" not found') });
  });

  it('deletes the Secret with the service account; the key stops verifying at once', async () => {
    const value = await key('builder-bot');
    expect(verifier.authenticate(value).ok).toBe(true);
    await client.delete(ACCOUNT_KINDS.serviceAccount, ns.name, 'builder-bot');
    // The verifier sees the deletionTimestamp (or the deletion) in its cache.
    await eventually(async () => (verifier.authenticate(value).ok ? undefined : true), 2_000, 'the key to stop verifying');
    await eventually(async () => ((await getSecret(client, ns.name, 'builder-bot-api-key')) ? undefined : true), 15_000, 'the Secret to be deleted');
    await eventually(async () => {
      try {
        await getServiceAccount(client, ns.name, 'builder-bot');
        return undefined;
      } catch {
        return true;
      }
    }, 15_000, 'the ServiceAccount to be gone');
    expect(verifier.authenticate(value)).toEqual({ ok: false, reason: 'unknown-key' });
  });

  it('never emits key material: logs, Events, status, metrics', async () => {
    for (const { name } of accounts.filter((a) => a.name !== 'builder-bot')) await key(name);
    const metrics = await scrapeMetrics(`http://127.0.0.1:${operator.manager.metricsServer.port}/metrics`);
    const texts = { logs, events: (await eventsText(client, ns.name)).text, status: await statusesText(client, ns.name), metrics };
    expect(seenKeys.size).toBeGreaterThanOrEqual(7);
    // The scan finds what it looks for: any form of a key in any text.
    const probe = [...seenKeys][0] ?? '';
    expect(findLeaks([probe], { a: `x${probe.slice(22)}x`, b: Buffer.from(probe).toString('base64') })).toHaveLength(3);
    expect(logs).toContain('Issued API key');
    expect(findLeaks(seenKeys, texts)).toEqual([]);
  });
});
