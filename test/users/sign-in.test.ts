// Accepting an invitation by signing in at the tenant's identity provider (issue 26), end to end:
// a real OpenID Provider (oidc-provider over HTTPS with a CA made for this file), the invitation
// email over real SMTP, headless Chromium through the acceptance page, the provider's login form
// and back, and the real API server. Also the wrong person, an unverified email, a replayed,
// expired or tampered callback, a second acceptance, and what the Tenant says when its provider
// cannot be used.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningOperator } from '../../operator/operator.js';
import { ACCOUNT_KINDS } from '../../operator/api/index.js';
import type { KubeObject } from '../../operator/runtime/kinds.js';
import { createLogger } from '../../operator/runtime/logger.js';
import { tenantsFeature } from '../../operator/tenants/feature.js';
import { createUsersFeature } from '../../operator/users/feature.js';
import { eventually, kubectl, useNamespace } from '../harness/kube.js';
import { newShard, startTestOperator } from '../harness/operator.js';
import { makeTestCa, startTestIdentityProvider } from '../harness/identity-provider.js';
import type { TestIdentityProvider } from '../harness/identity-provider.js';
import { adminClient, createTenantWithNamespace, deleteTenant } from '../harness/tenant.js';
import { apply, condition, getRecord, getUser, launchChromium, linkOf, shiftableClock, startTestSmtp, userManifest, waitForUser } from './fixtures.js';
import type { TestSmtp } from './fixtures.js';
import { signInWithChromium } from './sign-in-fixtures.js';
import type { SignInRun } from './sign-in-fixtures.js';

const operatorNs = useNamespace('signin-op');
const shard = newShard('signin');
const suffix = randomBytes(3).toString('hex');
const tenantName = `okta-${suffix}`;
const noSecretTenant = `nosecret-${suffix}`;
const downTenant = `down-${suffix}`;
const clock = shiftableClock();
let ns: string;
let smtp: TestSmtp;
let idp: TestIdentityProvider;
let operator: RunningOperator;
let replica: RunningOperator;
let browser: Browser;
/** Everything both replicas logged, at debug level. */
let logs = '';
/** Codes, states and sealed cookies of the sign-ins: none may appear in a log. */
const secretsSeen: string[] = [];
const logSink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    logs += chunk.toString();
    done();
  },
});

type TenantObject = KubeObject & { status?: { conditions?: { type: string; status: string; reason: string; message: string }[] } };

beforeAll(async () => {
  const ca = await makeTestCa();
  idp = await startTestIdentityProvider({
    ca,
    people: {
      jane: { email: 'jane@acme.test', emailVerified: true },
      // Another person of the same company, and one whose provider has not verified the address.
      bob: { email: 'bob@acme.test', emailVerified: true },
      'jane-unverified': { email: 'Jane@Acme.test', emailVerified: false },
      kate: { email: 'KATE@acme.test', emailVerified: true },
      lena: { email: 'lena@acme.test', emailVerified: true },
    },
  });
  smtp = await startTestSmtp(operatorNs.name);
  const identityProvider = { issuerURL: idp.issuer, clientID: idp.clientId, clientSecretRef: { name: 'oidc-client' }, certificateAuthority: ca.caPem };
  ns = await createTenantWithNamespace(adminClient(), { shard, name: tenantName, spec: { displayName: 'Acme Corp', identityProvider } });
  await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'oidc-client', namespace: ns }, stringData: { clientSecret: idp.clientSecret } });
  await createTenantWithNamespace(adminClient(), { shard, name: noSecretTenant, spec: { identityProvider } });
  await createTenantWithNamespace(adminClient(), { shard, name: downTenant, spec: { identityProvider: { ...identityProvider, issuerURL: 'https://127.0.0.1:9' } } });
  await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'oidc-client', namespace: `tenant-${downTenant}` }, stringData: { clientSecret: 'x' } });
  // Two replicas as in production: one leads (reconciles), both serve the pages; the tenant's public URL is the first's.
  operator = await startTestOperator({ shard, namespace: operatorNs.name, smtpSecret: smtp.secret, leaderElection: true, logger: createLogger({ level: 'debug', destination: logSink }) }, [tenantsFeature, createUsersFeature({ clock })]);
  await eventually(async () => (operator.manager.isLeader ? true : undefined), 30_000, 'the first replica to lead');
  replica = await startTestOperator({ shard, namespace: operatorNs.name, smtpSecret: smtp.secret, leaderElection: true, publicUrl: operator.url, logger: createLogger({ level: 'debug', destination: logSink }) }, [tenantsFeature, createUsersFeature({ clock })]);
  idp.allowRedirects([`${operator.url}/sign-in/callback`]);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await kubectl(['delete', 'users', '--all', '-n', ns, '--wait=true', '--timeout=20s']).catch(() => undefined);
  await replica?.stop();
  await operator?.stop();
  await smtp?.close();
  await idp?.close();
  for (const name of [tenantName, noSecretTenant, downTenant]) await deleteTenant(adminClient(), name);
});

