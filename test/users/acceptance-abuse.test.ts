// The acceptance page under hostile input, through real HTTP against a real operator: wrong,
// forged, expired, reused, revoked and garbage tokens; missing and forged CSRF tokens; huge
// bodies; wrong methods and content types; markup in names; racing accepts; rate limits.
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checksumOf } from '../../operator/apikeys/checksummed-token.js';
import { issueCsrfToken } from '../../operator/invitations/csrf.js';
import { generateInvitationToken, parseInvitationToken } from '../../operator/invitations/token.js';
import type { RunningOperator } from '../../operator/operator.js';
import { builtinKinds } from '../../operator/runtime/kinds.js';
import { CSRF_SECRET_NAME } from '../../operator/invitations/csrf-secret.js';
import { createUsersFeature } from '../../operator/users/feature.js';
import type { SecretObject } from '../../operator/invitations/invitation-record.js';
import { eventually, kubectl, useNamespace } from '../harness/kube.js';
import { newShard, startTestOperator } from '../harness/operator.js';
import { acceptOverHttp, apply, getRecord, linkOf, shiftableClock, startTestSmtp, userManifest, waitForUser } from './fixtures.js';
import type { TestSmtp } from './fixtures.js';
import { adminClient, createTenantWithNamespace, deleteTenant } from '../harness/tenant.js';

const operatorNs = useNamespace('users-abuse');
const shard = newShard('abuse');
const suffix = randomBytes(3).toString('hex');
const tenantName = `evil-${suffix}`;
const shortTenantName = `evil-short-${suffix}`;
const TENANT_DISPLAY = '<script>alert("t")</script> & Co';
const clock = shiftableClock();
let ns: string;
let shortNs: string;
let smtp: TestSmtp;
let operator: RunningOperator;
let limited: RunningOperator | undefined;
let proxied: RunningOperator | undefined;

interface Tokens {
  valid: string;
  used: string;
  revoked: string;
  superseded: string;
  deleted: string;
  forged: string;
  unknown: string;
  csrf: string;
  csrfKey: Buffer;
}
const t = {} as Tokens;

interface Req {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Send the body chunked (no content-length). */
  chunked?: boolean;
  /** Local address to connect from (any of 127.0.0.0/8 works on loopback). */
  localAddress?: string;
}
interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(base: string, req: Req): Promise<Res> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(req.headers ?? {}) };
    if (req.body !== undefined && !req.chunked) headers['content-length'] = String(Buffer.byteLength(req.body));
    const r = request({ host: url.hostname, port: url.port, method: req.method ?? 'GET', path: req.path, headers, ...(req.localAddress ? { localAddress: req.localAddress } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    r.on('error', reject);
    if (req.body !== undefined) {
      if (req.chunked) {
        const body = Buffer.from(req.body);
        for (let i = 0; i < body.length; i += 1024) r.write(body.subarray(i, i + 1024));
      } else r.write(req.body);
    }
    r.end();
  });
}

const path = (token: string) => `/invitations/${token}`;
const form = (fields: [string, string][]) => new URLSearchParams(fields).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const idOf = (token: string) => {
  const parsed = parseInvitationToken(token);
  if (!parsed.ok) throw new Error('test token does not parse');
  return parsed.value.invitationId;
};
const csrfFor = (token: string, at = Date.now()) => issueCsrfToken(t.csrfKey, idOf(token), new Date(at));
const post = (token: string, csrf: string): Req => ({ method: 'POST', path: path(token), headers: FORM, body: form([['csrf', csrf]]) });

function titleOf(body: string): string {
  return /<h1>([^<]*)<\/h1>/.exec(body)?.[1] ?? '';
}

async function invite(name: string, email: string, extra: object = {}): Promise<string> {
  await apply(userManifest(ns, name, { email, ...extra }));
  return linkOf(await smtp.waitForMessage(email)).split('/invitations/')[1] as string;
}

