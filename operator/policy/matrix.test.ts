import { describe, expect, it } from 'vitest';
import { ACTIONS, DECISION_REASONS, PERMISSION_MATRIX, ROLES, actionsOf, authorize, effectiveAccess, isAction, isRole } from './matrix.js';
import type { AccessRequest, Action, DecisionReason, Principal, Role } from './matrix.js';

const TENANT = 'acme';

function principal(overrides: Partial<Principal> = {}): Principal {
  return { kind: 'user', tenant: TENANT, name: 'ada', role: 'Builder', phase: 'Active', workspaces: ['dev', 'ops'], ...overrides };
}

type Where = 'listed' | 'unlisted' | 'none';
const WORKSPACE: Record<Where, string | undefined> = { listed: 'dev', unlisted: 'finance', none: undefined };

function request(action: Action, where: Where): AccessRequest {
  const workspace = WORKSPACE[where];
  return workspace === undefined ? { tenant: TENANT, action } : { tenant: TENANT, action, workspace };
}

// Written out by hand from PRODUCT §1 (not derived from PERMISSION_MATRIX) so the test can catch a wrong matrix.
// '+' = allowed, '-' = denied; then the reason.
const EXPECTED: Record<Role, Record<Action, Record<Where, `${'+' | '-'}${DecisionReason}`>>> = {
  Admin: {
    read: { listed: '+AdminAllWorkspaces', unlisted: '+AdminAllWorkspaces', none: '-WorkspaceRequired' },
    write: { listed: '+AdminAllWorkspaces', unlisted: '+AdminAllWorkspaces', none: '-WorkspaceRequired' },
    execute: { listed: '+AdminAllWorkspaces', unlisted: '+AdminAllWorkspaces', none: '-WorkspaceRequired' },
    portal: { listed: '+TenantActionAllowed', unlisted: '+TenantActionAllowed', none: '+TenantActionAllowed' },
    settings: { listed: '+TenantActionAllowed', unlisted: '+TenantActionAllowed', none: '+TenantActionAllowed' },
  },
  Builder: {
    read: { listed: '+WorkspaceMember', unlisted: '-NotInWorkspace', none: '-WorkspaceRequired' },
    write: { listed: '+WorkspaceMember', unlisted: '-NotInWorkspace', none: '-WorkspaceRequired' },
    execute: { listed: '+WorkspaceMember', unlisted: '-NotInWorkspace', none: '-WorkspaceRequired' },
    portal: { listed: '+TenantActionAllowed', unlisted: '+TenantActionAllowed', none: '+TenantActionAllowed' },
    settings: { listed: '-RoleLacksAction', unlisted: '-RoleLacksAction', none: '-RoleLacksAction' },
  },
  Consumer: {
    read: { listed: '+WorkspaceMember', unlisted: '-NotInWorkspace', none: '-WorkspaceRequired' },
    write: { listed: '+WorkspaceMember', unlisted: '-NotInWorkspace', none: '-WorkspaceRequired' },
    execute: { listed: '-RoleLacksAction', unlisted: '-RoleLacksAction', none: '-RoleLacksAction' },
    portal: { listed: '+TenantActionAllowed', unlisted: '+TenantActionAllowed', none: '+TenantActionAllowed' },
    settings: { listed: '-RoleLacksAction', unlisted: '-RoleLacksAction', none: '-RoleLacksAction' },
  },
};

const KINDS = ['user', 'serviceAccount'] as const;
const WHERES: readonly Where[] = ['listed', 'unlisted', 'none'];

const cells = KINDS.flatMap((kind) =>
  ROLES.flatMap((role) => ACTIONS.flatMap((action) => WHERES.map((where) => ({ kind, role, action, where, expected: EXPECTED[role][action][where] })))),
);

describe('authorize: every cell of the matrix for active principals', () => {
  it('covers 2 kinds × 3 roles × 5 actions × 3 workspace situations', () => {
    expect(cells).toHaveLength(90);
  });

  it.each(cells)('$kind $role $action ($where workspace) → $expected', ({ kind, role, action, where, expected }) => {
    const decision = authorize(principal({ kind, role }), request(action, where));
    expect(`${decision.allowed ? '+' : '-'}${decision.reason}`).toBe(expected);
    expect(decision.message).not.toBe('');
  });
});

