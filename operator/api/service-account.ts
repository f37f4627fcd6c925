// ServiceAccount: a non-human principal of the tenant with one API key (PRODUCT.md §4).
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { historyField } from './history.js';
import { AGE_COLUMN, conditionsField, defineKind, observedGenerationField, READY_COLUMN } from './kind.js';
import { objectNameMessage, ROLES, roleField, WORKSPACE_NAME_MESSAGE } from './role.js';
import type { CelRule } from './schema-builder.js';
import { cel, counter, DNS_LABEL, DNS_SUBDOMAIN, durationField, matches, nameList, parseDuration, statusNames, stringEnum, stringMap, text, timestamp } from './schema-builder.js';

/** Prefix of the labels and annotations the operator sets on the key Secret: a template may not set them. */
export const OPERATOR_KEY_PREFIX = 'accounts.blinkops.com/';
/** The app.kubernetes.io labels the operator sets on the key Secret. */
export const OPERATOR_APP_LABELS = ['app.kubernetes.io/managed-by', 'app.kubernetes.io/part-of', 'app.kubernetes.io/component'] as const;
/** Data key of the previous key's hash in a grace period: no template may use it. */
export const RESERVED_DATA_KEY = 'previousKeyHash';
/** A Secret data key: letters, digits, "-", "_" and ".". */
const DATA_KEY = '^[-._a-zA-Z0-9]+$';
/** A label value: empty, or up to 63 letters, digits, "-", "_", "." starting and ending with a letter or digit. */
const LABEL_VALUE = '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$';
/** A label or annotation key: an optional DNS-subdomain prefix and "/", then a name of up to 63 characters. */
const QUALIFIED_NAME = '^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$';
/** Kinds a rollout restart can target. */
export const RESTART_TARGET_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet'] as const;

const isMap = (self: unknown): self is Record<string, unknown> => typeof self === 'object' && self !== null && !Array.isArray(self);

/** Every key of the map matches `pattern` and is at most `maxLength` long. */
function keysMatch(pattern: string, maxLength: number, message: string): CelRule {
  const regexp = new RegExp(pattern);
  return cel({ rule: `self.all(k, k.size() <= ${maxLength} && k.matches("${pattern}"))`, message }, (self) => !isMap(self) || Object.keys(self).every((k) => k.length <= maxLength && regexp.test(k)));
}
const QUALIFIED_KEYS = 'keys must be qualified names such as team or example.com/team: an optional DNS prefix and "/", then up to 63 letters, digits, "-", "_" and "."';

const noOperatorLabels = cel(
  {
    rule: `self.all(k, !k.startsWith('${OPERATOR_KEY_PREFIX}') && !(k in [${OPERATOR_APP_LABELS.map((l) => `'${l}'`).join(', ')}]))`,
    message: `labels may not set the operator's own labels (${OPERATOR_APP_LABELS.join(', ')}, ${OPERATOR_KEY_PREFIX}*): choose other names`,
  },
  (self) => !isMap(self) || Object.keys(self).every((k) => !k.startsWith(OPERATOR_KEY_PREFIX) && !(OPERATOR_APP_LABELS as readonly string[]).includes(k)),
);
const noOperatorAnnotations = cel(
  { rule: `self.all(k, !k.startsWith('${OPERATOR_KEY_PREFIX}'))`, message: `annotations may not set the operator's own annotations (${OPERATOR_KEY_PREFIX}*): choose other names` },
  (self) => !isMap(self) || Object.keys(self).every((k) => !k.startsWith(OPERATOR_KEY_PREFIX)),
);
const noReservedData = cel(
  { rule: `!('${RESERVED_DATA_KEY}' in self)`, message: `data may not use the key ${RESERVED_DATA_KEY}: the operator keeps the previous key's hash there` },
  (self) => !isMap(self) || !(RESERVED_DATA_KEY in self),
);
const keyNameNotInData = cel(
  { rule: '!has(self.keyName) || !has(self.data) || !(self.keyName in self.data)', message: 'data may not hold a key named like keyName: the API key goes there', fieldPath: '.data' },
  (self) => {
    const t = self as { keyName?: unknown; data?: unknown };
    return typeof t.keyName !== 'string' || !isMap(t.data) || !(t.keyName in t.data);
  },
);
const everyLongerThanGrace = cel(
  {
    rule: '!has(self.every) || !has(self.gracePeriod) || duration(self.every) > duration(self.gracePeriod)',
    message: 'every must be longer than gracePeriod: a key would be replaced while the one before it still works',
    fieldPath: '.every',
  },
  (self) => {
    const r = self as { every?: unknown; gracePeriod?: unknown };
    if (typeof r.every !== 'string' || typeof r.gracePeriod !== 'string') return true;
    const every = parseDuration(r.every);
    const grace = parseDuration(r.gracePeriod);
    return every === undefined || grace === undefined || every > grace;
  },
);

