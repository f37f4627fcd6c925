// A Terraform stack declaring one tenant and everything in it, from a plain
// description: edit the description, synthesize, apply.
import { LocalBackend, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import type { Role } from '../../operator/api/index.js';
import { BlinkGroup, BlinkServiceAccount, BlinkTenant, BlinkUser, BlinkWorkspace } from '../../operator/iac/index.js';

/** Everything a tenant holds, as data. */
export interface TenantDescription {
  readonly displayName: string;
  readonly allowedEmailDomains?: readonly string[];
  readonly workspaces: readonly { readonly name: string; readonly displayName?: string }[];
  readonly groups: readonly { readonly name: string; readonly displayName?: string }[];
  readonly users: readonly {
    readonly name: string;
    readonly email: string;
    readonly role: Role;
    readonly groups?: readonly string[];
    readonly workspaces?: readonly string[];
  }[];
  readonly serviceAccounts: readonly { readonly name: string; readonly role: Role; readonly description?: string; readonly workspaces?: readonly string[] }[];
}

/** Where the tenant goes. */
export interface TenantPlacement {
  /** metadata.name of the Tenant. */
  readonly tenantName: string;
  /** Its namespace. */
  readonly namespace: string;
  /** Labels of the Tenant (such as the operator shard that handles it). */
  readonly tenantLabels?: Readonly<Record<string, string>>;
  /** Where Terraform keeps the state; by default `terraform.<stack id>.tfstate` in the working directory (cdktf's default). */
  readonly stateFile?: string;
}

/** The acme tenant. */
export const ACME: TenantDescription = {
  displayName: 'Acme Corporation',
  allowedEmailDomains: ['acme.example'],
  workspaces: [
    { name: 'production', displayName: 'Production' },
    { name: 'staging', displayName: 'Staging' },
  ],
  groups: [
    { name: 'platform', displayName: 'Platform team' },
    { name: 'security', displayName: 'Security team' },
  ],
  users: [
    { name: 'alice', email: 'alice@acme.example', role: 'Admin', groups: ['platform'] },
    { name: 'bob', email: 'bob@acme.example', role: 'Builder', groups: ['platform'], workspaces: ['staging', 'production'] },
    { name: 'carol', email: 'carol@acme.example', role: 'Consumer', groups: ['security'], workspaces: ['production'] },
  ],
  serviceAccounts: [{ name: 'deployer', role: 'Builder', description: 'CI pipeline that deploys to staging', workspaces: ['staging'] }],
};

/** One tenant, with its workspaces, groups, users and service accounts. */
export class AccountsStack extends TerraformStack {
  /** The tenant. */
  readonly tenant: BlinkTenant;
  /** The service accounts, by name: where their API key Secrets are. */
  readonly serviceAccounts: ReadonlyMap<string, BlinkServiceAccount>;

  constructor(scope: Construct, id: string, description: TenantDescription, placement: TenantPlacement) {
    super(scope, id);
    if (placement.stateFile !== undefined) new LocalBackend(this, { path: placement.stateFile });
    const tenant = new BlinkTenant(this, 'tenant', {
      name: placement.tenantName,
      namespace: placement.namespace,
      displayName: description.displayName,
      ...(placement.tenantLabels ? { labels: placement.tenantLabels } : {}),
      ...(description.allowedEmailDomains ? { allowedEmailDomains: description.allowedEmailDomains } : {}),
    });
    for (const w of description.workspaces) new BlinkWorkspace(tenant, `workspace-${w.name}`, { ...w });
    for (const g of description.groups) new BlinkGroup(tenant, `group-${g.name}`, { ...g });
    for (const u of description.users) new BlinkUser(tenant, `user-${u.name}`, { ...u });
    this.serviceAccounts = new Map(description.serviceAccounts.map((s) => [s.name, new BlinkServiceAccount(tenant, `serviceaccount-${s.name}`, { ...s })]));
    this.tenant = tenant;
  }
}
