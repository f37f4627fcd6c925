// The model of the hostile-input scenario pinned to hand-picked rows of PRODUCT.md, and
// held against the policy helper both judges of access use (normalizeEmail) and the
// operator's TypeScript validators (what the IaC library checks at synth time), which
// must reach the API server's verdict: the scenario shows the model reaches it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validate } from '../../../operator/api/index.js';
import { normalizeEmail } from '../../../operator/policy/email.js';
import { createCase, emailValue, generate } from './hostile-generators.js';
import type { Json, Kind, World } from './hostile-model.js';
import { admission, emailOwnersOf, expectedAllowed, expectedMembers, expectedServiceAccount, expectedUser, isPlainEmail, mergePatch, serviceAccountIntent, userIntent } from './hostile-model.js';

const meta = (name: Json = 'jane') => ({ metadata: { name } });
const user = (spec: Record<string, Json>): Record<string, Json> => ({ ...meta(), spec: { email: 'jane@acme.example', role: 'Builder', ...spec } });
const sa = (spec: Record<string, Json>): Record<string, Json> => ({ ...meta('etl'), spec: { role: 'Builder', ...spec } });
const verdict = (kind: Kind, object: Record<string, Json>, old?: Record<string, Json>, strict = true) => admission(kind, object, old, strict);

