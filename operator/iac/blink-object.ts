// What the five constructs share: one object of the API, validated with the
// API's own validators when it is declared, rendered to YAML, and bound to
// Terraform by two resources (`terraform_data`, built into Terraform >= 1.4 and
// every OpenTofu, or the null provider's `null_resource`; see binding.ts):
//
// - `blink_<kind>_<ns>_<name>` (the object): its triggers are the object's
//   identity; its destroy-time provisioner deletes the object. It is replaced
//   only when the identity changes, that is when it is another object.
// - `blink_<kind>_<ns>_<name>_manifest`: its trigger is the manifest; its
//   create-time provisioner applies it. A spec change replaces only this one,
//   which re-applies: a change never deletes and re-creates the object (that
//   would issue a new API key or a new invitation).
//
// Both carry what their provisioners need in triggers, since destroy-time
// provisioners may only reference `self`. A third resource per stack lists
// every object declared and deletes those removed from the app (binding.ts).
import type { KubernetesObject } from '@kubernetes/client-node';
import type { TerraformResource } from 'cdktf';
import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { API_VERSION, GROUP, PLURALS, validate } from '../api/index.js';
import { BlinkValidationError } from './validation-error.js';
import { bindingResource, declareInStack, IAC_FIELD_MANAGER, selfTriggers, shellQuote } from './binding.js';
import { renderManifest } from './manifest.js';
import { escapeTemplate } from './terraform-template.js';

/** A kind of the API. */
export type BlinkKind = keyof typeof PLURALS;

/** Metadata every construct accepts. */
export interface BlinkObjectProps {
  /**
   * `metadata.name` of the object: a DNS-1123 label.
   * @default the construct id
   */
  readonly name?: string;
  /**
   * `metadata.labels` of the object.
   * @default no labels
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * `metadata.annotations` of the object.
   * @default no annotations
   */
  readonly annotations?: Readonly<Record<string, string>>;
}

export { BlinkValidationError } from './validation-error.js';

/** Options of `BlinkObject`, given by the concrete constructs. */
export interface BlinkObjectOptions {
  readonly kind: BlinkKind;
  readonly name: string;
  readonly namespace: string | undefined;
  readonly spec: object;
  readonly props: BlinkObjectProps;
}

const BLINK_OBJECT = Symbol.for('blink-accounts.BlinkObject');

/** Objects declared per stack, by `kind/namespace/name`, to refuse a second declaration. */
const declared = new WeakMap<TerraformStack, Map<string, string>>();

/** One object of the API declared in a Terraform stack. */
export abstract class BlinkObject extends Construct {
  /** Kind of the object. */
  readonly kind: BlinkKind;
  /** `metadata.name` of the object. */
  readonly name: string;
  /** Namespace of the object; undefined for a Tenant (cluster-scoped). */
  readonly namespace: string | undefined;
  /** The object as applied (deep-frozen). */
  readonly manifest: KubernetesObject;
  /** The YAML Terraform applies and `blink-accounts synth` writes. */
  readonly yaml: string;
  /** The resource whose destroy-time provisioner deletes the object. */
  readonly objectResource: TerraformResource;
  /** The resource whose create-time provisioner applies the manifest. */
  readonly manifestResource: TerraformResource;

