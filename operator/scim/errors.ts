// SCIM errors (RFC 7644 §3.12): the one shape every failure of the endpoint
// answers with, and the classification of what went wrong into status and scimType.
import { apiErrorIn } from '../runtime/errors.js';

/** The SCIM error message schema. */
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** scimType values of RFC 7644 §3.12 that this endpoint uses. */
export type ScimType = 'invalidFilter' | 'tooMany' | 'uniqueness' | 'mutability' | 'invalidSyntax' | 'invalidPath' | 'noTarget' | 'invalidValue' | 'invalidVers' | 'sensitive';

/** A failure the endpoint answers with a SCIM error body. */
export class ScimError extends Error {
  override readonly name = 'ScimError';
  constructor(
    readonly status: number,
    message: string,
    readonly scimType?: ScimType,
    /** Retry-After (seconds) for 429 and 503. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  /** The response body. */
  body(): Record<string, unknown> {
    return { schemas: [ERROR_SCHEMA], status: String(this.status), ...(this.scimType ? { scimType: this.scimType } : {}), detail: this.message };
  }
}

/** 400 invalidValue. */
export const invalidValue = (detail: string): ScimError => new ScimError(400, detail, 'invalidValue');
/** 400 invalidSyntax. */
export const invalidSyntax = (detail: string): ScimError => new ScimError(400, detail, 'invalidSyntax');
/** 400 invalidFilter. */
export const invalidFilter = (detail: string): ScimError => new ScimError(400, detail, 'invalidFilter');
/** 409 uniqueness. */
export const uniqueness = (detail: string): ScimError => new ScimError(409, detail, 'uniqueness');
/** 400 mutability. */
export const mutability = (detail: string): ScimError => new ScimError(400, detail, 'mutability');
/** 404 for a resource id that is not (or not visible as) a SCIM resource of the tenant. */
export const notFound = (what: string): ScimError => new ScimError(404, `${what} not found`);

/** The same answer for a missing or wrong token and for a tenant that does not exist or has SCIM off. */
export const UNAUTHORIZED = new ScimError(401, 'Authentication failed: a valid bearer token for this SCIM endpoint is required');

/**
 * A failed write of the Kubernetes API as a SCIM error: 409 AlreadyExists → uniqueness, 409
 * Conflict (stale resourceVersion) → 409 without scimType (the client retries), 422 Invalid
 * (admission: schema, CEL, the email-domain policy) → 400 invalidValue with the API's message,
 * 403 → 403 (the operator lacks RBAC: said plainly), else rethrown (a 500).
 */
export function fromKubeError(error: unknown): ScimError {
  if (error instanceof ScimError) return error;
  const api = apiErrorIn(error);
  if (!api) throw error;
  const status = api.code;
  const message = api.statusMessage ?? api.message;
  if (status === 409 && api.reason === 'AlreadyExists') return uniqueness(`An object of that name already exists: ${message}`);
  if (status === 409) return new ScimError(409, 'The resource changed while this request was processed: read it again and retry');
  if (status === 422 || status === 400) return invalidValue(`Refused by the cluster's admission rules: ${message}`);
  if (status === 403) return new ScimError(403, 'The operator may not make this change (RBAC)');
  if (status === 404) return notFound('Resource');
  throw error;
}
