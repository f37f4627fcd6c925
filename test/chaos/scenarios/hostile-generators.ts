// The generated input of the hostile-input scenario (fast-check, from the run's seed):
// manifests of every kind with adversarial strings in every field a person writes,
// random missing, extra and wrong-typed fields, and edit sequences over a small pool
// of names. Values are data only; an edit's `$bump` is resolved against the object's
// current spec when the edit is applied.
import fc from 'fast-check';
import type { Json, Kind } from './hostile-model.js';
import { setOwn } from './hostile-model.js';

/** The email domains the scenario's Tenant allows. */
export const ALLOWED_DOMAINS = ['hostile.example', 'acme.example'] as const;
/** Workspaces and Groups references point at: the first two exist from the start, the third comes and goes. */
export const WORKSPACE_POOL = ['ws-a', 'ws-b', 'ws-c'] as const;
export const GROUP_POOL = ['grp-a', 'grp-b', 'grp-c'] as const;

/** Strings that have broken parsers, renderers and comparisons elsewhere. */
export const ADVERSARIAL: readonly string[] = [
  '', ' ', '   ', '\t', '\n', '\r\n', '\u00a0', '\u3000',
  '\u0430dmin', '\uff41\uff44\uff4d\uff49\uff4e', 'Adm\u0131n', '\u0130', '\u212Aate', '\ufb01le',
  '\u202Egnp.exe', 'a\u200Bb', '\u200D', '\uFEFF', '\u2066x\u2069', '\u061C',
  '\u0000', 'a\u0000b', '\u0007\u001b[31mred\u001b[0m', '\u007f', '\u0085', '\ud83d\ude00',
  '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "'; DROP TABLE users; --", '{{7*7}}', '${jndi:ldap://x/a}', '../../etc/passwd', '%00', '%2e%2e%2f',
  '\ud83d\ude00'.repeat(100), '\ud83d\ude00'.repeat(101), 'e\u0301'.repeat(50), 'e\u0301'.repeat(51),
  'x'.repeat(100), 'x'.repeat(101), 'x'.repeat(500), 'x'.repeat(501), 'x'.repeat(4096), 'x'.repeat(10_001), '\u{10FFFF}',
];

/** A hostile string: a known-bad one, random Unicode (well-formed), or a very long one. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...ADVERSARIAL) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 120 }).filter((s) => s.isWellFormed()) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 60 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('a', '\u0430', '<', '\u202E'), fc.integer({ min: 10_000, max: 12_000 })).map(([c, n]) => c.repeat(n)) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...ADVERSARIAL), fc.constantFrom(...ADVERSARIAL)).map(([a, b]) => `${a}${b}`) },
);

/** A value of the wrong JSON type for any field. */
export const wrongType: fc.Arbitrary<Json> = fc.oneof<fc.Arbitrary<Json>[]>(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant<Json>([]), fc.constant<Json>({}), fc.constant<Json>(['Admin']), fc.constant<Json>({ $ne: null }));

/** Text a person writes (displayName, description): mostly hostile, sometimes plain, sometimes of the wrong type. */
export const freeText: fc.Arbitrary<Json> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom('Data Platform', 'Jane Doe', 'Zoë Ångström-Łukasz', '北京 团队') },
  { weight: 6, arbitrary: hostileString },
  { weight: 1, arbitrary: wrongType },
);

const LOCAL_PARTS = ['jane', 'Jane.Doe', "o'brien", 'x+tag', 'a.b.c', "!#$%&*+/=?^_{|}~-", 'UPPER', '.lead', 'trail.', 'a..b', 'j'.repeat(64)];
const DOMAINS = [
  'hostile.example', 'HOSTILE.Example', 'acme.example', 'evil.example', 'hostile.example.evil', 'xn--80ak6aa92e.example', 'b\u00fccher.example',
  'hostile.example.', 'localhost', `${'a'.repeat(64)}.example`, 'a-.example', `${'a'.repeat(61)}.${'b'.repeat(61)}.${'c'.repeat(61)}.hostile.example`,
];
const HOSTILE_EMAILS = [
  'jane@hostile.example ', ' jane@hostile.example', 'jane@hostile.example\n', 'j\u0430ne@hostile.example', '\uff4a\uff41\uff4e\uff45@hostile.example', 'jane\uff20hostile.example',
  'Jane <jane@hostile.example>', 'jane@hostile.example\u202E', 'ja\u200Bne@hostile.example', '\u212Aate@hostile.example', '\u0130nci@hostile.example', 'jane@@hostile.example',
  '@hostile.example', 'jane@', '', ' ', '<script>@hostile.example', 'jane@hostile.example\u0000', 'ja`ne@hostile.example', 'jane@[127.0.0.1]', '"jane doe"@hostile.example',
  `${'j'.repeat(64)}@${'a'.repeat(61)}.${'b'.repeat(61)}.${'c'.repeat(61)}.exa`, `${'j'.repeat(10_000)}@hostile.example`,
];

