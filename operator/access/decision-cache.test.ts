// The precomputed decisions (decision-cache.ts, with the verified keys of
// service-accounts/verified-keys.ts) against the straightforward ones (decide.ts
// over the same caches, every key verified afresh), over real informers seeded by
// hand: each kind of change is seen by the very next answer, and over generated
// directories and sequences of changes both answer alike.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ServiceAccount, User, Workspace } from '../api/index.js';
import { generateApiKey, hashApiKey } from '../apikeys/index.js';
import type { GeneratedApiKey } from '../apikeys/index.js';
import { seededRandom } from '../apikeys/seeded-random.js';
import type { Cached } from '../context.js';
import { fakeOperatorContext, tenantNamespace, tenantObject } from '../context.fixture.js';
import { ManualClock } from '../runtime/clock.js';
import { seededCache } from '../runtime/fake-cache.js';
import type { SeededCache } from '../runtime/fake-cache.js';
import { builtinKinds } from '../runtime/kinds.js';
import type { CachedApiKeySecret } from '../service-accounts/api-key-secret.js';
import { buildApiKeySecret, KEY_ID_INDEX, keyIdsOf, ownerReferenceTo, toCachedApiKeySecret } from '../service-accounts/api-key-secret.js';
import { cacheSources, createApiKeyVerifier } from '../service-accounts/key-verifier.js';
import { keptKeyVerifier } from '../service-accounts/verified-keys.js';
import { cachedDecisions } from './decision-cache.js';
import { directDecisions } from './decide.js';
import type { AccessDecisions } from './decide.js';
import { cacheDirectory } from './directory.js';
import type { AuthorizeRequest } from './request.js';

const NS = 'tenant-acme';
const NOW = Date.UTC(2026, 0, 1, 12);
const SIGNING_KEY = Buffer.alloc(32, 7);
let version = 1;
const rv = (): string => String(++version);
/** `object` at a new resourceVersion, with `meta` (a deletionTimestamp, labels) merged into its metadata. */
const next = <T extends { metadata?: object }>(object: T, meta: Record<string, unknown> = {}): T => ({ ...object, metadata: { ...object.metadata, resourceVersion: rv(), ...meta } }) as T;
const DELETING = { deletionTimestamp: '2026-01-01T00:00:00Z' };

const user = (name: string, email: string, spec: Partial<User['spec']> = {}, phase = 'Active', meta: Record<string, unknown> = {}): Cached<User> =>
  ({ metadata: { name, namespace: NS, uid: `uid-${name}`, resourceVersion: rv(), creationTimestamp: '2026-01-01T00:00:00Z', ...meta }, spec: { email, role: 'Builder', workspaces: ['ws1'], ...spec }, status: { phase } }) as Cached<User>;
const account = (name: string, spec: Partial<ServiceAccount['spec']> = {}, meta: Record<string, unknown> = {}, status: Record<string, unknown> = {}): Cached<ServiceAccount> =>
  ({ metadata: { name, namespace: NS, uid: `uid-${name}`, resourceVersion: rv(), ...meta }, spec: { role: 'Builder', workspaces: ['ws1'], ...spec }, status }) as Cached<ServiceAccount>;
const workspace = (name: string, meta: Record<string, unknown> = {}): Cached<Workspace> => ({ metadata: { name, namespace: NS, uid: `uid-ws-${name}`, resourceVersion: rv(), ...meta }, spec: {} }) as Cached<Workspace>;

/** The signed key Secret of `sa` holding `key` (and a previous key until `previous.expiresAt`), as the operator writes it and the cache keeps it. */
function keySecret(sa: Cached<ServiceAccount>, key: GeneratedApiKey, previous?: { key: GeneratedApiKey; expiresAt: number }): CachedApiKeySecret {
  const raw = buildApiKeySecret({
    namespace: NS,
    name: `${sa.metadata?.name ?? ''}-api-key`,
    labels: { 'accounts.blinkops.com/service-account': sa.metadata?.name ?? '' },
    signingKey: SIGNING_KEY,
    owner: ownerReferenceTo(sa),
    content: {
      key: key.key,
      record: { keyId: key.keyId, fingerprint: key.fingerprint, revision: 1, createdAt: new Date(NOW).toISOString() },
      previous: previous ? { keyId: previous.key.keyId, hash: hashApiKey(previous.key.key), expiresAt: previous.expiresAt } : undefined,
    },
  });
  const cached = toCachedApiKeySecret(raw);
  return { ...cached, metadata: { ...cached.metadata, resourceVersion: rv() } };
}