  protected constructor(scope: Construct, id: string, options: BlinkObjectOptions) {
    super(scope, id);
    Object.defineProperty(this, BLINK_OBJECT, { value: true });
    this.kind = options.kind;
    this.name = options.name;
    this.namespace = options.namespace;
    const metadata: Record<string, unknown> = { name: options.name };
    if (options.namespace !== undefined) metadata['namespace'] = options.namespace;
    if (options.props.labels !== undefined) metadata['labels'] = { ...options.props.labels };
    if (options.props.annotations !== undefined) metadata['annotations'] = { ...options.props.annotations };
    const manifest = { apiVersion: API_VERSION, kind: options.kind, metadata, spec: options.spec } as KubernetesObject;
    assertValidObject(this.node.path, manifest);
    this.manifest = deepFreeze(manifest);
    this.yaml = renderManifest(manifest);

    const stack = TerraformStack.of(this);
    registerDeclaration(stack, this);
    const resource = `${PLURALS[options.kind]}.${GROUP}`;
    const { type, kubectl } = declareInStack(stack, { resource, name: options.name, namespace: options.namespace });
    const identity: Record<string, string> = { resource, name: options.name };
    if (options.namespace !== undefined) identity['namespace'] = options.namespace;
    const self = selfTriggers(type);
    const logicalId = ['blink', options.kind.toLowerCase(), options.namespace, options.name].filter((p) => p !== undefined).join('_');
    const namespaceFlag = options.namespace === undefined ? '' : ' --namespace "$BLINK_NAMESPACE"';
    this.objectResource = bindingResource(this, 'Object', type, {
      triggers: identity,
      provisioners: [
        {
          type: 'local-exec',
          when: 'destroy',
          command: escapeTemplate(`${shellQuote(kubectl)} delete "$BLINK_RESOURCE" "$BLINK_NAME"${namespaceFlag} --ignore-not-found`),
          environment: Object.fromEntries(Object.keys(identity).map((key) => [`BLINK_${key.toUpperCase()}`, `\${${self}.${key}}`])),
        },
      ],
    });
    this.objectResource.overrideLogicalId(logicalId);
    this.manifestResource = bindingResource(this, 'Manifest', type, {
      triggers: { manifest: escapeTemplate(this.yaml) },
      dependsOn: [this.objectResource],
      provisioners: [
        {
          type: 'local-exec',
          command: escapeTemplate(`printf '%s' "$BLINK_MANIFEST" | ${shellQuote(kubectl)} apply --server-side --force-conflicts --field-manager=${IAC_FIELD_MANAGER} -f -`),
          environment: { BLINK_MANIFEST: `\${${self}.manifest}` },
        },
      ],
    });
    this.manifestResource.overrideLogicalId(`${logicalId}_manifest`);
  }

  /** True for the constructs of this library (also across copies of the module). */
  static isBlinkObject(value: unknown): value is BlinkObject {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BLINK_OBJECT] === true;
  }

  /**
   * Makes this object be applied after `others` and deleted before them, which
   * is what Terraform does with `depends_on`. Idempotent.
   */
  protected dependOn(others: readonly BlinkObject[]): void {
    const current = this.objectResource.dependsOn ?? [];
    const wanted = others.map((other) => `${other.manifestResource.terraformResourceType}.${other.manifestResource.friendlyUniqueId}`);
    this.objectResource.dependsOn = [...new Set([...current, ...wanted])];
  }
}

/** Throws a BlinkValidationError naming each bad field and its value, unless the API would accept `object`. */
function assertValidObject(path: string, object: KubernetesObject): void {
  const errors = validate(object);
  if (errors.length === 0) return;
  const what = `${object.kind} ${object.metadata?.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata?.name}`;
  const details = errors.map((e) => {
    const value = valueAt(object, e.field);
    return `${e.field}${value === undefined ? '' : ` ${JSON.stringify(value)}`}: ${e.message}`;
  });
  throw new BlinkValidationError(path, errors, `${path}: ${what} is invalid: ${details.join('; ')}`);
}

/** The value at a field path such as `spec.groups[1]`, or undefined. */
function valueAt(object: unknown, field: string): unknown {
  let value = object;
  for (const segment of field.split(/\.|(?=\[)/).filter((s) => s !== '')) {
    if (typeof value !== 'object' || value === null) return undefined;
    const index = /^\[(\d+)\]$/.exec(segment);
    value = index ? (value as unknown[])[Number(index[1])] : (value as Record<string, unknown>)[segment];
  }
  return value;
}

function registerDeclaration(stack: TerraformStack, object: BlinkObject): void {
  let objects = declared.get(stack);
  if (!objects) declared.set(stack, (objects = new Map()));
  const key = `${object.kind} ${object.namespace ? `${object.namespace}/` : ''}${object.name}`;
  const previous = objects.get(key);
  if (previous !== undefined) {
    throw new BlinkValidationError(object.node.path, [], `${object.node.path}: ${key} is already declared in this stack by ${previous}`);
  }
  objects.set(key, object.node.path);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