beforeAll(async () => {
  smtp = await startTestSmtp(operatorNs.name);
  ns = await createTenantWithNamespace(adminClient(), { shard, name: tenantName, spec: { displayName: TENANT_DISPLAY } });
  shortNs = await createTenantWithNamespace(adminClient(), { shard, name: shortTenantName, spec: { displayName: 'Short', invitationTTL: '1m' } });
  operator = await startTestOperator({ shard, namespace: operatorNs.name, smtpSecret: smtp.secret }, [
    createUsersFeature({ clock, rateLimit: { burst: 10_000, refillPerSecond: 0 }, globalRateLimit: { burst: 10_000, refillPerSecond: 0 } }),
  ]);
  const [valid, used, revoked, superseded, deleted] = await Promise.all([
    invite('valid', 'valid@evil.test', { displayName: '<img src=x onerror=alert(1)>' }),
    invite('used', 'used@evil.test'),
    invite('revoked', 'revoked@evil.test'),
    invite('resent', 'resent@evil.test'),
    invite('gone', 'gone@evil.test'),
  ]);
  Object.assign(t, { valid, used, revoked, superseded, deleted });
  expect((await acceptOverHttp(`${operator.url}${path(used)}`)).status).toBe(200);
  await kubectl(['patch', 'user', 'revoked', '-n', ns, '--type=merge', '-p', '{"spec":{"active":false}}']);
  await kubectl(['patch', 'user', 'resent', '-n', ns, '--type=merge', '-p', '{"spec":{"invitation":{"resend":1}}}']);
  await kubectl(['delete', 'user', 'gone', '-n', ns]);
  await smtp.waitForMessage('resent@evil.test', 2);
  await eventually(async () => ((await getRecord(ns, 'revoked'))?.state === 'revoked' ? true : undefined), 15_000, 'revoked');
  // Wait until this replica's cache has seen every change.
  await eventually(async () => ((await send(operator.url, { path: path(revoked) })).status === 404 ? true : undefined), 15_000, 'revoked in cache');
  await eventually(async () => ((await send(operator.url, { path: path(superseded) })).status === 404 ? true : undefined), 15_000, 'superseded in cache');
  await eventually(async () => ((await send(operator.url, { path: path(deleted) })).status === 404 ? true : undefined), 15_000, 'deleted in cache');
  await eventually(async () => ((await send(operator.url, { path: path(used) })).status === 409 ? true : undefined), 15_000, 'used in cache');

  const page = await send(operator.url, { path: path(valid) });
  t.csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
  const secret = await adminClient().get<SecretObject>(builtinKinds.secret, operatorNs.name, CSRF_SECRET_NAME);
  t.csrfKey = Buffer.from(secret.data?.['key'] ?? '', 'base64');
  const validId = idOf(valid);
  const forgedBody = `blink_inv_${validId}_${'A'.repeat(43)}`;
  t.forged = forgedBody + checksumOf(forgedBody);
  t.unknown = generateInvitationToken().token;
});

afterAll(async () => {
  await kubectl(['delete', 'users', '--all', '-n', ns, '--wait=true', '--timeout=20s']).catch(() => undefined);
  await kubectl(['delete', 'users', '--all', '-n', shortNs, '--wait=true', '--timeout=20s']).catch(() => undefined);
  await limited?.stop();
  await proxied?.stop();
  await operator?.stop();
  await smtp?.close();
  await deleteTenant(adminClient(), tenantName);
  await deleteTenant(adminClient(), shortTenantName);
});

const INVALID = 'This invitation link is not valid';
const BAD = 'The request could not be completed';
const JOIN = `Join ${TENANT_DISPLAY.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')} on Blink`;

