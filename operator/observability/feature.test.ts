import { describe, expect, it } from 'vitest';
import type { User } from '../api/index.js';
import type { Cached } from '../context.js';
import { fakeOperatorContext, tenantNamespace, tenantObject } from '../context.fixture.js';
import { pendingRecord } from '../invitations/invitation-record.fixture.js';
import { secretFromRecord } from '../invitations/invitation-record.js';
import type { SecretObject } from '../invitations/invitation-record.js';
import { ManualClock } from '../runtime/clock.js';
import { FIGURES_SHARED_COST_FACTOR, figuresCounter } from './feature.js';

const KEY = Buffer.alloc(32, 7);
const user = (namespace: string, name: string, phase: string): Cached<User> =>
  ({ metadata: { namespace, name, uid: `${namespace}-${name}` }, spec: { email: `${name}@acme.example`, role: 'Builder' }, status: { phase } }) as Cached<User>;

/** An invitation Secret whose `data` counts how often it is read (each decode reads it once). */
function countedSecret(namespace: string, userName: string, reads: { n: number }): SecretObject {
  const secret = secretFromRecord({ namespace, userName, tenantName: 'acme' }, pendingRecord({ expiresAt: '2099-01-01T00:00:00Z' }), KEY);
  const data = secret.data ?? {};
  return {
    ...secret,
    get data() {
      reads.n++;
      return data;
    },
  };
}

describe('figuresCounter', () => {
  const seed = {
    tenants: [tenantObject('acme'), tenantObject('beta')],
    namespaces: [tenantNamespace('acme'), tenantNamespace('beta')],
    users: [user('tenant-acme', 'ann', 'Active'), user('tenant-acme', 'bob', 'Invited'), user('tenant-beta', 'cid', 'Active')],
  };

  it('counts every tenant, yielding to the event loop between tenants (a scrape never holds the loop for all of them)', async () => {
    const { ctx } = await fakeOperatorContext({ ...seed, clock: new ManualClock(Date.parse('2026-01-05T00:00:00Z')) });
    const figures = figuresCounter(ctx, { byIndex: () => [] });
    let turned = false;
    setImmediate(() => (turned = true));
    const byTenant = await figures();
    expect(turned).toBe(true);
    expect(byTenant.get('acme')?.users).toEqual({ Invited: 1, Active: 1, Inactive: 0 });
    expect(byTenant.get('beta')?.users).toEqual({ Invited: 0, Active: 1, Inactive: 0 });
  });

  it('shares one count for a second, then counts again; an invitation Secret is decoded once per version', async () => {
    const clock = new ManualClock(Date.parse('2026-01-05T00:00:00Z'));
    const { ctx } = await fakeOperatorContext({ ...seed, clock });
    const reads = { n: 0 };
    let secrets = [countedSecret('tenant-acme', 'bob', reads)];
    const figures = figuresCounter(ctx, { byIndex: (_index, namespace) => (namespace === 'tenant-acme' ? secrets : []) });
    const first = figures();
    expect(figures()).toBe(first);
    expect((await first).get('acme')?.invitations).toEqual({ pending: 1, expired: 0, failing: 0 });
    const decodes = reads.n;
    expect(decodes).toBeGreaterThan(0);
    clock.advance(1_000);
    expect((await figures()).get('acme')?.invitations.pending).toBe(1);
    expect(reads.n).toBe(decodes); // the same Secret object: not decoded again
    secrets = [countedSecret('tenant-acme', 'bob', reads)]; // a new version of it
    clock.advance(1_000);
    expect((await figures()).get('acme')?.invitations.pending).toBe(1);
    expect(reads.n).toBe(2 * decodes);
  });

  it('shares a costly count for 20 times its CPU time, so counting a large cluster on every scrape cannot take the operator over', async () => {
    const clock = new ManualClock(Date.parse('2026-01-05T00:00:00Z'));
    const { ctx } = await fakeOperatorContext({ ...seed, clock });
    // Reading acme's records costs 80 ms of CPU: a count of at least 80 ms, shared for at least 1.6 s.
    const figures = figuresCounter(ctx, {
      byIndex: (_index, namespace) => {
        const until = performance.now() + (namespace === 'tenant-acme' ? 80 : 0);
        while (performance.now() < until);
        return [];
      },
    });
    const first = figures();
    await first;
    clock.advance(1_500);
    expect(figures()).toBe(first); // a 1-s window would have counted again
    clock.advance(FIGURES_SHARED_COST_FACTOR * 1_000); // far past 20 × any cost this count can have had
    const second = figures();
    expect(second).not.toBe(first);
    expect((await second).get('acme')?.users).toEqual({ Invited: 1, Active: 1, Inactive: 0 });
  });
});