/** An email address: plain ones in allowed and other domains, look-alikes and broken ones, wrong types. */
export const emailValue: fc.Arbitrary<Json> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...LOCAL_PARTS), fc.constantFrom(...DOMAINS)).map(([l, d]) => `${l}@${d}`) },
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_EMAILS) },
  { weight: 2, arbitrary: fc.tuple(hostileString, fc.constantFrom(...DOMAINS)).map(([l, d]) => `${l}@${d}`) },
  { weight: 1, arbitrary: wrongType },
);

/** A role: mostly one of the three, else a look-alike or a wrong type. */
export const roleValue: fc.Arbitrary<Json> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('Admin', 'Builder', 'Consumer') },
  { weight: 3, arbitrary: fc.constantFrom('admin', 'ADMIN', '\u0410dmin', 'Admin ', ' Admin', 'Owner', '', 'Admin\u200B', '\uff21dmin', 'Bu\u0131lder', 'Consumer\u0000') },
  { weight: 1, arbitrary: wrongType },
);

const HOSTILE_REFS = ['WS-A', 'ws_a', 'ws-\u0430', 'ws-a ', '', 'x'.repeat(64), '-ws', 'ws.a', '<b>', 'grp-a\u200B', '\u202Egrp-a'];

/** A list of Workspace or Group references. */
function referenceList(pool: readonly string[]): fc.Arbitrary<Json> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.uniqueArray(fc.constantFrom(...pool), { maxLength: 3 }) },
    { weight: 2, arbitrary: fc.array(fc.constantFrom(...pool, ...HOSTILE_REFS), { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.constant(Array.from({ length: 101 }, (_, i) => `ref-${i}`)) },
    { weight: 1, arbitrary: fc.oneof(fc.constant(pool[0] ?? ''), wrongType) },
  );
}

/** Fields no kind has, and keys that are dangerous to copy into a JavaScript object. */
const EXTRA_FIELDS = fc.constantFrom<[string, Json]>(['admin', true], ['__proto__', { polluted: true }], ['constructor', { prototype: 1 }], ['Role', 'Admin'], ['email ', 'x@hostile.example'], ['status', { phase: 'Active' }]);

/** A spec of `kind` as a person might write it, maybe missing fields, maybe with extra ones, maybe not an object at all. */
export function specOf(kind: Kind): fc.Arbitrary<Json | undefined> {
  const optional = <T>(arb: fc.Arbitrary<T>, weight = 1) => fc.option(arb, { freq: weight, nil: undefined });
  const base: fc.Arbitrary<Record<string, Json | undefined>> =
    kind === 'User'
      ? fc.record({
          email: fc.oneof({ weight: 12, arbitrary: emailValue }, { weight: 1, arbitrary: fc.constant(undefined) }),
          role: fc.oneof({ weight: 12, arbitrary: roleValue }, { weight: 1, arbitrary: fc.constant(undefined) }),
          displayName: optional(freeText),
          groups: optional(referenceList(GROUP_POOL)),
          workspaces: optional(referenceList(WORKSPACE_POOL)),
          active: optional(fc.oneof({ weight: 4, arbitrary: fc.boolean() }, { weight: 1, arbitrary: fc.constantFrom<Json>('no', 'false', 0, null) })),
          invitation: optional(fc.oneof(fc.record({ resend: fc.oneof(fc.nat(3), fc.constantFrom<Json>(-1, 1.5, '2')) }), fc.constantFrom<Json>({ now: true }, 'resend'))),
        })
      : kind === 'ServiceAccount'
        ? fc.record({
            role: fc.oneof({ weight: 12, arbitrary: roleValue }, { weight: 1, arbitrary: fc.constant(undefined) }),
            description: optional(freeText),
            workspaces: optional(referenceList(WORKSPACE_POOL)),
            keyRotation: optional(
              fc.record(
                {
                  revision: fc.oneof(fc.nat(3), fc.constantFrom<Json>(-1, '3', 2.5)),
                  gracePeriod: fc.constantFrom<Json>('0s', '1h', '168h', '169h', '1 day', '-1h', '1h30m', 12, '\u0661h'),
                  every: fc.constantFrom<Json>('720h', '24h', '30m', '8761h', '2h'),
                },
                { requiredKeys: [] },
              ),
            ),
            secretTemplate: optional(
              fc.record(
                {
                  keyName: fc.constantFrom<Json>('apiKey', 'BLINK_API_KEY', 'api/key', 'previousKeyHash', '', 'key\u0000'),
                  data: fc.oneof(
                    fc.dictionary(fc.constantFrom('tenant', 'BASE_URL', 'note', 'bad/key', 'previousKeyHash', 'ключ'), hostileString, { maxKeys: 3 }),
                    wrongType,
                  ),
                },
                { requiredKeys: [] },
              ),
            ),
          })
        : fc.record({ displayName: optional(freeText), description: optional(freeText) });
  const withExtras = fc.tuple(base, fc.option(fc.array(EXTRA_FIELDS, { minLength: 1, maxLength: 2 }), { freq: 6 })).map(([fields, extras]) => {
    const spec: Record<string, Json> = {};
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) setOwn(spec, k, v);
    for (const [k, v] of extras ?? []) setOwn(spec, k, v);
    return spec as Json;
  });
  return fc.oneof({ weight: 30, arbitrary: withExtras }, { weight: 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.oneof(fc.constant<Json>('spec'), fc.constant<Json>([])) });
}

