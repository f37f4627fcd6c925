// The product's own figures, derived from what the operator has cached (pure;
// domain-metrics.test.ts): users per phase, invitations pending, expired and
// failing to send, service accounts without a key, key ages, and keys unused for N days. Labels hold
// only tenant names and fixed words: never an email, a user name or a key.
import type { ServiceAccount, User } from '../api/index.js';
import type { InvitationRecord } from '../invitations/invitation-record.js';
import { userPhase } from '../policy/index.js';

/** Invitation states the metrics count. */
export const INVITATION_METRIC_STATES = ['pending', 'expired', 'failing'] as const;
/** Key-age buckets (upper bounds in days; the last is open). */
export const KEY_AGE_BUCKETS = [
  { label: 'under_1d', maxDays: 1 },
  { label: 'under_7d', maxDays: 7 },
  { label: 'under_30d', maxDays: 30 },
  { label: 'under_90d', maxDays: 90 },
  { label: 'over_90d', maxDays: Infinity },
] as const;

/** Thresholds of the unused-keys gauge: keys not used (since their last use, or their issue when never used) for at least this many days. */
export const UNUSED_KEY_THRESHOLDS = [
  { label: '7d', days: 7 },
  { label: '30d', days: 30 },
  { label: '90d', days: 90 },
] as const;

/** Everything of one tenant the figures come from. */
export interface TenantObjects {
  readonly tenant: string;
  readonly users: readonly Pick<User, 'spec' | 'status'>[];
  readonly serviceAccounts: readonly Pick<ServiceAccount, 'status'>[];
  readonly invitations: readonly InvitationRecord[];
}

/** The figures of one tenant. */
export interface TenantFigures {
  readonly users: Readonly<Record<'Invited' | 'Active' | 'Inactive', number>>;
  readonly invitations: Readonly<Record<(typeof INVITATION_METRIC_STATES)[number], number>>;
  readonly serviceAccountsWithoutKey: number;
  readonly keysByAge: Readonly<Record<(typeof KEY_AGE_BUCKETS)[number]['label'], number>>;
  /** Age of the oldest key in seconds (0 without keys). */
  readonly oldestKeySeconds: number;
  /** Current keys unused for at least each threshold (cumulative: a key unused 100 days counts in all three). */
  readonly unusedKeys: Readonly<Record<(typeof UNUSED_KEY_THRESHOLDS)[number]['label'], number>>;
}

/** Counts the figures of a tenant at `now`. */
export function tenantFigures(objects: TenantObjects, now: number): TenantFigures {
  const users = { Invited: 0, Active: 0, Inactive: 0 };
  for (const user of objects.users) users[userPhase(user)] += 1;
  const invitations = { pending: 0, expired: 0, failing: 0 };
  for (const record of objects.invitations) {
    if (record.state !== 'pending') continue;
    const expired = Date.parse(record.expiresAt) <= now;
    if (expired) invitations.expired += 1;
    else invitations.pending += 1;
    if (!expired && record.delivery === 'failed') invitations.failing += 1;
  }
  const keysByAge = Object.fromEntries(KEY_AGE_BUCKETS.map((b) => [b.label, 0])) as Record<(typeof KEY_AGE_BUCKETS)[number]['label'], number>;
  const unusedKeys = Object.fromEntries(UNUSED_KEY_THRESHOLDS.map((t) => [t.label, 0])) as Record<(typeof UNUSED_KEY_THRESHOLDS)[number]['label'], number>;
  let withoutKey = 0;
  let oldest = 0;
  for (const sa of objects.serviceAccounts) {
    const created = sa.status?.keyCreatedAt ? Date.parse(sa.status.keyCreatedAt) : Number.NaN;
    if (!sa.status?.keyId || Number.isNaN(created)) {
      withoutKey += 1;
      continue;
    }
    const ageSeconds = Math.max(0, (now - created) / 1000);
    // Idle since the last use status records (at most an hour behind), or since the issue when never used.
    const lastUsed = sa.status.keyLastUsedAt ? Date.parse(sa.status.keyLastUsedAt) : Number.NaN;
    const idleMs = now - (Number.isFinite(lastUsed) ? Math.max(lastUsed, created) : created);
    for (const t of UNUSED_KEY_THRESHOLDS) if (idleMs >= t.days * 86_400_000) unusedKeys[t.label] += 1;
    oldest = Math.max(oldest, ageSeconds);
    const bucket = KEY_AGE_BUCKETS.find((b) => ageSeconds < b.maxDays * 86_400) ?? KEY_AGE_BUCKETS[KEY_AGE_BUCKETS.length - 1];
    if (bucket) keysByAge[bucket.label] += 1;
  }
  return { users, invitations, serviceAccountsWithoutKey: withoutKey, keysByAge, oldestKeySeconds: Math.round(oldest), unusedKeys };
}
