import { describe, expect, it } from 'vitest';
import type { User } from '../api/index.js';
import type { KubeObject } from '../runtime/kinds.js';
import { CsvFileError, parseInviteCsv, planBulkInvite, userNameFromEmail } from './bulk-invite.js';

const existing = (name: string, email: string): User & KubeObject =>
  ({ apiVersion: 'accounts.blinkops.com/v1alpha1', kind: 'User', metadata: { name, namespace: 'tenant-acme' }, spec: { email, role: 'Builder' } }) as User & KubeObject;

function plan(text: string, users: (User & KubeObject)[] = []) {
  return planBulkInvite(parseInviteCsv(text), 'tenant-acme', users);
}

describe('parseInviteCsv', () => {
  it('reads a header that orders the columns, skips comments and empty lines, keeps editor line numbers', () => {
    const rows = parseInviteCsv('\ufeffrole,email,groups\r\n# the data team\r\n\r\nBuilder,ana@acme.example,"admins,data"\r\nconsumer,bo@acme.example,\r\n');
    expect(rows).toEqual([
      { line: 4, cells: { role: 'Builder', email: 'ana@acme.example', groups: 'admins,data' }, extraCells: 0 },
      { line: 5, cells: { role: 'consumer', email: 'bo@acme.example' }, extraCells: 0 },
    ]);
  });

  it('without a header the columns are email, role, groups, workspaces; a quoted cell over two lines counts from its first', () => {
    const rows = parseInviteCsv('ana@acme.example,Admin,"a\nb",ws\ncy@acme.example,Builder\n');
    expect(rows.map((r) => [r.line, r.cells])).toEqual([
      [1, { email: 'ana@acme.example', role: 'Admin', groups: 'a\nb', workspaces: 'ws' }],
      [3, { email: 'cy@acme.example', role: 'Builder' }],
    ]);
  });

  it('refuses an unknown column and unreadable CSV with the line', () => {
    expect(() => parseInviteCsv('email,role,team\n')).toThrow(/line 1: unknown column "team"/);
    const error = (() => {
      try {
        parseInviteCsv('a@x.example,Admin\nb@x.example,"Builder\n');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(CsvFileError);
    expect((error as CsvFileError).line).toBe(2);
  });
});

describe('userNameFromEmail', () => {
  it.each([
    ['jane.doe@acme.example', 'jane-doe'],
    ['J_Smith+ops@acme.example', 'j-smith-ops'],
    ['--x--@acme.example', 'x'],
    [`${'a'.repeat(70)}@acme.example`, 'a'.repeat(63)],
    ['@acme.example', 'acme-example'],
  ])('%s -> %s', (email, name) => expect(userNameFromEmail(email)).toBe(name));
});

describe('planBulkInvite', () => {
  it('plans a User per good row with the role normalised and lists split on ; , and spaces', () => {
    const [row] = plan('email,role,groups,workspaces,displayName\nana@acme.example,builder,admins;data ops,"ws-a, ws-b",Ana\n');
    expect(row).toMatchObject({ line: 2, outcome: 'create', user: 'ana', role: 'Builder' });
    expect(row?.object?.spec).toEqual({ email: 'ana@acme.example', role: 'Builder', displayName: 'Ana', groups: ['admins', 'data', 'ops'], workspaces: ['ws-a', 'ws-b'] });
  });

  it('reports every problem of a bad row with its line, using the API schema', () => {
    const rows = plan(
      [
        'email,role,groups',
        'ok@acme.example,Admin,', // 2
        'Bad Person <bad@acme.example>,Admin,', // 3: not a plain email
        'cy@acme.example,Owner,', // 4: role
        'dee@acme.example,Consumer,Not_A_Name', // 5: group name
        ',Builder,', // 6: no email
        'ok@acme.example,Builder,', // 7: duplicate email
        'ok@other.example,Builder,', // 8: same derived name as line 2
      ].join('\n'),
    );
    expect(rows.map((r) => [r.line, r.outcome])).toEqual([
      [2, 'create'],
      [3, 'invalid'],
      [4, 'invalid'],
      [5, 'invalid'],
      [6, 'invalid'],
      [7, 'invalid'],
      [8, 'invalid'],
    ]);
    const problems = Object.fromEntries(rows.map((r) => [r.line, r.problems.join(' | ')]));
    expect(problems[3]).toMatch(/^email: email must be a plain email address/);
    expect(problems[4]).toBe('role: must be one of Admin, Builder, Consumer, got "Owner"');
    expect(problems[5]).toMatch(/^groups\[0\]: /);
    expect(problems[6]).toContain('email: Required value');
    expect(problems[7]).toBe('email: also on line 2');
    expect(problems[8]).toContain('User name "ok" is also used on line 2');
  });

  it('leaves Users that exist by email alone, and refuses a name taken by another email', () => {
    const rows = plan('ana@acme.example,Admin\nbo@acme.example,Admin\n', [existing('ana-x', 'ANA@acme.example'), existing('bo', 'bo@elsewhere.example')]);
    expect(rows[0]).toMatchObject({ outcome: 'exists', user: 'ana-x', problems: ['User ana-x already has this email; not changed'] });
    expect(rows[1]).toMatchObject({ outcome: 'invalid', problems: ['name: User "bo" already exists with email bo@elsewhere.example: add a name column with another name'] });
  });

  it('counts extra cells as a problem (an unquoted list with commas)', () => {
    const [row] = plan('ana@acme.example,Admin,a,ws,b\n');
    expect(row?.problems).toEqual(['1 more cell(s) than the file has columns: quote a cell that contains commas, e.g. "admins,data"']);
  });
});