const rows: { name: string; req: () => Req; status: number; title?: string }[] = [
  // Tokens, GET.
  { name: 'GET garbage token', req: () => ({ path: path('abc') }), status: 404, title: INVALID },
  { name: 'GET empty token', req: () => ({ path: '/invitations/' }), status: 404, title: INVALID },
  { name: 'GET bad checksum', req: () => ({ path: path(t.valid.slice(0, -1) + (t.valid.endsWith('A') ? 'B' : 'A')) }), status: 404, title: INVALID },
  { name: 'GET unknown invitation id', req: () => ({ path: path(t.unknown) }), status: 404, title: INVALID },
  { name: 'GET forged secret for a real id', req: () => ({ path: path(t.forged) }), status: 404, title: INVALID },
  { name: 'GET API-key prefix', req: () => ({ path: path(t.valid.replace('blink_inv_', 'blink_key_')) }), status: 404, title: INVALID },
  { name: 'GET already used', req: () => ({ path: path(t.used) }), status: 409, title: INVALID },
  { name: 'GET revoked (deactivated)', req: () => ({ path: path(t.revoked) }), status: 404, title: INVALID },
  { name: 'GET superseded by a resend', req: () => ({ path: path(t.superseded) }), status: 404, title: INVALID },
  { name: 'GET of a deleted user', req: () => ({ path: path(t.deleted) }), status: 404, title: INVALID },
  { name: 'GET extra path segment', req: () => ({ path: `${path(t.valid)}/x` }), status: 404, title: INVALID },
  { name: 'GET 5000-character token', req: () => ({ path: path('a'.repeat(5000)) }), status: 404, title: INVALID },
  { name: 'GET script in the token', req: () => ({ path: path('%3Cscript%3Ealert(1)%3C%2Fscript%3E') }), status: 404, title: INVALID },
  { name: 'GET path traversal', req: () => ({ path: path('..%2F..%2Fhealthz') }), status: 404, title: INVALID },
  { name: 'GET non-ASCII token', req: () => ({ path: path(encodeURIComponent('blink_inv_ü')) }), status: 404, title: INVALID },
  { name: 'GET valid with markup in the query (ignored)', req: () => ({ path: `${path(t.valid)}?x=%3Cscript%3E` }), status: 200, title: JOIN },
  { name: 'HEAD valid', req: () => ({ method: 'HEAD', path: path(t.valid) }), status: 200 },
  { name: 'HEAD garbage', req: () => ({ method: 'HEAD', path: path('abc') }), status: 404 },
  // Methods.
  { name: 'PUT', req: () => ({ method: 'PUT', path: path(t.valid), headers: FORM, body: form([['csrf', t.csrf]]) }), status: 405, title: BAD },
  { name: 'DELETE', req: () => ({ method: 'DELETE', path: path(t.valid) }), status: 405, title: BAD },
  { name: 'PATCH', req: () => ({ method: 'PATCH', path: path(t.valid), headers: FORM, body: form([['csrf', t.csrf]]) }), status: 405, title: BAD },
  { name: 'OPTIONS', req: () => ({ method: 'OPTIONS', path: path(t.valid) }), status: 405, title: BAD },
  { name: 'PUT garbage', req: () => ({ method: 'PUT', path: path('abc') }), status: 405, title: BAD },
  // Content types.
  { name: 'POST without a content type', req: () => ({ method: 'POST', path: path(t.valid), body: form([['csrf', t.csrf]]) }), status: 415, title: BAD },
  { name: 'POST JSON', req: () => ({ method: 'POST', path: path(t.valid), headers: { 'content-type': 'application/json' }, body: JSON.stringify({ csrf: t.csrf }) }), status: 415, title: BAD },
  { name: 'POST multipart', req: () => ({ method: 'POST', path: path(t.valid), headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: `--x\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n${t.csrf}\r\n--x--\r\n` }), status: 415, title: BAD },
  { name: 'POST text/plain', req: () => ({ method: 'POST', path: path(t.valid), headers: { 'content-type': 'text/plain' }, body: `csrf=${t.csrf}` }), status: 415, title: BAD },
  { name: 'POST text/html', req: () => ({ method: 'POST', path: path(t.valid), headers: { 'content-type': 'text/html' }, body: '<script>alert(1)</script>' }), status: 415, title: BAD },
  // CSRF.
  { name: 'POST without the csrf field', req: () => ({ method: 'POST', path: path(t.valid), headers: FORM, body: form([['accept', '1']]) }), status: 403, title: BAD },
  { name: 'POST with an empty body', req: () => ({ method: 'POST', path: path(t.valid), headers: FORM, body: '' }), status: 403, title: BAD },
  { name: 'POST with an empty csrf', req: () => post(t.valid, ''), status: 403, title: BAD },
  { name: 'POST with a garbage csrf', req: () => post(t.valid, '<script>x</script>'), status: 403, title: BAD },
  { name: 'POST with the csrf of another invitation', req: () => post(t.valid, csrfFor(t.used)), status: 403, title: BAD },
  { name: 'POST with an expired csrf', req: () => post(t.valid, csrfFor(t.valid, Date.now() - 2 * 3_600_000)), status: 403, title: BAD },
  { name: 'POST with two csrf fields', req: () => ({ method: 'POST', path: path(t.valid), headers: FORM, body: form([['csrf', t.csrf], ['csrf', t.csrf]]) }), status: 403, title: BAD },
  { name: 'POST with a tampered csrf', req: () => post(t.valid, t.csrf.slice(0, -2) + (t.csrf.endsWith('AA') ? 'BA' : 'AA')), status: 403, title: BAD },
  { name: 'POST with a csrf minted under another key', req: () => post(t.valid, issueCsrfToken(randomBytes(32), idOf(t.valid), new Date())), status: 403, title: BAD },
  // Bodies.
  { name: 'POST 5 KiB body', req: () => ({ method: 'POST', path: path(t.valid), headers: FORM, body: form([['csrf', t.csrf], ['pad', 'x'.repeat(5 * 1024)]]) }), status: 413, title: BAD },
  { name: 'POST 1 MiB body', req: () => ({ method: 'POST', path: path(t.valid), headers: FORM, body: Buffer.alloc(1024 * 1024, 'a') }), status: 413, title: BAD },
  { name: 'POST chunked body over the limit', req: () => ({ method: 'POST', path: path(t.valid), headers: FORM, body: 'a'.repeat(64 * 1024), chunked: true }), status: 413, title: BAD },
  // Tokens, POST (with a CSRF token that is valid for the id the token names).
  { name: 'POST garbage token', req: () => post('abc', t.csrf), status: 404, title: INVALID },
  { name: 'POST unknown invitation', req: () => post(t.unknown, csrfFor(t.unknown)), status: 404, title: INVALID },
  { name: 'POST forged secret for a real id', req: () => post(t.forged, t.csrf), status: 404, title: INVALID },
  { name: 'POST already used', req: () => post(t.used, csrfFor(t.used)), status: 409, title: INVALID },
  { name: 'POST revoked', req: () => post(t.revoked, csrfFor(t.revoked)), status: 404, title: INVALID },
  { name: 'POST superseded', req: () => post(t.superseded, csrfFor(t.superseded)), status: 404, title: INVALID },
  { name: 'POST of a deleted user', req: () => post(t.deleted, csrfFor(t.deleted)), status: 404, title: INVALID },
];

