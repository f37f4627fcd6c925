// BlinkTenant: one company's account (a cluster-scoped Tenant) and the scope of
// everything declared in it.
import type { Construct } from 'constructs';
import { TENANT_NAMESPACE_PREFIX } from '../api/index.js';
import type { AccountEventName, DeletionPolicy, IdentityProvider, ScimProvisioning, TenantSpec } from '../api/index.js';
import { BlinkObject } from './blink-object.js';
import type { BlinkObjectProps } from './blink-object.js';
import { definedOnly } from './spec.js';

/** Props of a BlinkTenant. */
export interface BlinkTenantProps extends BlinkObjectProps {
  /** Name of the company as shown in invitations and the portal (1 to 100 characters). */
  readonly displayName: string;
  /**
   * Namespace that holds the tenant's users, service accounts, workspaces and groups. Immutable once applied.
   * @default `tenant-<name>`, chosen by the operator (not written into the manifest)
   */
  readonly namespace?: string;
  /**
   * How long an invitation link stays valid, as a Go duration between 1m and 720h.
   * @default '168h' (applied by the API server)
   */
  readonly invitationTTL?: string;
  /**
   * Address invitations are sent from.
   * @default the operator's configured sender
   */
  readonly sender?: string;
  /**
   * Base URL of the invitation acceptance page.
   * @default the operator's configured URL
   */
  readonly acceptanceURL?: string;
  /**
   * Only users with an email address in one of these domains are invited.
   * @default any domain
   */
  readonly allowedEmailDomains?: readonly string[];
  /**
   * What deleting the Tenant does to its namespace: Retain or Delete.
   * @default 'Retain' (applied by the API server)
   */
  readonly deletionPolicy?: DeletionPolicy;
  /**
   * The tenant's OpenID Connect provider: accepting an invitation then means signing in there with the
   * invited, verified email, and RoleBindings name `<usernamePrefix><email>` (issuerURL https;
   * register `<acceptance URL>/sign-in/callback` at the provider; see deploy/README.md).
   * @default none: the invitation link alone accepts
   */
  readonly identityProvider?: IdentityProvider;
  /**
   * Provisioning from the company's identity provider through SCIM 2.0 (Entra ID, Okta, ...):
   * `enabled`, `lifecycle` (Invite or ActiveAtOnce), `adoptExistingUsers`, `defaultRole`,
   * `roleMapping`, `workspaceMapping`, `tokenRotation`. The operator then serves the endpoint at
   * the Tenant's status.provisioning.scim.baseURL, with its token in the Secret blink-scim-token.
   * @default no SCIM endpoint
   */
  readonly scim?: ScimProvisioning;
  /**
   * HTTP endpoints that receive the tenant's account lifecycle events as signed CloudEvents (spec.notifications.webhooks; at most 10).
   * @default none: no events are sent
   */
  readonly webhooks?: readonly BlinkTenantWebhook[];
}

/** One endpoint of {@link BlinkTenantProps.webhooks}. */
export interface BlinkTenantWebhook {
  /** Name of the webhook, unique in the tenant (a DNS-1123 label). */
  readonly name: string;
  /** https URL the events are POSTed to (plain http only to localhost or 127.0.0.1). */
  readonly url: string;
  /** Secret in the tenant namespace and its key holding the Standard Webhooks secret (whsec_…); the construct does not create it. */
  readonly secretRef: { readonly name: string; readonly key: string };
  /**
   * Only these events (such as 'user.invited', 'serviceaccount.key.rotated').
   * @default every event
   */
  readonly events?: readonly AccountEventName[];
  /**
   * How long one event is retried before it is given up, as a Go duration between 5s and 72h.
   * @default '24h' (applied by the operator)
   */
  readonly retryFor?: string;
}

/** A Tenant: construct users, service accounts, workspaces and groups inside it. */
export class BlinkTenant extends BlinkObject {
  /** The namespace of the tenant: `props.namespace`, or the operator's default `tenant-<name>`. */
  readonly tenantNamespace: string;

  constructor(scope: Construct, id: string, props: BlinkTenantProps) {
    const name = props.name ?? id;
    const spec: TenantSpec = definedOnly({
      displayName: props.displayName,
      namespace: props.namespace,
      invitationTTL: props.invitationTTL,
      sender: props.sender,
      acceptanceURL: props.acceptanceURL,
      allowedEmailDomains: props.allowedEmailDomains === undefined ? undefined : [...props.allowedEmailDomains],
      deletionPolicy: props.deletionPolicy,
      identityProvider: props.identityProvider === undefined ? undefined : { ...props.identityProvider },
      provisioning: props.scim === undefined ? undefined : { scim: props.scim },
      notifications: props.webhooks === undefined ? undefined : { webhooks: props.webhooks.map((w) => definedOnly({ name: w.name, url: w.url, secretRef: { name: w.secretRef.name, key: w.secretRef.key }, events: w.events === undefined ? undefined : [...w.events], retryFor: w.retryFor })) },
    });
    super(scope, id, { kind: 'Tenant', name, namespace: undefined, spec, props });
    this.tenantNamespace = props.namespace ?? `${TENANT_NAMESPACE_PREFIX}${name}`;
  }

  /** The tenant that `scope` is in, or undefined. */
  static of(scope: Construct): BlinkTenant | undefined {
    return scope.node.scopes.reverse().find((s): s is BlinkTenant => s instanceof BlinkTenant);
  }

  /** The constructs of `kind` declared in this tenant (directly or in nested scopes). */
  declared<T extends BlinkObject>(type: abstract new (...args: never[]) => T): T[] {
    return this.node.findAll().filter((c): c is T => c instanceof type && BlinkTenant.of(c) === this);
  }
}
