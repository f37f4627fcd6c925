// The access API's decisions, kept ready between requests (issue 24 §2): what a
// decision needs is resolved once per change of the cache, not once per request.
//
// Per tenant namespace, built lazily as requests ask (so memory follows what is
// asked, at most one entry per cached User email or ServiceAccount):
//  - each email's resolved principal (its owner among the Users with that email,
//    its standing in the tenant: emailOwner, userStanding, normalizeEmail);
//  - each ServiceAccount's resolved principal;
//  - the names of the live Workspaces;
// and per tenant name, the namespace it grants access in. An answer for a key is
// the verifier's (service-accounts/verified-keys.ts keeps verified keys ready),
// and the body of a successful authenticate is kept per verified key.
//
// Correctness: every entry is dropped synchronously by the informers' handlers
// when an object it was derived from changes (a User with that email before or
// after the change, the ServiceAccount, any Workspace of the namespace, the Tenant,
// the tenant Namespace), before the event's task ends, so the very next request
// sees the change; nothing expires on a timer, and nothing here depends on the
// clock. Only answers about objects that exist are kept: an unknown email, account
// or tenant is looked up every time, so no caller can grow this. The entries hold
// what the decisions hold (names, roles, workspace lists of the cached objects),
// never a key, token or hash.
import type { OperatorContext } from '../context.js';
import { namespaceOfTenant, normalizeEmail } from '../policy/index.js';
import type { ApiKeyVerifier, AuthenticatedServiceAccount } from '../policy/index.js';
import type { Informer } from '../runtime/informer.js';
import type { KubeObject } from '../runtime/kinds.js';
import type { AccessDecisions, AuthenticateResponse, AuthorizeResponse, ResolvedPrincipal } from './decide.js';
import { answerAuthorize, authenticateAnswer, resolvePrincipal, unknownTenant } from './decide.js';
import { cacheDirectory } from './directory.js';
import type { AuthorizeRequest } from './request.js';

/** What is kept for one tenant namespace. */
interface NamespaceView {
  /** The tenant this namespace grants access for when the view was made. */
  readonly tenant: string;
  /** Resolved principal by email in normal form (only emails some User of the namespace has). */
  readonly users: Map<string, ResolvedPrincipal>;
  /** Resolved principal by ServiceAccount name (only accounts that exist). */
  readonly serviceAccounts: Map<string, ResolvedPrincipal>;
  /** Names of the live Workspaces; undefined until asked, and again after any Workspace of the namespace changes. */
  workspaces: Set<string> | undefined;
}

/** Counts of what the precomputed decisions hold, for benchmarks and tests. */
export interface DecisionCacheStats {
  readonly tenants: number;
  readonly namespaces: number;
  readonly users: number;
  readonly serviceAccounts: number;
  readonly workspaceSets: number;
}

/** {@link AccessDecisions} kept ready between requests, dropped by the caches' change events. */
export interface CachedDecisions extends AccessDecisions {
  stats(): DecisionCacheStats;
}

/**
 * Registers `onChange` for every add and update (old and new object) of `informer`, and `onDelete` for every
 * delete (which gets the object of the watch event, not necessarily every field of the version cached).
 */
function onEveryChange<T extends KubeObject>(informer: Informer<T>, onChange: (object: T) => void, onDelete: (object: T) => void, dropAll: () => void): void {
  // A handler that threw would leave an entry stale: drop everything instead.
  const safely = (f: (object: T) => void, object: T): void => {
    try {
      f(object);
    } catch {
      dropAll();
    }
  };
  informer.addHandler({
    add: (object) => safely(onChange, object),
    update: (previous, object) => {
      safely(onChange, previous);
      safely(onChange, object);
    },
    delete: (object) => safely(onDelete, object),
    // A relist's differences reach the handlers in slices after the cache shows them: nothing kept may lag it.
    replaced: dropAll,
  });
}

/**
 * The access API's decisions over the operator's caches, precomputed per tenant namespace as they are
 * asked and dropped when the cache changes (see the file comment). Answers exactly as
 * {@link directDecisions} over {@link cacheDirectory} does (decision-cache.test.ts).
 */
