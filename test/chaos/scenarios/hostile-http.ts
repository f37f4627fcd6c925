// Scenario `hostile-http`: a real operator process (`blink-accounts operator
// run`, every feature) with users holding live invitations (sent through a dev
// SMTP server) and service accounts holding keys, under generated hostile HTTP
// on its three ports: malformed and deeply nested JSON, bodies over the limit,
// slow clients (slowloris on headers and on bodies), wrong content types and
// methods, path traversal, oversized headers, raw malformed HTTP over a socket
// (bad request lines, invalid chunked encoding, smuggling, header injection,
// pipelined garbage, random bytes), callers without, with bad and with
// expired or revoked tokens, forged acceptance attempts; with valid requests
// interleaved that must keep being answered correctly. Generated input comes
// from fast-check, seeded by the run's seed.
import { request } from 'node:http';
import type { OutgoingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import { hashApiKey } from '../../../operator/apikeys/index.js';
import { checksumOf } from '../../../operator/apikeys/checksummed-token.js';
import { FORBIDDEN_MESSAGE, INVALID_KEY_MESSAGE, isJsonMediaType, NO_CALLER_MESSAGE } from '../../../operator/access/http-api.js';
import { issueCsrfToken } from '../../../operator/invitations/csrf.js';
import { parseInvitationToken } from '../../../operator/invitations/token.js';
import { DEFAULT_HTTP_TIMEOUTS } from '../../../operator/runtime/http-server.js';
import { builtinKinds } from '../../../operator/runtime/kinds.js';
import { accessApiCaller, accessApiToken, CALLERS_NAMESPACE } from '../../harness/access.js';
import { eventually } from '../../harness/kube.js';
import { newShard, spawnOperator } from '../../harness/operator.js';
import type { OperatorProcess } from '../../harness/operator.js';
import { eventsText, readKey, statusesText } from '../../service-accounts/fixtures.js';
import { getRecord, getUser, linkOf, startTestSmtp, userManifest, apply } from '../../users/fixtures.js';
import type { TestSmtp } from '../../users/fixtures.js';
import { scrapeMetrics } from '../../harness/metrics.js';
import { memoryCheck } from '../invariants.js';
import { Checks, random, sleep } from '../scenario.js';
import type { ChaosContext, Scenario, ScenarioResult } from '../scenario.js';
import { adminClient, cleanUp, createServiceAccount, createTenant, createWorkspace, tenantReady, uniqueName } from '../../harness/tenant.js';

/** What a hostile request is, for the counts. */
type Category =
  | 'malformed-json'
  | 'hostile-json'
  | 'deep-nesting'
  | 'huge-body'
  | 'wrong-content-type'
  | 'wrong-method'
  | 'path-traversal'
  | 'oversized-headers'
  | 'raw-malformed'
  | 'pipelined-garbage'
  | 'connection-reuse'
  | 'random-bytes'
  | 'bad-caller'
  | 'random-principal'
  | 'forged-acceptance'
  | 'slow-client';

type Port = 'access' | 'public' | 'metrics';

/** One response as seen on the wire. */
interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** What one hostile or valid exchange produced. */
interface Outcome {
  /** Responses in order (one for a plain request; several for pipelined ones; none for a close). */
  readonly answers: readonly Answer[];
  /** The server closed the connection (or reset it). */
  readonly closed: boolean;
  /** Time until the last byte or the close. */
  readonly ms: number;
  /** The client gave up waiting (the server hung). */
  readonly hung: boolean;
  /** Bytes that did not parse as HTTP responses. */
  readonly garbage: string;
  /** A client-side error other than a reset. */
  readonly error?: string;
}

/** A request made with node:http (well-formed on the wire). */
interface HttpSend {
  readonly kind: 'http';
  readonly method: string;
  readonly path: string;
  readonly headers?: OutgoingHttpHeaders;
  readonly body?: string | Buffer;
  /** Send the body in pieces without a Content-Length (chunked). */
  readonly chunked?: boolean;
}

/** Bytes written to a socket as they are (a number waits that many ms). */
interface RawSend {
  readonly kind: 'raw';
  readonly chunks: readonly (string | Buffer | number)[];
}

/** A generated case: what to send where, and what is acceptable back. */
interface Case {
  readonly category: Category;
  readonly port: Port;
  readonly label: string;
  readonly send: HttpSend | RawSend;
  /** Longest acceptable time to the answer or the close. */
  readonly boundMs: number;
  /** Statuses acceptable, in order, for pipelined requests whose first ones are valid (default: every answer 4xx/5xx). */
  readonly leading?: readonly number[];
  /** A close without any answer is acceptable (raw garbage, slow clients). @default false */
  readonly closeOk?: boolean;
  /** Statuses below 400 that are a correct answer too (a valid question about an unknown principal: 200 allowed=false). */
  readonly accept?: readonly number[];
  /** Extra judgement; returns what is wrong. */
  readonly judge?: (outcome: Outcome) => string | undefined;
}

/** Largest error body accepted: the pages and JSON errors are a few KiB. */
const MAX_ERROR_BODY = 64 * 1024;
/** Answer bound of a request that has everything it needs (loaded machine: generous). */
const ANSWER_BOUND_MS = 10_000;
/** A request that may legitimately wait for bytes that never come ends by the request timeout. */
const REQUEST_BOUND_MS = DEFAULT_HTTP_TIMEOUTS.requestTimeoutMs + 6_000;
const HEADERS_BOUND_MS = DEFAULT_HTTP_TIMEOUTS.headersTimeoutMs + 6_000;
/** A client waits this long before calling the server hung. */
const HUNG_MS = 75_000;
const FORM = 'application/x-www-form-urlencoded';

/** The responses in `text` (as far as they parse), and what is left over. */
function parseResponses(text: string): { answers: Answer[]; garbage: string } {
  const answers: Answer[] = [];
  let rest = text;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    const line = /^HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n/.exec(rest);
    if (end < 0 || !line) break;
    const headers: Record<string, string> = {};
    for (const h of rest.slice(line[0].length, end).split('\r\n')) {
      const colon = h.indexOf(':');
      if (colon > 0) headers[h.slice(0, colon).trim().toLowerCase()] = h.slice(colon + 1).trim();
    }
    if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      // Chunked (the metrics port's answers): size lines until the zero chunk.
      let at = end + 4;
      let body = '';
      for (;;) {
        const eol = rest.indexOf('\r\n', at);
        const size = eol < 0 ? NaN : parseInt(rest.slice(at, eol), 16);
        if (!Number.isFinite(size)) return { answers, garbage: rest };
        body += rest.slice(eol + 2, eol + 2 + size);
        at = eol + 2 + size + 2;
        if (size === 0) break;
      }
      answers.push({ status: Number(line[1]), headers, body });
      rest = rest.slice(at);
      continue;
    }
    const length = Number(headers['content-length'] ?? 0);
    if (!Number.isFinite(length)) break;
    answers.push({ status: Number(line[1]), headers, body: rest.slice(end + 4, end + 4 + length) });
    rest = rest.slice(end + 4 + length);
  }
  return { answers, garbage: rest };
}

/** Writes raw bytes to `base`'s port from `localAddress` and collects what comes back until the close or `waitMs`. */
function rawExchange(base: string, send: RawSend, localAddress: string | undefined, waitMs: number): Promise<Outcome> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve) => {
    const started = performance.now();
    let last = started;
    const chunks: Buffer[] = [];
    let done = false;
    let error: string | undefined;
    const socket = connect({ host: hostname, port: Number(port), ...(localAddress ? { localAddress } : {}) });
    const finish = (closed: boolean, hung: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const { answers, garbage } = parseResponses(Buffer.concat(chunks).toString('latin1'));
      resolve({ answers, closed, ms: (closed ? performance.now() : last) - started, hung, garbage, ...(error ? { error } : {}) });
    };
    const timer = setTimeout(() => finish(false, true), waitMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      last = performance.now();
    });
    socket.on('close', () => finish(true, false));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'ECONNRESET' && e.code !== 'EPIPE') error = `${e.code ?? ''} ${e.message}`;
    });
    socket.once('connect', () => {
      void (async () => {
        for (const chunk of send.chunks) {
          if (done || socket.destroyed) return;
          if (typeof chunk === 'number') await sleep(chunk);
          else socket.write(chunk);
        }
      })();
    });
  });
}

