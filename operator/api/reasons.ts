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
  /** ServiceAccount with spec.delivery: the key's copies are in every namespace listed (False: which are not, and why). */
  keyDelivered: 'KeyDelivered',
  namespaceReady: 'NamespaceReady',
  /** Tenant: RoleBindings in an adopted namespace that the tenant did not declare. */
  undeclaredAccess: 'UndeclaredAccess',
  /** Tenant with spec.identityProvider: its client secret is there and its discovery document loads. */
  identityProviderReady: 'IdentityProviderReady',
  /** Tenant with spec.notifications.webhooks: are its events reaching them (False: DeliveryFailing, DeliveryAbandoned). */
  webhookDelivery: 'WebhookDelivery',
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
  /** Another, older User of the tenant has the same email (in normal form): one email is one person. */
  duplicateEmail: 'DuplicateEmail',
  /** The invitation record's signature does not verify (or was removed): it is not believed, the User keeps its last trusted phase. */
  invitationRecordTampered: 'InvitationRecordTampered',
  /**
   * Ready=False written by the runtime (runtime/failure-status.ts): the reconcile kept failing (the
   * message says what failed); the next successful pass replaces it. Stalled: a person may have to act.
   */
  reconcileError: 'ReconcileError',
} as const;

/**
 * What a Ready=False reason means for tools that read kstatus conditions (Flux, `kubectl
 * wait`, cli-utils): `progress`: the operator is still at work or waiting on time (Reconciling=True);
 * `stalled`: it cannot go on until a person changes something (Stalled=True); `settled`: the object
 * is as declared and waits only on a person's own step (neither). A reason not listed is stalled:
 * Ready=False with a reason means failed, never current.
 */
export const READY_FALSE_MEANING: Readonly<Record<string, 'progress' | 'stalled' | 'settled'>> = {
  InvitationPending: 'settled',
  SmtpError: 'progress',
  SmtpTlsFailed: 'stalled',
  SmtpTlsRequired: 'stalled',
  DeliveryUnconfirmed: 'settled',
  Sending: 'progress',
  InvitationRateLimited: 'progress',
  NamespaceTerminating: 'progress',
  Reconciling: 'progress',
  // A provider that does not answer may come back by itself; a missing client Secret needs a person.
  IdentityProviderUnreachable: 'progress',
};
