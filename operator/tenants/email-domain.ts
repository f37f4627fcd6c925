// The tenant's allowed email domains (PRODUCT.md §6), one pure check the Users
// controller and the binding controller both call.
import type { Tenant } from '../api/index.js';

/** Reason of a User refused because of its email domain (a stable CamelCase condition reason). */
export const EMAIL_DOMAIN_NOT_ALLOWED = 'EmailDomainNotAllowed';

/** The verdict of {@link checkEmailDomain}. */
export type EmailDomainCheck =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly reason: typeof EMAIL_DOMAIN_NOT_ALLOWED; readonly message: string };

/** The domain part of an address, lowercased ('' when there is none). */
export function emailDomain(email: string): string {
  const at = email.lastIndexOf('@');
  return at < 0 ? '' : email.slice(at + 1).toLowerCase();
}

/**
 * Whether `email` may belong to a User of `tenant`: any address when the tenant lists no
 * allowed domains, else only addresses whose domain is exactly one of them (case-insensitive;
 * a subdomain such as eu.example.com is not example.com: list it too).
 */
export function checkEmailDomain(tenant: Pick<Tenant, 'spec'> | undefined, email: string): EmailDomainCheck {
  const allowed = tenant?.spec?.allowedEmailDomains ?? [];
  if (allowed.length === 0) return { allowed: true };
  const domain = emailDomain(email);
  if (allowed.some((d) => d.toLowerCase() === domain)) return { allowed: true };
  return {
    allowed: false,
    reason: EMAIL_DOMAIN_NOT_ALLOWED,
    message: `The email domain "${domain}" is not allowed in this tenant; allowed domains: ${[...allowed].sort().join(', ')}`,
  };
}
