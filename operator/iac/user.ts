// BlinkUser: a person invited into a tenant.
import type { Role, UserSpec } from '../api/index.js';
import { BlinkObject } from './blink-object.js';
import type { BlinkObjectProps } from './blink-object.js';
import { referencedNames, resolveAtSynthesis } from './references.js';
import type { GroupReference, WorkspaceReference } from './references.js';
import { definedOnly } from './spec.js';
import type { BlinkTenant } from './tenant.js';

/** Props of a BlinkUser. */
export interface BlinkUserProps extends BlinkObjectProps {
  /** Email address the invitation goes to. Immutable: a new address needs a new user. */
  readonly email: string;
  /** Role of the user: Admin, Builder or Consumer. */
  readonly role: Role;
  /**
   * Name of the person as shown in the portal and the invitation (at most 100 characters).
   * @default none
   */
  readonly displayName?: string;
  /**
   * Groups the user belongs to (constructs or names declared in the same tenant), at most 100.
   * @default none
   */
  readonly groups?: readonly GroupReference[];
  /**
   * Workspaces the user works in (constructs or names declared in the same tenant), at most 100.
   * @default none: a Builder or Consumer acts in no workspace
   */
  readonly workspaces?: readonly WorkspaceReference[];
  /**
   * false deactivates the user; true activates it again.
   * @default true (applied by the API server; not written into the manifest)
   */
  readonly active?: boolean;
  /**
   * Resend counter: raise it by one to send a new invitation. Never lower it.
   * @default 0 (not written into the manifest)
   */
  readonly invitationResend?: number;
}

/** A User in the namespace of `tenant`: invited by email when applied. */
export class BlinkUser extends BlinkObject {
  /** The tenant the user belongs to. */
  readonly tenant: BlinkTenant;

  constructor(tenant: BlinkTenant, id: string, props: BlinkUserProps) {
    const path = `${tenant.node.path}/${id}`;
    const groups = referencedNames(path, tenant, props.groups);
    const workspaces = referencedNames(path, tenant, props.workspaces);
    const spec: UserSpec = definedOnly({
      email: props.email,
      displayName: props.displayName,
      role: props.role,
      groups,
      workspaces,
      active: props.active,
      invitation: props.invitationResend === undefined ? undefined : { resend: props.invitationResend },
    });
    super(tenant, id, { kind: 'User', name: props.name ?? id, namespace: tenant.tenantNamespace, spec, props });
    this.tenant = tenant;
    this.dependOn([tenant]);
    resolveAtSynthesis(this, { workspaces, groups }, (objects) => this.dependOn(objects));
  }
}
