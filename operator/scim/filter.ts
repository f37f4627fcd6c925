// SCIM filters (RFC 7644 §3.4.2.2) → which resources a list returns. Parsing is
// scim2-parse-filter's; this file bounds the input (length, nesting, size) before
// and after parsing, refuses attributes the endpoint does not filter on
// (invalidFilter), and compares the case-insensitive attributes (userName,
// emails, displayName: caseExact false in RFC 7643) without regard to case.
import { filter as compile, parse } from 'scim2-parse-filter';
import type { Filter } from 'scim2-parse-filter';
import { invalidFilter, invalidValue } from './errors.js';
import { GROUP_SCHEMA, USER_SCHEMA } from './mapping.js';

/** Longest filter accepted (characters). */
export const FILTER_MAX_LENGTH = 1_000;
/** Deepest nesting of parentheses and brackets accepted. */
export const FILTER_MAX_DEPTH = 5;
/** Most comparisons in one filter. */
export const FILTER_MAX_TERMS = 20;

/** Attributes a filter may name, per resource type (lowercase, dotted); the case-insensitive ones are compared folded. */
const FILTERABLE = {
  User: { exact: ['id', 'externalid', 'active', 'emails.primary'], folded: ['username', 'displayname', 'emails.value', 'emails.type', 'name.formatted', 'name.givenname', 'name.familyname'] },
  Group: { exact: ['id', 'externalid', 'members.value'], folded: ['displayname'] },
} as const;

/** The resource types a filter applies to. */
export type FilterTarget = keyof typeof FILTERABLE;

/** Nesting depth of ( and [ outside quoted strings; checked before the recursive parser sees the text. */
function nesting(text: string): number {
  let depth = 0;
  let max = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === '(' || c === '[') max = Math.max(max, ++depth);
    else if (c === ')' || c === ']') depth--;
  }
  return max;
}

/** The attribute path without the core schema URN, lowercase. */
function attributePath(path: string, target: FilterTarget): string {
  const schema = (target === 'User' ? USER_SCHEMA : GROUP_SCHEMA).toLowerCase();
  const lower = path.toLowerCase();
  return lower.startsWith(`${schema}:`) ? lower.slice(schema.length + 1) : lower;
}

/** Checks and rewrites the parsed filter: known attributes only, folded values for folded attributes. */
function normalise(node: Filter, target: FilterTarget, parent: string | undefined, budget: { terms: number }): Filter {
  switch (node.op) {
    case 'and':
    case 'or':
      return { op: node.op, filters: node.filters.map((f) => normalise(f, target, parent, budget)) };
    case 'not':
      return { op: 'not', filter: normalise(node.filter, target, parent, budget) };
    case '[]': {
      if (parent !== undefined) throw invalidFilter('A filter may not nest one [..] inside another');
      const path = attributePath(node.attrPath, target);
      return { op: '[]', attrPath: path, valFilter: normalise(node.valFilter, target, path, budget) };
    }
    default: {
      if (--budget.terms < 0) throw invalidFilter(`A filter may hold at most ${FILTER_MAX_TERMS} comparisons`);
      const own = attributePath(node.attrPath, target);
      const full = parent !== undefined ? `${parent}.${own}` : own;
      const rules = FILTERABLE[target];
      const folded = (rules.folded as readonly string[]).includes(full);
      if (!folded && !(rules.exact as readonly string[]).includes(full)) {
        throw invalidFilter(`Filtering ${target}s on "${node.attrPath.slice(0, 100)}" is not supported; supported: ${[...rules.folded, ...rules.exact].join(', ')}`);
      }
      if (node.op === 'pr') return { op: 'pr', attrPath: own };
      const value = folded && typeof node.compValue === 'string' ? node.compValue.toLowerCase() : node.compValue;
      return { ...node, attrPath: own, compValue: value };
    }
  }
}

/** The value a resource is compared by: the folded attributes lowercased. */
export function comparable(resource: Record<string, unknown>, target: FilterTarget): Record<string, unknown> {
  const lower = (v: unknown): unknown => (typeof v === 'string' ? v.toLowerCase() : v);
  const view: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource)) view[key.toLowerCase()] = value;
  if (target === 'User') {
    const name = (resource['name'] ?? {}) as Record<string, unknown>;
    return {
      ...view,
      username: lower(resource['userName']),
      displayname: lower(resource['displayName']),
      name: { formatted: lower(name['formatted']), givenname: lower(name['givenName']), familyname: lower(name['familyName']) },
      emails: ((resource['emails'] ?? []) as Record<string, unknown>[]).map((e) => ({ value: lower(e['value']), type: lower(e['type']), primary: e['primary'] })),
    };
  }
  return { ...view, displayname: lower(resource['displayName']), members: ((resource['members'] ?? []) as Record<string, unknown>[]).map((m) => ({ value: m['value'] })) };
}

/** A compiled filter: whether a SCIM resource (as the endpoint represents it) matches. */
export type ResourcePredicate = (resource: Record<string, unknown>) => boolean;

/** Parses and checks a filter for `target`; throws a ScimError invalidFilter for anything it cannot honour. */
export function compileFilter(text: string, target: FilterTarget): ResourcePredicate {
  if (text.length > FILTER_MAX_LENGTH) throw invalidFilter(`A filter may be at most ${FILTER_MAX_LENGTH} characters long`);
  if (nesting(text) > FILTER_MAX_DEPTH) throw invalidFilter(`A filter may nest parentheses and brackets at most ${FILTER_MAX_DEPTH} deep`);
  let ast: Filter;
  try {
    ast = parse(text);
  } catch (error) {
    throw invalidFilter(`The filter is not valid SCIM filter syntax: ${(error instanceof Error ? error.message : String(error)).slice(0, 200)}`);
  }
  const test = compile(normalise(ast, target, undefined, { terms: FILTER_MAX_TERMS }));
  return (resource) => test(comparable(resource, target));
}

/** What a list request asks for, checked: the 1-based start and the page size (capped at `maxPageSize`). */
export interface Paging {
  readonly startIndex: number;
  readonly count: number;
}

/**
 * Reads startIndex and count (RFC 7644 §3.4.2.4): startIndex below 1 is 1, a negative count is 0,
 * a count above `maxPageSize` is `maxPageSize` (the RFC lets a service provider return fewer; the
 * response says how many it did); anything not an integer is 400 invalidValue.
 */
export function pagingOf(query: URLSearchParams, maxPageSize: number): Paging {
  const read = (name: string, fallback: number): number => {
    const raw = query.get(name);
    if (raw === null || raw === '') return fallback;
    if (!/^-?\d{1,15}$/.test(raw)) throw invalidValue(`${name} must be an integer`);
    return Number(raw);
  };
  const startIndex = Math.max(1, read('startIndex', 1));
  const count = Math.min(maxPageSize, Math.max(0, read('count', maxPageSize)));
  return { startIndex, count };
}

