// The pure model of PRODUCT.md the hostile-input scenario judges the cluster by:
// given what a person sent (a manifest, or a merge patch of one) it says whether
// admission must reject it and which field the message must name; given the spec
// an object ends with, it says the outcome (Ready, reason, phase, workspaces,
// groups, RoleBinding role, Secrets). It is written from the spec and the field
// descriptions of the kinds, not from the operator's validators or planners, so a
// wrong rule there shows up as a mismatch here (hostile-model.unit.test.ts pins it to
// hand-picked rows).

/** The kinds the scenario writes. */
export type Kind = 'User' | 'ServiceAccount' | 'Workspace' | 'Group';

/** A JSON value as sent. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** What admission must say: admitted, or rejected naming one of `fields`. */
export interface AdmissionVerdict {
  readonly admitted: boolean;
  /** The fields that are wrong (paths as kubectl shows them, without list indexes). */
  readonly fields: readonly string[];
}

const ROLES = ['Admin', 'Builder', 'Consumer'];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// RFC 5322 atext without the backtick, a DNS domain of at least two labels, ASCII only.
const EMAIL_LOCAL = /^[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+$/;
const DOMAIN_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const DATA_KEY = /^[-._a-zA-Z0-9]+$/;
const DURATION = /^(0|([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+)$/;
const RESERVED_DATA_KEY = 'previousKeyHash';

/** Characters as the API server counts them for maxLength (code points, not UTF-16 units). */
export function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** True when `email` is a plain ASCII address `local@domain.tld` of at most 254 characters. */
export function isPlainEmail(email: unknown): email is string {
  if (typeof email !== 'string' || codePoints(email) > 254) return false;
  const at = email.lastIndexOf('@');
  if (at <= 0) return false;
  const local = email.slice(0, at);
  const labels = email.slice(at + 1).split('.');
  return EMAIL_LOCAL.test(local) && labels.length >= 2 && labels.every((l) => DOMAIN_LABEL.test(l));
}

/** The form RBAC binds and the access API matches: the admitted address, lowercased. */
export function bindingEmail(email: string): string {
  return email.toLowerCase();
}

/** Milliseconds of a Go duration; undefined when it is not one. */
export function durationMs(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6 };
  let total = 0;
  for (const m of text.matchAll(/([0-9]+(?:[.][0-9]+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(m[1]) * (unit[m[2] ?? ''] ?? NaN);
  return total;
}

const isObject = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/**
 * Largest counter (resend, revision): 2^53-1. The schema says int64, but a counter past what a
 * JSON client holds exactly cannot be acted on faithfully (2^63-1 stalled the operator), so
 * admission stops it there.
 */
export const COUNTER_MAX = 2n ** 53n - 1n;

/**
 * A JSON integer exactly: a safe JavaScript integer, or `{ $raw: "<digits>" }` for one JavaScript
 * cannot hold (the scenario writes those digits into the request body as they are).
 */
export function bigOf(value: Json | undefined): bigint | undefined {
  if (isInt(value)) return BigInt(value);
  if (isObject(value) && typeof value['$raw'] === 'string' && Object.keys(value).length === 1 && /^-?[0-9]+$/.test(value['$raw'])) return BigInt(value['$raw']);
  return undefined;
}

/** The body of a request, with `{ $raw }` integers written out digit for digit. */
export function rawJson(value: Json): string {
  return JSON.stringify(value).replace(/\{"\$raw":"(-?[0-9]+)"\}/g, '$1');
}

/** Sets an own property, even one named __proto__ (a hostile key must stay data, never a prototype). */
export function setOwn(target: Record<string, Json>, key: string, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** RFC 7386 JSON merge patch: objects merge, null removes, anything else replaces. */
export function mergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const result: Record<string, Json> = {};
  if (isObject(target)) for (const [k, v] of Object.entries(target)) setOwn(result, k, v);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete result[k];
    else setOwn(result, k, mergePatch(result[k], v));
  }
  return result;
}

/** Drops null members recursively: the API server prunes nulls of non-nullable fields before it validates. */
export function withoutNulls(value: Json): Json {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (!isObject(value)) return value;
  const result: Record<string, Json> = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) setOwn(result, k, withoutNulls(v));
  return result;
}

class Problems {
  readonly fields: string[] = [];
  add(field: string): void {
    if (!this.fields.includes(field)) this.fields.push(field);
  }
}

/**
 * Free text is plain text on one line (issue 22, point 7): no control character (C0, DEL, C1) and no
 * invisible formatting (Arabic letter mark, zero-width space, LRM/RLM, line and paragraph separators,
 * bidi embeddings/overrides/isolates, word joiner and the other U+2060-U+206F, byte order mark).
 * Zero-width (non-)joiners are text: emoji sequences and several scripts need them.
 */
function plainText(value: string): boolean {
  for (const char of value) {
    const c = char.codePointAt(0) ?? 0;
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f) || c === 0x61c || c === 0x200b || c === 0x200e || c === 0x200f) return false;
    if ((c >= 0x2028 && c <= 0x202e) || (c >= 0x2060 && c <= 0x206f) || c === 0xfeff) return false;
  }
  return true;
}

function text(p: Problems, field: string, value: Json | undefined, maxLength: number, minLength = 0): void {
  if (value === undefined) return;
  if (typeof value !== 'string' || codePoints(value) > maxLength || codePoints(value) < minLength || !plainText(value)) p.add(field);
}

function names(p: Problems, field: string, value: Json | undefined, maxItems: number): void {
  if (value === undefined) return;
  if (!Array.isArray(value) || value.length > maxItems) return p.add(field);
  const seen = new Set<Json>();
  for (const item of value) {
    if (typeof item !== 'string' || item.length > 63 || !DNS_LABEL.test(item) || seen.has(item)) p.add(field);
    seen.add(item);
  }
}

function unknownFields(p: Problems, prefix: string, value: Record<string, Json>, known: readonly string[], strict: boolean): void {
  if (!strict) return;
  for (const key of Object.keys(value)) if (!known.includes(key)) p.add(`${prefix}.${key}`);
}

function counter(p: Problems, field: string, value: Json | undefined, old: Json | undefined): void {
  if (value === undefined) return;
  const n = bigOf(value);
  if (n === undefined || n < 0n || n > COUNTER_MAX) return p.add(field);
  const before = bigOf(old);
  if (before !== undefined && n < before) p.add(field);
}

function duration(p: Problems, field: string, value: Json | undefined, minMs: number, maxMs: number): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'string' && codePoints(value) <= 64 ? durationMs(value) : undefined;
  if (ms === undefined || ms < minMs || ms > maxMs) {
    p.add(field);
    return undefined;
  }
  return ms;
}

function userSpec(p: Problems, spec: Record<string, Json>, old: Record<string, Json> | undefined, strict: boolean): void {
  unknownFields(p, 'spec', spec, ['email', 'displayName', 'role', 'groups', 'workspaces', 'active', 'invitation'], strict);
  if (!isPlainEmail(spec['email'])) p.add('spec.email');
  else if (old && old['email'] !== spec['email']) p.add('spec.email');
  if (typeof spec['role'] !== 'string' || !ROLES.includes(spec['role'])) p.add('spec.role');
  text(p, 'spec.displayName', spec['displayName'], 100);
  names(p, 'spec.groups', spec['groups'], 100);
  names(p, 'spec.workspaces', spec['workspaces'], 100);
  if (spec['active'] !== undefined && typeof spec['active'] !== 'boolean') p.add('spec.active');
  const invitation = spec['invitation'];
  if (invitation !== undefined) {
    if (!isObject(invitation)) p.add('spec.invitation');
    else {
      unknownFields(p, 'spec.invitation', invitation, ['resend'], strict);
      const oldInvitation = old?.['invitation'];
      counter(p, 'spec.invitation.resend', invitation['resend'] ?? 0, isObject(oldInvitation) ? (oldInvitation['resend'] ?? 0) : old ? 0 : undefined);
    }
  }
}

function serviceAccountSpec(p: Problems, spec: Record<string, Json>, old: Record<string, Json> | undefined, strict: boolean): void {
  unknownFields(p, 'spec', spec, ['description', 'role', 'workspaces', 'keyRotation', 'secretTemplate'], strict);
  text(p, 'spec.description', spec['description'], 500);
  if (typeof spec['role'] !== 'string' || !ROLES.includes(spec['role'])) p.add('spec.role');
  names(p, 'spec.workspaces', spec['workspaces'], 100);
  const rotation = spec['keyRotation'];
  if (rotation !== undefined) {
    if (!isObject(rotation)) p.add('spec.keyRotation');
    else {
      unknownFields(p, 'spec.keyRotation', rotation, ['revision', 'gracePeriod', 'every', 'restartTargets'], strict);
      const oldRotation = old?.['keyRotation'];
      counter(p, 'spec.keyRotation.revision', rotation['revision'] ?? 0, isObject(oldRotation) ? (oldRotation['revision'] ?? 0) : old ? 0 : undefined);
      const grace = duration(p, 'spec.keyRotation.gracePeriod', rotation['gracePeriod'], 0, 168 * 3.6e6) ?? 0;
      const every = duration(p, 'spec.keyRotation.every', rotation['every'], 3.6e6, 8760 * 3.6e6);
      if (every !== undefined && !(every > grace)) p.add('spec.keyRotation.every');
      if (rotation['restartTargets'] !== undefined) p.add('spec.keyRotation.restartTargets'); // the scenario never sends valid ones
    }
  }
  const template = spec['secretTemplate'];
  if (template !== undefined) {
    if (!isObject(template)) p.add('spec.secretTemplate');
    else {
      unknownFields(p, 'spec.secretTemplate', template, ['labels', 'annotations', 'keyName', 'data'], strict);
      const keyName = template['keyName'];
      if (keyName !== undefined && (typeof keyName !== 'string' || keyName.length > 253 || !DATA_KEY.test(keyName) || keyName === RESERVED_DATA_KEY)) {
        p.add('spec.secretTemplate.keyName');
      }
      const data = template['data'];
      if (data !== undefined) {
        if (!isObject(data) || Object.keys(data).length > 16) p.add('spec.secretTemplate.data');
        else {
          for (const [k, v] of Object.entries(data)) {
            if (k.length > 253 || !DATA_KEY.test(k) || k === RESERVED_DATA_KEY || k === (keyName ?? 'apiKey')) p.add('spec.secretTemplate.data');
            if (typeof v !== 'string' || codePoints(v) > 4096) p.add('spec.secretTemplate.data');
          }
        }
      }
      if (template['labels'] !== undefined || template['annotations'] !== undefined) p.add('spec.secretTemplate'); // never sent
    }
  }
}

function memberSpec(p: Problems, spec: Record<string, Json>, strict: boolean): void {
  unknownFields(p, 'spec', spec, ['displayName', 'description'], strict);
  text(p, 'spec.displayName', spec['displayName'], 100);
  text(p, 'spec.description', spec['description'], 500);
}

/**
 * What admission must say about `object` (apiVersion and kind aside) as created (no `old`)
 * or as the result of an update of `old` (the stored spec). `strict`: the client asked for
 * strict field validation (kubectl's default), so unknown fields are errors, not pruned.
 */
export function admission(kind: Kind, object: Record<string, Json>, old: Record<string, Json> | undefined, strict: boolean): AdmissionVerdict {
  const p = new Problems();
  const cleaned = withoutNulls(object) as Record<string, Json>;
  unknownFields(p, '', cleaned, ['metadata', 'spec'], strict);
  // Unknown top-level fields are reported as ".field"; kubectl shows them without the dot.
  p.fields.splice(0, p.fields.length, ...p.fields.map((f) => f.replace(/^\./, '')));
  const metadata = cleaned['metadata'];
  const name = isObject(metadata) ? metadata['name'] : undefined;
  if (typeof name !== 'string' || name.length > 63 || !DNS_LABEL.test(name)) p.add('metadata.name');
  // A name that is not a string fails JSON decoding, which names the Go field.
  if (name !== undefined && typeof name !== 'string') p.add('ObjectMeta.name');
  const spec = cleaned['spec'];
  if (spec === undefined) {
    if (kind === 'User' || kind === 'ServiceAccount') p.add('spec');
  } else if (!isObject(spec)) p.add('spec');
  else if (kind === 'User') userSpec(p, spec, old, strict);
  else if (kind === 'ServiceAccount') serviceAccountSpec(p, spec, old, strict);
  else memberSpec(p, spec, strict);
  return { admitted: p.fields.length === 0, fields: p.fields };
}

/** The spec of an admitted object with the defaults the schema fills in. */
export interface UserIntent {
  readonly email: string;
  readonly role: string;
  readonly groups: readonly string[];
  readonly workspaces: readonly string[];
  readonly active: boolean;
  readonly resend: number;
}

/** The spec of an admitted ServiceAccount with its defaults. */
export interface ServiceAccountIntent {
  readonly role: string;
  readonly workspaces: readonly string[];
  readonly revision: number;
  readonly keyName: string;
  readonly data: Readonly<Record<string, string>>;
}

/** The declared facts of an admitted User's spec. */
export function userIntent(spec: Record<string, Json>): UserIntent {
  const invitation = spec['invitation'];
  return {
    email: spec['email'] as string,
    role: spec['role'] as string,
    groups: (spec['groups'] as string[] | undefined) ?? [],
    workspaces: (spec['workspaces'] as string[] | undefined) ?? [],
    active: spec['active'] !== false,
    resend: isObject(invitation) ? Number(bigOf(invitation['resend']) ?? 0n) : 0,
  };
}

/** The declared facts of an admitted ServiceAccount's spec. */
export function serviceAccountIntent(spec: Record<string, Json>): ServiceAccountIntent {
  const rotation = spec['keyRotation'];
  const template = isObject(spec['secretTemplate']) ? spec['secretTemplate'] : {};
  return {
    role: spec['role'] as string,
    workspaces: (spec['workspaces'] as string[] | undefined) ?? [],
    revision: isObject(rotation) ? Number(bigOf(rotation['revision']) ?? 0n) : 0,
    keyName: typeof template['keyName'] === 'string' ? template['keyName'] : 'apiKey',
    data: isObject(template['data']) ? (template['data'] as Record<string, string>) : {},
  };
}

/** What exists around an object: the tenant's settings and the Groups and Workspaces present. */
export interface World {
  readonly allowedEmailDomains: readonly string[];
  readonly workspaces: ReadonlySet<string>;
  readonly groups: ReadonlySet<string>;
  /** One email is one person: the User that owns each (lowercased) email, the oldest. @default nobody's email is taken */
  readonly emailOwners?: ReadonlyMap<string, string>;
}

/** The owner of each email among `users` (name, email, creationTimestamp): the oldest, then by name (policy/principals.ts emailOwner). */
export function emailOwnersOf(users: Iterable<{ readonly name: string; readonly email: string; readonly createdAt: string }>): Map<string, string> {
  const oldest = new Map<string, { name: string; createdAt: string }>();
  for (const u of users) {
    const email = bindingEmail(u.email);
    const seen = oldest.get(email);
    const older = !seen || Date.parse(u.createdAt) < Date.parse(seen.createdAt) || (Date.parse(u.createdAt) === Date.parse(seen.createdAt) && u.name.localeCompare(seen.name) < 0);
    if (older) oldest.set(email, { name: u.name, createdAt: u.createdAt });
  }
  return new Map([...oldest].map(([email, o]) => [email, o.name]));
}

/** The outcome the spec says an object settles at. */
export interface Expected {
  readonly ready: 'True' | 'False';
  readonly reason: string;
  /** User: Invited, Active or Inactive. */
  readonly phase?: string;
  /** status.workspaces (sorted). */
  readonly workspaces?: readonly string[];
  /** User: status.groups (sorted). */
  readonly groups?: readonly string[];
  /** User: the ClusterRole its RoleBinding names and the subject, or null for no RoleBinding. */
  readonly binding?: { readonly clusterRole: string; readonly subject: string } | null;
  /** ServiceAccount: API-key Secrets it owns (always exactly one) and their data keys. */
  readonly apiKeySecrets?: number;
  readonly keyRevision?: number;
  readonly secretData?: Readonly<Record<string, string>>;
  readonly keyName?: string;
}

const sorted = (list: Iterable<string>): string[] => [...new Set(list)].sort();

/** The domain of an address, lowercased. */
export function domainOf(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}

/**
 * A User (§3, §1 R4-R8, §6): a domain outside allowedEmailDomains is Ready=False
 * EmailDomainNotAllowed with no access; a User whose email an older User has (`name`, with
 * `world.emailOwners`) is Ready=False DuplicateEmail with no access; otherwise Inactive when spec.active is false
 * (converged: Ready=True), Active once accepted (Ready=True, a RoleBinding to the role's
 * ClusterRole for the lowercased email), else Invited (Ready=False InvitationPending).
 * Memberships are the declared Groups and Workspaces that exist, whatever the role.
 */
export function expectedUser(intent: UserIntent, accepted: boolean, world: World, name?: string): Expected {
  const groups = sorted(intent.groups.filter((g) => world.groups.has(g)));
  const workspaces = sorted(intent.workspaces.filter((w) => world.workspaces.has(w)));
  const allowed = world.allowedEmailDomains.length === 0 || world.allowedEmailDomains.includes(domainOf(intent.email));
  if (!allowed) return { ready: 'False', reason: 'EmailDomainNotAllowed', phase: intent.active ? 'Invited' : 'Inactive', groups, workspaces, binding: null };
  // Another, older User has this email: no invitation, no access (§ one email, one person).
  const owner = world.emailOwners?.get(bindingEmail(intent.email));
  if (name !== undefined && owner !== undefined && owner !== name) {
    return { ready: 'False', reason: 'DuplicateEmail', phase: intent.active ? (accepted ? 'Active' : 'Invited') : 'Inactive', groups, workspaces, binding: null };
  }
  if (!intent.active) return { ready: 'True', reason: 'Inactive', phase: 'Inactive', groups, workspaces, binding: null };
  if (!accepted) return { ready: 'False', reason: 'InvitationPending', phase: 'Invited', groups, workspaces, binding: null };
  return {
    ready: 'True',
    reason: 'Active',
    phase: 'Active',
    groups,
    workspaces,
    binding: { clusterRole: `blink-accounts-${intent.role.toLowerCase()}`, subject: bindingEmail(intent.email) },
  };
}

/**
 * A ServiceAccount (§4, R10-R14): exactly one API-key Secret, for the declared revision,
 * holding the key under keyName plus the template's data; Ready=True when every listed
 * workspace exists, else Ready=False MissingReferences. An Admin acts in every workspace,
 * a Builder or Consumer in the listed ones that exist.
 */
export function expectedServiceAccount(intent: ServiceAccountIntent, world: World): Expected {
  const missing = intent.workspaces.filter((w) => !world.workspaces.has(w));
  const workspaces = intent.role === 'Admin' ? sorted(world.workspaces) : sorted(intent.workspaces.filter((w) => world.workspaces.has(w)));
  return {
    ready: missing.length === 0 ? 'True' : 'False',
    reason: missing.length === 0 ? 'Ready' : 'MissingReferences',
    workspaces,
    apiKeySecrets: 1,
    keyRevision: intent.revision,
    secretData: intent.data,
    keyName: intent.keyName,
  };
}

/** A Workspace or Group: Ready=True, listing the Users (and for Workspaces the ServiceAccounts) that name it, in any phase. */
export function expectedMembers(
  kind: 'Workspace' | 'Group',
  name: string,
  users: ReadonlyMap<string, UserIntent>,
  serviceAccounts: ReadonlyMap<string, ServiceAccountIntent>,
): { users: string[]; serviceAccounts?: string[] } {
  const listing = (list: readonly string[]) => list.includes(name);
  const userNames = sorted([...users].filter(([, u]) => listing(kind === 'Group' ? u.groups : u.workspaces)).map(([n]) => n));
  if (kind === 'Group') return { users: userNames };
  return { users: userNames, serviceAccounts: sorted([...serviceAccounts].filter(([, s]) => listing(s.workspaces)).map(([n]) => n)) };
}

/** The actions of the access API (§5). */
export const ACTIONS = ['read', 'write', 'execute', 'portal', 'settings'] as const;
/** An action of the access API. */
export type AccessAction = (typeof ACTIONS)[number];

/**
 * The permission matrix of §1, as the access API must answer it: a principal without access
 * (a User not Active, outside the allowed domains, unknown; a deleted ServiceAccount or a dead
 * key) may do nothing; Admin everything in every existing workspace; Builder read, write and
 * execute, Consumer read and write, in the listed workspaces that exist; everyone with access
 * the portal; only Admin the tenant settings.
 */
export function expectedAllowed(principal: { readonly access: boolean; readonly role: string; readonly workspaces: readonly string[] } | undefined, action: AccessAction, workspace: string | undefined, world: World): boolean {
  if (!principal?.access) return false;
  if (action === 'portal') return true;
  if (action === 'settings') return principal.role === 'Admin';
  if (workspace === undefined || !world.workspaces.has(workspace)) return false;
  if (principal.role === 'Admin') return true;
  if (!principal.workspaces.includes(workspace)) return false;
  return action !== 'execute' || principal.role === 'Builder';
}
