// A synthetic cluster for benchmarks that run the real operator without an API
// server: N tenants, each with its namespace, workspaces, users (each Active one
// with its RoleBinding) and service accounts (each with its API-key Secret).
// Objects are built the way the API server returns them (uid, resourceVersion,
// managedFields, status with the conditions and history the operator writes: 2-4
// conditions per User and ServiceAccount) and go through JSON text, because the
// real client parses every list page from JSON.
//
// Realistic as a real cluster gives them (issue 24 §2: heap per cached object measured on realistic
// objects; the shapes were copied from `bench/convergence.ts 500 --dump-objects`, 2026-12-08):
// - custom resources come back with every object's keys sorted (kube-apiserver serializes them as
//   maps), Secrets and RoleBindings in their Go structs' field order;
// - every object has its own times: created at the --scale run's pace (~55 objects/s), status
//   written 1 s (ServiceAccount) or 10 s (User: the email) later, the key's time with milliseconds;
// - the conditions, history and status fields the operator writes, with its messages;
// - every User has its invitation record Secret (kept after acceptance: state accepted), which
//   the operator caches whole (users and observability features).
//
// `installSyntheticClient` replaces the network methods of KubeClient in this
// process (benchmarks only): `list` serves these objects page by page, `watch`
// never delivers, `request` refuses the Lease (so the replica stays a standby and
// no controller runs), accepts the startup ClusterRole apply, and answers the
// access API's TokenReview and SubjectAccessReview for its one caller.
import { API_VERSION } from '../operator/api/index.js';
import type { ServiceAccount, Tenant, User, Workspace } from '../operator/api/index.js';
import { generateApiKey } from '../operator/apikeys/index.js';
import { seededRandom } from '../operator/apikeys/seeded-random.js';
import { CREATED_FOR_ANNOTATION, MANAGED_LABELS, TENANT_LABEL } from '../operator/api/index.js';
import { KubeClient } from '../operator/runtime/kube-client.js';
import type { ObjectList, Query, WatchRequest } from '../operator/runtime/kube-client.js';
import type { KindDescriptor, KubeObject } from '../operator/runtime/kinds.js';
import { API_KEY_SECRET_SELECTOR, API_KEY_SECRET_TYPE, apiKeySecretLabels, apiKeySecretName, buildApiKeySecret } from '../operator/service-accounts/api-key-secret.js';
import { KEY_SIGNING_SECRET } from '../operator/service-accounts/key-signing.js';
import { INVITATION_SELECTOR, invitationMessageId, secretFromRecord } from '../operator/invitations/invitation-record.js';
import { bindingSelector } from '../operator/tenants/binding-controller.js';
import { desiredBinding } from '../operator/tenants/binding-plan.js';

/** The signing key the synthetic operator namespace holds. */
const SIGNING_KEY = Buffer.alloc(32, 42);

/** Size of the synthetic cluster. */
export interface ClusterShape {
  readonly tenants: number;
  readonly usersPerTenant: number;
  readonly serviceAccountsPerTenant: number;
  readonly workspacesPerTenant: number;
}

const ROLES = ['Admin', 'Builder', 'Consumer'] as const;
const CREATED = '2026-01-01T00:00:00Z';
const EPOCH_MS = Date.parse(CREATED);
/** Objects created per second, as in the --scale run: objects created in the same second share their times' text. */
const CREATED_PER_SECOND = 55;
/** The time `offsetS` seconds after object `i` of tenant `t` was created (each tenant's objects created together: users, then service accounts). */
function timeOf(t: number, i: number, offsetS = 0, withMs = false): string {
  const ms = EPOCH_MS + (Math.floor((t * 4_000 + i) / CREATED_PER_SECOND) + offsetS) * 1000 + (withMs ? (i * 37) % 1000 : 0);
  const text = new Date(ms).toISOString();
  return withMs ? text : text.replace('.000Z', 'Z');
}
/** A custom resource as kube-apiserver returns it: every object's keys sorted. */
function sortedKeys<V>(value: V): V {
  if (Array.isArray(value)) return value.map(sortedKeys) as V;
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  return Object.fromEntries(Object.keys(record).sort().map((k) => [k, sortedKeys(record[k])])) as V;
}

