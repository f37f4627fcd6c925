// Public surface of the access module.
export * from '../policy/matrix.js';
export { accessApiFeature, mountAccessApi } from './feature.js';
export { ACCESS_API_PREFIX, accessApiHandler, FORBIDDEN_MESSAGE, INVALID_KEY_MESSAGE, NO_CALLER_MESSAGE } from './http-api.js';
export { ACCESS_API_CLIENT_ROLE, ACCESS_REVIEW_PERMISSION, accessApiClientClusterRole, callerMayAsk, DEFAULT_ACCESS_API_AUDIENCE, renderAccessApiClientRoleYaml } from './caller-access.js';
export { decideAuthenticate, decideAuthorize, directDecisions, userPhase } from './decide.js';
export type { AccessDecisions, AccessReason, AuthenticateResponse, AuthorizeResponse } from './decide.js';
export { cachedDecisions } from './decision-cache.js';
export type { CachedDecisions, DecisionCacheStats } from './decision-cache.js';
export type { Directory } from './directory.js';
export { parseAuthenticateRequest, parseAuthorizeRequest } from './request.js';
export type { AuthenticateRequest, AuthorizeRequest, PrincipalRef } from './request.js';
