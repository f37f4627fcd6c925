import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function capture(): { lines: () => Record<string, unknown>[]; stream: Writable } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return { stream, lines: () => chunks.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('createLogger', () => {
  it('redacts secret fields and reduces objects to references', () => {
    const out = capture();
    const log = createLogger({ destination: out.stream, level: 'info' });
    const secret = { kind: 'Secret', apiVersion: 'v1', metadata: { namespace: 'ns', name: 's' }, data: { apiKey: 'c2VjcmV0' } };
    log.child({ controller: 'c' }).info({ object: secret, request: { token: 'tok-123', headers: { authorization: 'Bearer x' } }, apiKey: 'blink_abc' }, 'Issued API key');
    const text = JSON.stringify(out.lines());
    expect(text).not.toContain('c2VjcmV0');
    expect(text).not.toContain('tok-123');
    expect(text).not.toContain('Bearer x');
    expect(text).not.toContain('blink_abc');
    const [line] = out.lines();
    expect(line).toMatchObject({ level: 'info', controller: 'c', msg: 'Issued API key', object: { kind: 'Secret', namespace: 'ns', name: 's' } });
  });
});
