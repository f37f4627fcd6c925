import { describe, expect, it } from 'vitest';
import { checkEmailDomain } from './email.js';

const tenant = (allowedEmailDomains?: string[]) => ({ spec: { displayName: 'Acme', ...(allowedEmailDomains ? { allowedEmailDomains } : {}) } });

describe('checkEmailDomain', () => {
  it.each([
    { domains: undefined, email: 'jane@anything.io', allowed: true },
    { domains: [], email: 'jane@anything.io', allowed: true },
    { domains: ['example.com'], email: 'jane@example.com', allowed: true },
    { domains: ['example.com'], email: 'Jane@EXAMPLE.com', allowed: true },
    { domains: ['example.com', 'acme.io'], email: 'bob@acme.io', allowed: true },
    { domains: ['example.com'], email: 'jane@evil.com', allowed: false },
    { domains: ['example.com'], email: 'jane@eu.example.com', allowed: false },
    { domains: ['example.com'], email: 'jane@example.com.evil.io', allowed: false },
    { domains: ['example.com'], email: 'no-at-sign', allowed: false },
  ])('$email with $domains: allowed=$allowed', ({ domains, email, allowed }) => {
    expect(checkEmailDomain(tenant(domains), email).allowed).toBe(allowed);
  });

  it('allows everyone when there is no tenant (the caller reports the missing tenant)', () => {
    expect(checkEmailDomain(undefined, 'x@y.z')).toEqual({ allowed: true });
  });

  it('refuses with a stable reason and a message naming the domain and the allowed ones', () => {
    expect(checkEmailDomain(tenant(['b.com', 'a.com']), 'jane@evil.com')).toEqual({
      allowed: false,
      reason: 'EmailDomainNotAllowed',
      message: 'The email domain "evil.com" is not allowed in this tenant; allowed domains: a.com, b.com',
    });
  });
});
