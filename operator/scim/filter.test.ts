import { describe, expect, it } from 'vitest';
import { ScimError } from './errors.js';
import { compileFilter, FILTER_MAX_TERMS, pagingOf } from './filter.js';

const users = [
  { id: '1', userName: 'Ada@Example.com', externalId: 'E-1', displayName: 'Ada Lovelace', active: true, emails: [{ value: 'ada@example.com', type: 'work', primary: true }] },
  { id: '2', userName: 'grace@example.com', externalId: 'e-2', displayName: 'Grace Hopper', active: false, emails: [{ value: 'grace@home.example', type: 'home' }] },
];

function select(filter: string, target: 'User' | 'Group' = 'User', resources: Record<string, unknown>[] = users): string[] {
  const predicate = compileFilter(filter, target);
  return resources.filter(predicate).map((r) => String(r['id']));
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (error) {
    if (error instanceof ScimError) return `${error.status} ${error.scimType ?? ''}`;
    throw error;
  }
}

describe('compileFilter → selection', () => {
  it.each([
    ['userName eq "ada@example.com"', ['1']],
    ['userName eq "ADA@EXAMPLE.COM"', ['1']],
    ['urn:ietf:params:scim:schemas:core:2.0:User:userName eq "grace@example.com"', ['2']],
    ['externalId eq "E-1"', ['1']],
    ['externalId eq "e-1"', []],
    ['emails[type eq "work"].value eq "ada@example.com"', ['1']],
    ['emails[type eq "work"].value eq "grace@home.example"', []],
    ['emails[type eq "work" and value eq "ada@example.com"]', ['1']],
    ['emails.value eq "grace@home.example"', ['2']],
    ['displayName eq "grace hopper"', ['2']],
    ['active eq false', ['2']],
    ['userName eq "ada@example.com" or externalId eq "e-2"', ['1', '2']],
    ['userName sw "ada" and active eq true', ['1']],
    ['not (active eq true)', ['2']],
    ['displayName co "love"', ['1']],
    ['externalId pr', ['1', '2']],
  ])('%s', (filter, ids) => {
    expect(select(filter)).toEqual(ids);
  });

  it('filters Groups by displayName (any case), externalId and member', () => {
    const groups = [
      { id: 'g1', displayName: 'Engineering', externalId: 'x', members: [{ value: 'u1' }] },
      { id: 'g2', displayName: 'Sales', members: [] },
    ];
    expect(select('displayName eq "engineering"', 'Group', groups)).toEqual(['g1']);
    expect(select('members[value eq "u1"]', 'Group', groups)).toEqual(['g1']);
    expect(select('members.value eq "u1"', 'Group', groups)).toEqual(['g1']);
    expect(errorOf(() => compileFilter('userName eq "x"', 'Group'))).toBe('400 invalidFilter');
  });

  it.each([
    ['an unknown attribute', 'password eq "x"'],
    ['an attribute of another schema', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "x"'],
    ['bad syntax', 'userName eq'],
    ['an unknown operator', 'userName xx "a"'],
    ['an unclosed parenthesis', '(userName eq "a"'],
    ['too long', `userName eq "${'a'.repeat(1_000)}"`],
    ['too deep', `${'('.repeat(6)}userName eq "a"${')'.repeat(6)}`],
    ['very deep (the parser never sees it)', `${'('.repeat(100_000)}`],
    ['too many comparisons', Array.from({ length: FILTER_MAX_TERMS + 1 }, (_, i) => `userName eq "u${i}"`).join(' or ')],
    ['a nested value filter', 'emails[type eq "work" and emails[value eq "x"]]'],
  ])('refuses %s as 400 invalidFilter', (_, filter) => {
    expect(errorOf(() => compileFilter(filter, 'User'))).toBe('400 invalidFilter');
  });
});

describe('pagingOf', () => {
  const q = (s: string) => pagingOf(new URLSearchParams(s), 200);
  it('defaults to 1 and the maximum page, caps count at the maximum, reads startIndex < 1 as 1 and a negative count as 0', () => {
    expect(q('')).toEqual({ startIndex: 1, count: 200 });
    expect(q('startIndex=0&count=10')).toEqual({ startIndex: 1, count: 10 });
    expect(q('startIndex=5&count=1000000')).toEqual({ startIndex: 5, count: 200 });
    expect(q('count=-3')).toEqual({ startIndex: 1, count: 0 });
  });
  it('refuses a count or startIndex that is not an integer', () => {
    expect(errorOf(() => q('count=abc'))).toBe('400 invalidValue');
    expect(errorOf(() => q('startIndex=1.5'))).toBe('400 invalidValue');
    expect(errorOf(() => q(`count=${'9'.repeat(40)}`))).toBe('400 invalidValue');
  });
});
