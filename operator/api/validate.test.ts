// The TypeScript validators on the admission table (the same cases the API
// server rejects in test/api/admission.test.ts), without a server.
import { describe, expect, it } from 'vitest';
import { acceptedCases, malformedCases } from '../../test/api/malformed-cases.js';
import { API_VERSION, assertValid, assertValidUpdate, InvalidObjectError, parseDuration, validate, validateUpdate, withDefaults } from './index.js';
import type { ServiceAccount, User } from './index.js';

const tenantName = (i: number): string => `unit-${i}`;

describe('validate / validateUpdate on the malformed table', () => {
  const cases = malformedCases('tenant-unit', tenantName);

  it.for(cases)('rejects $name, naming $field', (testCase) => {
    if (testCase.old) {
      expect(validate(testCase.old), 'the old object is valid').toEqual([]);
      // The change itself is what is wrong: the new object alone passes `validate`.
      expect(validate(testCase.object).map((e) => e.field)).not.toContain(testCase.field);
      expect(validateUpdate(testCase.old, testCase.object).map((e) => e.field)).toContain(testCase.field);
    } else {
      const errors = validate(testCase.object);
      expect(errors.map((e) => e.field)).toContain(testCase.field);
      expect(errors.every((e) => e.message.length > 0)).toBe(true);
    }
  });

  it.for(acceptedCases('tenant-unit', tenantName))('accepts $name', (testCase) => {
    if (testCase.old) expect(validateUpdate(testCase.old, testCase.object)).toEqual([]);
    expect(validate(testCase.object)).toEqual([]);
  });
});

describe('validators', () => {
  const user: User = {
    apiVersion: API_VERSION,
    kind: 'User',
    metadata: { name: 'jane', namespace: 'tenant-acme' },
    spec: { email: 'jane@acme.example', role: 'Consumer' },
  };

  it('say what to do in the messages of CEL rules', () => {
    expect(validateUpdate(user, { ...user, spec: { ...user.spec, email: 'j@acme.example' } })).toEqual([
      { field: 'spec.email', message: 'email is immutable: delete the User and create a new one' },
    ]);
  });

  it('report unknown and missing fields and enum values like kubectl', () => {
    expect(validate({ ...user, spec: { role: 'Owner', colour: 'blue' } })).toEqual(
      expect.arrayContaining([
        { field: 'spec.email', message: 'Required value' },
        { field: 'spec.colour', message: 'unknown field' },
        { field: 'spec.role', message: 'Unsupported value: supported values: "Admin", "Builder", "Consumer"' },
      ]),
    );
  });

  it('allow any metadata, and generateName instead of a name', () => {
    const generated = { ...user, metadata: { generateName: 'jane-', labels: { team: 'data' }, annotations: { note: 'x' } } };
    expect(validate(generated)).toEqual([]);
  });

  it('reject objects of other APIs and kinds', () => {
    expect(validate({ ...user, apiVersion: 'v1' })).toEqual([{ field: 'apiVersion', message: expect.stringContaining(API_VERSION) as string }]);
    expect(validate({ ...user, kind: 'Robot' })[0]?.field).toBe('kind');
    expect(validate('jane')[0]?.message).toBe('must be an object');
  });

  it('apply the schema defaults without touching the input', () => {
    const sa: ServiceAccount = { apiVersion: API_VERSION, kind: 'ServiceAccount', metadata: { name: 'bot' }, spec: { role: 'Admin', keyRotation: {} } };
    expect(withDefaults(sa).spec).toEqual({ role: 'Admin', workspaces: [], keyRotation: { revision: 0, gracePeriod: '0s' } });
    expect(sa.spec).toEqual({ role: 'Admin', keyRotation: {} });
    expect(withDefaults(user).spec).toEqual({ email: 'jane@acme.example', role: 'Consumer', groups: [], workspaces: [], active: true });
  });

  it('compare an update with the defaulted old object, as the server does', () => {
    // Stored with resend defaulted to 0; sending resend 0 again is no decrease.
    const old = { ...user, spec: { ...user.spec, invitation: {} } };
    expect(validateUpdate(old, { ...user, spec: { ...user.spec, invitation: { resend: 0 } } })).toEqual([]);
  });

  it('throw an InvalidObjectError that lists every problem', () => {
    expect(() => assertValid(user)).not.toThrow();
    const bad = { ...user, spec: { ...user.spec, groups: ['A', 'b', 'b'] } };
    let thrown: unknown;
    try {
      assertValid(bad);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidObjectError);
    expect((thrown as InvalidObjectError).errors.map((e) => e.field)).toEqual(['spec.groups[2]']);
    expect((thrown as Error).message).toMatch(/^User tenant-acme\/jane is invalid: spec\.groups\[2\]: Duplicate value/);
    expect(() => assertValidUpdate(user, { ...user, spec: { ...user.spec, email: 'x@acme.example' } })).toThrow(InvalidObjectError);
  });
});

describe('parseDuration', () => {
  it.for([
    ['168h', 168 * 3_600_000],
    ['1h30m', 90 * 60_000],
    ['1.5h', 90 * 60_000],
    ['90s', 90_000],
    ['250ms', 250],
    ['0', 0],
    ['0s', 0],
  ] as const)('reads %s', ([text, ms]) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.for(['', '7d', '1 h', 'h', '-1h', '1H', '168'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});
