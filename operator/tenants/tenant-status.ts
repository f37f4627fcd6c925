// The status a Tenant should have, from what the controller observed: pure, so a
// resync of a converged tenant derives an identical status and writes nothing.
import type { ServiceAccount, Tenant, TenantStatus, User } from '../api/index.js';
import { setCondition } from '../runtime/conditions.js';
import type { Condition, ConditionInput } from '../runtime/conditions.js';
import { CONDITIONS } from '../api/index.js';

/** How the namespace step ended. */
export interface NamespaceOutcome {
  readonly ready: boolean;
  readonly reason: string;
  readonly message: string;
}

/** Counts users per phase; a User the Users controller has not looked at yet counts as Invited. */
export function countUsers(users: readonly User[]): { invited: number; active: number; inactive: number } {
  const counts = { invited: 0, active: 0, inactive: 0 };
  for (const user of users) {
    if (user.metadata?.deletionTimestamp) continue;
    const phase = user.status?.phase ?? 'Invited';
    if (phase === 'Active') counts.active++;
    else if (phase === 'Inactive') counts.inactive++;
    else counts.invited++;
  }
  return counts;
}

/** Inputs of {@link tenantStatus}. */
export interface TenantStatusInput {
  readonly tenant: Tenant;
  readonly namespace: string;
  readonly outcome: NamespaceOutcome;
  readonly users: readonly User[];
  readonly serviceAccounts: readonly ServiceAccount[];
  /** UndeclaredAccess of an adopted namespace (undeclared-access.ts); absent for any other, which drops it. */
  readonly undeclaredAccess?: ConditionInput | undefined;
  /** IdentityProviderReady of a tenant with an identity provider (provider-check.ts); absent for any other, which drops it. */
  readonly identityProvider?: ConditionInput | undefined;
  readonly now: number;
}

/** The Tenant's status: namespace, counts, NamespaceReady, Ready, (adopted namespace) UndeclaredAccess and (with a provider) IdentityProviderReady; createdNamespaceUID is kept as recorded. */
export function tenantStatus(input: TenantStatusInput): TenantStatus {
  const { tenant, namespace, outcome, users, serviceAccounts, undeclaredAccess, identityProvider, now } = input;
  // A provider that cannot be used keeps invitations from being accepted: the tenant is not ready.
  const providerDown = outcome.ready && identityProvider?.status === 'False';
  const generation = tenant.metadata?.generation;
  const observed = generation !== undefined ? { observedGeneration: generation } : {};
  let conditions: Condition[] = setCondition(
    tenant.status?.conditions as Condition[] | undefined,
    { type: 'NamespaceReady', status: outcome.ready ? 'True' : 'False', reason: outcome.reason, message: outcome.message, ...observed },
    now,
  );
  conditions = setCondition(
    conditions,
    providerDown
      ? { type: 'Ready', status: 'False', reason: identityProvider.reason, message: identityProvider.message, ...observed }
      : outcome.ready
        ? { type: 'Ready', status: 'True', reason: 'TenantReady', message: `Tenant namespace "${namespace}" is ready`, ...observed }
        : { type: 'Ready', status: 'False', reason: outcome.reason, message: outcome.message, ...observed },
    now,
  );
  conditions = outcome.ready && identityProvider ? setCondition(conditions, identityProvider, now) : conditions.filter((c) => c.type !== CONDITIONS.identityProviderReady);
  conditions = outcome.ready && undeclaredAccess ? setCondition(conditions, undeclaredAccess, now) : conditions.filter((c) => c.type !== CONDITIONS.undeclaredAccess);
  const { namespace: _previous, ...rest } = tenant.status ?? {};
  return {
    ...rest,
    ...(outcome.ready ? { namespace } : {}),
    // A tenant refused its namespace counts nothing: what is there is another tenant's.
    users: outcome.ready ? countUsers(users) : { invited: 0, active: 0, inactive: 0 },
    serviceAccounts: outcome.ready ? serviceAccounts.filter((sa) => !sa.metadata?.deletionTimestamp).length : 0,
    conditions,
    ...observed,
  };
}
