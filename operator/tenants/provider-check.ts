// IdentityProviderReady of a Tenant with spec.identityProvider: its client Secret is there and
// its discovery document loads (invitations/provider-client.ts). A provider that cannot be
// used makes the Tenant Ready=False with the same reason; nothing crashes, and the check is made
// again after a while (a Secret or a provider coming back triggers no watch).
import type { Tenant } from '../api/index.js';
import { CONDITIONS } from '../api/index.js';
import type { ConditionInput } from '../runtime/conditions.js';
import { PROVIDER_REASONS, ProviderUnavailableError } from '../invitations/provider-client.js';
import type { ProviderClients } from '../invitations/provider-client.js';

/** How often a working provider is checked again. */
export const PROVIDER_RECHECK_MS = 10 * 60_000;
/** How often a provider that could not be used is checked again. */
export const PROVIDER_RETRY_MS = 30_000;

/** What checks a tenant's provider (ProviderClients; a fake in table tests). */
export type ProviderCheck = Pick<ProviderClients, 'connect'>;

/** The IdentityProviderReady condition of `tenant` (undefined when it names no provider), and when to look again. */
export async function identityProviderCondition(providers: ProviderCheck, tenant: Tenant, namespace: string): Promise<{ condition: ConditionInput; recheckMs: number } | undefined> {
  if (!tenant.spec?.identityProvider) return undefined;
  const generation = tenant.metadata?.generation;
  const observed = generation !== undefined ? { observedGeneration: generation } : {};
  const issuer = tenant.spec.identityProvider.issuerURL;
  try {
    await providers.connect(tenant, namespace);
    return {
      condition: { type: CONDITIONS.identityProviderReady, status: 'True', reason: PROVIDER_REASONS.ready, message: `Invitations are accepted by signing in at ${issuer}`, ...observed },
      recheckMs: PROVIDER_RECHECK_MS,
    };
  } catch (error) {
    if (!(error instanceof ProviderUnavailableError)) throw error;
    return { condition: { type: CONDITIONS.identityProviderReady, status: 'False', reason: error.reason, message: error.message, ...observed }, recheckMs: PROVIDER_RETRY_MS };
  }
}
