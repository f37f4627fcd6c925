// BlinkServiceAccount: a ServiceAccount of a tenant. Its API key stays in the
// cluster: the construct exposes where the Secret is, never what it holds.
import type { KeyDeliverySpec, Role, ServiceAccountSpec } from '../api/index.js';
import { BlinkObject } from './blink-object.js';
import type { BlinkObjectProps } from './blink-object.js';
import { referencedNames, resolveAtSynthesis } from './references.js';
import type { WorkspaceReference } from './references.js';
import { definedOnly } from './spec.js';
import type { BlinkTenant } from './tenant.js';

/** Suffix of the name of the Secret that holds a service account's API key. */
export const API_KEY_SECRET_SUFFIX = '-api-key';

/** Props of a BlinkServiceAccount. */
export interface BlinkServiceAccountProps extends BlinkObjectProps {
  /** Role of the service account: Admin, Builder or Consumer. */
  readonly role: Role;
  /**
   * What the service account is for (at most 500 characters).
   * @default none
   */
  readonly description?: string;
  /**
   * Workspaces the service account is invited to (constructs or names declared in the same tenant), at most 100.
   * @default none: a Builder or Consumer acts in no workspace
   */
  readonly workspaces?: readonly WorkspaceReference[];
  /**
   * Key revision: raise it by one to rotate the API key. Never lower it.
   * @default 0 (not written into the manifest)
   */
  readonly keyRevision?: number;
  /**
   * How long the previous key keeps working after a rotation, as a Go duration up to 168h.
   * @default '0s' (applied by the API server)
   */
  readonly keyGracePeriod?: string;
  /**
   * Copies of the key Secret in other namespaces (spec.delivery), at most 10, one per namespace. Each
   * namespace must opt in: its owner labels it accounts.blinkops.com/accept-keys-from=<tenant name>.
   * @default none: the key stays in the tenant namespace
   */
  readonly delivery?: readonly KeyDeliverySpec[];
}

/** Where a copy of the key lives: the namespace and the Secret name (never the key). */
export interface DeliveredSecret {
  readonly namespace: string;
  readonly secretName: string;
}

/** A ServiceAccount in the namespace of `tenant`; the operator writes its API key into `secretName`. */
export class BlinkServiceAccount extends BlinkObject {
  /** The tenant the service account belongs to. */
  readonly tenant: BlinkTenant;
  /** Name of the Secret that holds the API key: `<name>-api-key`. The key itself never enters Terraform. */
  readonly secretName: string;
  /** Namespace of that Secret: the tenant namespace. */
  readonly secretNamespace: string;
  /** The copies of the key Secret that `delivery` asks for (written once each namespace opted in). */
  readonly deliveredSecrets: readonly DeliveredSecret[];

  constructor(tenant: BlinkTenant, id: string, props: BlinkServiceAccountProps) {
    const name = props.name ?? id;
    const workspaces = referencedNames(`${tenant.node.path}/${id}`, tenant, props.workspaces);
    const keyRotation = props.keyRevision === undefined && props.keyGracePeriod === undefined ? undefined : definedOnly({ revision: props.keyRevision, gracePeriod: props.keyGracePeriod });
    const delivery = props.delivery?.map((d) => definedOnly({ ...d }) as KeyDeliverySpec);
    const spec: ServiceAccountSpec = definedOnly({ description: props.description, role: props.role, workspaces, keyRotation, delivery });
    super(tenant, id, { kind: 'ServiceAccount', name, namespace: tenant.tenantNamespace, spec, props });
    this.tenant = tenant;
    this.secretName = `${name}${API_KEY_SECRET_SUFFIX}`;
    this.secretNamespace = tenant.tenantNamespace;
    this.deliveredSecrets = (props.delivery ?? []).map((d) => ({ namespace: d.namespace, secretName: d.secretName ?? this.secretName }));
    this.dependOn([tenant]);
    resolveAtSynthesis(this, { workspaces }, (objects) => this.dependOn(objects));
  }
}
