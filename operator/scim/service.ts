// The SCIM resources of one tenant over the operator's caches and the Kubernetes
// API: Users and Groups read from the shared caches, written with the SCIM field
// manager (server-side apply) so that everything the API server enforces
// (schema, CEL, the email-domain admission policy, RBAC) still decides. Writes of
// one tenant run one at a time, and each waits until the cache shows it, so that
// the next request (Entra ID and Okta read right after they write) sees it.
import { ACCOUNT_KINDS, SCIM_FIELD_MANAGER } from '../api/index.js';
import type { ScimProvisioning, Tenant } from '../api/index.js';
import type { Cached, OperatorContext } from '../context.js';
import { normalizeEmail } from '../policy/email.js';
import type { Clock } from '../runtime/clock.js';
import { isNotFound } from '../runtime/errors.js';
import type { Informer } from '../runtime/informer.js';
import type { KubeObject } from '../runtime/kinds.js';
import type { KubeWriter } from '../runtime/kube-writer.js';
import { fromKubeError, invalidValue, mutability, notFound, ScimError, uniqueness } from './errors.js';
import { compileFilter, pagingOf } from './filter.js';
import {
  EXTERNAL_ID_ANNOTATION,
  fromScim,
  groupDisplayName,
  groupFromScim,
  groupManifest,
  groupResource,
  LIST_SCHEMA,
  localPart,
  objectNameFor,
  personFromScim,
  userManifest,
  userResource,
} from './mapping.js';
import type { GroupObject, GroupRequest, PersonSpec, UserObject } from './mapping.js';
import { applyPatch, normalisePatch } from './patch.js';

/** One tenant's SCIM endpoint as a request sees it. */
export interface TenantScope {
  readonly tenant: Cached<Tenant>;
  readonly namespace: string;
  readonly baseUrl: string;
}

/** An answer: status and body (undefined: no body). */
export interface ScimResult {
  readonly status: number;
  readonly body?: Record<string, unknown>;
  readonly location?: string;
}

/** What the service reads and writes through. */
export interface ScimServiceDeps {
  readonly ctx: Pick<OperatorContext, 'caches' | 'indexes'>;
  readonly client: KubeWriter;
  readonly clock: Clock;
  readonly maxPageSize: number;
  /** Longest wait for the cache to show a write. @default 5_000 */
  readonly cacheWaitMs?: number;
}

const byAge = (a: KubeObject, b: KubeObject): number =>
  (a.metadata?.creationTimestamp ?? '').localeCompare(b.metadata?.creationTimestamp ?? '') || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');

const live = (o: KubeObject): boolean => !o.metadata?.deletionTimestamp;

function personOf(user: UserObject): PersonSpec {
  return {
    email: user.spec.email,
    displayName: user.spec.displayName,
    active: user.spec.active !== false,
    externalId: user.metadata?.annotations?.[EXTERNAL_ID_ANNOTATION],
  };
}

/** The SCIM Users and Groups of tenants. */
export class ScimService {
  constructor(private readonly deps: ScimServiceDeps) {}

  private scim(scope: TenantScope): ScimProvisioning | undefined {
    return scope.tenant.spec?.provisioning?.scim;
  }

  /** Users SCIM may see and change: made through SCIM, or any when the Tenant lets SCIM adopt. */
  private visibleUser(scope: TenantScope, user: UserObject): boolean {
    return live(user) && (fromScim(user) || this.scim(scope)?.adoptExistingUsers === true);
  }

  private users(scope: TenantScope): UserObject[] {
    return (this.deps.ctx.caches.users.byIndex('namespace', scope.namespace) as UserObject[]).filter((u) => this.visibleUser(scope, u)).sort(byAge);
  }

  private allGroups(scope: TenantScope): GroupObject[] {
    return this.deps.ctx.caches.groups.byIndex('namespace', scope.namespace) as GroupObject[];
  }

  /** Groups SCIM sees: the ones it made (Git-declared Groups are never changed through SCIM). */
  private groups(scope: TenantScope): GroupObject[] {
    return this.allGroups(scope)
      .filter((g) => live(g) && fromScim(g))
      .sort(byAge);
  }

  private userById(scope: TenantScope, id: string): UserObject {
    const user = this.users(scope).find((u) => u.metadata?.uid === id);
    if (!user) throw notFound(`User ${id.slice(0, 64)}`);
    return user;
  }

  private groupById(scope: TenantScope, id: string): GroupObject {
    const group = this.groups(scope).find((g) => g.metadata?.uid === id);
    if (!group) throw notFound(`Group ${id.slice(0, 64)}`);
    return group;
  }

