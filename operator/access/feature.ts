// The access-api feature: mounts the access API on the operator's HTTP server.
// Every replica serves it from its own caches, leader or not.
import type { Feature } from '../operator.js';
import { apiKeyVerifierOf } from './api-key-verifier.js';
import { cacheDirectory } from './directory.js';
import { ACCESS_API_PREFIX, accessApiHandler } from './http-api.js';

/** The access API (authenticate, authorize, OpenAPI document). */
export const accessApiFeature: Feature = {
  name: 'access-api',
  register(ctx) {
    const directory = cacheDirectory(ctx, apiKeyVerifierOf(ctx));
    ctx.manager.addHandler(`${ACCESS_API_PREFIX}/`, accessApiHandler(directory, ctx.logger.child({ component: 'access-api' })));
  },
};