const VALID_LOCALS = ['jane', 'Jane.Doe', "o'brien", 'x+tag', 'a.b.c', 'UPPER', 'kate', 'ops-bot'];
const VALID_DOMAINS = ['hostile.example', 'HOSTILE.Example', 'acme.example', 'evil.example', 'xn--80ak6aa92e.example'];
/** Text that is hostile yet admissible (at most 100 characters as the API server counts them). */
const admissibleText: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom(...ADVERSARIAL.filter((a) => [...a].length <= 100)),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom('Data Platform', 'Zo\u00eb \u00c5ngstr\u00f6m', '\u5317\u4eac'),
);

/** A spec of `kind` that admission accepts, with hostile but admissible text. */
export function validSpecOf(kind: Kind): fc.Arbitrary<Record<string, Json>> {
  const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
  const refs = (pool: readonly string[]) => fc.uniqueArray(fc.constantFrom(...pool), { maxLength: 3 });
  const base: fc.Arbitrary<Record<string, Json | undefined>> =
    kind === 'User'
      ? fc.record({
          email: fc.tuple(fc.constantFrom(...VALID_LOCALS), fc.constantFrom(...VALID_DOMAINS)).map(([l, d]) => `${l}@${d}`),
          role: fc.constantFrom('Admin', 'Builder', 'Consumer'),
          displayName: optional(admissibleText),
          groups: optional(refs(GROUP_POOL)),
          workspaces: optional(refs(WORKSPACE_POOL)),
          active: optional(fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) })),
          invitation: optional(fc.record({ resend: fc.nat(3) })),
        })
      : kind === 'ServiceAccount'
        ? fc.record({
            role: fc.constantFrom('Admin', 'Builder', 'Consumer'),
            description: optional(admissibleText),
            workspaces: optional(refs(WORKSPACE_POOL)),
            keyRotation: optional(fc.record({ revision: fc.nat(3), gracePeriod: fc.constantFrom('0s', '1h') }, { requiredKeys: [] })),
            secretTemplate: optional(fc.record({ keyName: fc.constantFrom('apiKey', 'BLINK_API_KEY'), data: fc.dictionary(fc.constantFrom('tenant', 'note'), admissibleText.filter((t) => typeof t === 'string'), { maxKeys: 2 }) }, { requiredKeys: [] })),
          })
        : fc.record({ displayName: optional(admissibleText), description: optional(admissibleText) });
  return base.map((fields) => {
    const spec: Record<string, Json> = {};
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) setOwn(spec, k, v);
    return spec;
  });
}

/** A spec: fully generated (mostly rejected), or an admissible one with at most one field replaced by a generated one. */
export function mixedSpecOf(kind: Kind): fc.Arbitrary<Json | undefined> {
  const oneField = fc.tuple(validSpecOf(kind), specOf(kind), fc.nat(), fc.nat(3)).map(([valid, hostile, pick, keep]) => {
    if (keep === 0 || typeof hostile !== 'object' || hostile === null || Array.isArray(hostile)) return valid as Json;
    const keys = Object.keys(hostile);
    const key = keys[pick % Math.max(1, keys.length)];
    if (key !== undefined) setOwn(valid, key, hostile[key] as Json);
    return valid as Json;
  });
  return fc.oneof({ weight: 2, arbitrary: specOf(kind) }, { weight: 3, arbitrary: oneField });
}

