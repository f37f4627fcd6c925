import { describe, expect, it } from 'vitest';
import type { Tenant } from '../api/index.js';
import { ProviderUnavailableError } from '../invitations/provider-client.js';
import { identityProviderCondition, PROVIDER_RECHECK_MS, PROVIDER_RETRY_MS } from './provider-check.js';
import type { ProviderCheck } from './provider-check.js';

const withProvider = { metadata: { name: 'acme', generation: 2 }, spec: { displayName: 'Acme', identityProvider: { issuerURL: 'https://idp.acme.test', clientID: 'blink', clientSecretRef: { name: 'oidc' } } } } as Tenant;
const fake = (outcome: 'ok' | Error): ProviderCheck => ({
  connect: async () => {
    if (outcome !== 'ok') throw outcome;
    return undefined;
  },
});

describe('identityProviderCondition', () => {
  it('is nothing for a tenant without a provider', async () => {
    expect(await identityProviderCondition(fake('ok'), { metadata: { name: 'acme' }, spec: { displayName: 'Acme' } } as Tenant, 'tenant-acme')).toBeUndefined();
  });

  it('is True, looked at again in 10 minutes, when the provider can be used', async () => {
    expect(await identityProviderCondition(fake('ok'), withProvider, 'tenant-acme')).toEqual({
      condition: { type: 'IdentityProviderReady', status: 'True', reason: 'IdentityProviderReady', message: 'Invitations are accepted by signing in at https://idp.acme.test', observedGeneration: 2 },
      recheckMs: PROVIDER_RECHECK_MS,
    });
  });

  it.each(['IdentityProviderSecretMissing', 'IdentityProviderUnreachable'] as const)('is False with reason %s, retried in 30 s', async (reason) => {
    const result = await identityProviderCondition(fake(new ProviderUnavailableError(reason, 'what failed')), withProvider, 'tenant-acme');
    expect(result).toEqual({ condition: { type: 'IdentityProviderReady', status: 'False', reason, message: 'what failed', observedGeneration: 2 }, recheckMs: PROVIDER_RETRY_MS });
  });

  it('lets any other failure (a bug, the API server) go to the runtime', async () => {
    await expect(identityProviderCondition(fake(new Error('boom')), withProvider, 'tenant-acme')).rejects.toThrow('boom');
  });

  it('is False with UsernamePrefixConflict, without asking the provider, when another issuer shares the prefix', async () => {
    let asked = false;
    const other = { metadata: { name: 'globex' }, spec: { displayName: 'Globex', identityProvider: { issuerURL: 'https://idp.globex.test', clientID: 'g', clientSecretRef: { name: 'oidc' }, usernamePrefix: 'https://idp.acme.test#' } } } as Tenant;
    const result = await identityProviderCondition({ connect: async () => ((asked = true), undefined) }, withProvider, 'tenant-acme', [withProvider, other]);
    expect(asked).toBe(false);
    expect(result?.condition).toMatchObject({ status: 'False', reason: 'UsernamePrefixConflict' });
    expect(result?.condition.message).toContain('tenant "globex"');
  });
});