export const tenantName = (t: number): string => `t${t}`;
export const namespaceName = (t: number): string => `tenant-t${t}`;
export const userEmail = (t: number, u: number): string => `user${u}@t${t}.example.com`;
export const serviceAccountName = (s: number): string => `sa${s}`;
export const workspaceName = (w: number): string => `ws${w}`;

/** Every 20th user is still Invited (no RoleBinding); the rest are Active. */
export const isInvited = (u: number): boolean => u % 20 === 19;

/** The API key of a service account: deterministic, so a benchmark can rebuild any key instead of keeping 100,000. */
export function apiKeyOf(t: number, s: number): ReturnType<typeof generateApiKey> {
  return generateApiKey(seededRandom(`bench/${t}/${s}`));
}

const KIND_CODES = { tenant: 1, namespace: 2, workspace: 3, user: 4, serviceAccount: 5, roleBinding: 6, secret: 7 } as const;

/** A uid that is the same each time an object is built (a Secret names its service account's uid). */
function uidOf(kind: keyof typeof KIND_CODES, t: number, i: number): string {
  return `00000000-000${KIND_CODES[kind]}-4000-8000-${t.toString(16).padStart(4, '0')}${i.toString(16).padStart(8, '0')}`;
}

let rvCounter = 1000;
function serverMeta(name: string, namespace: string | undefined, uid: string, kind: string, fields: object, created = CREATED): Record<string, unknown> {
  return {
    name,
    ...(namespace !== undefined ? { namespace } : {}),
    uid,
    resourceVersion: String(++rvCounter),
    generation: 1,
    creationTimestamp: created,
    // Stripped by the informer before caching; here so that the cost of stripping is counted.
    managedFields: [
      { manager: 'kubectl', operation: 'Apply', apiVersion: API_VERSION, time: created, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': fields } },
      { manager: 'blink-accounts-operator', operation: 'Update', apiVersion: API_VERSION, time: created, fieldsType: 'FieldsV1', subresource: 'status', fieldsV1: { 'f:status': { [`f:${kind}`]: {} } } },
    ],
  };
}

const ready = (message: string): unknown[] => [{ type: 'Ready', status: 'True', reason: 'Reconciled', message, lastTransitionTime: CREATED, observedGeneration: 1 }];
const condition = (type: string, status: string, reason: string, message: string, at = CREATED): unknown => ({ type, status, reason, message, lastTransitionTime: at, observedGeneration: 1 });

/** The conditions and history the operator writes on a User (issue 24: heap measured on realistic status, 2-4 conditions). */
function userStatusParts(email: string, invited: boolean, sentAt: string, acceptedAt: string): { conditions: unknown[]; history: unknown[] } {
  const resolved = condition('ReferencesResolved', 'True', 'AllReferencesResolved', 'Every Group and Workspace in spec exists', sentAt);
  const history = [
    { at: sentAt, event: 'Invited', reason: 'Created', message: `Invited ${email}`, by: 'kubectl' },
    { at: sentAt, event: 'InvitationSent', reason: 'Sent', message: `The invitation email was handed to the SMTP server for ${email}` },
  ];
  return invited
    ? {
        conditions: [condition('Ready', 'False', 'InvitationPending', `Waiting for ${email} to accept the invitation`, sentAt), condition('InvitationSent', 'True', 'Sent', `The invitation was emailed to ${email}`, sentAt), condition('InvitationExpired', 'False', 'NotExpired', 'The invitation link is valid', sentAt), resolved],
        history,
      }
    : {
        conditions: [condition('Ready', 'True', 'Active', `${email} accepted the invitation and is active`, acceptedAt), resolved],
        history: [...history, { at: acceptedAt, event: 'Accepted', reason: 'Page', message: 'The invitation was accepted on the acceptance page' }],
      };
}

/** The invitation id of user `u` of tenant `t` (12 characters, as the operator's). */
const invitationIdOf = (t: number, u: number): string => `inv${t.toString(36).padStart(3, '0')}${u.toString(36).padStart(6, '0')}`;

/** User `u`'s invitation record Secret, built by the operator's own code (pending, or accepted when the user is Active). */
function invitationRecordObject(t: number, u: number): KubeObject {
  const invited = isInvited(u);
  const invitationId = invitationIdOf(t, u);
  const sentAt = timeOf(t, u, 10);
  const record = {
    invitationId,
    tokenHash: Buffer.from(seededRandom(`bench/token/${t}/${u}`)(32)).toString('hex'),
    email: userEmail(t, u),
    issuedAt: timeOf(t, u, 1),
    expiresAt: timeOf(t, u, 7 * 86_400),
    state: invited ? 'pending' : 'accepted',
    ...(invited ? {} : { acceptedAt: timeOf(t, u, 3_600) }),
    resend: 0,
    delivery: 'sent',
    messageId: invitationMessageId(invitationId),
    sentAt,
    attemptedAt: timeOf(t, u, 1, true),
    recentEmails: [{ invitationId, at: Date.parse(timeOf(t, u, 1, true)) }],
  } as const;
  const secret = secretFromRecord({ namespace: namespaceName(t), userName: `user${u}`, tenantName: tenantName(t) }, record, SIGNING_KEY);
  return { ...secret, metadata: { ...secret.metadata, ...serverMeta(secret.metadata?.name ?? '', namespaceName(t), uidOf('secret', t, 1_000_000 + u), 'x', {}, timeOf(t, u, 1)) } } as KubeObject;
}

function userObject(t: number, u: number, workspaces: number): User & KubeObject {
  const role = ROLES[u % 3] ?? 'Consumer';
  const ws = role === 'Admin' ? [] : [workspaceName(u % workspaces)];
  const invited = isInvited(u);
  const sentAt = timeOf(t, u, 10);
  const acceptedAt = timeOf(t, u, 3_600);
  return {
    apiVersion: API_VERSION,
    kind: 'User',
    metadata: { ...serverMeta(`user${u}`, namespaceName(t), uidOf('user', t, u), 'phase', { 'f:email': {}, 'f:role': {}, 'f:workspaces': {} }, timeOf(t, u)), finalizers: ['accounts.blinkops.com/finalizer'] },
    spec: { email: userEmail(t, u), displayName: `User ${u} of tenant ${t}`, role, groups: [], workspaces: ws, active: true },
    status: {
      phase: invited ? 'Invited' : 'Active',
      groups: [],
      workspaces: ws,
      invitation: { id: invitationIdOf(t, u), sentAt, expiresAt: timeOf(t, u, 7 * 86_400), resend: 0, recordSigned: true },
      ...(invited ? {} : { acceptedAt }),
      role,
      ...userStatusParts(userEmail(t, u), invited, sentAt, acceptedAt),
      observedGeneration: 1,
    },
  } as User & KubeObject;
}

function serviceAccountObject(t: number, s: number, workspaces: number): ServiceAccount & KubeObject {
  const role = ROLES[s % 3] ?? 'Consumer';
  const ws = role === 'Admin' ? [] : [workspaceName(s % workspaces)];
  const key = apiKeyOf(t, s);
  return {
    apiVersion: API_VERSION,
    kind: 'ServiceAccount',
    metadata: { ...serverMeta(serviceAccountName(s), namespaceName(t), uidOf('serviceAccount', t, s), 'keyId', { 'f:role': {}, 'f:workspaces': {} }, timeOf(t, 2_000 + s)), finalizers: ['accounts.blinkops.com/finalizer'] },
    spec: { description: `Automation ${s}`, role, workspaces: ws, keyRotation: { revision: 0, gracePeriod: '0s' } },
    status: {
      secretName: apiKeySecretName(serviceAccountName(s)),
      keyId: key.keyId,
      fingerprint: key.fingerprint,
      keyCreatedAt: timeOf(t, 2_000 + s, 1, true),
      keyRevision: 0,
      rolledOutKeyId: key.keyId,
      workspaces: ws,
      role,
      conditions: [
        condition('ReferencesResolved', 'True', 'AllReferencesResolved', 'Every listed workspace exists', timeOf(t, 2_000 + s, 1)),
        condition('KeyIssued', 'True', 'KeyIssued', `API key ${key.keyId} is in Secret ${apiKeySecretName(serviceAccountName(s))}`, timeOf(t, 2_000 + s, 1)),
        condition('Ready', 'True', 'Ready', 'The API key works with the declared role and workspaces', timeOf(t, 2_000 + s, 1)),
      ],
      history: [{ at: timeOf(t, 2_000 + s, 1), event: 'KeyIssued', reason: 'Created', message: `Issued API key ${key.keyId}` }],
      observedGeneration: 1,
    },
  } as ServiceAccount & KubeObject;
}

function apiKeySecretObject(t: number, s: number): KubeObject {
  const key = apiKeyOf(t, s);
  const record = { keyId: key.keyId, fingerprint: key.fingerprint, revision: 0, createdAt: timeOf(t, 2_000 + s, 1, true) };
  const name = serviceAccountName(s);
  const secret = buildApiKeySecret({
    namespace: namespaceName(t),
    name: apiKeySecretName(name),
    labels: apiKeySecretLabels(MANAGED_LABELS, TENANT_LABEL, tenantName(t), name, key.keyId),
    owner: { apiVersion: API_VERSION, kind: 'ServiceAccount', name, uid: uidOf('serviceAccount', t, s), controller: true, blockOwnerDeletion: true },
    content: { key: key.key, record },
    signingKey: SIGNING_KEY,
  });
  return { ...secret, apiVersion: 'v1', kind: 'Secret', type: API_KEY_SECRET_TYPE, metadata: { ...secret.metadata, ...serverMeta(secret.metadata?.name ?? '', namespaceName(t), uidOf('secret', t, s), 'x', {}, timeOf(t, 2_000 + s, 1)), annotations: secret.metadata?.annotations ?? {} } } as KubeObject;
}

type ListName = 'tenants' | 'namespaces' | 'workspaces' | 'users' | 'serviceAccounts' | 'roleBindings' | 'apiKeySecrets' | 'invitationRecords';

/** One tenant's objects of one list. */
function tenantObjects(name: ListName, t: number, shape: ClusterShape): KubeObject[] {
  const ns = namespaceName(t);
  const indexes = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
  switch (name) {
    case 'tenants':
      return [{ apiVersion: API_VERSION, kind: 'Tenant', metadata: serverMeta(tenantName(t), undefined, uidOf('tenant', t, 0), 'phase', { 'f:displayName': {} }), spec: { displayName: `Tenant ${t}` }, status: { namespace: ns, createdNamespaceUID: uidOf('namespace', t, 0), conditions: ready('Namespace ready'), observedGeneration: 1 } } as Tenant & KubeObject];
    case 'namespaces':
      return [{ apiVersion: 'v1', kind: 'Namespace', metadata: { ...serverMeta(ns, undefined, uidOf('namespace', t, 0), 'x', {}), labels: { ...MANAGED_LABELS, [TENANT_LABEL]: tenantName(t), 'kubernetes.io/metadata.name': ns }, annotations: { [CREATED_FOR_ANNOTATION]: uidOf('tenant', t, 0) } }, status: { phase: 'Active' } }];
    case 'workspaces':
      return indexes(shape.workspacesPerTenant).map((w) => ({ apiVersion: API_VERSION, kind: 'Workspace', metadata: serverMeta(workspaceName(w), ns, uidOf('workspace', t, w), 'x', {}), spec: { displayName: `Workspace ${w}` }, status: { conditions: ready('Workspace ready'), observedGeneration: 1 } }) as Workspace & KubeObject);
    case 'users':
      return indexes(shape.usersPerTenant).map((u) => sortedKeys(userObject(t, u, shape.workspacesPerTenant)));
    case 'serviceAccounts':
      return indexes(shape.serviceAccountsPerTenant).map((s) => sortedKeys(serviceAccountObject(t, s, shape.workspacesPerTenant)));
    case 'invitationRecords':
      return indexes(shape.usersPerTenant).map((u) => invitationRecordObject(t, u));
    case 'roleBindings':
      return indexes(shape.usersPerTenant)
        .filter((u) => !isInvited(u))
        .map((u) => {
          const binding = desiredBinding(userObject(t, u, shape.workspacesPerTenant), tenantName(t));
          return { ...binding, metadata: { ...binding.metadata, ...serverMeta(binding.metadata?.name ?? '', ns, uidOf('roleBinding', t, u), 'x', {}) } } as KubeObject;
        });
    case 'apiKeySecrets':
      return indexes(shape.serviceAccountsPerTenant).map((s) => apiKeySecretObject(t, s));
  }
}

/** Which synthetic list serves a list call, or undefined for an empty list. */
function listNameOf(kind: KindDescriptor, query: Query | undefined): ListName | undefined {
  const selector = typeof query?.['labelSelector'] === 'string' ? query['labelSelector'] : '';
  switch (kind.plural) {
    case 'tenants':
      return 'tenants';
    case 'namespaces':
      return selector.includes(TENANT_LABEL) ? 'namespaces' : undefined;
    case 'workspaces':
      return 'workspaces';
    case 'users':
      return 'users';
    case 'serviceaccounts':
      return kind.group === '' ? undefined : 'serviceAccounts';
    case 'rolebindings':
      return selector === bindingSelector() ? 'roleBindings' : undefined;
    case 'secrets':
      return selector === API_KEY_SECRET_SELECTOR ? 'apiKeySecrets' : selector === INVITATION_SELECTOR ? 'invitationRecords' : undefined;
    default:
      return undefined;
  }
}

/**
 * The bearer token of the benchmark's access API caller: not a secret (the synthetic cluster's
 * only caller), but shaped and sized like a projected ServiceAccount token (a ~1 KB JWT valid
 * for an hour), since the access API hashes every token it is sent.
 */
export const BENCH_CALLER_TOKEN = [
  Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'bench-signing-key-0000000000000000000000000' })).toString('base64url'),
  Buffer.from(
    JSON.stringify({
      aud: ['blink-accounts-access-api'],
      exp: Math.floor(Date.now() / 1000) + 3600,
      iat: Math.floor(Date.now() / 1000),
      iss: 'https://kubernetes.default.svc.cluster.local',
      jti: '00000000-0000-4000-8000-000000000000',
      'kubernetes.io': { namespace: 'bench', node: { name: 'node-1', uid: '00000000-0000-4000-8000-000000000001' }, pod: { name: 'caller-0', uid: '00000000-0000-4000-8000-000000000002' }, serviceaccount: { name: 'caller', uid: 'bench-caller' } },
      nbf: Math.floor(Date.now() / 1000),
      sub: 'system:serviceaccount:bench:caller',
    }),
  ).toString('base64url'),
  'S'.repeat(342),
].join('.');
/** How long the synthetic API server takes to answer a TokenReview. */
export const TOKEN_REVIEW_MS = 2;
const BENCH_CALLER = { username: 'system:serviceaccount:bench:caller', uid: 'bench-caller', groups: ['system:serviceaccounts', 'system:authenticated'] };

