// One slow SMTP server holds up nothing but its own emails (issue 23): sending runs in its own
// queue, several at a time, and the User reconcile never waits on it. The dev SMTP server here
// stores each message at once and holds its 250 for 30 s, as a slow relay would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideAuthorize } from '../../operator/access/decide.js';
import { cacheDirectory } from '../../operator/access/directory.js';
import { ACCOUNT_KINDS } from '../../operator/api/index.js';
import type { RunningOperator } from '../../operator/operator.js';
import { builtinKinds } from '../../operator/runtime/kinds.js';
import { tenantsFeature } from '../../operator/tenants/feature.js';
import { createUsersFeature } from '../../operator/users/feature.js';
import { kubectl, useNamespace } from '../harness/kube.js';
import { newShard, startTestOperator } from '../harness/operator.js';
import { acceptOverHttp, condition, getUser, linkOf, startTestSmtp, waitForUser } from './fixtures.js';
import type { TestSmtp } from './fixtures.js';
import { adminClient, cleanUp, createTenant, tenantReady, uniqueName } from '../harness/tenant.js';

const HOLD_MS = 30_000;
const operatorNs = useNamespace('slow-smtp-op');
const shard = newShard('slowsmtp');
const client = adminClient();
const tenant = uniqueName('slow');
const ns = `tenant-${tenant}`;
const domain = `${tenant}.example.com`;
let smtp: TestSmtp;
let operator: RunningOperator;

beforeAll(async () => {
  smtp = await startTestSmtp(operatorNs.name);
  operator = await startTestOperator({ shard, namespace: operatorNs.name, smtpSecret: smtp.secret }, [tenantsFeature, createUsersFeature({ sendConcurrency: 4 })]);
  await createTenant(client, tenant, shard);
  await tenantReady(client, tenant);
});

afterAll(async () => {
  smtp?.server.setDelay(0);
  await kubectl(['delete', 'users', '--all', '-n', ns, '--wait=true', '--timeout=20s']).catch(() => undefined);
  await cleanUp(client, [tenant], [ns]);
  await operator?.stop();
  await smtp?.close();
  client.close();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const createUser = (name: string, role = 'Builder') => client.create(ACCOUNT_KINDS.user, { metadata: { name, namespace: ns }, spec: { email: `${name}@${domain}`, role } });

/** Milliseconds until `check` holds (polled every 25 ms), or `limitMs` + 1 when it never does. */
async function msUntil(check: () => Promise<boolean>, limitMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started <= limitMs) {
    if (await check()) return Date.now() - started;
    await sleep(25);
  }
  return limitMs + 1;
}

describe('a slow SMTP server', () => {
  it('holds up no acceptance, deactivation or role change, and the invitations go out several at a time', async () => {
    await createUser('first');
    const firstLink = linkOf(await smtp.waitForMessage(`first@${domain}`));
    await waitForUser(ns, 'first', (u) => condition(u, 'InvitationSent')?.status === 'True', 'the first invitation sent');

    // From now on every message waits 30 s for its 250.
    smtp.server.setDelay(HOLD_MS);
    const names = ['slow-1', 'slow-2', 'slow-3', 'slow-4'];
    const started = Date.now();
    for (const name of names) await createUser(name);
    // Several at a time: all four are handed over long before one 250 came back.
    for (const name of names) await smtp.waitForMessage(`${name}@${domain}`, 1, 10_000);
    const allHandedOverMs = Date.now() - started;
    expect(allHandedOverMs).toBeLessThan(HOLD_MS / 2);

    // An acceptance turns the person Active, with the RoleBinding and the access API, at once.
    expect((await acceptOverHttp(firstLink)).status).toBe(200);
    const directory = cacheDirectory(operator.context, { authenticate: () => ({ ok: false, reason: 'malformed' }) });
    const activeMs = await msUntil(async () => {
      const user = await getUser(ns, 'first');
      const bound = await client.get(builtinKinds.roleBinding, ns, 'blink-user-first').then(() => true, () => false);
      return user.status?.phase === 'Active' && bound && decideAuthorize(directory, { tenant, principal: { user: `first@${domain}` }, action: 'portal' }).allowed;
    }, 5_000);

    // A deactivation (of someone whose email is still waiting for its 250) applies at once too.
    await client.patch(ACCOUNT_KINDS.user, ns, 'slow-1', { spec: { active: false } });
    const inactiveMs = await msUntil(async () => (await getUser(ns, 'slow-1')).status?.phase === 'Inactive', 5_000);
    // And a role change.
    await client.patch(ACCOUNT_KINDS.user, ns, 'first', { spec: { role: 'Admin' } });
    const roleMs = await msUntil(
      async () => (await client.get<{ roleRef?: { name?: string } }>(builtinKinds.roleBinding, ns, 'blink-user-first').then((b) => b.roleRef?.name, () => undefined)) === 'blink-accounts-admin',
      5_000,
    );
    process.stderr.write(`[slow-smtp] 4 messages handed over in ${allHandedOverMs} ms; accepted → Active+bound+allowed ${activeMs} ms; deactivated → Inactive ${inactiveMs} ms; role → binding ${roleMs} ms\n`);
    // The order load cannot blur: all of it happened while every held 250 was still outstanding.
    expect(Date.now() - started).toBeLessThan(HOLD_MS);
    for (const name of names) expect(condition(await getUser(ns, name), 'InvitationSent')?.reason).not.toBe('Sent');
    // And the second, with a second of margin for a loaded machine.
    expect(activeMs).toBeLessThanOrEqual(2_000);
    expect(inactiveMs).toBeLessThanOrEqual(2_000);
    expect(roleMs).toBeLessThanOrEqual(2_000);

    // The held replies come back: every active invitee's email is confirmed, and none was sent twice.
    for (const name of names.slice(1)) await waitForUser(ns, name, (u) => condition(u, 'InvitationSent')?.reason === 'Sent', `${name}: Sent`, HOLD_MS + 30_000);
    for (const name of names) expect((await smtp.messagesTo(`${name}@${domain}`)).length).toBe(1);
    expect((await getUser(ns, 'slow-1')).status?.phase).toBe('Inactive');
  });
});