describe('admission model', () => {
  it.each<[string, Kind, Record<string, Json>, readonly string[]]>([
    ['a plain user', 'User', user({}), []],
    ['an uppercase address', 'User', user({ email: 'Jane.Doe@ACME.example' }), []],
    ['a Cyrillic а in the address', 'User', user({ email: 'j\u0430ne@acme.example' }), ['spec.email']],
    ['a fullwidth @', 'User', user({ email: 'jane\uff20acme.example' }), ['spec.email']],
    ['the KELVIN SIGN that lowercases to k', 'User', user({ email: '\u212Aate@acme.example' }), ['spec.email']],
    ['a trailing space', 'User', user({ email: 'jane@acme.example ' }), ['spec.email']],
    ['a display name in the address', 'User', user({ email: 'Jane <jane@acme.example>' }), ['spec.email']],
    ['a backtick in the local part', 'User', user({ email: 'ja`ne@acme.example' }), ['spec.email']],
    ['a domain with a trailing dot', 'User', user({ email: 'jane@acme.example.' }), ['spec.email']],
    ['an address of 254 characters', 'User', user({ email: `${'j'.repeat(64)}@${'a'.repeat(61)}.${'b'.repeat(61)}.${'c'.repeat(61)}.exa` }), []],
    ['an address of 255 characters', 'User', user({ email: `${'j'.repeat(64)}@${'a'.repeat(61)}.${'b'.repeat(61)}.${'c'.repeat(61)}.exam` }), ['spec.email']],
    ['role in lower case', 'User', user({ role: 'admin' }), ['spec.role']],
    ['role with a zero-width space', 'User', user({ role: 'Admin\u200B' }), ['spec.role']],
    ['role null (pruned, so missing)', 'User', user({ role: null }), ['spec.role']],
    ['100 emoji as displayName (100 characters, 200 UTF-16 units)', 'User', user({ displayName: '\ud83d\ude00'.repeat(100) }), []],
    ['101 emoji as displayName', 'User', user({ displayName: '\ud83d\ude00'.repeat(101) }), ['spec.displayName']],
    ['a bidi override and HTML in displayName', 'User', user({ displayName: '\u202E<script>alert(1)</script>' }), ['spec.displayName']],
    ['HTML in displayName', 'User', user({ displayName: '<script>alert(1)</script>' }), []],
    ['a NUL in displayName', 'User', user({ displayName: 'a\u0000b' }), ['spec.displayName']],
    ['a tab in a description', 'ServiceAccount', sa({ description: 'a\tb' }), ['spec.description']],
    ['emoji joined by zero-width joiners in displayName', 'User', user({ displayName: '\ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67' }), []],
    ['an empty displayName', 'User', user({ displayName: '' }), []],
    ['a duplicate group', 'User', user({ groups: ['grp-a', 'grp-a'] }), ['spec.groups']],
    ['a Cyrillic group reference', 'User', user({ groups: ['grp-\u0430'] }), ['spec.groups']],
    ['active as a string', 'User', user({ active: 'no' }), ['spec.active']],
    ['a negative resend', 'User', user({ invitation: { resend: -1 } }), ['spec.invitation.resend']],
    ['resend at 2^53-1', 'User', user({ invitation: { resend: Number.MAX_SAFE_INTEGER } }), []],
    ['resend at 2^53+1, beyond what JavaScript holds', 'User', user({ invitation: { resend: { $raw: '9007199254740993' } } }), ['spec.invitation.resend']],
    ['a key revision of 2^63-1 (int64 holds it, the operator cannot)', 'ServiceAccount', sa({ keyRotation: { revision: { $raw: '9223372036854775807' } } }), ['spec.keyRotation.revision']],
    ['an unknown spec field', 'User', user({ admin: true }), ['spec.admin']],
    ['__proto__ as a spec field', 'User', JSON.parse('{"metadata":{"name":"jane"},"spec":{"email":"jane@acme.example","role":"Admin","__proto__":{"x":1}}}') as Record<string, Json>, ['spec.__proto__']],
    ['no spec', 'User', meta(), ['spec']],
    ['a name in upper case', 'User', { ...user({}), metadata: { name: 'Jane' } }, ['metadata.name']],
    ['a name that is a number', 'User', { ...user({}), metadata: { name: 42 } }, ['metadata.name', 'ObjectMeta.name']],
    ['a service account', 'ServiceAccount', sa({ workspaces: ['ws-a'], keyRotation: { revision: 2, gracePeriod: '1h', every: '720h' } }), []],
    ['a grace period of 169h', 'ServiceAccount', sa({ keyRotation: { gracePeriod: '169h' } }), ['spec.keyRotation.gracePeriod']],
    ['a grace period in Arabic-Indic digits', 'ServiceAccount', sa({ keyRotation: { gracePeriod: '\u0661h' } }), ['spec.keyRotation.gracePeriod']],
    ['every shorter than the grace period', 'ServiceAccount', sa({ keyRotation: { every: '2h', gracePeriod: '3h' } }), ['spec.keyRotation.every']],
    ['template data under previousKeyHash', 'ServiceAccount', sa({ secretTemplate: { data: { previousKeyHash: 'x' } } }), ['spec.secretTemplate.data']],
    ['template data under the keyName', 'ServiceAccount', sa({ secretTemplate: { keyName: 'token', data: { token: 'x' } } }), ['spec.secretTemplate.data']],
    ['template data with a hostile value', 'ServiceAccount', sa({ secretTemplate: { data: { note: '\u202E\u0000<b>' } } }), []],
    ['a description of 501 characters', 'ServiceAccount', sa({ description: 'd'.repeat(501) }), ['spec.description']],
    ['a workspace without spec', 'Workspace', meta('ws-a'), []],
    ['a group with a number as displayName', 'Group', { ...meta('grp-a'), spec: { displayName: 7 } }, ['spec.displayName']],
  ])('%s', (_, kind, object, fields) => {
    const v = verdict(kind, object);
    expect(v.admitted).toBe(fields.length === 0);
    expect(v.fields).toEqual(fields);
  });

  it('unknown fields are pruned, not errors, without strict field validation', () => {
    expect(verdict('User', user({ admin: true }), undefined, false).admitted).toBe(true);
  });

  it.each<[string, Kind, Record<string, Json>, Record<string, Json>, readonly string[]]>([
    ['email changed', 'User', user({ email: 'jane@acme.example' }), user({ email: 'jane2@acme.example' }), ['spec.email']],
    ['resend decreased', 'User', user({ invitation: { resend: 3 } }), user({ invitation: { resend: 2 } }), ['spec.invitation.resend']],
    ['resend increased, role changed', 'User', user({}), user({ role: 'Admin', invitation: { resend: 1 } }), []],
    ['key revision decreased', 'ServiceAccount', sa({ keyRotation: { revision: 2 } }), sa({ keyRotation: { revision: 1 } }), ['spec.keyRotation.revision']],
    ['key revision removed (defaults to 0 below the old 2)', 'ServiceAccount', sa({ keyRotation: { revision: 2 } }), sa({ keyRotation: {} }), ['spec.keyRotation.revision']],
  ])('update: %s', (_, kind, old, object, fields) => {
    expect(verdict(kind, object, old['spec'] as Record<string, Json>).fields).toEqual(fields);
  });

  it('agrees with normalizeEmail, the normal form both judges of access compare, on every generated address', () => {
    fc.assert(fc.property(emailValue, (email) => isPlainEmail(email) === (normalizeEmail(email) !== undefined)), { numRuns: 5_000, seed: 1 });
  });

  it('agrees with the operator\'s validators (the IaC library\'s synth-time check) on 3,000 generated objects', () => {
    const disagreements: string[] = [];
    for (const [i, c] of generate(createCase, 7, 3_000).entries()) {
      if (!c.strict) continue;
      const object: Record<string, Json> = { apiVersion: 'accounts.blinkops.com/v1alpha1', kind: c.kind, metadata: { name: c.name.valid ? `fz-${i}` : c.name.name, namespace: 'tenant-x' } };
      if (c.spec !== undefined) object['spec'] = c.spec;
      if (c.topLevelExtra) object['specs'] = {};
      const { apiVersion: _a, kind: _k, ...judged } = object;
      const model = admission(c.kind, judged, undefined, true).admitted;
      const operator = validate(object).length === 0;
      if (model !== operator) disagreements.push(`${c.kind} ${JSON.stringify(object).slice(0, 200)}: model ${model}, operator validators ${operator} ${JSON.stringify(validate(object)).slice(0, 200)}`);
    }
    expect(disagreements.slice(0, 5)).toEqual([]);
  });
});