/** A name: mostly one the scenario assigns (valid), sometimes a hostile one. */
export const nameStyle: fc.Arbitrary<{ readonly valid: true } | { readonly valid: false; readonly name: Json }> = fc.oneof(
  { weight: 8, arbitrary: fc.constant({ valid: true as const }) },
  { weight: 2, arbitrary: fc.oneof(hostileString, fc.constantFrom<Json>('Jane', 'jane.doe', 'j'.repeat(64), '-x', 'x-', 'ｊane', 'j\u0430ne', 42)).map((name) => ({ valid: false as const, name })) },
);

/** One generated object to create. */
export interface CreateCase {
  readonly kind: Kind;
  readonly name: { readonly valid: true } | { readonly valid: false; readonly name: Json };
  readonly spec: Json | undefined;
  /** An unknown top-level field, sent beside spec. */
  readonly topLevelExtra: boolean;
  /** Strict field validation (kubectl's default) or Warn (unknown fields are pruned and admitted). */
  readonly strict: boolean;
}

const KINDS: readonly Kind[] = ['User', 'ServiceAccount', 'Workspace', 'Group'];

/** Generated objects to create. */
export const createCase: fc.Arbitrary<CreateCase> = fc.constantFrom(...KINDS, 'User', 'ServiceAccount').chain((kind) =>
  fc.record({
    kind: fc.constant(kind),
    name: nameStyle,
    spec: mixedSpecOf(kind),
    topLevelExtra: fc.integer({ min: 0, max: 19 }).map((n) => n === 0),
    strict: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  }),
);

/** A resolved-later bump of a counter: current value plus `$bump` (negative: a decrease). */
export type Bump = { readonly $bump: number };

/** One edit of the edit sequences. */
export type Edit =
  /** A merge patch; when the object is gone, it is created from `ifMissing` (an admissible spec) instead. */
  | { readonly op: 'patch'; readonly kind: 'User' | 'ServiceAccount'; readonly slot: number; readonly patch: Json; readonly ifMissing: Record<string, Json> }
  | { readonly op: 'recreate'; readonly kind: 'User' | 'ServiceAccount'; readonly slot: number; readonly spec: Json | undefined }
  | { readonly op: 'delete'; readonly kind: 'User' | 'ServiceAccount'; readonly slot: number }
  | { readonly op: 'accept'; readonly slot: number }
  | { readonly op: 'toggle'; readonly kind: 'Workspace' | 'Group'; readonly name: string };

const bump = (n: number): Json => ({ $bump: n });
/** Counters at the edges of what JavaScript and int64 hold, written digit for digit. */
const HUGE = fc.constantFrom<Json>({ $raw: '9007199254740993' }, { $raw: '9223372036854775000' }, { $raw: '9223372036854775807' }, { $raw: '9223372036854775808' }, { $raw: '99999999999999999999' });

const userPatch: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: roleValue.map((role) => ({ spec: { role } })) },
  { weight: 3, arbitrary: fc.oneof({ weight: 5, arbitrary: fc.boolean() }, { weight: 1, arbitrary: fc.constantFrom<Json>('yes', 1) }).map((active) => ({ spec: { active } })) },
  { weight: 3, arbitrary: fc.constantFrom(1, 1, 1, 2, -1, 0).map((n) => ({ spec: { invitation: { resend: bump(n) } } })) },
  { weight: 1, arbitrary: fc.constantFrom<Json>(-1, 1.5, '9').map((resend) => ({ spec: { invitation: { resend } } })) },
  { weight: 1, arbitrary: HUGE.map((resend) => ({ spec: { invitation: { resend } } })) },
  { weight: 2, arbitrary: freeText.map((displayName) => ({ spec: { displayName } })) },
  { weight: 2, arbitrary: referenceList(WORKSPACE_POOL).map((workspaces) => ({ spec: { workspaces } })) },
  { weight: 2, arbitrary: referenceList(GROUP_POOL).map((groups) => ({ spec: { groups } })) },
  { weight: 1, arbitrary: emailValue.map((email) => ({ spec: { email } })) },
  { weight: 1, arbitrary: EXTRA_FIELDS.map(([k, v]) => { const spec: Record<string, Json> = {}; setOwn(spec, k, v); return { spec }; }) },
  { weight: 1, arbitrary: fc.tuple(roleValue, referenceList(WORKSPACE_POOL), fc.boolean()).map(([role, workspaces, active]) => ({ spec: { role, workspaces, active } })) },
  { weight: 1, arbitrary: fc.constantFrom<Json>({ spec: { role: null } }, { spec: { email: null } }, { spec: { workspaces: null, groups: null } }, { spec: null }) },
);

