// The act step of rollout restarts, in the service account's own namespace or a delivery namespace (the path is built from
// it; a target names no namespace): each target is read, restarted only if it consumes the key
// (`isKeyConsumer`), with a merge patch guarded by the resourceVersion that was judged; then one Event.
// A target that does not exist gets exactly the answer of one that does not use the key.
import type { ServiceAccount } from '../api/index.js';
import { ApiError, isNotFound } from '../runtime/errors.js';
import type { KubeObject } from '../runtime/kinds.js';
import type { ActContext } from '../runtime/kube-writer.js';
import { isKeyConsumer, NOT_A_KEY_CONSUMER, restartPatch, RESTART_KINDS, rolloutCondition } from './restart-targets.js';
import type { RestartResult, RestartTarget, WorkloadLike } from './restart-targets.js';

/** Attempts per target when the workload changes between the read and the patch (409 Conflict). */
const ATTEMPTS = 3;

function failureOf(error: unknown): { error: string } {
  return { error: error instanceof ApiError ? (error.reason ?? `HTTP ${error.code}`) : 'unreachable' };
}

/** Reads one target, and restarts it if it consumes the key. Never throws. */
async function restartOne(act: ActContext, namespace: string, serviceAccount: string, secretName: string, target: RestartTarget, now: number): Promise<RestartResult['outcome']> {
  const kind = RESTART_KINDS[target.kind];
  for (let attempt = 1; ; attempt++) {
    let workload: WorkloadLike & KubeObject;
    try {
      workload = await act.client.get<WorkloadLike & KubeObject>(kind, namespace, target.name);
    } catch (error) {
      if (isNotFound(error)) return 'not-a-consumer';
      return failureOf(error);
    }
    if (!isKeyConsumer(workload, serviceAccount, secretName)) return 'not-a-consumer';
    try {
      // The patch applies only to the version judged: a template edited since is judged again.
      await act.client.patch(kind, namespace, target.name, { metadata: { resourceVersion: workload.metadata?.resourceVersion }, ...restartPatch(now) });
      return 'restarted';
    } catch (error) {
      if (error instanceof ApiError && error.code === 409 && attempt < ATTEMPTS) continue;
      // Deleted between the read and the patch: as if it had never been there.
      if (isNotFound(error)) return 'not-a-consumer';
      return failureOf(error);
    }
  }
}

/**
 * Restarts every target that consumes the key `keyId` of Secret `secretName` in `namespace` (the
 * account's own, or a delivery namespace holding a copy of the key); returns the RolloutRestarted
 * condition. Never throws for a target's failure.
 */
export async function restartTargets(
  act: ActContext,
  sa: ServiceAccount & KubeObject,
  targets: readonly RestartTarget[],
  secretName: string,
  keyId: string,
  now: number,
  namespace: string = sa.metadata?.namespace ?? '',
): Promise<{ status: 'True' | 'False'; reason: string; message: string }> {
  const name = sa.metadata?.name ?? '';
  const results: RestartResult[] = [];
  for (const target of targets) results.push({ target, outcome: await restartOne(act, namespace, name, secretName, target, now) });
  const condition = rolloutCondition(keyId, namespace, name, secretName, results);
  const count = (outcome: 'restarted' | 'not-a-consumer'): number => results.filter((r) => r.outcome === outcome).length;
  const failed = results.length - count('restarted') - count('not-a-consumer');
  act.log.info({ keyId, namespace, restarted: count('restarted'), notKeyConsumers: count('not-a-consumer'), failed }, condition.status === 'True' ? 'Restarted the restart targets' : 'Did not restart every restart target');
  const reason = condition.reason === 'Restarted' ? 'RolloutRestarted' : condition.reason === NOT_A_KEY_CONSUMER ? NOT_A_KEY_CONSUMER : 'RestartFailed';
  await act.recorder.event(sa, condition.status === 'True' ? 'Normal' : 'Warning', reason, condition.message);
  return condition;
}
