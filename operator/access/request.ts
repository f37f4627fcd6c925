// Parsing the access API's request bodies: pure, every problem named with its
// field, so a 400 says exactly what is wrong.
import { ACTIONS, isAction, WORKSPACE_ACTIONS } from '../policy/matrix.js';
import type { Action } from '../policy/matrix.js';

/** Largest request body accepted (bytes); requests are a few hundred. */
export const MAX_BODY_BYTES = 16 * 1024;

/** Who an authorize request asks about: exactly one of these. */
export type PrincipalRef = { readonly user: string } | { readonly serviceAccount: string } | { readonly apiKey: string };

/** A parsed `POST /api/v1/authorize` body. */
export interface AuthorizeRequest {
  readonly tenant: string;
  readonly principal: PrincipalRef;
  readonly workspace?: string;
  readonly action: Action;
}

/** A parsed `POST /api/v1/authenticate` body. */
export interface AuthenticateRequest {
  readonly apiKey: string;
}

/** One thing wrong with a request body. */
export interface FieldProblem {
  /** JSON path of the field, like `principal.user`. */
  readonly field: string;
  readonly message: string;
}

/** The outcome of parsing. */
export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: readonly FieldProblem[] };

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const MAX_KEY_LENGTH = 256;
const MAX_EMAIL_LENGTH = 254;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unknownFields(body: Record<string, unknown>, known: readonly string[], prefix = ''): FieldProblem[] {
  // The usual body has only known fields: checked without building arrays.
  let unknown = false;
  for (const key in body) {
    if (!known.includes(key)) {
      unknown = true;
      break;
    }
  }
  if (!unknown) return [];
  return Object.keys(body)
    .filter((key) => !known.includes(key))
    .map((key) => ({ field: `${prefix}${key}`, message: `unknown field; expected only ${known.join(', ')}` }));
}

function checkName(value: unknown, field: string, what: string, problems: FieldProblem[]): string | undefined {
  if (typeof value !== 'string' || value === '') {
    problems.push({ field, message: `${what} is required and must be a non-empty string` });
    return undefined;
  }
  if (value.length > 63 || !NAME.test(value)) {
    problems.push({ field, message: `${what} must be a DNS-1123 label: lowercase letters, digits and "-", at most 63 characters` });
    return undefined;
  }
  return value;
}

const PRINCIPAL_KINDS = ['user', 'serviceAccount', 'apiKey'] as const;
const AUTHORIZE_FIELDS = ['tenant', 'principal', 'workspace', 'action'] as const;
const AUTHENTICATE_FIELDS = ['apiKey'] as const;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

function parsePrincipal(value: unknown, problems: FieldProblem[]): PrincipalRef | undefined {
  if (!isObject(value)) {
    problems.push({ field: 'principal', message: 'principal is required: an object with exactly one of user (an email), serviceAccount (a name) or apiKey' });
    return undefined;
  }
  const given = PRINCIPAL_KINDS.filter((key) => value[key] !== undefined);
  const unknown = unknownFields(value, PRINCIPAL_KINDS, 'principal.');
  if (unknown.length > 0) problems.push(...unknown);
  if (given.length !== 1) {
    problems.push({ field: 'principal', message: `principal must have exactly one of user, serviceAccount or apiKey (got ${given.length === 0 ? 'none' : given.join(' and ')})` });
    return undefined;
  }
  const kind = given[0];
  const raw = kind === undefined ? undefined : value[kind];
  switch (kind) {
    case 'user':
      if (typeof raw !== 'string' || raw.length > MAX_EMAIL_LENGTH || !EMAIL.test(raw)) {
        problems.push({ field: 'principal.user', message: 'principal.user must be an email address like jane@example.com' });
        return undefined;
      }
      return { user: raw };
    case 'serviceAccount': {
      const name = checkName(raw, 'principal.serviceAccount', 'principal.serviceAccount', problems);
      return name === undefined ? undefined : { serviceAccount: name };
    }
    case 'apiKey':
      if (typeof raw !== 'string' || raw === '' || raw.length > MAX_KEY_LENGTH) {
        problems.push({ field: 'principal.apiKey', message: `principal.apiKey must be a non-empty string of at most ${MAX_KEY_LENGTH} characters` });
        return undefined;
      }
      return { apiKey: raw };
    default:
      return undefined;
  }
}

/** Parses an authorize body. */
export function parseAuthorizeRequest(body: unknown): Parsed<AuthorizeRequest> {
  if (!isObject(body)) return { ok: false, problems: [{ field: '', message: 'the body must be a JSON object' }] };
  const problems: FieldProblem[] = unknownFields(body, AUTHORIZE_FIELDS);
  const tenant = checkName(body['tenant'], 'tenant', 'tenant', problems);
  const principal = parsePrincipal(body['principal'], problems);
  const action = body['action'];
  if (!isAction(action)) problems.push({ field: 'action', message: `action must be one of ${ACTIONS.join(', ')}` });
  let workspace: string | undefined;
  if (body['workspace'] !== undefined) workspace = checkName(body['workspace'], 'workspace', 'workspace', problems);
  else if (isAction(action) && WORKSPACE_ACTIONS.has(action)) problems.push({ field: 'workspace', message: `workspace is required for ${action}` });
  if (problems.length > 0 || tenant === undefined || principal === undefined || !isAction(action)) return { ok: false, problems };
  return { ok: true, value: { tenant, principal, action, ...(workspace !== undefined ? { workspace } : {}) } };
}

/** Parses an authenticate body. */
export function parseAuthenticateRequest(body: unknown): Parsed<AuthenticateRequest> {
  if (!isObject(body)) return { ok: false, problems: [{ field: '', message: 'the body must be a JSON object' }] };
  const problems: FieldProblem[] = unknownFields(body, AUTHENTICATE_FIELDS);
  const apiKey = body['apiKey'];
  if (typeof apiKey !== 'string' || apiKey === '' || apiKey.length > MAX_KEY_LENGTH) {
    problems.push({ field: 'apiKey', message: `apiKey is required: a non-empty string of at most ${MAX_KEY_LENGTH} characters` });
  }
  if (problems.length > 0 || typeof apiKey !== 'string') return { ok: false, problems };
  return { ok: true, value: { apiKey } };
}
