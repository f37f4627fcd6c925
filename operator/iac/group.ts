// BlinkGroup: a Group of users of a tenant.
import type { GroupSpec } from '../api/index.js';
import { BlinkObject } from './blink-object.js';
import type { BlinkObjectProps } from './blink-object.js';
import { definedOnly } from './spec.js';
import type { BlinkTenant } from './tenant.js';

/** Props of a BlinkGroup. */
export interface BlinkGroupProps extends BlinkObjectProps {
  /**
   * Name of the group as shown in the portal (at most 100 characters).
   * @default none: the portal shows the name
   */
  readonly displayName?: string;
  /**
   * What the group is for (at most 500 characters).
   * @default none
   */
  readonly description?: string;
}

/** A Group in the namespace of `tenant`; users name it in `groups` to belong to it. */
export class BlinkGroup extends BlinkObject {
  /** The tenant the group belongs to. */
  readonly tenant: BlinkTenant;

  constructor(tenant: BlinkTenant, id: string, props: BlinkGroupProps = {}) {
    const spec: GroupSpec = definedOnly({ displayName: props.displayName, description: props.description });
    super(tenant, id, { kind: 'Group', name: props.name ?? id, namespace: tenant.tenantNamespace, spec, props });
    this.tenant = tenant;
    this.dependOn([tenant]);
  }
}
