// A copy of a service account's key Secret in another namespace (spec.delivery):
// its type, labels and annotations, how it is written, how the operator knows it
// and whether a cached copy is exactly what it should be.
//
// A copy is an output, never a record: it has its own Secret type and component
// label, so the API-key informer (and with it the access API's verifier) never
// sees one, and it carries no signature and no previous key hash. The operator
// writes it whole from the account's own Secret (read live, its signature
// checked) and replaces it whole when anything about it differs.
import { COMPONENT_LABEL, COMPONENTS, MANAGED_BY, MANAGED_LABELS, OPERATOR_APP_LABELS, OPERATOR_KEY_PREFIX, SERVICE_ACCOUNT_LABEL, TENANT_LABEL } from '../../api/index.js';
import { jsonEqual } from '../../runtime/deep-equal.js';
import type { Informer } from '../../runtime/informer.js';
import { builtinKinds } from '../../runtime/kinds.js';
import type { KubeObject } from '../../runtime/kinds.js';
import type { Manager } from '../../runtime/manager.js';
import type { CachedApiKeySecret } from '../api-key-secret.js';
import { dataDigest, toCachedApiKeySecret } from '../api-key-secret.js';
import type { SecretTemplate } from '../secret-template.js';
import { DEFAULT_KEY_DATA_KEY, KEY_DATA_KEY_ANNOTATION, TEMPLATE_RECORD_ANNOTATION, templateRecordText } from '../secret-template.js';

/** `type` of every key copy: not the API-key type, so nothing that verifies keys ever reads a copy. */
export const KEY_COPY_SECRET_TYPE = 'accounts.blinkops.com/api-key-copy';
/** Label on a copy naming the namespace of the service account it copies (a tenant namespace). */
export const SOURCE_NAMESPACE_LABEL = 'accounts.blinkops.com/source-namespace';
/** Label on a copy naming the key id it holds. */
export const COPY_KEY_ID_LABEL = 'accounts.blinkops.com/key-id';
/** Annotation on a copy: the Secret it copies (`<namespace>/<name>`), for people. */
export const COPY_OF_ANNOTATION = 'accounts.blinkops.com/copy-of';
/** Annotation on a copy: the fingerprint of the key it holds (not secret), for people. */
export const COPY_FINGERPRINT_ANNOTATION = 'accounts.blinkops.com/key-fingerprint';
/** Annotation on a copy: the uid of the service account it was written for. */
export const COPY_SOURCE_UID_ANNOTATION = 'accounts.blinkops.com/source-uid';

/** What the copy informer asks the API server for: the operator's labels and the copy type only. */
export const KEY_COPY_WATCH = {
  labelSelector: `${COMPONENT_LABEL}=${COMPONENTS.apiKeyCopy},app.kubernetes.io/managed-by=${MANAGED_BY}`,
  fieldSelector: `type=${KEY_COPY_SECRET_TYPE}`,
} as const;

/** Index of cached copies by the account they copy (`<namespace>/<name>`). */
export const COPIES_BY_ACCOUNT_INDEX = 'keyCopiesByAccount';

/** The account (`<namespace>/<name>`) a copy was written for, from its labels; undefined for anything else. */
export function accountOfCopy(secret: KubeObject): string | undefined {
  const labels = secret.metadata?.labels ?? {};
  const namespace = labels[SOURCE_NAMESPACE_LABEL];
  const name = labels[SERVICE_ACCOUNT_LABEL];
  return namespace && name ? `${namespace}/${name}` : undefined;
}

const informers = new WeakMap<Manager, Informer<CachedApiKeySecret>>();

/**
 * The informer of key copies of a manager, in every namespace (copies live outside tenant
 * namespaces), kept only when the tenant namespace they copy from is in the manager's scope (its
 * shard); the key is replaced by its hash before anything is cached, as for key Secrets.
 */
export function keyCopyInformer(manager: Manager): Informer<CachedApiKeySecret> {
  let informer = informers.get(manager);
  if (!informer) {
    informer = manager.informer<CachedApiKeySecret>(builtinKinds.secret, {
      ...KEY_COPY_WATCH,
      transform: (secret) => toCachedApiKeySecret(secret),
      scopeNamespace: (secret) => secret.metadata?.labels?.[SOURCE_NAMESPACE_LABEL],
      keep: (secret) => accountOfCopy(secret) !== undefined,
      indexes: { [COPIES_BY_ACCOUNT_INDEX]: (secret) => [accountOfCopy(secret) ?? ''].filter(Boolean) },
    });
    informers.set(manager, informer);
  }
  return informer;
}

/** Who the copy is for and what it holds, besides the key. */
export interface CopyIdentity {
  readonly tenant: string;
  /** The service account: its namespace, name and uid. */
  readonly sourceNamespace: string;
  readonly serviceAccount: string;
  readonly uid: string;
  /** Name of the account's own key Secret. */
  readonly sourceSecret: string;
  readonly keyId: string;
  readonly fingerprint: string;
}

