// Email addresses as both judges of access compare them (the access API and the
// RoleBindings Kubernetes RBAC enforces), and the tenant's allowed domains.
//
// The normal form: the address exactly as the User schema admits it (ASCII
// only: letters, digits and the atext symbols, a DNS domain), lowercased. A
// string that is not in that alphabet has no normal form and matches nobody:
// `toLowerCase` folds some non-ASCII look-alikes onto ASCII letters (KELVIN
// SIGN U+212A becomes "k", LATIN CAPITAL I WITH DOT U+0130 becomes "i̇"), so a
// case-insensitive compare without this check would let "\u212Aate@acme.example"
// authorize as kate@acme.example while RBAC, which compares bytes, says no.
import type { Tenant } from '../api/index.js';
import { EMAIL } from '../api/schema-builder.js';
import { REASONS } from '../api/reasons.js';

const EMAIL_PATTERN = new RegExp(EMAIL);

/** The normal form of an email address, or undefined when it has none (not a plain ASCII address). */
export function normalizeEmail(email: unknown): string | undefined {
  if (typeof email !== 'string' || email.length > 254 || !EMAIL_PATTERN.test(email)) return undefined;
  return email.toLowerCase();
}

/** Reason of a User refused because of its email domain (a stable CamelCase condition reason). */
export const EMAIL_DOMAIN_NOT_ALLOWED = REASONS.emailDomainNotAllowed;

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
