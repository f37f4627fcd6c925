// Load generator for bench/access-api.ts, run in a worker thread so that the
// client's work does not share the server's event loop: POSTs the given JSON
// bodies over keep-alive loopback connections, `concurrency` in flight, until
// all are sent or `maxMs` has passed, and reports throughput, latency
// percentiles and the status codes seen.
import { Agent, request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

/** What the worker is given. */
export interface LoadJob {
  readonly url: string;
  readonly bodies: readonly string[];
  readonly concurrency: number;
  readonly maxMs: number;
  /** Sent with every request (the bearer token). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** What the worker reports. */
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
}

function post(agent: Agent, url: URL, body: string, headers: Readonly<Record<string, string>>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
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
}

async function run(job: LoadJob): Promise<LoadResult> {
  const url = new URL(job.url);
  const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let next = 0;
  let allowed = 0;
  let timedOut = false;
  const started = performance.now();
  const deadline = started + job.maxMs;
  const lane = async (): Promise<void> => {
    for (;;) {
      if (performance.now() >= deadline) {
        timedOut = true;
        return;
      }
      const body = job.bodies[next++];
      if (body === undefined) return;
      const sent = performance.now();
      let status = 'error';
      try {
        const answer = await post(agent, url, body, job.headers ?? {});
        status = String(answer.status);
        if (answer.text.includes('"allowed":true')) allowed++;
      } finally {
        latencies.push(performance.now() - sent);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, () => lane().catch(() => undefined)));
  const ms = performance.now() - started;
  agent.destroy();
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
  };
}

if (parentPort) {
  const port = parentPort;
  void run(workerData as LoadJob).then((result) => port.postMessage(result));
}
