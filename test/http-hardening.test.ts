// HTTP that always answers, tried with raw sockets (node:net) against real
// operators: a malformed request target, a garbage request line, a header
// flood, a client that never finishes its headers (slowloris) or its body, and
// an idle keep-alive connection. Each gets a response or a clean close, on
// every port (public acceptance page, access API, metrics and probes), and the
// process logs no unhandled rejection.
import { connect, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningOperator } from '../operator/operator.js';
import { createLogger } from '../operator/runtime/logger.js';
import { accessApiToken } from './harness/access.js';
import { newShard, spawnOperator, startTestOperator } from './harness/operator.js';
import type { OperatorProcess } from './harness/operator.js';

/** What a raw connection saw: the bytes the server sent, whether the server closed it, and when. */
interface Exchange {
  readonly text: string;
  readonly closed: boolean;
  readonly ms: number;
}

/**
 * Opens a connection to `url`'s host and port, writes `chunks` (a number waits that many ms),
 * and collects what comes back until the server closes the socket or `waitMs` passes.
 */
function exchange(url: string, chunks: readonly (string | number)[], waitMs = 5_000): Promise<Exchange> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const started = performance.now();
    let text = '';
    let writing = true;
    const finish = (closed: boolean): void => {
      clearTimeout(timer);
      writing = false;
      socket.destroy();
      resolve({ text, closed, ms: performance.now() - started });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('close', () => finish(true));
    // A server that resets after answering is a clean close too.
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? undefined : reject(error)));
    socket.once('connect', () => {
      void (async () => {
        for (const chunk of chunks) {
          if (!writing || socket.destroyed) return;
          if (typeof chunk === 'number') await new Promise((r) => setTimeout(r, chunk));
          else socket.write(chunk);
        }
      })();
    });
  });
}

const statusOf = (text: string): number | undefined => {
  const match = /^HTTP\/1\.1 (\d{3}) /.exec(text);
  return match ? Number(match[1]) : undefined;
};