/** Sends a well-formed request with node:http on a fresh connection from `localAddress`. */
function httpExchange(base: string, send: HttpSend, localAddress: string | undefined, waitMs: number): Promise<Outcome> {
  const url = new URL(base);
  return new Promise((resolve) => {
    const started = performance.now();
    let done = false;
    const finish = (outcome: Omit<Outcome, 'ms' | 'garbage'>): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ ...outcome, ms: performance.now() - started, garbage: '' });
    };
    const headers: OutgoingHttpHeaders = { ...(send.headers ?? {}) };
    if (send.body !== undefined && !send.chunked) headers['content-length'] = Buffer.byteLength(send.body);
    let req: ReturnType<typeof request>;
    try {
      req = request({ host: url.hostname, port: url.port, method: send.method, path: send.path, headers, agent: false, ...(localAddress ? { localAddress } : {}) }, (res) => {
        const body: Buffer[] = [];
        res.on('data', (c: Buffer) => body.push(c));
        res.on('error', () => undefined);
        res.on('end', () => {
          const flat: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
          finish({ answers: [{ status: res.statusCode ?? 0, headers: flat, body: Buffer.concat(body).toString('utf8') }], closed: false, hung: false });
        });
      });
    } catch (error) {
      resolve({ answers: [], closed: false, ms: 0, hung: false, garbage: '', error: `client refused to send: ${(error as Error).message}` });
      return;
    }
    const timer = setTimeout(() => {
      finish({ answers: [], closed: false, hung: true });
      req.destroy();
    }, waitMs);
    req.on('error', (e: NodeJS.ErrnoException) => {
      const reset = e.code === 'ECONNRESET' || e.code === 'EPIPE' || /socket hang up/.test(e.message);
      finish({ answers: [], closed: reset, hung: false, ...(reset ? {} : { error: `${e.code ?? ''} ${e.message}` }) });
    });
    if (send.body !== undefined) {
      const body = Buffer.from(send.body);
      if (send.chunked) for (let i = 0; i < body.length; i += 4096) req.write(body.subarray(i, i + 4096));
      else req.write(body);
    }
    req.end();
  });
}

/** Runs `tasks` with at most `limit` at once. */
async function pool<T>(tasks: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, tasks.length) }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await (tasks[i] as () => Promise<T>)();
      }
    }),
  );
  return results;
}

