// The access-api feature: serves the access API on its own internal port (never
// the public one of the acceptance page), for callers that authenticate with a
// Kubernetes bearer token. Every replica serves it from its own caches, leader or not.
import type { Feature, OperatorContext } from '../context.js';
import { ACCESS_API_SERVER } from '../context.js';
import { kubeAccessReviewer, TokenAuthenticator } from '../runtime/token-authenticator.js';
import { DEFAULT_ACCESS_API_AUDIENCE } from './caller-access.js';
import { cachedDecisions } from './decision-cache.js';
import type { AccessDecisions } from './decide.js';
import { ACCESS_API_PREFIX, accessApiHandler } from './http-api.js';

/**
 * Adds the access API's server (`accessApiPort`) with its handler answering with `decisions`, its callers
 * checked by TokenReview and SubjectAccessReview through the operator's client; returns the authenticator.
 */
export function mountAccessApi(ctx: OperatorContext, decisions: AccessDecisions): TokenAuthenticator {
  const authenticator = new TokenAuthenticator({
    reviewer: kubeAccessReviewer(ctx.manager.client),
    audience: ctx.options.accessApiAudience ?? DEFAULT_ACCESS_API_AUDIENCE,
    clock: ctx.clock,
  });
  const server = ctx.manager.addServer(ACCESS_API_SERVER, ctx.options.accessApiPort ?? 8082);
  server.addHandler(`${ACCESS_API_PREFIX}/`, accessApiHandler(decisions, ctx.logger.child({ component: 'access-api' }), authenticator, ctx.clock));
  return authenticator;
}

/** The access API (authenticate, authorize, OpenAPI document). */
export const accessApiFeature: Feature = {
  name: 'access-api',
  needs: ['apiKeyVerifier'],
  register(ctx, services) {
    const { apiKeyVerifier } = services;
    if (!apiKeyVerifier) throw new Error('The access API needs the API-key verifier of the service-accounts feature');
    mountAccessApi(ctx, cachedDecisions(ctx, apiKeyVerifier));
  },
};
