// BlinkServiceAccount: a ServiceAccount of a tenant. Its API key stays in the
// cluster: the construct exposes where the Secret is, never what it holds.
import type { Role, ServiceAccountSpec } from '../api/index.js';
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
}

/** A ServiceAccount in the namespace of `tenant`; the operator writes its API key into `secretName`. */
export class BlinkServiceAccount extends BlinkObject {
  /** The tenant the service account belongs to. */
  readonly tenant: BlinkTenant;
  /** Name of the Secret that holds the API key: `<name>-api-key`. The key itself never enters Terraform. */
  readonly secretName: string;
  /** Namespace of that Secret: the tenant namespace. */
  readonly secretNamespace: string;

  constructor(tenant: BlinkTenant, id: string, props: BlinkServiceAccountProps) {
    const name = props.name ?? id;
    const workspaces = referencedNames(`${tenant.node.path}/${id}`, tenant, props.workspaces);
    const keyRotation = props.keyRevision === undefined && props.keyGracePeriod === undefined ? undefined : definedOnly({ revision: props.keyRevision, gracePeriod: props.keyGracePeriod });
    const spec: ServiceAccountSpec = definedOnly({ description: props.description, role: props.role, workspaces, keyRotation });
    super(tenant, id, { kind: 'ServiceAccount', name, namespace: tenant.tenantNamespace, spec, props });
    this.tenant = tenant;
    this.secretName = `${name}${API_KEY_SECRET_SUFFIX}`;
    this.secretNamespace = tenant.tenantNamespace;
    this.dependOn([tenant]);
    resolveAtSynthesis(this, { workspaces }, (objects) => this.dependOn(objects));
  }
}
