import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { complete, formatCompletion, registerCompletion } from './completion.js';
import type { NameLookup } from './completion.js';
import { registerAccess } from './can-i.js';
import { registerServiceAccounts } from './sa.js';
import { registerHistory } from './history.js';
import { registerStatus } from './status.js';
import { registerUsers } from './user.js';

function program(): Command {
  const p = new Command().name('blink-accounts');
  registerStatus(p);
  registerHistory(p);
  registerUsers(p);
  registerServiceAccounts(p);
  registerAccess(p);
  registerCompletion(p);
  return p;
}

const asked: string[] = [];
const lookup: NameLookup = async (kind, flags) => {
  asked.push(`${kind} ${flags.namespace ?? '-'}`);
  if (kind === 'User') return ['ivy', 'jo'];
  if (kind === 'ServiceAccount') return ['etl', 'ci'];
  if (kind === 'Workspace') return ['ws1', 'ws2'];
  if (kind === 'TenantNamespace') return ['tenant-acme', 'tenant-beta'];
  return [];
};

async function candidates(...words: string[]): Promise<readonly string[]> {
  return (await complete(program(), words, lookup)).candidates;
}

describe('complete', () => {
  it('offers commands, subcommands, kinds and flags', async () => {
    expect(await candidates('s')).toEqual(['status', 'sa']);
    expect(await candidates('user', '')).toEqual(['invite', 'resend', 'deactivate', 'activate', 'list', 'groups', 'remove']);
    expect(await candidates('status', '')).toEqual(['tenant', 'user', 'serviceaccount', 'sa', 'workspace', 'group']);
    expect(await candidates('user', 'remove', '--d')).toEqual(['--dry-run']);
    expect(await candidates('completion', '')).toEqual(['bash', 'zsh']);
    expect(await candidates('history', '')).toEqual(['user', 'serviceaccount']);
    expect(await candidates('history', 'sa', 'e')).toEqual(['etl']);
  });

  it('offers the values of -o and --role', async () => {
    expect(await candidates('status', 'sa', 'etl', '-o', '')).toEqual(['text', 'json', 'yaml']);
    expect(await candidates('user', 'invite', 'x', '--role', 'B')).toEqual(['Builder']);
  });

  it('asks the cluster for names in the namespace of -n, and for tenant namespaces after -n', async () => {
    asked.length = 0;
    expect(await candidates('status', 'bsa', '-n', 'tenant-acme', 'e')).toEqual(['etl']);
    expect(await candidates('user', 'resend', '--namespace=tenant-beta', '')).toEqual(['ivy', 'jo']);
    expect(await candidates('status', 'user', '-n', 'tenant-')).toEqual(['tenant-acme', 'tenant-beta']);
    expect(asked).toEqual(['ServiceAccount tenant-acme', 'User tenant-beta', 'TenantNamespace -']);
  });

  it('lets the shell complete file names where it has nothing (--from-csv)', async () => {
    const result = await complete(program(), ['user', 'invite', '--from-csv', ''], lookup);
    expect(formatCompletion(result)).toBe(':0\n');
  });

  it('knows can-i and who-can: principals (sa/<name>, - for a key on stdin), actions, workspaces', async () => {
    expect(await candidates('c')).toEqual(['can-i', 'completion']);
    expect(await candidates('w')).toEqual(['who-can']);
    expect(await candidates('can-i', '')).toEqual(['-', 'sa/etl', 'sa/ci']);
    expect(await candidates('can-i', 'sa/etl', '')).toEqual(['read', 'write', 'execute', 'portal', 'settings']);
    expect(await candidates('can-i', '--key-stdin', 's')).toEqual(['settings']);
    expect(await candidates('can-i', 'jo@example.com', 'read', '--workspace', '')).toEqual(['ws1', 'ws2']);
    expect(await candidates('who-can', 'e')).toEqual(['execute']);
    expect(await candidates('who-can', 'read', '--w')).toEqual(['--workspace']);
  });
});
