// Which RoleBinding a User should have: the pure half of the binding controller.
// Exactly the users policy/principals.ts's userStanding gives access are bound
// (the access API authorizes by the same verdict); everyone else has none.
import { API_VERSION } from '../api/index.js';
import type { Tenant, User } from '../api/index.js';
import { kubernetesUsername, userStanding } from '../policy/index.js';
import type { KubeObject } from '../runtime/kinds.js';
import { MANAGED_LABELS, TENANT_LABEL, USER_LABEL } from '../api/index.js';
import { clusterRoleName } from './cluster-roles.js';

/** Component label of the RoleBindings. */
export const RBAC_COMPONENT = 'rbac';

/** Name of the RoleBinding of a User. */
export function bindingName(userName: string): string {
  return `blink-user-${userName}`;
}

/** A RoleBinding as far as the plan reads and writes it. */
export interface RoleBinding extends KubeObject {
  roleRef?: { apiGroup: string; kind: string; name: string };
  subjects?: { apiGroup?: string; kind: string; name: string; namespace?: string }[];
}

/** What to do with the User's RoleBinding. */
export type BindingPlan =
  | { readonly action: 'none' }
  /** Server-side apply `binding`. */
  | { readonly action: 'apply'; readonly binding: RoleBinding }
  /** Delete the existing binding, then apply `binding` (roleRef is immutable, so a role change needs both). */
  | { readonly action: 'replace'; readonly binding: RoleBinding }
  /** Delete the existing binding. */
  | { readonly action: 'delete' };

/** Inputs of {@link planBinding}. */
export interface BindingPlanInput {
  /** The User, undefined once it is gone. */
  readonly user: (User & KubeObject) | undefined;
  /** The Tenant owning the user's namespace, undefined when there is none (in this shard). */
  readonly tenant: (Tenant & KubeObject) | undefined;
  /** The RoleBinding as cached, undefined when there is none. */
  readonly existing: RoleBinding | undefined;
  /** The Users of the namespace with the user's email in normal form (policy/principals.ts emailClaim: only the owner is bound). */
  readonly sameEmail: readonly (User & KubeObject)[];
}

/** Why a user is bound or not, for logs and tests. */
export function bindingVerdict(user: (User & KubeObject) | undefined, tenant: (Tenant & KubeObject) | undefined, sameEmail: readonly (User & KubeObject)[]): { bound: boolean; why: string } {
  const standing = userStanding(user, tenant, sameEmail);
  return { bound: standing.access, why: standing.why };
}

/**
 * The RoleBinding an Active user should have. `tenantSettings` (the Tenant) decides the subject's
 * name: with an identity provider it is issuer-scoped (policy/identity.ts).
 */
export function desiredBinding(user: User & KubeObject, tenant: string, tenantSettings?: Pick<Tenant, 'spec'>): RoleBinding {
  const meta = user.metadata ?? {};
  const name = meta.name ?? '';
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: {
      name: bindingName(name),
      namespace: meta.namespace ?? '',
      labels: { ...MANAGED_LABELS, 'app.kubernetes.io/component': RBAC_COMPONENT, [TENANT_LABEL]: tenant, [USER_LABEL]: name },
      ownerReferences: [
        { apiVersion: API_VERSION, kind: 'User', name, uid: meta.uid ?? '', controller: true, blockOwnerDeletion: false },
      ],
    },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRoleName(user.spec.role) },
    // Clusters with OIDC present a person by their email address as the username: bound in the
    // normal form of policy/email.ts, the form the access API matches; behind the username prefix
    // of the tenant's identity provider when it has one, so that no other provider's tokens match.
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: kubernetesUsername(tenantSettings, user.spec.email) }],
  };
}

/**
 * True when two subject lists name the same subjects in the same order. Compared field by field:
 * the API server returns a subject's fields in its own order (kind first), so the JSON text differs.
 */
export function sameSubjects(a: RoleBinding['subjects'], b: RoleBinding['subjects']): boolean {
  const key = (s: NonNullable<RoleBinding['subjects']>[number]) => [s.kind, s.apiGroup ?? '', s.name, s.namespace ?? ''].join('\u0000');
  const left = (a ?? []).map(key);
  const right = (b ?? []).map(key);
  return left.length === right.length && left.every((k, i) => k === right[i]);
}

/** True when `existing` already grants what `desired` does, with our labels and owner. */
function converged(existing: RoleBinding, desired: RoleBinding): boolean {
  const labels = existing.metadata?.labels ?? {};
  const owner = existing.metadata?.ownerReferences?.[0];
  const wantOwner = desired.metadata?.ownerReferences?.[0];
  return (
    sameSubjects(existing.subjects, desired.subjects) &&
    Object.entries(desired.metadata?.labels ?? {}).every(([k, v]) => labels[k] === v) &&
    existing.metadata?.ownerReferences?.length === 1 &&
    owner?.uid === wantOwner?.uid &&
    owner?.controller === true
  );
}

/** Decides what to do with the binding of a user. */
export function planBinding(input: BindingPlanInput): BindingPlan {
  const { user, tenant, existing } = input;
  if (!user || !tenant || !bindingVerdict(user, tenant, input.sameEmail).bound) return existing ? { action: 'delete' } : { action: 'none' };
  const binding = desiredBinding(user, tenant.metadata?.name ?? '', tenant);
  if (!existing) return { action: 'apply', binding };
  const ref = existing.roleRef;
  if (ref?.name !== binding.roleRef?.name || ref?.kind !== 'ClusterRole' || ref.apiGroup !== 'rbac.authorization.k8s.io') return { action: 'replace', binding };
  return converged(existing, binding) ? { action: 'none' } : { action: 'apply', binding };
}