interface World {
  readonly cached: ReturnType<typeof cachedDecisions>;
  readonly direct: AccessDecisions;
  readonly clock: ManualClock;
  readonly caches: Awaited<ReturnType<typeof fakeOperatorContext>>['caches'];
  readonly secrets: SeededCache<CachedApiKeySecret>;
  /** Verified keys the verifier keeps. */
  keptKeys(): number;
  /** Asks both and expects the same answer; returns it. */
  authorize(request: AuthorizeRequest): ReturnType<AccessDecisions['authorize']>;
  authenticate(apiKey: string): ReturnType<AccessDecisions['authenticate']>;
}

async function world(seed: { users?: Cached<User>[]; serviceAccounts?: Cached<ServiceAccount>[]; workspaces?: Cached<Workspace>[]; secrets?: CachedApiKeySecret[]; allowedEmailDomains?: string[] } = {}): Promise<World> {
  const clock = new ManualClock(NOW);
  const fake = await fakeOperatorContext({
    clock,
    tenants: [tenantObject('acme', seed.allowedEmailDomains ? { allowedEmailDomains: seed.allowedEmailDomains } : {}), tenantObject('globex')],
    namespaces: [tenantNamespace('acme'), tenantNamespace('globex')],
    users: seed.users ?? [],
    serviceAccounts: seed.serviceAccounts ?? [],
    workspaces: seed.workspaces ?? [workspace('ws1'), workspace('ws2')],
  });
  const secrets = await seededCache<CachedApiKeySecret>(builtinKinds.secret, seed.secrets ?? [], { [KEY_ID_INDEX]: keyIdsOf });
  const sources = cacheSources(fake.ctx, secrets.informer, SIGNING_KEY);
  const verifier = keptKeyVerifier(sources, { secrets: secrets.informer, caches: fake.ctx.caches });
  const cached = cachedDecisions(fake.ctx, verifier);
  const direct = directDecisions(cacheDirectory(fake.ctx, createApiKeyVerifier(sources)));
  return {
    cached,
    direct,
    clock,
    caches: fake.caches,
    secrets,
    keptKeys: () => verifier.size(),
    authorize(request) {
      const answer = cached.authorize(request);
      expect(answer).toEqual(direct.authorize(request));
      return answer;
    },
    authenticate(apiKey) {
      const answer = cached.authenticate({ apiKey });
      expect(answer).toEqual(direct.authenticate({ apiKey }));
      return answer;
    },
  };
}

const ask = (principal: AuthorizeRequest['principal'], action: AuthorizeRequest['action'] = 'read', workspaceName: string | undefined = 'ws1', tenant = 'acme'): AuthorizeRequest => ({
  tenant,
  principal,
  action,
  ...(workspaceName !== undefined && (action === 'read' || action === 'write' || action === 'execute') ? { workspace: workspaceName } : {}),
});

