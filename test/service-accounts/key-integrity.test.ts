// Issue 22, point 2, against the real control plane: nothing written into an API-key Secret by
// someone who may patch Secrets steers the operator. The key's revision, issue time and previous
// key come only from the record the operator signed (or from status); a wrong signature means a new
// key and a Warning Event, always; and the verifier accepts only the key status names.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey, hashApiKey } from '../../operator/apikeys/index.js';
import { ACCOUNT_KINDS } from '../../operator/api/index.js';
import type { RunningOperator } from '../../operator/operator.js';
import type { ApiKeyVerifier } from '../../operator/policy/index.js';
import { buildApiKeySecret, ownerReferenceTo } from '../../operator/service-accounts/api-key-secret.js';
import { apiKeyVerifierFeature } from '../../operator/service-accounts/feature.js';
import { KEY_SIGNING_SECRET, SIGNATURE_ANNOTATION } from '../../operator/service-accounts/key-signing.js';
import { builtinKinds } from '../../operator/runtime/kinds.js';
import type { KubeClient } from '../../operator/runtime/kube-client.js';
import { eventually, useNamespace } from '../harness/kube.js';
import { newShard, startTestOperator } from '../harness/operator.js';
import { eventsText, findLeaks, getSecret, readKey } from './fixtures.js';
import { adminClient, createServiceAccount, createTenantWithNamespace, uniqueName, waitForServiceAccount } from '../harness/tenant.js';
import type { SA } from '../harness/tenant.js';

const REVISION = 'accounts.blinkops.com/key-revision';
const CREATED_AT = 'accounts.blinkops.com/key-created-at';
const PREVIOUS_ID = 'accounts.blinkops.com/previous-key-id';
const PREVIOUS_EXPIRES = 'accounts.blinkops.com/previous-key-expires-at';
/** The operator's namespace in tests (startTestOperator's default): where the signing key is. */
const OPERATOR_NAMESPACE = 'blink-accounts-system';

let client: KubeClient;
/** Every key seen, for the final leak scan. */
const seenKeys = new Set<string>();

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

beforeAll(() => {
  client = adminClient();
});

afterAll(() => {
  client?.close();
});

