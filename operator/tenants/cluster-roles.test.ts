import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ACTIONS, PERMISSION_MATRIX, ROLES } from '../policy/matrix.js';
import { ACTION_RBAC_COUNTERPARTS, renderClusterRolesYaml, roleClusterRoles, roleGrants, ROLE_RULES } from './cluster-roles.js';

describe('role ClusterRoles', () => {
  it('deploy/rbac/cluster-roles.yaml is rendered from the code (run `npx blink-accounts generate rbac` to refresh)', () => {
    const file = readFileSync(new URL('../../deploy/rbac/cluster-roles.yaml', import.meta.url), 'utf8');
    expect(file).toBe(renderClusterRolesYaml());
    expect(parseAllDocuments(file).map((d) => d.toJS() as unknown)).toEqual(roleClusterRoles());
  });

  it('lets only Admins write accounts, and nobody touch Secrets but an Admin reading one by name', () => {
    const writes = (role: keyof typeof ROLE_RULES) => ROLE_RULES[role].filter((r) => r.verbs.some((v) => ['create', 'update', 'patch', 'delete'].includes(v)));
    expect(writes('Admin').flatMap((r) => r.resources)).toEqual(['users', 'serviceaccounts', 'groups', 'workspaces']);
    expect(writes('Builder')).toEqual([]);
    expect(writes('Consumer')).toEqual([]);
    for (const role of ['Builder', 'Consumer'] as const) expect(ROLE_RULES[role].flatMap((r) => r.resources)).not.toContain('secrets');
    expect(ROLE_RULES.Admin.find((r) => r.resources.includes('secrets'))?.verbs).toEqual(['get']);
    // Status is the operator's: no role may make a user Active by hand.
    for (const rules of Object.values(ROLE_RULES)) expect(rules.flatMap((r) => r.resources).some((r) => r.includes('/'))).toBe(false);
  });

  it('gives each action with an RBAC counterpart to exactly the roles the permission matrix gives it', () => {
    for (const action of ACTIONS) {
      const permission = ACTION_RBAC_COUNTERPARTS[action];
      if (!permission) continue;
      for (const role of ROLES) expect(roleGrants(role, permission), `${role} ${action}`).toBe(PERMISSION_MATRIX[role].actions.has(action));
    }
    // The tenant-level actions have one; the workspace actions cannot (RBAC has no workspaces).
    expect(ACTIONS.filter((a) => ACTION_RBAC_COUNTERPARTS[a] !== undefined)).toEqual(['portal', 'settings']);
  });
});
