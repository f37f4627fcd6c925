// Verified API keys kept ready (issue 24 §2): a key that verified is verified
// again only when something it was verified from changes, not on every use.
//
// A yes of verifyKey (key-verifier.ts) depends on the cached key Secret (its
// signed record), the ServiceAccount, the namespace's Tenant and Namespace, the
// namespace's Workspaces (an Admin's workspaces) and the clock. So a yes is kept,
// under the SHA-256 of the key (never the key itself), with the moment the clock
// alone would turn it (a previous key's expiry, the current key's unused expiry),
// and dropped synchronously by the informers' handlers when one of those objects is
// added, changed or deleted (a ServiceAccount: its own keys; anything else: every
// key of its namespace): the very next request verifies afresh. A no is never kept (a caller could grow it
// without bound), so memory is at most one entry per live valid key that was used.
// The use of a kept key is still noted every time (key-usage.ts writes it).
import { hash } from 'node:crypto';
import type { AccountCaches } from '../context.js';
import { namespaceOfTenant } from '../policy/index.js';
import type { ApiKeyVerifier, AuthenticatedServiceAccount } from '../policy/index.js';
import type { Informer } from '../runtime/informer.js';
import type { KubeObject } from '../runtime/kinds.js';
import type { CachedApiKeySecret } from './api-key-secret.js';
import { verifyKey } from './key-verifier.js';
import type { VerifierSources } from './key-verifier.js';

/** The informers whose changes may turn a verified key's answer. */
export interface VerifiedKeySources {
  readonly secrets: Informer<CachedApiKeySecret>;
  readonly caches: Pick<AccountCaches, 'serviceAccounts' | 'workspaces' | 'tenants' | 'tenantNamespaces'>;
}

/** An {@link ApiKeyVerifier} that keeps verified keys ready; `size()` counts them (benchmarks, tests). */
export interface KeptKeyVerifier extends ApiKeyVerifier {
  size(): number;
}

// Far above any key; longer input is verified (and refused) without hashing it.
const MAX_KEY_LENGTH = 512;

/** Verifies keys as `sources` do (verifyKey), keeping each yes until its namespace changes or its time runs out. */
export function keptKeyVerifier(sources: VerifierSources, informers: VerifiedKeySources): KeptKeyVerifier {
  const kept = new Map<string, { readonly result: AuthenticatedServiceAccount; readonly validUntil: number }>();
  const byNamespace = new Map<string, Set<string>>();

  const dropNamespace = (namespace: string): void => {
    const digests = byNamespace.get(namespace);
    if (!digests) return;
    for (const digest of digests) kept.delete(digest);
    byNamespace.delete(namespace);
  };
  /** Drops the kept keys of one account (a ServiceAccount event touches only its own keys' answers). */
  const dropAccount = (namespace: string, name: string): void => {
    const digests = byNamespace.get(namespace);
    if (!digests) return;
    for (const digest of digests) {
      if (kept.get(digest)?.result.name !== name) continue;
      kept.delete(digest);
      digests.delete(digest);
    }
  };
  const dropAll = (): void => {
    kept.clear();
    byNamespace.clear();
  };
  /** Calls `dropFor` with every object added, changed (before and after) and deleted; drops everything when `onDelete` says so. */
  const watch = <T extends KubeObject>(informer: Informer<T>, dropFor: (object: T) => void, onDelete: 'same' | 'all' = 'same'): void => {
    const drop = (object: T): void => {
      try {
        dropFor(object);
      } catch {
        dropAll();
      }
    };
    informer.addHandler({
      add: drop,
      update: (previous, object) => {
        drop(previous);
        drop(object);
      },
      delete: onDelete === 'all' ? dropAll : drop,
      // A relist's differences reach the handlers in slices after the cache shows them: no kept yes may lag it.
      replaced: dropAll,
    });
  };
  const ownNamespace = (object: KubeObject): void => dropNamespace(object.metadata?.namespace ?? '');
  watch(informers.secrets, ownNamespace);
  // A ServiceAccount's answers are its own keys' (the verifier reads the account named by the key Secret's label, the
  // name every kept answer carries); its status writes (a key's last use, hourly) then leave the namespace's other keys kept.
  watch(informers.caches.serviceAccounts, (sa) => dropAccount(sa.metadata?.namespace ?? '', sa.metadata?.name ?? ''));
  // An Admin key acts in every Workspace of its namespace.
  watch(informers.caches.workspaces, ownNamespace);
  // A deleted Tenant's event may lack the spec.namespace it was cached with: everything goes (Tenants are few and rarely deleted).
  watch(informers.caches.tenants, (tenant) => dropNamespace(namespaceOfTenant(tenant)), 'all');
  watch(informers.caches.tenantNamespaces, (namespace) => dropNamespace(namespace.metadata?.name ?? ''));

  return {
    authenticate(key) {
      if (typeof key !== 'string' || key.length > MAX_KEY_LENGTH) return verifyKey(sources, key).result;
      const digest = hash('sha256', key, 'base64');
      const now = sources.now();
      const entry = kept.get(digest);
      if (entry !== undefined) {
        if (now < entry.validUntil) {
          sources.usage?.note(entry.result.namespace, entry.result.name, entry.result.keyId, now);
          return entry.result;
        }
        kept.delete(digest);
        byNamespace.get(entry.result.namespace)?.delete(digest);
      }
      const { result, validUntil } = verifyKey(sources, key);
      if (result.ok && now < validUntil) {
        kept.set(digest, { result, validUntil });
        let digests = byNamespace.get(result.namespace);
        if (!digests) byNamespace.set(result.namespace, (digests = new Set()));
        digests.add(digest);
      }
      return result;
    },
    size: () => kept.size,
  };
}