describe('the key record in the Secret, edited by someone who may patch Secrets', () => {
  const ns = useNamespace('sa-integrity');
  const shard = newShard('sa-integrity');
  let operator: RunningOperator;
  let verifier: ApiKeyVerifier;
  let tenant: string;

  beforeAll(async () => {
    tenant = uniqueName('sa');
    await createTenantWithNamespace(client, { name: tenant, shard, namespace: ns.name, spec: { displayName: 'Service account tests' } });
    operator = await startTestOperator({ shard });
    verifier = operator.services.apiKeyVerifier as ApiKeyVerifier;
  });

  afterAll(async () => {
    await operator?.stop();
    await client?.delete(ACCOUNT_KINDS.tenant, undefined, tenant).catch(() => undefined);
  });

  async function key(name: string): Promise<string> {
    const value = await readKey(client, ns.name, name);
    seenKeys.add(value);
    return value;
  }

  async function keyAlteredWarnings(name: string): Promise<number> {
    return (await eventsText(client, ns.name)).items.filter((e) => e['reason'] === 'KeyAltered' && e['type'] === 'Warning' && (e['regarding'] as { name?: string }).name === name).length;
  }

  /** Waits until the Secret holds a key other than `old`, and returns it. */
  async function newKeyAfter(name: string, old: string): Promise<string> {
    const fresh = await eventually(async () => {
      const value = await readKey(client, ns.name, name);
      return value !== old ? value : undefined;
    }, 15_000, `a new key for ${name}`);
    seenKeys.add(fresh);
    return fresh;
  }

  async function patchSecret(name: string, patch: object): Promise<void> {
    await client.patch(builtinKinds.secret, ns.name, `${name}-api-key`, patch);
  }

  it('a revision annotation set to 2^53-1 does not stop a later revision bump from rotating', async () => {
    await createServiceAccount(client, ns.name, 'frozen', { role: 'Builder' });
    await waitForServiceAccount(client, ns.name, 'frozen');
    const original = await key('frozen');
    await patchSecret('frozen', { metadata: { annotations: { [REVISION]: String(2 ** 53 - 1) } } });
    // The edit broke the signature: a new key and a Warning, never the edited revision signed.
    const repaired = await newKeyAfter('frozen', original);
    await eventually(async () => ((await keyAlteredWarnings('frozen')) > 0 ? true : undefined), 10_000, 'a KeyAltered Warning');
    const afterRepair = await waitForServiceAccount(client, ns.name, 'frozen', (s) => s.status?.keyId !== undefined && repaired.includes(s.status.keyId));
    expect(afterRepair.status?.keyRevision).toBe(0);
    expect((await getSecret(client, ns.name, 'frozen-api-key'))?.metadata?.annotations?.[REVISION]).toBe('0');

    for (const revision of [1, 2]) {
      const before = await key('frozen');
      await client.patch(ACCOUNT_KINDS.serviceAccount, ns.name, 'frozen', { spec: { keyRotation: { revision } } });
      const rotated = await waitForServiceAccount(client, ns.name, 'frozen', (s) => s.status?.keyRevision === revision, 20_000);
      const fresh = await key('frozen');
      expect(fresh).not.toBe(before);
      expect(rotated.status?.keyId && fresh.includes(rotated.status.keyId)).toBe(true);
      await eventually(async () => (verifier.authenticate(fresh).ok ? true : undefined), 5_000, 'the rotated key to verify');
      expect(verifier.authenticate(before)).toMatchObject({ ok: false });
    }
    expect(verifier.authenticate(original)).toMatchObject({ ok: false });
  });

  it('a stretched expiry of the previous key does not keep it working past its grace period', async () => {
    await createServiceAccount(client, ns.name, 'stretched', { role: 'Builder', keyRotation: { gracePeriod: '3s' } });
    await waitForServiceAccount(client, ns.name, 'stretched');
    const old = await key('stretched');
    await client.patch(ACCOUNT_KINDS.serviceAccount, ns.name, 'stretched', { spec: { keyRotation: { revision: 1 } } });
    await waitForServiceAccount(client, ns.name, 'stretched', (s) => s.status?.keyRevision === 1);
    const rotatedAt = Date.now();
    const current = await key('stretched');
    await eventually(async () => (verifier.authenticate(old).ok ? true : undefined), 5_000, 'the previous key to verify in its grace period');
    // An hour more for the previous key, and an issue time that makes that look like the grace period.
    const expires = Date.now() + 3_600_000;
    await patchSecret('stretched', { metadata: { annotations: { [PREVIOUS_EXPIRES]: new Date(expires).toISOString(), [CREATED_AT]: new Date(expires - 3_000).toISOString() } } });
    await newKeyAfter('stretched', current);
    await sleep(Math.max(0, rotatedAt + 4_500 - Date.now()));
    expect(verifier.authenticate(old)).toMatchObject({ ok: false });
    expect(verifier.authenticate(current)).toMatchObject({ ok: false });
    const secret = await getSecret(client, ns.name, 'stretched-api-key');
    expect(secret?.metadata?.annotations?.[PREVIOUS_ID]).toBeUndefined();
    await eventually(async () => ((await keyAlteredWarnings('stretched')) > 0 ? true : undefined), 10_000, 'a KeyAltered Warning');
  });

  it('a previous key written back after its grace period ended is not resurrected', async () => {
    await createServiceAccount(client, ns.name, 'revenant', { role: 'Builder', keyRotation: { gracePeriod: '2s' } });
    await waitForServiceAccount(client, ns.name, 'revenant');
    const old = await key('revenant');
    const oldId = (await waitForServiceAccount(client, ns.name, 'revenant')).status?.keyId ?? '';
    await client.patch(ACCOUNT_KINDS.serviceAccount, ns.name, 'revenant', { spec: { keyRotation: { revision: 1 } } });
    await waitForServiceAccount(client, ns.name, 'revenant', (s) => s.status?.keyRevision === 1);
    const current = await key('revenant');
    // The grace period ends and the operator removes the previous key.
    await eventually(async () => ((await getSecret(client, ns.name, 'revenant-api-key'))?.metadata?.annotations?.[PREVIOUS_ID] === undefined ? true : undefined), 15_000, 'the previous key removed');
    expect(verifier.authenticate(old)).toMatchObject({ ok: false });
    const signatureBefore = (await getSecret(client, ns.name, 'revenant-api-key'))?.metadata?.annotations?.[SIGNATURE_ANNOTATION];
    // Everything of a previous key but the signature, written back by someone who kept the old key.
    const expires = Date.now() + 3_600_000;
    await patchSecret('revenant', {
      metadata: { annotations: { [PREVIOUS_ID]: oldId, [PREVIOUS_EXPIRES]: new Date(expires).toISOString(), [CREATED_AT]: new Date(expires - 2_000).toISOString() } },
      data: { previousKeyHash: Buffer.from(hashApiKey(old)).toString('base64') },
    });
    // Whatever the operator does about it (it re-signs or replaces the record), the old key stays dead.
    await eventually(async () => ((await getSecret(client, ns.name, 'revenant-api-key'))?.metadata?.annotations?.[SIGNATURE_ANNOTATION] !== signatureBefore ? true : undefined), 15_000, 'the operator to act on the edit');
    await sleep(500);
    expect(verifier.authenticate(old)).toMatchObject({ ok: false });
    expect(await key('revenant')).not.toBe(current);
    await eventually(async () => ((await keyAlteredWarnings('revenant')) > 0 ? true : undefined), 10_000, 'a KeyAltered Warning');
  });

  it('a tampered signature over the very key status names still means a new key and a Warning Event', async () => {
    await createServiceAccount(client, ns.name, 'tampered', { role: 'Consumer' });
    await waitForServiceAccount(client, ns.name, 'tampered');
    const old = await key('tampered');
    await patchSecret('tampered', { metadata: { annotations: { [SIGNATURE_ANNOTATION]: `v1.${'f'.repeat(64)}` } } });
    const fresh = await newKeyAfter('tampered', old);
    await eventually(async () => ((await keyAlteredWarnings('tampered')) > 0 ? true : undefined), 10_000, 'a KeyAltered Warning');
    await waitForServiceAccount(client, ns.name, 'tampered', (s) => s.status?.keyId !== undefined && fresh.includes(s.status.keyId));
    expect(verifier.authenticate(old)).toMatchObject({ ok: false });
    await eventually(async () => (verifier.authenticate(fresh).ok ? true : undefined), 5_000, 'the new key to verify');
  });

  it('a record from before signatures is signed once from status: the same key, status\'s revision, no previous key', async () => {
    await createServiceAccount(client, ns.name, 'legacy', { role: 'Builder', keyRotation: { gracePeriod: '1h' } });
    await waitForServiceAccount(client, ns.name, 'legacy');
    const first = await key('legacy');
    await client.patch(ACCOUNT_KINDS.serviceAccount, ns.name, 'legacy', { spec: { keyRotation: { revision: 1 } } });
    const rotated = await waitForServiceAccount(client, ns.name, 'legacy', (s) => s.status?.keyRevision === 1 && s.status.previousKeyId !== undefined);
    const current = await key('legacy');
    await eventually(async () => (verifier.authenticate(first).ok ? true : undefined), 5_000, 'the previous key to verify in its grace period');
    // What an unsigned record looked like, with a revision nobody signed.
    await patchSecret('legacy', { metadata: { annotations: { [SIGNATURE_ANNOTATION]: null, [REVISION]: String(2 ** 53 - 1) } } });
    const signed = await eventually(async () => {
      const s = await getSecret(client, ns.name, 'legacy-api-key');
      return s?.metadata?.annotations?.[SIGNATURE_ANNOTATION] ? s : undefined;
    }, 15_000, 'the record signed again');
    expect(await key('legacy')).toBe(current);
    expect(signed.metadata?.annotations?.[REVISION]).toBe('1');
    expect(signed.metadata?.annotations?.[PREVIOUS_ID]).toBeUndefined();
    expect(Object.keys(signed.data ?? {})).toEqual(['apiKey']);
    const after = await waitForServiceAccount(client, ns.name, 'legacy', (s) => s.status?.previousKeyId === undefined);
    expect(after.status?.keyId).toBe(rotated.status?.keyId);
    await eventually(async () => (verifier.authenticate(first).ok ? undefined : true), 5_000, 'the previous key to stop verifying');
    expect(verifier.authenticate(current)).toMatchObject({ ok: true, keyState: 'current' });
    expect(await keyAlteredWarnings('legacy')).toBe(0);
    // And the next bump rotates.
    await client.patch(ACCOUNT_KINDS.serviceAccount, ns.name, 'legacy', { spec: { keyRotation: { revision: 2 } } });
    await waitForServiceAccount(client, ns.name, 'legacy', (s) => s.status?.keyRevision === 2);
    expect(await key('legacy')).not.toBe(current);
  });

  it('leaks no key into Events or status', async () => {
    const statuses = JSON.stringify((await client.list(ACCOUNT_KINDS.serviceAccount, { namespace: ns.name })).items.map((o) => o['status']));
    expect(findLeaks(seenKeys, { events: (await eventsText(client, ns.name)).text, statuses })).toEqual([]);
  });
});

