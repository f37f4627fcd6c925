import { describe, expect, it } from 'vitest';
import type { User } from '../api/index.js';
import type { KubeObject } from '../runtime/kinds.js';
import { renderUserList, userFromFlags, userListRows } from './user.js';

const user = (name: string, labels: Record<string, string> | undefined, phase?: string): User & KubeObject =>
  ({ metadata: { name, namespace: 'tenant-a', ...(labels ? { labels } : {}) }, spec: { email: `${name}@example.com`, role: 'Builder' }, status: phase ? { phase } : {} }) as User & KubeObject;

describe('user list', () => {
  it('says where each User came from: Git (no source label), SCIM or CLI, by name', () => {
    const rows = userListRows([user('zoe', { 'accounts.blinkops.com/source': 'scim' }, 'Active'), user('ann', undefined, 'Invited'), user('bob', { 'accounts.blinkops.com/source': 'cli' })]);
    expect(rows.map((r) => [r.name, r.source])).toEqual([
      ['ann', 'Git'],
      ['bob', 'CLI'],
      ['zoe', 'SCIM'],
    ]);
    const text = renderUserList(rows);
    expect(text.split('\n')[0]).toMatch(/^NAME\s+EMAIL\s+ROLE\s+PHASE\s+SOURCE$/);
    expect(text).toMatch(/zoe\s+zoe@example\.com\s+Builder\s+Active\s+SCIM/);
  });

  it('an unknown source label value reads as Git (only the operator\'s values say otherwise)', () => {
    expect(userListRows([user('x', { 'accounts.blinkops.com/source': 'argo' })])[0]?.source).toBe('Git');
  });

  it('user invite labels what it creates as made by the CLI', () => {
    expect(userFromFlags('jane', 'tenant-a', { email: 'jane@example.com', role: 'builder' }).metadata?.labels).toEqual({ 'accounts.blinkops.com/source': 'cli' });
  });
});