/** The labels of a copy. */
export function copyLabels(id: CopyIdentity, template: SecretTemplate): Record<string, string> {
  return {
    ...template.labels,
    ...MANAGED_LABELS,
    [COMPONENT_LABEL]: COMPONENTS.apiKeyCopy,
    [TENANT_LABEL]: id.tenant,
    [SERVICE_ACCOUNT_LABEL]: id.serviceAccount,
    [SOURCE_NAMESPACE_LABEL]: id.sourceNamespace,
    [COPY_KEY_ID_LABEL]: id.keyId,
  };
}

/** The annotations of a copy. */
export function copyAnnotations(id: CopyIdentity, template: SecretTemplate): Record<string, string> {
  return {
    ...template.annotations,
    [COPY_OF_ANNOTATION]: `${id.sourceNamespace}/${id.sourceSecret}`,
    [COPY_FINGERPRINT_ANNOTATION]: id.fingerprint,
    [COPY_SOURCE_UID_ANNOTATION]: id.uid,
    // Which labels, annotations and data the template put there: a template entry removed from the spec
    // makes the copy differ, so it is written again without it.
    [TEMPLATE_RECORD_ANNOTATION]: templateRecordText(template),
    ...(template.keyName !== DEFAULT_KEY_DATA_KEY ? { [KEY_DATA_KEY_ANNOTATION]: template.keyName } : {}),
  };
}

/** The whole copy (create, or replace with `resourceVersion`): the key under the template's keyName, the template's data, nothing else. */
export function buildKeyCopy(options: {
  readonly namespace: string;
  readonly name: string;
  readonly id: CopyIdentity;
  readonly key: string;
  readonly template: SecretTemplate;
  readonly resourceVersion?: string | undefined;
}): KubeObject {
  const { id, template } = options;
  const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: options.name,
      namespace: options.namespace,
      ...(options.resourceVersion ? { resourceVersion: options.resourceVersion } : {}),
      labels: copyLabels(id, template),
      annotations: copyAnnotations(id, template),
    },
    type: KEY_COPY_SECRET_TYPE,
    data: { ...Object.fromEntries(Object.entries(template.data).map(([k, v]) => [k, b64(v)])), [template.keyName]: b64(options.key) },
  };
}

/** Whether a Secret of a copy's name is this account's copy (its type and labels say so), or someone else's. */
export function copyOwnership(secret: KubeObject & { type?: string }, sourceNamespace: string, serviceAccount: string): 'this' | 'foreign' {
  const labels = secret.metadata?.labels ?? {};
  const ours =
    secret.type === KEY_COPY_SECRET_TYPE &&
    labels['app.kubernetes.io/managed-by'] === MANAGED_BY &&
    labels[COMPONENT_LABEL] === COMPONENTS.apiKeyCopy &&
    labels[SOURCE_NAMESPACE_LABEL] === sourceNamespace &&
    labels[SERVICE_ACCOUNT_LABEL] === serviceAccount;
  return ours ? 'this' : 'foreign';
}

/** Whether `actual` holds every entry of `wanted`, and no other key of the operator's (`ours`); other keys (tools') are left alone. */
function holdsExactly(actual: Readonly<Record<string, string>>, wanted: Readonly<Record<string, string>>, ours: (key: string) => boolean): boolean {
  return Object.entries(wanted).every(([k, v]) => actual[k] === v) && Object.keys(actual).every((k) => k in wanted || !ours(k));
}

/**
 * Whether the cached copy is what the operator writes: the key with `fingerprint` under the template's
 * keyName, the template's data and no other data, no owner reference, the labels and annotations above
 * with no other of the operator's. Labels and annotations other tools add are not an alteration (a
 * copy is never fought over with them).
 */
export function copyIsExact(copy: CachedApiKeySecret, id: CopyIdentity, template: SecretTemplate): boolean {
  const wantDigests = Object.fromEntries(Object.entries(template.data).map(([k, v]) => [k, dataDigest(v)]));
  const operatorLabel = (k: string): boolean => k.startsWith(OPERATOR_KEY_PREFIX) || (OPERATOR_APP_LABELS as readonly string[]).includes(k);
  return (
    copy.observedKey.state === 'ok' &&
    copy.observedKey.fingerprint === id.fingerprint &&
    copy.observedKey.previousKeyHash === undefined &&
    copy.keyDataKey === template.keyName &&
    jsonEqual(copy.dataDigests, wantDigests) &&
    holdsExactly(copy.metadata?.labels ?? {}, copyLabels(id, template), operatorLabel) &&
    holdsExactly(copy.metadata?.annotations ?? {}, copyAnnotations(id, template), (k) => k.startsWith(OPERATOR_KEY_PREFIX)) &&
    (copy.metadata?.ownerReferences ?? []).length === 0
  );
}
