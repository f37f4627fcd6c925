// Load generator of bench/access-api.ts, run as a SEPARATE process (`fork`: its own
// event loop and heap, so the client's work does not share the server's thread):
// POSTs the given JSON bodies over keep-alive loopback connections, `concurrency`
// in flight (one per connection), until all are sent or `maxMs` has passed, and
// reports throughput, latency percentiles and the status codes seen.
//
// Two clients: `raw` (the default) writes each request as one prebuilt string on a
// net.Socket and parses only the status line and Content-Length of the answer, so
// that the generator costs a few µs per request; `node-http` is node's http.request
// with a keep-alive Agent (what this file used before, ~4x the client CPU per
// request). Against the bare server both are measured, which shows whether the
// generator limits the figures.
//   forked by bench/access-api.ts (`runLoad`); the job comes over IPC, the result goes back.
import { fork } from 'node:child_process';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import type { Socket } from 'node:net';

/** What the load process is given. */
export interface LoadJob {
  readonly url: string;
  readonly bodies: readonly string[];
  readonly concurrency: number;
  readonly maxMs: number;
  /** Sent with every request (the bearer token). */
  readonly headers?: Readonly<Record<string, string>>;
  /** @default 'raw' */
  readonly client?: 'raw' | 'node-http';
  /** A bearer token per request (`Authorization: Bearer <tokens[i % length]>`), instead of one in `headers`. */
  readonly tokens?: readonly string[];
  /** Send the bodies again from the start until `maxMs` has passed. @default false */
  readonly loop?: boolean;
}

/** What the load process reports. */
export interface LoadResult {
  readonly requests: number;
  readonly ms: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly statuses: Record<string, number>;
  /** Count of bodies containing `"allowed":true` (authorize answers). */
  readonly allowed: number;
  readonly timedOut: boolean;
  /** CPU time of the load process during the run (user + system), ms: how busy the generator was. */
  readonly clientCpuMs: number;
}

type Send = (body: string, token?: string) => Promise<{ status: number; text: string }>;

/** node:http's client, keep-alive. */
function nodeHttpSender(url: URL, headers: Readonly<Record<string, string>>, concurrency: number): { lane(): Send; close(): void } {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const send: Send = (body, token) =>
    new Promise((resolve, reject) => {
      const perRequest = token === undefined ? {} : { authorization: `Bearer ${token}` };
      const req = request(
        { agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...headers, ...perRequest, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
      req.on('error', reject);
      req.end(body);
    });
  return { lane: () => send, close: () => agent.destroy() };
}

/**
 * A minimal HTTP/1.1 keep-alive client: one socket per lane, one request at a time on it.
 * Answers must carry Content-Length (both servers of the benchmark send it; chunked answers are refused).
 */
function rawSender(url: URL, headers: Readonly<Record<string, string>>): { lane(): Send; close(): void } {
  const sockets: Socket[] = [];
  const head = `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}`;
  const lane = (): Send => {
    let socket: Socket | undefined;
    let buffered: Buffer = Buffer.alloc(0);
    let waiting: { resolve(v: { status: number; text: string }): void; reject(e: Error): void } | undefined;
    const fail = (error: Error): void => {
      socket = undefined;
      buffered = Buffer.alloc(0);
      const w = waiting;
      waiting = undefined;
      w?.reject(error);
    };
    const onData = (chunk: Buffer): void => {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const header = buffered.toString('latin1', 0, end);
      const length = /\r\ncontent-length: *(\d+)/i.exec(header)?.[1];
      if (length === undefined) return fail(new Error('an answer without Content-Length'));
      const total = end + 4 + Number(length);
      if (buffered.length < total) return;
      const text = buffered.toString('utf8', end + 4, total);
      const status = Number(header.slice(9, 12));
      buffered = buffered.subarray(total);
      if (/\r\nconnection: *close/i.test(header)) {
        socket?.destroy();
        socket = undefined;
      }
      const w = waiting;
      waiting = undefined;
      w?.resolve({ status, text });
    };
    const open = (): Socket => {
      const s = connect({ host: url.hostname, port: Number(url.port), noDelay: true });
      s.on('data', onData);
      s.on('error', (e) => fail(e));
      s.on('close', () => {
        if (socket === s) fail(new Error('the connection closed'));
      });
      sockets.push(s);
      return s;
    };
    return (body, token) =>
      new Promise((resolve, reject) => {
        waiting = { resolve, reject };
        socket ??= open();
        const auth = token === undefined ? '' : `Authorization: Bearer ${token}\r\n`;
        socket.write(`${head}${auth}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      });
  };
  return { lane, close: () => sockets.forEach((s) => s.destroy()) };
}

/** Runs a job in this process. */
export async function run(job: LoadJob): Promise<LoadResult> {
  const url = new URL(job.url);
  const sender = job.client === 'node-http' ? nodeHttpSender(url, job.headers ?? {}, job.concurrency) : rawSender(url, job.headers ?? {});
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let next = 0;
  let allowed = 0;
  let timedOut = false;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + job.maxMs;
  const lane = async (send: Send): Promise<void> => {
    for (;;) {
      if (performance.now() >= deadline) {
        timedOut = true;
        return;
      }
      const i = next++;
      const body = job.bodies[job.loop ? i % job.bodies.length : i];
      if (body === undefined) return;
      const token = job.tokens ? job.tokens[i % job.tokens.length] : undefined;
      const sent = performance.now();
      let status = 'error';
      try {
        const answer = await send(body, token);
        status = String(answer.status);
        if (answer.text.includes('"allowed":true')) allowed++;
      } finally {
        latencies.push(performance.now() - sent);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, () => lane(sender.lane()).catch(() => undefined)));
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  sender.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => Math.round((latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0) * 1000) / 1000;
  return {
    requests: latencies.length,
    ms: Math.round(ms),
    requestsPerSecond: Math.round((latencies.length / ms) * 1000),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    maxMs: at(1),
    statuses,
    allowed,
    timedOut,
    clientCpuMs: Math.round((cpu.user + cpu.system) / 1000),
  };
}

/** A load process (forked once, given one job after another over IPC). */
export interface LoadProcess {
  load(job: LoadJob): Promise<LoadResult>;
  close(): void;
}

/** Forks this file as the load process. */
export function startLoadProcess(): LoadProcess {
  const child = fork(new URL(import.meta.url).pathname, ['--load-process'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  let pending: { resolve(r: LoadResult): void; reject(e: Error): void } | undefined;
  child.on('message', (result: LoadResult) => {
    const p = pending;
    pending = undefined;
    p?.resolve(result);
  });
  child.once('exit', (code) => pending?.reject(new Error(`The load process exited with ${code}`)));
  return {
    load: (job) =>
      new Promise((resolve, reject) => {
        if (pending) return reject(new Error('One job at a time'));
        pending = { resolve, reject };
        child.send(job);
      }),
    close: () => void child.kill(),
  };
}

if (process.argv.includes('--load-process') && process.send) {
  process.on('message', (job: LoadJob) => {
    void run(job).then((result) => process.send?.(result));
  });
  process.on('disconnect', () => process.exit(0));
}
