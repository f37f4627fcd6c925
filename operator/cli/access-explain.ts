// The pure half of `can-i` and `who-can`: from the objects the CLI read (gathered by can-i.ts with
// the caller's kubeconfig) to an answer, the facts behind it, and whether Kubernetes RBAC agrees.
//
// One decision function: the answer is the access API's own `decideAuthorize`
// (operator/access/decide.ts, which asks policy/matrix.ts and policy/principals.ts), run over a
// Directory built here from those objects instead of the operator's caches. The CLI does not ask
// the access API over HTTP: that needs a ServiceAccount token with the access API's audience, a
// binding allowing it to ask about the tenant and a route to the operator's internal port, none of
// which a person at a terminal has; and it could not show the facts the answer was made of.
import type { ServiceAccount, Tenant, User } from '../api/index.js';
import { TENANT_LABEL } from '../api/labels.js';
import { decideAuthorize, pickUser } from '../access/decide.js';
import type { AuthorizeResponse } from '../access/decide.js';
import type { Directory } from '../access/directory.js';
import type { AuthorizeRequest, PrincipalRef } from '../access/request.js';
import { kubernetesUsername, normalizeEmail, providerSettings, tenantGrantsAccess, userStanding, WORKSPACE_ACTIONS } from '../policy/index.js';
import type { Action, AuthenticatedServiceAccount, AuthFailure, AuthFailureReason, ObjectWithMeta, PrincipalPhase, Role } from '../policy/index.js';
import { userPhase } from '../policy/principals.js';
import type { KubeObject } from '../runtime/kinds.js';
import { bindingName } from '../tenants/binding-plan.js';
import type { RoleBinding } from '../tenants/binding-plan.js';
import { ACTION_RBAC_COUNTERPARTS } from '../tenants/cluster-roles.js';
import type { RbacPermission } from '../tenants/cluster-roles.js';

/** Who `can-i` asks about. A key itself never gets here: only what verifying it found. */
export type AskedPrincipal = { readonly user: string } | { readonly serviceAccount: string } | { readonly apiKey: AuthenticatedServiceAccount | AuthFailure };

/** Everything read from the API server for one tenant namespace. */
export interface AccessFacts {
  readonly namespace: string;
  /** The Namespace object; undefined when it does not exist. */
  readonly namespaceObject: ObjectWithMeta | undefined;
  /** The Tenant its tenant label names; undefined when there is none. */
  readonly tenant: (Tenant & KubeObject) | undefined;
  readonly users: readonly (User & KubeObject)[];
  readonly serviceAccounts: readonly (ServiceAccount & KubeObject)[];
  readonly workspaces: readonly KubeObject[];
  /** Every RoleBinding of the namespace. */
  readonly roleBindings: readonly RoleBinding[];
  /**
   * SubjectAccessReview answers for the action's Kubernetes counterpart, by the email (normal form)
   * of each user asked about; absent when the action has no counterpart or nobody was reviewed.
   */
  readonly rbac: ReadonlyMap<string, boolean>;
}

/** The tenant named by the namespace's tenant label. */
export function tenantNameOf(facts: Pick<AccessFacts, 'namespaceObject'>): string | undefined {
  return facts.namespaceObject?.metadata?.labels?.[TENANT_LABEL];
}

/** The access API's Directory over objects read from the API server (the same lookups as `cacheDirectory`). */
export function factsDirectory(facts: AccessFacts, key?: AuthenticatedServiceAccount | AuthFailure): Directory {
  const live = <T extends KubeObject>(list: readonly T[]) => list.filter((o) => !o.metadata?.deletionTimestamp);
  return {
    tenantNamespace: (name) => (name === facts.tenant?.metadata?.name && tenantGrantsAccess(facts.tenant, facts.namespaceObject) ? facts.namespace : undefined),
    tenant: (name) => (name === facts.tenant?.metadata?.name ? facts.tenant : undefined),
    usersByEmail: (namespace, email) => {
      const normal = normalizeEmail(email);
      if (namespace !== facts.namespace || normal === undefined) return [];
      return facts.users.filter((u) => normalizeEmail(u.spec?.email) === normal);
    },
    serviceAccount: (namespace, name) => (namespace === facts.namespace ? facts.serviceAccounts.find((s) => s.metadata?.name === name) : undefined),
    workspaceExists: (namespace, name) => namespace === facts.namespace && live(facts.workspaces).some((w) => w.metadata?.name === name),
    // The key was verified by the real verifier while gathering; the directory only hands on its verdict.
    keys: { authenticate: () => key ?? { ok: false, reason: 'malformed' } },
  };
}