/**
 * Junk bearer token `i` for the flood scenario, each distinct: garbage, an expired JWT, a JWT for
 * another audience, or (half of them) a forged JWT for the access API's audience that only the API
 * server can refuse (its signature is not the API server's).
 */
export function junkBearerToken(i: number): string {
  const [header = '', payload = ''] = BENCH_CALLER_TOKEN.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  const forge = (changes: Record<string, unknown>): string => `${header}.${Buffer.from(JSON.stringify({ ...claims, jti: `junk-${i}`, ...changes })).toString('base64url')}.${'J'.repeat(342)}`;
  switch (i % 6) {
    case 0:
      return `junk-${i.toString(36)}-${'x'.repeat(i % 40)}`;
    case 2:
      return forge({ exp: Math.floor(Date.now() / 1000) - 60 });
    case 4:
      return forge({ aud: ['some-other-service'] });
    default:
      return forge({});
  }
}

/** What the synthetic client did. */
export interface SyntheticClientStats {
  /** Objects served by list, per list name. */
  readonly listed: Record<string, number>;
  /** Time spent building objects and their JSON text (not the operator's work), ms. */
  synthesisMs: number;
  /** Requests other than list and watch, by `METHOD path`. */
  readonly requests: Record<string, number>;
  watches: number;
}

