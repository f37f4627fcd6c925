// Email delivery guarantees: at least once, and never twice for one invitation even when the
// operator is killed (SIGKILL) after handing the end of the message to SMTP and before recording
// it (a kill before the end of the message is sent again: nothing was delivered); SMTP
// outages are retried with backoff and shown in the InvitationSent condition.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningOperator } from '../../operator/operator.js';
import { createUsersFeature } from '../../operator/users/feature.js';
import { nodemailerMailer } from '../../operator/invitations/smtp.js';
import type { KubeObject } from '../../operator/runtime/kinds.js';
import { builtinKinds } from '../../operator/runtime/kinds.js';
import { eventually, kubectl, useNamespace } from '../harness/kube.js';
import { newShard, spawnOperator, startTestOperator } from '../harness/operator.js';
import type { OperatorProcess } from '../harness/operator.js';
import { apply, condition, getRecord, getUser, startTestSmtp, userManifest, waitForUser } from './fixtures.js';
import type { TestSmtp } from './fixtures.js';
import { adminClient, createTenantWithNamespace, deleteTenant } from '../harness/tenant.js';

const operatorNs = useNamespace('users-delivery');
const shard = newShard('delivery');
const tenantName = `deliv-${randomBytes(3).toString('hex')}`;
let ns: string;
let smtp: TestSmtp;
let operator: RunningOperator | undefined;
let child: OperatorProcess | undefined;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  smtp = await startTestSmtp(operatorNs.name);
  ns = await createTenantWithNamespace(adminClient(), { shard, name: tenantName, spec: { displayName: 'Delivery Ltd' } });
});

afterAll(async () => {
  await child?.kill('SIGKILL');
  await kubectl(['delete', 'users', '--all', '-n', ns, '--wait=true', '--timeout=20s']).catch(() => undefined);
  await operator?.stop();
  await smtp?.close();
  await deleteTenant(adminClient(), tenantName);
});

/** How long SMTP refuses every session in the outage test (the issue asks for a minute). */
const OUTAGE_MS = 60_000;

