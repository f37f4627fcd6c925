// The delivery step of the ServiceAccount reconcile (spec.delivery): gather what
// is known about each delivery namespace and copy (caches: the opted-in
// Namespaces, the copies), decide (`planDelivery`, pure), confirm every copy to
// be written with a live read and decide again (a lagging cache never makes the
// operator overwrite someone else's Secret or report a copy as deleted), act
// (`applyDeliveryPlan`), and say what status should show. Also the clean-up of
// every copy when the account is deleted, or found gone.
import { ACCEPT_KEYS_FROM_LABEL, TENANT_LABEL } from '../../api/index.js';
import type { ServiceAccount } from '../../api/index.js';
import type { OperatorContext } from '../../context.js';
import type { ReconcileContext } from '../../runtime/controller.js';
import { isNotFound, TransientError } from '../../runtime/errors.js';
import type { Informer } from '../../runtime/informer.js';
import { builtinKinds } from '../../runtime/kinds.js';
import type { KubeObject } from '../../runtime/kinds.js';
import type { CachedApiKeySecret } from '../api-key-secret.js';
import { apiKeySecretName, checkSignature, toCachedApiKeySecret } from '../api-key-secret.js';
import type { SecretTemplate } from '../secret-template.js';
import { applyDeliveryPlan, removeAllCopies } from './delivery-act.js';
import type { DeliveryPlan, DeliveryTarget } from './delivery-plan.js';
import { deliveredTo, deliveryCondition, namespaceAccess, planDelivery } from './delivery-plan.js';
import type { CopyIdentity } from './key-copy.js';
import { COPIES_BY_ACCOUNT_INDEX, copyIsExact, copyOwnership } from './key-copy.js';

type SA = ServiceAccount & KubeObject;

/** The caches delivery reads. */
export interface DeliveryCaches {
  /** Copies of every account in scope (key-copy.ts `keyCopyInformer`). */
  readonly copies: Informer<CachedApiKeySecret>;
  /** Namespaces carrying the opt-in label (any value). */
  readonly optedIn: Informer<KubeObject>;
}

/** What the delivery step leaves for status. */
export interface DeliveryOutcome {
  /** The KeyDelivered condition; undefined: the account delivers nowhere (the condition goes). */
  readonly condition: { readonly status: 'True' | 'False'; readonly reason: string; readonly message: string } | undefined;
  /** status.deliveredTo. */
  readonly deliveredTo: readonly { namespace: string; secretName: string; keyId: string }[];
  /** RolloutRestarted outcomes of delivery namespaces restarted in this pass. */
  readonly rollouts: readonly { status: 'True' | 'False'; reason: string; message: string; namespace: string }[];
}

function decode(value: unknown): string | undefined {
  return typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : undefined;
}

async function liveSecret(rc: ReconcileContext, namespace: string, name: string): Promise<(KubeObject & { type?: string; data?: Record<string, string> }) | undefined> {
  try {
    return await rc.client.get(builtinKinds.secret, namespace, name);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw new TransientError(`Could not read Secret ${namespace}/${name}`, { cause: error });
  }
}

/** Whether a namespace is a tenant's: labelled for one (in this shard's cache or on the Namespace read), or named by a Tenant. */
function isTenantNamespace(ctx: OperatorContext, namespace: string, labels: Readonly<Record<string, string>> | undefined): boolean {
  if (labels?.[TENANT_LABEL] !== undefined || ctx.caches.tenantNamespaces.get(namespace) !== undefined) return true;
  return ctx.caches.tenants.list().some((t) => ctx.tenants.namespaceOf(t) === namespace);
}

