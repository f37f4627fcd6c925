// findLeaks, the key-leak scan of the service-account and CLI tests: finds every form of a key,
// and refuses to pass when it was given nothing to look for or nothing to look in.
import { describe, expect, it } from 'vitest';
import { generateApiKey, hashApiKey } from '../../operator/apikeys/index.js';
import { findLeaks } from './fixtures.js';

describe('findLeaks', () => {
  const { key } = generateApiKey();

  it('finds the key, its secret part, its hash and its base64 in any text', () => {
    const texts = { raw: `x${key}x`, secret: key.slice(22), hash: hashApiKey(key), base64: Buffer.from(key).toString('base64'), clean: 'nothing here' };
    expect(findLeaks([key], texts).map((leak) => leak.split(' ')[0])).toEqual(expect.arrayContaining(['raw', 'secret', 'hash', 'base64']));
    expect(findLeaks([key], texts).filter((leak) => leak.startsWith('clean'))).toEqual([]);
  });

  it('passes a text without the key', () => {
    expect(findLeaks([key], { events: 'Issued API key abc into Secret x-api-key' })).toEqual([]);
  });

  it.each([
    ['no key to look for', [], { events: 'text' }, /no key to look for/],
    ['an empty string as the key (a Secret read as nothing)', [''], { events: 'text' }, /not API keys/],
    ['no text to look in', [key], {}, /no text to scan/],
    ['only empty texts', [key], { events: '', statuses: '' }, /no text to scan/],
  ])('throws when given %s', (_what, keys, texts, error) => {
    expect(() => findLeaks(keys, texts)).toThrow(error);
  });
});
