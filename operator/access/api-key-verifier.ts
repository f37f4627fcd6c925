// The one place the access API imports API-key verification from (the
// service-accounts module owns the Secrets and the key format).
export { apiKeyVerifierOf } from '../service-accounts/index.js';
export type { ApiKeyVerifier, AuthenticatedServiceAccount, AuthFailureReason } from '../service-accounts/index.js';
