// Validation of objects of the API outside the API server (operator, CLI,
// construct library), with the verdicts the API server reaches: the same
// schemas through ajv, defaults applied first, then the TypeScript twins of the
// CEL rules. `validateUpdate` adds the transition rules (immutable email, ...).
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { plainSchema } from './crds.js';
import type { KindDefinition } from './kind.js';
import { API_VERSION } from './kind.js';
import { kindDefinition, KINDS } from './kinds.js';
import { isTransitionRule, ruleCheck } from './schema-builder.js';
import type { CelRule } from './schema-builder.js';

/** One problem with one field, as `kubectl` would show it: `spec.email: ...`. */
export interface FieldError {
  /** Path of the field, such as `spec.groups[1]` or `metadata.name`. */
  readonly field: string;
  /** What is wrong and, where the API says so, what to do. */
  readonly message: string;
}

/** Thrown by `assertValid` and `assertValidUpdate`; lists every problem. */
export class InvalidObjectError extends Error {
  constructor(
    readonly object: string,
    readonly errors: readonly FieldError[],
  ) {
    super(`${object} is invalid: ${formatFieldErrors(errors)}`);
    this.name = 'InvalidObjectError';
  }
}

/** `field: message; field: message`. */
export function formatFieldErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => `${e.field}: ${e.message}`).join('; ');
}

type Json = { [key: string]: unknown };

// ajv-formats is CommonJS: its default import is module.exports, which carries the plugin as `default` too.
const addFormats = addFormatsModule.default;

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, strictRequired: false });
for (const keyword of ['x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-validations']) ajv.addKeyword(keyword);
addFormats(ajv);

interface CompiledKind {
  readonly definition: KindDefinition;
  /** The schema as the API server has it (also what the CEL walk reads). */
  readonly schema: Json;
  readonly validate: ValidateFunction;
}

const compiled = new Map<string, CompiledKind>();

function compiledKind(definition: KindDefinition): CompiledKind {
  let entry = compiled.get(definition.kind);
  if (!entry) {
    const schema = plainSchema(definition.schema);
    entry = { definition, schema, validate: ajv.compile(strictSchema(schema, true)) };
    compiled.set(definition.kind, entry);
  }
  return entry;
}

/**
 * The ajv form of a CRD schema: unknown fields are errors (as with kubectl's
 * strict field validation) everywhere except in metadata, and set lists reject
 * duplicates.
 */
function strictSchema(node: Json, isRoot = false): Json {
  const out: Json = { ...node };
  if (node['x-kubernetes-list-type'] === 'set') out['uniqueItems'] = true;
  if (node['items']) out['items'] = strictSchema(node['items'] as Json);
  const properties = node['properties'] as Record<string, Json> | undefined;
  if (properties) {
    out['properties'] = Object.fromEntries(
      Object.entries(properties).map(([name, child]) => [name, isRoot && name === 'metadata' ? child : strictSchema(child)]),
    );
    out['additionalProperties'] = false;
  }
  return out;
}

function fieldPath(instancePath: string): string {
  let path = '';
  for (const segment of instancePath.split('/').slice(1)) {
    const name = segment.replace(/~1/g, '/').replace(/~0/g, '~');
    path += /^\d+$/.test(name) ? `[${name}]` : path === '' ? name : `.${name}`;
  }
  return path;
}

function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

