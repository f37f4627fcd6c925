import { describe, expect, it } from 'vitest';
import { generateApiKey } from '../apikeys/index.js';
import { seededRandom } from '../apikeys/seeded-random.js';
import { colorBugs, looksLikeKey, parseCanIArgs, renderExplanation, renderWhoCan } from './can-i.js';
import type { AccessExplanation } from './access-explain.js';
import { CliError, EXIT } from './exit-codes.js';

const key = generateApiKey(seededRandom('can-i')).key;

function refusal(run: () => unknown): CliError {
  try {
    run();
  } catch (error) {
    if (error instanceof CliError) return error;
    throw error;
  }
  throw new Error('not refused');
}

describe('parseCanIArgs', () => {
  it('takes an email, sa/<name>, or - (a key on stdin), and an action', () => {
    expect(parseCanIArgs(['jane@example.com', 'settings'], false)).toEqual({ principal: { user: 'jane@example.com' }, action: 'settings' });
    expect(parseCanIArgs(['sa/etl', 'read'], false)).toEqual({ principal: { serviceAccount: 'etl' }, action: 'read' });
    expect(parseCanIArgs(['-', 'read'], false)).toEqual({ principal: 'stdin', action: 'read' });
    expect(parseCanIArgs(['portal'], true)).toEqual({ principal: 'stdin', action: 'portal' });
  });

  it('refuses a key given as an argument, in any position, without echoing it', () => {
    for (const words of [[key, 'read'], ['sa/x', key], [`x${key}`, 'read'], [key]]) {
      const error = refusal(() => parseCanIArgs(words, words.length === 1));
      expect(error.exitCode).toBe(EXIT.usage);
      expect(error.message).toContain('Keys are read from stdin only');
      expect(error.message).not.toContain(key);
      expect(error.message).not.toContain(key.slice(9, 30));
    }
    expect(looksLikeKey(key)).toBe(true);
    expect(looksLikeKey('jane@example.com')).toBe(false);
  });

  it('refuses anything else as a usage error, without echoing an unrecognised principal', () => {
    expect(refusal(() => parseCanIArgs(['hunter2-secret', 'read'], false)).message).not.toContain('hunter2');
    expect(refusal(() => parseCanIArgs(['jane@example.com', 'fly'], false)).message).toContain('Unknown action "fly"');
    expect(refusal(() => parseCanIArgs(['sa/Bad_Name', 'read'], false)).exitCode).toBe(EXIT.usage);
    expect(refusal(() => parseCanIArgs(['jane@example.com'], false)).exitCode).toBe(EXIT.usage);
  });
});

const base: AccessExplanation = {
  principal: 'user ivy@example.com',
  tenant: 'acme',
  namespace: 'tenant-acme',
  action: 'settings',
  decision: { allowed: false, reason: 'PrincipalNotActive', message: 'User "ivy" is Invited, not Active' },
  facts: {
    tenantGrantsAccess: true,
    user: { email: 'ivy@example.com', name: 'ivy', phase: 'Invited', active: true, role: 'Admin', workspaces: [], standing: 'Invited', expectedBinding: 'blink-user-ivy', bindings: [{ name: 'by-hand', clusterRole: 'blink-accounts-admin', managedByOperator: false }] },
  },
  rbac: { checked: true, subject: 'ivy@example.com', permission: 'create users.accounts.blinkops.com', namespace: 'tenant-acme', allowed: true },
  disagreement: 'the access API denies this (PrincipalNotActive), but Kubernetes RBAC lets ivy@example.com create users.accounts.blinkops.com in tenant-acme',
};

describe('renderExplanation', () => {
  it('says the answer, reason, message, facts and the bug; red only when asked', () => {
    const text = renderExplanation(base);
    expect(text.split('\n')[0]).toBe('no');
    expect(text).toContain('Reason:      PrincipalNotActive\nMessage:     User "ivy" is Invited, not Active\n');
    expect(text).toContain('  User:          ivy (ivy@example.com), phase Invited, role Admin, workspaces (none)\n');
    expect(text).toContain('  RoleBindings:  by-hand → ClusterRole blink-accounts-admin (NOT made by the operator)\n');
    expect(text).toContain('RBAC:        may ivy@example.com create users.accounts.blinkops.com in tenant-acme? yes (SubjectAccessReview)\n');
    expect(text).toContain('BUG: Kubernetes RBAC and the access API disagree: the access API denies this');
    expect(text).not.toContain('\u001b[');
    expect(colorBugs(text, true)).toContain('\u001b[31mBUG: Kubernetes RBAC and the access API disagree: the access API denies this (PrincipalNotActive), but Kubernetes RBAC lets ivy@example.com create users.accounts.blinkops.com in tenant-acme. Exit code 7.\u001b[0m\n');
    expect(colorBugs(text, false)).toBe(text);
  });

  it('makes text from the cluster terminal-safe, each value on its line', () => {
    const evil = { ...base, decision: { ...base.decision, message: 'x\u001b]0;pwned\u0007y\nz' } };
    expect(renderExplanation(evil)).toContain('Message:     x\\x1b]0;pwned\\x07y\\x0az\n');
  });

  it('who-can: a table of who may, and each disagreement', () => {
    const text = renderWhoCan({
      tenant: 'acme', namespace: 'tenant-acme', action: 'settings', allowed: [{ kind: 'User', principal: 'ann@example.com', name: 'ann', role: 'Admin', reason: 'TenantActionAllowed' }],
      disagreements: [{ kind: 'User', principal: 'ivy@example.com', name: 'ivy', role: 'Admin', reason: 'PrincipalNotActive', disagreement: 'the access API denies this' }],
      rbac: { checked: true, permission: 'create users.accounts.blinkops.com' },
    });
    expect(text).toBe(
      'May settings in tenant acme (namespace tenant-acme):\n' +
        'PRINCIPAL         KIND   NAME   ROLE    REASON\n' +
        'ann@example.com   User   ann    Admin   TenantActionAllowed\n' +
        'RBAC:  every user checked against create users.accounts.blinkops.com (SubjectAccessReview)\n' +
        'BUG: Kubernetes RBAC and the access API disagree about ivy@example.com: the access API denies this.\n',
    );
  });
});
