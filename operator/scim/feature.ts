// The SCIM feature: per Tenant that opts in (spec.provisioning.scim), a SCIM 2.0
// service provider at <public URL>/scim/v2/<tenant> on the public port (never the
// access API's), its bearer token in a Secret of the tenant namespace, and the
// token controller. Users and Groups made through it carry the source label scim
// and are written with their own field manager (operator/README.md).
import type { RandomBytes } from '../apikeys/random.js';
import { SCIM_PATH_PREFIX } from '../api/index.js';
import type { Feature, OperatorContext } from '../context.js';
import { parseTrustedProxies } from '../invitations/client-address.js';
import { ClientRateLimiter } from '../invitations/client-rate-limiter.js';
import type { ClientRateLimiterOptions } from '../invitations/client-rate-limiter.js';
import type { Informer } from '../runtime/informer.js';
import { builtinKinds } from '../runtime/kinds.js';
import { KeyedMutex } from '../runtime/keyed-mutex.js';
import { recordSigningKey } from '../runtime/record-signing.js';
import { MAX_PAGE_SIZE } from './discovery.js';
import { createScimHandler } from './handler.js';
import { ScimService } from './service.js';
import { registerScimTokenController } from './token-controller.js';
import { SCIM_TOKEN_WATCH, toCachedScimTokenSecret } from './token-secret.js';
import type { CachedScimTokenSecret } from './token-secret.js';

/** Options of {@link createScimFeature}; the defaults are what production runs. */
export interface ScimFeatureOptions {
  /** Requests per tenant. @default burst 400, 50 more a second (an identity provider's initial import runs at its own pace: Entra ID and Okta stay well under this) */
  readonly perTenant?: Omit<ClientRateLimiterOptions, 'clock'>;
  /** Failed authentications per client address. @default burst 20, one more every 5 s */
  readonly failures?: Omit<ClientRateLimiterOptions, 'clock'>;
  /** Largest page of a list. @default MAX_PAGE_SIZE (200) */
  readonly maxPageSize?: number;
  readonly random?: RandomBytes;
}

/** Builds the SCIM feature. */
export function createScimFeature(options: ScimFeatureOptions = {}): Feature {
  return {
    name: 'scim',
    async register(ctx: OperatorContext) {
      const signingKey = await recordSigningKey(ctx.manager.client, ctx.namespace)();
      const trustedProxies = parseTrustedProxies(ctx.options.trustedProxies ?? []);
      // Every replica caches the token Secrets (the token replaced by its hash at once) to authenticate requests.
      const secrets = ctx.manager.informer<CachedScimTokenSecret>(builtinKinds.secret, { ...SCIM_TOKEN_WATCH, transform: (s) => toCachedScimTokenSecret(s) });
      registerScimTokenController(ctx, { secrets: secrets as unknown as Informer<CachedScimTokenSecret>, signingKey, ...(options.random ? { random: options.random } : {}) });
      const clock = ctx.clock;
      const service = new ScimService({ ctx, client: ctx.manager.client, clock, maxPageSize: options.maxPageSize ?? MAX_PAGE_SIZE });
      ctx.manager.addHandler(
        SCIM_PATH_PREFIX,
        createScimHandler({
          ctx,
          secrets,
          signingKey,
          service,
          clock,
          perTenant: new ClientRateLimiter({ burst: 400, refillPerSecond: 50, maxClients: 100_000, ...options.perTenant, clock }),
          failures: new ClientRateLimiter({ burst: 20, refillPerSecond: 0.2, ...options.failures, clock }),
          trustedProxies,
          writes: new KeyedMutex(),
          logger: ctx.logger,
        }),
      );
    },
  };
}

/** The SCIM feature with production defaults, as features.ts registers it. */
export const scimFeature: Feature = createScimFeature();
