// The access API's answers, decided from a Directory (pure apart from the
// lookups): resolve the principal in the tenant, then ask the matrix.
import type { User } from '../api/index.js';
import type { KubeObject } from '../runtime/kinds.js';
import { actionsOf, authorize, emailOwner, isRole, PERMISSION_MATRIX, userPhase, userStanding, WORKSPACE_ACTIONS } from '../policy/index.js';
import type { AccessDecision, Action, AuthenticatedServiceAccount, DecisionReason, Principal, Role, UserStandingReason } from '../policy/index.js';

export { userPhase };
import type { Directory } from './directory.js';
import type { AuthenticateRequest, AuthorizeRequest } from './request.js';

/** Reasons the access API adds to the matrix's: facts only the caches know. */
export type AccessReason = DecisionReason | 'UnknownTenant' | 'UnknownWorkspace' | 'InvalidApiKey' | Extract<UserStandingReason, 'EmailDomainNotAllowed' | 'EmailNotCanonical'>;

/** The body of an authorize answer. */
export interface AuthorizeResponse {
  readonly allowed: boolean;
  readonly reason: AccessReason;
  readonly message: string;
}

/** The body of a successful authenticate answer. */
export interface AuthenticateResponse {
  readonly tenant: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly role: Role;
  /** Workspaces it can act in now (an Admin: every workspace of the tenant). */
  readonly workspaces: readonly string[];
  /** True for an Admin: every workspace, including ones created later. */
  readonly allWorkspaces: boolean;
  /** Actions of its role. */
  readonly actions: readonly Action[];
}

/**
 * Of the Users with one email in a namespace, the one the access API answers for: the one that owns
 * the email (policy/principals.ts emailOwner, the same rule the RoleBinding controller binds by).
 */
export function pickUser(users: readonly (User & KubeObject)[]): (User & KubeObject) | undefined {
  return emailOwner(users);
}

const deny = (reason: AccessReason, message: string): AuthorizeResponse => ({ allowed: false, reason, message });

/** Resolves the principal of a request in the tenant's namespace: the principal, undefined (unknown) or a denial. */
export function resolvePrincipal(directory: Directory, request: AuthorizeRequest, namespace: string): Principal | undefined | AuthorizeResponse {
  const ref = request.principal;
  if ('user' in ref) {
    const sameEmail = directory.usersByEmail(namespace, ref.user);
    const user = pickUser(sameEmail);
    if (!user || !isRole(user.spec?.role)) return undefined;
    // The same verdict the RoleBinding controller binds by: an Active user outside the tenant's
    // allowed domains (say, after the Tenant was edited) has no binding, so no access here either.
    const standing = userStanding(user, directory.tenant(request.tenant), sameEmail);
    if (standing.why === 'EmailDomainNotAllowed' || standing.why === 'EmailNotCanonical') {
      return deny(standing.why, `User "${user.metadata?.name ?? ''}" has an email address this tenant does not allow`);
    }
    return { kind: 'user', tenant: request.tenant, name: user.metadata?.name ?? '', role: user.spec.role, phase: standing.phase, workspaces: user.spec.workspaces ?? [] };
  }
  if ('serviceAccount' in ref) {
    const sa = directory.serviceAccount(namespace, ref.serviceAccount);
    if (!sa || sa.metadata?.deletionTimestamp || !isRole(sa.spec?.role)) return undefined;
    return { kind: 'serviceAccount', tenant: request.tenant, name: sa.metadata?.name ?? '', role: sa.spec.role, phase: 'Active', workspaces: sa.spec.workspaces ?? [] };
  }
  const verified = directory.keys.authenticate(ref.apiKey);
  // Another tenant's key is, from this tenant's side, not a valid key: the answer must not tell a
  // caller allowed for this tenant that a key is live in some other one.
  if (!verified.ok || verified.tenant !== request.tenant) return deny('InvalidApiKey', 'The API key is not valid: unknown, malformed, rotated away or its service account is gone');
  return { kind: 'serviceAccount', tenant: verified.tenant, name: verified.name, role: verified.role, phase: 'Active', workspaces: verified.workspaces };
}

