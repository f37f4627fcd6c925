// What a SCIM User or Group is in the operator's terms, and back: pure functions,
// unit-tested without a server. A SCIM User is a `User` (userName / primary email →
// spec.email, active → spec.active, names → spec.displayName, externalId kept in an
// annotation; role and workspaces from the Tenant's group mappings); a SCIM Group is
// a `Group` whose members are the Users naming it in spec.groups.
import { createHash } from 'node:crypto';
import { API_VERSION, ROLES, SOURCE_LABEL, SOURCES } from '../api/index.js';
import type { Group, Role, ScimProvisioning, Tenant, User } from '../api/index.js';
import { UNSAFE_TEXT_CHARACTERS } from '../api/schema-builder.js';
import { checkEmailDomain, normalizeEmail } from '../policy/email.js';
import type { KubeObject } from '../runtime/kinds.js';
import { invalidSyntax, invalidValue, uniqueness } from './errors.js';

/** Core schema of a SCIM User. */
export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
/** Core schema of a SCIM Group. */
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
/** The enterprise User extension Entra ID sends (accepted, not stored). */
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
/** List response schema. */
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

/** Annotation holding the identity provider's externalId of a User or Group. */
export const EXTERNAL_ID_ANNOTATION = 'accounts.blinkops.com/scim-external-id';

/** Longest externalId kept. */
export const EXTERNAL_ID_MAX_LENGTH = 256;

/** Attributes of the core User schema (RFC 7643 §4.1) a request may carry; those not stored are accepted and ignored. */
const USER_ATTRIBUTES = new Set(
  ['schemas', 'id', 'externalId', 'meta', 'userName', 'name', 'displayName', 'nickName', 'profileUrl', 'title', 'userType', 'preferredLanguage', 'locale', 'timezone', 'active', 'password', 'emails', 'phoneNumbers', 'ims', 'photos', 'addresses', 'groups', 'entitlements', 'roles', 'x509Certificates', ENTERPRISE_USER_SCHEMA].map((a) => a.toLowerCase()),
);
/** Attributes of the core Group schema (RFC 7643 §4.2). */
const GROUP_ATTRIBUTES = new Set(['schemas', 'id', 'externalId', 'meta', 'displayName', 'members'].map((a) => a.toLowerCase()));

/** A User or Group as the SCIM endpoint sees it (a cached object). */
export type UserObject = User & KubeObject;
/** A Group as the SCIM endpoint sees it. */
export type GroupObject = Group & KubeObject;

/** Whether an object was created through SCIM (or adopted by it). */
export function fromScim(object: KubeObject): boolean {
  return object.metadata?.labels?.[SOURCE_LABEL] === SOURCES.scim;
}

function get(object: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(object).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : object[key];
}

/** Checks the body is a JSON object of `schema` with no attribute outside it. */
export function checkResourceBody(body: unknown, kind: 'User' | 'Group'): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidSyntax(`The request body must be a SCIM ${kind} (a JSON object)`);
  const object = body as Record<string, unknown>;
  const schemas = get(object, 'schemas');
  const schema = kind === 'User' ? USER_SCHEMA : GROUP_SCHEMA;
  if (!Array.isArray(schemas) || !schemas.includes(schema)) throw invalidSyntax(`schemas must include ${schema}`);
  const known = kind === 'User' ? USER_ATTRIBUTES : GROUP_ATTRIBUTES;
  const unknown = Object.keys(object).filter((k) => !known.has(k.toLowerCase()));
  if (unknown.length > 0) throw invalidSyntax(`Unknown attribute${unknown.length > 1 ? 's' : ''} of a SCIM ${kind}: ${unknown.slice(0, 5).map((u) => JSON.stringify(u.slice(0, 64))).join(', ')}`);
  return object;
}

/** A SCIM boolean, also as Entra ID sends it ("True", "False"). */
export function scimBoolean(value: unknown, attribute: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw invalidValue(`${attribute} must be true or false`);
}

/** Free text made plain and short as the API admits it (no control or invisible characters, at most `max`). */
export function plainText(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  const clean = [...value.replace(new RegExp(UNSAFE_TEXT_CHARACTERS.source, 'gu'), ' ').replace(/\s+/g, ' ').trim()].slice(0, max).join('');
  return clean === '' ? undefined : clean;
}

/** What a SCIM User body asks for, in the operator's terms (role, groups and workspaces are not the User resource's to set). */
export interface PersonSpec {
  readonly email: string;
  readonly displayName: string | undefined;
  readonly active: boolean;
  readonly externalId: string | undefined;
}

/** The email of a SCIM User: userName when it is an address, else its primary (or work) email. */
function emailOf(object: Record<string, unknown>): string {
  const userName = get(object, 'userName');
  if (typeof userName !== 'string' || userName.trim() === '') throw invalidValue('userName is required');
  if (normalizeEmail(userName) !== undefined) return userName;
  const emails = get(object, 'emails');
  const list = Array.isArray(emails) ? (emails as unknown[]).filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null) : [];
  const chosen = list.find((e) => get(e, 'primary') === true || get(e, 'primary') === 'True' || get(e, 'primary') === 'true') ?? list.find((e) => get(e, 'type') === 'work') ?? list[0];
  const value = chosen ? get(chosen, 'value') : undefined;
  if (typeof value === 'string' && normalizeEmail(value) !== undefined) return value;
  throw invalidValue('userName must be an email address (plain ASCII, like jane@example.com), or the User must have a primary email that is one');
}

