// The five kinds of the API, in the order they are documented and generated.
import { GROUP, VERSION } from './kind.js';
import type { KindDefinition } from './kind.js';
import { GROUP_KIND } from './group.js';
import { SERVICE_ACCOUNT_KIND } from './service-account.js';
import { TENANT_KIND } from './tenant.js';
import { USER_KIND } from './user.js';
import { WORKSPACE_KIND } from './workspace.js';

/** Every kind of `accounts.blinkops.com/v1alpha1`. */
export const KINDS: readonly KindDefinition[] = [TENANT_KIND, USER_KIND, SERVICE_ACCOUNT_KIND, WORKSPACE_KIND, GROUP_KIND];

/** The definition of a kind by its name, or undefined. */
export function kindDefinition(kind: unknown): KindDefinition | undefined {
  return KINDS.find((k) => k.kind === kind);
}

/** Where a kind of this API lives (the shape the runtime's KindDescriptor reads). */
export interface AccountKindDescriptor<K extends string = string> {
  readonly group: typeof GROUP;
  readonly version: typeof VERSION;
  readonly kind: K;
  readonly plural: string;
  readonly namespaced: boolean;
}

function descriptorOf<K extends string>(definition: KindDefinition & { readonly kind: K }): AccountKindDescriptor<K> {
  return { group: GROUP, version: VERSION, kind: definition.kind, plural: definition.plural, namespaced: definition.scope === 'Namespaced' };
}

/** The kinds of accounts.blinkops.com/v1alpha1 as clients address them, derived from their definitions. */
export const ACCOUNT_KINDS = {
  tenant: descriptorOf(TENANT_KIND),
  user: descriptorOf(USER_KIND),
  serviceAccount: descriptorOf(SERVICE_ACCOUNT_KIND),
  workspace: descriptorOf(WORKSPACE_KIND),
  group: descriptorOf(GROUP_KIND),
} as const;

/** Plural resource names by kind, for API paths and clients. */
export const PLURALS = {
  Tenant: TENANT_KIND.plural,
  User: USER_KIND.plural,
  ServiceAccount: SERVICE_ACCOUNT_KIND.plural,
  Workspace: WORKSPACE_KIND.plural,
  Group: GROUP_KIND.plural,
} as const;
