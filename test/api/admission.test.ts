// Every malformed manifest of the table is rejected by the real API server with
// a message that names the field, and the TypeScript validators reach the same
// verdict on the same input. Valid objects near the limits pass both.
import { randomBytes } from 'node:crypto';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUP, KINDS, validate, validateUpdate, VERSION } from '../../operator/api/index.js';
import { adminKubeConfig, useNamespace } from '../harness/kube.js';
import { installCrds } from './install-crds.js';
import { acceptedCases, malformedCases } from './malformed-cases.js';
import type { Manifest } from './malformed-cases.js';

const ns = useNamespace('api-admission');
const run = randomBytes(3).toString('hex');
const tenantName = (i: number): string => `adm-${run}-${i}`;
const createdTenants = new Set<string>();

interface Rejection {
  code: number;
  message: string;
}

function plural(kind: string): string {
  const definition = KINDS.find((k) => k.kind === kind);
  if (!definition) throw new Error(`Unknown kind ${kind}`);
  return definition.plural;
}

function client(): CustomObjectsApi {
  return adminKubeConfig().makeApiClient(CustomObjectsApi);
}

function asRejection(error: unknown): Rejection {
  const { code, body } = error as { code?: number; body?: unknown };
  if (typeof code !== 'number') throw error;
  let message = String(body);
  try {
    message = (JSON.parse(String(body)) as { message: string }).message;
  } catch {
    // Not a Status object: keep the raw body.
  }
  return { code, message };
}

/** Creates an object with strict field validation (what kubectl does); returns the stored object. */
async function create(object: Manifest): Promise<Manifest> {
  const common = { group: GROUP, version: VERSION, plural: plural(object.kind), body: object, fieldValidation: 'Strict' };
  if (object.kind === 'Tenant') createdTenants.add(object.metadata.name);
  return (object.metadata.namespace
    ? await client().createNamespacedCustomObject({ ...common, namespace: object.metadata.namespace })
    : await client().createClusterCustomObject(common)) as Manifest;
}

/** Replaces `stored` with `object`. */
async function replace(stored: Manifest, object: Manifest): Promise<Manifest> {
  const body = { ...object, metadata: { ...object.metadata, resourceVersion: (stored.metadata as { resourceVersion?: string }).resourceVersion } };
  const common = { group: GROUP, version: VERSION, plural: plural(object.kind), name: object.metadata.name, body, fieldValidation: 'Strict' };
  return (object.metadata.namespace
    ? await client().replaceNamespacedCustomObject({ ...common, namespace: object.metadata.namespace })
    : await client().replaceClusterCustomObject(common)) as Manifest;
}

/** Gives namespaced update cases a name of their own, so no two cases share an object. */
function uniquelyNamed(object: Manifest, index: number): Manifest {
  if (!object.metadata.namespace) return object;
  return { ...object, metadata: { ...object.metadata, name: `${object.metadata.name}-u${index}` } };
}

beforeAll(async () => {
  await installCrds(adminKubeConfig());
});

afterAll(async () => {
  for (const name of createdTenants) {
    await client()
      .deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: 'tenants', name })
      .catch(() => undefined);
  }
});

const malformed = malformedCases(ns.name, tenantName);

// The table itself (enough cases, each naming a field it changed) is checked by malformed-cases.unit.test.ts.
describe('malformed manifests', () => {
  it.for(malformed.map((c, i) => ({ ...c, index: i })))('rejects $name, naming $field', async (testCase) => {
    const object = testCase.old ? uniquelyNamed(testCase.object, testCase.index) : testCase.object;
    let rejection: Rejection;
    if (testCase.old) {
      const old = uniquelyNamed(testCase.old, testCase.index);
      expect(validate(old), 'the old object is valid').toEqual([]);
      const stored = await create(old);
      rejection = await replace(stored, object).then(
        () => ({ code: 200, message: 'accepted' }),
        (error: unknown) => asRejection(error),
      );
      // The TypeScript validators: same verdict, same field.
      expect(validateUpdate(stored, object).map((e) => e.field)).toContain(testCase.field);
    } else {
      rejection = await create(object).then(
        (created) => ({ code: 201, message: `accepted: ${JSON.stringify((created as Manifest)['spec'])}` }),
        (error: unknown) => asRejection(error),
      );
      expect(validate(object).map((e) => e.field)).toContain(testCase.field);
    }
    expect([400, 422], rejection.message).toContain(rejection.code);
    expect(rejection.message).toContain(testCase.field);
  });
});

describe('valid manifests near the limits', () => {
  it.for(acceptedCases(ns.name, tenantName).map((c, i) => ({ ...c, index: i })))('accepts $name', async (testCase) => {
    if (testCase.old) {
      const stored = await create(testCase.old);
      expect(validateUpdate(stored, testCase.object)).toEqual([]);
      await replace(stored, testCase.object);
    } else {
      expect(validate(testCase.object)).toEqual([]);
      await create(testCase.object);
    }
  });
});
