// The OpenAPI 3 description of the access API, served at GET /api/v1/openapi.json.
// Enumerations come from the same constants the code checks against.
import { ACTIONS, DECISION_REASONS, ROLES } from '../policy/matrix.js';
import { MAX_BODY_BYTES } from './request.js';

// No UnknownTenant: over HTTP an unknown tenant is a 403, the same as a forbidden one.
const ACCESS_REASONS = [...DECISION_REASONS, 'UnknownWorkspace', 'InvalidApiKey'];
const NAME = { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 };

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
const CALLER_ERRORS = {
  '401': errorResponse('No valid bearer token: send a Kubernetes ServiceAccount token whose audiences include the access API\'s (default blink-accounts-access-api). `WWW-Authenticate: Bearer`.'),
  '503': errorResponse('The caller\'s token or permission could not be reviewed now (the API server is unreachable, or more unknown tokens arrive than this replica reviews per second); retry after `Retry-After` seconds.'),
};
const TRANSPORT_ERRORS = {
  '400': errorResponse('The body is not JSON, or a field is missing or wrong: `error.details` names each field.'),
  '405': errorResponse('Wrong method; the `Allow` header says which.'),
  '413': errorResponse(`The body is larger than ${MAX_BODY_BYTES} bytes.`),
  '415': errorResponse('The Content-Type is not application/json.'),
};

/** The OpenAPI document (a fresh object each call). */
export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Blink accounts access API',
      version: 'v1',
      description:
        'Callers authenticate with a Kubernetes ServiceAccount token (bearer, audience blink-accounts-access-api, checked by TokenReview) and need create on accessreviews.accounts.blinkops.com in the tenant\'s namespace (SubjectAccessReview; ClusterRole blink-accounts-access-api-client). Who is this API key, and may this principal do this action in this workspace? Answered by every operator replica from its in-memory caches, per the permission matrix (Admin: everything in all workspaces; Builder: read, write, execute and portal in its workspaces; Consumer: read, write and portal in its workspaces). A change to any Tenant, User, ServiceAccount, Workspace or API key is reflected within a second.',
    },
    paths: {
      '/api/v1/authenticate': {
        post: {
          operationId: 'authenticate',
          summary: 'Identify the service account of an API key',
          security: [{ serviceAccountToken: [] }],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/AuthenticateRequest' } } } },
          responses: {
            '200': { description: 'The key is live.', content: { 'application/json': { schema: { $ref: '#/components/schemas/AuthenticateResponse' } } } },
            ...CALLER_ERRORS,
            '401': errorResponse('No valid bearer token (message "A valid bearer token is required…"), or the key is not valid (message "The API key is not valid": malformed, unknown, rotated away, its service account or tenant is gone, or of a tenant the caller may not ask about). Every invalid-key case answers the same.'),
            ...TRANSPORT_ERRORS,
          },
        },
      },
      '/api/v1/authorize': {
        post: {
          operationId: 'authorize',
          summary: 'Decide whether a principal may perform an action',
          description: 'Always 200 for a well-formed request about a tenant the caller may ask about: `allowed` is the answer and `reason` says why. Users are found by email in the tenant; only Active users have access.',
          security: [{ serviceAccountToken: [] }],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/AuthorizeRequest' } } } },
          responses: {
            '200': { description: 'The decision.', content: { 'application/json': { schema: { $ref: '#/components/schemas/AuthorizeResponse' } } } },
            ...CALLER_ERRORS,
            '403': errorResponse('The caller may not ask about this tenant, or the tenant does not exist: both answer the same.'),
            ...TRANSPORT_ERRORS,
          },
        },
      },
      '/api/v1/openapi.json': {
        get: { operationId: 'openapi', summary: 'This document (served without a token: it holds no data)', security: [], responses: { '200': { description: 'The OpenAPI document.', content: { 'application/json': {} } } } },
      },
    },
    components: {
      securitySchemes: {
        serviceAccountToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A Kubernetes ServiceAccount token (projected, audience blink-accounts-access-api).' },
      },
      schemas: {
        AuthenticateRequest: {
          type: 'object',
          additionalProperties: false,
          required: ['apiKey'],
          properties: { apiKey: { type: 'string', minLength: 1, maxLength: 256, description: 'The API key, as in the service account\'s Secret (blink_sa_…).' } },
        },
        AuthenticateResponse: {
          type: 'object',
          required: ['tenant', 'namespace', 'serviceAccount', 'role', 'workspaces', 'allWorkspaces', 'actions'],
          properties: {
            tenant: { type: 'string', description: 'Name of the Tenant.' },
            namespace: { type: 'string', description: 'Namespace of the tenant.' },
            serviceAccount: { type: 'string', description: 'Name of the ServiceAccount.' },
            role: { type: 'string', enum: [...ROLES] },
            workspaces: { type: 'array', items: { type: 'string' }, description: 'Existing workspaces it can act in (an Admin: all of the tenant\'s).' },
            allWorkspaces: { type: 'boolean', description: 'True for an Admin: every workspace, including ones created later.' },
            actions: { type: 'array', items: { type: 'string', enum: [...ACTIONS] }, description: 'Actions its role allows.' },
          },
        },
        AuthorizeRequest: {
          type: 'object',
          additionalProperties: false,
          required: ['tenant', 'principal', 'action'],
          properties: {
            tenant: { ...NAME, description: 'Name of the Tenant the action is in.' },
            principal: {
              description: 'Who asks: exactly one of a user (email), a service account (name) or an API key.',
              oneOf: [
                { type: 'object', additionalProperties: false, required: ['user'], properties: { user: { type: 'string', format: 'email', maxLength: 254 } } },
                { type: 'object', additionalProperties: false, required: ['serviceAccount'], properties: { serviceAccount: NAME } },
                { type: 'object', additionalProperties: false, required: ['apiKey'], properties: { apiKey: { type: 'string', minLength: 1, maxLength: 256 } } },
              ],
            },
            workspace: { ...NAME, description: 'Workspace of the resource; required for read, write and execute, ignored for portal and settings.' },
            action: { type: 'string', enum: [...ACTIONS], description: 'read, write, execute (in a workspace), portal (self-service portal), settings (tenant settings, users, service accounts).' },
          },
        },
        AuthorizeResponse: {
          type: 'object',
          required: ['allowed', 'reason', 'message'],
          properties: {
            allowed: { type: 'boolean' },
            reason: { type: 'string', enum: ACCESS_REASONS, description: 'Stable machine-readable reason.' },
            message: { type: 'string', description: 'One sentence for people.' },
          },
        },
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string', enum: ['NotFound', 'MethodNotAllowed', 'UnsupportedMediaType', 'PayloadTooLarge', 'InvalidJson', 'InvalidRequest', 'Unauthenticated', 'Forbidden', 'Unavailable'] },
                message: { type: 'string' },
                details: {
                  type: 'array',
                  items: { type: 'object', required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' } } },
                },
              },
            },
          },
        },
      },
    },
  };
}
