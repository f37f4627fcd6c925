// Public surface of the access module.
export * from '../policy/matrix.js';
export { accessApiFeature } from './feature.js';
export { ACCESS_API_PREFIX, accessApiHandler } from './http-api.js';
export { decideAuthenticate, decideAuthorize, userPhase } from './decide.js';
export type { AccessReason, AuthenticateResponse, AuthorizeResponse } from './decide.js';
export type { Directory } from './directory.js';
export { parseAuthenticateRequest, parseAuthorizeRequest } from './request.js';
export type { AuthenticateRequest, AuthorizeRequest, PrincipalRef } from './request.js';
