// Public surface of the API-key module.
export { API_KEY_PATTERN, API_KEY_PREFIX, fingerprintOf, generateApiKey, hashApiKey, parseApiKey, verifyApiKey } from './api-key.js';
export type { GeneratedApiKey, ParsedApiKey } from './api-key.js';
export { secureRandomBytes } from './random.js';
export type { RandomBytes } from './random.js';
export { TokenParseError } from './checksummed-token.js';
export type { ParseResult, TokenParseErrorCode } from './checksummed-token.js';
export type { Pepper } from './secret-hash.js';
