// Rotation reaching running applications: after a new key is in the Secret, the workloads named in
// spec.keyRotation.restartTargets get a rollout restart (the pod-template annotation
// `kubectl rollout restart` sets), so new pods read the new key while the old one still verifies
// in its grace period. Targets name a kind and a name only: they are always looked up in the
// service account's own namespace. A target is restarted only when it consumes the key: its pod
// template mounts or references the key Secret, or its owner opted in with an annotation naming the
// account. A tenant Admin names targets but has no rights on workloads: the operator must not
// restart anything else for them, nor tell them which names exist. Pure decisions here; the
// controller reads the workloads and sends the patches (restart-act.ts).
import type { KindDescriptor } from '../runtime/kinds.js';

/** The pod-template annotation `kubectl rollout restart` sets. */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

/**
 * Annotation on a Deployment, StatefulSet or DaemonSet (its own metadata, not the pod template) by
 * which whoever may edit the workload opts it in to restarts for a service account's new key without
 * the pod template naming the key Secret: the account's name, or several, comma-separated.
 */
export const RESTART_OPT_IN_ANNOTATION = 'accounts.blinkops.com/restart-on-key-rotation';

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

/** The parts of a pod template that can name a Secret (core/v1 PodTemplateSpec, as read; anything else is ignored). */
interface PodTemplateLike {
  readonly spec?: {
    readonly volumes?: readonly {
      readonly secret?: { readonly secretName?: string };
      readonly projected?: { readonly sources?: readonly { readonly secret?: { readonly name?: string } }[] };
    }[];
    readonly containers?: readonly ContainerLike[];
    readonly initContainers?: readonly ContainerLike[];
    readonly ephemeralContainers?: readonly ContainerLike[];
  };
}

interface ContainerLike {
  readonly env?: readonly { readonly valueFrom?: { readonly secretKeyRef?: { readonly name?: string } } }[];
  readonly envFrom?: readonly { readonly secretRef?: { readonly name?: string } }[];
}

function list<T>(value: readonly T[] | undefined): readonly T[] {
  return Array.isArray(value) ? value : [];
}

/**
 * Whether a pod template consumes Secret `secretName` (of its own namespace): a secret volume, a
 * projected volume source, an env var's valueFrom.secretKeyRef or a container's envFrom.secretRef
 * names it, in any container, init container or ephemeral container.
 */
export function podTemplateConsumesSecret(template: unknown, secretName: string): boolean {
  if (!secretName || typeof template !== 'object' || template === null) return false;
  const spec = (template as PodTemplateLike).spec;
  for (const volume of list(spec?.volumes)) {
    if (volume?.secret?.secretName === secretName) return true;
    if (list(volume?.projected?.sources).some((source) => source?.secret?.name === secretName)) return true;
  }
  const containers = [...list(spec?.containers), ...list(spec?.initContainers), ...list(spec?.ephemeralContainers)];
  return containers.some(
    (c) => list(c?.env).some((e) => e?.valueFrom?.secretKeyRef?.name === secretName) || list(c?.envFrom).some((e) => e?.secretRef?.name === secretName),
  );
}

/** Whether the workload's annotations opt it in to restarts for `serviceAccount` ({@link RESTART_OPT_IN_ANNOTATION}). */
export function optedInToRestarts(annotations: Readonly<Record<string, string>> | undefined, serviceAccount: string): boolean {
  const value = annotations?.[RESTART_OPT_IN_ANNOTATION];
  return typeof value === 'string' && value.split(',').some((name) => name.trim() === serviceAccount);
}

/** A workload as read from the API server (only what the decision looks at). */
export interface WorkloadLike {
  readonly metadata?: { readonly annotations?: Readonly<Record<string, string>> };
  readonly spec?: { readonly template?: unknown };
}

/** Whether the workload consumes the key of `serviceAccount` in Secret `secretName`: only such a workload is restarted. */
export function isKeyConsumer(workload: WorkloadLike, serviceAccount: string, secretName: string): boolean {
  return podTemplateConsumesSecret(workload.spec?.template, secretName) || optedInToRestarts(workload.metadata?.annotations, serviceAccount);
}

/** The merge patch `kubectl rollout restart` sends. */
export function restartPatch(at: number): object {
  return { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: new Date(at).toISOString() } } } } };
}

/** How one target's restart went. */
export interface RestartResult {
  readonly target: RestartTarget;
  /**
   * `restarted`; `not-a-consumer` (does not use the key, or does not exist: the two are never told
   * apart); or why the restart failed (HTTP status reason).
   */
  readonly outcome: 'restarted' | 'not-a-consumer' | { readonly error: string };
}

/** Reason of RolloutRestarted=False for a target that does not use the key, or does not exist. */
export const NOT_A_KEY_CONSUMER = 'NotAKeyConsumer';

/** The RolloutRestarted condition after restarting. Failures first, then targets that are not key consumers. */
export function rolloutCondition(
  keyId: string,
  namespace: string,
  serviceAccount: string,
  secretName: string,
  results: readonly RestartResult[],
): { status: 'True' | 'False'; reason: string; message: string } {
  const id = (t: RestartTarget): string => `${t.kind.toLowerCase()}/${t.name}`;
  const failed = results.flatMap((r) => (typeof r.outcome === 'object' ? [{ target: r.target, error: r.outcome.error }] : []));
  const strangers = results.filter((r) => r.outcome === 'not-a-consumer').map((r) => id(r.target));
  const restarted = results.filter((r) => r.outcome === 'restarted').map((r) => id(r.target));
  if (failed.length === 0 && strangers.length === 0) {
    return { status: 'True', reason: 'Restarted', message: `Restarted ${restarted.join(', ')} for API key ${keyId}` };
  }
  const parts: string[] = [];
  if (failed.length > 0) {
    parts.push(`Could not restart ${failed.map((f) => `${id(f.target)} (${f.error})`).join(', ')} for API key ${keyId}; restart by hand: ${failed.map((f) => `kubectl rollout restart ${id(f.target)} -n ${namespace}`).join('; ')}`);
  }
  if (strangers.length > 0) {
    // The same words whether the workload exists or not: no one learns from this which names exist.
    parts.push(
      `Not restarted: ${strangers.join(', ')}: only a workload that uses the key is restarted, one whose pod template mounts or references Secret ${secretName} (volume, projected volume, env or envFrom) or that is annotated ${RESTART_OPT_IN_ANNOTATION}=${serviceAccount}`,
    );
  }
  if (restarted.length > 0) parts.push(`Restarted ${restarted.join(', ')}`);
  return { status: 'False', reason: failed.length > 0 ? 'RestartFailed' : NOT_A_KEY_CONSUMER, message: parts.join('. ') };
}
