// A deterministic RandomBytes for tests and benchmarks; never use it for real credentials.
import { createHash } from 'node:crypto';
import type { RandomBytes } from './random.js';

/** A reproducible byte stream (SHA-256 in counter mode over `seed`), for tests only. */
export function seededRandom(seed: string): RandomBytes {
  let counter = 0;
  let pool = Buffer.alloc(0);
  return (size) => {
    while (pool.length < size) {
      pool = Buffer.concat([pool, createHash('sha256').update(`${seed}\0${counter++}`).digest()]);
    }
    const out = pool.subarray(0, size);
    pool = pool.subarray(size);
    return new Uint8Array(out);
  };
}
