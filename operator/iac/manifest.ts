// One object of the API as the YAML a GitOps repository holds and Terraform
// applies: the same bytes on both paths.
import type { KubernetesObject } from '@kubernetes/client-node';
import { stringify } from 'yaml';

/** The YAML document of one object: keys in the order given, no line folding, trailing newline. */
export function renderManifest(object: KubernetesObject): string {
  return stringify(object, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** Order in which kinds are applied (and their files sorted): what others refer to comes first. */
const KIND_RANK: Readonly<Record<string, number>> = { Tenant: 1, Workspace: 2, Group: 3, ServiceAccount: 4, User: 5 };

/**
 * File name of an object in a GitOps folder: `<rank>-<kind>.<namespace>.<name>.yaml`
 * (no namespace for a Tenant). Names are DNS labels, so the dots keep it unambiguous,
 * and `kubectl apply -f <dir>` (files in lexical order) applies tenants first.
 */
export function manifestFileName(object: KubernetesObject): string {
  const kind = object.kind ?? 'Object';
  const parts = [`${KIND_RANK[kind] ?? 9}-${kind.toLowerCase()}`, object.metadata?.namespace, object.metadata?.name].filter((p) => p !== undefined);
  return `${parts.join('.')}.yaml`;
}
