// A tenant's identity provider with its defaults filled in, and the Kubernetes username it gives a
// person (pure). One place decides both, so the RoleBinding subject, the kube-apiserver
// configuration printed by the docs and the sign-in all agree.
import { DEFAULT_CLIENT_SECRET_KEY, DEFAULT_EMAIL_CLAIM, DEFAULT_EMAIL_VERIFIED_CLAIM } from '../api/index.js';
import type { IdentityProvider, Tenant } from '../api/index.js';
import { normalizeEmail } from './email.js';

/** Scopes every sign-in asks for. */
export const BASE_SCOPES = ['openid', 'email'] as const;

/** A tenant's provider, every default applied. */
export interface ProviderSettings {
  readonly issuerURL: string;
  readonly clientID: string;
  readonly clientSecretRef: { readonly name: string; readonly key: string };
  /** openid, email, then the tenant's extra scopes, without duplicates. */
  readonly scopes: readonly string[];
  readonly emailClaim: string;
  /** The claim that must be exactly true. */
  readonly emailVerifiedClaim: string;
  readonly usernamePrefix: string;
  readonly certificateAuthority?: string;
}

/** The default username prefix of an issuer: `<issuerURL>#`, the form Kubernetes itself uses for issuer-scoped names. */
export function defaultUsernamePrefix(issuerURL: string): string {
  return `${issuerURL}#`;
}

/** The provider settings of a tenant, or undefined when it names none. */
export function providerSettings(tenant: Pick<Tenant, 'spec'> | undefined): ProviderSettings | undefined {
  const idp: IdentityProvider | undefined = tenant?.spec?.identityProvider;
  if (!idp) return undefined;
  return {
    issuerURL: idp.issuerURL,
    clientID: idp.clientID,
    clientSecretRef: { name: idp.clientSecretRef.name, key: idp.clientSecretRef.key ?? DEFAULT_CLIENT_SECRET_KEY },
    scopes: [...new Set([...BASE_SCOPES, ...(idp.scopes ?? [])])],
    emailClaim: idp.emailClaim ?? DEFAULT_EMAIL_CLAIM,
    emailVerifiedClaim: idp.emailVerifiedClaim ?? DEFAULT_EMAIL_VERIFIED_CLAIM,
    usernamePrefix: idp.usernamePrefix ?? defaultUsernamePrefix(idp.issuerURL),
    ...(idp.certificateAuthority !== undefined ? { certificateAuthority: idp.certificateAuthority } : {}),
  };
}

/**
 * The Kubernetes username of a person of this tenant: their email in normal form (policy/email.ts),
 * behind the provider's username prefix when the tenant has a provider. The kube-apiserver gives
 * a token of that issuer exactly this name (claimMappings.username: the email claim, this prefix),
 * and a token of any other issuer another prefix, so no other provider can produce it.
 */
export function kubernetesUsername(tenant: Pick<Tenant, 'spec'> | undefined, email: string): string {
  const normal = normalizeEmail(email) ?? email;
  const settings = providerSettings(tenant);
  return settings ? `${settings.usernamePrefix}${normal}` : normal;
}

/**
 * The other tenants whose provider could produce a Kubernetes username this tenant's RoleBindings
 * name: a different issuer whose username prefix equals this tenant's or starts or ends where it
 * does (one a prefix of the other, since an email may begin with almost any character). Tenants
 * sharing one issuer and one prefix (one company's provider, or Google for several) are no conflict:
 * that issuer vouches for the same people. Sorted names.
 */
export function usernamePrefixConflicts(tenant: Pick<Tenant, 'spec' | 'metadata'>, tenants: readonly Pick<Tenant, 'spec' | 'metadata'>[]): string[] {
  const mine = providerSettings(tenant);
  if (!mine) return [];
  const name = tenant.metadata?.name;
  return tenants
    .filter((other) => other.metadata?.name !== name)
    .filter((other) => {
      const theirs = providerSettings(other);
      if (!theirs || theirs.issuerURL === mine.issuerURL) return false;
      return theirs.usernamePrefix.startsWith(mine.usernamePrefix) || mine.usernamePrefix.startsWith(theirs.usernamePrefix);
    })
    .map((other) => other.metadata?.name ?? '')
    .sort();
}
