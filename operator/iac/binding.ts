// How the objects of a stack are bound to Terraform resources: which resource
// type, which kubectl, and the one resource per stack that deletes what was
// removed from the app.
//
// Two resource types serve, with the same triggers, ids and provisioners:
// - `terraform_data` (the default): built into Terraform >= 1.4 and every
//   OpenTofu release, so `init` installs no provider at all (works offline and
//   air-gapped, no lock file to keep); HashiCorp recommends it over null_resource.
//   Its triggers are `triggers_replace`.
// - `null_resource` of the hashicorp/null provider, for teams that already pin
//   it; its triggers are `triggers`.
//
// Removing a construct from the app removes its resources from the
// configuration, and Terraform runs no destroy-time provisioner for a resource
// that is no longer configured. So each stack also holds
// `blink_declared_objects`, whose trigger lists every object declared: when the
// list changes it is replaced, and the destroy-time provisioner of the old
// instance (which sees the old list in `self` and the new one in its
// configuration) deletes each object that is in the old list only.
import type { ITerraformDependable, LocalExecProvisioner, TerraformResource, TerraformStack } from 'cdktf';
import { DataResource, Lazy } from 'cdktf';
import type { Construct } from 'constructs';
import { NullProvider } from '@cdktf/provider-null/lib/provider/index.js';
import { Resource as NullResource } from '@cdktf/provider-null/lib/resource/index.js';
import { escapeTemplate } from './terraform-template.js';
import { BlinkValidationError } from './validation-error.js';

/** Context key naming the kubectl the provisioners run (a command on PATH or a path). */
export const KUBECTL_CONTEXT_KEY = 'blink-accounts:kubectl';

/** Context key choosing the resource type that binds the objects: `terraform_data` (default) or `null_resource`. */
export const RESOURCE_TYPE_CONTEXT_KEY = 'blink-accounts:resource-type';

/** Field manager of the server-side applies the provisioners run. */
export const IAC_FIELD_MANAGER = 'blink-accounts-iac';

/** The resource types that can bind objects. */
export const BINDING_RESOURCE_TYPES = ['terraform_data', 'null_resource'] as const;

/** A resource type that can bind objects. */
export type BindingResourceType = (typeof BINDING_RESOURCE_TYPES)[number];

/** Logical id of the resource that deletes objects removed from the app. */
export const DECLARED_OBJECTS_ID = 'blink_declared_objects';

/** What a provisioner writes to reach the triggers of its own resource. */
export function selfTriggers(type: BindingResourceType): string {
  return type === 'terraform_data' ? 'self.triggers_replace' : 'self.triggers';
}

/** What a binding resource holds. */
export interface BindingResourceConfig {
  /** Replaces the resource when any value changes; provisioners read them through `selfTriggers`. */
  readonly triggers: Readonly<Record<string, string>>;
  readonly provisioners: readonly LocalExecProvisioner[];
  readonly dependsOn?: readonly ITerraformDependable[];
}

/** A `terraform_data` or `null_resource` with `config`. */
export function bindingResource(scope: Construct, id: string, type: BindingResourceType, config: BindingResourceConfig): TerraformResource {
  const meta = { provisioners: [...config.provisioners], ...(config.dependsOn ? { dependsOn: [...config.dependsOn] } : {}) };
  if (type === 'terraform_data') return new DataResource(scope, id, { triggersReplace: { ...config.triggers }, ...meta });
  return new NullResource(scope, id, { triggers: { ...config.triggers }, ...meta });
}

/** Identity of one object: what `kubectl delete` needs. */
export interface ObjectIdentity {
  /** `<plural>.<group>`. */
  readonly resource: string;
  readonly name: string;
  readonly namespace: string | undefined;
}

/** What the objects of one stack share. */
interface StackBinding {
  readonly type: BindingResourceType;
  readonly kubectl: string;
  readonly objects: ObjectIdentity[];
}

const bindings = new WeakMap<TerraformStack, StackBinding>();

/**
 * Records `object` as declared in `stack` and returns how the stack binds
 * objects. The first call sets the stack up: the null provider when the
 * resource type needs it, and the resource that deletes removed objects.
 */
export function declareInStack(stack: TerraformStack, object: ObjectIdentity): { readonly type: BindingResourceType; readonly kubectl: string } {
  let binding = bindings.get(stack);
  if (!binding) {
    binding = { type: resourceTypeOf(stack), kubectl: String(stack.node.tryGetContext(KUBECTL_CONTEXT_KEY) ?? 'kubectl'), objects: [] };
    bindings.set(stack, binding);
    if (binding.type === 'null_resource' && !stack.node.findAll().some((c) => c instanceof NullProvider)) new NullProvider(stack, 'blink-accounts-null');
    addDeclaredObjects(stack, binding);
  }
  binding.objects.push(object);
  return binding;
}

function resourceTypeOf(stack: TerraformStack): BindingResourceType {
  const value: unknown = stack.node.tryGetContext(RESOURCE_TYPE_CONTEXT_KEY) ?? 'terraform_data';
  if (!BINDING_RESOURCE_TYPES.includes(value as BindingResourceType)) {
    throw new BlinkValidationError(
      stack.node.path,
      [],
      `${stack.node.path}: context ${RESOURCE_TYPE_CONTEXT_KEY} ${JSON.stringify(value)}: Unsupported value: supported values: ${BINDING_RESOURCE_TYPES.map((t) => `"${t}"`).join(', ')}`,
    );
  }
  return value as BindingResourceType;
}

/** One line per object, `<resource> <name>[ <namespace>]`, sorted: what the declared-objects trigger holds. */
export function declaredObjectLines(objects: readonly ObjectIdentity[]): string {
  return objects
    .map((o) => [o.resource, o.name, o.namespace].filter((p) => p !== undefined).join(' '))
    .sort()
    .join('\n');
}

/** Deletes each line of $BLINK_PREVIOUS that is not a line of $BLINK_DECLARED. */
function pruneScript(kubectl: string): string {
  return [
    `printf '%s\\n' "$BLINK_PREVIOUS" | while IFS= read -r object; do`,
    `  [ -n "$object" ] || continue`,
    `  printf '%s\\n' "$BLINK_DECLARED" | grep -qxF -e "$object" && continue`,
    `  set -- $object`,
    `  echo "Deleting $1 $2\${3:+ in namespace $3}: no longer declared"`,
    `  ${shellQuote(kubectl)} delete "$1" "$2" \${3:+--namespace "$3"} --ignore-not-found || exit 1`,
    `done`,
  ].join('\n');
}

function addDeclaredObjects(stack: TerraformStack, binding: StackBinding): void {
  const declared = Lazy.stringValue({ produce: () => declaredObjectLines(binding.objects) });
  const resource = bindingResource(stack, 'blink-accounts-declared-objects', binding.type, {
    triggers: { objects: declared },
    provisioners: [
      {
        type: 'local-exec',
        when: 'destroy',
        command: escapeTemplate(pruneScript(binding.kubectl)),
        // The old list from state, the new one from the configuration.
        environment: { BLINK_PREVIOUS: `\${${selfTriggers(binding.type)}.objects}`, BLINK_DECLARED: declared },
      },
    ],
  });
  resource.overrideLogicalId(DECLARED_OBJECTS_ID);
}

/** `value` quoted for /bin/sh. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:=@-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