export function cachedDecisions(ctx: Pick<OperatorContext, 'caches' | 'indexes' | 'tenants'>, keys: ApiKeyVerifier): CachedDecisions {
  const directory = cacheDirectory(ctx, keys);
  const { caches } = ctx;
  /** Namespace by tenant name, only for Tenants that exist (a null: it grants no access now). */
  const namespaces = new Map<string, string | null>();
  const views = new Map<string, NamespaceView>();
  /** The answer of authenticate per verified key (the verifier hands out one object per verified record version). */
  let answers = new WeakMap<AuthenticatedServiceAccount, AuthenticateResponse>();
  const dropAll = (): void => {
    namespaces.clear();
    views.clear();
    answers = new WeakMap();
  };

  const dropUser = (object: KubeObject & { spec?: { email?: unknown } }): void => {
    // No view yet (every User of the first list, a namespace nobody asked about): nothing to drop, no email to normalize.
    const view = views.get(object.metadata?.namespace ?? '');
    if (view === undefined) return;
    const email = normalizeEmail(object.spec?.email);
    if (email !== undefined) view.users.delete(email);
  };
  // A deleted User drops every email of its namespace: the delete event's object may lack the email it was cached with.
  onEveryChange(caches.users, dropUser, (object) => views.get(object.metadata?.namespace ?? '')?.users.clear(), dropAll);
  const dropAccount = (sa: KubeObject): void => void views.get(sa.metadata?.namespace ?? '')?.serviceAccounts.delete(sa.metadata?.name ?? '');
  onEveryChange(caches.serviceAccounts, dropAccount, dropAccount, dropAll);
  const dropWorkspaces = (ws: KubeObject): void => {
    const view = views.get(ws.metadata?.namespace ?? '');
    if (view) view.workspaces = undefined;
  };
  onEveryChange(caches.workspaces, dropWorkspaces, dropWorkspaces, dropAll);
  // A Tenant (allowed domains, deletion) or a tenant Namespace (its label, deletion): which namespace a
  // tenant grants, and every standing in it. Both are rare; the tenant map is small.
  onEveryChange(
    caches.tenants,
    (tenant) => {
      namespaces.clear();
      views.delete(namespaceOfTenant(tenant));
    },
    dropAll,
    dropAll,
  );
  const dropNamespace = (namespace: KubeObject): void => {
    namespaces.clear();
    views.delete(namespace.metadata?.name ?? '');
  };
  onEveryChange(caches.tenantNamespaces, dropNamespace, dropNamespace, dropAll);

  const tenantNamespace = (tenant: string): string | undefined => {
    const known = namespaces.get(tenant);
    if (known !== undefined) return known ?? undefined;
    const namespace = directory.tenantNamespace(tenant);
    // Only Tenants that exist are kept: names a caller makes up are looked up every time.
    if (caches.tenants.get(tenant) !== undefined) namespaces.set(tenant, namespace ?? null);
    return namespace;
  };

  const viewOf = (namespace: string, tenant: string): NamespaceView => {
    let view = views.get(namespace);
    if (view === undefined || view.tenant !== tenant) {
      view = { tenant, users: new Map(), serviceAccounts: new Map(), workspaces: undefined };
      views.set(namespace, view);
    }
    return view;
  };

  const workspaces = {
    workspaceExists(namespace: string, name: string): boolean {
      const view = views.get(namespace);
      if (view === undefined) return directory.workspaceExists(namespace, name);
      view.workspaces ??= new Set(caches.workspaces.byIndex('namespace', namespace).flatMap((ws) => (ws.metadata?.deletionTimestamp ? [] : [ws.metadata?.name ?? ''])));
      return view.workspaces.has(name);
    },
  };

  const principalOf = (request: AuthorizeRequest, namespace: string): ResolvedPrincipal => {
    const ref = request.principal;
    if ('user' in ref) {
      const view = viewOf(namespace, request.tenant);
      // Keys are emails in normal form; a request already in normal form (the usual) needs no normalizing.
      const kept = view.users.get(ref.user);
      if (kept !== undefined || view.users.has(ref.user)) return kept;
      const email = normalizeEmail(ref.user);
      if (email === undefined) return resolvePrincipal(directory, request, namespace);
      if (email !== ref.user) {
        const again = view.users.get(email);
        if (again !== undefined || view.users.has(email)) return again;
      }
      const resolved = resolvePrincipal(directory, request, namespace);
      // Kept only for an email some User has (at most one entry per cached User), and only under a key that is its own normal form.
      if (ctx.indexes.usersByEmail.get(`${namespace}/${email}`).length > 0 && normalizeEmail(email) === email) view.users.set(email, resolved);
      return resolved;
    }
    if ('serviceAccount' in ref) {
      const view = viewOf(namespace, request.tenant);
      const kept = view.serviceAccounts.get(ref.serviceAccount);
      if (kept !== undefined || view.serviceAccounts.has(ref.serviceAccount)) return kept;
      const resolved = resolvePrincipal(directory, request, namespace);
      if (caches.serviceAccounts.get(`${namespace}/${ref.serviceAccount}`) !== undefined) view.serviceAccounts.set(ref.serviceAccount, resolved);
      return resolved;
    }
    // An API key: the verifier keeps verified keys ready itself.
    return resolvePrincipal(directory, request, namespace);
  };

  return {
    tenantNamespace,
    authorize(request): AuthorizeResponse {
      const namespace = tenantNamespace(request.tenant);
      if (namespace === undefined) return unknownTenant(request.tenant);
      return answerAuthorize(request, namespace, principalOf(request, namespace), workspaces);
    },
    authenticate(request): AuthenticateResponse | undefined {
      const verified = keys.authenticate(request.apiKey);
      if (!verified.ok) return undefined;
      if (tenantNamespace(verified.tenant) !== verified.namespace) return undefined;
      let answer = answers.get(verified);
      if (answer === undefined) {
        answer = authenticateAnswer(verified);
        answers.set(verified, answer);
      }
      return answer;
    },
    stats() {
      let users = 0;
      let serviceAccounts = 0;
      let workspaceSets = 0;
      for (const view of views.values()) {
        users += view.users.size;
        serviceAccounts += view.serviceAccounts.size;
        if (view.workspaces) workspaceSets++;
      }
      return { tenants: namespaces.size, namespaces: views.size, users, serviceAccounts, workspaceSets };
    },
  };
}
