import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cookieValue, openSignInState, sealSignInState, SIGN_IN_TTL_MS, tokenBinding } from './sign-in-state.js';
import type { SignInState } from './sign-in-state.js';

const KEY = randomBytes(32);
const NOW = 1_800_000_000_000;
const STATE: SignInState = { invitationId: 'abcDEF123456', tokenBinding: tokenBinding('ff'.repeat(32)), state: 's'.repeat(43), nonce: 'n'.repeat(43), codeVerifier: 'v'.repeat(43), expiresAt: NOW + SIGN_IN_TTL_MS };

describe('the sealed sign-in state', () => {
  it('opens with the same key before it expires, on any replica', () => {
    expect(openSignInState(Buffer.from(KEY), sealSignInState(KEY, STATE), NOW)).toEqual({ ok: true, state: STATE });
  });

  it('hides the PKCE verifier, state and nonce', () => {
    const sealed = Buffer.from(sealSignInState(KEY, STATE), 'base64url').toString('latin1');
    for (const secret of [STATE.codeVerifier, STATE.state, STATE.nonce, STATE.invitationId]) expect(sealed.includes(secret)).toBe(false);
  });

  it('is refused when expired, tampered with, sealed with another key, missing or garbage', () => {
    const sealed = sealSignInState(KEY, STATE);
    expect(openSignInState(KEY, sealed, STATE.expiresAt)).toEqual({ ok: false, reason: 'expired' });
    const bytes = Buffer.from(sealed, 'base64url');
    for (const at of [0, 12, bytes.length - 1, Math.floor(bytes.length / 2)]) {
      const flipped = Buffer.from(bytes);
      flipped[at] = (flipped[at] ?? 0) ^ 1;
      expect(openSignInState(KEY, flipped.toString('base64url'), NOW)).toEqual({ ok: false, reason: 'tampered' });
    }
    expect(openSignInState(randomBytes(32), sealed, NOW)).toEqual({ ok: false, reason: 'tampered' });
    expect(openSignInState(KEY, undefined, NOW)).toEqual({ ok: false, reason: 'missing' });
    expect(openSignInState(KEY, 'not base64url!', NOW)).toEqual({ ok: false, reason: 'tampered' });
    expect(openSignInState(KEY, 'AAAA', NOW)).toEqual({ ok: false, reason: 'tampered' });
  });

  it('binds to the token hash of the record: a resend (new token) changes it', () => {
    expect(tokenBinding('aa'.repeat(32))).not.toBe(tokenBinding('bb'.repeat(32)));
    expect(tokenBinding('aa'.repeat(32))).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('cookieValue', () => {
  it('finds one cookie by name and refuses two of the same name', () => {
    expect(cookieValue('a=1; blink_sign_in=xyz; b=2', 'blink_sign_in')).toBe('xyz');
    expect(cookieValue('blink_sign_in=x; blink_sign_in=y', 'blink_sign_in')).toBeUndefined();
    expect(cookieValue(undefined, 'blink_sign_in')).toBeUndefined();
    expect(cookieValue('xblink_sign_in=1', 'blink_sign_in')).toBeUndefined();
  });
});
