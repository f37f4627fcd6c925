import { describe, expect, it } from 'vitest';
import type { Tenant, User } from '../api/index.js';
import { emailClaim, emailOwner, userStanding } from './principals.js';

type U = Pick<User, 'spec' | 'status'> & { metadata: { name: string; namespace: string; uid?: string; creationTimestamp?: string; deletionTimestamp?: string } };

const user = (name: string, email: string, created: string, extra: { phase?: 'Active' | 'Invited'; deleting?: boolean; namespace?: string; role?: string } = {}): U => ({
  metadata: { name, namespace: extra.namespace ?? 'tenant-acme', uid: `uid-${name}`, creationTimestamp: created, ...(extra.deleting ? { deletionTimestamp: '2026-03-01T00:00:00Z' } : {}) },
  spec: { email, role: (extra.role ?? 'Admin') as 'Admin' },
  status: { phase: extra.phase ?? 'Active' },
});
const tenant = { metadata: { name: 'acme' }, spec: { displayName: 'Acme' } } as Pick<Tenant, 'spec'> & { metadata: { name: string } };

describe('emailOwner: one email is one person per tenant', () => {
  const older = user('zoe', 'kate@acme.example', '2026-01-01T00:00:00Z');
  const younger = user('amy', 'Kate@ACME.example', '2026-01-02T00:00:00Z');
  const twin = user('bea', 'kate@acme.example', '2026-01-01T00:00:00Z');
  it.each([
    { name: 'the oldest by creationTimestamp, whatever the names', users: [younger, older], owner: 'zoe' },
    { name: 'then by name when created in the same second', users: [older, twin], owner: 'bea' },
    { name: 'a User being deleted owns nothing: the next one takes over', users: [{ ...older, metadata: { ...older.metadata, deletionTimestamp: 'x' } }, younger], owner: 'amy' },
    { name: 'Users of another namespace are not compared', users: [younger, user('old', 'kate@acme.example', '2025-01-01T00:00:00Z', { namespace: 'tenant-other' })], owner: 'amy' },
    { name: 'nobody owns an address without a normal form', users: [user('k', '\u212Aate@acme.example', '2026-01-01T00:00:00Z')], owner: undefined },
    { name: 'no Users, no owner', users: [], owner: undefined },
  ])('$name', ({ users, owner }) => {
    expect(emailOwner(users)?.metadata.name).toBe(owner);
  });

  it('says which User owns the email to the others, and that the owner owns it', () => {
    expect(emailClaim(older, [younger, older])).toEqual({ owns: true });
    expect(emailClaim(younger, [younger, older])).toMatchObject({ owns: false, owner: 'zoe' });
    const claim = emailClaim(younger, [younger, older]);
    expect(claim.owns ? '' : claim.message).toContain('User "zoe" already has the email kate@acme.example');
    // The same User as a different object (cache copy vs the one in hand) is still the owner.
    expect(emailClaim({ ...older }, [younger, older])).toEqual({ owns: true });
  });
});

describe('userStanding', () => {
  const consumer = user('first', 'kate@acme.example', '2026-01-01T00:00:00Z', { role: 'Consumer' });
  const admin = user('second', 'KATE@acme.example', '2026-01-02T00:00:00Z', { role: 'Admin' });
  it.each([
    { name: 'the owner has access', who: consumer, same: [consumer, admin], access: true, why: 'Active' },
    { name: 'an Active duplicate has none, whatever its role', who: admin, same: [consumer, admin], access: false, why: 'DuplicateEmail' },
    { name: 'the duplicate takes over once the owner is being deleted', who: admin, same: [{ ...consumer, metadata: { ...consumer.metadata, deletionTimestamp: 'x' } }, admin], access: true, why: 'Active' },
    { name: 'alone, it has access', who: admin, same: [admin], access: true, why: 'Active' },
    { name: 'not yet in the cache index, it is compared with itself', who: admin, same: [], access: true, why: 'Active' },
  ])('$name', ({ who, same, access, why }) => {
    expect(userStanding(who, tenant, same)).toMatchObject({ access, why });
  });
});