describe('authorize: who gets nothing', () => {
  const everyRequest = ACTIONS.flatMap((action) => WHERES.map((where) => request(action, where)));

  it.each(ROLES.flatMap((role) => (['Invited', 'Inactive'] as const).map((phase) => ({ role, phase }))))('a $phase $role user: PrincipalNotActive for every request', ({ role, phase }) => {
    for (const req of everyRequest) {
      const decision = authorize(principal({ role, phase }), req);
      expect(decision).toMatchObject({ allowed: false, reason: 'PrincipalNotActive' });
      expect(decision.message).toContain(phase);
    }
  });

  it('an unknown principal (unknown email, deleted service account, rotated-away key): UnknownPrincipal', () => {
    for (const req of everyRequest) expect(authorize(undefined, req)).toMatchObject({ allowed: false, reason: 'UnknownPrincipal' });
  });

  it.each(ROLES)('an Admin or anyone else of another tenant (%s): CrossTenant, even for a workspace of the same name', (role) => {
    for (const req of everyRequest) {
      expect(authorize(principal({ role, tenant: 'globex' }), req)).toMatchObject({ allowed: false, reason: 'CrossTenant' });
    }
  });

  it('reports CrossTenant before the phase, so a foreign principal learns nothing about its state here', () => {
    expect(authorize(principal({ tenant: 'globex', phase: 'Inactive' }), request('read', 'listed')).reason).toBe('CrossTenant');
  });

  it('denies a role that bypassed the schema', () => {
    const bogus = principal({ role: 'Owner' as Role });
    expect(authorize(bogus, request('read', 'listed'))).toMatchObject({ allowed: false, reason: 'UnknownRole' });
  });

  it('denies an action that bypassed validation', () => {
    expect(authorize(principal({ role: 'Admin' }), { tenant: TENANT, action: 'delete' as Action, workspace: 'dev' })).toMatchObject({
      allowed: false,
      reason: 'UnknownAction',
    });
  });

  it('treats an empty workspace name as missing', () => {
    expect(authorize(principal({ role: 'Admin' }), { tenant: TENANT, action: 'read', workspace: '' }).reason).toBe('WorkspaceRequired');
  });

  it('matches workspace names exactly', () => {
    expect(authorize(principal(), { tenant: TENANT, action: 'read', workspace: 'Dev' }).reason).toBe('NotInWorkspace');
  });

  it('gives a Builder service account no workspace by default', () => {
    const robot = principal({ kind: 'serviceAccount', role: 'Builder', workspaces: [] });
    expect(authorize(robot, request('execute', 'listed')).reason).toBe('NotInWorkspace');
  });
});

describe('authorize: reasons and messages', () => {
  it('uses only the declared, CamelCase reasons', () => {
    const seen = new Set<string>(cells.map(({ expected }) => expected.slice(1)));
    for (const reason of seen) expect(DECISION_REASONS).toContain(reason);
    for (const reason of DECISION_REASONS) expect(reason).toMatch(/^[A-Z][A-Za-z]+$/);
  });

  it('names the principal kind in messages', () => {
    expect(authorize(principal({ kind: 'serviceAccount', name: 'ci' }), request('read', 'unlisted')).message).toBe(
      'Service account "ci" is not a member of workspace "finance"',
    );
  });
});

describe('matrix data', () => {
  it('gives Admin every action and the others no settings', () => {
    expect(actionsOf('Admin')).toEqual(ACTIONS);
    expect(actionsOf('Builder')).toEqual(['read', 'write', 'execute', 'portal']);
    expect(actionsOf('Consumer')).toEqual(['read', 'write', 'portal']);
  });

  it('has a summary for every role', () => {
    for (const role of ROLES) expect(PERMISSION_MATRIX[role].summary.length).toBeGreaterThan(10);
  });

  it('guards roles and actions', () => {
    expect(isRole('Admin')).toBe(true);
    expect(isRole('admin')).toBe(false);
    expect(isRole(undefined)).toBe(false);
    expect(isAction('execute')).toBe(true);
    expect(isAction('Execute')).toBe(false);
  });

  it('summarises effective access for status', () => {
    expect(effectiveAccess('Admin', ['x'])).toEqual({ actions: ACTIONS, workspaces: 'all' });
    expect(effectiveAccess('Consumer', ['ops', 'dev', 'ops'])).toEqual({ actions: ['read', 'write', 'portal'], workspaces: ['dev', 'ops'] });
  });
});