/** VmRSS of a process in MiB (undefined once it is gone). */
async function rssMiB(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Number(kb) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** What is wrong with an outcome against its case's contract (undefined: nothing). */
function judgeOutcome(c: Pick<Case, 'boundMs' | 'leading' | 'closeOk' | 'accept' | 'judge'>, o: Outcome): string | undefined {
  if (o.error) return `client error ${o.error}`;
  if (o.hung) return `no answer and no close within ${HUNG_MS} ms (hung)`;
  if (o.ms > c.boundMs) return `took ${Math.round(o.ms)} ms (bound ${c.boundMs} ms)`;
  if (o.answers.length === 0 && !(c.closeOk && o.closed)) return o.closed ? 'closed without an answer' : 'no answer';
  const leading = c.leading ?? [];
  for (const [i, answer] of o.answers.entries()) {
    const wanted = leading[i];
    if (wanted !== undefined) {
      if (answer.status !== wanted) return `answer ${i + 1} was ${answer.status}, expected ${wanted}`;
      continue;
    }
    if (c.accept?.includes(answer.status)) continue;
    if (answer.status < 400 || answer.status > 599) return `answered ${answer.status}`;
    if (Buffer.byteLength(answer.body) > MAX_ERROR_BODY) return `error body of ${Buffer.byteLength(answer.body)} bytes`;
    if (/json/.test(answer.headers['content-type'] ?? '') && answer.body !== '') {
      try {
        const parsed = JSON.parse(answer.body) as { error?: { code?: unknown; message?: unknown } };
        if (typeof parsed.error?.code !== 'string' || typeof parsed.error.message !== 'string') return `JSON error body without error.code/message: ${answer.body.slice(0, 120)}`;
      } catch {
        return `content-type JSON but the body does not parse: ${answer.body.slice(0, 120)}`;
      }
    }
  }
  if (o.garbage.length > 0 && !o.closed) return `bytes that are no HTTP response: ${JSON.stringify(o.garbage.slice(0, 80))}`;
  return c.judge?.(o);
}

/** A JWT with its `exp` (and iat/nbf) moved into the past; the signature no longer matches. */
function expiredCopy(jwt: string): string {
  const [head, payload, signature] = jwt.split('.');
  const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  const past = Math.floor(Date.now() / 1000) - 7_200;
  const moved = { ...claims, iat: past - 600, nbf: past - 600, exp: past };
  return `${head}.${Buffer.from(JSON.stringify(moved)).toString('base64url')}.${signature}`;
}

/** The shape of an invitation token with the invitation id of `token` and another secret (a valid checksum). */
function forgedFor(token: string): string {
  const parsed = parseInvitationToken(token);
  const id = parsed.ok ? parsed.value.invitationId : 'AAAAAAAAAAAA';
  const body = `blink_inv_${id}_${randomBytes(32).toString('base64url').replace(/[-_]/g, 'A').slice(0, 43)}`;
  return body + checksumOf(body);
}

/** `text` with the character at `i` replaced by another one of the token alphabet. */
function typo(text: string, i: number): string {
  const at = ((i % text.length) + text.length) % text.length;
  return `${text.slice(0, at)}${text[at] === 'x' ? 'y' : 'x'}${text.slice(at + 1)}`;
}

/** The world the hostile requests are fired at. */
interface World {
  readonly tenantA: string;
  readonly tenantB: string;
  readonly keyAdmin: string;
  readonly keyBuilder: string;
  readonly keyB: string;
  readonly good: string;
  readonly unbound: string;
  readonly otherAudience: string;
  readonly deleted: string;
  readonly victims: readonly { name: string; token: string; csrf: string }[];
  readonly probes: readonly string[];
}

/** Every hostile case, generated from the seed. */
function generateCases(w: World, seed: number, n: number): Case[] {
  const cases: Case[] = [];
  const sample = <T>(arb: fc.Arbitrary<T>, count: number, salt: number): T[] => fc.sample(arb, { seed: seed + salt, numRuns: count });
  const auth = { authorization: `Bearer ${w.good}` };
  const json = { 'content-type': 'application/json', ...auth };
  // A question about tenant B: the caller (bound in A) may not ask it, so even a valid mutation is refused.
  const questionB = JSON.stringify({ tenant: w.tenantB, principal: { apiKey: w.keyB }, action: 'settings' });
  const questionA = JSON.stringify({ tenant: w.tenantA, principal: { serviceAccount: 'sa-admin' }, action: 'settings' });
  const access = (category: Category, label: string, send: HttpSend | RawSend, extra: Partial<Case> = {}): void =>
    void cases.push({ category, port: 'access', label, send, boundMs: ANSWER_BOUND_MS, ...extra });
  const publicCase = (category: Category, label: string, send: HttpSend | RawSend, extra: Partial<Case> = {}): void =>
    void cases.push({ category, port: 'public', label, send, boundMs: ANSWER_BOUND_MS, ...extra });
  const post = (path: string, body: string | Buffer, headers: OutgoingHttpHeaders = json): HttpSend => ({ kind: 'http', method: 'POST', path: `/api/v1/${path}`, headers, body });

  // Malformed JSON: a real question cut, spliced and corrupted, and JSON-looking noise.
  const mutation = fc.tuple(fc.nat(), fc.constantFrom('cut', 'insert', 'replace', 'double', 'noise'), fc.string({ unit: fc.constantFrom(...'{}[]":,\\ \u0000ab1-'.split('')), minLength: 1, maxLength: 6 }));
  for (const [i, [at, how, junk]] of sample(mutation, n, 1).entries()) {
    const base = i % 2 === 0 ? questionB : JSON.stringify({ apiKey: 'blink_sa_not-a-real-key' });
    const p = at % base.length;
    const text =
      how === 'cut' ? base.slice(0, p) : how === 'insert' ? base.slice(0, p) + junk + base.slice(p) : how === 'replace' ? base.slice(0, p) + junk + base.slice(p + junk.length) : how === 'double' ? base + base : junk.repeat(3);
    access('malformed-json', `${how}@${p}`, post(i % 2 === 0 ? 'authorize' : 'authenticate', text), {
      judge: (o) => (o.answers[0]?.status === 200 ? 'a mutated body was answered 200' : undefined),
    });
  }
  // Hostile but parseable JSON: prototype keys, wrong types, lone surrogates, NULs, huge numbers, arrays, random JSON values.
  const hostile = [
    `{"__proto__":{"allowed":true},"tenant":"${w.tenantB}","principal":{"user":"a@b.c"},"action":"portal"}`,
    `{"constructor":{"prototype":{"allowed":true}},"apiKey":"x"}`,
    `{"tenant":["${w.tenantA}"],"principal":{"serviceAccount":"sa-admin"},"action":"settings"}`,
    `{"tenant":"${w.tenantA}","principal":{"serviceAccount":"sa-admin","user":"a@b.c"},"action":"settings"}`,
    `{"tenant":"${w.tenantA}","principal":{"serviceAccount":"sa-admin"},"action":"settings","tenant":"${w.tenantB}"}`,
    `{"tenant":"${w.tenantA}\\u0000","principal":{"serviceAccount":"sa-admin"},"action":"settings"}`,
    `{"tenant":"\\ud800","principal":{"user":"\\udfff@x.y"},"action":"read"}`,
    `{"tenant":"${w.tenantA}","principal":{"serviceAccount":"sa-admin"},"action":"SETTINGS"}`,
    `{"tenant":"${w.tenantA}","principal":{"apiKey":${'9'.repeat(400)}},"action":"read"}`,
    `{"apiKey":"${'A'.repeat(5000)}"}`,
    `{"apiKey":null}`, '[]', 'null', '"string"', '1e999', 'true',
  ];
  for (const [i, text] of hostile.entries()) {
    access('hostile-json', `fixed #${i}`, post(i % 2 === 0 ? 'authorize' : 'authenticate', text), {
      judge: (o) => (o.answers[0]?.status === 200 ? 'a hostile body was answered 200' : undefined),
    });
  }
  for (const [i, value] of sample(fc.jsonValue({ maxDepth: 4 }), Math.ceil(n / 2), 2).entries()) {
    access('hostile-json', `random JSON #${i}`, post(i % 2 === 0 ? 'authorize' : 'authenticate', JSON.stringify(value) ?? 'null'));
  }
  // Deep nesting, inside the size limit (parsed) and past it (413).
  for (const [i, depth] of sample(fc.integer({ min: 500, max: 60_000 }), Math.ceil(n / 2), 3).entries()) {
    const arrays = i % 2 === 0;
    const text = arrays ? `{"tenant":${'['.repeat(depth)}${']'.repeat(depth)}}` : `${'{"a":'.repeat(Math.floor(depth / 5))}1${'}'.repeat(Math.floor(depth / 5))}`;
    access('deep-nesting', `${arrays ? 'arrays' : 'objects'} ×${depth} (${text.length} B)`, post('authorize', text));
  }
  // Huge bodies: declared, chunked without a length, and form posts on the public page.
  for (const [i, size] of sample(fc.integer({ min: 16 * 1024 + 1, max: 3 * 1024 * 1024 }), Math.ceil(n / 2), 4).entries()) {
    const body = Buffer.alloc(size, i % 3 === 0 ? '[' : 'a');
    const chunked = i % 2 === 1;
    access('huge-body', `${size} B${chunked ? ' chunked' : ''}`, { kind: 'http', method: 'POST', path: '/api/v1/authorize', headers: json, body, chunked }, {
      judge: (o) => (o.answers[0] && o.answers[0].status !== 413 ? `answered ${o.answers[0].status}, expected 413` : undefined),
      closeOk: true,
    });
    const victim = w.victims[i % w.victims.length];
    publicCase('huge-body', `form ${Math.min(size, 256 * 1024)} B`, {
      kind: 'http', method: 'POST', path: `/invitations/${victim?.token ?? 'x'}`, headers: { 'content-type': FORM }, body: `csrf=${victim?.csrf ?? ''}&pad=${'x'.repeat(Math.min(size, 256 * 1024))}`, chunked,
    }, { closeOk: true });
  }
  // Wrong content types (never a JSON media type) on a question the caller may ask: 415, not 200.
  const mediaType = fc.oneof(
    fc.constantFrom('text/plain', FORM, 'multipart/form-data; boundary=x', 'application/xml', 'application/jsonx', 'json', 'application/', '*/*', 'text/json', 'application/json-seq', ''),
    fc.stringMatching(/^[a-z]{1,12}\/[a-z0-9.+-]{1,24}(; ?[a-z]{1,8}=[a-z0-9]{1,8})?$/),
  ).filter((t) => !isJsonMediaType(t));
  for (const [i, type] of sample(mediaType, n, 5).entries()) {
    const headers: OutgoingHttpHeaders = { ...auth, ...(type === '' ? {} : { 'content-type': type }) };
    access('wrong-content-type', `"${type}"`, post(i % 2 === 0 ? 'authorize' : 'authenticate', i % 2 === 0 ? questionA : JSON.stringify({ apiKey: w.keyAdmin }), headers), {
      judge: (o) => (o.answers[0] && o.answers[0].status !== 415 ? `answered ${o.answers[0].status}, expected 415` : undefined),
    });
    const victim = w.victims[i % w.victims.length];
    // The form type with a real csrf would be a real acceptance: never sent.
    if (type.split(';')[0]?.trim().toLowerCase() === FORM) continue;
    publicCase('wrong-content-type', `"${type}" with a real csrf`, { kind: 'http', method: 'POST', path: `/invitations/${victim?.token ?? 'x'}`, headers: type === '' ? {} : { 'content-type': type }, body: `csrf=${victim?.csrf ?? ''}` });
  }
  // Wrong methods.
  const methods = ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'HEAD', 'PROPFIND', 'PURGE', 'SEARCH'];
  for (const [i, [method, endpoint]] of sample(fc.tuple(fc.constantFrom(...methods), fc.constantFrom('authorize', 'authenticate', 'openapi.json')), n, 6).entries()) {
    if (endpoint === 'openapi.json' && (method === 'GET' || method === 'HEAD')) continue;
    access('wrong-method', `${method} ${endpoint}`, { kind: 'http', method, path: `/api/v1/${endpoint}`, headers: json, body: method === 'GET' || method === 'HEAD' ? '' : questionA }, {
      judge: (o) => (o.answers[0] && ![405, 404].includes(o.answers[0].status) ? `answered ${o.answers[0].status}, expected 405` : undefined),
    });
    const victim = w.victims[i % w.victims.length];
    if (method !== 'GET' && method !== 'HEAD') publicCase('wrong-method', `${method} on a live invitation`, { kind: 'http', method, path: `/invitations/${victim?.token ?? 'x'}`, headers: { 'content-type': FORM }, body: `csrf=${victim?.csrf ?? ''}` });
  }
  for (const method of ['BREW', 'GETS', 'G\u00c9T', 'POST\tX', 'CONNECT']) {
    for (const port of ['access', 'public'] as const) {
      const target = method === 'CONNECT' ? 'localhost:443' : port === 'access' ? '/api/v1/authorize' : '/invitations/x';
      cases.push({ category: 'wrong-method', port, label: `raw ${JSON.stringify(method)}`, send: { kind: 'raw', chunks: [`${method} ${target} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`] }, boundMs: HEADERS_BOUND_MS, closeOk: true });
    }
  }
  // Path traversal: never a 2xx, never content of another port (metrics, probes).
  const segment = fc.constantFrom('..', '%2e%2e', '%2E%2E', '.%2e', '%c0%ae%c0%ae', '..%2f', '..%5c', '..\\', '.', '', '%00', 'metrics', 'healthz', 'readyz', 'etc', 'passwd', 'api', 'v1', 'invitations', 'authorize', ';', '%2f', '%252e%252e');
  const traversalPath = fc.tuple(fc.constantFrom('/api/v1/', '/invitations/', '/', '//', '/api/v1/authorize/'), fc.array(segment, { minLength: 1, maxLength: 8 }), fc.constantFrom('', '?x=../..', '#..', '/'));
  for (const [i, [start, segments, end]] of sample(traversalPath, n, 7).entries()) {
    const path = `${start}${segments.join('/')}${end}`;
    let normal = '';
    try {
      normal = new URL(path, 'http://x').pathname;
    } catch {
      // Not a valid target at all (`//..%5c` is a host): the server answers 400 before any route.
    }
    if (normal === '/api/v1/openapi.json') continue;
    const leaked = (o: Outcome): string | undefined => (o.answers.some((a) => /# HELP|^ok\n|\[\+\]/.test(a.body)) ? 'content of the metrics port' : undefined);
    const authorized = i % 2 === 0;
    access('path-traversal', `${authorized ? 'token ' : ''}GET ${path}`, { kind: 'http', method: 'GET', path, headers: authorized ? auth : {} }, {
      judge: (o) => leaked(o) ?? (!authorized && o.answers[0] && o.answers[0].status !== 401 && normal.startsWith('/api/v1/') ? `unauthenticated answer ${o.answers[0].status}` : undefined),
    });
    publicCase('path-traversal', `GET ${path}`, { kind: 'http', method: 'GET', path }, { judge: leaked });
  }
  // Oversized headers (raw, so the client does not object): many headers, one huge header, a huge target, a huge token.
  const sizes = sample(fc.integer({ min: 17 * 1024, max: 256 * 1024 }), Math.ceil(n / 3), 8);
  for (const [i, size] of sizes.entries()) {
    const port: Port = (['access', 'public', 'metrics'] as const)[i % 3] ?? 'access';
    const target = port === 'access' ? '/api/v1/authorize' : port === 'public' ? '/invitations/x' : '/nothing';
    const shapes = [
      // Node counts the bytes of names and values (not ": " and CRLF) against its 16 KiB.
      `GET ${target} HTTP/1.1\r\nHost: x\r\n${'X-Flood: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n'.repeat(Math.ceil(size / 40))}\r\n`,
      `GET ${target} HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(size)}\r\n\r\n`,
      `GET ${target}?${'q'.repeat(size)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      `GET ${target} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'t'.repeat(size)}\r\n\r\n`,
      `GET ${target} HTTP/1.1\r\nHost: x\r\nCookie: ${'c=1; '.repeat(Math.ceil(size / 5))}\r\n\r\n`,
    ];
    const shape = i % shapes.length;
    cases.push({ category: 'oversized-headers', port, label: `shape ${shape}, ${size} B`, send: { kind: 'raw', chunks: [shapes[shape] ?? ''] }, boundMs: ANSWER_BOUND_MS, closeOk: true,
      judge: (o) => (o.answers[0] && ![431, 400, 413, 414].includes(o.answers[0].status) ? `answered ${o.answers[0].status}, expected 431` : undefined) });
  }
  // A token just under the header limit: a 401, not a crash.
  access('oversized-headers', 'a 15 KiB bearer token', { kind: 'http', method: 'POST', path: '/api/v1/authorize', headers: { 'content-type': 'application/json', authorization: `Bearer ${'t'.repeat(15 * 1024)}` }, body: questionA }, {
    judge: (o) => (o.answers[0]?.status !== 401 ? `answered ${o.answers[0]?.status}, expected 401` : undefined),
  });
  // Raw malformed HTTP: request lines, chunked encoding, smuggling, header injection.
  const head = (target: string, extra: string) => `POST ${target} HTTP/1.1\r\nHost: x\r\n${extra}`;
  const withToken = `Authorization: Bearer ${w.good}\r\nContent-Type: application/json\r\n`;
  const malformed: [string, string, boolean][] = [
    ['chunk size not hex', `${head('/api/v1/authorize', withToken)}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`, false],
    ['chunk shorter than declared', `${head('/api/v1/authorize', withToken)}Transfer-Encoding: chunked\r\n\r\n5\r\n{}\r\n0\r\n\r\n`, false],
    ['chunk size overflow', `${head('/api/v1/authorize', withToken)}Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFFFF\r\n{}\r\n`, false],
    ['negative chunk size', `${head('/api/v1/authorize', withToken)}Transfer-Encoding: chunked\r\n\r\n-2\r\n{}\r\n0\r\n\r\n`, false],
    ['huge chunk extension', `${head('/api/v1/authorize', withToken)}Transfer-Encoding: chunked\r\n\r\n2;${'e'.repeat(20_000)}\r\n{}\r\n0\r\n\r\n`, false],
    ['chunk without its CRLF', `${head('/api/v1/authorize', withToken)}Transfer-Encoding: chunked\r\n\r\n2\r\n{}0\r\n\r\n`, true],
    ['chunked never terminated', `${head('/api/v1/authorize', withToken)}Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n`, true],
    ['Transfer-Encoding chunked, identity', `${head('/api/v1/authorize', withToken)}Transfer-Encoding: chunked, identity\r\n\r\n2\r\n{}\r\n0\r\n\r\n`, true],
    ['Transfer-Encoding xchunked', `${head('/api/v1/authorize', withToken)}Transfer-Encoding: xchunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`, true],
    ['Content-Length and Transfer-Encoding (smuggling)', `${head('/api/v1/authorize', withToken)}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /api/v1/openapi.json HTTP/1.1\r\nHost: x\r\n\r\n`, false],
    ['two different Content-Lengths', `${head('/api/v1/authorize', withToken)}Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}`, false],
    ['Content-Length list', `${head('/api/v1/authorize', withToken)}Content-Length: 2, 3\r\n\r\n{}`, false],
    ['Content-Length negative', `${head('/api/v1/authorize', withToken)}Content-Length: -1\r\n\r\n{}`, false],
    ['Content-Length hex', `${head('/api/v1/authorize', withToken)}Content-Length: 0x10\r\n\r\n{}`, false],
    ['Content-Length with plus', `${head('/api/v1/authorize', withToken)}Content-Length: +2\r\n\r\n{}`, false],
    ['bare CR injects an Authorization header', `${head('/api/v1/authorize', 'Content-Type: application/json\r\n')}X-A: x\rAuthorization: Bearer ${w.good}\r\nContent-Length: ${questionA.length}\r\n\r\n${questionA}`, false],
    ['bare LF injects an Authorization header', `${head('/api/v1/authorize', 'Content-Type: application/json\r\n')}X-A: x\nAuthorization: Bearer ${w.good}\r\nContent-Length: ${questionA.length}\r\n\r\n${questionA}`, false],
    ['NUL in a header value', `${head('/api/v1/authorize', withToken)}X-A: a\u0000b\r\nContent-Length: 2\r\n\r\n{}`, false],
    ['space before the colon', `${head('/api/v1/authorize', withToken)}Content-Length : 2\r\n\r\n{}`, false],
    ['header name with a space', `${head('/api/v1/authorize', withToken)}Bad Header: x\r\nContent-Length: 2\r\n\r\n{}`, false],
    ['obs-fold continuation line', `${head('/api/v1/authorize', withToken)}X-A: a\r\n folded\r\nContent-Length: 2\r\n\r\n{}`, false],
    ['header without a colon', `${head('/api/v1/authorize', withToken)}No colon here\r\n\r\n`, false],
    ['CRLF in the target', `GET /api/v1/authorize\r\nX: y HTTP/1.1\r\nHost: x\r\n\r\n`, false],
    ['HTTP/0.9 request line', 'GET /api/v1/authorize\r\n\r\n', false],
    ['HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', false],
    ['unknown HTTP version', 'GET /api/v1/authorize HTTP/9.9\r\nHost: x\r\n\r\n', false],
    ['lowercase version', 'GET /api/v1/authorize http/1.1\r\nHost: x\r\n\r\n', false],
    ['TLS ClientHello', Buffer.from('16030100a5010000a10303', 'hex').toString('latin1') + 'x'.repeat(160), false],
    ['absolute-form target to another host', `GET http://169.254.169.254/latest/meta-data HTTP/1.1\r\nHost: 169.254.169.254\r\n\r\n`, false],
    ['target with a space', 'GET /api/v1/auth orize HTTP/1.1\r\nHost: x\r\n\r\n', false],
  ];
  for (const [label, text, mayWait] of malformed) {
    for (const port of ['access', 'public', 'metrics'] as const) {
      const bytes = port === 'access' ? text : text.replaceAll('/api/v1/authorize', port === 'public' ? '/invitations/x' : '/nothing');
      cases.push({ category: 'raw-malformed', port, label, send: { kind: 'raw', chunks: [Buffer.from(bytes, 'latin1')] }, boundMs: mayWait ? REQUEST_BOUND_MS : HEADERS_BOUND_MS, closeOk: true });
    }
  }
  const requestLine = fc.tuple(fc.stringMatching(/^[A-Z]{1,9}$/), fc.string({ unit: 'grapheme-ascii', maxLength: 60 }), fc.stringMatching(/^[A-Z]{0,5}\/?[0-9.]{0,4}$/));
  for (const [i, [method, target, version]] of sample(requestLine, n, 9).entries()) {
    const port: Port = (['access', 'public', 'metrics'] as const)[i % 3] ?? 'access';
    const line = `${method} ${port === 'metrics' ? `/nothing${target.replace(/[\r\n]/g, '')}` : target} ${version}`;
    cases.push({ category: 'raw-malformed', port, label: `request line ${JSON.stringify(line.slice(0, 60))}`, send: { kind: 'raw', chunks: [`${line}\r\nHost: x\r\n\r\n`] }, boundMs: HEADERS_BOUND_MS, closeOk: true });
  }
  // Pipelined garbage after valid requests: the valid ones are answered in order, then a 4xx and a close.
  const garbageTail = fc.oneof(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 200 }).map((s) => `${s}\r\n\r\n`), fc.constantFrom('GARBAGE\r\n\r\n', '\r\n\r\n\r\n\u0000\u0001', 'GET / HTTP/1.1\r\nHost x\r\n\r\n', 'HTTP/1.1 200 OK\r\n\r\n'));
  for (const [i, [valid, tail]] of sample(fc.tuple(fc.integer({ min: 1, max: 20 }), garbageTail), Math.ceil(n / 2), 10).entries()) {
    const port: Port = i % 2 === 0 ? 'access' : 'metrics';
    const one = port === 'access' ? 'POST /api/v1/authorize HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}' : 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n';
    const expected = port === 'access' ? 401 : 200;
    cases.push({ category: 'pipelined-garbage', port, label: `${valid} valid + ${JSON.stringify(tail.slice(0, 30))}`, send: { kind: 'raw', chunks: [one.repeat(valid) + tail] }, boundMs: HEADERS_BOUND_MS, closeOk: false,
      leading: Array.from({ length: valid }, () => expected),
      judge: (o) => (o.answers.length < valid ? `only ${o.answers.length} of ${valid} valid requests were answered` : undefined) });
  }
  // One keep-alive connection, several callers: nothing of an allowed caller carries over to the next request.
  const onConnection = (bearer: string | undefined): string =>
    `POST /api/v1/authorize HTTP/1.1\r\nHost: x\r\n${bearer === undefined ? '' : `Authorization: Bearer ${bearer}\r\n`}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(questionA)}\r\n\r\n${questionA}`;
  for (const [label, bearers, statuses] of [
    ['allowed, then none', [w.good, undefined], [200, 401]],
    ['allowed, then bound nowhere', [w.good, w.unbound], [200, 403]],
    ['allowed, then garbage, then none', [w.good, 'garbage', undefined], [200, 401, 401]],
    ['none, allowed, none', [undefined, w.good, undefined], [401, 200, 401]],
  ] as const) {
    access('connection-reuse', label, { kind: 'raw', chunks: bearers.map(onConnection) }, { boundMs: HEADERS_BOUND_MS, leading: statuses,
      judge: (o) => (o.answers.length !== statuses.length ? `${o.answers.length} answers for ${statuses.length} requests` : undefined) });
  }
  // Random bytes on every port.
  for (const [i, bytes] of sample(fc.uint8Array({ minLength: 1, maxLength: 4096 }), n, 11).entries()) {
    const port: Port = (['access', 'public', 'metrics'] as const)[i % 3] ?? 'access';
    cases.push({ category: 'random-bytes', port, label: `${bytes.length} random bytes`, send: { kind: 'raw', chunks: [Buffer.from(bytes)] }, boundMs: HEADERS_BOUND_MS, closeOk: true });
  }
  // Callers without a token, with a bad one, an expired or revoked one, or a credential of the wrong kind.
  const firstInvitation = w.victims[0]?.token ?? '';
  const callers: [string, OutgoingHttpHeaders, 'none' | 'unbound'][] = [
    ['no Authorization', {}, 'none'],
    ['empty bearer', { authorization: 'Bearer ' }, 'none'],
    ['Basic admin:admin', { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` }, 'none'],
    ['the token without its scheme', { authorization: w.good }, 'none'],
    ['a token of another audience', { authorization: `Bearer ${w.otherAudience}` }, 'none'],
    ['a forged signature', { authorization: `Bearer ${w.good.slice(0, w.good.lastIndexOf('.') + 1)}${'A'.repeat(342)}` }, 'none'],
    ['an expired copy (exp in the past)', { authorization: `Bearer ${expiredCopy(w.good)}` }, 'none'],
    ['alg none', { authorization: `Bearer ${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${w.good.split('.')[1] ?? ''}.` }, 'none'],
    ['the token of a deleted ServiceAccount', { authorization: `Bearer ${w.deleted}` }, 'none'],
    ['an API key as the bearer', { authorization: `Bearer ${w.keyAdmin}` }, 'none'],
    ['an invitation token as the bearer', { authorization: `Bearer ${firstInvitation}` }, 'none'],
    ['two tokens', { authorization: `Bearer ${w.good} ${w.good}` }, 'none'],
    ['a valid token bound nowhere', { authorization: `Bearer ${w.unbound}` }, 'unbound'],
  ];
  const bearer = fc.stringMatching(/^[\x21-\x7e]{1,300}$/);
  for (const [i, token] of sample(bearer, n, 12).entries()) callers.push([`random bearer #${i}`, { authorization: `Bearer ${token}` }, 'none']);
  for (const [label, headers, kind] of callers) {
    for (const endpoint of ['authorize', 'authenticate', 'whoami']) {
      const body = endpoint === 'authenticate' ? JSON.stringify({ apiKey: w.keyAdmin }) : questionA;
      access('bad-caller', `${label} → ${endpoint}`, post(endpoint, body, { 'content-type': 'application/json', ...headers }), {
        judge: (o) => {
          const a = o.answers[0];
          if (!a) return undefined;
          let error: { code?: string; message?: string } | undefined;
          try {
            error = (JSON.parse(a.body) as { error?: { code?: string; message?: string } }).error;
          } catch {
            return `not JSON: ${a.body.slice(0, 80)}`;
          }
          if (kind === 'none') return a.status === 401 && error?.message === NO_CALLER_MESSAGE && /^Bearer realm=/.test(a.headers['www-authenticate'] ?? '') ? undefined : `answered ${a.status} ${error?.code}, expected the stable 401`;
          const wanted = endpoint === 'authorize' ? [403, FORBIDDEN_MESSAGE] : endpoint === 'authenticate' ? [401, INVALID_KEY_MESSAGE] : [404, undefined];
          return a.status === wanted[0] && (wanted[1] === undefined || error?.message === wanted[1]) ? undefined : `answered ${a.status} ${error?.code}, expected ${wanted[0]}`;
        },
      });
    }
  }
  // Random principals asked about in tenant A by an allowed caller: answered, and never allowed.
  const principal = fc.oneof(
    fc.emailAddress().map((user) => ({ user })),
    fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?$/).map((name) => ({ serviceAccount: `zz-${name}` })),
    fc.stringMatching(/^[A-Za-z0-9_]{20,80}$/).map((s) => ({ apiKey: `blink_sa_${s}` })),
    fc.constant({ apiKey: typo(w.keyAdmin, -1) }),
    fc.constant({ apiKey: typo(w.keyAdmin, 15) }),
    fc.constant({ apiKey: w.keyB }),
  );
  const question = fc.record({ principal, action: fc.constantFrom('read', 'write', 'execute', 'portal', 'settings'), workspace: fc.option(fc.constantFrom('ws1', 'nope', 'ws-b'), { nil: undefined }) });
  for (const [i, q] of sample(question, n, 13).entries()) {
    const body = JSON.stringify({ tenant: w.tenantA, ...q, ...(q.workspace === undefined || q.action === 'portal' || q.action === 'settings' ? { workspace: undefined } : {}) });
    access('random-principal', `#${i} ${Object.keys(q.principal)[0]}`, post('authorize', body), {
      accept: [200],
      judge: (o) => {
        const a = o.answers[0];
        if (!a) return undefined;
        if (a.status === 400) return undefined;
        if (a.status !== 200) return `answered ${a.status}`;
        const answer = JSON.parse(a.body) as { allowed?: boolean; reason?: string };
        return answer.allowed === false ? undefined : `an unknown principal was allowed (${answer.reason})`;
      },
    });
  }
  // Forged acceptance on the public page: every attempt refused, no invitation accepted.
  const tokenish = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_%.~-]{0,200}$/), fc.constant('a'.repeat(5000)), fc.constant(''));
  for (const [i, t] of sample(tokenish, Math.ceil(n / 2), 14).entries()) publicCase('forged-acceptance', `GET garbage token #${i}`, { kind: 'http', method: i % 3 === 0 ? 'HEAD' : 'GET', path: `/invitations/${t}` });
  for (const [i, v] of w.victims.entries()) {
    const other = w.victims[(i + 1) % w.victims.length] ?? v;
    const attempts: [string, HttpSend][] = [
      ['GET with a typo', { kind: 'http', method: 'GET', path: `/invitations/${typo(v.token, 20 + i)}` }],
      ['GET forged secret for the real id', { kind: 'http', method: 'GET', path: `/invitations/${forgedFor(v.token)}` }],
      ['POST forged secret with the real csrf', { kind: 'http', method: 'POST', path: `/invitations/${forgedFor(v.token)}`, headers: { 'content-type': FORM }, body: `csrf=${v.csrf}` }],
      ['POST without csrf', { kind: 'http', method: 'POST', path: `/invitations/${v.token}`, headers: { 'content-type': FORM }, body: 'accept=1' }],
      ['POST with an empty body', { kind: 'http', method: 'POST', path: `/invitations/${v.token}`, headers: { 'content-type': FORM }, body: '' }],
      ['POST with the csrf of another invitation', { kind: 'http', method: 'POST', path: `/invitations/${v.token}`, headers: { 'content-type': FORM }, body: `csrf=${other.csrf}` }],
      ['POST with a tampered csrf', { kind: 'http', method: 'POST', path: `/invitations/${v.token}`, headers: { 'content-type': FORM }, body: `csrf=${typo(v.csrf, -3)}` }],
      ['POST with a csrf of another key', { kind: 'http', method: 'POST', path: `/invitations/${v.token}`, headers: { 'content-type': FORM }, body: `csrf=${issueCsrfToken(randomBytes(32), parseInvitationToken(v.token).ok ? (parseInvitationToken(v.token) as { value: { invitationId: string } }).value.invitationId : '', new Date())}` }],
      ['POST with the csrf twice', { kind: 'http', method: 'POST', path: `/invitations/${v.token}`, headers: { 'content-type': FORM }, body: `csrf=${v.csrf}&csrf=${v.csrf}` }],
      ['POST with the csrf in the query', { kind: 'http', method: 'POST', path: `/invitations/${v.token}?csrf=${v.csrf}`, headers: { 'content-type': FORM }, body: '' }],
      ['POST with the csrf as JSON', { kind: 'http', method: 'POST', path: `/invitations/${v.token}`, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ csrf: v.csrf }) }],
      ['POST with a token typo and the real csrf', { kind: 'http', method: 'POST', path: `/invitations/${typo(v.token, 30)}`, headers: { 'content-type': FORM }, body: `csrf=${v.csrf}` }],
      ['POST through a traversal to the token', { kind: 'http', method: 'POST', path: `/invitations/x/../${typo(v.token, 25)}`, headers: { 'content-type': FORM }, body: `csrf=${v.csrf}` }],
      ['POST with the token in upper case', { kind: 'http', method: 'POST', path: `/invitations/${v.token.toUpperCase()}`, headers: { 'content-type': FORM }, body: `csrf=${v.csrf}` }],
      ['POST X-HTTP-Method-Override without csrf', { kind: 'http', method: 'POST', path: `/invitations/${v.token}`, headers: { 'content-type': FORM, 'x-http-method-override': 'GET' }, body: '' }],
    ];
    for (const [label, send] of attempts) publicCase('forged-acceptance', `${v.name}: ${label}`, send);
    // Pipelined: a truncating Content-Length cuts the csrf off; the rest is garbage.
    const body = `csrf=${v.csrf}`;
    publicCase('pipelined-garbage', `${v.name}: a short Content-Length truncates the csrf`, { kind: 'raw', chunks: [`POST /invitations/${v.token} HTTP/1.1\r\nHost: x\r\nContent-Type: ${FORM}\r\nContent-Length: 10\r\n\r\n${body}\r\n\r\n`] }, { boundMs: HEADERS_BOUND_MS, closeOk: true });
  }
  return cases;
}

