import { describe, expect, it } from 'vitest';
import { MAX_BEARER_TOKEN_LENGTH, precheckBearerToken } from './bearer-token-precheck.js';
import type { BearerTokenPrecheck } from './bearer-token-precheck.js';

const AUDIENCE = 'blink-accounts-access-api';
const NOW = 1_700_000_000_000;
const EXP = NOW / 1000 + 600;
const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const token = (header: unknown, payload: unknown, signature = 'c2lnbmF0dXJl') => `${b64(header)}.${b64(payload)}.${signature}`;
const HEADER = { alg: 'RS256', kid: 'abc' };
const refused = (reason: string): BearerTokenPrecheck => ({ ok: false, reason } as BearerTokenPrecheck);

const cases: [name: string, token: string, expected: BearerTokenPrecheck][] = [
  ['a projected ServiceAccount token for the audience', token(HEADER, { aud: [AUDIENCE], exp: EXP, sub: 'system:serviceaccount:a:b' }), { ok: true, expiresAt: EXP * 1000 }],
  ['aud as a single string', token(HEADER, { aud: AUDIENCE, exp: EXP }), { ok: true, expiresAt: EXP * 1000 }],
  ['the audience among others', token(HEADER, { aud: ['https://kubernetes.default.svc', AUDIENCE], exp: EXP }), { ok: true, expiresAt: EXP * 1000 }],
  ['a fractional exp', token(HEADER, { aud: [AUDIENCE], exp: EXP + 0.5 }), { ok: true, expiresAt: (EXP + 0.5) * 1000 }],
  ['empty', '', refused('NotAJwt')],
  ['an opaque token', 'abcdef0123456789', refused('NotAJwt')],
  ['two parts', `${b64(HEADER)}.${b64({ aud: [AUDIENCE], exp: EXP })}`, refused('NotAJwt')],
  ['four parts', `${token(HEADER, { aud: [AUDIENCE], exp: EXP })}.x`, refused('NotAJwt')],
  ['an empty signature (alg none style)', token(HEADER, { aud: [AUDIENCE], exp: EXP }, ''), refused('NotAJwt')],
  ['standard base64 (+ and /) instead of base64url', `${b64(HEADER)}.${b64({ aud: [AUDIENCE], exp: EXP })}.ab+/cd`, refused('NotAJwt')],
  ['padding', `${b64(HEADER)}.${b64({ aud: [AUDIENCE], exp: EXP })}.abc=`, refused('NotAJwt')],
  ['spaces', `${b64(HEADER)} .${b64({ aud: [AUDIENCE], exp: EXP })}.abc`, refused('NotAJwt')],
  ['a header that is not JSON', `${b64('not json')}.${b64({ aud: [AUDIENCE], exp: EXP })}.abc`, refused('NotJson')],
  ['a payload that is not JSON', `${b64(HEADER)}.${b64('{"aud":')}.abc`, refused('NotJson')],
  ['a payload that is a JSON array', token(HEADER, [AUDIENCE, EXP]), refused('NotJson')],
  ['a payload that is JSON null', token(HEADER, null), refused('NotJson')],
  ['a header without alg', token({ typ: 'JWT' }, { aud: [AUDIENCE], exp: EXP }), refused('UnsignedJwt')],
  ['alg none', token({ alg: 'none' }, { aud: [AUDIENCE], exp: EXP }), refused('UnsignedJwt')],
  ['alg NONE', token({ alg: 'NONE' }, { aud: [AUDIENCE], exp: EXP }), refused('UnsignedJwt')],
  ['no exp (a legacy Secret-based token)', token(HEADER, { iss: 'kubernetes/serviceaccount', sub: 'system:serviceaccount:a:b' }), refused('NoExpiry')],
  ['exp as a string', token(HEADER, { aud: [AUDIENCE], exp: String(EXP) }), refused('NoExpiry')],
  ['exp at now', token(HEADER, { aud: [AUDIENCE], exp: NOW / 1000 }), refused('Expired')],
  ['exp a second ago', token(HEADER, { aud: [AUDIENCE], exp: NOW / 1000 - 1 }), refused('Expired')],
  ['no aud', token(HEADER, { exp: EXP }), refused('WrongAudience')],
  ['another audience', token(HEADER, { aud: ['https://kubernetes.default.svc'], exp: EXP }), refused('WrongAudience')],
  ['an audience that only starts the same', token(HEADER, { aud: [`${AUDIENCE}-x`], exp: EXP }), refused('WrongAudience')],
  ['aud as an object', token(HEADER, { aud: { [AUDIENCE]: true }, exp: EXP }), refused('WrongAudience')],
  ['too long', token(HEADER, { aud: [AUDIENCE], exp: EXP, pad: 'x'.repeat(MAX_BEARER_TOKEN_LENGTH) }), refused('TooLong')],
];

describe('precheckBearerToken', () => {
  it.each(cases)('%s', (_name, text, expected) => {
    expect(precheckBearerToken(text, AUDIENCE, NOW)).toEqual(expected);
  });

  it('never throws, whatever the bytes', () => {
    for (let i = 0; i < 500; i++) {
      const bytes = Buffer.from(Array.from({ length: (i % 64) + 1 }, (_, j) => (i * 31 + j * 17) % 256));
      const text = i % 3 === 0 ? bytes.toString('latin1') : `${bytes.toString('base64url')}.${bytes.subarray(1).toString('base64url')}.${bytes.toString('base64url')}`;
      expect(() => precheckBearerToken(text, AUDIENCE, NOW)).not.toThrow();
    }
  });
});