/** What {@link resolvePrincipal} answers: the principal, undefined (unknown in the tenant) or a denial. */
export type ResolvedPrincipal = Principal | undefined | AuthorizeResponse;

/**
 * The answer to `request` once its tenant's namespace and principal are resolved: the matrix, then whether
 * an allowed workspace action's workspace exists. Shared by {@link decideAuthorize} and the precomputed
 * decisions (decision-cache.ts), so both answer by the same rule.
 */
export function answerAuthorize(request: AuthorizeRequest, namespace: string, principal: ResolvedPrincipal, workspaces: Pick<Directory, 'workspaceExists'>): AuthorizeResponse {
  if (principal !== undefined && 'allowed' in principal) return principal;
  const decision: AccessDecision = authorize(principal, request);
  if (decision.allowed && WORKSPACE_ACTIONS.has(request.action) && request.workspace !== undefined && !workspaces.workspaceExists(namespace, request.workspace)) {
    return deny('UnknownWorkspace', `Workspace "${request.workspace}" does not exist in tenant "${request.tenant}"`);
  }
  return { allowed: decision.allowed, reason: decision.reason, message: decision.message };
}

/** The answer about a tenant that does not exist (or grants no access now). */
export function unknownTenant(tenant: string): AuthorizeResponse {
  return deny('UnknownTenant', `Tenant "${tenant}" does not exist`);
}

/** Answers `POST /api/v1/authorize`. */
export function decideAuthorize(directory: Directory, request: AuthorizeRequest): AuthorizeResponse {
  const namespace = directory.tenantNamespace(request.tenant);
  if (namespace === undefined) return unknownTenant(request.tenant);
  return answerAuthorize(request, namespace, resolvePrincipal(directory, request, namespace), directory);
}

/** Answers `POST /api/v1/authenticate`: the service account of a valid key, or undefined (401). */
export function decideAuthenticate(directory: Directory, request: AuthenticateRequest): AuthenticateResponse | undefined {
  const verified = directory.keys.authenticate(request.apiKey);
  if (!verified.ok) return undefined;
  // The verifier found the tenant by namespace; this checks it from the tenant's side too.
  if (directory.tenantNamespace(verified.tenant) !== verified.namespace) return undefined;
  return authenticateAnswer(verified);
}

/** The actions of each role, one frozen list each (answers share them). */
const ROLE_ACTIONS: Readonly<Record<Role, readonly Action[]>> = Object.freeze({
  Admin: Object.freeze(actionsOf('Admin')),
  Builder: Object.freeze(actionsOf('Builder')),
  Consumer: Object.freeze(actionsOf('Consumer')),
});

/**
 * The body of a successful authenticate answer for a key that verified (and whose tenant still owns its
 * namespace). It shares the verifier's workspace list (sorted, read-only) rather than copying it.
 */
export function authenticateAnswer(verified: AuthenticatedServiceAccount): AuthenticateResponse {
  return {
    tenant: verified.tenant,
    namespace: verified.namespace,
    serviceAccount: verified.name,
    role: verified.role,
    workspaces: verified.workspaces,
    allWorkspaces: PERMISSION_MATRIX[verified.role].scope === 'allWorkspaces',
    actions: ROLE_ACTIONS[verified.role],
  };
}

/** The access API's decisions, as the HTTP handler asks them. */
export interface AccessDecisions {
  /** The namespace of a tenant that grants access now (as {@link Directory.tenantNamespace}). */
  tenantNamespace(tenant: string): string | undefined;
  authorize(request: AuthorizeRequest): AuthorizeResponse;
  authenticate(request: AuthenticateRequest): AuthenticateResponse | undefined;
}

/** The decisions straight from a Directory, nothing kept between requests (the reference the precomputed ones are tested against). */
export function directDecisions(directory: Directory): AccessDecisions {
  return {
    tenantNamespace: (tenant) => directory.tenantNamespace(tenant),
    authorize: (request) => decideAuthorize(directory, request),
    authenticate: (request) => decideAuthenticate(directory, request),
  };
}
