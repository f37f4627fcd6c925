import { describe, expect, it } from 'vitest';
import { kubernetesUsername, providerSettings } from './identity.js';

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