/** What the API-key Secret looks like beyond the key: for admission policies, tools such as Reloader, and applications. */
export const SecretTemplateSchema = Type.Object(
  {
    labels: Type.Optional(
      stringMap({
        description: `Extra labels on the Secret, at most 32. The operator's own labels (${OPERATOR_APP_LABELS.join(', ')}, ${OPERATOR_KEY_PREFIX}*) cannot be set. Changing them changes the Secret, not the key.`,
        maxProperties: 32,
        valueDescription: 'A label value: up to 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit.',
        valueMaxLength: 63,
        valueRules: [matches(LABEL_VALUE, 'a label value must be up to 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit')],
        rules: [keysMatch(QUALIFIED_NAME, 317, `label ${QUALIFIED_KEYS}`), noOperatorLabels],
      }),
    ),
    annotations: Type.Optional(
      stringMap({
        description: `Extra annotations on the Secret, at most 32 (for example reloader.stakater.com/match: "true"). Annotations under ${OPERATOR_KEY_PREFIX} cannot be set.`,
        maxProperties: 32,
        valueDescription: 'An annotation value, at most 4096 characters.',
        valueMaxLength: 4096,
        rules: [keysMatch(QUALIFIED_NAME, 317, `annotation ${QUALIFIED_KEYS}`), noOperatorAnnotations],
      }),
    ),
    keyName: Type.Optional(
      Type.String({
        description: 'Data key of the API key in the Secret, such as BLINK_API_KEY for envFrom. Default apiKey. Renaming it moves the same key; it does not issue a new one.',
        maxLength: 253,
        default: 'apiKey',
        'x-kubernetes-validations': [
          matches(DATA_KEY, 'keyName must be a Secret data key: letters, digits, "-", "_" and "."'),
          cel({ rule: `self != '${RESERVED_DATA_KEY}'`, message: `keyName may not be ${RESERVED_DATA_KEY}: the operator keeps the previous key's hash there` }, (self) => self !== RESERVED_DATA_KEY),
        ],
      }),
    ),
    data: Type.Optional(
      stringMap({
        description: 'Extra non-secret data keys beside the key, at most 16, such as the tenant or the access API base URL, for applications that need to know where to call. Never put secrets here: they are plain spec.',
        maxProperties: 16,
        valueDescription: 'A value, at most 4096 characters.',
        valueMaxLength: 4096,
        rules: [keysMatch(DATA_KEY, 253, 'data keys must be Secret data keys: letters, digits, "-", "_" and ".", at most 253'), noReservedData],
      }),
    ),
  },
  { description: 'Labels, annotations and extra data of the Secret that holds the API key, and the data key of the key.', 'x-kubernetes-validations': [keyNameNotInData] },
);

/** A workload restarted when the key changes; always in the service account's own namespace. */
export const RestartTargetSchema = Type.Object(
  {
    kind: stringEnum(RESTART_TARGET_KINDS, { description: 'Deployment, StatefulSet or DaemonSet.' }),
    name: Type.String({
      description: "Name of the workload in the service account's namespace (a target in another namespace cannot be named).",
      maxLength: 253,
      'x-kubernetes-validations': [matches(DNS_SUBDOMAIN, 'name must be a workload name: lowercase letters, digits, "-" and "."')],
    }),
  },
  { description: 'A workload that gets a rollout restart once a new key is in the Secret.' },
);

/**
 * Namespaces a key is never delivered to, refused at admission: the cluster's own and the one deploy/
 * installs the operator in (the operator also refuses its own namespace wherever it runs, and any
 * tenant's namespace: service-accounts/delivery/delivery-plan.ts).
 */
