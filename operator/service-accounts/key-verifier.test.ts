import { describe, expect, it } from 'vitest';
import type { ServiceAccount } from '../api/index.js';
import { generateApiKey, hashApiKey } from '../apikeys/index.js';
import type { GeneratedApiKey } from '../apikeys/index.js';
import type { KubeObject } from '../runtime/kinds.js';
import type { CachedApiKeySecret } from './api-key-secret.js';
import { buildApiKeySecret, ownerReferenceTo, toCachedApiKeySecret } from './api-key-secret.js';
import type { VerifierSources } from './key-verifier.js';
import { createApiKeyVerifier } from './key-verifier.js';

const NOW = Date.UTC(2026, 0, 1, 12);
const SIGNING_KEY = Buffer.alloc(32, 9);
type SA = ServiceAccount & KubeObject;

function account(overrides: Partial<SA['metadata']> = {}, role: SA['spec']['role'] = 'Builder'): SA {
  return { metadata: { name: 'ci', namespace: 'tenant-acme', uid: 'uid-1', ...overrides }, spec: { role, workspaces: ['a', 'gone'] } } as SA;
}

function setup(options: { status?: (currentKeyId: string) => Record<string, unknown>; sa?: SA | undefined; previous?: { key: GeneratedApiKey; expiresAt: number }; edit?: (s: KubeObject) => void; signingKey?: Buffer; name?: string } = {}) {
  const current = generateApiKey();
  const given = 'sa' in options ? options.sa : account();
  // Status names the key the Secret was written with (and its previous key), as the operator writes it.
  const sa: SA | undefined =
    given && options.status
      ? ({ ...given, status: options.status(current.keyId) } as SA)
      : given && !given.status
      ? ({
          ...given,
          status: {
            keyId: current.keyId,
            ...(options.previous ? { previousKeyId: options.previous.key.keyId, previousKeyExpiresAt: new Date(options.previous.expiresAt).toISOString() } : {}),
          },
        } as SA)
      : given;
  const raw = buildApiKeySecret({
    namespace: 'tenant-acme',
    name: options.name ?? 'ci-api-key',
    labels: { 'accounts.blinkops.com/service-account': 'ci' },
    signingKey: options.signingKey ?? SIGNING_KEY,
    owner: ownerReferenceTo(account()),
    content: {
      key: current.key,
      record: { keyId: current.keyId, fingerprint: current.fingerprint, revision: 1, createdAt: new Date(NOW).toISOString() },
      previous: options.previous ? { keyId: options.previous.key.keyId, hash: hashApiKey(options.previous.key.key), expiresAt: options.previous.expiresAt } : undefined,
    },
  });
  options.edit?.(raw);
  const secret = toCachedApiKeySecret(raw);
  const secrets: CachedApiKeySecret[] = [secret];
  const sources: VerifierSources = {
    secretsWithKeyId: (id) => secrets.filter((s) => s.observedKey.keyId === id || s.metadata?.annotations?.['accounts.blinkops.com/previous-key-id'] === id),
    serviceAccount: (ns, name) => (sa && ns === 'tenant-acme' && name === 'ci' ? sa : undefined),
    tenantOf: (ns) => (ns === 'tenant-acme' ? 'acme' : undefined),
    workspacesIn: () => ['a', 'b'],
    now: () => NOW,
    signingKey: SIGNING_KEY,
  };
  const noted: string[] = [];
  const verifier = createApiKeyVerifier({ ...sources, usage: { note: (ns, name, keyId, at) => noted.push(`${ns}/${name}/${keyId}@${at}`) } });
  return { verifier, key: current.key, keyId: current.keyId, secret, noted };
}