/** One RoleBinding naming the user, as the facts show it. */
export interface BindingFact {
  readonly name: string;
  readonly clusterRole: string;
  /** Made by the operator for this user (its name and component label), or by someone else. */
  readonly managedByOperator: boolean;
}

/** What was known about a user principal. */
export interface UserFacts {
  readonly email: string;
  /** The User that counts (the access API's `pickUser`); absent when none has this email. */
  readonly name?: string;
  readonly phase?: PrincipalPhase;
  /** spec.active. */
  readonly active?: boolean;
  readonly role?: string;
  readonly workspaces?: readonly string[];
  /** policy/principals.ts `userStanding`: why it has access or not (what RBAC is bound by). */
  readonly standing?: string;
  /** The RoleBinding the operator gives this user when it has access. */
  readonly expectedBinding?: string;
  /** Every RoleBinding in the namespace with this email as a User subject. */
  readonly bindings: readonly BindingFact[];
}

/** What was known about a service-account principal. */
export interface ServiceAccountFacts {
  readonly name: string;
  readonly exists: boolean;
  readonly role?: string;
  readonly workspaces?: readonly string[];
  /** Non-secret id of its current key, from status. */
  readonly keyId?: string;
  readonly previousKeyId?: string;
  readonly previousKeyExpiresAt?: string;
}

/** What verifying a key found (never the key). */
export interface KeyFacts {
  readonly verified: boolean;
  readonly reason?: AuthFailureReason;
  readonly serviceAccount?: string;
  readonly keyId?: string;
  readonly keyState?: 'current' | 'previous';
}

/** Whether RBAC was asked, and what it said. */
export type RbacCheck =
  | { readonly checked: true; readonly subject: string; readonly permission: string; readonly namespace: string; readonly allowed: boolean }
  | { readonly checked: false; readonly why: string };

/** The answer of `can-i`. */
export interface AccessExplanation {
  /** How the principal was named: `user jane@example.com`, `sa/ci`, `API key (stdin)`. */
  readonly principal: string;
  readonly tenant: string;
  readonly namespace: string;
  readonly action: Action;
  readonly workspace?: string;
  /** The access API's answer, word for word. */
  readonly decision: AuthorizeResponse;
  readonly facts: {
    readonly tenantGrantsAccess: boolean;
    readonly workspaceExists?: boolean;
    readonly user?: UserFacts;
    readonly serviceAccount?: ServiceAccountFacts;
    readonly key?: KeyFacts;
  };
  readonly rbac: RbacCheck;
  /** Set when RBAC and the access API disagree: a bug, said in one sentence. */
  readonly disagreement?: string;
}

/** `list users.accounts.blinkops.com`. */
export function describePermission(p: RbacPermission): string {
  return `${p.verb} ${p.resource}${p.group ? `.${p.group}` : ''}`;
}

/** The Kubernetes counterpart of an action, or why there is none. */
export function rbacCounterpart(action: Action): { readonly permission: RbacPermission } | { readonly why: string } {
  const permission = ACTION_RBAC_COUNTERPARTS[action];
  if (permission) return { permission };
  return {
    why: WORKSPACE_ACTIONS.has(action)
      ? `${action} has no Kubernetes counterpart: RBAC binds the whole namespace, never one workspace (no check)`
      : `${action} has no Kubernetes counterpart (no check)`,
  };
}

