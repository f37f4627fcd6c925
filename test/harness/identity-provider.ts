// A real OpenID Provider for the tests (issue 26): panva's oidc-provider, certified, over HTTPS
// with a certificate from a CA made for the test run (openssl, as test/users/tls-smtp.ts makes
// its certificates), with test people and its development login form (any password; the login
// names the person). For kubectl-style callers of the kube-apiserver it also gets a person's ID
// token the way a CLI would: a real authorization-code flow with PKCE against the same provider
// (its own login and consent pages driven over HTTP with a cookie jar, the code redeemed with
// openid-client), so every token a test uses is one the provider itself issued.
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { JWK } from 'jose';
import Provider from 'oidc-provider';
import * as oidc from 'openid-client';
import { fetchTrusting } from '../../operator/invitations/provider-client.js';

/** A certificate authority made for one test file, and a serving certificate for 127.0.0.1 signed by it. */
export interface TestCa {
  /** PEM of the CA certificate (what Tenant.spec.identityProvider.certificateAuthority and the kube-apiserver trust). */
  readonly caPem: string;
  /** Serving certificate and key (PEM) for IP 127.0.0.1 and localhost. */
  readonly cert: string;
  readonly key: string;
}

/** Makes a CA and a serving certificate for 127.0.0.1 signed by it. */
export async function makeTestCa(): Promise<TestCa> {
  const dir = await mkdtemp(join(tmpdir(), 'oidc-ca-'));
  const run = (args: string[]) => promisify(execFile)('openssl', args, { cwd: dir });
  try {
    await run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=blink-accounts test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign', '-keyout', 'ca.key', '-out', 'ca.pem']);
    await run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr']);
    await writeFile(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    await run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', 'ext.cnf', '-out', 'server.pem']);
    return { caPem: await readFile(join(dir, 'ca.pem'), 'utf8'), cert: await readFile(join(dir, 'server.pem'), 'utf8'), key: await readFile(join(dir, 'server.key'), 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A test person: the login name on the provider's form is the key of the map. */
export interface TestPerson {
  readonly email: string;
  readonly emailVerified: boolean;
}

/** A running provider. */
export interface TestIdentityProvider {
  /** https://127.0.0.1:<port> (the iss of its tokens). */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Sets the redirect URIs the client may use (the operator's public URL is known only once it runs). */
  allowRedirects(uris: readonly string[]): void;
  /**
   * The ID token the provider issues to `login` (audience the client, valid 10 minutes) through an
   * authorization-code flow with PKCE: its login form and consent page submitted over HTTP, the code
   * redeemed at its token endpoint. Its claims are the person's (sub = login, email, email_verified).
   */
  idToken(login: string): Promise<string>;
  close(): Promise<void>;
}

/** Starts an OpenID Provider on 127.0.0.1 over HTTPS with `ca`'s serving certificate. */
export async function startTestIdentityProvider(options: { readonly ca: TestCa; readonly people: Readonly<Record<string, TestPerson>>; readonly clientId?: string }): Promise<TestIdentityProvider> {
  const clientId = options.clientId ?? 'blink-accounts';
  const clientSecret = randomBytes(24).toString('base64url');
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server: Server = createServer({ cert: options.ca.cert, key: options.ca.key }, (req, res) => {
    if (handler) handler(req, res);
    else res.writeHead(503).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...(privateKey.export({ format: 'jwk' }) as JWK), kid: randomBytes(8).toString('hex'), alg: 'ES256', use: 'sig' };
  // Where the harness's own code flows return to: registered for the client, never fetched (the
  // code is read from the provider's redirect).
  const harnessRedirect = `${issuer}/harness/callback`;
  const claimsOf = (login: string): Record<string, unknown> => {
    const person = options.people[login];
    return person ? { sub: login, email: person.email, email_verified: person.emailVerified } : { sub: login };
  };

  const build = (redirectUris: readonly string[]): Provider => {
    const provider = new Provider(issuer, {
      clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [...redirectUris, harnessRedirect], grant_types: ['authorization_code'], response_types: ['code'], id_token_signed_response_alg: 'ES256' }],
      jwks: { keys: [jwk] },
      cookies: { keys: [randomBytes(32).toString('hex')] },
      claims: { openid: ['sub'], email: ['email', 'email_verified'] },
      // The ID token of the code flow carries the email claims (what the operator and the kube-apiserver read).
      conformIdTokenClaims: false,
      features: { devInteractions: { enabled: true } },
      pkce: { required: () => true },
      findAccount: (_ctx: unknown, id: string) => ({ accountId: id, claims: () => claimsOf(id) }),
      ttl: { AuthorizationCode: 60, IdToken: 600, AccessToken: 600, Interaction: 600, Session: 600, Grant: 600 },
    });
    // The provider's own warnings (development keys, interactions) are expected here.
    provider.on('server_error', () => undefined);
    return provider;
  };
  handler = build([]).callback();

  return {
    issuer,
    clientId,
    clientSecret,
    allowRedirects(uris) {
      handler = build(uris).callback();
    },
    idToken: (login) => codeFlow({ issuer, clientId, clientSecret, caPem: options.ca.caPem, redirectUri: harnessRedirect, login }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Most redirects and pages one sign-in passes through (authorize, login, resume, consent, resume). */
const MAX_FLOW_STEPS = 12;

/** One authorization-code flow with PKCE for `login`, as a browser would go through it; returns the ID token. */
async function codeFlow(flow: { issuer: string; clientId: string; clientSecret: string; caPem: string; redirectUri: string; login: string }): Promise<string> {
  const fetchCa = fetchTrusting(flow.caPem);
  const config = await oidc.discovery(new URL(flow.issuer), flow.clientId, { client_secret: flow.clientSecret }, oidc.ClientSecretPost(flow.clientSecret), { [oidc.customFetch]: fetchCa });
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  let url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: flow.redirectUri,
    scope: 'openid email',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  const jar = new Map<string, string>();
  let form: string | undefined;
  for (let step = 0; step < MAX_FLOW_STEPS; step++) {
    const headers: Record<string, string> = {};
    if (jar.size > 0) headers['cookie'] = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    if (form !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetchCa(url.href, { method: form === undefined ? 'GET' : 'POST', headers, ...(form !== undefined ? { body: form } : {}) } as never);
    form = undefined;
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      const expired = attributes.some((a) => /^\s*expires=/i.test(a) && Date.parse(a.split('=')[1] ?? '') < Date.now());
      if (value === '' || expired) jar.delete(name);
      else jar.set(name, value);
    }
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      const next = new URL(location, url);
      if (next.href.startsWith(`${flow.redirectUri}?`)) {
        const tokens = await oidc.authorizationCodeGrant(config, next, { pkceCodeVerifier: verifier, expectedState: state });
        if (!tokens.id_token) throw new Error(`The provider ${flow.issuer} issued no ID token`);
        return tokens.id_token;
      }
      url = next;
      continue;
    }
    const page = await res.text();
    // The provider's development pages: a login form (any password) and a consent form.
    const prompt = res.status === 200 ? /name="prompt" value="(\w+)"/.exec(page)?.[1] : undefined;
    if (prompt === 'login') form = new URLSearchParams({ prompt, login: flow.login, password: 'any password' }).toString();
    else if (prompt === 'consent') form = new URLSearchParams({ prompt }).toString();
    else throw new Error(`The provider ${flow.issuer} answered ${res.status} at ${url.pathname} during the sign-in of ${flow.login}`);
  }
  throw new Error(`The sign-in of ${flow.login} at ${flow.issuer} did not end within ${MAX_FLOW_STEPS} steps`);
}
