// Callers of the access API, made the way a platform service is in a real
// cluster: a ServiceAccount, bound to the access API client ClusterRole (by a
// RoleBinding per tenant namespace, or a ClusterRoleBinding), and a token from
// the TokenRequest API with the access API audience. kube-apiserver checks them
// for real (TokenReview, SubjectAccessReview).
import { randomBytes } from 'node:crypto';
import { ACCESS_API_CLIENT_ROLE, accessApiClientClusterRole, DEFAULT_ACCESS_API_AUDIENCE } from '../../operator/access/caller-access.js';
import { applyObjects } from '../../operator/kube/apply.js';
import { KubeClient } from '../../operator/runtime/kube-client.js';
import { adminKubeConfig } from './kube.js';

/** Namespace of the test callers' ServiceAccounts. */
export const CALLERS_NAMESPACE = 'blink-test-access-callers';

/** Options of {@link accessApiToken}. */
export interface AccessApiTokenOptions {
  /** Audiences of the token. @default [DEFAULT_ACCESS_API_AUDIENCE] */
  readonly audiences?: readonly string[];
  /** false: no binding at all (a valid token without permission). @default true */
  readonly bind?: boolean;
  /** Lifetime asked for (the API server's minimum is 600). @default 3600 */
  readonly expirationSeconds?: number;
}

/** A test caller: its ServiceAccount and token. */
export interface AccessApiCaller {
  readonly serviceAccount: string;
  readonly token: string;
  /** `Authorization: Bearer <token>`. */
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * A fresh ServiceAccount allowed to call the access API about the tenants of `namespaces`
 * (RoleBindings there), or about every tenant when `namespaces` is omitted (ClusterRoleBinding);
 * and its token.
 */
export async function accessApiCaller(namespaces?: string | readonly string[], options: AccessApiTokenOptions = {}): Promise<AccessApiCaller> {
  const kc = adminKubeConfig();
  const name = `caller-${randomBytes(4).toString('hex')}`;
  const subject = { kind: 'ServiceAccount', name, namespace: CALLERS_NAMESPACE };
  const roleRef = { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: ACCESS_API_CLIENT_ROLE };
  const bindings =
    options.bind === false
      ? []
      : namespaces === undefined
        ? [{ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: `blink-test-${name}` }, roleRef, subjects: [subject] }]
        : [namespaces].flat().map((namespace) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: `blink-test-${name}`, namespace }, roleRef, subjects: [subject] }));
  await applyObjects(kc, [
    accessApiClientClusterRole() as never,
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: CALLERS_NAMESPACE } } as never,
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: CALLERS_NAMESPACE } } as never,
    ...(bindings as never[]),
  ]);
  const client = new KubeClient(kc);
  try {
    const answer = await client.request<{ status?: { token?: string } }>('POST', `/api/v1/namespaces/${CALLERS_NAMESPACE}/serviceaccounts/${name}/token`, {
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { audiences: [...(options.audiences ?? [DEFAULT_ACCESS_API_AUDIENCE])], expirationSeconds: options.expirationSeconds ?? 3600 },
      },
    });
    const token = answer.status?.token;
    if (!token) throw new Error(`The TokenRequest of ${CALLERS_NAMESPACE}/${name} returned no token`);
    return { serviceAccount: name, token, headers: { authorization: `Bearer ${token}` } };
  } finally {
    client.close();
  }
}

/** The token of a fresh caller (see {@link accessApiCaller}). */
export async function accessApiToken(namespaces?: string | readonly string[], options: AccessApiTokenOptions = {}): Promise<string> {
  return (await accessApiCaller(namespaces, options)).token;
}
