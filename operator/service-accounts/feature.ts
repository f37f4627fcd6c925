// The service-accounts feature: the ServiceAccount controller, and the API-key
// verifier it provides to other features (FeatureServices.apiKeyVerifier).
import { ACCOUNT_KINDS } from '../api/index.js';
import type { Feature, OperatorContext } from '../context.js';
import { PERMISSION_MATRIX } from '../policy/index.js';
import { specOrLabelsChanged } from '../runtime/controller.js';
import { builtinKinds, objectKey } from '../runtime/kinds.js';
import type { KubeObject } from '../runtime/kinds.js';
import { controllerOwnerKey, labelOwnerInNamespace } from '../runtime/owner-mapping.js';
import { API_KEY_SECRET_WATCH, ApiKeySecretMeta, apiKeySecretInformer } from './api-key-secret.js';
import { serviceAccountReconciler } from './service-account-controller.js';
import { loadKeySigningKey } from './key-signing.js';
import { cacheSources, createApiKeyVerifier } from './key-verifier.js';
import { KeyUsageRecorder } from './key-usage.js';

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
      reconcile: serviceAccountReconciler({ ctx, secrets, signingKey }),
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
    // A Tenant that appears (or goes) decides whether its namespace's accounts get keys.
    controller.watch(ctx.caches.tenants, (tenant) => serviceAccountsIn(ctx, ctx.tenants.namespaceOf(tenant)), { onUpdate: specOrLabelsChanged });
    return { apiKeyVerifier: createApiKeyVerifier(cacheSources(ctx, secrets, signingKey, usageRecorder(ctx))) };
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
    return { apiKeyVerifier: createApiKeyVerifier(cacheSources(ctx, apiKeySecretInformer(ctx.manager), signingKey, usageRecorder(ctx))) };
  },
};