export const DELIVERY_RESERVED_NAMESPACES = ['default', 'blink-accounts-system'] as const;
/** Label a namespace's owner sets on the Namespace to accept key copies from one tenant: its value is the tenant's name. */
export const ACCEPT_KEYS_FROM_LABEL = 'accounts.blinkops.com/accept-keys-from';

/** A workload in a delivery namespace restarted when a new key is in the copy. */
export const DeliveryRestartTargetSchema = Type.Object(
  {
    kind: stringEnum(RESTART_TARGET_KINDS, { description: 'Deployment, StatefulSet or DaemonSet.' }),
    name: Type.String({
      description: 'Name of the workload in the delivery namespace.',
      maxLength: 253,
      'x-kubernetes-validations': [matches(DNS_SUBDOMAIN, 'name must be a workload name: lowercase letters, digits, "-" and "."')],
    }),
  },
  { description: 'A workload of the delivery namespace that gets a rollout restart once a new key is in the copy.' },
);

/** One copy of the key Secret in another namespace. */
export const KeyDeliverySchema = Type.Object(
  {
    namespace: Type.String({
      description: `Namespace that receives a copy of the key Secret. It must opt in: its owner labels the Namespace ${ACCEPT_KEYS_FROM_LABEL}=<tenant name>; until then nothing is written there (KeyDelivered=False, NamespaceNotOptedIn). default, kube-*, the operator's namespace and any tenant's namespace never receive keys.`,
      maxLength: 63,
      'x-kubernetes-validations': [
        matches(DNS_LABEL, 'namespace must be a namespace name: lowercase letters, digits and "-", at most 63'),
        cel(
          {
            rule: `!(self in [${DELIVERY_RESERVED_NAMESPACES.map((n) => `'${n}'`).join(', ')}]) && !self.startsWith('kube-')`,
            message: "namespace may not be default, kube-* or the operator's namespace: keys are never delivered there",
          },
          (self) => typeof self !== 'string' || (!(DELIVERY_RESERVED_NAMESPACES as readonly string[]).includes(self) && !self.startsWith('kube-')),
        ),
      ],
    }),
    secretName: Type.Optional(
      Type.String({
        description: 'Name of the copy in that namespace. Default: the name of the key Secret here (<service account>-api-key). A Secret of that name that is not this account\'s copy is never touched (KeyDelivered=False, SecretConflict).',
        maxLength: 253,
        'x-kubernetes-validations': [matches(DNS_SUBDOMAIN, 'secretName must be a Secret name: lowercase letters, digits, "-" and "."')],
      }),
    ),
    restartTargets: Type.Optional(
      Type.Array(DeliveryRestartTargetSchema, {
        description:
          'Deployments, StatefulSets and DaemonSets of that namespace that get a rollout restart once a rotated key is in the copy, during the grace period. At most 16. The same rule as spec.keyRotation.restartTargets: only a workload whose pod template mounts or references the copy, or that is annotated accounts.blinkops.com/restart-on-key-rotation with this service account\'s name, is restarted (otherwise NotAKeyConsumer).',
        maxItems: 16,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['kind', 'name'],
      }),
    ),
  },
  { description: 'A copy of the key Secret in another namespace, where the application that uses the key runs.' },
);

