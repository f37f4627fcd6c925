// Rotation reaching running applications: after a new key is in the Secret, the workloads named in
// spec.keyRotation.restartTargets get a rollout restart (the pod-template annotation
// `kubectl rollout restart` sets), so new pods read the new key while the old one still verifies
// in its grace period. Targets name a kind and a name only: they are always looked up in the
// service account's own namespace. Pure decisions here; the controller sends the patches.
import type { KindDescriptor } from '../runtime/kinds.js';

/** The pod-template annotation `kubectl rollout restart` sets. */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

/** Kinds that can be restarted. */
export const RESTART_KINDS = {
  Deployment: { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true },
  StatefulSet: { group: 'apps', version: 'v1', kind: 'StatefulSet', plural: 'statefulsets', namespaced: true },
  DaemonSet: { group: 'apps', version: 'v1', kind: 'DaemonSet', plural: 'daemonsets', namespaced: true },
} as const satisfies Record<string, KindDescriptor>;

/** A workload to restart, in the service account's namespace. */
export interface RestartTarget {
  readonly kind: keyof typeof RESTART_KINDS;
  readonly name: string;
}

/** What to do about the targets for the key in the Secret now. */
export type RestartDecision =
  /** The targets were restarted for this key already (or there is no key). */
  | 'none'
  /** Remember the key without restarting: the first key, or the first one seen (nothing rotated). */
  | 'record'
  /** A new key replaced the one the targets were running with: restart them. */
  | 'restart';

/**
 * Decides from `rolledOutKeyId` (status: the key the targets last got, or that was current when
 * it was first recorded) and the key now in the Secret.
 */
export function decideRestart(input: { readonly targets: readonly RestartTarget[]; readonly keyId: string | undefined; readonly rolledOutKeyId: string | undefined }): RestartDecision {
  if (!input.keyId || input.rolledOutKeyId === input.keyId) return 'none';
  if (input.rolledOutKeyId === undefined || input.targets.length === 0) return 'record';
  return 'restart';
}

/** The merge patch `kubectl rollout restart` sends. */
export function restartPatch(at: number): object {
  return { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: new Date(at).toISOString() } } } } };
}

/** How one target's restart went. */
export interface RestartResult {
  readonly target: RestartTarget;
  /** Why it failed (HTTP status reason), or undefined when it was restarted. */
  readonly error?: string;
}

/** The RolloutRestarted condition after restarting. */
export function rolloutCondition(keyId: string, namespace: string, results: readonly RestartResult[]): { status: 'True' | 'False'; reason: string; message: string } {
  const failed = results.filter((r) => r.error !== undefined);
  const id = (t: RestartTarget): string => `${t.kind.toLowerCase()}/${t.name}`;
  if (failed.length === 0) {
    return { status: 'True', reason: 'Restarted', message: `Restarted ${results.map((r) => id(r.target)).join(', ')} for API key ${keyId}` };
  }
  return {
    status: 'False',
    reason: 'RestartFailed',
    message: `Could not restart ${failed.map((r) => `${id(r.target)} (${r.error ?? ''})`).join(', ')} for API key ${keyId}; restart by hand: ${failed.map((r) => `kubectl rollout restart ${id(r.target)} -n ${namespace}`).join('; ')}`,
  };
}
