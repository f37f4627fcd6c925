// Where a service account's key may be copied (spec.delivery) and what to do
// about each copy, decided from what was observed (pure; delivery-plan.test.ts).
//
// A namespace receives a copy only when its owner opted in for the account's
// tenant (the label accounts.blinkops.com/accept-keys-from=<tenant> on the
// Namespace, which a tenant Admin cannot write), and never when it is a system
// namespace, the operator's own or a tenant's (the account's own included). A
// namespace that did not opt in and one that does not exist get the same answer,
// so a tenant Admin learns nothing from it about which namespaces exist. Every
// copy of the account that is not wanted where it is (entry removed, renamed,
// opt-in withdrawn, refused) is deleted.
import { ACCEPT_KEYS_FROM_LABEL } from '../../api/index.js';
import { reservedNamespace } from '../../policy/index.js';

/** Whether a namespace may receive keys from a tenant. */
export type NamespaceAccess =
  /** Never: why (a system namespace, the operator's own, a tenant's). */
  | { readonly refused: string }
  /** Its owner labelled it for this tenant. */
  | 'opted-in'
  /** No opt-in for this tenant (or no such namespace: the two are never told apart). */
  | 'not-opted-in';

/** What is known about a namespace named in spec.delivery. */
export interface NamespaceFacts {
  readonly namespace: string;
  /** The service account's own namespace (its tenant's). */
  readonly accountNamespace: string;
  /** The namespace the operator runs in. */
  readonly operatorNamespace: string;
  readonly tenant: string;
  /** The namespace is a tenant's (labelled for one, or claimed by a Tenant). */
  readonly isTenantNamespace: boolean;
  /** The labels of the Namespace if it carries the opt-in label (any value); undefined otherwise. */
  readonly optInLabels: Readonly<Record<string, string>> | undefined;
  /** The Namespace is being deleted. */
  readonly terminating?: boolean;
}

/** Decides whether `facts.namespace` may receive the tenant's keys. */
export function namespaceAccess(facts: NamespaceFacts): NamespaceAccess {
  const reserved = reservedNamespace(facts.namespace, facts.operatorNamespace);
  if (reserved) return { refused: reserved };
  if (facts.namespace === facts.accountNamespace) return { refused: "it is the account's own namespace, where the key Secret already is" };
  if (facts.isTenantNamespace) return { refused: "it is a tenant's namespace" };
  if (facts.terminating) return 'not-opted-in';
  return facts.optInLabels?.[ACCEPT_KEYS_FROM_LABEL] === facts.tenant ? 'opted-in' : 'not-opted-in';
}

/** One entry of spec.delivery, with what was observed about it. */
export interface DeliveryTarget {
  readonly namespace: string;
  readonly secretName: string;
  readonly access: NamespaceAccess;
  /** The Secret of that name in that namespace: this account's copy or someone else's; undefined when none. */
  readonly copy:
    | {
        readonly ownership: 'this' | 'foreign';
        /** Id of the key the copy holds, if it holds a well-formed one. */
        readonly keyId: string | undefined;
        /** The copy holds the current key. */
        readonly holdsKey: boolean;
        /** The copy is exactly what the operator writes (key, template, labels, annotations). */
        readonly exact: boolean;
      }
    | undefined;
  /** The key status says this copy was last given (status.deliveredTo); undefined when none was. */
  readonly deliveredKeyId: string | undefined;
}

/** Everything the delivery decision needs. */
export interface DeliveryObservation {
  /** Id of the account's current key (after this reconcile's key step). */
  readonly keyId: string;
  readonly targets: readonly DeliveryTarget[];
  /** The spec changed since status was last written (a template change is expected, not an alteration). */
  readonly specChanged: boolean;
  /** Every copy of this account the operator knows of (cache). */
  readonly copies: readonly { readonly namespace: string; readonly name: string }[];
}

/** Why a copy is written. */
export type CopyWriteReason =
  /** First delivery to this namespace. */
  | 'Delivered'
  /** The account's key was rotated (or repaired): the copy follows. */
  | 'Rotated'
  /** The spec changed (secretTemplate): the copy follows, same key. */
  | 'Updated'
  /** The copy was deleted by someone else: written again (Warning). */
  | 'Deleted'
  /** The copy was altered by someone else: written again (Warning). */
  | 'Altered';

/** What to do about one target. */
export type TargetPlan =
  | { readonly action: 'refused'; readonly why: string }
  | { readonly action: 'not-opted-in' }
  /** A Secret of someone else has the name: never touched. */
  | { readonly action: 'conflict' }
  /** Write the copy whole; `restart`: its restart targets get a rollout restart for the new key. */
  | { readonly action: 'write'; readonly reason: CopyWriteReason; readonly restart: boolean }
  | { readonly action: 'keep'; readonly restart: boolean };

/** The whole decision. */
export interface DeliveryPlan {
  readonly targets: readonly { readonly target: DeliveryTarget; readonly plan: TargetPlan }[];
  /** Copies of this account to delete. */
  readonly remove: readonly { readonly namespace: string; readonly name: string }[];
}

/** True for the reasons that mean someone else deleted or altered a copy. */
export function isRepair(reason: CopyWriteReason): boolean {
  return reason === 'Deleted' || reason === 'Altered';
}