/** Slow clients: they must get a 408 or a close by the server's deadlines, never hold a connection open. */
function slowCases(w: World, full: boolean): Case[] {
  const cases: Case[] = [];
  const drip = (count: number, every: number, piece: (i: number) => string): (string | number)[] => Array.from({ length: count }, (_, i) => [piece(i), every]).flat();
  const copies = full ? 2 : 1;
  for (let k = 0; k < copies; k++) {
    for (const port of ['access', 'public', 'metrics'] as const) {
      cases.push({ category: 'slow-client', port, label: 'headers dripped (slowloris)', send: { kind: 'raw', chunks: ['GET / HTTP/1.1\r\nHost: x\r\n', ...drip(60, 700, (i) => `X-Drip-${i}: ${i}\r\n`)] }, boundMs: HEADERS_BOUND_MS, closeOk: true,
        judge: (o) => (o.answers[0] && o.answers[0].status !== 408 ? `answered ${o.answers[0].status}, expected 408` : undefined) });
    }
    const question = JSON.stringify({ tenant: w.tenantA, principal: { serviceAccount: 'sa-admin' }, action: 'settings', pad: 'x'.repeat(200) });
    cases.push({ category: 'slow-client', port: 'access', label: 'body at 2 bytes per second', send: { kind: 'raw', chunks: [`POST /api/v1/authorize HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${w.good}\r\nContent-Type: application/json\r\nContent-Length: ${question.length}\r\n\r\n`, ...drip(120, 1_000, (i) => question.slice(i * 2, i * 2 + 2))] }, boundMs: REQUEST_BOUND_MS, closeOk: true,
      judge: (o) => (o.answers[0] && o.answers[0].status !== 408 ? `answered ${o.answers[0].status}, expected 408` : undefined) });
    const victim = w.victims[k % w.victims.length];
    cases.push({ category: 'slow-client', port: 'public', label: 'form body at 1 byte per second', send: { kind: 'raw', chunks: [`POST /invitations/${victim?.token ?? 'x'} HTTP/1.1\r\nHost: x\r\nContent-Type: ${FORM}\r\nContent-Length: 600\r\n\r\ncsrf=`, ...drip(120, 1_000, () => 'a')] }, boundMs: REQUEST_BOUND_MS, closeOk: true });
  }
  // A crowd of slowloris clients at once: each still gets its 408, and the valid requests meanwhile their answers.
  for (let k = 0; k < (full ? 40 : 10); k++) {
    const port: Port = k % 2 === 0 ? 'access' : 'public';
    cases.push({ category: 'slow-client', port, label: `slowloris crowd #${k}`, send: { kind: 'raw', chunks: [`GET /${k} HTTP/1.1\r\nHost: x\r\n`, ...drip(40, 900, (i) => `X-${i}: y\r\n`)] }, boundMs: HEADERS_BOUND_MS, closeOk: true,
      judge: (o) => (o.answers[0] && o.answers[0].status !== 408 ? `answered ${o.answers[0].status}, expected 408` : undefined) });
  }
  if (full) {
    // A connection that never sends a byte is closed by the idle timeout.
    cases.push({ category: 'slow-client', port: 'public', label: 'silent connection', send: { kind: 'raw', chunks: [] }, boundMs: DEFAULT_HTTP_TIMEOUTS.idleTimeoutMs + 6_000, closeOk: true });
  }
  return cases;
}

