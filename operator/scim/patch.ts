// SCIM PATCH (RFC 7644 §3.5.2) as the real clients send it. The operations are
// applied by scim-patch to the resource's SCIM representation; this file first
// makes what Entra ID and Okta send into what the RFC says: op names in any case
// ("Replace", "Add", "Remove"), path-less operations whose value object holds
// several attributes (also dotted ones, as Entra ID writes "name.givenName") split
// into one operation per attribute, and string booleans ("True", "False") read as
// booleans where the schema has a boolean (active, primary), and Entra ID's member
// removal by value list made the `members[value eq "<id>"]` removals Okta sends.
import { scimPatch, PATCH_OPERATION_SCHEMA } from 'scim-patch';
import type { ScimPatchOperation, ScimResource } from 'scim-patch';
import { invalidSyntax, invalidValue, ScimError } from './errors.js';
import type { ScimType } from './errors.js';

/** Most operations in one PATCH request. */
export const PATCH_MAX_OPERATIONS = 1_000;

const BOOLEAN_ATTRIBUTES = new Set(['active', 'primary']);

function booleanish(value: unknown): unknown {
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  return value;
}

/** Reads string booleans of boolean attributes anywhere in `value` (a path's last attribute is `attribute`). */
function withBooleans(value: unknown, attribute: string | undefined): unknown {
  if (attribute !== undefined && BOOLEAN_ATTRIBUTES.has(attribute.toLowerCase())) return booleanish(value);
  if (Array.isArray(value)) return value.map((v) => withBooleans(v, undefined));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, withBooleans(v, k)]));
  }
  return value;
}

/** The last attribute name of a path (`name.givenName` → givenName, `emails[type eq "work"].primary` → primary, `active` → active). */
function lastAttribute(path: string): string {
  const withoutFilters = path.replace(/\[[^\]]*\]/g, '');
  const afterUrn = withoutFilters.slice(withoutFilters.lastIndexOf(':') + 1);
  return afterUrn.slice(afterUrn.lastIndexOf('.') + 1);
}

/** The operations of a PATCH body, in RFC form; throws invalidSyntax for a body that is not a PatchOp. */
export function normalisePatch(body: unknown): ScimPatchOperation[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidSyntax('The request body must be a SCIM PatchOp (a JSON object)');
  const object = body as Record<string, unknown>;
  const schemas = object['schemas'];
  if (!Array.isArray(schemas) || !schemas.includes(PATCH_OPERATION_SCHEMA)) throw invalidSyntax(`schemas must include ${PATCH_OPERATION_SCHEMA}`);
  const operations = object['Operations'] ?? object['operations'];
  if (!Array.isArray(operations) || operations.length === 0) throw invalidSyntax('Operations must be a non-empty list');
  if (operations.length > PATCH_MAX_OPERATIONS) throw new ScimError(400, `A PATCH may hold at most ${PATCH_MAX_OPERATIONS} operations`, 'tooMany');
  const out: ScimPatchOperation[] = [];
  for (const raw of operations as unknown[]) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalidSyntax('Each operation must be a JSON object');
    const operation = raw as Record<string, unknown>;
    const op = typeof operation['op'] === 'string' ? operation['op'].toLowerCase() : undefined;
    if (op !== 'add' && op !== 'replace' && op !== 'remove') throw invalidSyntax('op must be add, replace or remove');
    const path = operation['path'];
    if (path !== undefined && (typeof path !== 'string' || path.length > 500)) throw invalidSyntax('path must be a string of at most 500 characters');
    const hasValue = 'value' in operation;
    if (op !== 'remove' && !hasValue) throw invalidSyntax(`The operation ${op} needs a value`);
    if (typeof path === 'string' && path !== '' && op === 'remove' && Array.isArray(operation['value']) && /^members$/i.test(path)) {
      // Entra ID removes members as {"path": "members", "value": [{"value": "<id>"}]}: one remove per id, as Okta writes it.
      for (const item of operation['value'] as unknown[]) {
        const id = typeof item === 'object' && item !== null ? (item as Record<string, unknown>)['value'] : undefined;
        if (typeof id !== 'string' || id === '' || id.includes('"') || id.includes('\\')) throw invalidValue('each member to remove must be {"value": "<User id>"}');
        out.push({ op: 'remove', path: `members[value eq "${id}"]` });
      }
      continue;
    }
    if (typeof path === 'string' && path !== '') {
      out.push({ op, path, ...(hasValue ? { value: withBooleans(operation['value'], lastAttribute(path)) } : {}) } as ScimPatchOperation);
      continue;
    }
    if (op === 'remove') throw new ScimError(400, 'A remove operation needs a path', 'noTarget');
    const value = operation['value'];
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidValue(`A path-less ${op} needs an object of attributes as its value`);
    // One operation per attribute: dotted keys ("name.givenName") become paths, as the RFC would have written them.
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) out.push({ op, path: key, value: withBooleans(inner, lastAttribute(key)) } as ScimPatchOperation);
  }
  return out;
}

/** Applies the operations to a SCIM resource (a copy); the library's errors become SCIM errors. */
export function applyPatch(resource: Record<string, unknown>, operations: readonly ScimPatchOperation[]): Record<string, unknown> {
  try {
    const copy = JSON.parse(JSON.stringify(resource)) as ScimResource;
    return scimPatch(copy, [...operations], { mutateDocument: true, treatMissingAsAdd: true }) as unknown as Record<string, unknown>;
  } catch (error) {
    if (error instanceof ScimError) throw error;
    const code = (error as { scimCode?: string }).scimCode;
    if (code !== undefined) throw new ScimError(400, (error as Error).message.slice(0, 300), code as ScimType);
    throw invalidValue(`The PATCH could not be applied: ${(error instanceof Error ? error.message : String(error)).slice(0, 300)}`);
  }
}