/** Runs the delivery step for an account that has key `id.keyId` (see the file comment). */
export async function deliverKey(
  rc: ReconcileContext,
  ctx: OperatorContext,
  caches: DeliveryCaches,
  input: { readonly sa: SA; readonly id: CopyIdentity; readonly template: SecretTemplate; readonly signingKey: Buffer; readonly now: number },
): Promise<DeliveryOutcome> {
  const { sa, id, template } = input;
  const entries = sa.spec.delivery ?? [];
  const accountKey = `${id.sourceNamespace}/${id.serviceAccount}`;
  const cachedCopies = caches.copies.byIndex(COPIES_BY_ACCOUNT_INDEX, accountKey);
  if (entries.length === 0 && cachedCopies.length === 0) return { condition: undefined, deliveredTo: [], rollouts: [] };

  const observeCopy = (secret: CachedApiKeySecret | undefined): DeliveryTarget['copy'] =>
    secret
      ? {
          ownership: copyOwnership(secret, id.sourceNamespace, id.serviceAccount),
          keyId: secret.observedKey.keyId,
          holdsKey: secret.observedKey.state === 'ok' && secret.observedKey.fingerprint === id.fingerprint,
          exact: copyIsExact(secret, id, template),
        }
      : undefined;
  const targetsFrom = (copyAt: (namespace: string, name: string) => CachedApiKeySecret | undefined): DeliveryTarget[] =>
    entries.map((entry) => {
      const secretName = entry.secretName ?? apiKeySecretName(id.serviceAccount);
      const ns = caches.optedIn.get(entry.namespace);
      const labels = ns?.metadata?.labels;
      return {
        namespace: entry.namespace,
        secretName,
        access: namespaceAccess({
          namespace: entry.namespace,
          accountNamespace: id.sourceNamespace,
          operatorNamespace: ctx.namespace,
          tenant: id.tenant,
          isTenantNamespace: isTenantNamespace(ctx, entry.namespace, labels),
          optInLabels: labels?.[ACCEPT_KEYS_FROM_LABEL] !== undefined ? labels : undefined,
          terminating: !!ns?.metadata?.deletionTimestamp,
        }),
        copy: observeCopy(copyAt(entry.namespace, secretName)),
        deliveredKeyId: sa.status?.deliveredTo?.find((d) => d.namespace === entry.namespace && d.secretName === secretName)?.keyId,
      };
    });
  const decide = (targets: DeliveryTarget[]): DeliveryPlan =>
    planDelivery({
      keyId: id.keyId,
      targets,
      specChanged: sa.metadata?.generation !== sa.status?.observedGeneration,
      copies: cachedCopies.map((c) => ({ namespace: c.metadata?.namespace ?? '', name: c.metadata?.name ?? '' })),
    });

  let plan = decide(targetsFrom((namespace, name) => caches.copies.get(`${namespace}/${name}`)));
  // Every Secret about to be written is read live first, and the decision made again from it.
  const resourceVersions = new Map<string, string>();
  const toWrite = plan.targets.filter((t) => t.plan.action === 'write').map((t) => t.target);
  if (toWrite.length > 0) {
    const live = new Map<string, CachedApiKeySecret | undefined>();
    for (const t of toWrite) {
      const raw = await liveSecret(rc, t.namespace, t.secretName);
      const where = `${t.namespace}/${t.secretName}`;
      live.set(where, raw ? toCachedApiKeySecret(raw) : undefined);
      if (raw?.metadata?.resourceVersion) resourceVersions.set(where, raw.metadata.resourceVersion);
    }
    plan = decide(targetsFrom((namespace, name) => (live.has(`${namespace}/${name}`) ? live.get(`${namespace}/${name}`) : caches.copies.get(`${namespace}/${name}`))));
  }
  rc.log.debug({ targets: plan.targets.map((t) => t.plan.action), remove: plan.remove.length }, 'Planned the key copies');

  const restartTargetsIn = (namespace: string): NonNullable<(typeof entries)[number]['restartTargets']> => entries.find((e) => e.namespace === namespace)?.restartTargets ?? [];
  const rollouts = await applyDeliveryPlan(rc, plan, {
    sa,
    id,
    template,
    now: input.now,
    resourceVersions,
    copyUids: new Map(cachedCopies.map((c) => [`${c.metadata?.namespace ?? ''}/${c.metadata?.name ?? ''}`, c.metadata?.uid ?? ''])),
    readKey: () => readCurrentKey(rc, sa, id, input.signingKey),
    restartTargetsIn,
  });
  return { condition: deliveryCondition(plan, id.tenant), deliveredTo: deliveredTo(plan, id.keyId), rollouts };
}

/**
 * The account's current key, read live from its own Secret: only when that Secret holds the key with
 * the fingerprint this pass settled on, under the operator's valid signature. Anything else is a
 * Secret changed since (the next pass repairs it first): nothing is copied from it.
 */
async function readCurrentKey(rc: ReconcileContext, sa: SA, id: CopyIdentity, signingKey: Buffer): Promise<string> {
  const raw = await liveSecret(rc, id.sourceNamespace, id.sourceSecret);
  const cached = raw ? toCachedApiKeySecret(raw) : undefined;
  const signed = cached ? checkSignature(signingKey, cached, { ownerUid: sa.metadata?.uid ?? '', serviceAccount: id.serviceAccount }).state === 'valid' : false;
  const key = cached ? decode(raw?.data?.[cached.keyDataKey]) : undefined;
  if (!cached || !signed || cached.observedKey.fingerprint !== id.fingerprint || key === undefined) {
    throw new TransientError(`The key Secret ${id.sourceNamespace}/${id.sourceSecret} changed while its copies were written: they are written on the next pass`);
  }
  return key;
}

/**
 * Deletes every copy of an account that is deleted (its finalizer) or gone (deleted while the
 * operator was down, or its finalizer removed by hand): the copies the cache holds, and the Secret
 * at each spec.delivery target of an opted-in namespace when it is this account's copy (a copy
 * written a moment ago may not be cached yet).
 */
export async function removeCopiesOf(rc: ReconcileContext, caches: DeliveryCaches, namespace: string, name: string, sa?: SA): Promise<void> {
  const found = new Map<string, { namespace: string; name: string; uid: string | undefined }>();
  for (const c of caches.copies.byIndex(COPIES_BY_ACCOUNT_INDEX, `${namespace}/${name}`)) {
    found.set(`${c.metadata?.namespace}/${c.metadata?.name}`, { namespace: c.metadata?.namespace ?? '', name: c.metadata?.name ?? '', uid: c.metadata?.uid });
  }
  for (const entry of sa?.spec.delivery ?? []) {
    const secretName = entry.secretName ?? apiKeySecretName(name);
    // Only where a copy can have been written: a namespace that opted in (never a live read elsewhere).
    if (found.has(`${entry.namespace}/${secretName}`) || !caches.optedIn.get(entry.namespace)) continue;
    const raw = await liveSecret(rc, entry.namespace, secretName);
    if (raw && copyOwnership(raw, namespace, name) === 'this') found.set(`${entry.namespace}/${secretName}`, { namespace: entry.namespace, name: secretName, uid: raw.metadata?.uid });
  }
  await removeAllCopies(rc, [...found.values()]);
}
