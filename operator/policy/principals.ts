// Who has access: the one answer to "is this user active, and may it be bound
// or authorized?" that the User controller, the RoleBinding controller, the
// access API and the acceptance page all ask. Also the contract of "who is
// this API key?", which the service-accounts feature provides and the access
// API consumes.
import type { Role, Tenant, User } from '../api/index.js';
import { REASONS } from '../api/reasons.js';
import { checkEmailDomain, normalizeEmail } from './email.js';
import { isRole } from './matrix.js';
import type { PrincipalPhase } from './matrix.js';
import type { ObjectWithMeta } from './tenancy.js';
import { isDeleting } from './tenancy.js';

type UserObject = Pick<User, 'spec' | 'status'> & ObjectWithMeta;

/** Whether the User's spec asks for it to be active (spec.active, default true). */
export function intendsActive(user: Pick<User, 'spec'>): boolean {
  return user.spec?.active !== false;
}

/** The phase people see: Inactive by intent, else Active only once status says the invitation was accepted. */
export function userPhase(user: Pick<User, 'spec' | 'status'>): PrincipalPhase {
  if (!intendsActive(user)) return 'Inactive';
  const phase = user.status?.phase;
  return phase === 'Active' || phase === 'Inactive' ? phase : 'Invited';
}

/** When a User was created, for the order of {@link emailOwner} (ms; a User without a valid one sorts last). */
function createdAt(user: ObjectWithMeta): number {
  const at = Date.parse(user.metadata?.creationTimestamp ?? '');
  return Number.isNaN(at) ? Number.POSITIVE_INFINITY : at;
}

