import { describe, expect, it } from 'vitest';
import type { ServiceAccount, User } from '../api/index.js';
import { pendingRecord } from '../invitations/invitation-record.fixture.js';
import { tenantFigures } from './domain-metrics.js';

const NOW = Date.parse('2026-01-05T00:00:00Z');
const user = (phase: string | undefined, active?: boolean): Pick<User, 'spec' | 'status'> =>
  ({ spec: { email: 'x@acme.example', role: 'Builder', ...(active === undefined ? {} : { active }) }, ...(phase ? { status: { phase } } : {}) }) as Pick<User, 'spec' | 'status'>;
const sa = (keyCreatedAt?: string): Pick<ServiceAccount, 'status'> => ({ status: keyCreatedAt ? { keyId: 'Abc123Abc123', keyCreatedAt } : {} }) as Pick<ServiceAccount, 'status'>;

describe('tenantFigures', () => {
  it('counts users by the phase people see (spec.active false is Inactive whatever status says)', () => {
    const figures = tenantFigures({ tenant: 'acme', users: [user('Active'), user('Active', false), user(undefined), user('Invited'), user('Inactive')], serviceAccounts: [], invitations: [] }, NOW);
    expect(figures.users).toEqual({ Invited: 2, Active: 1, Inactive: 2 });
  });

  it('counts pending, expired and failing invitations; accepted and revoked ones are not pending', () => {
    const figures = tenantFigures(
      {
        tenant: 'acme',
        users: [],
        serviceAccounts: [],
        invitations: [
          pendingRecord({ expiresAt: '2026-01-08T00:00:00Z' }),
          pendingRecord({ expiresAt: '2026-01-08T00:00:00Z', delivery: 'failed' }),
          pendingRecord({ expiresAt: '2026-01-04T00:00:00Z' }),
          pendingRecord({ expiresAt: '2026-01-04T00:00:00Z', delivery: 'failed' }),
          pendingRecord({ state: 'accepted' }),
          pendingRecord({ state: 'revoked' }),
        ],
      },
      NOW,
    );
    expect(figures.invitations).toEqual({ pending: 2, expired: 2, failing: 1 });
  });

  it('counts accounts without a key and buckets key ages', () => {
    const figures = tenantFigures(
      { tenant: 'acme', users: [], serviceAccounts: [sa(), sa('2026-01-04T12:00:00Z'), sa('2026-01-01T00:00:00Z'), sa('2025-01-01T00:00:00Z')], invitations: [] },
      NOW,
    );
    expect(figures.serviceAccountsWithoutKey).toBe(1);
    expect(figures.keysByAge).toEqual({ under_1d: 1, under_7d: 1, under_30d: 0, under_90d: 0, over_90d: 1 });
    expect(figures.oldestKeySeconds).toBe((NOW - Date.parse('2025-01-01T00:00:00Z')) / 1000);
  });

  it('counts keys unused for 7, 30 and 90 days (cumulative), from the last use or, never used, the issue', () => {
    const used = (keyCreatedAt: string, keyLastUsedAt?: string): Pick<ServiceAccount, 'status'> =>
      ({ status: { keyId: 'Abc123Abc123', keyCreatedAt, ...(keyLastUsedAt ? { keyLastUsedAt } : {}) } }) as Pick<ServiceAccount, 'status'>;
    const figures = tenantFigures(
      {
        tenant: 'acme',
        users: [],
        serviceAccounts: [
          sa(),
          used('2025-01-01T00:00:00Z', '2026-01-04T23:00:00Z'), // old key, used an hour ago: 0
          used('2025-01-01T00:00:00Z', '2025-12-20T00:00:00Z'), // used 16 days ago: 7d
          used('2025-01-01T00:00:00Z'), // never used, a year old: 7d, 30d, 90d
          used('2025-11-01T00:00:00Z', '2025-11-02T00:00:00Z'), // used 64 days ago: 7d, 30d
          used('2026-01-04T00:00:00Z'), // never used, a day old: 0
        ],
        invitations: [],
      },
      NOW,
    );
    expect(figures.unusedKeys).toEqual({ '7d': 3, '30d': 2, '90d': 1 });
  });
});