describe('HTTP hardening of the operator process (blink-accounts operator run)', () => {
  let child: OperatorProcess;
  let urls: { url: string; accessApiUrl: string; metricsUrl: string };

  beforeAll(async () => {
    child = await spawnOperator(['--shard', newShard('http'), '--no-leader-elect', '--metrics-port', '0', '--http-port', '0', '--access-api-port', '0']);
    urls = child.urls();
  }, 90_000);
  afterAll(async () => {
    await child?.kill('SIGTERM');
  });

  const ports = (): [string, string][] => [
    ['public', urls.url],
    ['access API', urls.accessApiUrl],
    ['metrics', urls.metricsUrl],
  ];

  it('knows its three ports', () => {
    expect(new Set(ports().map(([, url]) => url)).size).toBe(3);
  });

  it.each([
    ['a malformed request target', 'GET http://[ HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['a request target that is not a path', 'GET http://[::1 HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['a garbage request line', 'HELLO THERE\r\n\r\n', 400],
    ['a bad header line', 'GET / HTTP/1.1\r\nNo colon here\r\n\r\n', 400],
    ['a header flood (64 KiB of headers)', `GET / HTTP/1.1\r\nHost: x\r\n${'X-Flood: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n'.repeat(1024)}\r\n`, 431],
  ])('answers %s with a status and closes, on every port', async (_what, request, status) => {
    for (const [port, url] of ports()) {
      const seen = await exchange(url, [request]);
      expect({ port, status: statusOf(seen.text), closed: seen.closed }).toEqual({ port, status, closed: true });
      expect(seen.text).toMatch(/\r\nconnection: close\r\n/i);
    }
  });

  it('answers well-formed pipelined requests before a malformed one, then a 400 and the close, on every port', async () => {
    // Once, the parse error destroyed the connection: answers already written (or about to be) were lost.
    const requests: [string, string, number][] = [
      ['public', 'GET /invitations/x HTTP/1.1\r\nHost: x\r\n\r\n', 404],
      ['access API', 'POST /api/v1/authorize HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}', 401],
      ['metrics', 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', 200],
    ];
    for (const [port, url] of ports()) {
      const [, request, status] = requests.find(([name]) => name === port) ?? ['', '', 0];
      const seen = await exchange(url, [`${request.repeat(5)}GARBAGE\r\n\r\n`]);
      const statuses = [...seen.text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
      expect({ port, statuses, closed: seen.closed }).toEqual({ port, statuses: [status, status, status, status, status, 400], closed: true });
    }
  });

  it('keeps serving afterwards and logged no unhandled rejection', async () => {
    expect((await fetch(`${urls.metricsUrl}/healthz`)).status).toBe(200);
    expect(child.output()).not.toMatch(/Unhandled promise rejection|An HTTP (handler|request) failed/i);
    expect(child.child.exitCode).toBeNull();
  });
});

describe('a port the operator process must listen on is taken', () => {
  it('exits 1 with the error instead of staying up unready (the metrics server already listening)', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      await expect(spawnOperator(['--shard', newShard('port'), '--no-leader-elect', '--metrics-port', '0', '--http-port', String(port), '--access-api-port', '0'])).rejects.toThrow(
        /exited \(1\)[\s\S]*address already in use/,
      );
    } finally {
      taken.close();
    }
  }, 90_000);
});

describe('HTTP timeouts bound slow clients (in-process operator with small timeouts)', () => {
  let operator: RunningOperator;
  let token = '';
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown): void => void rejections.push(reason);
  const timeouts = { headersTimeoutMs: 600, requestTimeoutMs: 1_500, keepAliveTimeoutMs: 400, idleTimeoutMs: 3_000 };
  const errors: string[] = [];
  const logger = createLogger({ level: 'error', destination: { write: (line: string) => void errors.push(line) } });

  beforeAll(async () => {
    process.on('unhandledRejection', onRejection);
    operator = await startTestOperator({ shard: newShard('http-slow'), httpTimeouts: timeouts, logger });
    token = await accessApiToken();
  }, 90_000);
  afterAll(async () => {
    await operator?.stop();
    process.off('unhandledRejection', onRejection);
  });

  it('answers a client that never finishes its headers (slowloris) with 408 after the header timeout', async () => {
    const drip = Array.from({ length: 40 }, (_, i) => [`X-Drip-${i}: ${i}\r\n`, 100] as const).flat();
    for (const url of [operator.url, operator.accessApiUrl]) {
      const seen = await exchange(url, ['GET / HTTP/1.1\r\nHost: x\r\n', ...drip]);
      expect({ status: statusOf(seen.text), closed: seen.closed }).toEqual({ status: 408, closed: true });
      expect(seen.ms).toBeLessThan(timeouts.headersTimeoutMs + 1_500);
    }
  });

  it('answers a body that never finishes with 408 after the request timeout', async () => {
    const head = `POST /api/v1/authorize HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n`;
    const seen = await exchange(operator.accessApiUrl, [head, '{"tenant":', 300, '"a', 300, 'b', 300]);
    expect({ status: statusOf(seen.text), closed: seen.closed }).toEqual({ status: 408, closed: true });
    expect(seen.ms).toBeLessThan(timeouts.requestTimeoutMs + 1_500);
    // The same against the public page's body reader.
    const post = 'POST /invitations/blink_inv_x HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\ncsrf=';
    const onPublic = await exchange(operator.url, [post, 200, 'a', 200]);
    expect(onPublic.closed).toBe(true);
    expect(onPublic.ms).toBeLessThan(timeouts.requestTimeoutMs + 1_500);
    // A client out of time is its doing: no error logged for it (once, every slow form post logged "The acceptance page failed to answer").
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(errors).toEqual([]);
  });

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const seen = await exchange(operator.url, ['GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n'], 5_000);
    expect(statusOf(seen.text)).toBe(404);
    expect(seen.closed).toBe(true);
    expect(seen.ms).toBeLessThan(timeouts.keepAliveTimeoutMs + 1_500);
  });

  it('closes a connection that never sends a byte', async () => {
    const seen = await exchange(operator.url, [], 8_000);
    expect(seen.closed).toBe(true);
    expect(seen.ms).toBeLessThan(timeouts.idleTimeoutMs + 1_500);
  });

  it('still answers a malformed target in-process, and no rejection went unhandled', async () => {
    const seen = await exchange(operator.accessApiUrl, ['GET http://[ HTTP/1.1\r\nHost: x\r\n\r\n']);
    expect(statusOf(seen.text)).toBe(400);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(rejections).toEqual([]);
  });
});
