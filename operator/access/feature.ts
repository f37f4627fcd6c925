// The access-api feature: mounts the access API on the operator's HTTP server.
// Every replica serves it from its own caches, leader or not.
import type { Feature } from '../context.js';
import { cacheDirectory } from './directory.js';
import { ACCESS_API_PREFIX, accessApiHandler } from './http-api.js';

/** The access API (authenticate, authorize, OpenAPI document). */
export const accessApiFeature: Feature = {
  name: 'access-api',
  needs: ['apiKeyVerifier'],
  register(ctx, services) {
    const { apiKeyVerifier } = services;
    if (!apiKeyVerifier) throw new Error('The access API needs the API-key verifier of the service-accounts feature');
    const directory = cacheDirectory(ctx, apiKeyVerifier);
    ctx.manager.addHandler(`${ACCESS_API_PREFIX}/`, accessApiHandler(directory, ctx.logger.child({ component: 'access-api' })));
  },
};
