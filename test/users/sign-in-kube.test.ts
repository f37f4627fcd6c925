// The identity a person signs in with is the identity Kubernetes knows (issue 26), end to end on a
// control plane of its own whose kube-apiserver has a structured authentication configuration
// (AuthenticationConfiguration, apiserver.config.k8s.io/v1) with one JWT authenticator per test
// provider, each mapping the username to <issuer>#<email in lower case> and requiring
// email_verified — what deploy/README.md tells people to configure. Two tenants, two providers:
// before acceptance a person's own ID token gets 403; after, exactly what the role allows;
// after deactivation 403 again; and tenant B's provider, which can vouch for any email, gets
// nothing in tenant A. Every ID token presented to the kube-apiserver is one the provider itself
// issued through an authorization-code flow with PKCE (idp.idToken: its login and consent pages
// over HTTP, the code redeemed with openid-client), as kubectl's OIDC login would get it; none is
// made by the test.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthenticationV1Api, KubeConfig } from '@kubernetes/client-node';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_KINDS, SHARD_LABEL, TENANT_LABEL } from '../../operator/api/index.js';
import { startCluster, stopCluster } from '../../operator/dev-cluster/cluster.js';
import type { ClusterState } from '../../operator/dev-cluster/cluster.js';
import { startDevSmtp } from '../../operator/dev-smtp/server.js';
import type { DevSmtpServer } from '../../operator/dev-smtp/server.js';
import { installProduct } from '../../operator/kube/install.js';
import { startOperator } from '../../operator/operator.js';
import type { RunningOperator } from '../../operator/operator.js';
import { KubeClient } from '../../operator/runtime/kube-client.js';
import { builtinKinds } from '../../operator/runtime/kinds.js';
import type { KubeObject } from '../../operator/runtime/kinds.js';
import { createLogger } from '../../operator/runtime/logger.js';
import { tenantsFeature } from '../../operator/tenants/feature.js';
import { createUsersFeature } from '../../operator/users/feature.js';
import { makeTestCa, startTestIdentityProvider } from '../harness/identity-provider.js';
import type { TestCa, TestIdentityProvider } from '../harness/identity-provider.js';
import { cluster, eventually } from '../harness/kube.js';
import { launchChromium, linkOf } from './fixtures.js';
import { signInWithChromium } from './sign-in-fixtures.js';

const suffix = randomBytes(3).toString('hex');
const shard = `kube-oidc-${suffix}`;
let dir: string;
let ca: TestCa;
let idpA: TestIdentityProvider;
let idpB: TestIdentityProvider;
let plane: ClusterState;
let admin: KubeClient;
let smtp: DevSmtpServer;
let operator: RunningOperator;
let browser: Browser;
const nsA = `tenant-a-${suffix}`;
const nsB = `tenant-b-${suffix}`;

/** The AuthenticationConfiguration for these providers: one JWT authenticator each, usernames `<issuer>#<email, lower case>`. */
function authenticationConfiguration(providers: readonly TestIdentityProvider[]): string {
  const indent = (text: string, spaces: number) => text.trim().split('\n').map((line) => `${' '.repeat(spaces)}${line}`).join('\n');
  return `apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
jwt:
${providers
  .map(
    (p) => `  - issuer:
      url: ${p.issuer}
      audiences: [${p.clientId}]
      certificateAuthority: |
${indent(ca.caPem, 8)}
    claimValidationRules:
      - expression: 'claims.?email_verified.orValue(false) == true'
        message: the email address must be verified
    claimMappings:
      username:
        expression: '"${p.issuer}#" + claims.email.lowerAscii()'
`,
  )
  .join('')}`;
}

/** A client that presents `token` (an ID token) to the test kube-apiserver. */
function clientWithToken(token: string): { client: KubeClient; kc: KubeConfig } {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: plane.server, caFile: join(plane.dir, 'pki', 'apiserver.crt') }],
    users: [{ name: 'person', token }],
    contexts: [{ name: 'c', cluster: 'c', user: 'person' }],
    currentContext: 'c',
  });
  return { client: new KubeClient(kc), kc };
}

/** The HTTP status of an attempt (200/201 when it worked). */
async function statusOf(attempt: Promise<unknown>): Promise<number> {
  try {
    await attempt;
    return 200;
  } catch (error) {
    return (error as { code?: number; statusCode?: number }).code ?? (error as { statusCode?: number }).statusCode ?? -1;
  }
}

/** Who the API server says a token is. */
async function whoAmI(token: string): Promise<string | undefined> {
  const review = await clientWithToken(token).kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
  return review.status?.userInfo?.username;
}