function fromAjv(error: ErrorObject): FieldError {
  const path = fieldPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { field: join(path, String(params['missingProperty'])), message: 'Required value' };
    case 'additionalProperties':
      return { field: join(path, String(params['additionalProperty'])), message: 'unknown field' };
    case 'enum':
      return {
        field: path,
        message: `Unsupported value: supported values: ${(params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'uniqueItems':
      // Reported on the later of the two, as the API server does.
      return { field: `${path}[${Math.max(Number(params['i']), Number(params['j']))}]`, message: 'Duplicate value' };
    default:
      return { field: path, message: error.message ?? error.keyword };
  }
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Evaluates the CEL rules of `schema` and below on `value`; transition rules only where `old` has the value. */
function checkRules(schema: Json, value: unknown, old: unknown, path: string, errors: FieldError[]): void {
  if (value === undefined) return;
  for (const rule of (schema['x-kubernetes-validations'] as CelRule[] | undefined) ?? []) {
    const transition = isTransitionRule(rule.rule);
    if (transition && old === undefined) continue;
    const check = ruleCheck(rule.rule);
    if (!check) throw new Error(`CEL rule without a TypeScript check: ${rule.rule}`);
    let passed: boolean;
    try {
      passed = check(value, transition ? old : undefined);
    } catch {
      // A value of the wrong shape is reported by the schema already.
      passed = true;
    }
    if (!passed) errors.push({ field: rule.fieldPath ? join(path, rule.fieldPath.slice(1)) : path, message: rule.message });
  }
  const properties = schema['properties'] as Record<string, Json> | undefined;
  if (properties && isObject(value)) {
    for (const [name, child] of Object.entries(properties)) {
      checkRules(child, value[name], isObject(old) ? old[name] : undefined, join(path, name), errors);
    }
  }
  const additional = schema['additionalProperties'];
  if (isObject(additional) && isObject(value) && !properties) {
    for (const [name, child] of Object.entries(value)) checkRules(additional, child, isObject(old) ? old[name] : undefined, `${path}[${name}]`, errors);
  }
  const items = schema['items'] as Json | undefined;
  if (items && Array.isArray(value)) {
    // Kubernetes correlates old and new list items only for map lists; none of ours has transition rules.
    value.forEach((item, index) => checkRules(items, item, undefined, `${path}[${index}]`, errors));
    const keys = schema['x-kubernetes-list-map-keys'] as string[] | undefined;
    if (schema['x-kubernetes-list-type'] === 'map' && keys) {
      const seen = new Set<string>();
      value.forEach((item, index) => {
        const key = JSON.stringify(keys.map((k) => (isObject(item) ? item[k] : undefined)));
        if (seen.has(key)) errors.push({ field: `${path}[${index}]`, message: 'Duplicate value' });
        seen.add(key);
      });
    }
  }
}

function describeObject(object: unknown): string {
  if (!isObject(object)) return 'object';
  const metadata = isObject(object['metadata']) ? object['metadata'] : {};
  const name = typeof metadata['name'] === 'string' ? metadata['name'] : '<unnamed>';
  return `${typeof object['kind'] === 'string' ? object['kind'] : 'object'} ${typeof metadata['namespace'] === 'string' ? `${metadata['namespace']}/` : ''}${name}`;
}

function envelopeErrors(object: unknown): { errors: FieldError[]; kind?: CompiledKind } {
  if (!isObject(object)) return { errors: [{ field: '', message: 'must be an object' }] };
  if (object['apiVersion'] !== API_VERSION) {
    return { errors: [{ field: 'apiVersion', message: `Unsupported value: ${JSON.stringify(object['apiVersion'])}: supported values: "${API_VERSION}"` }] };
  }
  const definition = kindDefinition(object['kind']);
  if (!definition) {
    return {
      errors: [{ field: 'kind', message: `Unsupported value: ${JSON.stringify(object['kind'])}: supported values: ${KINDS.map((k) => `"${k.kind}"`).join(', ')}` }],
    };
  }
  return { errors: [], kind: compiledKind(definition) };
}

/** A copy of `object` with the schema defaults applied, as the API server stores it. */
export function withDefaults<T>(object: T): T {
  const copy = structuredClone(object);
  const { kind } = envelopeErrors(copy);
  kind?.validate(copy);
  return copy;
}

/**
 * Validates an object of the API (any of the five kinds) as the API server does
 * on create: schema, unknown fields, then the CEL rules. Empty when valid.
 */
export function validate(object: unknown): FieldError[] {
  return validateAgainst(object, undefined);
}

/**
 * Validates the change from `oldObject` (as stored) to `newObject` as the API
 * server does on update: everything `validate` checks plus the transition rules
 * (email and tenant namespace immutable, counters that may not decrease).
 */
export function validateUpdate(oldObject: unknown, newObject: unknown): FieldError[] {
  const errors = validateAgainst(newObject, oldObject === undefined ? undefined : withDefaults(oldObject));
  if (isObject(oldObject) && isObject(newObject) && oldObject['kind'] !== newObject['kind']) {
    errors.unshift({ field: 'kind', message: `may not change from ${JSON.stringify(oldObject['kind'])}` });
  }
  return errors;
}

function validateAgainst(object: unknown, old: unknown): FieldError[] {
  const { errors, kind } = envelopeErrors(object);
  if (!kind) return errors;
  const copy = structuredClone(object) as Json;
  if (!kind.validate(copy)) {
    // Like the API server, CEL rules are checked only once the schema is satisfied.
    return dedupe((kind.validate.errors ?? []).map(fromAjv));
  }
  checkRules(kind.schema, copy, old, '', errors);
  return errors;
}

function dedupe(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.field}\u0000${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Throws an `InvalidObjectError` unless `object` is valid. */
export function assertValid(object: unknown): void {
  const errors = validate(object);
  if (errors.length > 0) throw new InvalidObjectError(describeObject(object), errors);
}

/** Throws an `InvalidObjectError` unless the change from `oldObject` to `newObject` is valid. */
export function assertValidUpdate(oldObject: unknown, newObject: unknown): void {
  const errors = validateUpdate(oldObject, newObject);
  if (errors.length > 0) throw new InvalidObjectError(describeObject(newObject), errors);
}