/** What a ServiceAccount declares. */
export const ServiceAccountSpecSchema = Type.Object(
  {
    description: Type.Optional(text({ description: 'What the service account is for.', maxLength: 500 })),
    role: roleField('service account'),
    workspaces: Type.Optional(
      nameList({
        description:
          'Names of the Workspaces (in this namespace) the service account is invited to, at most 100. A Builder or Consumer service account acts in exactly these and in none by default; Admins act in every workspace.',
        itemDescription: 'Name of a Workspace in this namespace.',
        itemMessage: WORKSPACE_NAME_MESSAGE,
        maxItems: 100,
        default: [],
      }),
    ),
    keyRotation: Type.Optional(
      Type.Object(
        {
          revision: Type.Optional(
            counter({
              description: 'Key revision: increase it by one to replace the API key with a new one. Never decreases.',
              message: 'keyRotation.revision may not decrease: set it to a higher number to rotate the key',
            }),
          ),
          gracePeriod: Type.Optional(
            durationField({
              description: 'How long the previous key keeps working after a rotation, as a Go duration such as 24h; at most 168h. Default 0s: it stops at once.',
              min: '0s',
              max: '168h',
              default: '0s',
              message: 'gracePeriod must be a duration between 0s and 168h: write it like 30m, 24h or 1h30m',
            }),
          ),
          every: Type.Optional(
            durationField({
              description: 'Rotate the key on a schedule: a new key once the current one is this old, as a Go duration between 1h and 8760h (a year), such as 720h. Unset: only on request.',
              min: '1h',
              max: '8760h',
              message: 'every must be a duration between 1h and 8760h: write it like 720h or 24h',
            }),
          ),
          expireUnusedAfter: Type.Optional(
            durationField({
              description:
                'A key nobody used for this long stops verifying: counted from its last use (status.keyLastUsedAt, recorded to within an hour) or, never used, from its issue; as a Go duration between 24h and 87600h, such as 2160h (90 days). The account then says Ready=False, reason KeyExpiredUnused; raise revision for a new key. Unset: keys never expire unused.',
              min: '24h',
              max: '87600h',
              message: 'expireUnusedAfter must be a duration between 24h and 87600h: write it like 2160h (90 days) or 720h',
            }),
          ),
          restartTargets: Type.Optional(
            Type.Array(RestartTargetSchema, {
              description:
                "Deployments, StatefulSets and DaemonSets in this namespace that get a rollout restart once a new key is in the Secret (rotation, schedule or repair), during the grace period, so their pods read the new key. At most 16. Only a workload that uses the key is restarted: its pod template mounts or references the key Secret (a secret or projected volume, env valueFrom.secretKeyRef or envFrom.secretRef), or the workload is annotated accounts.blinkops.com/restart-on-key-rotation with this service account's name (several names: comma-separated). Any other name, existing or not, is not restarted (RolloutRestarted=False, reason NotAKeyConsumer); other failures show as RestartFailed.",
              maxItems: 16,
              'x-kubernetes-list-type': 'map',
              'x-kubernetes-list-map-keys': ['kind', 'name'],
            }),
          ),
        },
        { description: 'Declarative rotation of the API key: on request, on a schedule, and what to restart.', 'x-kubernetes-validations': [everyLongerThanGrace] },
      ),
    ),
    secretTemplate: Type.Optional(SecretTemplateSchema),
    delivery: Type.Optional(
      Type.Array(KeyDeliverySchema, {
        description: `Copies of the key Secret in other namespaces, at most 10, one per namespace, shaped by secretTemplate like the Secret here. Each namespace must opt in (label ${ACCEPT_KEYS_FROM_LABEL}=<tenant name> on the Namespace). Copies follow rotations and are repaired when deleted or altered; they are removed when their entry goes, the namespace withdraws its opt-in, or the account is deleted. The access API never reads them: a copy is an output, not a record. Condition KeyDelivered says where the key is and why not elsewhere.`,
        maxItems: 10,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['namespace'],
      }),
    ),
  },
  { description: 'Desired state of the service account: its role and workspaces.' },
);