/** Valid requests, interleaved with the hostile ones; each returns what is wrong with its answer (null: not sent). */
function validRequests(w: World, urls: { accessApiUrl: string; url: string; metricsUrl: string }): (() => Promise<string | undefined | null>)[] {
  const json = { 'content-type': 'application/json', authorization: `Bearer ${w.good}` };
  const ask = async (path: string, body: unknown, check: (status: number, answer: Record<string, unknown>) => boolean, what: string): Promise<string | undefined> => {
    const res = await fetch(`${urls.accessApiUrl}/api/v1/${path}`, { method: 'POST', headers: json, body: JSON.stringify(body), signal: AbortSignal.timeout(ANSWER_BOUND_MS) });
    const answer = (await res.json()) as Record<string, unknown>;
    return check(res.status, answer) ? undefined : `${what}: ${res.status} ${JSON.stringify(answer).slice(0, 160)}`;
  };
  let probeUses = 0;
  return [
    () => ask('authorize', { tenant: w.tenantA, principal: { serviceAccount: 'sa-admin' }, action: 'settings' }, (s, a) => s === 200 && a['allowed'] === true && a['reason'] === 'TenantActionAllowed', 'Admin SA settings'),
    () => ask('authorize', { tenant: w.tenantA, principal: { apiKey: w.keyBuilder }, action: 'execute', workspace: 'ws1' }, (s, a) => s === 200 && a['allowed'] === true && a['reason'] === 'WorkspaceMember', 'Builder key execute ws1'),
    () => ask('authorize', { tenant: w.tenantA, principal: { serviceAccount: 'sa-builder' }, action: 'settings' }, (s, a) => s === 200 && a['allowed'] === false && a['reason'] === 'RoleLacksAction', 'Builder SA settings'),
    () => ask('authenticate', { apiKey: w.keyAdmin }, (s, a) => s === 200 && a['tenant'] === w.tenantA && a['serviceAccount'] === 'sa-admin', 'authenticate the Admin key'),
    () => ask('authorize', { tenant: w.tenantB, principal: { apiKey: w.keyB }, action: 'settings' }, (s, a) => s === 403 && (a['error'] as { message?: string } | undefined)?.message === FORBIDDEN_MESSAGE, 'a question about B'),
    async () => {
      const res = await fetch(`${urls.accessApiUrl}/api/v1/openapi.json`, { signal: AbortSignal.timeout(ANSWER_BOUND_MS) });
      const doc = (await res.json()) as { openapi?: string };
      return res.status === 200 && typeof doc.openapi === 'string' ? undefined : `openapi.json: ${res.status}`;
    },
    async () => {
      const res = await fetch(`${urls.metricsUrl}/readyz`, { signal: AbortSignal.timeout(ANSWER_BOUND_MS) });
      return res.status === 200 ? undefined : `readyz: ${res.status} ${await res.text()}`;
    },
    async () => {
      // The per-invitation limit is 10 requests then one per 30 s: each probe serves 9 GETs.
      // Each from an address of its own (127.2.0.x): the page's per-client limit is for people, not for this loop.
      const use = probeUses++;
      const probe = w.probes[Math.floor(use / 9)];
      if (probe === undefined) return null; // Every probe used up (10 requests per invitation, then one per 30 s): not sent.
      const o = await httpExchange(urls.url, { kind: 'http', method: 'GET', path: `/invitations/${probe}` }, `127.2.0.${(use % 250) + 1}`, ANSWER_BOUND_MS);
      const page = o.answers[0];
      return page?.status === 200 && /name="csrf" value="[^"]+"/.test(page.body) ? undefined : `the page of a live invitation: ${page?.status ?? o.error ?? 'no answer'}`;
    },
  ];
}