function planTarget(target: DeliveryTarget, keyId: string, specChanged: boolean): TargetPlan {
  if (typeof target.access === 'object') return { action: 'refused', why: target.access.refused };
  if (target.access === 'not-opted-in') return { action: 'not-opted-in' };
  const { copy, deliveredKeyId } = target;
  // Restart once the copy holds a key other than the one its namespace's workloads were last given.
  const restart = deliveredKeyId !== undefined && deliveredKeyId !== keyId;
  if (!copy) return { action: 'write', reason: deliveredKeyId !== undefined ? 'Deleted' : 'Delivered', restart };
  if (copy.ownership === 'foreign') return { action: 'conflict' };
  if (copy.exact) return { action: 'keep', restart };
  if (deliveredKeyId === undefined) return { action: 'write', reason: 'Delivered', restart };
  if (copy.holdsKey) return { action: 'write', reason: specChanged ? 'Updated' : 'Altered', restart };
  // The copy still holds the key it was last given, and the account has a new one: rotation.
  if (deliveredKeyId !== keyId && copy.keyId === deliveredKeyId) return { action: 'write', reason: 'Rotated', restart };
  return { action: 'write', reason: 'Altered', restart };
}

/** Decides every copy (see the file comment). */
export function planDelivery(observed: DeliveryObservation): DeliveryPlan {
  const targets = observed.targets.map((target) => ({ target, plan: planTarget(target, observed.keyId, observed.specChanged) }));
  const wanted = new Set(targets.filter((t) => t.plan.action === 'write' || t.plan.action === 'keep').map((t) => `${t.target.namespace}/${t.target.secretName}`));
  const remove = observed.copies.filter((c) => !wanted.has(`${c.namespace}/${c.name}`));
  return { targets, remove };
}

/** Ready-style reasons of the KeyDelivered condition. */
export const KEY_DELIVERED_REASONS = {
  delivered: 'Delivered',
  refused: 'NamespaceRefused',
  conflict: 'SecretConflict',
  notOptedIn: 'NamespaceNotOptedIn',
  noKey: 'NoKeyToDeliver',
} as const;

/** The KeyDelivered condition after the plan was carried out; undefined without targets. */
export function deliveryCondition(plan: DeliveryPlan, tenant: string): { status: 'True' | 'False'; reason: string; message: string } | undefined {
  if (plan.targets.length === 0) return undefined;
  const where = (t: { target: DeliveryTarget }): string => `${t.target.namespace}/${t.target.secretName}`;
  const delivered = plan.targets.filter((t) => t.plan.action === 'write' || t.plan.action === 'keep');
  const refused = plan.targets.flatMap((t) => (t.plan.action === 'refused' ? [`${t.target.namespace} (${t.plan.why})`] : []));
  const conflicts = plan.targets.filter((t) => t.plan.action === 'conflict');
  const waiting = plan.targets.filter((t) => t.plan.action === 'not-opted-in').map((t) => t.target.namespace);
  const inKey = delivered.length > 0 ? `The API key is in ${delivered.map(where).join(', ')}` : '';
  if (delivered.length === plan.targets.length) return { status: 'True', reason: KEY_DELIVERED_REASONS.delivered, message: inKey };
  const parts: string[] = [];
  if (refused.length > 0) parts.push(`Never delivered to ${refused.join(', ')}: keys go only to namespaces outside every tenant and the cluster's own`);
  if (conflicts.length > 0) parts.push(`Secret ${conflicts.map(where).join(', ')} exists and is not this account's copy: delete or rename it, or choose another secretName`);
  if (waiting.length > 0) {
    parts.push(
      `Not delivered to ${waiting.join(', ')}: a namespace receives keys only once its owner labels it ${ACCEPT_KEYS_FROM_LABEL}=${tenant} (kubectl label namespace ${waiting[0] ?? ''} ${ACCEPT_KEYS_FROM_LABEL}=${tenant})`,
    );
  }
  if (inKey) parts.push(inKey);
  const reason = refused.length > 0 ? KEY_DELIVERED_REASONS.refused : conflicts.length > 0 ? KEY_DELIVERED_REASONS.conflict : KEY_DELIVERED_REASONS.notOptedIn;
  return { status: 'False', reason, message: parts.join('. ') };
}

/** What status.deliveredTo says after the plan was carried out: the copies that hold `keyId`. */
export function deliveredTo(plan: DeliveryPlan, keyId: string): { namespace: string; secretName: string; keyId: string }[] {
  return plan.targets.filter((t) => t.plan.action === 'write' || t.plan.action === 'keep').map((t) => ({ namespace: t.target.namespace, secretName: t.target.secretName, keyId }));
}

/** One RolloutRestarted outcome: of the account's own namespace (no `namespace`), or of a delivery namespace. */
export interface RolloutOutcome {
  readonly status: 'True' | 'False';
  readonly reason: string;
  readonly message: string;
  readonly namespace?: string | undefined;
}

/** The one RolloutRestarted condition of several namespaces' restarts: False when any is, with that reason (RestartFailed first). */
export function mergeRollouts(outcomes: readonly RolloutOutcome[]): { status: 'True' | 'False'; reason: string; message: string } | undefined {
  const [only] = outcomes;
  if (!only) return undefined;
  const text = (o: RolloutOutcome): string => (o.namespace ? `In namespace ${o.namespace}: ${o.message}` : o.message);
  if (outcomes.length === 1 && !only.namespace) return { status: only.status, reason: only.reason, message: only.message };
  const failed = outcomes.filter((o) => o.status === 'False');
  const reason = failed.find((o) => o.reason === 'RestartFailed')?.reason ?? failed[0]?.reason ?? only.reason;
  return { status: failed.length > 0 ? 'False' : 'True', reason, message: outcomes.map(text).join('. ') };
}
