import { describe, expect, it } from 'vitest';
import { KeyedMutex } from './keyed-mutex.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('KeyedMutex', () => {
  it('never interleaves two runs of one key, and keeps their order', async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    const step = (name: string) => async () => {
      log.push(`${name} start`);
      await tick();
      await tick();
      log.push(`${name} end`);
      return name;
    };
    const results = await Promise.all([mutex.run('acme', step('a')), mutex.run('acme', step('b')), mutex.run('acme', step('c'))]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['a start', 'a end', 'b start', 'b end', 'c start', 'c end']);
    expect(mutex.size).toBe(0);
  });

  it('runs different keys side by side, and a failure releases the key', async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const slow = mutex.run('acme', async () => {
      log.push('acme');
      await gate;
    });
    await mutex.run('globex', async () => {
      log.push('globex');
    });
    expect(log).toEqual(['acme', 'globex']);
    open();
    await slow;
    await expect(mutex.run('acme', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(mutex.run('acme', () => Promise.resolve('after'))).resolves.toBe('after');
  });
});
