import { describe, expect, it } from 'vitest';
import { listResponse, userNameLookup } from './service.js';

describe('userNameLookup (the index fast path of the query before every create)', () => {
  it.each([
    ['userName eq "Ada@Example.com"', 'ada@example.com'],
    ['  USERNAME EQ "ada@example.com" ', 'ada@example.com'],
    ['userName eq "ada"', undefined],
    ['userName eq "ada@example.com" or userName eq "b@example.com"', undefined],
    ['userName ne "ada@example.com"', undefined],
    ['userName eq "a\\"b@example.com"', undefined],
    ['externalId eq "ada@example.com"', undefined],
  ])('%s → %s', (filter, expected) => {
    expect(userNameLookup(filter)).toBe(expected);
  });
});

describe('listResponse', () => {
  const all = Array.from({ length: 5 }, (_, i) => ({ id: String(i) }));
  it('pages from a 1-based startIndex and says how many it holds and how many match', () => {
    expect(listResponse(all, 2, 2)).toMatchObject({ totalResults: 5, itemsPerPage: 2, startIndex: 2, Resources: [{ id: '1' }, { id: '2' }] });
    expect(listResponse(all, 5, 10)).toMatchObject({ totalResults: 5, itemsPerPage: 1, Resources: [{ id: '4' }] });
    expect(listResponse(all, 9, 10)).toMatchObject({ totalResults: 5, itemsPerPage: 0, Resources: [] });
    expect(listResponse(all, 1, 0)).toMatchObject({ totalResults: 5, itemsPerPage: 0, Resources: [] });
  });
});
