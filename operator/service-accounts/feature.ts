// The service-accounts feature: the ServiceAccount controller, and the API-key
// verifier it provides to other features (FeatureServices.apiKeyVerifier).
import { ACCEPT_KEYS_FROM_LABEL, ACCOUNT_KINDS, TENANT_LABEL } from '../api/index.js';
import type { Feature, OperatorContext } from '../context.js';
import { PERMISSION_MATRIX } from '../policy/index.js';
import { specOrLabelsChanged } from '../runtime/controller.js';
import { builtinKinds, objectKey } from '../runtime/kinds.js';
import type { KubeObject } from '../runtime/kinds.js';
import { controllerOwnerKey, labelOwnerInNamespace } from '../runtime/owner-mapping.js';
import { API_KEY_SECRET_WATCH, ApiKeySecretMeta, apiKeySecretInformer } from './api-key-secret.js';
import { serviceAccountReconciler } from './service-account-controller.js';
import { loadKeySigningKey } from './key-signing.js';
import { cacheSources } from './key-verifier.js';
import { keptKeyVerifier } from './verified-keys.js';
import { KeyUsageRecorder } from './key-usage.js';
import { accountOfCopy, keyCopyInformer, SOURCE_NAMESPACE_LABEL } from './delivery/key-copy.js';

/** Index of the ServiceAccount cache by the namespaces of spec.delivery. */
const DELIVERY_NAMESPACE_INDEX = 'serviceAccountsByDeliveryNamespace';

/** Keys of the service accounts in a namespace that `accept` picks. */
function serviceAccountsIn(ctx: OperatorContext, namespace: string, accept: (sa: { spec: { role: keyof typeof PERMISSION_MATRIX; workspaces?: string[] } }) => boolean = () => true): string[] {
  return ctx.caches.serviceAccounts
    .byIndex('namespace', namespace)
    .filter(accept)
    .map((sa) => objectKey(sa));
}

/** The recorder of keys' last use of this replica (every replica records what its access API sees: key-usage.ts). */
function usageRecorder(ctx: OperatorContext): KeyUsageRecorder {
  return new KeyUsageRecorder({
    client: ctx.manager.client,
    serviceAccount: (namespace, name) => ctx.caches.serviceAccounts.get(`${namespace}/${name}`),
    clock: ctx.clock,
    log: ctx.logger.child({ component: 'key-usage' }),
    ...(ctx.options.keyUsageWriteIntervalMs !== undefined ? { intervalMs: ctx.options.keyUsageWriteIntervalMs } : {}),
  });
}

/** The service-accounts feature (one entry of FEATURES). */
export const serviceAccountsFeature: Feature = {
  name: 'service-accounts',
  provides: ['apiKeyVerifier'],
  async register(ctx) {
    const secrets = apiKeySecretInformer(ctx.manager);
    const signingKey = await loadKeySigningKey(ctx.manager.client, ctx.namespace);
    const ownerOf = controllerOwnerKey(ACCOUNT_KINDS.serviceAccount);
    const byLabel = labelOwnerInNamespace(ApiKeySecretMeta.serviceAccountLabel);
    // spec.delivery: copies of keys in other namespaces, and the Namespaces that opted in to receive them
    // (only those carrying the opt-in label are listed and watched: get/list/watch, nothing written).
    const delivery = { copies: keyCopyInformer(ctx.manager), optedIn: ctx.manager.informer(builtinKinds.namespace, { labelSelector: ACCEPT_KEYS_FROM_LABEL }) };
    const byDeliveryNamespace = ctx.caches.serviceAccounts.index(DELIVERY_NAMESPACE_INDEX, (sa) => (sa.spec?.delivery ?? []).map((d) => d.namespace));
    const controller = ctx.manager.addController({
      name: 'service-account',
      for: ACCOUNT_KINDS.serviceAccount,
      owns: [
        {
          kind: builtinKinds.secret,
          informer: API_KEY_SECRET_WATCH,
          // The label too: a Secret whose owner reference was removed still concerns its account.
          map: (secret: KubeObject) => [...new Set([...ownerOf(secret), ...byLabel(secret)])],
        },
      ],
      reconcile: serviceAccountReconciler({ ctx, secrets, signingKey, delivery }),
      concurrency: 4,
    });
    // A Workspace that appears or goes changes the status (and access) of the accounts naming it, and of
    // those whose role acts in every workspace.
    controller.watch(ctx.caches.workspaces, (ws) =>
      serviceAccountsIn(
        ctx,
        ws.metadata?.namespace ?? '',
        (sa) => PERMISSION_MATRIX[sa.spec.role]?.scope === 'allWorkspaces' || (sa.spec.workspaces ?? []).includes(ws.metadata?.name ?? ''),
      ),
    );
    // A copy that changes or goes concerns the account it copies (repair, or clean-up once the account is
    // gone); it is in scope when the tenant namespace it copies from is.
    controller.watch(delivery.copies, (copy) => [accountOfCopy(copy) ?? ''].filter(Boolean), {
      inScope: (copy) => ctx.manager.namespaceInScope(copy.metadata?.labels?.[SOURCE_NAMESPACE_LABEL]),
    });
    // A namespace that opts in, changes its opt-in, withdraws it, becomes a tenant's or goes concerns every
    // account delivering there.
    const optInChanged = (a: KubeObject, b: KubeObject): boolean =>
      [ACCEPT_KEYS_FROM_LABEL, TENANT_LABEL].some((label) => a.metadata?.labels?.[label] !== b.metadata?.labels?.[label]) || a.metadata?.deletionTimestamp !== b.metadata?.deletionTimestamp;
    controller.watch(delivery.optedIn, (ns) => byDeliveryNamespace.get(ns.metadata?.name ?? '').map((sa) => objectKey(sa)), { onUpdate: optInChanged });
    // A Tenant that appears (or goes) decides whether its namespace's accounts get keys.
    controller.watch(ctx.caches.tenants, (tenant) => serviceAccountsIn(ctx, ctx.tenants.namespaceOf(tenant)), { onUpdate: specOrLabelsChanged });
    return { apiKeyVerifier: keptKeyVerifier(cacheSources(ctx, secrets, signingKey, usageRecorder(ctx)), { secrets, caches: ctx.caches }) };
  },
};

/**
 * Only the API-key verifier, without the controller: for a replica that serves reads only (the
 * access API) and never reconciles service accounts.
 */
export const apiKeyVerifierFeature: Feature = {
  name: 'api-key-verifier',
  provides: ['apiKeyVerifier'],
  register: async (ctx) => {
    const signingKey = await loadKeySigningKey(ctx.manager.client, ctx.namespace);
    const secrets = apiKeySecretInformer(ctx.manager);
    return { apiKeyVerifier: keptKeyVerifier(cacheSources(ctx, secrets, signingKey, usageRecorder(ctx)), { secrets, caches: ctx.caches }) };
  },
};
