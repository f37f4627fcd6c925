// BlinkWorkspace: a Workspace of a tenant.
import type { WorkspaceSpec } from '../api/index.js';
import { BlinkObject } from './blink-object.js';
import type { BlinkObjectProps } from './blink-object.js';
import { definedOnly } from './spec.js';
import type { BlinkTenant } from './tenant.js';

/** Props of a BlinkWorkspace. */
export interface BlinkWorkspaceProps extends BlinkObjectProps {
  /**
   * Name of the workspace as shown in the portal (at most 100 characters).
   * @default none: the portal shows the name
   */
  readonly displayName?: string;
  /**
   * What the workspace is for (at most 500 characters).
   * @default none
   */
  readonly description?: string;
}

/** A Workspace in the namespace of `tenant`; users and service accounts name it in `workspaces`. */
export class BlinkWorkspace extends BlinkObject {
  /** The tenant the workspace belongs to. */
  readonly tenant: BlinkTenant;

  constructor(tenant: BlinkTenant, id: string, props: BlinkWorkspaceProps = {}) {
    const spec: WorkspaceSpec = definedOnly({ displayName: props.displayName, description: props.description });
    super(tenant, id, { kind: 'Workspace', name: props.name ?? id, namespace: tenant.tenantNamespace, spec, props });
    this.tenant = tenant;
    this.dependOn([tenant]);
  }
}