async function run(ctx: ChaosContext): Promise<ScenarioResult> {
  const checks = new Checks();
  const notes: string[] = [];
  const client = adminClient();
  const suffixA = randomBytes(3).toString('hex');
  const tenantA = `hh-a-${suffixA}`;
  const tenantB = uniqueName('hh-b');
  const nsA = `tenant-${tenantA}`;
  const nsB = `tenant-${tenantB}`;
  const opNs = uniqueName('chaos-http');
  const shard = newShard('chaos-http');
  const n = ctx.short ? 14 : 160;
  const victimCount = ctx.short ? 3 : 8;
  const probeCount = ctx.short ? 3 : 10;
  let smtp: TestSmtp | undefined;
  let operator: OperatorProcess | undefined;
  const timings: Record<string, number> = {};
  try {
    const setupStarted = Date.now();
    await client.create(builtinKinds.namespace, { metadata: { name: opNs, labels: { 'blink-test': 'true' } } });
    smtp = await startTestSmtp(opNs);
    operator = await spawnOperator(['--shard', shard, '--namespace', opNs, '--no-leader-elect', '--metrics-port', '0', '--http-port', '0', '--smtp-secret', `${opNs}/smtp`], { LOG_LEVEL: 'debug' });
    const op = operator;
    const urls = op.urls();
    const pid = op.child.pid ?? 0;
    let exited: string | undefined;
    op.child.once('exit', (code, signal) => {
      exited = `exit code ${code} signal ${signal}`;
    });
    await createTenant(client, tenantA, shard);
    await createTenant(client, tenantB, shard);
    await tenantReady(client, tenantA);
    await tenantReady(client, tenantB);
    await createWorkspace(client, nsA, 'ws1');
    await createServiceAccount(client, nsA, 'sa-admin', { role: 'Admin' });
    await createServiceAccount(client, nsA, 'sa-builder', { role: 'Builder', workspaces: ['ws1'] });
    await createServiceAccount(client, nsB, 'sa-b', { role: 'Admin' });
    const invitees = [...Array.from({ length: victimCount }, (_, i) => `victim-${i}`), ...Array.from({ length: probeCount }, (_, i) => `probe-${i}`), 'control'];
    for (const name of invitees) await apply(userManifest(nsA, name, { email: `${name}@${tenantA}.example.com`, role: 'Builder', workspaces: ['ws1'] }));
    const keyOf = (ns: string, sa: string) => eventually(() => readKey(client, ns, sa).catch(() => undefined), 30_000, `the key of ${ns}/${sa}`);
    const [keyAdmin, keyBuilder, keyB] = await Promise.all([keyOf(nsA, 'sa-admin'), keyOf(nsA, 'sa-builder'), keyOf(nsB, 'sa-b')]);
    for (const key of [keyAdmin, keyBuilder, keyB]) {
      ctx.evidence.secret('api-key', key);
      ctx.evidence.secret('hash', hashApiKey(key));
    }
    const tokens = new Map<string, string>();
    for (const name of invitees) {
      const token = linkOf(await smtp.waitForMessage(`${name}@${tenantA}.example.com`)).split('/invitations/')[1] ?? '';
      tokens.set(name, token);
      ctx.evidence.secret('invitation-token', token);
      const record = await eventually(() => getRecord(nsA, name), 15_000, `the record of ${name}`);
      if (record.tokenHash) ctx.evidence.secret('hash', record.tokenHash);
    }
    // Callers: one allowed in A, one bound nowhere, one for another audience, one whose ServiceAccount is gone.
    const goodCaller = await accessApiCaller(nsA);
    const unbound = await accessApiToken(undefined, { bind: false });
    const otherAudience = await accessApiToken(nsA, { audiences: ['some-other-service'] });
    const doomed = await accessApiCaller(nsA);
    await client.delete({ group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true }, CALLERS_NAMESPACE, doomed.serviceAccount);
    for (const jwt of [goodCaller.token, unbound, otherAudience, doomed.token]) ctx.evidence.secret('caller-token', jwt.split('.')[2] ?? jwt);
    // The csrf of each victim (a GET of its page, as a browser would) and that the operator's caches see everything.
    const victims: { name: string; token: string; csrf: string }[] = [];
    for (let i = 0; i < victimCount; i++) {
      const token = tokens.get(`victim-${i}`) ?? '';
      // Spaced out: every request takes from the invitation's bucket (10, then one per 30 s), a 404 of a cache that lags too.
      let page = '';
      for (let attempt = 0; attempt < 8 && page === ''; attempt++) {
        const o = await httpExchange(urls.url, { kind: 'http', method: 'GET', path: `/invitations/${token}` }, `127.4.0.${attempt + 1}`, ANSWER_BOUND_MS);
        if (o.answers[0]?.status === 200) page = o.answers[0].body;
        else await sleep(750);
      }
      if (page === '') throw new Error(`The page of victim-${i} never answered 200`);
      victims.push({ name: `victim-${i}`, token, csrf: /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '' });
    }
    const world: World = { tenantA, tenantB, keyAdmin, keyBuilder, keyB, good: goodCaller.token, unbound, otherAudience, deleted: doomed.token, victims, probes: Array.from({ length: probeCount }, (_, i) => tokens.get(`probe-${i}`) ?? '') };
    const valid = validRequests(world, urls);
    await eventually(async () => ((await valid[0]?.()) === undefined && (await valid[1]?.()) === undefined ? true : undefined), 20_000, 'the access API to answer');
    timings['setup'] = Date.now() - setupStarted;

    // Memory: sampled all along.
    const rss: number[] = [];
    const baseline = await rssMiB(pid);
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const now = await rssMiB(pid);
        if (now !== undefined) rss.push(now);
        await sleep(500);
      }
    })();

    // Fire: slow clients first (they run the whole time), then the shuffled hostile cases with valid requests in between.
    const rand = random(ctx.seed);
    const hostile = generateCases(world, ctx.seed, n);
    for (let i = hostile.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [hostile[i], hostile[j]] = [hostile[j] as Case, hostile[i] as Case];
    }
    const slow = slowCases(world, !ctx.short);
    const base: Record<Port, string> = { access: urls.accessApiUrl, public: urls.url, metrics: urls.metricsUrl };
    let addressIndex = 0;
    // Every hostile request comes from an address of its own block (127.1.x.y) so the page's per-client limit is hit as little as possible,
    // and the valid ones from 127.0.0.1, which the hostile ones never use.
    const nextAddress = (): string => {
      const i = Math.floor(addressIndex++ / 8);
      return `127.1.${Math.floor(i / 250) % 250}.${(i % 250) + 1}`;
    };
    const fire = async (c: Case): Promise<{ c: Case; o: Outcome }> => {
      const address = nextAddress();
      const o = c.send.kind === 'raw' ? await rawExchange(base[c.port], c.send, address, HUNG_MS) : await httpExchange(base[c.port], c.send, address, HUNG_MS);
      for (const [i, a] of o.answers.entries()) ctx.evidence.text(`hostile-http ${c.category} ${c.port} "${c.label.slice(0, 60)}" answer ${i + 1}`, `${a.status} ${JSON.stringify(a.headers)}\n${a.body}`);
      if (o.garbage) ctx.evidence.text(`hostile-http ${c.category} ${c.port} leftover bytes`, o.garbage);
      return { c, o };
    };
    const validFailures: string[] = [];
    let validCount = 0;
    const runValid = async (i: number): Promise<void> => {
      const request = valid[i % valid.length];
      if (!request) return;
      try {
        const wrong = await request();
        if (wrong !== null) validCount++;
        if (wrong) validFailures.push(wrong);
      } catch (error) {
        validFailures.push(`valid request ${i % valid.length}: ${(error as Error).message}`);
      }
    };
    const barrageStarted = Date.now();
    const slowRun = Promise.all(slow.map((c) => fire(c)));
    let validIndex = 0;
    const tasks = hostile.map((c, i) => async () => {
      const result = await fire(c);
      if (i % 6 === 0) await runValid(validIndex++);
      return result;
    });
    const outcomes = await pool(tasks, 6);
    timings['hostile barrage'] = Date.now() - barrageStarted;
    // While the slow clients still hold their connections, valid requests must be answered.
    for (let i = 0; i < valid.length; i++) await runValid(validIndex++);
    const slowOutcomes = await slowRun;
    timings['slow clients'] = Math.max(...slowOutcomes.map((s) => s.o.ms));
    for (let i = 0; i < valid.length; i++) await runValid(validIndex++);

    // Afterwards: a real acceptance still works, and nothing hostile accepted anything.
    const controlLink = `${urls.url}/invitations/${tokens.get('control') ?? ''}`;
    const controlPage = await fetch(controlLink);
    const controlCsrf = /name="csrf" value="([^"]+)"/.exec(await controlPage.text())?.[1] ?? '';
    const accepted = await fetch(controlLink, { method: 'POST', headers: { 'content-type': FORM }, body: new URLSearchParams({ csrf: controlCsrf }).toString() });
    const acceptedPage = await accepted.text();
    ctx.evidence.text('hostile-http control acceptance page', acceptedPage);
    const controlActive = await eventually(async () => ((await getUser(nsA, 'control')).status?.phase === 'Active' ? true : undefined), 15_000, 'control to be Active').catch(() => false);
    checks.add('a valid acceptance still works afterwards', accepted.status === 200 && controlActive, `POST ${accepted.status}, control ${controlActive ? 'Active' : 'not Active'}`);
    await sleep(1_000);
    sampling = false;
    await sampler;
    const endRss = await rssMiB(pid);

    const notAccepted: string[] = [];
    for (const name of invitees.filter((x) => x !== 'control')) {
      const [record, user] = [await getRecord(nsA, name), await getUser(nsA, name)];
      if (record?.state !== 'pending' || user.status?.phase !== 'Invited') notAccepted.push(`${name}: record ${record?.state}, phase ${user.status?.phase}`);
    }
    const output = op.output();
    const acceptLines = output.split('\n').filter((l) => l.includes('Accepted an invitation'));
    const strayAccepts = acceptLines.filter((l) => !l.includes('"user":"control"'));
    checks.none('no invitation accepted by a hostile request', [...notAccepted, ...strayAccepts.map((l) => l.slice(0, 160))], `${invitees.length - 1} invitations still pending, the one accept logged is the control's`);

    // Judge every hostile outcome.
    const all = [...outcomes, ...slowOutcomes];
    const byCategory: Record<string, number> = {};
    const statuses: Record<string, number> = {};
    const violations: string[] = [];
    const lateOnes: string[] = [];
    const unauthenticated200: string[] = [];
    let closedOnly = 0;
    for (const { c, o } of all) {
      byCategory[c.category] = (byCategory[c.category] ?? 0) + 1;
      for (const a of o.answers) statuses[String(a.status)] = (statuses[String(a.status)] ?? 0) + 1;
      if (o.answers.length === 0) closedOnly++;
      const wrong = judgeOutcome(c, o);
      const where = `${c.category}/${c.port} "${c.label.slice(0, 70)}"`;
      if (wrong && /took|hung/.test(wrong)) lateOnes.push(`${where}: ${wrong}`);
      else if (wrong) violations.push(`${where}: ${wrong}`);
      if (c.port === 'access' && c.category !== 'pipelined-garbage' && c.category !== 'connection-reuse' && o.answers.some((a) => a.status >= 200 && a.status < 300) && c.category !== 'random-principal') unauthenticated200.push(`${where}: ${o.answers.map((a) => a.status).join(',')}`);
    }
    const slowWrong = slowOutcomes.map(({ c, o }) => [c, judgeOutcome(c, o)] as const).filter(([, w]) => w).map(([c, w]) => `${c.port} ${c.label}: ${w}`);
    checks.none('every hostile request got a well-formed 4xx/5xx (or a close for raw garbage)', violations, `${all.length} requests: statuses ${Object.entries(statuses).sort().map(([s, k]) => `${s}×${k}`).join(' ')}, ${closedOnly} closed without an answer`);
    checks.none('every answer or close came within its bound', lateOnes, `slowest answer ${Math.round(Math.max(0, ...outcomes.filter((x) => x.c.boundMs === ANSWER_BOUND_MS).map((x) => x.o.ms)))} ms (bound ${ANSWER_BOUND_MS} ms); of the raw ones that may wait for bytes, ${Math.round(Math.max(0, ...outcomes.filter((x) => x.c.boundMs !== ANSWER_BOUND_MS).map((x) => x.o.ms)))} ms (bound ${HEADERS_BOUND_MS}-${REQUEST_BOUND_MS} ms)`);
    checks.none('no 2xx from the access API to an invalid or unauthenticated request', unauthenticated200, `${all.filter((x) => x.c.port === 'access').length} hostile access API requests, none answered 2xx (random principals: 200 allowed=false only)`);
    const ended = (label: RegExp): string => {
      const ms = slowOutcomes.filter((x) => label.test(x.c.label)).map((x) => x.o.ms / 1000);
      return ms.length === 0 ? '-' : `${Math.min(...ms).toFixed(1)}-${Math.max(...ms).toFixed(1)} s`;
    };
    checks.none('slow clients got a 408 or a close by the server\'s deadlines', slowWrong, `${slow.length} slow clients: headers dripped ended after ${ended(/headers dripped|crowd/)} (headers timeout ${DEFAULT_HTTP_TIMEOUTS.headersTimeoutMs / 1000} s), bodies dripped after ${ended(/body/)} (request timeout ${DEFAULT_HTTP_TIMEOUTS.requestTimeoutMs / 1000} s)${ctx.short ? '' : `, the silent one after ${ended(/silent/)}`}`);
    checks.none('valid requests interleaved were answered correctly', validFailures, `${validCount} valid requests, all correct`);
    checks.add('the operator process never exited', exited === undefined && op.child.exitCode === null && op.child.signalCode === null, exited ?? `pid ${pid} still running`);
    // Fails when /proc/<pid>/status could not be read: unmeasured memory is not bounded memory.
    const memory = memoryCheck(baseline, rss, 160);
    checks.add(memory.name, memory.ok, `${memory.detail}, ${endRss === undefined ? 'unread' : `${endRss.toFixed(0)} MiB`} after`);
    const failures = output.split('\n').filter((l) => /An HTTP handler failed|An HTTP request failed after its response|The acceptance page failed to answer|Unhandled|uncaught/i.test(l));
    const summary = (line: string): string => {
      try {
        const parsed = JSON.parse(line) as { msg?: string; err?: { message?: string; stack?: string } };
        return `${parsed.msg}: ${parsed.err?.message ?? ''} ${parsed.err?.stack?.split('\n').slice(1, 4).join(' ') ?? ''}`;
      } catch {
        return line.slice(0, 200);
      }
    };
    checks.none('no HTTP handler failure or unhandled rejection in the operator log', failures.map(summary), `${output.split('\n').length} log lines`);

    ctx.evidence.text('hostile-http operator log', output);
    ctx.evidence.text('hostile-http metrics', await scrapeMetrics(`${urls.metricsUrl}/metrics`));
    for (const ns of [nsA, nsB]) {
      ctx.evidence.text(`hostile-http Events ${ns}`, (await eventsText(client, ns)).text);
      ctx.evidence.text(`hostile-http statuses ${ns}`, await statusesText(client, ns));
    }
    notes.push(`statuses: ${Object.entries(statuses).sort().map(([s, k]) => `${s}×${k}`).join(', ')}`);
    notes.push('"expired" caller tokens are copies of a real token with exp moved into the past (signature broken) and the token of a deleted ServiceAccount: TokenRequest issues nothing shorter than 10 minutes');
    return {
      counts: { ...byCategory, 'valid requests': validCount, 'hostile requests': all.length },
      timingsMs: timings,
      checks: checks.list,
      notes,
    };
  } finally {
    await cleanUp(client, [tenantA, tenantB], [nsA, nsB]).catch(() => undefined);
    await operator?.kill('SIGTERM');
    await smtp?.close();
    await client.delete(builtinKinds.namespace, undefined, opNs).catch(() => undefined);
    client.close();
  }
}

export const hostileHttp: Scenario = {
  name: 'hostile-http',
  title: 'generated hostile HTTP at the access API, the acceptance page and the metrics port of a real operator process',
  run,
};