/** Opens the link and signs in at the test provider as `login` (sign-in-fixtures.ts). */
async function signInThroughChromium(link: string, login: string): Promise<SignInRun> {
  return remember(await signInWithChromium(browser, { link, login, operatorUrl: operator.url, issuer: idp.issuer, tenantDisplayName: 'Acme Corp' }));
}

/** Notes the secrets of a sign-in (code, state, sealed cookie) for the log check. */
function remember(run: SignInRun): SignInRun {
  const query = new URL(run.callback?.url ?? 'http://x').searchParams;
  for (const value of [query.get('code'), query.get('state'), /blink_sign_in=([^;]+)/.exec(run.callback?.cookie ?? '')?.[1]]) if (value) secretsSeen.push(value);
  return run;
}

async function tenantCondition(name: string, type: string) {
  const tenant = await adminClient().get<TenantObject>(ACCOUNT_KINDS.tenant, undefined, name);
  return tenant.status?.conditions?.find((c) => c.type === type);
}

describe('a tenant with an identity provider', () => {
  it('says whether its provider can be used: ready, client Secret missing, issuer unreachable, a username prefix another issuer shares (Ready=False, no crash)', async () => {
    await eventually(async () => ((await tenantCondition(tenantName, 'IdentityProviderReady'))?.status === 'True' ? true : undefined), 30_000, 'IdentityProviderReady=True');
    expect(await tenantCondition(tenantName, 'Ready')).toMatchObject({ status: 'True' });

    const missing = await eventually(async () => {
      const ready = await tenantCondition(noSecretTenant, 'Ready');
      return ready?.reason === 'IdentityProviderSecretMissing' ? ready : undefined;
    }, 30_000, 'Ready=False IdentityProviderSecretMissing');
    expect(missing).toMatchObject({ status: 'False', message: `The client secret of the identity provider is missing: Secret "tenant-${noSecretTenant}/oidc-client" does not exist` });

    const down = await eventually(async () => {
      const ready = await tenantCondition(downTenant, 'Ready');
      return ready?.reason === 'IdentityProviderUnreachable' ? ready : undefined;
    }, 40_000, 'Ready=False IdentityProviderUnreachable');
    expect(down.status).toBe('False');
    expect(down.message).toContain('The identity provider https://127.0.0.1:9 could not be used');
    // Another issuer given this tenant's username prefix could mint its people's Kubernetes names: both say so, until it goes.
    const clash = `clash-${suffix}`;
    await createTenantWithNamespace(adminClient(), { shard, name: clash, spec: { identityProvider: { issuerURL: 'https://idp.clash.test', clientID: 'c', clientSecretRef: { name: 'oidc-client' }, usernamePrefix: `${idp.issuer}#` } } });
    try {
      const conflict = await eventually(async () => {
        const ready = await tenantCondition(tenantName, 'IdentityProviderReady');
        return ready?.reason === 'UsernamePrefixConflict' ? ready : undefined;
      }, 30_000, 'UsernamePrefixConflict on the tenant');
      expect(conflict.message).toContain(`tenant "${clash}"`);
      expect(await tenantCondition(tenantName, 'Ready')).toMatchObject({ status: 'False', reason: 'UsernamePrefixConflict' });
      expect(await tenantCondition(clash, 'Ready')).toMatchObject({ status: 'False', reason: 'UsernamePrefixConflict' });
    } finally {
      await deleteTenant(adminClient(), clash);
    }
    await eventually(async () => ((await tenantCondition(tenantName, 'IdentityProviderReady'))?.status === 'True' ? true : undefined), 30_000, 'IdentityProviderReady=True again');

    // The client secret is nowhere in what the Tenant says.
    const everything = JSON.stringify(await adminClient().get(ACCOUNT_KINDS.tenant, undefined, downTenant));
    expect(everything.includes(idp.clientSecret)).toBe(false);
  });

  it('accepts only a sign-in as the invited, verified person: wrong person and unverified email refused, the invitation still usable; then Active, signed in at the issuer', async () => {
    await apply(userManifest(ns, 'jane', { email: 'jane@acme.test', displayName: 'Jane Doe', role: 'Admin' }));
    const link = linkOf(await smtp.waitForMessage('jane@acme.test'));
    await waitForUser(ns, 'jane', (u) => condition(u, 'InvitationSent')?.status === 'True', 'InvitationSent=True');

    // Bob signs in with Jane's link (a forwarded email): refused, and told whom the invitation is for.
    const wrong = await signInThroughChromium(link, 'bob');
    expect(wrong.status).toBe(403);
    expect(wrong.heading).toBe('This invitation is for someone else');
    expect(wrong.text).toContain('This invitation is for jane@acme.test.');
    expect((await getUser(ns, 'jane')).status?.phase).toBe('Invited');
    expect((await getRecord(ns, 'jane'))?.state).toBe('pending');

    // The right address, but the provider has not verified it.
    const unverified = await signInThroughChromium(link, 'jane-unverified');
    expect(unverified.status).toBe(403);
    expect(unverified.heading).toBe('Your email address is not verified');
    expect((await getRecord(ns, 'jane'))?.state).toBe('pending');

    // Jane herself.
    const right = await signInThroughChromium(link, 'jane');
    expect(right.status).toBe(200);
    expect(right.heading).toBe('Invitation accepted');
    expect(right.text).toContain('You have joined Acme Corp.');
    const active = await waitForUser(ns, 'jane', (u) => u.status?.phase === 'Active', 'jane Active');
    expect(active.status?.acceptedBy).toEqual({ method: 'IdentityProviderSignIn', issuer: idp.issuer });
    expect(active.status?.acceptedAt).toBeDefined();
    expect((await getRecord(ns, 'jane'))?.acceptedIssuer).toBe(idp.issuer);
    // Status says how, never a token or a code.
    const code = new URL(right.callback?.url ?? 'http://x').searchParams.get('code') ?? 'missing';
    expect(JSON.stringify(active.status).includes(code)).toBe(false);

    // A second acceptance of the same link is what it always was: the link is used.
    const again = await fetch(link);
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('This invitation link is not valid');
  });

  it('refuses a replayed, expired or tampered callback and a callback without its cookie; the invitation stays usable', async () => {
    await apply(userManifest(ns, 'kate', { email: 'kate@acme.test', role: 'Builder' }));
    const link = linkOf(await smtp.waitForMessage('kate@acme.test'));
    await waitForUser(ns, 'kate', (u) => condition(u, 'InvitationSent')?.status === 'True', 'InvitationSent=True');
    // A wrong person's sign-in leaves a callback (URL and sealed cookie) that was already used once.
    const wrong = await signInThroughChromium(link, 'bob');
    expect(wrong.status).toBe(403);
    const callback = wrong.callback as NonNullable<SignInRun['callback']>;
    expect(callback.cookie).toContain('blink_sign_in=');

    const replay = (url: string, cookie?: string) => fetch(url, cookie !== undefined ? { headers: { cookie } } : {});
    // The same callback again: the code was redeemed once; the provider refuses it a second time.
    const replayed = await replay(callback.url, callback.cookie);
    expect(replayed.status).toBe(400);
    expect(await replayed.text()).toContain('The sign-in could not be completed');
    // Without the cookie (another browser, or the link of the callback copied elsewhere).
    expect((await replay(callback.url)).status).toBe(400);
    // With the state changed in the URL, or the sealed cookie changed.
    const tampered = new URL(callback.url);
    tampered.searchParams.set('state', `${tampered.searchParams.get('state') ?? ''}x`);
    expect((await replay(tampered.href, callback.cookie)).status).toBe(400);
    const flipped = callback.cookie.replace(/blink_sign_in=(.)/, (_m, c: string) => `blink_sign_in=${c === 'A' ? 'B' : 'A'}`);
    expect((await replay(callback.url, flipped)).status).toBe(400);
    // After the sign-in's 10 minutes.
    clock.shift(11 * 60_000);
    try {
      const expired = await replay(callback.url, callback.cookie);
      expect(expired.status).toBe(400);
      expect(expired.headers.get('set-cookie')).toContain('blink_sign_in=;');
    } finally {
      clock.reset();
    }
    expect((await getRecord(ns, 'kate'))?.state).toBe('pending');
    expect((await getUser(ns, 'kate')).status?.phase).toBe('Invited');

    // Still usable by Kate, whose provider spells her address in capitals (the same normal form).
    const right = await signInThroughChromium(link, 'kate');
    expect(right.heading).toBe('Invitation accepted');
    await waitForUser(ns, 'kate', (u) => u.status?.phase === 'Active', 'kate Active');
    // Her own callback, replayed with its cookie after the acceptance: the link is used.
    const afterwards = await replay(right.callback?.url ?? '', right.callback?.cookie ?? '');
    expect([400, 409]).toContain(afterwards.status);
  });

  it('finishes a sign-in on another replica than the one that began it (the sealed state, not memory, carries it)', async () => {
    expect(replica.manager.isLeader).toBe(false);
    await apply(userManifest(ns, 'lena', { email: 'lena@acme.test', role: 'Consumer' }));
    const link = linkOf(await smtp.waitForMessage('lena@acme.test'));
    await waitForUser(ns, 'lena', (u) => condition(u, 'InvitationSent')?.status === 'True', 'InvitationSent=True');
    // The page and the Accept button on the standby replica; the provider sends the browser back to the public URL, the leader.
    const onReplica = `${replica.url}${new URL(link).pathname}`;
    await eventually(async () => ((await fetch(onReplica)).status === 200 ? true : undefined), 15_000, 'the standby replica serves the link');
    const run = remember(await signInWithChromium(browser, { link: onReplica, login: 'lena', operatorUrl: operator.url, issuer: idp.issuer, tenantDisplayName: 'Acme Corp' }));
    expect(run.heading).toBe('Invitation accepted');
    await waitForUser(ns, 'lena', (u) => u.status?.phase === 'Active', 'lena Active');
  });

  it('logs the sign-ins, and no code, state, sealed state, ID token or client secret', async () => {
    expect(logs).toContain('Accepted an invitation after a sign-in at the identity provider');
    expect(logs).toContain('A sign-in was not the invited person');
    expect(secretsSeen.length).toBeGreaterThanOrEqual(12);
    const leaked = [...secretsSeen, idp.clientSecret].filter((secret) => logs.includes(secret));
    // Counts, so that a failure does not print a secret.
    expect(leaked.length).toBe(0);
    expect(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./.test(logs)).toBe(false);
  });
});