describe('acceptance page abuse', () => {
  it(`covers at least 40 hostile requests (${rows.length})`, () => {
    expect(rows.length).toBeGreaterThanOrEqual(40);
  });

  it.each(rows)('$name → $status', async ({ req, status, title }) => {
    const request = req();
    const res = await send(operator.url, request);
    expect(res.status).toBe(status);
    expect(res.headers['content-security-policy']).toMatch(/^default-src 'none'/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    if (status === 405) expect(res.headers['allow']).toBe('GET, HEAD, POST');
    if (request.method === 'HEAD') expect(res.body).toBe('');
    if (title !== undefined) expect(titleOf(res.body)).toBe(title);
    // Markup never comes back unescaped, and a refusal names nobody.
    expect(res.body).not.toMatch(/<script|<img/i);
    if (status !== 200) {
      expect(res.body).not.toContain('@evil.test');
      expect(res.body).not.toContain('blink_inv_');
    }
  });

  it('reveals nothing: every 404 page is the same page', async () => {
    const bodies = new Set<string>();
    for (const token of ['abc', t.unknown, t.forged, t.revoked, t.superseded, t.deleted]) bodies.add((await send(operator.url, { path: path(token) })).body);
    expect(bodies.size).toBe(1);
  });

  it('escapes markup from the Tenant and the User in the page and the email', async () => {
    const page = await send(operator.url, { path: path(t.valid) });
    expect(page.body).toContain('&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt; &amp; Co');
    const [message] = await smtp.messagesTo('valid@evil.test');
    expect(message?.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(message?.html).not.toContain('<img');
    expect(message?.html).not.toContain('<script');
  });

  it('after all of that the valid invitation still works, once', async () => {
    expect((await getRecord(ns, 'valid'))?.state).toBe('pending');
    const accepted = await send(operator.url, post(t.valid, t.csrf));
    expect(accepted.status).toBe(200);
    expect(titleOf(accepted.body)).toBe('Invitation accepted');
    const replay = await send(operator.url, post(t.valid, t.csrf));
    expect(replay.status).toBe(409);
    await waitForUser(ns, 'valid', (u) => u.status?.phase === 'Active', 'valid Active');
  });

  it('two concurrent accepts of one token: exactly one wins, the other sees "already used" (409)', async () => {
    const token = await invite('race', 'race@evil.test');
    const csrf = csrfFor(token);
    const results = await Promise.all([send(operator.url, post(token, csrf)), send(operator.url, post(token, csrf))]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(titleOf(results.find((r) => r.status === 409)?.body ?? '')).toBe(INVALID);
    await waitForUser(ns, 'race', (u) => u.status?.phase === 'Active', 'race Active');
  });

  it('an expired token gets the expired page on GET and POST (410) and is not accepted', async () => {
    await apply(userManifest(shortNs, 'late', { email: 'late@evil.test' }));
    const token = linkOf(await smtp.waitForMessage('late@evil.test')).split('/invitations/')[1] as string;
    clock.shift(2 * 60_000);
    try {
      const get = await send(operator.url, { path: path(token) });
      expect(get.status).toBe(410);
      expect(titleOf(get.body)).toBe('This invitation has expired');
      const postRes = await send(operator.url, post(token, csrfFor(token, clock.now())));
      expect(postRes.status).toBe(410);
    } finally {
      clock.reset();
    }
    expect((await getRecord(shortNs, 'late'))?.state).toBe('pending');
  });

  it('rate-limits per client IP with a 429 page and Retry-After', async () => {
    limited = await startTestOperator({ shard: newShard('abuse-rl'), namespace: operatorNs.name }, [createUsersFeature({ rateLimit: { burst: 5, refillPerSecond: 0.1 } })]);
    const statuses: number[] = [];
    let last: Res | undefined;
    for (let i = 0; i < 8; i++) {
      last = await send(limited.url, { path: path('abc') });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([404, 404, 404, 404, 404, 429, 429, 429]);
    expect(last?.headers['retry-after']).toBe('10');
    expect(titleOf(last?.body ?? '')).toBe('Too many attempts');
  });

  describe('behind a trusted proxy (--trusted-proxies)', () => {
    // The proxy connects from 127.0.0.2, which the operator trusts; 127.0.0.1 is any other peer.
    const PROXY = '127.0.0.2';
    const OTHER = '127.0.0.1';
    const statuses = async (reqs: Req[]) => {
      const out: number[] = [];
      for (const r of reqs) out.push((await send((proxied as RunningOperator).url, r)).status);
      return out;
    };
    const fromProxy = (forwardedFor: string, token = 'abc'): Req => ({ path: path(token), localAddress: PROXY, headers: { 'x-forwarded-for': forwardedFor } });

    beforeAll(async () => {
      proxied = await startTestOperator({ shard: newShard('abuse-proxy'), namespace: operatorNs.name, trustedProxies: [`${PROXY}/32`] }, [
        createUsersFeature({ rateLimit: { burst: 3, refillPerSecond: 0 } }),
      ]);
    });

    it('limits two clients behind the proxy separately, by the X-Forwarded-For the proxy appended', async () => {
      // A forged left part does not make a new client: the right-most untrusted entry does.
      expect(await statuses([1, 2, 3, 4].map((i) => fromProxy(`192.0.2.${i}, 203.0.113.1`)))).toEqual([404, 404, 404, 429]);
      expect(await statuses([1, 2, 3, 4].map(() => fromProxy('203.0.113.2')))).toEqual([404, 404, 404, 429]);
      // The proxy's own address was never charged.
      expect(await statuses([fromProxy('203.0.113.3')])).toEqual([404]);
    });

    it("ignores the X-Forwarded-For of a peer that is not a trusted proxy", async () => {
      const reqs = [1, 2, 3, 4].map((i): Req => ({ path: path('abc'), localAddress: OTHER, headers: { 'x-forwarded-for': `198.51.100.${i}` } }));
      expect(await statuses(reqs)).toEqual([404, 404, 404, 429]);
    });

    it('charges the guesses against one invitation id to their clients, not to the invitation', async () => {
      // Issue 22 §4: there is no per-invitation bucket any more (guess-limiter.ts says why); five
      // clients guessing one id are five clients, each with its own budget.
      const target = generateInvitationToken().token;
      expect(await statuses([1, 2, 3, 4, 5].map((i) => fromProxy(`203.0.113.${100 + i}`, target)))).toEqual([404, 404, 404, 404, 404]);
      // The one that keeps guessing runs out of its own budget (burst 3).
      expect(await statuses([fromProxy('203.0.113.101', target), fromProxy('203.0.113.101', target)])).toEqual([404, 404]);
      const limitedRes = await send((proxied as RunningOperator).url, fromProxy('203.0.113.101', target));
      expect(limitedRes.status).toBe(429);
      expect(titleOf(limitedRes.body)).toBe('Too many attempts');
      expect(limitedRes.body).not.toContain('blink_inv_');
    });
  });
});

// Issue 22 §4: the invitation id is not secret and the checksum is public, so anyone can build
// well-formed wrong tokens for one invitation. They must cost the guesser, never the invitee.
describe('one person cannot be locked out of their own invitation', () => {
  const PROXY = '127.0.0.2';
  const guardShard = newShard('abuse-guard');
  const guardTenant = `evil-guard-${suffix}`;
  const guardClock = shiftableClock();
  let guardNs: string;
  let guarded: RunningOperator;
  /** A request that arrives through the trusted proxy, for the client `from`. */
  const via = (from: string, req: Req): Req => ({ ...req, localAddress: PROXY, headers: { ...(req.headers ?? {}), 'x-forwarded-for': from } });
  /** A well-formed token (checksum right) for the invitation of `token`, with a wrong secret. */
  const wrongFor = (token: string, n: number): string => {
    const body = `blink_inv_${idOf(token)}_${randomBytes(32).toString('base64url').replace(/[-_]/g, 'A').slice(0, 42)}${n % 10}`;
    return body + checksumOf(body);
  };
  const statusesOf = async (reqs: Req[]): Promise<number[]> => {
    const out: number[] = [];
    for (const r of reqs) out.push((await send(guarded.url, r)).status);
    return out;
  };
  async function inviteHere(name: string): Promise<string> {
    const email = `${name}@evil.test`;
    await apply(userManifest(guardNs, name, { email }));
    const token = linkOf(await smtp.waitForMessage(email)).split('/invitations/')[1] as string;
    // This replica's cache has the record once the link shows its page.
    await eventually(async () => ((await send(guarded.url, via('198.51.100.250', { path: path(token) }))).status === 200 ? true : undefined), 15_000, `${name}'s page`);
    return token;
  }
  /** The invitee's GET, then the POST of its form, from `from`: both must answer 200. */
  async function acceptAs(from: string, token: string): Promise<void> {
    const page = await send(guarded.url, via(from, { path: path(token) }));
    expect(page.status).toBe(200);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    const accepted = await send(guarded.url, via(from, post(token, csrf)));
    expect(accepted.status).toBe(200);
    expect(titleOf(accepted.body)).toBe('Invitation accepted');
  }

  beforeAll(async () => {
    guardNs = await createTenantWithNamespace(adminClient(), { shard: guardShard, name: guardTenant, spec: { displayName: 'Guarded' } });
    // The production limits (no override), behind a trusted proxy whose X-Forwarded-For names the client.
    guarded = await startTestOperator({ shard: guardShard, namespace: operatorNs.name, smtpSecret: smtp.secret, trustedProxies: [`${PROXY}/32`] }, [createUsersFeature({ clock: guardClock })]);
  });

  afterAll(async () => {
    await kubectl(['delete', 'users', '--all', '-n', guardNs, '--wait=true', '--timeout=20s']).catch(() => undefined);
    await guarded?.stop();
    guardClock.reset();
    await deleteTenant(adminClient(), guardTenant);
  });

  it('40 wrong tokens for one invitation from other clients leave the invitee GET and POST without a 429', async () => {
    const token = await inviteHere('flooded');
    // 30 guessers, one guess each, and one guesser with 10 more than its budget of 20.
    const spread = await statusesOf(Array.from({ length: 30 }, (_, i) => via(`203.0.113.${i + 1}`, { path: path(wrongFor(token, i)) })));
    const one = await statusesOf(Array.from({ length: 30 }, (_, i) => via('203.0.113.99', i % 2 ? { path: path(wrongFor(token, i)) } : post(wrongFor(token, i), csrfFor(token, guardClock.now())))));
    await acceptAs('198.51.100.7', token);
    await waitForUser(guardNs, 'flooded', (u) => u.status?.phase === 'Active', 'flooded Active');
    // The guesses cost the guessers: one each is within anyone's budget; the one that kept on ran out of its own.
    expect(spread).toEqual(Array(30).fill(404));
    expect(one).toEqual([...Array(20).fill(404), ...Array(10).fill(429)]);
  });

  it('the right token is served even from the address of a guesser that is refused', async () => {
    const token = await inviteHere('shared-nat');
    const guesses = await statusesOf(Array.from({ length: 25 }, (_, i) => via('203.0.113.150', { path: path(wrongFor(token, i)) })));
    expect(guesses.slice(20)).toEqual(Array(5).fill(429));
    await acceptAs('203.0.113.150', token);
  });

  it('a slow drip of wrong guesses (one every 30 s) does not keep the invitee out', async () => {
    const token = await inviteHere('dripped');
    // Use up what any budget could have held, then keep guessing at the pace that used to keep the invitee out.
    await statusesOf(Array.from({ length: 30 }, (_, i) => via(`203.0.113.${200 + (i % 3)}`, { path: path(wrongFor(token, i)) })));
    for (let round = 0; round < 10; round++) {
      guardClock.shift(30_000);
      await send(guarded.url, via('203.0.113.210', { path: path(wrongFor(token, round)) }));
      const page = await send(guarded.url, via('198.51.100.8', { path: path(token) }));
      expect({ round, status: page.status }).toEqual({ round, status: 200 });
    }
    await acceptAs('198.51.100.8', token);
  });

  it('bounds the wrong guesses of all clients together, and the right token still passes', async () => {
    const token = await inviteHere('global');
    // Whatever the tests before spent has come back (200 s at two a second; this operator's clock only moves forward).
    guardClock.shift(200_000);
    // The global budget (200) runs out however many addresses the guesses come from.
    const all = await statusesOf(Array.from({ length: 230 }, (_, i) => via(`192.0.2.${i % 250}`, { path: path(wrongFor(token, i)) })));
    expect(all.filter((s) => s === 404).length).toBeGreaterThanOrEqual(200);
    expect(all.slice(-10)).toEqual(Array(10).fill(429));
    const fresh = await send(guarded.url, via('198.51.100.77', { path: path(generateInvitationToken().token) }));
    expect(fresh.status).toBe(429);
    expect(Number(fresh.headers['retry-after'])).toBeGreaterThan(0);
    await acceptAs('198.51.100.9', token);
  });
});