/**
 * Reads a SCIM User body (POST, PUT, or the result of a PATCH) into what the User declares. A new
 * person (`creating`) must have an address the tenant allows; an existing one keeps theirs (it is
 * immutable), so that a tenant that narrows its domains can still deactivate and delete people.
 */
export function personFromScim(body: unknown, tenant: Pick<Tenant, 'spec'> | undefined, creating = true): PersonSpec {
  const object = checkResourceBody(body, 'User');
  const email = emailOf(object);
  const domain = checkEmailDomain(tenant, email);
  if (creating && !domain.allowed) throw invalidValue(domain.message);
  const name = get(object, 'name');
  const names = typeof name === 'object' && name !== null ? (name as Record<string, unknown>) : {};
  const given = get(names, 'givenName');
  const family = get(names, 'familyName');
  const joined = [given, family].filter((p): p is string => typeof p === 'string' && p.trim() !== '').join(' ');
  const displayName = plainText(get(object, 'displayName'), 100) ?? plainText(get(names, 'formatted'), 100) ?? plainText(joined, 100);
  const activeValue = get(object, 'active');
  const active = activeValue === undefined || activeValue === null ? true : scimBoolean(activeValue, 'active');
  const externalId = get(object, 'externalId');
  if (externalId !== undefined && externalId !== null && (typeof externalId !== 'string' || externalId.length > EXTERNAL_ID_MAX_LENGTH)) {
    throw invalidValue(`externalId must be a string of at most ${EXTERNAL_ID_MAX_LENGTH} characters`);
  }
  return { email, displayName, active, externalId: typeof externalId === 'string' && externalId !== '' ? externalId : undefined };
}

const ROLE_RANK: Readonly<Record<Role, number>> = { Admin: 3, Builder: 2, Consumer: 1 };

/** The role of a person in the groups named `groupDisplayNames`: the highest mapped one, else the default (Consumer). */
export function roleFor(groupDisplayNames: readonly string[], scim: ScimProvisioning | undefined): Role {
  const names = new Set(groupDisplayNames.map((g) => g.toLowerCase()));
  let best: Role = scim?.defaultRole ?? 'Consumer';
  let found = false;
  for (const entry of scim?.roleMapping ?? []) {
    if (!names.has(entry.group.toLowerCase())) continue;
    if (!found || ROLE_RANK[entry.role] > ROLE_RANK[best]) best = entry.role;
    found = true;
  }
  return (ROLES as readonly string[]).includes(best) ? best : 'Consumer';
}

/** The workspaces of a person in those groups (sorted, unique). */
export function workspacesFor(groupDisplayNames: readonly string[], scim: ScimProvisioning | undefined): string[] {
  const names = new Set(groupDisplayNames.map((g) => g.toLowerCase()));
  return [...new Set((scim?.workspaceMapping ?? []).filter((m) => names.has(m.group.toLowerCase())).map((m) => m.workspace))].sort();
}

/** A DNS-label object name for a new User or Group, unique among `taken`: the readable part, then a hash of `seed` if needed. */
export function objectNameFor(readable: string, seed: string, taken: (name: string) => boolean): string {
  const base =
    readable
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 48)
      .replace(/-+$/, '') || 'scim';
  if (!taken(base)) return base;
  // Deterministic: the same seed finds the same free name (a retried create does not make a second object).
  for (let round = 0; round < 100; round++) {
    const digest = createHash('sha256').update(round === 0 ? seed : `${seed}/${round}`).digest('hex');
    const name = `${base}-${digest.slice(0, round === 0 ? 6 : 10)}`;
    if (!taken(name)) return name;
  }
  throw uniqueness(`No free object name starting with "${base}" in this tenant`);
}

/** The local part of an address, for a readable User name. */
export function localPart(email: string): string {
  return email.slice(0, Math.max(0, email.lastIndexOf('@'))) || email;
}

/** The User to server-side apply for a person (labels, externalId, spec with role and workspaces from its groups). */
export function userManifest(options: {
  readonly name: string;
  readonly namespace: string;
  readonly person: PersonSpec;
  readonly groups: readonly string[];
  readonly groupDisplayNames: readonly string[];
  readonly scim: ScimProvisioning | undefined;
  readonly resourceVersion?: string | undefined;
}): UserObject {
  const { name, namespace, person, groups, groupDisplayNames, scim } = options;
  return {
    apiVersion: API_VERSION,
    kind: 'User',
    metadata: {
      name,
      namespace,
      labels: { [SOURCE_LABEL]: SOURCES.scim },
      annotations: person.externalId !== undefined ? { [EXTERNAL_ID_ANNOTATION]: person.externalId } : {},
      ...(options.resourceVersion ? { resourceVersion: options.resourceVersion } : {}),
    },
    spec: {
      email: person.email,
      ...(person.displayName !== undefined ? { displayName: person.displayName } : {}),
      role: roleFor(groupDisplayNames, scim),
      groups: [...new Set(groups)].sort(),
      workspaces: workspacesFor(groupDisplayNames, scim),
      active: person.active,
    },
  } as UserObject;
}

