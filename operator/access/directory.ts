// What the access API looks up, behind one small interface: the operator's
// caches in production (cacheDirectory), object literals in unit tests.
import type { ServiceAccount, Tenant, User } from '../api/index.js';
import type { OperatorContext } from '../context.js';
import { normalizeEmail } from '../policy/index.js';
import type { ApiKeyVerifier } from '../policy/index.js';
import type { KubeObject } from '../runtime/kinds.js';

/** Lookups the access decisions need; every answer comes from memory. */
export interface Directory {
  /** The namespace of a Tenant of this operator that grants access now (policy/tenancy.ts). */
  tenantNamespace(tenant: string): string | undefined;
  /** The Tenant object of a name, if cached. */
  tenant(name: string): (Tenant & KubeObject) | undefined;
  /** Users of a namespace with this email, compared in the normal form of policy/email.ts (none when it has none). */
  usersByEmail(namespace: string, email: string): readonly (User & KubeObject)[];
  serviceAccount(namespace: string, name: string): (ServiceAccount & KubeObject) | undefined;
  workspaceExists(namespace: string, name: string): boolean;
  /** Verifies an API key. */
  readonly keys: ApiKeyVerifier;
}

/** A Directory over a running operator's caches. */
export function cacheDirectory(ctx: Pick<OperatorContext, 'caches' | 'indexes' | 'tenants'>, keys: ApiKeyVerifier): Directory {
  const { caches, indexes } = ctx;
  return {
    tenantNamespace: (name) => ctx.tenants.accessNamespace(name),
    tenant: (name) => caches.tenants.get(name),
    usersByEmail: (namespace, email) => {
      const normal = normalizeEmail(email);
      return normal === undefined ? [] : indexes.usersByEmail.get(`${namespace}/${normal}`);
    },
    serviceAccount: (namespace, name) => caches.serviceAccounts.get(`${namespace}/${name}`),
    workspaceExists: (namespace, name) => {
      const ws = caches.workspaces.get(`${namespace}/${name}`);
      return ws !== undefined && !ws.metadata?.deletionTimestamp;
    },
    keys,
  };
}
