// Public surface of the service-accounts module (the feature itself is imported by operator/features.ts only).
export { createApiKeyVerifier, cacheSources } from './key-verifier.js';
export type { VerifierSources } from './key-verifier.js';
export { API_KEY_DATA_KEY, API_KEY_SECRET_TYPE, ApiKeySecretMeta, apiKeySecretName, PREVIOUS_KEY_HASH_DATA_KEY } from './api-key-secret.js';