describe('invitation delivery', () => {
  it('SIGKILL after handing the email to SMTP and before recording it: after a restart the person has exactly one email', async () => {
    // The dev SMTP server stores the message, then holds the 250 reply: the operator waits for it.
    smtp.server.setDelay(120_000);
    child = await spawnOperator([
      '--shard', shard, '--no-leader-elect', '--metrics-port', '0', '--http-port', '0',
      '--namespace', operatorNs.name, '--smtp-secret', `${smtp.secret.namespace}/${smtp.secret.name}`,
    ]);
    await apply(userManifest(ns, 'gina', { email: 'gina@delivery.test' }));
    await smtp.waitForMessage('gina@delivery.test');
    expect((await getRecord(ns, 'gina'))?.delivery).toBe('sending');
    // The User's one status write waits for the email's outcome: the kill falls before it.
    expect((await getUser(ns, 'gina')).status?.invitation).toBeUndefined();
    await child.kill('SIGKILL');
    child = undefined;
    smtp.server.setDelay(0);

    const restarted = Date.now();
    operator = await startTestOperator({ shard, namespace: operatorNs.name, smtpSecret: smtp.secret }, [createUsersFeature()]);
    const user = await waitForUser(ns, 'gina', (u) => condition(u, 'InvitationSent')?.status === 'Unknown', 'InvitationSent=Unknown');
    expect(condition(user, 'InvitationSent')).toMatchObject({ reason: 'DeliveryUnconfirmed' });
    expect(condition(user, 'InvitationSent')?.message).toContain('increase spec.invitation.resend');
    expect(user.status?.phase).toBe('Invited');
    // Give a wrongly eager operator every chance to send again.
    await sleep(Math.max(0, 3_000 - (Date.now() - restarted)));
    expect((await smtp.messagesTo('gina@delivery.test')).length).toBe(1);

    // The admin's way out: resend.
    await kubectl(['patch', 'user', 'gina', '-n', ns, '--type=merge', '-p', '{"spec":{"invitation":{"resend":1}}}']);
    await smtp.waitForMessage('gina@delivery.test', 2);
    await waitForUser(ns, 'gina', (u) => condition(u, 'InvitationSent')?.status === 'True', 'InvitationSent=True after resend');
    expect((await smtp.messagesTo('gina@delivery.test')).length).toBe(2);
  });

  it('SMTP down for a minute: the condition shows the error, then the email goes out once', async () => {
    operator ??= await startTestOperator({ shard, namespace: operatorNs.name, smtpSecret: smtp.secret }, [createUsersFeature()]);
    const downAt = Date.now();
    smtp.server.setDown(true);
    try {
      await apply(userManifest(ns, 'hank', { email: 'hank@delivery.test' }));
      const failing = await waitForUser(ns, 'hank', (u) => condition(u, 'InvitationSent')?.status === 'False', 'InvitationSent=False');
      expect(condition(failing, 'InvitationSent')).toMatchObject({ reason: 'SmtpError' });
      expect(condition(failing, 'InvitationSent')?.message).toContain('421');
      expect(condition(failing, 'InvitationSent')?.message).not.toMatch(/password/i);
      await sleep(Math.max(0, OUTAGE_MS - (Date.now() - downAt)));
      expect((await smtp.messagesTo('hank@delivery.test')).length).toBe(0);
      // Paced by backoff (1 s, 2 s, 4 s, … 32 s: attempts at about 0, 1, 3, 7, 15, 31 s), not a tight
      // loop driven by its own record writes.
      const attempts = (await getRecord(ns, 'hank'))?.failedAttempts ?? 0;
      process.stderr.write(`[users] ${attempts} failed send attempts during the ${OUTAGE_MS / 1000} s outage\n`);
      expect(attempts).toBeGreaterThanOrEqual(5);
      expect(attempts).toBeLessThanOrEqual(8);
    } finally {
      smtp.server.setDown(false);
    }
    const upAt = Date.now();
    await waitForUser(ns, 'hank', (u) => condition(u, 'InvitationSent')?.status === 'True', 'InvitationSent=True', 75_000);
    const delayMs = Date.now() - upAt;
    process.stderr.write(`[users] invitation sent ${delayMs} ms after SMTP came back (outage ${OUTAGE_MS / 1000} s)\n`);
    await sleep(1_000);
    expect((await smtp.messagesTo('hank@delivery.test')).length).toBe(1);
    expect((await getRecord(ns, 'hank'))?.delivery).toBe('sent');
  });

  it('SIGKILL while the email is on its way to SMTP (record "preparing", status not written yet): after a restart the person has exactly one email', async () => {
    await operator?.stop();
    operator = undefined;
    // An SMTP server that takes the connection and never greets: the send stops before the end of its message.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    await adminClient().create(builtinKinds.secret, { metadata: { name: 'smtp-silent', namespace: operatorNs.name }, type: 'Opaque', stringData: { host: '127.0.0.1', port: String(port), from: 'Blink <no-reply@delivery.test>' } } as KubeObject);
    let first: { invitationId: string } | undefined;
    try {
      child = await spawnOperator([
        '--shard', shard, '--no-leader-elect', '--metrics-port', '0', '--http-port', '0',
        '--namespace', operatorNs.name, '--smtp-secret', `${operatorNs.name}/smtp-silent`,
      ]);
      await apply(userManifest(ns, 'ivan', { email: 'ivan@delivery.test' }));
      first = await eventually(async () => ((await getRecord(ns, 'ivan'))?.delivery === 'preparing' ? getRecord(ns, 'ivan') : undefined), 30_000, 'record preparing');
      await eventually(async () => (sockets.size > 0 ? true : undefined), 10_000, 'the send connected');
      // The User's one status write waits for the email's outcome: the kill falls before it.
      expect((await getUser(ns, 'ivan')).status?.invitation).toBeUndefined();
      await child.kill('SIGKILL');
      child = undefined;
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
    operator = await startTestOperator({ shard, namespace: operatorNs.name, smtpSecret: smtp.secret }, [createUsersFeature()]);
    const user = await waitForUser(ns, 'ivan', (u) => condition(u, 'InvitationSent')?.status === 'True', 'InvitationSent=True');
    // A new invitation (the first one never reached anyone), recorded as signed, not stranded.
    expect(user.status?.invitation?.id).not.toBe(first?.invitationId);
    expect(user.status?.invitation?.recordSigned).toBe(true);
    expect(condition(user, 'Ready')?.reason).toBe('InvitationPending');
    await sleep(1_500);
    expect((await smtp.messagesTo('ivan@delivery.test')).length).toBe(1);
  });
});

describe('nodemailer mailer', () => {
  const settings = { host: '127.0.0.1', port: 1, secure: false, requireTLS: false, from: 'a@blink.test' };
  const message = { from: { name: 'Blink', address: 'a@blink.test' }, to: 'x@delivery.test', subject: 's', text: 't', html: '<p>t</p>', messageId: '<m.1@blink-accounts.invalid>' };

  it('a refused connection is a certain failure (safe to send again)', async () => {
    const result = await nodemailerMailer({ connectionMs: 2_000 }).send(settings, message);
    expect(result).toMatchObject({ outcome: 'failed' });
    expect((result as { error: string }).error).toContain('ECONNREFUSED');
  });

  it('the end of the message waits for beforeEnd; when it rejects, the message is abandoned and nothing is delivered', async () => {
    let asked = 0;
    const abandoned = await nodemailerMailer().send({ ...settings, port: smtp.server.port }, { ...message, to: 'abandoned@delivery.test' }, {
      beforeEnd: () => {
        asked++;
        return Promise.reject(new Error('the record was taken over'));
      },
    });
    expect(abandoned).toMatchObject({ outcome: 'failed' });
    expect(asked).toBe(1);
    const ended = await nodemailerMailer().send({ ...settings, port: smtp.server.port }, { ...message, to: 'ended@delivery.test' }, { beforeEnd: () => Promise.resolve() });
    expect(ended).toEqual({ outcome: 'sent' });
    // The server has stored the second message; the first one never reached its end.
    expect((await smtp.messagesTo('ended@delivery.test')).length).toBe(1);
    expect((await smtp.messagesTo('abandoned@delivery.test')).length).toBe(0);
  });

  it('a lost verdict after the whole message went out is unconfirmed (maybe delivered)', async () => {
    smtp.server.setDelay(3_000);
    try {
      const result = await nodemailerMailer({ socketMs: 1_000 }).send({ ...settings, port: smtp.server.port }, { ...message, to: 'slow@delivery.test' });
      expect(result).toMatchObject({ outcome: 'unconfirmed' });
    } finally {
      smtp.server.setDelay(0);
    }
    expect((await smtp.messagesTo('slow@delivery.test')).length).toBe(1);
  });
});
