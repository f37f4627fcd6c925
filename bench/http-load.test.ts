import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { summarise } from './cpuprofile-top.js';
import { run } from './http-load.js';

describe('the load generator', () => {
  it.each(['raw', 'node-http'] as const)('%s: sends every body once, with the headers, and reads status and body of each answer', async (client) => {
    const seen: string[] = [];
    let connections = 0;
    const server = createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        seen.push(`${req.headers.authorization} ${body}`);
        const n = Number(JSON.parse(body).n);
        // Every 7th answer is a 403 and closes the connection: the client must reconnect.
        const text = JSON.stringify({ allowed: n % 2 === 0, pad: 'é'.repeat(n % 5) });
        res.writeHead(n % 7 === 6 ? 403 : 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...(n % 7 === 6 ? { connection: 'close' } : {}) }).end(text);
      });
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const bodies = Array.from({ length: 200 }, (_, n) => JSON.stringify({ n }));
    const result = await run({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`, bodies, concurrency: 4, maxMs: 10_000, headers: { authorization: 'Bearer t' }, client });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(result.requests).toBe(200);
    expect(result.timedOut).toBe(false);
    const forbidden = bodies.filter((_, n) => n % 7 === 6).length;
    expect(result.statuses).toEqual({ '200': 200 - forbidden, '403': forbidden });
    expect(result.allowed).toBe(100);
    expect(seen.sort()).toEqual(bodies.map((b) => `Bearer t ${b}`).sort());
    expect(connections).toBeGreaterThanOrEqual(4 + (client === 'raw' ? forbidden - 4 : 0));
  });
});

describe('cpuprofile-top', () => {
  it('sums self time by function and by source', () => {
    const nodes = [
      { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 } },
      { id: 2, callFrame: { functionName: 'decide', url: 'file:///w/operator/access/decide.ts', lineNumber: 9 } },
      { id: 3, callFrame: { functionName: 'write', url: 'node:net', lineNumber: 0 } },
    ];
    const result = summarise({ nodes, startTime: 0, endTime: 4_000, samples: [2, 2, 3, 2], timeDeltas: [1_000, 1_000, 1_000, 1_000] }, 5);
    expect(result.totalMs).toBe(4);
    expect(result.functions[0]).toEqual({ name: 'decide', where: 'operator/access/decide.ts:10', selfMs: 3, share: 75 });
    expect(result.bySource).toEqual({ 'operator (our code)': 75, 'node internals': 25 });
  });
});
