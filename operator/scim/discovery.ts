// The static discovery resources of RFC 7644 §4 / RFC 7643 §5-7:
// /ServiceProviderConfig, /ResourceTypes and /Schemas, describing exactly what
// this endpoint supports (and, by omission or `supported: false`, what it does not).
import { FILTER_MAX_LENGTH } from './filter.js';
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, LIST_SCHEMA, USER_SCHEMA } from './mapping.js';
import { PATCH_MAX_OPERATIONS } from './patch.js';

/** Largest page a list returns (count is capped at it). */
export const MAX_PAGE_SIZE = 200;
/** Largest request body accepted (bytes). */
export const MAX_BODY_BYTES = 1_048_576;

const SPC_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

interface AttributeOptions {
  readonly type?: 'string' | 'boolean' | 'complex' | 'reference' | 'dateTime';
  readonly multiValued?: boolean;
  readonly required?: boolean;
  readonly caseExact?: boolean;
  readonly mutability?: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
  readonly returned?: 'always' | 'never' | 'default' | 'request';
  readonly uniqueness?: 'none' | 'server' | 'global';
  readonly subAttributes?: readonly Record<string, unknown>[];
  readonly referenceTypes?: readonly string[];
  readonly description: string;
}

function attribute(name: string, options: AttributeOptions): Record<string, unknown> {
  const type = options.type ?? 'string';
  return {
    name,
    type,
    multiValued: options.multiValued ?? false,
    description: options.description,
    required: options.required ?? false,
    ...(type === 'string' || type === 'reference' ? { caseExact: options.caseExact ?? false } : {}),
    mutability: options.mutability ?? 'readWrite',
    returned: options.returned ?? 'default',
    uniqueness: options.uniqueness ?? 'none',
    ...(options.subAttributes ? { subAttributes: options.subAttributes } : {}),
    ...(options.referenceTypes ? { referenceTypes: options.referenceTypes } : {}),
  };
}

/** The /ServiceProviderConfig resource. */
export function serviceProviderConfig(baseUrl: string, documentationUri: string): Record<string, unknown> {
  return {
    schemas: [SPC_SCHEMA],
    documentationUri,
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_PAGE_SIZE },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [
      { type: 'oauthbearertoken', name: 'Bearer token', description: `The tenant's SCIM token (Secret blink-scim-token, data.token) in an Authorization: Bearer header`, documentationUri, primary: true },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
    // Not in the RFC's schema, for people reading it: the bounds the endpoint enforces.
    'urn:blinkops:scim:limits': { maxPageSize: MAX_PAGE_SIZE, maxFilterLength: FILTER_MAX_LENGTH, maxPatchOperations: PATCH_MAX_OPERATIONS, maxBodyBytes: MAX_BODY_BYTES },
  };
}

/** The /ResourceTypes resources. */
export function resourceTypes(baseUrl: string): Record<string, unknown>[] {
  return [
    {
      schemas: [RESOURCE_TYPE_SCHEMA],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'A person of the tenant (a User object)',
      schema: USER_SCHEMA,
      schemaExtensions: [{ schema: ENTERPRISE_USER_SCHEMA, required: false }],
      meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/User` },
    },
    {
      schemas: [RESOURCE_TYPE_SCHEMA],
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      description: 'A group of the tenant (a Group object); its members are Users',
      schema: GROUP_SCHEMA,
      meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/Group` },
    },
  ];
}

/** The /Schemas resources: what the endpoint stores (other core attributes are accepted and not kept). */
export function schemas(baseUrl: string): Record<string, unknown>[] {
  const userAttributes = [
    attribute('userName', { required: true, uniqueness: 'server', description: 'The person\'s email address (spec.email of the User): immutable once created' }),
    attribute('name', {
      type: 'complex',
      description: 'The person\'s name: formatted, or givenName and familyName, becomes the display name',
      subAttributes: [
        attribute('formatted', { description: 'Full name' }),
        attribute('givenName', { description: 'Given name' }),
        attribute('familyName', { description: 'Family name' }),
      ],
    }),
    attribute('displayName', { description: 'Name shown in the portal (at most 100 characters)' }),
    attribute('active', { type: 'boolean', description: 'false deactivates the person at once (no access); true activates them again' }),
    attribute('emails', {
      type: 'complex',
      multiValued: true,
      description: 'Email addresses; the primary (or work) one is used when userName is not an email address',
      subAttributes: [attribute('value', { description: 'Email address' }), attribute('type', { description: 'work' }), attribute('primary', { type: 'boolean', description: 'The primary address' })],
    }),
    attribute('groups', {
      type: 'complex',
      multiValued: true,
      mutability: 'readOnly',
      description: 'Groups the person belongs to (change them through /Groups)',
      subAttributes: [attribute('value', { mutability: 'readOnly', description: 'Group id' }), attribute('display', { mutability: 'readOnly', description: 'Group displayName' })],
    }),
  ];
  const groupAttributes = [
    attribute('displayName', { required: true, description: 'Name of the group; the Tenant\'s roleMapping and workspaceMapping refer to it' }),
    attribute('members', {
      type: 'complex',
      multiValued: true,
      description: 'Users in the group',
      subAttributes: [attribute('value', { mutability: 'immutable', description: 'User id' }), attribute('display', { mutability: 'readOnly', description: 'User email' })],
    }),
  ];
  return [
    { schemas: [SCHEMA_SCHEMA], id: USER_SCHEMA, name: 'User', description: 'User Account', attributes: userAttributes, meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${USER_SCHEMA}` } },
    { schemas: [SCHEMA_SCHEMA], id: GROUP_SCHEMA, name: 'Group', description: 'Group', attributes: groupAttributes, meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${GROUP_SCHEMA}` } },
  ];
}

/** A ListResponse of `resources` (all of them: the discovery lists are short). */
export function listOf(resources: readonly Record<string, unknown>[]): Record<string, unknown> {
  return { schemas: [LIST_SCHEMA], totalResults: resources.length, itemsPerPage: resources.length, startIndex: 1, Resources: resources };
}
