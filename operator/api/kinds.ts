// The five kinds of the API, in the order they are documented and generated.
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