/**
 * Makes every KubeClient of this process serve the synthetic cluster. Lists are paged
 * (the informer's limit and continue token), one tenant's objects built at a time.
 */
export function installSyntheticClient(shape: ClusterShape): SyntheticClientStats {
  const stats: SyntheticClientStats = { listed: {}, synthesisMs: 0, requests: {}, watches: 0 };
  const proto = KubeClient.prototype as unknown as Record<string, unknown>;
  const lastBuilt = new Map<ListName, { t: number; objects: KubeObject[] }>();
  proto['list'] = function list<T extends KubeObject>(kind: KindDescriptor, options: { query?: Query } = {}): Promise<ObjectList<T>> {
    const name = listNameOf(kind, options.query);
    const limit = Number(options.query?.['limit'] ?? 500);
    if (!name) return Promise.resolve({ metadata: { resourceVersion: '1' }, items: [] });
    // Continue token: "<tenant>:<offset within the tenant's list>".
    const [startTenant, startOffset] = String(options.query?.['continue'] || '0:0').split(':').map(Number) as [number, number];
    const started = performance.now();
    const items: KubeObject[] = [];
    let t = startTenant;
    let offset = startOffset;
    while (t < shape.tenants && items.length < limit) {
      // A tenant's list spans pages: build it once.
      let built = lastBuilt.get(name);
      if (built?.t !== t) lastBuilt.set(name, (built = { t, objects: tenantObjects(name, t, shape) }));
      const all = built.objects;
      const taken = all.slice(offset, offset + (limit - items.length));
      items.push(...taken);
      offset += taken.length;
      if (offset >= all.length) {
        t++;
        offset = 0;
      }
    }
    if (t >= shape.tenants) lastBuilt.delete(name);
    const text = JSON.stringify({ metadata: { resourceVersion: String(rvCounter), ...(t < shape.tenants ? { continue: `${t}:${offset}` } : {}) }, items });
    stats.synthesisMs += performance.now() - started;
    stats.listed[name] = (stats.listed[name] ?? 0) + items.length;
    // The real client parses the response body too: that part is the operator's cost.
    return Promise.resolve(JSON.parse(text) as ObjectList<T>);
  };
  proto['watch'] = function watch(): Promise<WatchRequest> {
    stats.watches++;
    let end: (error: Error | undefined) => void = () => {};
    const done = new Promise<Error | undefined>((resolve) => (end = resolve));
    return Promise.resolve({ abort: () => end(undefined), done });
  };
  proto['request'] = function request(method: string, path: string, init: { body?: unknown } = {}): Promise<unknown> {
    const what = `${method} ${path.split('?')[0] ?? path}`;
    stats.requests[what] = (stats.requests[what] ?? 0) + 1;
    if (method === 'PATCH' && path.includes('/clusterroles/')) return Promise.resolve({});
    // A key's last use (service-accounts/key-usage.ts: once an hour per key), which the API server accepts.
    if (method === 'PATCH' && /\/serviceaccounts\/[^/]+\/status$/.test(path.split('?')[0] ?? path)) return Promise.resolve({});
    // The operator's signing key for API-key records (service-accounts/key-signing.ts).
    if (method === 'GET' && path.endsWith(`/secrets/${KEY_SIGNING_SECRET}`)) return Promise.resolve({ metadata: { name: KEY_SIGNING_SECRET }, data: { key: SIGNING_KEY.toString('base64') } });
    // The access API's reviews of its caller, as kube-apiserver would answer them for the bench's one caller.
    if (method === 'POST' && path === '/apis/authentication.k8s.io/v1/tokenreviews') {
      const spec = (init.body as { spec?: { token?: string; audiences?: string[] } } | undefined)?.spec;
      const valid = spec?.token === BENCH_CALLER_TOKEN;
      const status = valid ? { authenticated: true, user: BENCH_CALLER, audiences: spec?.audiences ?? [] } : { authenticated: false };
      // A TokenReview is a round trip to kube-apiserver and a signature check there: a few ms, not zero,
      // so that reviews in flight pile up as they would (the access API bounds them).
      return new Promise((resolve) => setTimeout(() => resolve({ status }), TOKEN_REVIEW_MS));
    }
    if (method === 'POST' && path === '/apis/authorization.k8s.io/v1/subjectaccessreviews') {
      const spec = (init.body as { spec?: { user?: string } } | undefined)?.spec;
      return Promise.resolve({ status: { allowed: spec?.user === BENCH_CALLER.username } });
    }
    return Promise.reject(new Error(`The benchmark's client refuses ${method} ${path}`));
  };
  return stats;
}
