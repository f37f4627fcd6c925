// What the access API looks up, behind one small interface: the operator's
// caches in production (cacheDirectory), object literals in unit tests.
import type { ServiceAccount, Tenant, User } from '../api/index.js';
import { builtinKinds } from '../runtime/kinds.js';
import type { KubeObject } from '../runtime/kinds.js';
import { SHARD_LABEL, TENANT_LABEL } from '../operator.js';
import type { OperatorContext } from '../operator.js';
import type { ApiKeyVerifier } from './api-key-verifier.js';

/** Lookups the access decisions need; every answer comes from memory. */
export interface Directory {
  /** The namespace of a Tenant of this operator, only when that namespace is labelled for it. */
  tenantNamespace(tenant: string): string | undefined;
  /** Users of a namespace with this email (case-insensitive). */
  usersByEmail(namespace: string, email: string): readonly (User & KubeObject)[];
  serviceAccount(namespace: string, name: string): (ServiceAccount & KubeObject) | undefined;
  workspaceExists(namespace: string, name: string): boolean;
  /** Verifies an API key. */
  readonly keys: ApiKeyVerifier;
}

/** Name of the users-cache index the access API adds: `<namespace>/<lowercased email>`. */
export const USER_EMAIL_INDEX = 'access.namespacedEmail';

/** The index value of a user's email in a namespace. */
export function emailIndexValue(namespace: string, email: string): string {
  return `${namespace}/${email.toLowerCase()}`;
}

/** A Directory over a running operator's caches (call from a feature's register). */
export function cacheDirectory(ctx: OperatorContext, keys: ApiKeyVerifier): Directory {
  const { caches } = ctx;
  caches.users.addIndex(USER_EMAIL_INDEX, (user) => (user.metadata?.namespace && user.spec?.email ? [emailIndexValue(user.metadata.namespace, user.spec.email)] : []));
  // The same informer the manager scopes namespaces with (same kind and selector: shared).
  const shard = ctx.options.shard;
  const namespaces = ctx.manager.informer(builtinKinds.namespace, { labelSelector: shard ? `${TENANT_LABEL},${SHARD_LABEL}=${shard}` : TENANT_LABEL });
  return {
    tenantNamespace(name) {
      const tenant: (Tenant & KubeObject) | undefined = caches.tenants.get(name);
      if (!tenant || tenant.metadata?.deletionTimestamp) return undefined;
      const namespace = ctx.namespaceOfTenant(tenant);
      const ns = namespaces.get(namespace);
      return ns && !ns.metadata?.deletionTimestamp && ns.metadata?.labels?.[TENANT_LABEL] === name ? namespace : undefined;
    },
    usersByEmail: (namespace, email) => caches.users.byIndex(USER_EMAIL_INDEX, emailIndexValue(namespace, email)),
    serviceAccount: (namespace, name) => caches.serviceAccounts.get(`${namespace}/${name}`),
    workspaceExists: (namespace, name) => {
      const ws = caches.workspaces.get(`${namespace}/${name}`);
      return ws !== undefined && !ws.metadata?.deletionTimestamp;
    },
    keys,
  };
}
