import { describe, expect, it } from 'vitest';
import { judgeSignIn } from './sign-in-decision.js';

describe('judgeSignIn', () => {
  it.each([
    { name: 'the invited, verified email', claims: { email: 'jane@acme.test', email_verified: true }, verdict: { ok: true, email: 'jane@acme.test' } },
    { name: 'the same email in another case', claims: { email: 'Jane@ACME.test', email_verified: true }, verdict: { ok: true, email: 'jane@acme.test' } },
    { name: 'another verified email', claims: { email: 'bob@acme.test', email_verified: true }, verdict: { ok: false, why: 'wrong-account' } },
    { name: 'a look-alike (KELVIN SIGN) of the invited email', claims: { email: '\u212Aate@acme.test', email_verified: true }, invited: 'kate@acme.test', verdict: { ok: false, why: 'no-email' } },
    { name: 'email_verified false', claims: { email: 'jane@acme.test', email_verified: false }, verdict: { ok: false, why: 'unverified' } },
    { name: 'email_verified as the string "true"', claims: { email: 'jane@acme.test', email_verified: 'true' }, verdict: { ok: false, why: 'unverified' } },
    { name: 'no email_verified', claims: { email: 'jane@acme.test' }, verdict: { ok: false, why: 'unverified' } },
    { name: 'no email', claims: { email_verified: true }, verdict: { ok: false, why: 'no-email' } },
    { name: 'an email that is not a string', claims: { email: ['jane@acme.test'], email_verified: true }, verdict: { ok: false, why: 'no-email' } },
  ])('$name', ({ claims, invited, verdict }) => {
    expect(judgeSignIn(claims, 'email', invited ?? 'jane@acme.test')).toEqual(verdict);
  });

  it('reads the configured claim, and only that one', () => {
    expect(judgeSignIn({ upn: 'jane@acme.test', email: 'other@acme.test', email_verified: true }, 'upn', 'jane@acme.test')).toEqual({ ok: true, email: 'jane@acme.test' });
    expect(judgeSignIn({ email: 'jane@acme.test', email_verified: true }, 'upn', 'jane@acme.test')).toEqual({ ok: false, why: 'no-email' });
  });

  it('reads the configured verified claim (Entra ID: xms_edov), and only that one', () => {
    expect(judgeSignIn({ email: 'jane@acme.test', xms_edov: true }, 'email', 'jane@acme.test', 'xms_edov')).toEqual({ ok: true, email: 'jane@acme.test' });
    expect(judgeSignIn({ email: 'jane@acme.test', email_verified: true }, 'email', 'jane@acme.test', 'xms_edov')).toEqual({ ok: false, why: 'unverified' });
  });
});