/** What the operator reports about a ServiceAccount. */
export const ServiceAccountStatusSchema = Type.Object(
  {
    secretName: Type.Optional(Type.String({ description: 'Name of the Secret (in this namespace) that holds the API key.', maxLength: 253 })),
    keyId: Type.Optional(Type.String({ description: 'Non-secret identifier of the current API key.', maxLength: 64 })),
    fingerprint: Type.Optional(Type.String({ description: 'Short non-secret fingerprint of the current API key, to tell keys apart.', maxLength: 64 })),
    keyCreatedAt: Type.Optional(timestamp('When the current API key was issued.')),
    keyRevision: Type.Optional(Type.Integer({ description: 'spec.keyRotation.revision the current key was issued for.', format: 'int64', minimum: 0 })),
    previousKeyId: Type.Optional(
      Type.String({ description: 'Non-secret identifier of the previous API key while it still works after a rotation (spec.keyRotation.gracePeriod); unset otherwise.', maxLength: 64 }),
    ),
    previousKeyExpiresAt: Type.Optional(timestamp('When the previous API key stops working; unset without a previous key.')),
    keyLastUsedAt: Type.Optional(
      timestamp('When the current API key last authenticated through the access API, recorded by any replica at most once an hour per key (so it may be up to an hour behind); unset while never used.'),
    ),
    previousKeyLastUsedAt: Type.Optional(timestamp('When the previous API key last authenticated during its grace period (at most an hour behind); unset otherwise.')),
    role: Type.Optional(stringEnum(ROLES, { description: 'The role in effect as the operator last saw it (tells a role change apart for status.history).' })),
    history: Type.Optional(historyField()),
    nextRotationAt: Type.Optional(timestamp('When the key is rotated next by spec.keyRotation.every; unset without a schedule.')),
    rolledOutKeyId: Type.Optional(
      Type.String({ description: 'Key id the restart targets were last restarted for (or that was current when they were first recorded).', maxLength: 64 }),
    ),
    workspaces: Type.Optional(statusNames('Workspaces the service account can act in that exist.', 'Name of a Workspace.')),
    deliveredTo: Type.Optional(
      Type.Array(
        Type.Object(
          {
            namespace: Type.String({ description: 'Namespace of the copy.', maxLength: 63 }),
            secretName: Type.String({ description: 'Name of the copy.', maxLength: 253 }),
            keyId: Type.String({ description: 'Key id the copy holds (the restart targets of that namespace were restarted for it).', maxLength: 64 }),
          },
          { description: 'A copy of the key Secret in another namespace.' },
        ),
        { description: 'The copies of the key Secret the operator wrote in other namespaces (spec.delivery), and the key each holds.', maxItems: 10, 'x-kubernetes-list-type': 'atomic' },
      ),
    ),
    conditions: Type.Optional(conditionsField()),
    observedGeneration: Type.Optional(observedGenerationField()),
  },
  { description: 'Observed state of the service account, written by the operator.' },
);

/** The ServiceAccount kind (short name bsa; `sa` stays the core ServiceAccount). */
export const SERVICE_ACCOUNT_KIND = defineKind({
  kind: 'ServiceAccount',
  plural: 'serviceaccounts',
  shortNames: ['bsa'],
  scope: 'Namespaced',
  description: 'A non-human principal of the tenant with a role and one API key, kept in a Secret.',
  spec: ServiceAccountSpecSchema,
  specRequired: true,
  status: ServiceAccountStatusSchema,
  nameMaxLength: 63,
  nameMessage: objectNameMessage('ServiceAccount'),
  columns: [
    { name: 'Role', type: 'string', jsonPath: '.spec.role', description: 'Admin, Builder or Consumer' },
    { name: 'Workspaces', type: 'string', jsonPath: '.spec.workspaces', description: 'Workspaces the service account is invited to' },
    { name: 'Secret', type: 'string', jsonPath: '.status.secretName', description: 'Secret holding the API key' },
    { name: 'Key Age', type: 'date', jsonPath: '.status.keyCreatedAt', description: 'Time since the current API key was issued' },
    { name: 'Last Used', type: 'date', jsonPath: '.status.keyLastUsedAt', description: 'Time since the current API key last authenticated (recorded at most once an hour)' },
    { name: 'Next Rotation', type: 'date', jsonPath: '.status.nextRotationAt', description: 'When spec.keyRotation.every rotates the key next', priority: 1 },
    READY_COLUMN,
    AGE_COLUMN,
  ],
});

/** What a ServiceAccount declares. */
export type ServiceAccountSpec = Static<typeof ServiceAccountSpecSchema>;
/** What the operator reports about a ServiceAccount. */
export type ServiceAccountStatus = Static<typeof ServiceAccountStatusSchema>;
/** spec.secretTemplate. */
export type SecretTemplateSpec = Static<typeof SecretTemplateSchema>;
/** One of spec.delivery. */
export type KeyDeliverySpec = Static<typeof KeyDeliverySchema>;
/** One of spec.keyRotation.restartTargets. */
export type RestartTargetSpec = Static<typeof RestartTargetSchema>;
/** A ServiceAccount object. */
export type ServiceAccount = Static<typeof SERVICE_ACCOUNT_KIND.schema>;