  /** The SCIM Groups a User is in; `byName` (the tenant's SCIM Groups by name) saves looking them up again per User of a list. */
  private groupsOf(scope: TenantScope, user: UserObject, byName?: ReadonlyMap<string, GroupObject>): GroupObject[] {
    const groups = byName ?? new Map(this.groups(scope).map((g) => [g.metadata?.name ?? '', g]));
    return (user.spec.groups ?? []).map((name) => groups.get(name)).filter((g): g is GroupObject => g !== undefined);
  }

  private membersOf(scope: TenantScope, group: GroupObject): UserObject[] {
    const name = group.metadata?.name ?? '';
    return this.users(scope).filter((u) => (u.spec.groups ?? []).includes(name));
  }

  private userJson(scope: TenantScope, user: UserObject, byName?: ReadonlyMap<string, GroupObject>): Record<string, unknown> {
    return userResource(user, this.groupsOf(scope, user, byName), scope.baseUrl);
  }

  /** Waits until `informer` shows the object at `resourceVersion` (or gone, for undefined); gives up quietly after the bound. */
  private async settled(informer: Informer<KubeObject>, key: string, resourceVersion: string | undefined): Promise<void> {
    const deadline = this.deps.clock.now() + (this.deps.cacheWaitMs ?? 5_000);
    for (;;) {
      const cached = informer.get(key);
      if (resourceVersion === undefined ? !cached || cached.metadata?.deletionTimestamp : cached?.metadata?.resourceVersion === resourceVersion) return;
      if (resourceVersion !== undefined && cached && Number(cached.metadata?.resourceVersion) > Number(resourceVersion)) return;
      if (this.deps.clock.now() > deadline) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  private async applyUser(scope: TenantScope, name: string, person: PersonSpec, groups: readonly string[], displayNames?: ReadonlyMap<string, string>): Promise<UserObject> {
    const byName = new Map(this.allGroups(scope).map((g) => [g.metadata?.name ?? '', groupDisplayName(g)]));
    const groupDisplayNames = groups.map((g) => displayNames?.get(g) ?? byName.get(g) ?? g);
    const manifest = userManifest({ name, namespace: scope.namespace, person, groups, groupDisplayNames, scim: this.scim(scope) });
    const written = await this.deps.client.apply<UserObject>(ACCOUNT_KINDS.user, manifest, { fieldManager: SCIM_FIELD_MANAGER, force: true }).catch((e: unknown) => {
      throw fromKubeError(e);
    });
    await this.settled(this.deps.ctx.caches.users as unknown as Informer<KubeObject>, `${scope.namespace}/${name}`, written.metadata?.resourceVersion);
    return written;
  }

  // ---- Users ----

  /** GET /Users (filter, startIndex, count). */
  listUsers(scope: TenantScope, query: URLSearchParams): ScimResult {
    const filterText = query.get('filter');
    const predicate = filterText !== null && filterText !== '' ? compileFilter(filterText, 'User') : undefined;
    const paging = pagingOf(query, this.deps.maxPageSize);
    const byName = new Map(this.groups(scope).map((g) => [g.metadata?.name ?? '', g]));
    // What identity providers ask before every create, `userName eq "<address>"`, is one index lookup.
    const email = filterText ? userNameLookup(filterText) : undefined;
    const candidates =
      email !== undefined
        ? (this.deps.ctx.indexes.usersByEmail.get(`${scope.namespace}/${email}`) as UserObject[]).filter((u) => this.visibleUser(scope, u)).sort(byAge)
        : this.users(scope);
    const matching = candidates.map((u) => this.userJson(scope, u, byName)).filter((r) => predicate?.(r) ?? true);
    return { status: 200, body: listResponse(matching, paging.startIndex, paging.count) };
  }

  /** GET /Users/{id}. */
  getUser(scope: TenantScope, id: string): ScimResult {
    return { status: 200, body: this.userJson(scope, this.userById(scope, id)) };
  }

  /** POST /Users. */
  async createUser(scope: TenantScope, body: unknown): Promise<ScimResult> {
    const person = personFromScim(body, scope.tenant);
    const email = normalizeEmail(person.email) ?? '';
    const all = this.deps.ctx.caches.users.byIndex('namespace', scope.namespace) as UserObject[];
    const sameEmail = all.filter((u) => live(u) && normalizeEmail(u.spec.email) === email);
    const existing = sameEmail.sort(byAge)[0];
    if (existing) {
      if (fromScim(existing)) throw uniqueness(`A User with userName ${email} already exists (id ${existing.metadata?.uid ?? ''})`);
      if (this.scim(scope)?.adoptExistingUsers !== true) {
        throw uniqueness(`A User with userName ${email} exists that was not created through SCIM (declared in Git or made with the CLI); SCIM does not change it unless the Tenant sets spec.provisioning.scim.adoptExistingUsers`);
      }
      // The address keeps the spelling the User has (spec.email is immutable, even its case).
      const adopted = await this.applyUser(scope, existing.metadata?.name ?? '', { ...person, email: existing.spec.email }, existing.spec.groups ?? []);
      return this.created(scope, adopted);
    }
    const name = objectNameFor(localPart(email), email, (n) => all.some((u) => u.metadata?.name === n));
    const manifest = userManifest({ name, namespace: scope.namespace, person, groups: [], groupDisplayNames: [], scim: this.scim(scope) });
    const created = await this.deps.client.create<UserObject>(ACCOUNT_KINDS.user, manifest, { fieldManager: SCIM_FIELD_MANAGER }).catch((e: unknown) => {
      throw fromKubeError(e);
    });
    await this.settled(this.deps.ctx.caches.users as unknown as Informer<KubeObject>, `${scope.namespace}/${name}`, created.metadata?.resourceVersion);
    return this.created(scope, created);
  }

  private created(scope: TenantScope, user: UserObject): ScimResult {
    const cached = (this.deps.ctx.caches.users.get(`${scope.namespace}/${user.metadata?.name ?? ''}`) as UserObject | undefined) ?? user;
    const body = this.userJson(scope, cached);
    return { status: 201, body, location: `${scope.baseUrl}/Users/${cached.metadata?.uid ?? ''}` };
  }

  private async replacePerson(scope: TenantScope, user: UserObject, person: PersonSpec): Promise<ScimResult> {
    if (normalizeEmail(person.email) !== normalizeEmail(user.spec.email)) {
      throw mutability(`userName (the User's email) cannot change: it is ${user.spec.email}. Delete the User and create it again with the new address`);
    }
    // The address keeps the spelling the User has (the API makes spec.email immutable, even its case).
    const written = await this.applyUser(scope, user.metadata?.name ?? '', { ...person, email: user.spec.email }, user.spec.groups ?? []);
    return { status: 200, body: this.userJson(scope, (this.deps.ctx.caches.users.get(`${scope.namespace}/${written.metadata?.name ?? ''}`) as UserObject | undefined) ?? written) };
  }

  /** PUT /Users/{id}. */
  async replaceUser(scope: TenantScope, id: string, body: unknown): Promise<ScimResult> {
    const user = this.userById(scope, id);
    return this.replacePerson(scope, user, personFromScim(body, scope.tenant, false));
  }

  /** PATCH /Users/{id}. */
  async patchUser(scope: TenantScope, id: string, body: unknown): Promise<ScimResult> {
    const user = this.userById(scope, id);
    const operations = normalisePatch(body);
    const before = this.userJson(scope, user);
    const after = applyPatch(before, operations);
    if (after['id'] !== before['id']) throw mutability('id cannot change');
    // The display name is shown as both displayName and name.formatted: a PATCH of the name alone renames.
    if (JSON.stringify(after['displayName']) === JSON.stringify(before['displayName']) && JSON.stringify(after['name']) !== JSON.stringify(before['name'])) delete after['displayName'];
    const person = refusingUnknownPaths(() => personFromScim(after, scope.tenant, false));
    if (JSON.stringify(personOf(user)) === JSON.stringify({ ...person, email: user.spec.email }) && normalizeEmail(person.email) === normalizeEmail(user.spec.email)) {
      return { status: 200, body: before };
    }
    return this.replacePerson(scope, user, person);
  }

  /** DELETE /Users/{id}: the User goes, with everything it had (its RoleBinding, its invitation). */
  async deleteUser(scope: TenantScope, id: string): Promise<ScimResult> {
    const user = this.userById(scope, id);
    const name = user.metadata?.name ?? '';
    await this.deps.client.delete(ACCOUNT_KINDS.user, scope.namespace, name, { preconditions: { uid: id } }).catch((e: unknown) => {
      if (!isNotFound(e)) throw fromKubeError(e);
    });
    await this.settled(this.deps.ctx.caches.users as unknown as Informer<KubeObject>, `${scope.namespace}/${name}`, undefined);
    return { status: 204 };
  }

  // ---- Groups ----

  private groupJson(scope: TenantScope, group: GroupObject, withMembers = true): Record<string, unknown> {
    return groupResource(group, withMembers ? this.membersOf(scope, group) : [], scope.baseUrl, withMembers);
  }

  /** GET /Groups. */
  listGroups(scope: TenantScope, query: URLSearchParams): ScimResult {
    const filterText = query.get('filter');
    const predicate = filterText !== null && filterText !== '' ? compileFilter(filterText, 'Group') : undefined;
    const paging = pagingOf(query, this.deps.maxPageSize);
    const withMembers = !excludes(query, 'members');
    const matching = this.groups(scope)
      .map((g) => ({ full: this.groupJson(scope, g, true), shown: g }))
      .filter((r) => predicate?.(r.full) ?? true)
      .map((r) => (withMembers ? r.full : this.groupJson(scope, r.shown, false)));
    return { status: 200, body: listResponse(matching, paging.startIndex, paging.count) };
  }

  /** GET /Groups/{id}. */
  getGroup(scope: TenantScope, id: string, query: URLSearchParams): ScimResult {
    return { status: 200, body: this.groupJson(scope, this.groupById(scope, id), !excludes(query, 'members')) };
  }

  private checkMembers(scope: TenantScope, ids: readonly string[] | undefined): UserObject[] {
    if (ids === undefined) return [];
    const users = new Map(this.users(scope).map((u) => [u.metadata?.uid ?? '', u]));
    const missing = ids.filter((id) => !users.has(id));
    if (missing.length > 0) throw invalidValue(`No such User${missing.length > 1 ? 's' : ''} in this tenant: ${missing.slice(0, 5).map((m) => m.slice(0, 64)).join(', ')}`);
    return ids.map((id) => users.get(id) as UserObject);
  }

  private displayNameTaken(scope: TenantScope, displayName: string, except?: string): boolean {
    return this.groups(scope).some((g) => g.metadata?.uid !== except && groupDisplayName(g).toLowerCase() === displayName.toLowerCase());
  }

  /** POST /Groups. */
  async createGroup(scope: TenantScope, body: unknown): Promise<ScimResult> {
    const request = groupFromScim(body);
    if (this.displayNameTaken(scope, request.displayName)) throw uniqueness(`A Group with displayName "${request.displayName}" already exists`);
    const members = this.checkMembers(scope, request.memberIds);
    const taken = new Set(this.allGroups(scope).map((g) => g.metadata?.name ?? ''));
    const name = objectNameFor(request.displayName, `${request.displayName}/${request.externalId ?? ''}`, (n) => taken.has(n));
    const created = await this.deps.client.create<GroupObject>(ACCOUNT_KINDS.group, groupManifest({ name, namespace: scope.namespace, request }), { fieldManager: SCIM_FIELD_MANAGER }).catch((e: unknown) => {
      throw fromKubeError(e);
    });
    await this.settled(this.deps.ctx.caches.groups as unknown as Informer<KubeObject>, `${scope.namespace}/${name}`, created.metadata?.resourceVersion);
    await this.setMembers(scope, name, request.displayName, [], members);
    const group = (this.deps.ctx.caches.groups.get(`${scope.namespace}/${name}`) as GroupObject | undefined) ?? created;
    return { status: 201, body: this.groupJson(scope, group), location: `${scope.baseUrl}/Groups/${group.metadata?.uid ?? ''}` };
  }

  /** Moves the group's membership from `before` to `after` (the Users' spec.groups, and their roles with it). */
  private async setMembers(scope: TenantScope, name: string, displayName: string, before: readonly UserObject[], after: readonly UserObject[], everyone = false): Promise<void> {
    const keep = new Set(after.map((u) => u.metadata?.uid));
    const had = new Set(before.map((u) => u.metadata?.uid));
    const changes: { user: UserObject; groups: string[] }[] = [];
    for (const user of before) if (!keep.has(user.metadata?.uid)) changes.push({ user, groups: (user.spec.groups ?? []).filter((g) => g !== name) });
    for (const user of after) {
      if (!had.has(user.metadata?.uid)) changes.push({ user, groups: [...new Set([...(user.spec.groups ?? []), name])] });
      else if (everyone) changes.push({ user, groups: user.spec.groups ?? [] });
    }
    const names = new Map([[name, displayName]]);
    // A few at a time: a group of hundreds changes in seconds, without flooding the API server.
    for (let i = 0; i < changes.length; i += 8) {
      await Promise.all(changes.slice(i, i + 8).map((c) => this.applyUser(scope, c.user.metadata?.name ?? '', personOf(c.user), c.groups, names)));
    }
  }

  private async updateGroup(scope: TenantScope, group: GroupObject, request: GroupRequest): Promise<ScimResult> {
    if (this.displayNameTaken(scope, request.displayName, group.metadata?.uid)) throw uniqueness(`A Group with displayName "${request.displayName}" already exists`);
    const before = this.membersOf(scope, group);
    const after = request.memberIds === undefined ? before : this.checkMembers(scope, request.memberIds);
    const name = group.metadata?.name ?? '';
    const renamed = request.displayName !== groupDisplayName(group) || request.externalId !== group.metadata?.annotations?.[EXTERNAL_ID_ANNOTATION];
    if (renamed) {
      const written = await this.deps.client.apply<GroupObject>(ACCOUNT_KINDS.group, groupManifest({ name, namespace: scope.namespace, request }), { fieldManager: SCIM_FIELD_MANAGER, force: true }).catch((e: unknown) => {
        throw fromKubeError(e);
      });
      await this.settled(this.deps.ctx.caches.groups as unknown as Informer<KubeObject>, `${scope.namespace}/${name}`, written.metadata?.resourceVersion);
    }
    // A new displayName may map to another role or workspace: every member is written again then.
    await this.setMembers(scope, name, request.displayName, before, after, request.displayName !== groupDisplayName(group));
    const current = (this.deps.ctx.caches.groups.get(`${scope.namespace}/${name}`) as GroupObject | undefined) ?? group;
    return { status: 200, body: this.groupJson(scope, current) };
  }

  /** PUT /Groups/{id}. */
  async replaceGroup(scope: TenantScope, id: string, body: unknown): Promise<ScimResult> {
    const group = this.groupById(scope, id);
    const request = groupFromScim(body);
    return this.updateGroup(scope, group, { ...request, memberIds: request.memberIds ?? [] });
  }

  /** PATCH /Groups/{id}: members add and remove (also `members[value eq "<id>"]`), displayName replace. */
  async patchGroup(scope: TenantScope, id: string, body: unknown): Promise<ScimResult> {
    const group = this.groupById(scope, id);
    const operations = normalisePatch(body);
    const before = this.groupJson(scope, group);
    const after = applyPatch(before, operations);
    if (after['id'] !== before['id']) throw mutability('id cannot change');
    return this.updateGroup(scope, group, refusingUnknownPaths(() => groupFromScim({ ...after, members: after['members'] ?? [] })));
  }

  /** DELETE /Groups/{id}: its members leave it (their roles follow), then it goes. */
  async deleteGroup(scope: TenantScope, id: string): Promise<ScimResult> {
    const group = this.groupById(scope, id);
    const name = group.metadata?.name ?? '';
    await this.setMembers(scope, name, groupDisplayName(group), this.membersOf(scope, group), []);
    await this.deps.client.delete(ACCOUNT_KINDS.group, scope.namespace, name, { preconditions: { uid: id } }).catch((e: unknown) => {
      if (!isNotFound(e)) throw fromKubeError(e);
    });
    await this.settled(this.deps.ctx.caches.groups as unknown as Informer<KubeObject>, `${scope.namespace}/${name}`, undefined);
    return { status: 204 };
  }
}

/** The address of a filter that is exactly `userName eq "<address>"` (in normal form), else undefined. */
export function userNameLookup(filter: string): string | undefined {
  const match = /^\s*userName\s+eq\s+"([^"\\]{1,254})"\s*$/i.exec(filter);
  return match ? normalizeEmail(match[1]) : undefined;
}

/** Reads a patched resource; an attribute the PATCH added that the schema does not have is 400 invalidPath (RFC 7644 §3.5.2). */
function refusingUnknownPaths<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ScimError && error.scimType === 'invalidSyntax' && error.message.startsWith('Unknown attribute')) throw new ScimError(400, `The PATCH names an attribute the schema does not have: ${error.message}`, 'invalidPath');
    throw error;
  }
}

function excludes(query: URLSearchParams, attribute: string): boolean {
  return (query.get('excludedAttributes') ?? '')
    .split(',')
    .map((a) => a.trim().toLowerCase())
    .includes(attribute);
}

/** A ListResponse page of `all` (RFC 7644 §3.4.2). */
export function listResponse(all: readonly Record<string, unknown>[], startIndex: number, count: number): Record<string, unknown> {
  const page = all.slice(startIndex - 1, startIndex - 1 + count);
  return { schemas: [LIST_SCHEMA], totalResults: all.length, itemsPerPage: page.length, startIndex, Resources: page };
}
