import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { appendHistory, latestSpecManager, rememberedSpecWriters, rememberSpecManager, specChangedBy } from './history.js';

const T0 = Date.UTC(2026, 0, 1);

describe('appendHistory', () => {
  it('stamps entries, names the spec manager only for spec-caused transitions', () => {
    const list = appendHistory(undefined, [{ event: 'RoleChanged', reason: 'SpecChanged', message: 'm', fromSpec: true }, { event: 'KeyRepaired', reason: 'SecretDeleted', message: 'n' }], T0, 'kubectl-edit', 10);
    expect(list).toEqual([
      { at: '2026-01-01T00:00:00Z', event: 'RoleChanged', reason: 'SpecChanged', message: 'm', by: 'kubectl-edit' },
      { at: '2026-01-01T00:00:00Z', event: 'KeyRepaired', reason: 'SecretDeleted', message: 'n' },
    ]);
  });

  it('keeps only the last N, oldest dropped first', () => {
    let list = appendHistory(undefined, [], T0, undefined, 10);
    for (let i = 0; i < 25; i++) list = appendHistory(list, [{ event: `E${i}`, reason: 'R', message: '' }], T0 + i * 1000, undefined, 10);
    expect(list.map((e) => e.event)).toEqual(['E15', 'E16', 'E17', 'E18', 'E19', 'E20', 'E21', 'E22', 'E23', 'E24']);
  });

  it('appends nothing without transitions (no write of its own)', () => {
    const before = [{ at: 'x', event: 'E', reason: 'R', message: '' }];
    expect(appendHistory(before, [], T0, 'm', 10)).toEqual(before);
  });

  it('cuts a long message', () => {
    expect(appendHistory(undefined, [{ event: 'E', reason: 'R', message: 'x'.repeat(2000) }], T0, undefined, 10)[0]?.message).toHaveLength(512);
  });
});

describe('latestSpecManager', () => {
  it.each([
    ['none', undefined, undefined],
    ['status writes and metadata only do not count', [{ manager: 'blink-accounts-operator', subresource: 'status', fieldsV1: { 'f:status': {} } }, { manager: 'blink-accounts-operator', fieldsV1: { 'f:metadata': {} } }], undefined],
    [
      'the latest of several spec managers',
      [
        { manager: 'kubectl-client-side-apply', time: '2026-01-01T00:00:00Z', fieldsV1: { 'f:spec': {} } },
        { manager: 'kubectl-edit', time: '2026-01-02T00:00:00Z', fieldsV1: { 'f:spec': { 'f:role': {} } } },
        { manager: 'blink-accounts-operator', subresource: 'status', time: '2026-01-03T00:00:00Z', fieldsV1: { 'f:status': {} } },
      ],
      'kubectl-edit',
    ],
  ] as const)('%s', (_what, fields, manager) => {
    expect(latestSpecManager(fields as never)).toBe(manager);
  });

  it('names the owner of the field that changed, even when another manager wrote spec in the same second', () => {
    const fields = [
      { manager: 'kubectl-blink', time: '2026-01-01T00:00:00Z', fieldsV1: { 'f:spec': { 'f:keyRotation': { 'f:revision': {} } } } },
      { manager: 'platform-team-gitops', time: '2026-01-01T00:00:00Z', fieldsV1: { 'f:spec': { 'f:role': {} } } },
    ];
    expect(latestSpecManager(fields, 'keyRotation.revision')).toBe('kubectl-blink');
    expect(latestSpecManager(fields, 'role')).toBe('platform-team-gitops');
    expect(latestSpecManager(fields, 'workspaces')).toBe('platform-team-gitops');
  });
});

describe('rememberSpecManager / specChangedBy', () => {
  const fields = [
    { manager: 'kubectl-blink', time: '2026-01-01T00:00:00Z', fieldsV1: { 'f:spec': { 'f:keyRotation': { 'f:revision': {} } } } },
    { manager: 'platform "team" gitops', time: '2026-01-01T00:00:00Z', fieldsV1: { 'f:spec': { 'f:role': {} } } },
    { manager: 'blink-accounts-operator', subresource: 'status', time: '2026-01-03T00:00:00Z', fieldsV1: { 'f:status': {} } },
  ];

  it('answers for a cached object as latestSpecManager does for its managedFields', () => {
    const object = { metadata: { name: 'a' }, spec: {} };
    rememberSpecManager(object, fields);
    const lookup = specChangedBy(object);
    for (const field of [undefined, 'role', 'keyRotation.revision', 'workspaces']) expect(lookup(field)).toBe(latestSpecManager(fields, field));
    expect(lookup('keyRotation.revision')).toBe('kubectl-blink');
    expect(lookup('role')).toBe('platform "team" gitops');
  });

  it('answers as latestSpecManager for any managedFields, times and ties included (property)', () => {
    const entry = fc
      .record({
        manager: fc.constantFrom('kubectl', 'gitops', 'blink-accounts-operator', 'a "b"'),
        day: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
        names: fc.subarray(['f:role', 'f:email', 'f:workspaces']),
      })
      .map(({ manager, day, names }) => ({
        manager,
        ...(day === undefined ? {} : { time: new Date(Date.UTC(2026, 0, 1 + day)).toISOString() }),
        fieldsV1: { 'f:spec': Object.fromEntries(names.map((n) => [n, {}])) },
      }));
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 5 }), (managedFields) => {
        const object = { metadata: { name: 'a' }, spec: {} };
        rememberSpecManager(object, managedFields);
        const lookup = specChangedBy(object);
        for (const field of [undefined, 'role', 'email', 'workspaces']) expect(lookup(field)).toBe(latestSpecManager(managedFields, field));
      }),
    );
  });

  it('keeps no time in what it remembers: objects written the same way by the same managers at other times share it', () => {
    const at = (day: number): typeof fields => fields.map((f) => ({ ...f, time: new Date(Date.UTC(2026, 0, day)).toISOString() }));
    const a = { metadata: { name: 'a' }, spec: {} };
    const b = { metadata: { name: 'b' }, spec: {} };
    rememberSpecManager(a, at(1));
    rememberSpecManager(b, at(5));
    expect(rememberedSpecWriters(a)).toBe(rememberedSpecWriters(b));
    expect(rememberedSpecWriters(a)).not.toContain('2026');
  });

  it('knows nobody for an object without spec or never remembered', () => {
    const secret = { metadata: { name: 's' }, data: {} };
    rememberSpecManager(secret, fields);
    expect(specChangedBy(secret)()).toBeUndefined();
    expect(specChangedBy({ metadata: { name: 'b' }, spec: {} })()).toBeUndefined();
  });
});