const serviceAccountPatch: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: roleValue.map((role) => ({ spec: { role } })) },
  { weight: 4, arbitrary: fc.constantFrom(1, 1, 1, 2, -1, 0).map((n) => ({ spec: { keyRotation: { revision: bump(n) } } })) },
  { weight: 2, arbitrary: fc.constantFrom<Json>('0s', '1h', '169h', 'soon', '30m').map((gracePeriod) => ({ spec: { keyRotation: { gracePeriod } } })) },
  { weight: 1, arbitrary: HUGE.map((revision) => ({ spec: { keyRotation: { revision } } })) },
  { weight: 2, arbitrary: freeText.map((description) => ({ spec: { description } })) },
  { weight: 3, arbitrary: referenceList(WORKSPACE_POOL).map((workspaces) => ({ spec: { workspaces } })) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('tenant', 'note', 'bad/key'), hostileString).map(([k, v]) => ({ spec: { secretTemplate: { data: { [k]: v } } } })) },
  { weight: 1, arbitrary: fc.constantFrom<Json>('apiKey', 'BLINK_API_KEY', 'api/key', 'previousKeyHash').map((keyName) => ({ spec: { secretTemplate: { keyName } } })) },
  { weight: 1, arbitrary: EXTRA_FIELDS.map(([k, v]) => { const spec: Record<string, Json> = {}; setOwn(spec, k, v); return { spec }; }) },
  { weight: 1, arbitrary: fc.constantFrom<Json>({ spec: { role: null } }, { spec: { secretTemplate: null } }, { spec: { keyRotation: { gracePeriod: null } } }) },
);

/** A sequence of edits over `slots` Users and `slots` ServiceAccounts. */
export function editSequence(slots: number, length: number): fc.Arbitrary<Edit[]> {
  const slot = fc.nat(slots - 1);
  const edit: fc.Arbitrary<Edit> = fc.oneof(
    { weight: 10, arbitrary: fc.tuple(slot, userPatch, validSpecOf('User')).map(([s, patch, ifMissing]): Edit => ({ op: 'patch', kind: 'User', slot: s, patch, ifMissing })) },
    { weight: 8, arbitrary: fc.tuple(slot, serviceAccountPatch, validSpecOf('ServiceAccount')).map(([s, patch, ifMissing]): Edit => ({ op: 'patch', kind: 'ServiceAccount', slot: s, patch, ifMissing })) },
    { weight: 2, arbitrary: fc.tuple(slot, mixedSpecOf('User')).map(([s, spec]): Edit => ({ op: 'recreate', kind: 'User', slot: s, spec })) },
    { weight: 2, arbitrary: fc.tuple(slot, mixedSpecOf('ServiceAccount')).map(([s, spec]): Edit => ({ op: 'recreate', kind: 'ServiceAccount', slot: s, spec })) },
    { weight: 1, arbitrary: fc.tuple(slot, fc.constantFrom<'User' | 'ServiceAccount'>('User', 'ServiceAccount')).map(([s, kind]): Edit => ({ op: 'delete', kind, slot: s })) },
    { weight: 6, arbitrary: slot.map((s): Edit => ({ op: 'accept', slot: s })) },
    { weight: 1, arbitrary: fc.constantFrom<Edit>({ op: 'toggle', kind: 'Workspace', name: 'ws-c' }, { op: 'toggle', kind: 'Group', name: 'grp-c' }, { op: 'toggle', kind: 'Workspace', name: 'ws-b' }) },
  );
  return fc.array(edit, { minLength: length, maxLength: length });
}

/** Samples `count` values of `arb` from `seed` (the same seed gives the same input). */
export function generate<T>(arb: fc.Arbitrary<T>, seed: number, count: number): T[] {
  return fc.sample(arb, { seed, numRuns: count });
}

/** Replaces every `{ $bump: n }` in a patch with `current(path) + n` (exactly: beyond 2^53 as `{ $raw }`). */
export function resolveBumps(patch: Json, current: (path: readonly string[]) => bigint, path: readonly string[] = []): Json {
  if (Array.isArray(patch) || typeof patch !== 'object' || patch === null) return patch;
  if (typeof (patch as Bump).$bump === 'number' && Object.keys(patch).length === 1) {
    const value = current(path) + BigInt((patch as Bump).$bump);
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : { $raw: String(value) };
  }
  const result: Record<string, Json> = {};
  for (const [k, v] of Object.entries(patch)) setOwn(result, k, resolveBumps(v, current, [...path, k]));
  return result;
}
