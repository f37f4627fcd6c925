// Group and Workspace status: who belongs. Membership is declared on the member (User
// spec.groups / spec.workspaces, ServiceAccount spec.workspaces), so these controllers only
// read the caches (through the shared indexes) and write status (pure, here).
//
// Decision: status lists members BY DECLARATION, whatever their phase or role. An Admin acts in
// every workspace (the permission matrix and the access API say so), but is listed in a
// Workspace only if it names that workspace: otherwise every Workspace's status would change
// whenever an Admin is added, and the list would grow with the tenant instead of with the
// workspace. Invited and Inactive users are listed too: membership is set up at invite time
// and access is gated by phase, not by membership.
import { REASONS } from '../api/index.js';
import type { ConditionInput, Condition } from '../runtime/conditions.js';
import { setCondition } from '../runtime/conditions.js';
import type { CacheIndex } from '../runtime/informer.js';
import type { KubeObject } from '../runtime/kinds.js';

/** Sorted unique names of the members found under `key` in an index. */
export function memberNames(index: CacheIndex<KubeObject>, key: string): string[] {
  return [...new Set(index.get(key).map((o) => o.metadata?.name ?? ''))].filter(Boolean).sort();
}

/** Status of a Group or Workspace (pure). */
export function membershipStatus<S extends { conditions?: Condition[] | undefined }>(
  previous: S | undefined,
  members: Readonly<Record<string, string[]>>,
  inTenant: boolean,
  namespace: string,
  generation: number | undefined,
  now: number,
): Record<string, unknown> {
  const ready: ConditionInput = inTenant
    ? { type: 'Ready', status: 'True', reason: 'MembersListed', message: 'Members are listed in status', ...(generation !== undefined ? { observedGeneration: generation } : {}) }
    : {
        type: 'Ready',
        status: 'False',
        reason: REASONS.notInTenantNamespace,
        message: `Namespace ${namespace} belongs to no Tenant handled by this operator`,
        ...(generation !== undefined ? { observedGeneration: generation } : {}),
      };
  return {
    ...members,
    conditions: setCondition(previous?.conditions, ready, now),
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  };
}

