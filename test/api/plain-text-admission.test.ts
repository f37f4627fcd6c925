// Free text (display names, descriptions) reaches terminals and mailboxes: the
// real API server refuses control characters, escape sequences and invisible
// formatting characters in every free-text field, naming the field, and the
// TypeScript validators (CLI, construct library) reach the same verdict. Text in
// any script, with accents, emoji and their zero-width joiners, stays accepted.
import { randomBytes } from 'node:crypto';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUP, KINDS, validate, VERSION } from '../../operator/api/index.js';
import { adminKubeConfig, useNamespace } from '../harness/kube.js';
import { installCrds } from './install-crds.js';
import { validObjects } from './malformed-cases.js';
import type { Manifest } from './malformed-cases.js';

const ns = useNamespace('api-plain-text');
const run = randomBytes(3).toString('hex');
const tenants: string[] = [];

/** Every free-text field of the API, by kind. */
const FIELDS: readonly ['tenant' | 'user' | 'serviceAccount' | 'workspace' | 'group', 'displayName' | 'description'][] = [
  ['tenant', 'displayName'],
  ['user', 'displayName'],
  ['serviceAccount', 'description'],
  ['workspace', 'displayName'],
  ['workspace', 'description'],
  ['group', 'displayName'],
  ['group', 'description'],
];

const HOSTILE: readonly [string, string][] = [
  ['ESC [2J (clear screen)', 'Acme\u001b[2J'],
  ['OSC title with BEL', 'Acme\u001b]0;owned\u0007'],
  ['8-bit CSI (C1)', 'Acme\u009b31m'],
  ['DEL', 'Ac\u007fme'],
  ['NUL', 'Ac\u0000me'],
  ['newline', 'Acme\nAdmin: you'],
  ['carriage return', 'Acme\rEvil'],
  ['tab', 'Acme\tCorp'],
  ['right-to-left override', 'Acme \u202Emoc.live'],
  ['bidi isolate', 'Acme \u2067x\u2069'],
  ['zero-width space', 'Ac\u200bme'],
  ['line separator', 'Acme\u2028Corp'],
  ['byte order mark', '\ufeffAcme'],
];

const ACCEPTED: readonly string[] = ['Société Générale', 'Acme “Quotes” & <Brackets>', '東京 株式会社', 'שלום עולם', 'Team 👨\u200d👩\u200d👧 rockets 🚀', 'नमस्ते'];

function plural(kind: string): string {
  return KINDS.find((k) => k.kind === kind)!.plural;
}

async function create(object: Manifest): Promise<{ code: number; message: string }> {
  const api = adminKubeConfig().makeApiClient(CustomObjectsApi);
  const common = { group: GROUP, version: VERSION, plural: plural(object.kind), body: object, fieldValidation: 'Strict' };
  try {
    if (object.metadata.namespace) await api.createNamespacedCustomObject({ ...common, namespace: object.metadata.namespace });
    else {
      tenants.push(object.metadata.name);
      await api.createClusterCustomObject(common);
    }
    return { code: 201, message: 'created' };
  } catch (error) {
    const { code, body } = error as { code?: number; body?: unknown };
    if (typeof code !== 'number') throw error;
    return { code, message: (JSON.parse(String(body)) as { message: string }).message };
  }
}

let counter = 0;
/** A valid object of `kind` with `field` set to `value`, under a name of its own. */
function objectWith(kind: (typeof FIELDS)[number][0], field: string, value: string): Manifest {
  const i = counter++;
  const base = validObjects(ns.name, `pt-${run}-${i}`)[kind];
  const spec = { ...(base['spec'] as Record<string, unknown>), [field]: value };
  return { ...base, metadata: { ...base.metadata, name: `${base.metadata.name}-${i}` }, spec };
}

beforeAll(async () => {
  await installCrds(adminKubeConfig());
});
afterAll(async () => {
  const api = adminKubeConfig().makeApiClient(CustomObjectsApi);
  for (const name of tenants) await api.deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: 'tenants', name }).catch(() => undefined);
});

describe('free-text fields', () => {
  const cases = FIELDS.flatMap(([kind, field]) => HOSTILE.map(([what, value]) => ({ kind, field, what, value })));

  it.for(cases)('refuse $what in spec.$field of a $kind, naming the field', async ({ kind, field, value }) => {
    const object = objectWith(kind, field, value);
    const rejection = await create(object);
    expect(rejection.code, rejection.message).toBe(422);
    expect(rejection.message).toContain(`spec.${field}`);
    expect(rejection.message).toContain('must be plain text on one line');
    expect(validate(object).map((e) => e.field)).toContain(`spec.${field}`);
  });

  it.for(FIELDS.flatMap(([kind, field]) => ACCEPTED.map((value) => ({ kind, field, value }))))('accept $value in spec.$field of a $kind', async ({ kind, field, value }) => {
    const object = objectWith(kind, field, value);
    expect(validate(object)).toEqual([]);
    expect(await create(object)).toEqual({ code: 201, message: 'created' });
  });
});
