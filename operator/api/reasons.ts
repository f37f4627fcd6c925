// Condition types and the reasons the operator writes, named once. A reason has
// one meaning across kinds: ReferencesResolved=False is MissingReferences on a
// User and on a ServiceAccount alike. Tools match on these strings; they never
// change once released.

/** Condition types. */
export const CONDITIONS = {
  ready: 'Ready',
  referencesResolved: 'ReferencesResolved',
  invitationSent: 'InvitationSent',
  invitationExpired: 'InvitationExpired',
  keyIssued: 'KeyIssued',
  /** ServiceAccount: the restart targets got a rollout restart for the current key (False: RestartFailed). */
  rolloutRestarted: 'RolloutRestarted',
  namespaceReady: 'NamespaceReady',
  /** Tenant: RoleBindings in an adopted namespace that the tenant did not declare. */
  undeclaredAccess: 'UndeclaredAccess',
} as const;

/** Reasons shared by several kinds. */
export const REASONS = {
  /** The object's namespace belongs to no Tenant of this operator. */
  notInTenantNamespace: 'NotInTenantNamespace',
  /** Every Group and Workspace the object names exists. */
  allReferencesResolved: 'AllReferencesResolved',
  /** A Group or Workspace the object names does not exist. */
  missingReferences: 'MissingReferences',
  /** The email's domain is not one of the Tenant's allowedEmailDomains. */
  emailDomainNotAllowed: 'EmailDomainNotAllowed',
  /** The email is not in the normal form both judges compare (see policy/email.ts). */
  emailNotCanonical: 'EmailNotCanonical',
} as const;
