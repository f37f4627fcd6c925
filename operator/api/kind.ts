// What every kind of the API shares: group/version, object envelope, standard
// conditions, printer columns. `defineKind` turns a kind's spec and status
// schemas into the one definition the CRD generator and the validators read.
import { Type } from '@sinclair/typebox';
import type { Static, TArray, TInteger, TObject, TOptional, TSchema, TUnsafe } from '@sinclair/typebox';
import type { V1ObjectMeta } from '@kubernetes/client-node';
import { cel, DNS_LABEL, stringEnum, timestamp } from './schema-builder.js';
import type { CelRule } from './schema-builder.js';

/** API group of every kind. */
export const GROUP = 'accounts.blinkops.com';
/** The one served and stored version. */
export const VERSION = 'v1alpha1';
/** `apiVersion` of every object of the API. */
export const API_VERSION = `${GROUP}/${VERSION}`;
/** Category of every kind: `kubectl get blink` lists them all. */
export const CATEGORY = 'blink';

/** One standard condition (the shape of metav1.Condition). */
export const ConditionSchema = Type.Object(
  {
    type: Type.String({ description: 'Type of the condition in CamelCase, such as Ready.', minLength: 1, maxLength: 316 }),
    status: stringEnum(['True', 'False', 'Unknown'] as const, { description: 'Status of the condition: True, False or Unknown.' }),
    observedGeneration: Type.Optional(
      Type.Integer({ description: 'metadata.generation of the object when the condition was set; older than metadata.generation means out of date.', format: 'int64', minimum: 0 }),
    ),
    lastTransitionTime: timestamp('When the condition last changed from one status to another.'),
    reason: Type.String({ description: 'Machine-readable CamelCase reason for the last transition.', minLength: 1, maxLength: 1024 }),
    message: Type.String({ description: 'Human-readable details of the last transition.', maxLength: 32768 }),
  },
  { description: 'One aspect of the current state of the object.' },
);

/** A standard condition. */
export type Condition = Static<typeof ConditionSchema>;

/** The `status.conditions` list: a list-map keyed by `type`. */
export function conditionsField(): TArray<typeof ConditionSchema> {
  return Type.Array(ConditionSchema, {
    description: 'Current state of the object as standard conditions; Ready on every kind.',
    maxItems: 32,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
  });
}

/** The `status.observedGeneration` field. */
export function observedGenerationField(): TInteger {
  return Type.Integer({ description: 'metadata.generation the operator last acted on.', format: 'int64', minimum: 0 });
}

/** An additional printer column of `kubectl get`. */
export interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  readonly jsonPath: string;
  readonly description: string;
  readonly priority?: number;
}

/** The Ready printer column. */
export const READY_COLUMN: PrinterColumn = {
  name: 'Ready',
  type: 'string',
  jsonPath: '.status.conditions[?(@.type=="Ready")].status',
  description: 'Whether the object is in its declared state',
};

/** The Age printer column. */
export const AGE_COLUMN: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Time since creation' };

/** The object envelope of a kind: apiVersion, kind, metadata, spec, status. */
export type ObjectSchema<K extends string, Spec extends TSchema, Status extends TSchema, SpecRequired extends boolean> = TObject<{
  apiVersion: TUnsafe<typeof API_VERSION>;
  kind: TUnsafe<K>;
  metadata: TUnsafe<V1ObjectMeta>;
  spec: SpecRequired extends true ? Spec : TOptional<Spec>;
  status: TOptional<Status>;
}>;

/** Everything about one kind that the CRD generator and the validators need. */
export interface KindDefinition {
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly scope: 'Namespaced' | 'Cluster';
  /** One line on what the kind is, shown by `kubectl explain <kind>`. */
  readonly description: string;
  readonly spec: TSchema;
  readonly status: TSchema;
  readonly columns: readonly PrinterColumn[];
  /** The schema of a whole object. */
  readonly schema: TSchema;
}

/** A kind definition that keeps the static types of its schemas. */
export interface TypedKindDefinition<K extends string, Spec extends TSchema, Status extends TSchema, SpecRequired extends boolean> extends KindDefinition {
  readonly kind: K;
  readonly spec: Spec;
  readonly status: Status;
  readonly schema: ObjectSchema<K, Spec, Status, SpecRequired>;
}

interface KindOptions<K extends string, Spec extends TSchema, Status extends TSchema, SpecRequired extends boolean> {
  kind: K;
  plural: string;
  shortNames: readonly string[];
  scope: 'Namespaced' | 'Cluster';
  description: string;
  spec: Spec;
  specRequired: SpecRequired;
  status: Status;
  columns: readonly PrinterColumn[];
  /** Longest allowed object name. */
  nameMaxLength: number;
  /** What the user reads when the object name is not a DNS-1123 label of at most nameMaxLength characters. */
  nameMessage: string;
}

/** Defines a kind from its spec and status schemas. */
export function defineKind<const K extends string, Spec extends TSchema, Status extends TSchema, SpecRequired extends boolean>(
  options: KindOptions<K, Spec, Status, SpecRequired>,
): TypedKindDefinition<K, Spec, Status, SpecRequired> {
  const nameRegExp = new RegExp(DNS_LABEL);
  // Kubernetes lets a CRD restrict metadata.name (and nothing else in metadata);
  // the maxLength also bounds the cost of the CEL rule below.
  const nameRule: CelRule = cel(
    { rule: `self.metadata.name.matches("${DNS_LABEL}")`, message: options.nameMessage, fieldPath: '.metadata.name' },
    // A manifest validated before creation may use generateName; the server names it.
    (self) => {
      const name = (self as { metadata?: { name?: unknown } }).metadata?.name;
      return typeof name !== 'string' || nameRegExp.test(name);
    },
  );
  const metadata = Type.Unsafe<V1ObjectMeta>({
    type: 'object',
    properties: { name: { type: 'string', maxLength: options.nameMaxLength } },
  });
  const apiVersion = Type.Unsafe<typeof API_VERSION>({ type: 'string', description: `Version of the object's schema: ${API_VERSION}.` });
  const kind = Type.Unsafe<K>({ type: 'string', description: `Kind of the object: ${options.kind}.` });
  const spec = (options.specRequired ? options.spec : Type.Optional(options.spec)) as SpecRequired extends true ? Spec : TOptional<Spec>;
  const schema = Type.Object(
    { apiVersion, kind, metadata, spec, status: Type.Optional(options.status) },
    { description: options.description, 'x-kubernetes-validations': [nameRule] },
  ) as ObjectSchema<K, Spec, Status, SpecRequired>;
  return {
    kind: options.kind,
    plural: options.plural,
    singular: options.kind.toLowerCase(),
    shortNames: options.shortNames,
    scope: options.scope,
    description: options.description,
    spec: options.spec,
    status: options.status,
    columns: options.columns,
    schema,
  };
}
