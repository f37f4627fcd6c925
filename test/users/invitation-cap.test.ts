// The tenant's hourly cap on invitation emails (Tenant spec.invitationEmailsPerHour) against a
// real API server and real SMTP: more Users than the cap get exactly the cap's emails, the rest
// wait with InvitationSent=False/InvitationRateLimited, across an operator restart and a resend;
// once the hour has passed (the operator's injected clock is moved) they go out.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningOperator } from '../../operator/operator.js';
import { createUsersFeature } from '../../operator/users/feature.js';
import { eventually, kubectl, useNamespace } from '../harness/kube.js';
import { newShard, startTestOperator } from '../harness/operator.js';
import { apply, condition, getRecord, getUser, shiftableClock, startTestSmtp, userManifest, waitForUser } from './fixtures.js';
import type { TestSmtp } from './fixtures.js';
import { adminClient, createTenantWithNamespace, deleteTenant } from '../harness/tenant.js';

const operatorNs = useNamespace('users-cap');
const shard = newShard('cap');
const tenantName = `cap-${randomBytes(3).toString('hex')}`;
const clock = shiftableClock();
const NAMES = ['u1', 'u2', 'u3', 'u4', 'u5'];
const emailOf = (name: string) => `${name}@cap.test`;
let ns: string;
let smtp: TestSmtp;
let operator: RunningOperator | undefined;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const start = () => startTestOperator({ shard, namespace: operatorNs.name, smtpSecret: smtp.secret }, [createUsersFeature({ clock })]);

async function emailsSent(): Promise<number> {
  return (await smtp.server.messages()).filter((m) => m.to.some((to) => to.endsWith('@cap.test'))).length;
}

async function reasons(): Promise<Record<string, string | undefined>> {
  const out: Record<string, string | undefined> = {};
  for (const name of NAMES) out[name] = condition(await getUser(ns, name), 'InvitationSent')?.reason;
  return out;
}

async function countReasons(reason: string): Promise<number> {
  return Object.values(await reasons()).filter((r) => r === reason).length;
}

beforeAll(async () => {
  smtp = await startTestSmtp(operatorNs.name);
  ns = await createTenantWithNamespace(adminClient(), { shard, name: tenantName, spec: { displayName: 'Capped Ltd', invitationEmailsPerHour: 2 } });
  operator = await start();
});

afterAll(async () => {
  await kubectl(['delete', 'users', '--all', '-n', ns, '--wait=true', '--timeout=20s']).catch(() => undefined);
  await operator?.stop();
  await smtp?.close();
  await deleteTenant(adminClient(), tenantName);
});

describe('hourly cap on invitation emails', () => {
  it('five new Users, cap 2: exactly 2 emails, the other 3 wait with InvitationRateLimited', async () => {
    await apply(...NAMES.map((name) => userManifest(ns, name, { email: emailOf(name) })));
    await eventually(async () => ((await countReasons('Sent')) === 2 && (await countReasons('InvitationRateLimited')) === 3 ? true : undefined), 30_000, '2 Sent, 3 InvitationRateLimited');
    const held = (await Promise.all(NAMES.map((n) => getUser(ns, n)))).find((u) => condition(u, 'InvitationSent')?.reason === 'InvitationRateLimited');
    expect(held && condition(held, 'InvitationSent')).toMatchObject({ status: 'False' });
    expect(held && condition(held, 'InvitationSent')?.message).toMatch(/its 2 invitation emails allowed per hour \(Tenant spec\.invitationEmailsPerHour\); this one goes out at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ or later$/);
    // One Warning Event per waiting User.
    await eventually(async () => {
      const out = await kubectl(['get', 'events', '-n', ns, '--field-selector', 'reason=InvitationRateLimited', '-o', 'jsonpath={.items[*].involvedObject.name}']);
      return out.stdout.trim().split(/\s+/).filter(Boolean).length === 3 ? true : undefined;
    }, 15_000, 'three InvitationRateLimited Events');
    // Give a wrongly eager operator every chance to send more.
    await sleep(2_000);
    expect(await emailsSent()).toBe(2);
  });

  it('the cap survives a restart (it is counted from the records) and holds a resend back too', async () => {
    await operator?.stop();
    operator = await start();
    const sentName = Object.entries(await reasons()).find(([, r]) => r === 'Sent')?.[0] as string;
    await kubectl(['patch', 'user', sentName, '-n', ns, '--type=merge', '-p', '{"spec":{"invitation":{"resend":1}}}']);
    await waitForUser(ns, sentName, (u) => condition(u, 'InvitationSent')?.reason === 'InvitationRateLimited', `${sentName} resend held back`);
    await sleep(2_000);
    expect(await emailsSent()).toBe(2);
    expect(await countReasons('InvitationRateLimited')).toBe(4);
  });

  it('once the hour has passed the waiting invitations go out, again no more than 2 an hour', async () => {
    const times = await Promise.all(NAMES.map(async (n) => (await getRecord(ns, n))?.recentEmails?.[0]?.at ?? Number.NaN));
    const firstSent = Math.min(...times.filter((t) => !Number.isNaN(t)));
    // Move the operator's clock to 5 s before the first email leaves the window, then nudge a
    // reconcile (a Tenant label): the controller must requeue itself for the rest and send then.
    clock.shift(firstSent + 3_600_000 - 5_000 - clock.now());
    await kubectl(['label', 'tenant', tenantName, `nudge=${Date.now()}`, '--overwrite']);
    await eventually(async () => ((await emailsSent()) >= 4 ? true : undefined), 30_000, '4 emails');
    await sleep(2_000);
    expect(await emailsSent()).toBe(4);
    expect(await countReasons('InvitationRateLimited')).toBe(2);
  });
});
