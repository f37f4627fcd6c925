import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compactSecretData } from './compact-secret-data.js';
import { jsonEqual } from './deep-equal.js';

const b64 = (text: string): string => Buffer.from(text).toString('base64');
const parsed = (): Record<string, unknown> =>
  JSON.parse(
    JSON.stringify({
      metadata: { name: 'blink-invitation-u', namespace: 'ns', labels: { a: 'b' } },
      data: { attemptedAt: b64('2026-12-08T00:30:10.025Z'), delivery: b64('sent'), email: b64('ünï@example.com'), resend: b64('0'), empty: '' },
      type: 'accounts.blinkops.com/invitation',
    }),
  ) as Record<string, unknown>;

describe('compactSecretData', () => {
  it('reads back the same Secret: fields, order, JSON, spread, clone and deep equality', () => {
    const secret = compactSecretData(parsed());
    expect(Object.getOwnPropertyDescriptor(secret, 'data')?.get).toBeDefined();
    expect(Object.keys(secret)).toEqual(Object.keys(parsed()));
    expect(JSON.stringify(secret)).toBe(JSON.stringify(parsed()));
    expect({ ...secret }).toEqual(parsed());
    expect(structuredClone(secret)).toEqual(parsed());
    expect(jsonEqual(secret, parsed())).toBe(true);
    expect(Object.keys(secret['data'] as object)).toEqual(Object.keys(parsed()['data'] as object));
  });

  it('gives each reader its own object: editing it does not change the cache', () => {
    const secret = compactSecretData(parsed());
    (secret['data'] as Record<string, string>)['delivery'] = 'x';
    expect((secret['data'] as Record<string, string>)['delivery']).toBe(b64('sent'));
  });

  it('lets the property be assigned, as a plain one', () => {
    const secret = compactSecretData(parsed());
    secret['data'] = { a: 'b' };
    expect(JSON.parse(JSON.stringify(secret))).toMatchObject({ data: { a: 'b' } });
  });

  it.each([
    ['no data', { metadata: {} }],
    ['few values', { data: { a: 'YQ==', b: 'Yg==' } }],
    ['a value with a comma', { data: { a: 'a,b', b: '', c: '', d: '' } }],
    ['a key with a comma', { data: { 'a,b': '', b: '', c: '', d: '' } }],
    ['a key named __proto__', JSON.parse('{"data":{"__proto__":"","b":"","c":"","d":""}}') as object],
    ['a value that is not a string', { data: { a: 1, b: '', c: '', d: '' } }],
    ['data that is not an object', { data: 'text' }],
  ])('leaves a Secret with %s as it is', (_name, secret) => {
    expect(compactSecretData(secret)).toBe(secret);
  });

  it('reads back every data it compacts exactly (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.oneof(fc.string({ minLength: 1 }), fc.constant('__proto__')), fc.string({ unit: 'binary' }), { minKeys: 4, maxKeys: 16 }), (data) => {
        const secret = { kind: 'Secret', data: structuredClone(data), type: 'x' };
        const out = compactSecretData(secret);
        const compacted = out !== secret;
        expect(compacted).toBe(Object.entries(data).every(([k, v]) => k !== '__proto__' && !k.includes(',') && !v.includes(',')));
        expect(JSON.stringify(out)).toBe(JSON.stringify({ kind: 'Secret', data, type: 'x' }));
      }),
    );
  });
});