function userFacts(facts: AccessFacts, email: string): UserFacts {
  const normal = normalizeEmail(email) ?? email;
  // The name Kubernetes knows the person by: issuer-scoped when the tenant has an identity provider.
  const username = kubernetesUsername(facts.tenant, normal);
  const bindings = facts.roleBindings
    // With a provider only the issuer-scoped name is the person; without one, the email in any case.
    .filter((b) => (b.subjects ?? []).some((s) => s.kind === 'User' && (providerSettings(facts.tenant) ? s.name === username : (normalizeEmail(s.name) ?? s.name) === normal)))
    .map((b) => {
      const name = b.metadata?.name ?? '';
      const labels = b.metadata?.labels ?? {};
      return { name, clusterRole: b.roleRef?.name ?? '', managedByOperator: labels['app.kubernetes.io/managed-by'] === 'blink-accounts-operator' && labels['app.kubernetes.io/component'] === 'rbac' };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  const sameEmail = factsDirectory(facts).usersByEmail(facts.namespace, email);
  const user = pickUser(sameEmail);
  if (!user) return { email: normal, bindings };
  const standing = userStanding(user, facts.tenant, sameEmail);
  return {
    email: normal,
    name: user.metadata?.name ?? '',
    phase: userPhase(user),
    active: user.spec?.active !== false,
    role: user.spec?.role ?? '',
    workspaces: user.spec?.workspaces ?? [],
    standing: standing.why,
    expectedBinding: bindingName(user.metadata?.name ?? ''),
    bindings,
  };
}

function serviceAccountFacts(facts: AccessFacts, name: string): ServiceAccountFacts {
  const sa = facts.serviceAccounts.find((s) => s.metadata?.name === name);
  if (!sa) return { name, exists: false };
  const status = sa.status ?? {};
  return {
    name,
    exists: !sa.metadata?.deletionTimestamp,
    role: sa.spec?.role ?? '',
    workspaces: sa.spec?.workspaces ?? [],
    ...(status.keyId ? { keyId: status.keyId } : {}),
    ...(status.previousKeyId ? { previousKeyId: status.previousKeyId } : {}),
    ...(status.previousKeyExpiresAt ? { previousKeyExpiresAt: status.previousKeyExpiresAt } : {}),
  };
}

function keyFacts(key: AuthenticatedServiceAccount | AuthFailure): KeyFacts {
  return key.ok ? { verified: true, serviceAccount: key.name, keyId: key.keyId, keyState: key.keyState } : { verified: false, reason: key.reason };
}

/**
 * The disagreement, if any: RBAC is bound by the same verdict the access API authorizes by
 * (policy/principals.ts), so for an action with a counterpart they must say the same.
 */
export function findDisagreement(decision: Pick<AuthorizeResponse, 'allowed' | 'reason'>, rbac: RbacCheck): string | undefined {
  if (!rbac.checked || rbac.allowed === decision.allowed) return undefined;
  return decision.allowed
    ? `the access API allows this (${decision.reason}), but Kubernetes RBAC does not let ${rbac.subject} ${rbac.permission} in ${rbac.namespace}`
    : `the access API denies this (${decision.reason}), but Kubernetes RBAC lets ${rbac.subject} ${rbac.permission} in ${rbac.namespace}`;
}

function describeAsked(principal: AskedPrincipal): string {
  if ('user' in principal) return `user ${principal.user}`;
  if ('serviceAccount' in principal) return `sa/${principal.serviceAccount}`;
  return 'API key (stdin)';
}

/** Explains the access API's answer for `principal` doing `action` (in `workspace`) in the tenant of `facts`. */
export function explainAccess(facts: AccessFacts, principal: AskedPrincipal, action: Action, workspace?: string): AccessExplanation {
  const tenant = tenantNameOf(facts) ?? '';
  const key = 'apiKey' in principal ? principal.apiKey : undefined;
  // The key is verified already; the request carries a placeholder, never a key.
  const ref: PrincipalRef = 'apiKey' in principal ? { apiKey: '(verified while gathering)' } : principal;
  const request: AuthorizeRequest = { tenant, principal: ref, action, ...(workspace !== undefined ? { workspace } : {}) };
  const decision = decideAuthorize(factsDirectory(facts, key), request);

  let rbac: RbacCheck;
  const counterpart = rbacCounterpart(action);
  const email = 'user' in principal ? (normalizeEmail(principal.user) ?? principal.user) : undefined;
  if (email === undefined) rbac = { checked: false, why: 'service accounts of accounts.blinkops.com have no Kubernetes identity: their API keys are for the access API only (no check)' };
  else if ('why' in counterpart) rbac = { checked: false, why: counterpart.why };
  else {
    const allowed = facts.rbac.get(email);
    rbac = allowed === undefined ? { checked: false, why: 'the SubjectAccessReview was not made' } : { checked: true, subject: kubernetesUsername(facts.tenant, email), permission: describePermission(counterpart.permission), namespace: facts.namespace, allowed };
  }
  const disagreement = findDisagreement(decision, rbac);
  const saName = 'serviceAccount' in principal ? principal.serviceAccount : key?.ok ? key.name : undefined;
  return {
    principal: describeAsked(principal),
    tenant,
    namespace: facts.namespace,
    action,
    ...(workspace !== undefined ? { workspace } : {}),
    decision,
    facts: {
      tenantGrantsAccess: tenantGrantsAccess(facts.tenant, facts.namespaceObject),
      ...(workspace !== undefined && WORKSPACE_ACTIONS.has(action) ? { workspaceExists: factsDirectory(facts).workspaceExists(facts.namespace, workspace) } : {}),
      ...(email !== undefined ? { user: userFacts(facts, email) } : {}),
      ...(saName !== undefined ? { serviceAccount: serviceAccountFacts(facts, saName) } : {}),
      ...(key ? { key: keyFacts(key) } : {}),
    },
    rbac,
    ...(disagreement ? { disagreement } : {}),
  };
}

/** One principal of the tenant, as `who-can` lists it. */
export interface WhoCanEntry {
  readonly kind: 'User' | 'ServiceAccount';
  /** The User's email, or `sa/<name>`. */
  readonly principal: string;
  /** The User or ServiceAccount name. */
  readonly name: string;
  readonly role: string;
  readonly reason: string;
  readonly disagreement?: string;
}

/** The answer of `who-can`: who may, and every disagreement found on the way (also among those who may not). */
export interface WhoCanAnswer {
  readonly tenant: string;
  readonly namespace: string;
  readonly action: Action;
  readonly workspace?: string;
  readonly allowed: readonly WhoCanEntry[];
  readonly disagreements: readonly WhoCanEntry[];
  readonly rbac: { readonly checked: boolean; readonly why?: string; readonly permission?: string };
}

/**
 * The emails `who-can` asks RBAC about: every user's, in the normal form, and every User subject of a
 * RoleBinding (behind the tenant provider's username prefix, the email after it).
 */
export function emailsToReview(facts: Pick<AccessFacts, 'users' | 'roleBindings'> & { readonly tenant?: AccessFacts['tenant'] }): string[] {
  const emails = new Set<string>();
  const prefix = providerSettings(facts.tenant)?.usernamePrefix;
  const emailOf = (name: string): string => (prefix !== undefined && name.startsWith(prefix) ? name.slice(prefix.length) : name);
  for (const u of facts.users) emails.add(normalizeEmail(u.spec?.email) ?? u.spec?.email ?? '');
  for (const b of facts.roleBindings) for (const s of b.subjects ?? []) if (s.kind === 'User' && s.name.includes('@')) emails.add(normalizeEmail(emailOf(s.name)) ?? emailOf(s.name));
  emails.delete('');
  return [...emails].sort();
}

/** Every user (by email) and service account of the tenant that may do `action`, by the same decision as `can-i`. */
export function whoCan(facts: AccessFacts, action: Action, workspace?: string): WhoCanAnswer {
  const allowed: WhoCanEntry[] = [];
  const disagreements: WhoCanEntry[] = [];
  const add = (entry: WhoCanEntry, ok: boolean): void => {
    if (ok) allowed.push(entry);
    if (entry.disagreement) disagreements.push(entry);
  };
  for (const email of emailsToReview(facts)) {
    const e = explainAccess(facts, { user: email }, action, workspace);
    const user = e.facts.user;
    add({ kind: 'User', principal: email, name: user?.name ?? '', role: (user?.role ?? '') as Role | '', reason: e.decision.reason, ...(e.disagreement ? { disagreement: e.disagreement } : {}) }, e.decision.allowed);
  }
  for (const sa of [...facts.serviceAccounts].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))) {
    const name = sa.metadata?.name ?? '';
    const e = explainAccess(facts, { serviceAccount: name }, action, workspace);
    add({ kind: 'ServiceAccount', principal: `sa/${name}`, name, role: sa.spec?.role ?? '', reason: e.decision.reason }, e.decision.allowed);
  }
  const counterpart = rbacCounterpart(action);
  return {
    tenant: tenantNameOf(facts) ?? '',
    namespace: facts.namespace,
    action,
    ...(workspace !== undefined ? { workspace } : {}),
    allowed,
    disagreements,
    rbac: 'why' in counterpart ? { checked: false, why: counterpart.why } : { checked: true, permission: describePermission(counterpart.permission) },
  };
}