/** The display name of a Group as SCIM shows it (its spec.displayName, else its name). */
export function groupDisplayName(group: GroupObject): string {
  return group.spec?.displayName ?? group.metadata?.name ?? '';
}

/** The SCIM representation of a User. */
export function userResource(user: UserObject, groups: readonly GroupObject[], baseUrl: string): Record<string, unknown> {
  const meta = user.metadata ?? {};
  const id = meta.uid ?? '';
  const email = user.spec?.email ?? '';
  const displayName = user.spec?.displayName;
  const externalId = meta.annotations?.[EXTERNAL_ID_ANNOTATION];
  return {
    schemas: [USER_SCHEMA],
    id,
    ...(externalId !== undefined ? { externalId } : {}),
    userName: email,
    ...(displayName !== undefined ? { displayName, name: { formatted: displayName } } : {}),
    active: user.spec?.active !== false,
    emails: [{ value: email, type: 'work', primary: true }],
    groups: groups.map((g) => ({ value: g.metadata?.uid ?? '', display: groupDisplayName(g), $ref: `${baseUrl}/Groups/${g.metadata?.uid ?? ''}` })),
    meta: { resourceType: 'User', created: meta.creationTimestamp, location: `${baseUrl}/Users/${id}`, version: `W/"${meta.resourceVersion ?? ''}"` },
  };
}

/** The SCIM representation of a Group. */
export function groupResource(group: GroupObject, members: readonly UserObject[], baseUrl: string, withMembers = true): Record<string, unknown> {
  const meta = group.metadata ?? {};
  const id = meta.uid ?? '';
  const externalId = meta.annotations?.[EXTERNAL_ID_ANNOTATION];
  return {
    schemas: [GROUP_SCHEMA],
    id,
    ...(externalId !== undefined ? { externalId } : {}),
    displayName: groupDisplayName(group),
    ...(withMembers ? { members: members.map((u) => ({ value: u.metadata?.uid ?? '', display: u.spec?.email ?? '', type: 'User', $ref: `${baseUrl}/Users/${u.metadata?.uid ?? ''}` })) } : {}),
    meta: { resourceType: 'Group', created: meta.creationTimestamp, location: `${baseUrl}/Groups/${id}`, version: `W/"${meta.resourceVersion ?? ''}"` },
  };
}

/** What a SCIM Group body asks for. */
export interface GroupRequest {
  readonly displayName: string;
  readonly externalId: string | undefined;
  /** Member ids (User uids), unique; undefined when the body does not say (PATCH of displayName only). */
  readonly memberIds: readonly string[] | undefined;
}

/** Reads a SCIM Group body (POST, PUT, or a PATCH result). */
export function groupFromScim(body: unknown): GroupRequest {
  const object = checkResourceBody(body, 'Group');
  const displayName = plainText(get(object, 'displayName'), 100);
  if (displayName === undefined) throw invalidValue('displayName is required (plain text, at most 100 characters)');
  const externalId = get(object, 'externalId');
  if (externalId !== undefined && externalId !== null && (typeof externalId !== 'string' || externalId.length > EXTERNAL_ID_MAX_LENGTH)) {
    throw invalidValue(`externalId must be a string of at most ${EXTERNAL_ID_MAX_LENGTH} characters`);
  }
  const members = get(object, 'members');
  let memberIds: string[] | undefined;
  if (members !== undefined && members !== null) {
    if (!Array.isArray(members)) throw invalidValue('members must be a list of {"value": "<User id>"}');
    memberIds = [];
    for (const member of members as unknown[]) {
      const value = typeof member === 'object' && member !== null ? get(member as Record<string, unknown>, 'value') : undefined;
      if (typeof value !== 'string' || value === '') throw invalidValue('each member must be {"value": "<User id>"}');
      memberIds.push(value);
    }
    memberIds = [...new Set(memberIds)];
  }
  return { displayName, externalId: typeof externalId === 'string' && externalId !== '' ? externalId : undefined, memberIds };
}

/** The Group to server-side apply for a SCIM Group. */
export function groupManifest(options: { readonly name: string; readonly namespace: string; readonly request: GroupRequest; readonly resourceVersion?: string | undefined }): GroupObject {
  const { name, namespace, request } = options;
  return {
    apiVersion: API_VERSION,
    kind: 'Group',
    metadata: {
      name,
      namespace,
      labels: { [SOURCE_LABEL]: SOURCES.scim },
      annotations: request.externalId !== undefined ? { [EXTERNAL_ID_ANNOTATION]: request.externalId } : {},
      ...(options.resourceVersion ? { resourceVersion: options.resourceVersion } : {}),
    },
    spec: { displayName: request.displayName },
  } as GroupObject;
}
