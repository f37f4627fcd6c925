// The act step of rollout restarts: one merge patch per target, in the service account's own
// namespace (the path is built from it; a target names no namespace), then one Event.
import type { ServiceAccount } from '../api/index.js';
import { ApiError } from '../runtime/errors.js';
import type { KubeObject } from '../runtime/kinds.js';
import type { ActContext } from '../runtime/kube-writer.js';
import { restartPatch, RESTART_KINDS, rolloutCondition } from './restart-targets.js';
import type { RestartResult, RestartTarget } from './restart-targets.js';

/** Restarts every target for `keyId`; returns the RolloutRestarted condition. Never throws for a target's failure. */
export async function restartTargets(
  act: ActContext,
  sa: ServiceAccount & KubeObject,
  targets: readonly RestartTarget[],
  keyId: string,
  now: number,
): Promise<{ status: 'True' | 'False'; reason: string; message: string }> {
  const namespace = sa.metadata?.namespace ?? '';
  const results: RestartResult[] = [];
  for (const target of targets) {
    try {
      await act.client.patch(RESTART_KINDS[target.kind], namespace, target.name, restartPatch(now));
      results.push({ target });
    } catch (error) {
      const reason = error instanceof ApiError ? (error.reason ?? `HTTP ${error.code}`) : 'unreachable';
      results.push({ target, error: reason });
    }
  }
  const condition = rolloutCondition(keyId, namespace, results);
  const failed = results.filter((r) => r.error !== undefined).length;
  act.log.info({ keyId, restarted: results.length - failed, failed }, failed ? 'Could not restart every restart target' : 'Restarted the restart targets');
  await act.recorder.event(sa, failed ? 'Warning' : 'Normal', condition.reason === 'Restarted' ? 'RolloutRestarted' : 'RestartFailed', condition.message);
  return condition;
}