function compareAge(a: ObjectWithMeta, b: ObjectWithMeta): number {
  const byTime = createdAt(a) - createdAt(b);
  if (byTime !== 0 && !Number.isNaN(byTime)) return byTime;
  const byName = (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
  return byName !== 0 ? byName : (a.metadata?.uid ?? '').localeCompare(b.metadata?.uid ?? '');
}

/**
 * Of the Users of one namespace that share an email in its normal form (policy/email.ts), the one
 * that owns it: one email is one person per tenant. The oldest live User (creationTimestamp, then
 * name, then uid) owns it; a User being deleted owns nothing, so the next one takes over. Users of
 * `sameEmail` with another email or namespace than the first are ignored.
 */
export function emailOwner<T extends UserObject>(sameEmail: readonly T[]): T | undefined {
  const first = sameEmail[0];
  const email = normalizeEmail(first?.spec?.email);
  const namespace = first?.metadata?.namespace;
  if (email === undefined) return undefined;
  const live = sameEmail.filter((u) => !isDeleting(u) && u.metadata?.namespace === namespace && normalizeEmail(u.spec?.email) === email);
  // One candidate (the usual case) needs no sort: comparing ages parses dates and compares names by locale.
  return live.length <= 1 ? live[0] : live.sort(compareAge)[0];
}

/** Whether `user` owns its email among `sameEmail` (the Users of its namespace with that email; it may be among them). */
export type EmailClaim = { readonly owns: true } | { readonly owns: false; readonly owner: string; readonly message: string };

/** Decides {@link EmailClaim}: both judges (the RoleBinding controller, the access API) and the User controller ask this. */
export function emailClaim(user: UserObject, sameEmail: readonly UserObject[]): EmailClaim {
  const email = normalizeEmail(user.spec?.email);
  // An address without a normal form matches nobody (and has no access anyway).
  if (email === undefined || isDeleting(user)) return { owns: true };
  // Names are unique in a namespace: a cached copy of `user` among `sameEmail` is `user` (the one in hand counts).
  const name = user.metadata?.name;
  const others = sameEmail.filter((u) => u.metadata?.name !== name);
  const owner = others.length === 0 ? user : emailOwner([user, ...others]);
  if (!owner || owner.metadata?.name === name) return { owns: true };
  const ownerName = owner.metadata?.name ?? '';
  return {
    owns: false,
    owner: ownerName,
    message: `User "${ownerName}" already has the email ${email} in this tenant and owns it (it is older): one email is one person, so this User gets no invitation and no access while "${ownerName}" exists`,
  };
}

/** Why a user has access or not (stable CamelCase, for logs, tests and the access API). */
export type UserStandingReason =
  | 'Active'
  | 'UserDeleted'
  | 'NoTenant'
  | 'Inactive'
  | 'Invited'
  | 'UnknownRole'
  | typeof REASONS.duplicateEmail
  | typeof REASONS.emailDomainNotAllowed
  | typeof REASONS.emailNotCanonical;

/** The verdict of {@link userStanding}. */
export interface UserStanding {
  /** True only for an Active user of a live tenant, with a valid role and an allowed, canonical email. */
  readonly access: boolean;
  readonly phase: PrincipalPhase;
  readonly why: UserStandingReason;
  /** The email in its normal form (what RBAC binds and the access API matches), when it has one. */
  readonly email: string | undefined;
}

/**
 * Whether `user` has access in `tenant` (undefined: the namespace belongs to no tenant). `sameEmail`:
 * the Users of its namespace with the same email in normal form (it may be among them), for
 * {@link emailClaim}: only the User that owns the email can have access. The RoleBinding controller
 * binds exactly the users for which this says `access`, and the access API authorizes exactly them,
 * so Kubernetes RBAC and the access API never disagree about a person.
 */
export function userStanding(user: UserObject | undefined, tenant: (Pick<Tenant, 'spec'> & ObjectWithMeta) | undefined, sameEmail: readonly UserObject[]): UserStanding {
  const phase = user ? userPhase(user) : 'Invited';
  const email = normalizeEmail(user?.spec?.email);
  const no = (why: UserStandingReason): UserStanding => ({ access: false, phase, why, email });
  if (!user || isDeleting(user)) return no('UserDeleted');
  if (!tenant || isDeleting(tenant)) return no('NoTenant');
  if (!emailClaim(user, sameEmail).owns) return no(REASONS.duplicateEmail);
  if (phase !== 'Active') return no(phase);
  if (!isRole(user.spec?.role)) return no('UnknownRole');
  if (email === undefined) return no(REASONS.emailNotCanonical);
  if (!checkEmailDomain(tenant, email).allowed) return no(REASONS.emailDomainNotAllowed);
  return { access: true, phase, why: 'Active', email };
}

/** A key that verified: the principal it stands for. */
export interface AuthenticatedServiceAccount {
  readonly ok: true;
  /** Name of the Tenant. */
  readonly tenant: string;
  readonly namespace: string;
  /** Name of the ServiceAccount. */
  readonly name: string;
  readonly uid: string;
  readonly role: Role;
  /** Workspaces it can act in now (Admin: every workspace of the tenant), sorted. */
  readonly workspaces: readonly string[];
  /** Non-secret id of the key that verified. */
  readonly keyId: string;
  /** `previous`: a rotated-away key still in its grace period. */
  readonly keyState: 'current' | 'previous';
}

/** Why a key did not verify. Callers should answer every one the same way (401), and may log the reason. */
export type AuthFailureReason =
  /** Wrong prefix, shape or checksum: rejected without a lookup. */
  | 'malformed'
  /** No live key with this id and hash (unknown, rotated away, altered). */
  | 'unknown-key'
  /** A previous key whose grace period is over. */
  | 'expired'
  /** The service account is gone, deleting, or does not own the Secret. */
  | 'no-service-account'
  /** The namespace belongs to no Tenant (of this operator). */
  | 'no-tenant'
  /** The key went unused for spec.keyRotation.expireUnusedAfter (issue a new one by raising the revision). */
  | 'expired-unused';

/** A key that did not verify. */
export interface AuthFailure {
  readonly ok: false;
  readonly reason: AuthFailureReason;
}

/** Authenticates service-account API keys (provided by the service-accounts feature). */
export interface ApiKeyVerifier {
  /** Never throws; never logs or keeps `key`. */
  authenticate(key: string): AuthenticatedServiceAccount | AuthFailure;
}
