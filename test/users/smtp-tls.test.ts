// Invitation mail stays encrypted: against real SMTP servers (one without STARTTLS, one with
// STARTTLS and a self-signed certificate) and a real API server, the operator never falls back to
// plaintext off this machine, says why in InvitationSent, and trusts a private CA only when the
// SMTP Secret names it (caCert).
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningOperator } from '../../operator/operator.js';
import { nodemailerMailer } from '../../operator/invitations/smtp.js';
import { createUsersFeature } from '../../operator/users/feature.js';
import { eventually, kubectl, useNamespace } from '../harness/kube.js';
import { newShard, startTestOperator } from '../harness/operator.js';
import { apply, condition, getRecord, userManifest, waitForUser } from './fixtures.js';
import { selfSignedCertificate, startTlsTestSmtp } from './tls-smtp.js';
import type { SelfSigned, TlsTestSmtp } from './tls-smtp.js';
import { adminClient, createTenantWithNamespace, deleteTenant } from '../harness/tenant.js';

const operatorNs = useNamespace('users-smtp-tls');
const shard = newShard('smtp-tls');
const tenantName = `tls-${randomBytes(3).toString('hex')}`;
const SECRET = { namespace: operatorNs.name, name: 'smtp-tls' };
// Loopback only (tests send nothing to any other address): requireTLS=true is set explicitly,
// the same code path as the default for a host that is not loopback (that default is unit-tested
// in operator/invitations/smtp.test.ts).
const HOST = '127.0.0.1';
let ns: string;
let operator: RunningOperator;
let cert: SelfSigned;
const servers: TlsTestSmtp[] = [];

async function server(tls?: SelfSigned, host = HOST): Promise<TlsTestSmtp> {
  const started = await startTlsTestSmtp(host, tls);
  servers.push(started);
  return started;
}

async function useSmtp(smtp: TlsTestSmtp, extra: Record<string, string> = {}): Promise<void> {
  await apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: SECRET,
    stringData: { host: smtp.host, port: String(smtp.port), secure: 'false', from: 'Blink Accounts <accounts@blink.test>', requireTLS: 'true', ...extra },
  });
}

beforeAll(async () => {
  cert = await selfSignedCertificate([HOST]);
  ns = await createTenantWithNamespace(adminClient(), { shard, name: tenantName, spec: { displayName: 'TLS GmbH' } });
  operator = await startTestOperator({ shard, namespace: operatorNs.name, smtpSecret: SECRET }, [createUsersFeature({ maxRetryDelayMs: 2_000 })]);
});

afterEach(async () => {
  await kubectl(['delete', 'users', '--all', '-n', ns, '--wait=true', '--timeout=20s']).catch(() => undefined);
});

afterAll(async () => {
  await operator?.stop();
  for (const s of servers) await s.close();
  await deleteTenant(adminClient(), tenantName);
});

describe('invitation mail and TLS', () => {
  it('a server without STARTTLS gets nothing: InvitationSent=False SmtpTlsRequired, the record failed, retried', async () => {
    const plain = await server();
    await useSmtp(plain);
    await apply(userManifest(ns, 'pia', { email: 'pia@tls.test' }));
    const user = await waitForUser(ns, 'pia', (u) => condition(u, 'InvitationSent')?.reason === 'SmtpTlsRequired', 'InvitationSent=False/SmtpTlsRequired');
    expect(condition(user, 'InvitationSent')?.status).toBe('False');
    expect(condition(user, 'InvitationSent')?.message).toContain('requires TLS (requireTLS)');
    expect(await getRecord(ns, 'pia')).toMatchObject({ delivery: 'failed', deliveryFailure: 'SmtpTlsRequired' });
    // Retried with backoff (1 s, then at most 2 s here), and still nothing in plaintext.
    await eventually(async () => (((await getRecord(ns, 'pia'))?.failedAttempts ?? 0) >= 3 ? true : undefined), 15_000, 'three failed attempts');
    expect(plain.messages).toHaveLength(0);
  });

  it('on loopback the default is plaintext, and requireTLS=true turns it off', async () => {
    const local = await server(undefined, '127.0.0.1');
    // No requireTLS key: the loopback default.
    await apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: SECRET,
      stringData: { host: local.host, port: String(local.port), secure: 'false', from: 'Blink Accounts <accounts@blink.test>' },
    });
    await kubectl(['patch', 'secret', SECRET.name, '-n', SECRET.namespace, '--type=json', '-p', '[{"op":"remove","path":"/data/requireTLS"}]']).catch(() => undefined);
    await apply(userManifest(ns, 'lou', { email: 'lou@tls.test' }));
    await waitForUser(ns, 'lou', (u) => condition(u, 'InvitationSent')?.status === 'True', 'InvitationSent=True on loopback');
    expect(local.messagesTo('lou@tls.test')).toEqual([{ to: ['lou@tls.test'], secure: false }]);
    await useSmtp(local, { requireTLS: 'true' });
    await apply(userManifest(ns, 'lea', { email: 'lea@tls.test' }));
    await waitForUser(ns, 'lea', (u) => condition(u, 'InvitationSent')?.reason === 'SmtpTlsRequired', 'InvitationSent=False/SmtpTlsRequired on loopback');
    expect(local.messagesTo('lea@tls.test')).toHaveLength(0);
  });

  it('STARTTLS with a certificate nobody vouches for: SmtpTlsFailed, nothing sent', async () => {
    const tls = await server(cert);
    await useSmtp(tls);
    await apply(userManifest(ns, 'sam', { email: 'sam@tls.test' }));
    const user = await waitForUser(ns, 'sam', (u) => condition(u, 'InvitationSent')?.reason === 'SmtpTlsFailed', 'InvitationSent=False/SmtpTlsFailed');
    expect(condition(user, 'InvitationSent')?.message).toContain('caCert');
    expect(tls.messages).toHaveLength(0);
  });

  it('STARTTLS with the CA in caCert: the email goes out once, encrypted', async () => {
    const tls = await server(cert);
    await useSmtp(tls, { caCert: cert.cert });
    await apply(userManifest(ns, 'tia', { email: 'tia@tls.test' }));
    await waitForUser(ns, 'tia', (u) => condition(u, 'InvitationSent')?.status === 'True', 'InvitationSent=True over STARTTLS');
    expect(tls.messagesTo('tia@tls.test')).toEqual([{ to: ['tia@tls.test'], secure: true }]);
    expect((await getRecord(ns, 'tia'))?.delivery).toBe('sent');
  });
});

describe('nodemailer mailer and TLS', () => {
  const message = { from: { name: 'Blink', address: 'a@blink.test' }, to: 'm@tls.test', subject: 's', text: 't', html: '<p>t</p>', messageId: '<m.2@blink-accounts.invalid>' };

  it('requireTLS against a server without STARTTLS is a certain failure with reason SmtpTlsRequired', async () => {
    const plain = await server();
    const result = await nodemailerMailer().send({ host: plain.host, port: plain.port, secure: false, requireTLS: true, from: 'a@blink.test' }, message);
    expect(result).toMatchObject({ outcome: 'failed', reason: 'SmtpTlsRequired' });
    expect(plain.messages).toHaveLength(0);
  });
});
