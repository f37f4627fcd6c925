// From a changed object to the keys of the objects whose reconcile should run.
import type { KindDescriptor, KubeObject } from './kinds.js';
import { objectKey } from './kinds.js';

/** Maps an object to queue keys. */
export type KeyMapper = (object: KubeObject) => readonly string[];

/** The object's own key (for the controller's primary kind). */
export const ownKey: KeyMapper = (object) => [objectKey(object)];

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/**
 * The key of the object's controller owner of kind `owner` (the ownerReference with
 * `controller: true` whose group and kind match), as controller-runtime's
 * `EnqueueRequestForOwner(..., OnlyControllerOwner())` does.
 */
export function controllerOwnerKey(owner: KindDescriptor): KeyMapper {
  return (object) => {
    const ref = object.metadata?.ownerReferences?.find((r) => r.controller === true && r.kind === owner.kind && groupOf(r.apiVersion) === owner.group);
    if (!ref) return [];
    const namespace = object.metadata?.namespace;
    return [owner.namespaced && namespace ? `${namespace}/${ref.name}` : ref.name];
  };
}

/**
 * The key named by labels on the object, for owners that ownerReferences cannot express
 * (an owner in another namespace). `namespaceLabel` is omitted for cluster-scoped owners.
 */
export function labelOwnerKey(nameLabel: string, namespaceLabel?: string): KeyMapper {
  return (object) => {
    const labels = object.metadata?.labels ?? {};
    const name = labels[nameLabel];
    if (!name) return [];
    if (namespaceLabel === undefined) return [name];
    const namespace = labels[namespaceLabel];
    return namespace ? [`${namespace}/${name}`] : [];
  };
}

/**
 * The key of an owner in the object's own namespace, named by a label: for owned objects
 * that carry no ownerReference (kept on purpose, or stripped by someone).
 */
export function labelOwnerInNamespace(nameLabel: string): KeyMapper {
  return (object) => {
    const name = object.metadata?.labels?.[nameLabel];
    const namespace = object.metadata?.namespace;
    return name && namespace ? [`${namespace}/${name}`] : [];
  };
}
