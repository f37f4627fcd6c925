// The SCIM token controller: per Tenant with spec.provisioning.scim.enabled, the
// token Secret in the tenant namespace (issued, rotated with grace, re-issued
// when it is not one the operator signed for this Tenant, deleted when SCIM is
// turned off) and status.provisioning.scim (base URL, Secret name, revision,
// fingerprint). fetch → tenant check → plan (token-secret.ts, pure) → act → status.
import { ACCOUNT_KINDS, FIELD_MANAGER, SCIM_PATH_PREFIX, SCIM_TOKEN_SECRET, TENANT_LABEL } from '../api/index.js';
import type { Tenant } from '../api/index.js';
import type { Cached, OperatorContext } from '../context.js';
import { isNotFound } from '../runtime/errors.js';
import type { Informer } from '../runtime/informer.js';
import { builtinKinds } from '../runtime/kinds.js';
import type { ReconcileContext } from '../runtime/controller.js';
import { writeStatus } from '../runtime/status-writer.js';
import { generateScimToken } from './token.js';
import type { RandomBytes } from '../apikeys/random.js';
import { buildScimTokenSecret, gracePeriodMs, planScimToken, SCIM_TOKEN_WATCH, ScimTokenMeta, trustedToken, wantedRevision } from './token-secret.js';
import type { CachedScimTokenSecret } from './token-secret.js';

/** The base URL of a tenant's SCIM endpoint under a public base URL. */
export function scimBaseUrl(publicUrl: string, tenant: string): string {
  return `${publicUrl.replace(/\/+$/, '')}${SCIM_PATH_PREFIX}/${tenant}`;
}

/** Registers the token controller. */
export function registerScimTokenController(ctx: OperatorContext, deps: { readonly secrets: Informer<CachedScimTokenSecret>; readonly signingKey: Buffer; readonly random?: RandomBytes }): void {
  const { secrets, signingKey } = deps;
  ctx.manager.addController({
    name: 'scim-tokens',
    for: ACCOUNT_KINDS.tenant,
    // The Tenant controller writes the rest of the status and reports failures there.
    ownsStatus: false,
    watches: [{ kind: builtinKinds.secret, informer: SCIM_TOKEN_WATCH, map: (secret) => [secret.metadata?.labels?.[TENANT_LABEL] ?? ''].filter(Boolean) }],
    reconcile: async (key, rc) => reconcileScimToken(ctx, rc, key, secrets, signingKey, deps.random),
  });
}

async function reconcileScimToken(ctx: OperatorContext, rc: ReconcileContext, key: string, secrets: Informer<CachedScimTokenSecret>, signingKey: Buffer, random?: RandomBytes): Promise<undefined> {
  const tenant: Cached<Tenant> | undefined = ctx.caches.tenants.get(key);
  if (!tenant || tenant.metadata?.deletionTimestamp) return undefined;
  const namespace = ctx.tenants.accessNamespace(tenant.metadata?.name ?? '');
  // No namespace granted yet: the Tenant controller reports why; the Tenant comes back when it is.
  if (!namespace) return undefined;
  const secret = secrets.get(`${namespace}/${SCIM_TOKEN_SECRET}`);
  const trusted = trustedToken(signingKey, secret, tenant);
  const nowMs = rc.clock.now();
  const enabled = tenant.spec?.provisioning?.scim?.enabled === true;
  const plan = planScimToken({ enabled, exists: secret !== undefined, trusted, revision: wantedRevision(tenant), graceMs: gracePeriodMs(tenant), nowMs });
  let fingerprint = secret?.metadata?.annotations?.[ScimTokenMeta.fingerprint];
  let revision = trusted?.revision;
  if (plan.action === 'delete') {
    await rc.client.delete(builtinKinds.secret, namespace, SCIM_TOKEN_SECRET).catch((error: unknown) => {
      if (!isNotFound(error)) throw error;
    });
    await rc.recorder.event(tenant, 'Normal', 'ScimTokenRevoked', `Deleted the SCIM token Secret ${SCIM_TOKEN_SECRET}: ${plan.why}`);
  } else if (plan.action === 'issue') {
    const token = generateScimToken(random);
    const object = buildScimTokenSecret({ tenant, namespace, token, revision: plan.revision, previous: plan.previous, nowMs, signingKey });
    await rc.client.apply(builtinKinds.secret, object, { fieldManager: FIELD_MANAGER, force: true });
    fingerprint = token.fingerprint;
    revision = plan.revision;
    if (plan.why === 'Untrusted') {
      await rc.recorder.event(tenant, 'Warning', 'ScimTokenReplaced', `The SCIM token Secret ${SCIM_TOKEN_SECRET} was not one the operator issued for this Tenant (edited, or left from elsewhere): its token never worked; issued a new one (${token.fingerprint})`);
    } else {
      const grace = plan.previous ? `; the previous token works until ${new Date(plan.previous.expiresAtMs).toISOString()}` : '';
      await rc.recorder.event(tenant, 'Normal', plan.why === 'First' ? 'ScimTokenIssued' : 'ScimTokenRotated', `Issued the SCIM token ${token.fingerprint} into Secret ${SCIM_TOKEN_SECRET}${grace}`);
    }
  }
  const { provisioning: _previous, ...rest } = tenant.status ?? {};
  const desired = enabled
    ? {
        ...rest,
        provisioning: {
          scim: {
            baseURL: scimBaseUrl(ctx.publicUrlFor(tenant), tenant.metadata?.name ?? ''),
            tokenSecret: SCIM_TOKEN_SECRET,
            ...(revision !== undefined ? { tokenRevision: revision } : {}),
            ...(fingerprint ? { tokenFingerprint: fingerprint } : {}),
          },
        },
      }
    : rest;
  // The previous token stops verifying by itself at its expiry (tokenMatches): nothing to requeue for.
  await writeStatus(rc.client, ACCOUNT_KINDS.tenant, tenant, desired);
  return undefined;
}