// A replica that runs only the verifier (no controller ever repairs anything here), so a validly
// signed Secret that status no longer names stays in place while the verifier is asked.
describe('the verifier, for a validly signed key that status does not name', () => {
  const ns = useNamespace('sa-integrity-verifier');
  const shard = newShard('sa-integrity-verifier');
  let reader: RunningOperator;
  let verifier: ApiKeyVerifier;
  let tenant: string;
  let sa: SA;
  let signingKey: Buffer;
  const k1 = generateApiKey();
  const k2 = generateApiKey();

  async function setStatus(status: Record<string, unknown>): Promise<void> {
    await client.patch(ACCOUNT_KINDS.serviceAccount, ns.name, 'replayed', { status }, { subresource: 'status' });
  }

  /** Writes the Secret as the operator would have: `current` signed, with `previous` in its grace period. */
  async function writeSecret(current: typeof k1, previous?: typeof k1): Promise<void> {
    const existing = await getSecret(client, ns.name, 'replayed-api-key');
    const body = buildApiKeySecret({
      namespace: ns.name,
      name: 'replayed-api-key',
      labels: { 'app.kubernetes.io/managed-by': 'blink-accounts-operator', 'app.kubernetes.io/component': 'api-key', 'accounts.blinkops.com/service-account': 'replayed', 'accounts.blinkops.com/key-id': current.keyId },
      owner: ownerReferenceTo(sa),
      content: {
        key: current.key,
        record: { keyId: current.keyId, fingerprint: current.fingerprint, revision: 0, createdAt: new Date().toISOString() },
        previous: previous ? { keyId: previous.keyId, hash: hashApiKey(previous.key), expiresAt: Date.now() + 3_600_000 } : undefined,
      },
      signingKey,
      resourceVersion: existing?.metadata?.resourceVersion,
    });
    if (existing) await client.replace(builtinKinds.secret, body);
    else await client.create(builtinKinds.secret, body);
  }

  beforeAll(async () => {
    seenKeys.add(k1.key).add(k2.key);
    tenant = uniqueName('sa');
    await createTenantWithNamespace(client, { name: tenant, shard, namespace: ns.name, spec: { displayName: 'Service account tests' } });
    reader = await startTestOperator({ shard }, [apiKeyVerifierFeature]);
    verifier = reader.services.apiKeyVerifier as ApiKeyVerifier;
    const stored = await client.get<{ data?: Record<string, string> }>(builtinKinds.secret, OPERATOR_NAMESPACE, KEY_SIGNING_SECRET);
    signingKey = Buffer.from(stored.data?.['key'] ?? '', 'base64');
    sa = await createServiceAccount(client, ns.name, 'replayed', { role: 'Builder', keyRotation: { gracePeriod: '2h' } });
  });

  afterAll(async () => {
    await reader?.stop();
    await client?.delete(ACCOUNT_KINDS.tenant, undefined, tenant).catch(() => undefined);
  });

  it('accepts the key status names, and refuses it once status names another key (a replayed Secret)', async () => {
    await writeSecret(k1);
    await setStatus({ keyId: k1.keyId });
    // The fixture is what the operator writes: the key verifies.
    await eventually(async () => (verifier.authenticate(k1.key).ok ? true : undefined), 10_000, 'k1 to verify while status names it');
    // The operator moved on to k2 (status says so); the old, validly signed Secret came back.
    await setStatus({ keyId: k2.keyId });
    await eventually(async () => (verifier.authenticate(k1.key).ok ? undefined : true), 10_000, 'k1 to be refused once status names k2');
    expect(verifier.authenticate(k1.key)).toEqual({ ok: false, reason: 'unknown-key' });
  });

  it('accepts a previous key only while status names it as the previous key, before the expiry status gives', async () => {
    await writeSecret(k2, k1);
    await setStatus({ keyId: k2.keyId, previousKeyId: k1.keyId, previousKeyExpiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    await eventually(async () => (verifier.authenticate(k1.key).ok ? true : undefined), 10_000, 'k1 to verify as the previous key');
    expect(verifier.authenticate(k1.key)).toMatchObject({ ok: true, keyState: 'previous' });
    // A repair dropped the previous key (status names none), but a Secret from the grace period came back.
    await client.patch(ACCOUNT_KINDS.serviceAccount, ns.name, 'replayed', { status: { previousKeyId: null, previousKeyExpiresAt: null } }, { subresource: 'status' });
    await eventually(async () => (verifier.authenticate(k1.key).ok ? undefined : true), 10_000, 'the previous key to be refused');
    expect(verifier.authenticate(k1.key)).toEqual({ ok: false, reason: 'expired' });
    expect(verifier.authenticate(k2.key)).toMatchObject({ ok: true, keyState: 'current' });
  });
});
