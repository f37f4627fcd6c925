// IdentityProviderReady of a Tenant with spec.identityProvider: its client Secret is there and
// its discovery document loads (invitations/provider-client.ts). A provider that cannot be
// used makes the Tenant Ready=False with the same reason; nothing crashes, and the check is made
// again after a while (a Secret or a provider coming back triggers no watch).
import type { Tenant } from '../api/index.js';
import { CONDITIONS } from '../api/index.js';
import type { ConditionInput } from '../runtime/conditions.js';
import { PROVIDER_REASONS, ProviderUnavailableError } from '../invitations/provider-client.js';
import { usernamePrefixConflicts } from '../policy/index.js';

/** Reason of IdentityProviderReady=False (and Ready=False) when another tenant's provider could produce this tenant's usernames. */
export const USERNAME_PREFIX_CONFLICT = 'UsernamePrefixConflict';
import type { ProviderClients } from '../invitations/provider-client.js';

/** How often a working provider is checked again. */
export const PROVIDER_RECHECK_MS = 10 * 60_000;
/** How often a provider that could not be used is checked again. */
export const PROVIDER_RETRY_MS = 30_000;

/** What checks a tenant's provider (ProviderClients; a fake in table tests). */
export type ProviderCheck = Pick<ProviderClients, 'connect'>;

/**
 * The IdentityProviderReady condition of `tenant` (undefined when it names no provider), and when
 * to look again. `tenants` are all the operator's Tenants: a username prefix another issuer shares
 * is refused before the provider is asked anything.
 */
export async function identityProviderCondition(providers: ProviderCheck, tenant: Tenant, namespace: string, tenants: readonly Tenant[] = []): Promise<{ condition: ConditionInput; recheckMs: number } | undefined> {
  if (!tenant.spec?.identityProvider) return undefined;
  const generation = tenant.metadata?.generation;
  const observed = generation !== undefined ? { observedGeneration: generation } : {};
  const issuer = tenant.spec.identityProvider.issuerURL;
  const conflicts = usernamePrefixConflicts(tenant, tenants);
  if (conflicts.length > 0) {
    const names = conflicts.map((n) => `"${n}"`).join(', ');
    return {
      condition: {
        type: CONDITIONS.identityProviderReady,
        status: 'False',
        reason: USERNAME_PREFIX_CONFLICT,
        message: `The Kubernetes usernames of this tenant's people could be produced by the identity provider of tenant ${names} (another issuer with an overlapping usernamePrefix): give each issuer a usernamePrefix of its own`,
        ...observed,
      },
      recheckMs: PROVIDER_RETRY_MS,
    };
  }
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