describe('cachedDecisions: every kind of change is in the very next answer', () => {
  it('a user deactivated, its role changed, its workspaces changed, deleted', async () => {
    const jane = user('jane', 'jane@acme.io', { role: 'Admin' });
    const w = await world({ users: [jane] });
    const settings = ask({ user: 'Jane@ACME.io' }, 'settings');
    expect(w.authorize(settings)).toMatchObject({ allowed: true });
    // Asked again: the kept answer.
    expect(w.authorize(settings)).toMatchObject({ allowed: true });
    w.caches.users.set({ ...jane, metadata: { ...jane.metadata, resourceVersion: rv() }, spec: { ...jane.spec, active: false } });
    expect(w.authorize(settings)).toMatchObject({ allowed: false, reason: 'PrincipalNotActive' });
    w.caches.users.set({ ...jane, metadata: { ...jane.metadata, resourceVersion: rv() }, spec: { ...jane.spec, role: 'Consumer' } });
    expect(w.authorize(settings)).toMatchObject({ allowed: false, reason: 'RoleLacksAction' });
    expect(w.authorize(ask({ user: 'jane@acme.io' }, 'write', 'ws1'))).toMatchObject({ allowed: true, reason: 'WorkspaceMember' });
    w.caches.users.set({ ...jane, metadata: { ...jane.metadata, resourceVersion: rv() }, spec: { ...jane.spec, role: 'Consumer', workspaces: ['ws2'] } });
    expect(w.authorize(ask({ user: 'jane@acme.io' }, 'write', 'ws1'))).toMatchObject({ allowed: false, reason: 'NotInWorkspace' });
    w.caches.users.remove(jane);
    expect(w.authorize(ask({ user: 'jane@acme.io' }, 'write', 'ws2'))).toMatchObject({ allowed: false, reason: 'UnknownPrincipal' });
  });

  it('a user whose email changes: the old address stops answering for it, the new one starts', async () => {
    const jane = user('jane', 'jane@acme.io');
    const w = await world({ users: [jane] });
    expect(w.authorize(ask({ user: 'jane@acme.io' }))).toMatchObject({ allowed: true });
    expect(w.authorize(ask({ user: 'j@acme.io' }))).toMatchObject({ allowed: false, reason: 'UnknownPrincipal' });
    w.caches.users.set({ ...jane, metadata: { ...jane.metadata, resourceVersion: rv() }, spec: { ...jane.spec, email: 'j@acme.io' } });
    expect(w.authorize(ask({ user: 'jane@acme.io' }))).toMatchObject({ allowed: false, reason: 'UnknownPrincipal' });
    expect(w.authorize(ask({ user: 'j@acme.io' }))).toMatchObject({ allowed: true });
  });

  it('an older User with the same email appears: it owns the email from the next answer on', async () => {
    const w = await world({ users: [user('young', 'x@acme.io', { role: 'Admin' }, 'Active', { creationTimestamp: '2026-01-02T00:00:00Z' })] });
    expect(w.authorize(ask({ user: 'x@acme.io' }, 'settings'))).toMatchObject({ allowed: true });
    w.caches.users.set(user('old', 'X@acme.io', { role: 'Consumer' }, 'Invited', { creationTimestamp: '2026-01-01T00:00:00Z' }));
    expect(w.authorize(ask({ user: 'x@acme.io' }, 'settings'))).toMatchObject({ allowed: false, reason: 'PrincipalNotActive' });
  });

  it('a service account deleting, deleted, its role changed', async () => {
    const ci = account('ci', { role: 'Admin' });
    const w = await world({ serviceAccounts: [ci] });
    expect(w.authorize(ask({ serviceAccount: 'ci' }, 'settings'))).toMatchObject({ allowed: true });
    w.caches.serviceAccounts.set({ ...ci, metadata: { ...ci.metadata, resourceVersion: rv() }, spec: { ...ci.spec, role: 'Consumer' } });
    expect(w.authorize(ask({ serviceAccount: 'ci' }, 'settings'))).toMatchObject({ allowed: false, reason: 'RoleLacksAction' });
    w.caches.serviceAccounts.set(next(ci, DELETING));
    expect(w.authorize(ask({ serviceAccount: 'ci' }, 'portal'))).toMatchObject({ allowed: false, reason: 'UnknownPrincipal' });
    w.caches.serviceAccounts.set({ ...ci, metadata: { ...ci.metadata, resourceVersion: rv() } });
    expect(w.authorize(ask({ serviceAccount: 'ci' }, 'portal'))).toMatchObject({ allowed: true });
    w.caches.serviceAccounts.remove(ci);
    expect(w.authorize(ask({ serviceAccount: 'ci' }, 'portal'))).toMatchObject({ allowed: false, reason: 'UnknownPrincipal' });
  });

  it('a workspace deleted, then made again', async () => {
    const ws1 = workspace('ws1');
    const w = await world({ users: [user('jane', 'jane@acme.io')], workspaces: [ws1] });
    expect(w.authorize(ask({ user: 'jane@acme.io' }, 'read', 'ws1'))).toMatchObject({ allowed: true });
    w.caches.workspaces.set(next(ws1, DELETING));
    expect(w.authorize(ask({ user: 'jane@acme.io' }, 'read', 'ws1'))).toMatchObject({ allowed: false, reason: 'UnknownWorkspace' });
    w.caches.workspaces.remove(ws1);
    expect(w.authorize(ask({ user: 'jane@acme.io' }, 'read', 'ws1'))).toMatchObject({ allowed: false, reason: 'UnknownWorkspace' });
    w.caches.workspaces.set(workspace('ws1'));
    expect(w.authorize(ask({ user: 'jane@acme.io' }, 'read', 'ws1'))).toMatchObject({ allowed: true });
  });

  it('the tenant changed: its allowed domains, its deletion, its namespace label', async () => {
    const w = await world({ users: [user('jane', 'jane@acme.io')] });
    expect(w.authorize(ask({ user: 'jane@acme.io' }))).toMatchObject({ allowed: true });
    const acme = tenantObject('acme', { allowedEmailDomains: ['other.io'] });
    w.caches.tenants.set({ ...acme, metadata: { ...acme.metadata, resourceVersion: rv() } });
    expect(w.authorize(ask({ user: 'jane@acme.io' }))).toMatchObject({ allowed: false, reason: 'EmailDomainNotAllowed' });
    w.caches.tenants.set(next(tenantObject('acme')));
    expect(w.authorize(ask({ user: 'jane@acme.io' }))).toMatchObject({ allowed: true });
    w.caches.tenants.set(next(tenantObject('acme'), DELETING));
    expect(w.authorize(ask({ user: 'jane@acme.io' }))).toMatchObject({ allowed: false, reason: 'UnknownTenant' });
    expect(w.cached.tenantNamespace('acme')).toBeUndefined();
    w.caches.tenants.set(next(tenantObject('acme')));
    expect(w.authorize(ask({ user: 'jane@acme.io' }))).toMatchObject({ allowed: true });
    const ns = tenantNamespace('acme');
    w.caches.tenantNamespaces.set({ ...ns, metadata: { ...ns.metadata, resourceVersion: rv(), labels: {} } });
    expect(w.authorize(ask({ user: 'jane@acme.io' }))).toMatchObject({ allowed: false, reason: 'UnknownTenant' });
    w.caches.tenantNamespaces.set({ ...ns, metadata: { ...ns.metadata, resourceVersion: rv() } });
    expect(w.authorize(ask({ user: 'jane@acme.io' }))).toMatchObject({ allowed: true });
    // Another tenant's name never reaches this tenant's users.
    expect(w.authorize(ask({ user: 'jane@acme.io' }, 'read', 'ws1', 'globex'))).toMatchObject({ allowed: false, reason: 'UnknownPrincipal' });
  });

  it('a key revoked (its Secret deleted), rotated away, its account deleted or changed, an Admin key\'s workspaces', async () => {
    const ci = account('ci', { role: 'Admin' });
    const first = generateApiKey(seededRandom('first'));
    const withStatus = (keyId: string, extra: Record<string, unknown> = {}): Cached<ServiceAccount> => ({ ...ci, metadata: { ...ci.metadata, resourceVersion: rv() }, status: { keyId, ...extra } }) as Cached<ServiceAccount>;
    const w = await world({ serviceAccounts: [withStatus(first.keyId)], secrets: [keySecret(ci, first)] });
    expect(w.authenticate(first.key)).toMatchObject({ serviceAccount: 'ci', role: 'Admin', workspaces: ['ws1', 'ws2'] });
    // A workspace added: an Admin key acts in it from the next answer on.
    w.caches.workspaces.set(workspace('ws3'));
    expect(w.authenticate(first.key)).toMatchObject({ workspaces: ['ws1', 'ws2', 'ws3'] });
    // Its role changed.
    w.caches.serviceAccounts.set({ ...withStatus(first.keyId), spec: { role: 'Consumer', workspaces: ['ws2'] } });
    expect(w.authenticate(first.key)).toMatchObject({ role: 'Consumer', workspaces: ['ws2'], allWorkspaces: false });
    expect(w.authorize(ask({ apiKey: first.key }, 'settings'))).toMatchObject({ allowed: false, reason: 'RoleLacksAction' });
    // Rotated without a grace period: the new key verifies, the old one not.
    const second = generateApiKey(seededRandom('second'));
    w.secrets.set(keySecret(ci, second));
    w.caches.serviceAccounts.set(withStatus(second.keyId));
    expect(w.authenticate(first.key)).toBeUndefined();
    expect(w.authenticate(second.key)).toMatchObject({ serviceAccount: 'ci' });
    // Revoked: the Secret deleted.
    w.secrets.remove(keySecret(ci, second));
    expect(w.authenticate(second.key)).toBeUndefined();
    expect(w.authorize(ask({ apiKey: second.key }, 'portal'))).toMatchObject({ allowed: false, reason: 'InvalidApiKey' });
    // Back, then the account deleted.
    w.secrets.set(keySecret(ci, second));
    expect(w.authenticate(second.key)).toMatchObject({ serviceAccount: 'ci' });
    w.caches.serviceAccounts.remove(ci);
    expect(w.authenticate(second.key)).toBeUndefined();
  });

  it('a service account\'s status write (a key\'s last use) drops only its own kept key; its namespace\'s other keys stay kept', async () => {
    const ci = account('ci');
    const bot = account('bot');
    const keys = { ci: generateApiKey(seededRandom('ci')), bot: generateApiKey(seededRandom('bot')) };
    const w = await world({
      serviceAccounts: [{ ...ci, status: { keyId: keys.ci.keyId } } as Cached<ServiceAccount>, { ...bot, status: { keyId: keys.bot.keyId } } as Cached<ServiceAccount>],
      secrets: [keySecret(ci, keys.ci), keySecret(bot, keys.bot)],
    });
    w.authenticate(keys.ci.key);
    w.authenticate(keys.bot.key);
    expect(w.keptKeys()).toBe(2);
    w.caches.serviceAccounts.set(next({ ...ci, status: { keyId: keys.ci.keyId, keyLastUsedAt: new Date(NOW).toISOString() } } as Cached<ServiceAccount>));
    expect(w.keptKeys()).toBe(1);
    expect(w.authenticate(keys.ci.key)).toMatchObject({ serviceAccount: 'ci' });
    expect(w.authenticate(keys.bot.key)).toMatchObject({ serviceAccount: 'bot' });
    // A Workspace concerns every key of the namespace (an Admin acts in all of them).
    w.caches.workspaces.set(workspace('ws9'));
    expect(w.keptKeys()).toBe(0);
  });

  it('a key of a tenant that stops granting access (namespace label removed) is refused at once', async () => {
    const ci = account('ci', {}, {}, {});
    const key = generateApiKey(seededRandom('k'));
    const w = await world({ serviceAccounts: [{ ...ci, status: { keyId: key.keyId } } as Cached<ServiceAccount>], secrets: [keySecret(ci, key)] });
    expect(w.authenticate(key.key)).toMatchObject({ tenant: 'acme' });
    const ns = tenantNamespace('acme');
    w.caches.tenantNamespaces.set({ ...ns, metadata: { ...ns.metadata, resourceVersion: rv(), labels: {} } });
    expect(w.authenticate(key.key)).toBeUndefined();
  });

  it('the clock alone ends a kept key: a previous key at its expiry, a current key unused for expireUnusedAfter', async () => {
    const ci = account('ci', { keyRotation: { gracePeriod: '1h', expireUnusedAfter: '24h' } } as Partial<ServiceAccount['spec']>);
    const old = generateApiKey(seededRandom('old'));
    const current = generateApiKey(seededRandom('current'));
    const expiresAt = NOW + 3_600_000;
    const status = { keyId: current.keyId, keyCreatedAt: new Date(NOW).toISOString(), previousKeyId: old.keyId, previousKeyExpiresAt: new Date(expiresAt).toISOString() };
    const w = await world({ serviceAccounts: [{ ...ci, status } as Cached<ServiceAccount>], secrets: [keySecret(ci, current, { key: old, expiresAt })] });
    expect(w.authenticate(old.key)).toMatchObject({ serviceAccount: 'ci' });
    expect(w.authenticate(current.key)).toMatchObject({ serviceAccount: 'ci' });
    w.clock.advance(3_600_000 - 1);
    expect(w.authenticate(old.key)).toMatchObject({ serviceAccount: 'ci' });
    w.clock.advance(1);
    expect(w.authenticate(old.key)).toBeUndefined();
    expect(w.authenticate(current.key)).toMatchObject({ serviceAccount: 'ci' });
    w.clock.advance(23 * 3_600_000 - 1);
    expect(w.authenticate(current.key)).toMatchObject({ serviceAccount: 'ci' });
    w.clock.advance(1);
    expect(w.authenticate(current.key)).toBeUndefined();
  });

  it('keeps nothing for what does not exist: made-up emails, accounts, tenants and keys', async () => {
    const ci = account('ci');
    const key = generateApiKey(seededRandom('real'));
    const w = await world({ users: [user('jane', 'jane@acme.io')], serviceAccounts: [{ ...ci, status: { keyId: key.keyId } } as Cached<ServiceAccount>], secrets: [keySecret(ci, key)] });
    for (let i = 0; i < 50; i++) {
      w.authorize(ask({ user: `nobody${i}@acme.io` }));
      w.authorize(ask({ serviceAccount: `nobody${i}` }));
      w.authorize(ask({ user: 'jane@acme.io' }, 'read', 'ws1', `made-up-${i}`));
      // Well-formed keys that are no one's, and garbage.
      expect(w.authenticate(generateApiKey(seededRandom(`fake-${i}`)).key)).toBeUndefined();
      expect(w.authenticate(`blink_sa_${'x'.repeat(i)}`)).toBeUndefined();
    }
    w.authorize(ask({ user: 'jane@acme.io' }));
    w.authorize(ask({ serviceAccount: 'ci' }));
    w.authenticate(key.key);
    expect(w.cached.stats()).toMatchObject({ tenants: 1, users: 1, serviceAccounts: 1 });
    expect(w.keptKeys()).toBe(1);
  });
});

