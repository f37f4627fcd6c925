// `blink-accounts user …` and `blink-accounts invitations links` through the real command
// line: they only edit User resources, and the operator does the rest.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningOperator } from '../../operator/operator.js';
import { createUsersFeature } from '../../operator/users/feature.js';
import { cluster, kubectl, useNamespace } from '../harness/kube.js';
import { newShard, startTestOperator } from '../harness/operator.js';
import { acceptOverHttp, apply, getUser, linkOf, startTestSmtp, waitForUser } from './fixtures.js';
import type { TestSmtp } from './fixtures.js';
import { adminClient, createTenantWithNamespace, deleteTenant } from '../harness/tenant.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../bin/blink-accounts.js', import.meta.url));
const operatorNs = useNamespace('users-cli');
const shard = newShard('cli');
const tenantName = `cli-${randomBytes(3).toString('hex')}`;
let ns: string;
let smtp: TestSmtp;
let operator: RunningOperator;

async function cli(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [CLI, ...args], { env: { ...process.env, KUBECONFIG: '' } });
}
const target = () => ['-n', ns, '--kubeconfig', cluster().kubeconfig];

beforeAll(async () => {
  smtp = await startTestSmtp(operatorNs.name);
  ns = await createTenantWithNamespace(adminClient(), { shard, name: tenantName, spec: { displayName: 'CLI Co' } });
  await apply({ apiVersion: 'accounts.blinkops.com/v1alpha1', kind: 'Group', metadata: { name: 'admins', namespace: ns }, spec: {} });
  operator = await startTestOperator({ shard, namespace: operatorNs.name, smtpSecret: smtp.secret }, [createUsersFeature()]);
});

afterAll(async () => {
  await kubectl(['delete', 'users', '--all', '-n', ns, '--wait=true', '--timeout=20s']).catch(() => undefined);
  await operator?.stop();
  await smtp?.close();
  await deleteTenant(adminClient(), tenantName);
});

// Every CLI run starts Node, tsx and @kubernetes/client-node: seconds each on a loaded 2-core machine.
describe('blink-accounts user / invitations', { timeout: 300_000 }, () => {
  it('invites, lists the caught link, resends, shows groups, deactivates, activates and removes', async () => {
    const invited = await cli('user', 'invite', 'ivy', '--email', 'ivy@cli.test', '--role', 'admin', '--groups', 'admins, ghosts', ...target());
    expect(invited.stdout).toContain('Invited ivy@cli.test as User ivy');
    const user = await getUser(ns, 'ivy');
    expect(user.spec).toMatchObject({ email: 'ivy@cli.test', role: 'Admin', groups: ['admins', 'ghosts'], workspaces: [] });

    const first = linkOf(await smtp.waitForMessage('ivy@cli.test'));
    const links = await cli('invitations', 'links', '--dir', smtp.server.dir, '--to', 'ivy@cli.test');
    expect(links.stdout.trim().split('\n').map((line) => line.split('\t')[2])).toEqual([first]);
    const asJson = await cli('invitations', 'links', '--dir', smtp.server.dir, '--to', 'ivy@cli.test', '-o', 'json');
    expect((JSON.parse(asJson.stdout) as { link: string; to: string[] }[]).map((l) => [l.link, l.to])).toEqual([[first, ['ivy@cli.test']]]);

    await cli('user', 'resend', 'ivy', ...target());
    expect((await getUser(ns, 'ivy')).spec.invitation?.resend).toBe(1);
    const second = linkOf(await smtp.waitForMessage('ivy@cli.test', 2));
    expect((await acceptOverHttp(second)).status).toBe(200);
    await waitForUser(ns, 'ivy', (u) => u.status?.phase === 'Active', 'ivy Active');
    expect((await cli('user', 'groups', 'ivy', ...target())).stdout).toBe('admins\n');

    await cli('user', 'deactivate', 'ivy', ...target());
    await waitForUser(ns, 'ivy', (u) => u.status?.phase === 'Inactive', 'ivy Inactive');
    await cli('user', 'activate', 'ivy', ...target());
    await waitForUser(ns, 'ivy', (u) => u.status?.phase === 'Active', 'ivy Active again');
    await kubectl(['patch', 'users.accounts.blinkops.com', 'ivy', '-n', ns, '--type=merge', '-p', '{"spec":{"role":"Builder"}}', '--field-manager', 'role-admin']);
    await waitForUser(ns, 'ivy', (u) => u.status?.role === 'Builder', 'ivy a Builder');

    // Issue 27 §3: the whole lifecycle in status.history, with who changed the spec, as a timeline.
    const history = (await getUser(ns, 'ivy')).status?.history ?? [];
    expect(history.map((e) => `${e.event}/${e.reason}`)).toEqual([
      'Invited/Created',
      'InvitationSent/Sent',
      'Invited/Resent',
      'InvitationSent/Sent',
      'Accepted/InvitationLink',
      'Deactivated/SpecChanged',
      'Reactivated/SpecChanged',
      'RoleChanged/SpecChanged',
    ]);
    expect(history.at(-1)?.by).toBe('role-admin');
    expect(JSON.stringify(history)).not.toContain(second.split('/invitations/')[1]);
    const timeline = await cli('history', 'user', 'ivy', ...target());
    expect(timeline.stdout).toMatch(/RoleChanged\s+SpecChanged\s+Role changed from Admin to Builder \[by role-admin\]/);

    await cli('user', 'remove', 'ivy', ...target());
    await kubectl(['wait', '--for=delete', 'user/ivy', '-n', ns, '--timeout=30s']);
  });

  it('refuses a bad role (exit code 2) and an unknown user (exit code 3) with a clear message', async () => {
    const badRole = await cli('user', 'invite', 'x', '--email', 'x@cli.test', '--role', 'Owner', ...target()).catch((e: { code: number; stderr: string }) => e);
    expect(badRole).toMatchObject({ code: 2 });
    expect((badRole as { stderr: string }).stderr).toContain('--role must be one of Admin, Builder, Consumer');
    const unknown = await cli('user', 'resend', 'nobody', ...target()).catch((e: { code: number; stderr: string }) => e);
    expect(unknown).toMatchObject({ code: 3 });
    expect((unknown as { stderr: string }).stderr).toContain('User "nobody" not found');
  });
});
