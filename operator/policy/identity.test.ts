import { describe, expect, it } from 'vitest';
import { kubernetesUsername, providerSettings, usernamePrefixConflicts } from './identity.js';

const idp = { issuerURL: 'https://idp.acme.test', clientID: 'blink', clientSecretRef: { name: 'oidc' } };

describe('providerSettings', () => {
  it('fills in the defaults: openid and email scopes, the email claim, the key, an issuer-scoped prefix', () => {
    expect(providerSettings({ spec: { displayName: 'Acme', identityProvider: idp } })).toEqual({
      issuerURL: 'https://idp.acme.test',
      clientID: 'blink',
      clientSecretRef: { name: 'oidc', key: 'clientSecret' },
      scopes: ['openid', 'email'],
      emailClaim: 'email',
      emailVerifiedClaim: 'email_verified',
      usernamePrefix: 'https://idp.acme.test#',
    });
  });

  it('keeps what the tenant set, without duplicate scopes', () => {
    const settings = providerSettings({ spec: { displayName: 'Acme', identityProvider: { ...idp, scopes: ['email', 'groups'], emailClaim: 'upn', usernamePrefix: 'acme:' } } });
    expect(settings).toMatchObject({ scopes: ['openid', 'email', 'groups'], emailClaim: 'upn', usernamePrefix: 'acme:' });
  });

  it('is undefined without a provider', () => {
    expect(providerSettings({ spec: { displayName: 'Acme' } })).toBeUndefined();
  });
});

describe('kubernetesUsername', () => {
  it('is the email in normal form without a provider, and behind the provider prefix with one', () => {
    expect(kubernetesUsername({ spec: { displayName: 'Acme' } }, 'Jane@Acme.test')).toBe('jane@acme.test');
    expect(kubernetesUsername({ spec: { displayName: 'Acme', identityProvider: idp } }, 'Jane@Acme.test')).toBe('https://idp.acme.test#jane@acme.test');
  });

  it('never gives two tenants with two providers the same name for one email', () => {
    const a = kubernetesUsername({ spec: { displayName: 'A', identityProvider: idp } }, 'jane@acme.test');
    const b = kubernetesUsername({ spec: { displayName: 'B', identityProvider: { ...idp, issuerURL: 'https://idp.b.test' } } }, 'jane@acme.test');
    expect(a).not.toBe(b);
  });
});

describe('usernamePrefixConflicts', () => {
  const tenant = (name: string, issuerURL?: string, usernamePrefix?: string) => ({
    metadata: { name },
    spec: { displayName: name, ...(issuerURL ? { identityProvider: { ...idp, issuerURL, ...(usernamePrefix ? { usernamePrefix } : {}) } } : {}) },
  });

  it.each([
    { name: 'default prefixes of two issuers', others: [tenant('b', 'https://idp.b.test')], want: [] },
    { name: 'one issuer shared with the same prefix (Google for two tenants)', others: [tenant('b', 'https://idp.acme.test')], want: [] },
    { name: 'another issuer given this tenant\'s prefix', others: [tenant('b', 'https://idp.b.test', 'https://idp.acme.test#')], want: ['b'] },
    { name: 'another issuer whose prefix extends this one', others: [tenant('b', 'https://idp.b.test', 'https://idp.acme.test#x')], want: ['b'] },
    { name: 'a tenant without a provider', others: [tenant('b')], want: [] },
    { name: 'itself', others: [tenant('a', 'https://idp.other.test', 'https://idp.acme.test#')], want: [] },
  ])('$name → $want', ({ others, want }) => {
    expect(usernamePrefixConflicts(tenant('a', 'https://idp.acme.test'), others)).toEqual(want);
  });

  it('sees a shorter prefix of another issuer that this one extends', () => {
    expect(usernamePrefixConflicts(tenant('a', 'https://idp.acme.test', 'acme-b:'), [tenant('b', 'https://idp.b.test', 'acme-')])).toEqual(['b']);
  });

  it('is nothing for a tenant without a provider', () => {
    expect(usernamePrefixConflicts(tenant('a'), [tenant('b', 'https://idp.b.test', 'x')])).toEqual([]);
  });
});
