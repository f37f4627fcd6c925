// Where a tenant's outbox lives: one Secret per Tenant in the operator's own namespace, named
// blink-accounts-events-<tenant>, of type accounts.blinkops.com/event-outbox, owned by the Tenant
// (deleted with it). In the operator's namespace because whoever can write there is the operator
// (THREAT-MODEL.md): a tenant-namespace editor cannot put an event into it that the operator would
// then sign. A Secret because the operator already may write Secrets (no new RBAC) and Secrets are
// encrypted at rest where the cluster does that; it holds no secret. Not cached: the leader reads
// it once and then writes through, every write guarded by the resourceVersion it read (a conflict
// means another leader wrote: it reads again).
import { API_VERSION, COMPONENT_LABEL, MANAGED_LABELS, TENANT_LABEL } from '../api/index.js';
import type { Tenant } from '../api/index.js';
import { isNotFound } from '../runtime/errors.js';
import { builtinKinds } from '../runtime/kinds.js';
import type { KubeObject } from '../runtime/kinds.js';
import type { KubeWriter } from '../runtime/kube-writer.js';
import { decodeOutbox, encodeOutbox } from './outbox.js';
import type { OutboxState } from './outbox.js';

/** Type of the outbox Secrets. */
export const OUTBOX_SECRET_TYPE = 'accounts.blinkops.com/event-outbox';

/** Data key of the outbox (gzipped JSON). */
export const OUTBOX_DATA_KEY = 'outbox.json.gz';

/** Name of the outbox Secret of a Tenant. */
export function outboxSecretName(tenant: string): string {
  return `blink-accounts-events-${tenant}`;
}

/** An outbox as read or written, with the resourceVersion that guards the next write. */
export interface StoredOutbox {
  readonly state: OutboxState;
  /** Absent: not created yet. */
  readonly resourceVersion?: string;
}

interface SecretObject extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

/** Reads the outbox of `tenant`: undefined when there is none; `state` undefined when it is there but unreadable. */
export async function readOutbox(client: KubeWriter, namespace: string, tenant: string): Promise<{ state: OutboxState | undefined; resourceVersion: string } | undefined> {
  try {
    const secret = await client.get<SecretObject>(builtinKinds.secret, namespace, outboxSecretName(tenant));
    const data = secret.data?.[OUTBOX_DATA_KEY];
    return { state: data ? decodeOutbox(Buffer.from(data, 'base64')) : undefined, resourceVersion: secret.metadata?.resourceVersion ?? '' };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw new Error(`reading the event outbox of Tenant ${tenant}`, { cause: error });
  }
}

/** Writes the outbox (creates it when `resourceVersion` is absent); a 409 means someone else wrote it first. Returns the new resourceVersion. */
export async function writeOutbox(client: KubeWriter, namespace: string, tenant: Tenant & KubeObject, state: OutboxState, resourceVersion: string | undefined): Promise<string> {
  const name = tenant.metadata?.name ?? '';
  const secret: SecretObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: outboxSecretName(name),
      namespace,
      labels: { ...MANAGED_LABELS, [COMPONENT_LABEL]: 'event-outbox', [TENANT_LABEL]: name },
      ownerReferences: [{ apiVersion: API_VERSION, kind: 'Tenant', name, uid: tenant.metadata?.uid ?? '' }],
      ...(resourceVersion !== undefined ? { resourceVersion } : {}),
    },
    type: OUTBOX_SECRET_TYPE,
    data: { [OUTBOX_DATA_KEY]: encodeOutbox(state).toString('base64') },
  };
  const written = resourceVersion === undefined ? await client.create(builtinKinds.secret, secret) : await client.replace(builtinKinds.secret, secret);
  return written.metadata?.resourceVersion ?? '';
}

/** Deletes the outbox of `tenant` (its webhooks were removed); gone already is fine. */
export async function deleteOutbox(client: KubeWriter, namespace: string, tenant: string): Promise<void> {
  try {
    await client.delete(builtinKinds.secret, namespace, outboxSecretName(tenant));
  } catch (error) {
    if (!isNotFound(error)) throw new Error(`deleting the event outbox of Tenant ${tenant}`, { cause: error });
  }
}