function newUser(namespace: string, name: string, email: string, role: string): KubeObject {
  return { apiVersion: 'accounts.blinkops.com/v1alpha1', kind: 'User', metadata: { name, namespace }, spec: { email, role } } as KubeObject;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kube-oidc-'));
  ca = await makeTestCa();
  idpA = await startTestIdentityProvider({
    ca,
    people: { jane: { email: 'jane@a.test', emailVerified: true }, bill: { email: 'Bill@A.test', emailVerified: true }, una: { email: 'una@a.test', emailVerified: false } },
  });
  // Tenant B's provider is B's to run: it says whatever it likes, including A's addresses, verified.
  // Its account "jane" even has Jane's subject name and her address in other letter case.
  idpB = await startTestIdentityProvider({
    ca,
    people: { mallory: { email: 'jane@a.test', emailVerified: true }, jane: { email: 'Jane@A.test', emailVerified: true }, bea: { email: 'bea@b.test', emailVerified: true } },
  });
  const config = join(dir, 'authentication-config.yaml');
  await writeFile(config, authenticationConfiguration([idpA, idpB]));
  plane = await startCluster({ name: `oidc-${process.pid}-${suffix}`, binaries: cluster().binaries, ownerPid: process.pid, controllerManager: false, authenticationConfig: config });
  const kc = new KubeConfig();
  kc.loadFromFile(plane.kubeconfig);
  await installProduct(kc);
  admin = new KubeClient(kc);
  await admin.create(builtinKinds.namespace, { metadata: { name: 'blink-ops' } });
  smtp = await startDevSmtp({ dir: join(dir, 'mail') });
  await admin.create(builtinKinds.secret, { metadata: { name: 'smtp', namespace: 'blink-ops' }, stringData: { host: smtp.host, port: String(smtp.port), secure: 'false', from: 'Blink <accounts@blink.test>' } } as KubeObject);
  for (const [tenant, namespace, idp] of [['a', nsA, idpA], ['b', nsB, idpB]] as const) {
    const name = `${tenant}-${suffix}`;
    await admin.create(builtinKinds.namespace, { metadata: { name: namespace, labels: { [TENANT_LABEL]: name, [SHARD_LABEL]: shard } } });
    await admin.create(builtinKinds.secret, { metadata: { name: 'oidc', namespace }, stringData: { clientSecret: idp.clientSecret } } as KubeObject);
    await admin.create(ACCOUNT_KINDS.tenant, {
      metadata: { name, labels: { [SHARD_LABEL]: shard } },
      spec: { displayName: `Tenant ${tenant.toUpperCase()}`, namespace, identityProvider: { issuerURL: idp.issuer, clientID: idp.clientId, clientSecretRef: { name: 'oidc' }, certificateAuthority: ca.caPem } },
    });
  }
  operator = await startOperator(
    { kubeConfig: kc, leaderElection: false, metricsPort: 0, httpPort: 0, accessApiPort: 0, host: '127.0.0.1', logger: createLogger({ level: 'silent' }), shutdownTimeoutMs: 2_000, shard, namespace: 'blink-ops', smtpSecret: { namespace: 'blink-ops', name: 'smtp' } },
    [tenantsFeature, createUsersFeature()],
  );
  for (const idp of [idpA, idpB]) idp.allowRedirects([`${operator.url}/sign-in/callback`]);
  browser = await launchChromium();
  // The API server reads each provider's discovery document and keys in the background at start.
  for (const [idp, login, name] of [[idpA, 'jane', 'A'], [idpB, 'bea', 'B']] as const) {
    const token = await idp.idToken(login);
    await eventually(async () => ((await whoAmI(token).catch(() => undefined)) ? true : undefined), 60_000, `the JWT authenticator of provider ${name}`);
  }
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await operator?.stop();
  await smtp?.close();
  if (plane) await stopCluster(plane.name);
  await idpA?.close();
  await idpB?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Invites `email` into tenant A with `role` and accepts by signing in at A's provider as `login`. */
async function inviteAndAccept(name: string, email: string, role: string, login: string): Promise<void> {
  await admin.create(ACCOUNT_KINDS.user, newUser(nsA, name, email, role));
  const message = await eventually(async () => (await smtp.messages()).find((m) => m.to.includes(email.toLowerCase()) || m.to.includes(email)), 30_000, `the invitation to ${email}`);
  const run = await signInWithChromium(browser, { link: linkOf(message), login, operatorUrl: operator.url, issuer: idpA.issuer, tenantDisplayName: 'Tenant A' });
  expect(run.heading).toBe('Invitation accepted');
  await eventually(async () => {
    const user = await admin.get<KubeObject & { status?: { phase?: string } }>(ACCOUNT_KINDS.user, nsA, name);
    return user.status?.phase === 'Active' ? true : undefined;
  }, 30_000, `${name} Active`);
}

describe('the Kubernetes identity of a person who signed in', () => {
  it('is <issuer>#<email> for each provider, and an unverified email is not authenticated at all', async () => {
    expect(await whoAmI(await idpA.idToken('jane'))).toBe(`${idpA.issuer}#jane@a.test`);
    expect(await whoAmI(await idpA.idToken('bill'))).toBe(`${idpA.issuer}#bill@a.test`);
    expect(await whoAmI(await idpB.idToken('mallory'))).toBe(`${idpB.issuer}#jane@a.test`);
    expect(await statusOf(whoAmI(await idpA.idToken('una')))).toBe(401);
  });

  it('gets 403 before acceptance, exactly what the role allows after, nothing in another tenant, and 403 again after deactivation', async () => {
    const jane = clientWithToken(await idpA.idToken('jane')).client;
    // Invited, not accepted: authenticated, but nothing is allowed.
    await admin.create(ACCOUNT_KINDS.user, newUser(nsA, 'jane', 'jane@a.test', 'Admin'));
    expect(await statusOf(jane.list(ACCOUNT_KINDS.user, { namespace: nsA }))).toBe(403);
    expect(await statusOf(jane.create(ACCOUNT_KINDS.user, newUser(nsA, 'early', 'early@a.test', 'Consumer')))).toBe(403);

    const message = await eventually(async () => (await smtp.messages()).find((m) => m.to.includes('jane@a.test')), 30_000, 'the invitation to jane');
    const run = await signInWithChromium(browser, { link: linkOf(message), login: 'jane', operatorUrl: operator.url, issuer: idpA.issuer, tenantDisplayName: 'Tenant A' });
    expect(run.heading).toBe('Invitation accepted');

    // An Admin of A creates a User in A, and nothing in B.
    await eventually(async () => ((await statusOf(jane.create(ACCOUNT_KINDS.user, newUser(nsA, 'newbie', 'newbie@a.test', 'Consumer')))) === 200 ? true : undefined), 30_000, 'jane may create a User in A');
    expect(await statusOf(jane.create(ACCOUNT_KINDS.user, newUser(nsB, 'intruder', 'intruder@a.test', 'Admin')))).toBe(403);
    expect(await statusOf(jane.list(ACCOUNT_KINDS.user, { namespace: nsB }))).toBe(403);

    // A Builder of A (whose provider spells the address in capitals) reads Users but creates none.
    await inviteAndAccept('bill', 'bill@a.test', 'Builder', 'bill');
    const bill = clientWithToken(await idpA.idToken('bill')).client;
    await eventually(async () => ((await statusOf(bill.list(ACCOUNT_KINDS.user, { namespace: nsA }))) === 200 ? true : undefined), 30_000, 'bill may list Users in A');
    expect(await statusOf(bill.create(ACCOUNT_KINDS.user, newUser(nsA, 'bills-friend', 'friend@a.test', 'Admin')))).toBe(403);

    // Tenant B's provider mints Jane's address, verified: it names another person in Kubernetes.
    const mallory = clientWithToken(await idpB.idToken('mallory')).client;
    expect(await statusOf(mallory.list(ACCOUNT_KINDS.user, { namespace: nsA }))).toBe(403);
    expect(await statusOf(mallory.create(ACCOUNT_KINDS.user, newUser(nsA, 'mallorys', 'm@a.test', 'Admin')))).toBe(403);
    // A token of B's provider with Jane's subject and her address in other letter case does no better.
    const forged = clientWithToken(await idpB.idToken('jane')).client;
    expect(await statusOf(forged.list(ACCOUNT_KINDS.user, { namespace: nsA }))).toBe(403);

    // Deactivated: the binding goes, and Jane's own token is refused again.
    await admin.patch(ACCOUNT_KINDS.user, nsA, 'jane', { spec: { active: false } });
    await eventually(async () => ((await statusOf(jane.list(ACCOUNT_KINDS.user, { namespace: nsA }))) === 403 ? true : undefined), 30_000, 'jane refused after deactivation');
    expect(await statusOf(jane.create(ACCOUNT_KINDS.user, newUser(nsA, 'late', 'late@a.test', 'Consumer')))).toBe(403);
  });
});