describe('outcome model', () => {
  const world: World = { allowedEmailDomains: ['acme.example'], workspaces: new Set(['ws-a', 'ws-b']), groups: new Set(['grp-a']) };
  const intent = (spec: Record<string, Json>) => userIntent(user(spec)['spec'] as Record<string, Json>);

  it.each<[string, Record<string, Json>, boolean, object]>([
    ['a new user waits for the person', {}, false, { ready: 'False', reason: 'InvitationPending', phase: 'Invited', binding: null }],
    ['an accepted user is Active and bound to its role, by the lowercased address', { email: 'Jane@ACME.example', role: 'Admin' }, true, { ready: 'True', reason: 'Active', phase: 'Active', binding: { clusterRole: 'blink-accounts-admin', subject: 'jane@acme.example' } }],
    ['a deactivated user is converged and unbound', { active: false }, true, { ready: 'True', reason: 'Inactive', phase: 'Inactive', binding: null }],
    ['an address outside the allowed domains', { email: 'jane@evil.example' }, false, { ready: 'False', reason: 'EmailDomainNotAllowed', binding: null }],
    ['memberships are the declared ones that exist', { groups: ['grp-a', 'grp-c'], workspaces: ['ws-b', 'ws-c'] }, false, { groups: ['grp-a'], workspaces: ['ws-b'] }],
  ])('%s', (_, spec, accepted, expected) => {
    expect(expectedUser(intent(spec), accepted, world)).toMatchObject(expected);
  });

  it('one email is one person: a younger User with the address of another (any case) is DuplicateEmail, the oldest owns it', () => {
    const owners = emailOwnersOf([
      { name: 'u-2', email: 'JANE@acme.example', createdAt: '2026-01-01T00:00:01Z' },
      { name: 'u-1', email: 'jane@ACME.example', createdAt: '2026-01-01T00:00:01Z' },
      { name: 'u-0', email: 'kate@acme.example', createdAt: '2026-01-01T00:00:05Z' },
      { name: 'u-9', email: 'kate@acme.example', createdAt: '2026-01-01T00:00:02Z' },
    ]);
    expect(owners).toEqual(new Map([['jane@acme.example', 'u-1'], ['kate@acme.example', 'u-9']]));
    const withOwners: World = { ...world, emailOwners: owners };
    expect(expectedUser(intent({ email: 'kate@acme.example' }), false, withOwners, 'u-0')).toMatchObject({ ready: 'False', reason: 'DuplicateEmail', phase: 'Invited', binding: null });
    expect(expectedUser(intent({ email: 'kate@acme.example' }), false, withOwners, 'u-9')).toMatchObject({ reason: 'InvitationPending' });
    expect(expectedUser(intent({ email: 'kate@evil.example' }), false, withOwners, 'u-0')).toMatchObject({ reason: 'EmailDomainNotAllowed' });
  });

  it.each<[string, Record<string, Json>, object]>([
    ['an Admin acts in every workspace', { role: 'Admin' }, { ready: 'True', reason: 'Ready', workspaces: ['ws-a', 'ws-b'], apiKeySecrets: 1, keyRevision: 0, keyName: 'apiKey' }],
    ['a Builder in the listed ones', { workspaces: ['ws-b'], keyRotation: { revision: 3 }, secretTemplate: { keyName: 'BLINK_API_KEY' } }, { ready: 'True', workspaces: ['ws-b'], keyRevision: 3, keyName: 'BLINK_API_KEY' }],
    ['a missing workspace is Ready=False MissingReferences, the key still issued', { workspaces: ['ws-a', 'ws-c'] }, { ready: 'False', reason: 'MissingReferences', workspaces: ['ws-a'], apiKeySecrets: 1 }],
  ])('service account: %s', (_, spec, expected) => {
    expect(expectedServiceAccount(serviceAccountIntent(sa(spec)['spec'] as Record<string, Json>), world)).toMatchObject(expected);
  });

  it('Workspaces and Groups list who names them, in any phase', () => {
    const users = new Map([['jane', intent({ workspaces: ['ws-a'], groups: ['grp-a'], active: false })], ['joe', intent({ workspaces: ['ws-b'] })]]);
    const sas = new Map([['etl', serviceAccountIntent({ role: 'Admin', workspaces: ['ws-a'] })], ['bot', serviceAccountIntent({ role: 'Admin' })]]);
    expect(expectedMembers('Workspace', 'ws-a', users, sas)).toEqual({ users: ['jane'], serviceAccounts: ['etl'] });
    expect(expectedMembers('Group', 'grp-a', users, sas)).toEqual({ users: ['jane'] });
  });
});

