// The act step of key delivery: carries out a DeliveryPlan. Each copy to write is
// written whole (create, or replace guarded by the resourceVersion read live),
// with the key read from the account's own Secret only when a copy needs it;
// copies no longer wanted are deleted (uid precondition); the restart targets of
// a namespace whose copy got a new key get a rollout restart. One Event per
// change: Warning when someone else deleted or altered a copy.
import type { ServiceAccount } from '../../api/index.js';
import { ApiError, isNotFound, TransientError } from '../../runtime/errors.js';
import { builtinKinds } from '../../runtime/kinds.js';
import type { KubeObject } from '../../runtime/kinds.js';
import type { ActContext } from '../../runtime/kube-writer.js';
import { restartTargets } from '../restart-act.js';
import type { RestartTarget } from '../restart-targets.js';
import type { SecretTemplate } from '../secret-template.js';
import type { CopyWriteReason, DeliveryPlan } from './delivery-plan.js';
import { isRepair } from './delivery-plan.js';
import type { CopyIdentity } from './key-copy.js';
import { buildKeyCopy } from './key-copy.js';

type SA = ServiceAccount & KubeObject;

/** What carrying out a delivery plan needs besides the plan. */
export interface DeliveryActInput {
  readonly sa: SA;
  readonly id: CopyIdentity;
  readonly template: SecretTemplate;
  readonly now: number;
  /** resourceVersion of the Secret now at each target (`<namespace>/<name>`), read live; none: create. */
  readonly resourceVersions: ReadonlyMap<string, string>;
  /** uid of each cached copy to remove (`<namespace>/<name>`). */
  readonly copyUids: ReadonlyMap<string, string>;
  /** The account's current key, read from its own Secret and checked against its signature (called at most once). */
  readonly readKey: () => Promise<string>;
  /** The restart targets of a delivery namespace. */
  readonly restartTargetsIn: (namespace: string) => readonly RestartTarget[];
}

/** The Event of a write. */
function writeEvent(reason: CopyWriteReason, where: string, id: CopyIdentity): { type: 'Normal' | 'Warning'; reason: string; note: string } {
  switch (reason) {
    case 'Delivered':
      return { type: 'Normal', reason: 'KeyDelivered', note: `Delivered API key ${id.keyId} (${id.fingerprint}) into Secret ${where}` };
    case 'Rotated':
      return { type: 'Normal', reason: 'KeyCopyRotated', note: `The copy ${where} now holds the new API key ${id.keyId} (${id.fingerprint})` };
    case 'Updated':
      return { type: 'Normal', reason: 'KeyCopyUpdated', note: `The copy ${where} follows the changed spec; the key ${id.keyId} is unchanged` };
    case 'Deleted':
      return { type: 'Warning', reason: 'KeyCopyDeleted', note: `The copy ${where} of the API key was deleted; written again with key ${id.keyId} (copies are repaired; remove the entry from spec.delivery to stop them)` };
    case 'Altered':
      return { type: 'Warning', reason: 'KeyCopyAltered', note: `The copy ${where} of the API key was altered; written again with key ${id.keyId} (the key is unchanged; edits to a copy never change what verifies)` };
  }
}

/** Carries out `plan`; returns the RolloutRestarted conditions of the namespaces whose workloads were restarted. */
export async function applyDeliveryPlan(act: ActContext, plan: DeliveryPlan, input: DeliveryActInput): Promise<{ status: 'True' | 'False'; reason: string; message: string; namespace: string }[]> {
  const { sa, id, template, now } = input;
  let key: string | undefined;
  const rollouts: { status: 'True' | 'False'; reason: string; message: string; namespace: string }[] = [];
  for (const { target, plan: step } of plan.targets) {
    if (step.action !== 'write' && step.action !== 'keep') continue;
    const where = `${target.namespace}/${target.secretName}`;
    if (step.action === 'write') {
      key ??= await input.readKey();
      const resourceVersion = input.resourceVersions.get(where);
      const body = buildKeyCopy({ namespace: target.namespace, name: target.secretName, id, key, template, resourceVersion });
      try {
        if (resourceVersion) await act.client.replace(builtinKinds.secret, body);
        else await act.client.create(builtinKinds.secret, body);
      } catch (error) {
        // A copy created or changed since it was read: judged again on the next pass.
        const conflict = error instanceof ApiError && error.code === 409;
        throw new TransientError(`${resourceVersion ? 'Replacing' : 'Creating'} the key copy Secret ${where} failed${conflict ? ': it changed since it was read' : ''}`, { cause: error });
      }
      const event = writeEvent(step.reason, where, id);
      const log = { secret: where, keyId: id.keyId, reason: step.reason };
      if (isRepair(step.reason)) act.log.warn(log, 'Repaired a copy of the API key');
      else act.log.info(log, 'Wrote a copy of the API key');
      await act.recorder.event(sa, event.type, event.reason, event.note);
    }
    const targets = input.restartTargetsIn(target.namespace);
    if (step.restart && targets.length > 0) {
      const condition = await restartTargets(act, sa, targets, target.secretName, id.keyId, now, target.namespace);
      rollouts.push({ ...condition, namespace: target.namespace });
    }
  }
  for (const copy of plan.remove) {
    const where = `${copy.namespace}/${copy.name}`;
    try {
      await act.client.delete(builtinKinds.secret, copy.namespace, copy.name, { preconditions: { uid: input.copyUids.get(where) } });
    } catch (error) {
      if (isNotFound(error)) continue;
      throw new TransientError(`Deleting the key copy Secret ${where} failed`, { cause: error });
    }
    act.log.info({ secret: where }, 'Removed a copy of the API key');
    await act.recorder.event(sa, 'Normal', 'KeyCopyRemoved', `Removed the copy ${where} of the API key: it is no longer wanted there`);
  }
  return rollouts;
}

/** Deletes every copy of an account (the account is gone or going), each guarded by its uid; a copy already gone is fine. */
export async function removeAllCopies(act: ActContext, copies: readonly { readonly namespace: string; readonly name: string; readonly uid: string | undefined }[]): Promise<void> {
  for (const copy of copies) {
    try {
      await act.client.delete(builtinKinds.secret, copy.namespace, copy.name, { preconditions: { uid: copy.uid } });
      act.log.info({ secret: `${copy.namespace}/${copy.name}` }, 'Removed a copy of the API key of a deleted service account');
    } catch (error) {
      if (isNotFound(error)) continue;
      throw new TransientError(`Deleting the key copy Secret ${copy.namespace}/${copy.name} failed`, { cause: error });
    }
  }
}
