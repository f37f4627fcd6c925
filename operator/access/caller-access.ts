// Who may call the access API about which tenant: the permission the product
// defines for it (verb create on accessreviews.accounts.blinkops.com, in the
// tenant's namespace or cluster-wide), the ClusterRole that grants it to
// platform services, and the token audience the API accepts.
import { stringify } from 'yaml';
import { GROUP } from '../api/index.js';
import type { KubeObject } from '../runtime/kinds.js';
import type { Caller, CallerAuthenticator, ResourceAttributes } from '../runtime/token-authenticator.js';

/** The audience an access API caller's token must carry (`--access-api-audience`). */
export const DEFAULT_ACCESS_API_AUDIENCE = 'blink-accounts-access-api';

/** The ClusterRole that lets a platform service call the access API (bind it per tenant namespace, or cluster-wide). */
export const ACCESS_API_CLIENT_ROLE = 'blink-accounts-access-api-client';

/** What a SubjectAccessReview asks for a caller, without the namespace. No such object is ever stored: the resource names a permission. */
export const ACCESS_REVIEW_PERMISSION: Omit<ResourceAttributes, 'namespace'> = { group: GROUP, resource: 'accessreviews', verb: 'create' };

/** May the caller ask about the tenant whose namespace this is (a RoleBinding there, or a ClusterRoleBinding)? */
export function callerMayAsk(authenticator: CallerAuthenticator, caller: Caller, namespace: string): Promise<boolean> {
  return authenticator.allowed(caller, { ...ACCESS_REVIEW_PERMISSION, namespace });
}

/** The ClusterRole {@link ACCESS_API_CLIENT_ROLE}, ready for server-side apply. */
export function accessApiClientClusterRole(): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: {
      name: ACCESS_API_CLIENT_ROLE,
      labels: { 'app.kubernetes.io/managed-by': 'blink-accounts-operator', 'app.kubernetes.io/part-of': 'blink-accounts', 'app.kubernetes.io/component': 'access-api' },
    },
    rules: [{ apiGroups: [ACCESS_REVIEW_PERMISSION.group], resources: [ACCESS_REVIEW_PERMISSION.resource], verbs: [ACCESS_REVIEW_PERMISSION.verb] }],
  } as KubeObject;
}

/** deploy/rbac/access-api-client.yaml, as rendered from {@link accessApiClientClusterRole}. */
export function renderAccessApiClientRoleYaml(): string {
  const header = [
    '# Who may call the access API (port 8082, /api/v1/...): bind this ClusterRole to a',
    '# platform service\'s ServiceAccount with a RoleBinding in each tenant namespace it may',
    '# ask about, or with a ClusterRoleBinding for every tenant. The service sends a',
    `# projected ServiceAccount token with the audience "${DEFAULT_ACCESS_API_AUDIENCE}" as a bearer token.`,
    '# Generated from operator/access/caller-access.ts: npx blink-accounts generate rbac',
    '',
  ].join('\n');
  return `${header}---\n${stringify(accessApiClientClusterRole(), { lineWidth: 0 })}`;
}