describe('access model', () => {
  const world: World = { allowedEmailDomains: [], workspaces: new Set(['ws-a', 'ws-b']), groups: new Set() };
  it.each<[string, Parameters<typeof expectedAllowed>[0], Parameters<typeof expectedAllowed>[1], string | undefined, boolean]>([
    ['Admin executes in a workspace it does not list', { access: true, role: 'Admin', workspaces: [] }, 'execute', 'ws-b', true],
    ['Admin in a workspace that does not exist', { access: true, role: 'Admin', workspaces: [] }, 'read', 'ws-c', false],
    ['Admin changes settings', { access: true, role: 'Admin', workspaces: [] }, 'settings', undefined, true],
    ['Builder executes in its workspace', { access: true, role: 'Builder', workspaces: ['ws-a'] }, 'execute', 'ws-a', true],
    ['Builder reads in another workspace', { access: true, role: 'Builder', workspaces: ['ws-a'] }, 'read', 'ws-b', false],
    ['Builder changes settings', { access: true, role: 'Builder', workspaces: ['ws-a'] }, 'settings', undefined, false],
    ['Consumer writes in its workspace', { access: true, role: 'Consumer', workspaces: ['ws-a'] }, 'write', 'ws-a', true],
    ['Consumer executes in its workspace', { access: true, role: 'Consumer', workspaces: ['ws-a'] }, 'execute', 'ws-a', false],
    ['Consumer uses the portal', { access: true, role: 'Consumer', workspaces: [] }, 'portal', undefined, true],
    ['an Invited Admin uses the portal', { access: false, role: 'Admin', workspaces: [] }, 'portal', undefined, false],
    ['nobody', undefined, 'portal', undefined, false],
  ])('%s', (_, principal, action, workspace, allowed) => {
    expect(expectedAllowed(principal, action, workspace, world)).toBe(allowed);
  });
});

describe('merge patch', () => {
  it('merges objects, replaces lists, removes on null, and keeps __proto__ as data', () => {
    const patched = mergePatch({ spec: { role: 'Admin', groups: ['a'], invitation: { resend: 1 } } }, JSON.parse('{"spec":{"groups":["b"],"role":null,"invitation":{"x":2},"__proto__":{"polluted":true}}}') as Json) as Record<string, Record<string, Json>>;
    expect(patched['spec']).toEqual(JSON.parse('{"groups":["b"],"invitation":{"resend":1,"x":2},"__proto__":{"polluted":true}}'));
    expect(Object.keys(patched['spec'] ?? {})).toContain('__proto__');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