describe('ApiKeyVerifier', () => {
  it('authenticates the current key to its service account, role and existing workspaces', () => {
    const { verifier, key } = setup();
    expect(verifier.authenticate(key)).toMatchObject({ ok: true, tenant: 'acme', namespace: 'tenant-acme', name: 'ci', uid: 'uid-1', role: 'Builder', workspaces: ['a'], keyState: 'current' });
  });

  it('gives an Admin every workspace of the tenant', () => {
    const { verifier, key } = setup({ sa: account({}, 'Admin') });
    expect(verifier.authenticate(key)).toMatchObject({ ok: true, workspaces: ['a', 'b'] });
  });

  it('keeps no key in the cached Secret', () => {
    const { secret, key } = setup();
    expect(JSON.stringify(secret)).not.toContain(key);
    expect(JSON.stringify(secret)).not.toContain(Buffer.from(key).toString('base64'));
  });

  it.each<[string, (key: string) => string, string]>([
    ['a typo', (k) => k.slice(0, -8) + (k.at(-8) === 'a' ? 'b' : 'a') + k.slice(-7), 'malformed'],
    ['another prefix', (k) => k.replace('blink_sa_', 'blink_xx_'), 'malformed'],
    ['a well-formed unknown key', () => generateApiKey().key, 'unknown-key'],
  ])('rejects %s', (_name, change, reason) => {
    const { verifier, key } = setup();
    expect(verifier.authenticate(change(key))).toEqual({ ok: false, reason });
  });

  it.each<[string, SA | undefined]>([
    ['is gone', undefined],
    ['is being deleted', account({ deletionTimestamp: '2026-01-01T00:00:00Z' } as unknown as Partial<SA['metadata']>)],
    ['was recreated (other uid)', account({ uid: 'uid-2' })],
  ])('rejects the key when its service account %s', (_name, sa) => {
    const { verifier, key } = setup({ sa });
    expect(verifier.authenticate(key)).toEqual({ ok: false, reason: 'no-service-account' });
  });

  it('rejects a key edited in the Secret, even though it is well formed', () => {
    const other = generateApiKey();
    const { verifier } = setup({ edit: (s) => ((s as { data: Record<string, string> }).data['apiKey'] = Buffer.from(other.key).toString('base64')) });
    expect(verifier.authenticate(other.key)).toEqual({ ok: false, reason: 'unknown-key' });
  });

  it('rejects a key planted with a well-formed record by someone without the signing key', () => {
    // Everything an attacker who can write Secrets in the tenant namespace can write: the key, its
    // labels, the owner reference, the fingerprint and issue annotations. Only the signature is wrong.
    const { verifier, key } = setup({ signingKey: Buffer.alloc(32, 1) });
    expect(verifier.authenticate(key)).toEqual({ ok: false, reason: 'unknown-key' });
  });

  it('rejects a validly signed key in a Secret that is not the account\'s own', () => {
    const { verifier, key } = setup({ name: 'ci-copy' });
    expect(verifier.authenticate(key)).toEqual({ ok: false, reason: 'unknown-key' });
  });

  it('rejects the previous key when its expiry was pushed back in the annotations', () => {
    const old = generateApiKey();
    const { verifier } = setup({
      previous: { key: old, expiresAt: NOW - 1 },
      edit: (s) => ((s.metadata?.annotations ?? {})['accounts.blinkops.com/previous-key-expires-at'] = new Date(NOW + 3_600_000).toISOString()),
    });
    expect(verifier.authenticate(old.key)).toMatchObject({ ok: false });
  });

  it('rejects the previous key beyond the grace period the spec allows now', () => {
    const old = generateApiKey();
    const sa = { ...account(), spec: { ...account().spec, keyRotation: { revision: 1, gracePeriod: '1m' } } } as SA;
    expect(setup({ sa, previous: { key: old, expiresAt: NOW + 30_000 } }).verifier.authenticate(old.key)).toMatchObject({ ok: true, keyState: 'previous' });
    // Issued with a 1h grace period, then the spec was cut to 1m: the previous key stops at once.
    expect(setup({ sa, previous: { key: old, expiresAt: NOW + 3_600_000 } }).verifier.authenticate(old.key)).toEqual({ ok: false, reason: 'expired' });
  });

  it('accepts the previous key during its grace period only', () => {
    const old = generateApiKey();
    const during = setup({ previous: { key: old, expiresAt: NOW + 1 } });
    expect(during.verifier.authenticate(old.key)).toMatchObject({ ok: true, keyState: 'previous', keyId: old.keyId });
    const after = setup({ previous: { key: old, expiresAt: NOW } });
    expect(after.verifier.authenticate(old.key)).toEqual({ ok: false, reason: 'expired' });
  });

  // Issue 22: status (written only by the operator) must name the key, whatever the signed Secret holds.
  it('refuses a validly signed key whose id is not the one status names (a replayed older Secret)', () => {
    const sa = { ...account(), status: { keyId: 'NotThisKey01' } } as SA;
    const { verifier, key } = setup({ sa });
    expect(verifier.authenticate(key)).toEqual({ ok: false, reason: 'unknown-key' });
  });

  it.each<[string, (current: string, previous: string) => Record<string, unknown>, boolean]>([
    ['named as previous, before the expiry status gives', (c, p) => ({ keyId: c, previousKeyId: p, previousKeyExpiresAt: new Date(NOW + 60_000).toISOString() }), true],
    ['still named as current (the rotation\'s status write is on its way)', (_c, p) => ({ keyId: p }), true],
    ['not named at all (a repair dropped it; the Secret was replayed)', (c) => ({ keyId: c }), false],
    ['named as previous, but status says it expired', (c, p) => ({ keyId: c, previousKeyId: p, previousKeyExpiresAt: new Date(NOW).toISOString() }), false],
  ])('the previous key, %s: verifies = %s', (_name, status, verifies) => {
    const old = generateApiKey();
    const sa = { ...account(), spec: { ...account().spec, keyRotation: { gracePeriod: '1h' } } } as SA;
    const { verifier } = setup({ previous: { key: old, expiresAt: NOW + 60_000 }, sa, status: (current) => status(current, old.keyId) });
    expect(verifier.authenticate(old.key).ok).toBe(verifies);
  });

  describe('last use and expiry when unused (spec.keyRotation.expireUnusedAfter)', () => {
    const DAY = 86_400_000;
    const unused = (lastUsedAt: number | undefined, expireUnusedAfter = '24h') =>
      setup({
        sa: { ...account(), spec: { role: 'Builder', workspaces: ['a'], keyRotation: { expireUnusedAfter } } } as SA,
        status: (keyId) => ({ keyId, keyCreatedAt: new Date(NOW - 3 * DAY).toISOString(), ...(lastUsedAt !== undefined ? { keyLastUsedAt: new Date(lastUsedAt).toISOString() } : {}) }),
      });

    it('tells the usage recorder of every key that verified, and of no other', () => {
      const { verifier, key, keyId, noted } = setup();
      expect(verifier.authenticate(key)).toMatchObject({ ok: true });
      // A typo in the last character (one that differs from it: a random key may end in 'x').
      expect(verifier.authenticate(`${key.slice(0, -1)}${key.endsWith('x') ? 'y' : 'x'}`)).toMatchObject({ ok: false });
      expect(noted).toEqual([`tenant-acme/ci/${keyId}@${NOW}`]);
    });

    it.each<[string, number | undefined, boolean]>([
      ['issued 3 days ago, never used', undefined, false],
      ['last used 25 hours ago', NOW - 25 * 3_600_000, false],
      ['last used 23 hours ago', NOW - 23 * 3_600_000, true],
    ])('%s, 24h allowed: verifies %s', (_what, lastUsedAt, ok) => {
      const { verifier, key, noted } = unused(lastUsedAt);
      const answer = verifier.authenticate(key);
      expect(answer.ok).toBe(ok);
      if (!ok) expect(answer).toEqual({ ok: false, reason: 'expired-unused' });
      // A refused key is not a use: it cannot keep itself alive.
      expect(noted).toHaveLength(ok ? 1 : 0);
    });
  });
});