describe('cachedDecisions: the same answers as the straightforward decision, over generated directories and changes', () => {
  const EMAILS = ['ann@acme.io', 'ANN@acme.io', 'bob@acme.io', 'bob@other.io', 'K\u212Aate@acme.io'];
  const NAMES = ['a', 'b', 'c', 'd'];
  const WORKSPACES = ['ws1', 'ws2', 'ws3'];
  const ROLES = ['Admin', 'Builder', 'Consumer', 'Boss'];
  const arbUser = fc.record({
    name: fc.constantFrom(...NAMES),
    email: fc.constantFrom(...EMAILS),
    role: fc.constantFrom(...ROLES),
    phase: fc.constantFrom('Active', 'Invited', 'Inactive', undefined),
    active: fc.constantFrom(true, false, undefined),
    workspaces: fc.subarray(WORKSPACES),
    created: fc.constantFrom('2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z', 'not a time'),
    deleting: fc.boolean(),
  });
  // An account's role is one of the three (the CRD's enum; the verifier reads it as such).
  const arbAccount = fc.record({ name: fc.constantFrom('ci', 'bot'), role: fc.constantFrom('Admin', 'Builder', 'Consumer'), workspaces: fc.subarray(WORKSPACES), deleting: fc.boolean(), uid: fc.constantFrom('uid-ci', 'uid-bot', 'other') });
  const arbChange = fc.oneof(
    arbUser.map((u) => ({ kind: 'user' as const, u })),
    fc.constantFrom(...NAMES).map((name) => ({ kind: 'user-gone' as const, name })),
    arbAccount.map((a) => ({ kind: 'account' as const, a })),
    fc.constantFrom('ci', 'bot').map((name) => ({ kind: 'account-gone' as const, name })),
    fc.record({ name: fc.constantFrom(...WORKSPACES), deleting: fc.boolean() }).map((ws) => ({ kind: 'workspace' as const, ws })),
    fc.constantFrom(...WORKSPACES).map((name) => ({ kind: 'workspace-gone' as const, name })),
    fc.record({ domains: fc.subarray(['acme.io', 'other.io']), deleting: fc.boolean() }).map((t) => ({ kind: 'tenant' as const, t })),
    fc.constantFrom('acme', 'globex', undefined).map((label) => ({ kind: 'namespace' as const, label })),
    fc.constantFrom('ci', 'bot').map((name) => ({ kind: 'key-gone' as const, name })),
    fc.nat(48).map((hours) => ({ kind: 'time' as const, hours })),
  );
  const arbRequest = fc.record({
    principal: fc.oneof(
      fc.constantFrom(...EMAILS, 'nobody@acme.io').map((user) => ({ user })),
      fc.constantFrom('ci', 'bot', 'nobody').map((serviceAccount) => ({ serviceAccount })),
      fc.constantFrom(0, 1).map((i) => ({ key: i })),
    ),
    action: fc.constantFrom('read', 'write', 'execute', 'portal', 'settings'),
    workspace: fc.constantFrom(...WORKSPACES, 'nope'),
    tenant: fc.constantFrom('acme', 'acme', 'globex', 'initech'),
  });

  it('answers every request as decide.ts does after every change', async () => {
    const keys = { ci: generateApiKey(seededRandom('prop-ci')), bot: generateApiKey(seededRandom('prop-bot')) };
    const toUser = (u: { name: string; email: string; role: string; phase: string | undefined; active: boolean | undefined; workspaces: string[]; created: string; deleting: boolean }): Cached<User> =>
      ({
        metadata: { name: u.name, namespace: NS, uid: `uid-${u.name}`, resourceVersion: rv(), creationTimestamp: u.created, ...(u.deleting ? { deletionTimestamp: '2026-01-03T00:00:00Z' } : {}) },
        spec: { email: u.email, role: u.role, workspaces: u.workspaces, ...(u.active !== undefined ? { active: u.active } : {}) },
        ...(u.phase ? { status: { phase: u.phase } } : {}),
      }) as Cached<User>;
    const toAccount = (a: { name: 'ci' | 'bot'; role: string; workspaces: string[]; deleting: boolean; uid: string }): Cached<ServiceAccount> =>
      ({
        metadata: { name: a.name, namespace: NS, uid: a.uid, resourceVersion: rv(), ...(a.deleting ? { deletionTimestamp: '2026-01-03T00:00:00Z' } : {}) },
        spec: { role: a.role, workspaces: a.workspaces, keyRotation: { expireUnusedAfter: '24h' } },
        status: { keyId: keys[a.name].keyId, keyCreatedAt: new Date(NOW).toISOString() },
      }) as Cached<ServiceAccount>;
    await fc.assert(
      fc.asyncProperty(fc.array(arbUser, { maxLength: 4 }), fc.array(fc.tuple(arbChange, fc.array(arbRequest, { minLength: 1, maxLength: 6 })), { minLength: 1, maxLength: 12 }), async (users, steps) => {
        const ci = toAccount({ name: 'ci', role: 'Builder', workspaces: ['ws1'], deleting: false, uid: 'uid-ci' });
        const bot = toAccount({ name: 'bot', role: 'Admin', workspaces: [], deleting: false, uid: 'uid-bot' });
        const w = await world({ users: users.map(toUser), serviceAccounts: [ci, bot], secrets: [keySecret(ci, keys.ci), keySecret(bot, keys.bot)] });
        for (const [change, requests] of steps) {
          switch (change.kind) {
            case 'user':
              w.caches.users.set(toUser(change.u));
              break;
            case 'user-gone':
              w.caches.users.remove({ metadata: { name: change.name, namespace: NS } } as Cached<User>);
              break;
            case 'account':
              w.caches.serviceAccounts.set(toAccount(change.a));
              break;
            case 'account-gone':
              w.caches.serviceAccounts.remove({ metadata: { name: change.name, namespace: NS } } as Cached<ServiceAccount>);
              break;
            case 'workspace':
              w.caches.workspaces.set(workspace(change.ws.name, change.ws.deleting ? { deletionTimestamp: '2026-01-03T00:00:00Z' } : {}));
              break;
            case 'workspace-gone':
              w.caches.workspaces.remove(workspace(change.name));
              break;
            case 'tenant': {
              const acme = tenantObject('acme', { allowedEmailDomains: change.t.domains });
              w.caches.tenants.set(next(acme, change.t.deleting ? DELETING : {}));
              break;
            }
            case 'namespace': {
              const ns = tenantNamespace('acme');
              w.caches.tenantNamespaces.set({ ...ns, metadata: { ...ns.metadata, resourceVersion: rv(), labels: change.label ? { 'accounts.blinkops.com/tenant': change.label } : {} } });
              break;
            }
            case 'key-gone':
              w.secrets.remove({ metadata: { name: `${change.name}-api-key`, namespace: NS } } as CachedApiKeySecret);
              break;
            case 'time':
              w.clock.advance(change.hours * 3_600_000);
              break;
          }
          for (const r of requests) {
            if ('key' in r.principal) {
              const apiKey = (r.principal.key === 0 ? keys.ci : keys.bot).key;
              w.authenticate(apiKey);
              w.authorize(ask({ apiKey }, r.action as AuthorizeRequest['action'], r.workspace, r.tenant));
            } else {
              w.authorize(ask(r.principal, r.action as AuthorizeRequest['action'], r.workspace, r.tenant));
            }
          }
        }
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});
