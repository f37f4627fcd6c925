// References from a user or service account to workspaces and groups: by
// construct, or by name. A name must be declared in the same tenant of the
// stack; that is checked when the stack is synthesized, so declaration order
// does not matter.
import { Aspects } from 'cdktf';
import { BlinkValidationError } from './validation-error.js';
import type { BlinkObject } from './blink-object.js';
import { BlinkGroup } from './group.js';
import type { BlinkTenant } from './tenant.js';
import { BlinkWorkspace } from './workspace.js';

/** A Workspace, as a construct or by name. */
export type WorkspaceReference = BlinkWorkspace | string;
/** A Group, as a construct or by name. */
export type GroupReference = BlinkGroup | string;

/** The names of `references`; throws when a construct belongs to another tenant. */
export function referencedNames(owner: string, tenant: BlinkTenant, references: readonly (BlinkObject | string)[] | undefined): string[] | undefined {
  return references?.map((reference) => {
    if (typeof reference === 'string') return reference;
    const other = (reference as BlinkWorkspace | BlinkGroup).tenant;
    if (other !== tenant) {
      throw new BlinkValidationError(
        owner,
        [],
        `${owner}: refers to ${reference.kind} ${reference.namespace}/${reference.name} of tenant ${other.name}, not of its own tenant ${tenant.name}`,
      );
    }
    return reference.name;
  });
}

/**
 * At synthesis, resolves the workspace and group names of `owner` to the
 * constructs of its tenant (throwing when one is not declared) and makes
 * `owner` depend on them.
 */
export function resolveAtSynthesis(
  owner: BlinkObject & { readonly tenant: BlinkTenant },
  references: { readonly workspaces?: readonly string[] | undefined; readonly groups?: readonly string[] | undefined },
  addDependencies: (objects: BlinkObject[]) => void,
): void {
  Aspects.of(owner).add({
    visit: (node) => {
      if (node !== owner) return;
      const workspaces = resolve(owner, 'Workspace', references.workspaces, owner.tenant.declared(BlinkWorkspace));
      const groups = resolve(owner, 'Group', references.groups, owner.tenant.declared(BlinkGroup));
      addDependencies([...workspaces, ...groups]);
    },
  });
}

function resolve<T extends BlinkObject>(owner: BlinkObject, kind: string, names: readonly string[] | undefined, declared: T[]): T[] {
  return (names ?? []).map((name) => {
    const found = declared.find((object) => object.name === name);
    if (found) return found;
    const tenant = (owner as BlinkObject & { tenant: BlinkTenant }).tenant;
    const known = declared.map((object) => object.name).sort();
    throw new BlinkValidationError(
      owner.node.path,
      [],
      `${owner.node.path}: ${owner.kind} ${owner.namespace}/${owner.name} refers to ${kind} ${JSON.stringify(name)}, which is not declared in tenant ${tenant.name} (declared: ${known.length > 0 ? known.join(', ') : 'none'})`,
    );
  });
}
