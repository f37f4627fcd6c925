// The malformed-manifest table itself (shared by test/api/admission.test.ts against the real API
// server and operator/api/validate.test.ts): enough cases, each with a name of its own and naming
// the field it gets wrong, meaning a field the case actually changed from a valid object. A table
// check, so it runs with the unit tests.
import { describe, expect, it } from 'vitest';
import { malformedCases, validObjects } from './malformed-cases.js';
import type { AdmissionCase, Manifest } from './malformed-cases.js';

const NAMESPACE = 'tenant-table';
const TENANT = 'table-tenant';
const cases = malformedCases(NAMESPACE, () => TENANT);
const valid = validObjects(NAMESPACE, TENANT);
const validByKind: Record<string, Manifest> = Object.fromEntries(Object.values(valid).map((object) => [object.kind, object]));

/** `spec.groups[1]`, `spec.secretTemplate.labels[team]` → the steps of the path. */
function steps(field: string): string[] {
  return field.split(/\.|\[|\]/).filter(Boolean);
}

function at(object: unknown, path: readonly string[]): unknown {
  let value = object;
  for (const step of path) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[step] : undefined;
  return value;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Why a case does not name the field it gets wrong (undefined: it does). The field must be a
 * kubectl-style path, and the case must have changed the value there from the valid object it
 * started from (`old` for an update, else the valid object of its kind), or name a list entry
 * that repeats an earlier one (a duplicate is named at its second occurrence).
 */
function fieldProblem(testCase: AdmissionCase): string | undefined {
  if (!/^[a-zA-Z]+(\.[a-zA-Z_]+|\[[^\]\s]+\])*$/.test(testCase.field)) return `"${testCase.field}" is not a field path`;
  const base = testCase.old ?? validByKind[testCase.object.kind];
  if (!base) return `no valid ${testCase.object.kind} to compare with`;
  const path = steps(testCase.field);
  if (!same(at(testCase.object, path), at(base, path))) return undefined;
  const list = at(testCase.object, path.slice(0, -1));
  const index = Number(path[path.length - 1]);
  if (testCase.field.endsWith(']') && Array.isArray(list) && index < list.length && list.slice(0, index).some((entry) => same(entry, list[index]))) return undefined;
  return `${testCase.field} is the same as in the valid object: the case changed something else`;
}

describe('the malformed-manifest table', () => {
  it('has at least 40 cases, each with a name of its own', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it('names in each case the field it gets wrong', () => {
    expect(cases.map((c) => [c.name, fieldProblem(c)]).filter(([, problem]) => problem !== undefined)).toEqual([]);
  });

  it.each<[string, AdmissionCase]>([
    ['a field the case did not change', { name: 'role Boss', object: { ...valid.user, spec: { ...(valid.user['spec'] as object), role: 'Boss' } }, field: 'spec.email' }],
    ['another entry of the list it changed', { name: 'group in upper case', object: { ...valid.user, spec: { ...(valid.user['spec'] as object), groups: ['Data'] } }, field: 'spec.groups[1]' }],
    ['the first of two duplicates', { name: 'duplicate group', object: { ...valid.user, spec: { ...(valid.user['spec'] as object), groups: ['data-engineering', 'data-engineering'] } }, field: 'spec.groups[0]' }],
    ['something that is not a path', { name: 'role Boss', object: { ...valid.user, spec: { ...(valid.user['spec'] as object), role: 'Boss' } }, field: 'the role' }],
  ])('catches a case naming %s', (_what, testCase) => {
    expect(fieldProblem(testCase)).toBeDefined();
  });
});
