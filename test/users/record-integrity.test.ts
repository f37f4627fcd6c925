// What someone who may write Secrets in a tenant namespace (a CI job, a secrets operator, a
// namespace `edit` binding) can do with an invitation record, through the real API server with
// the admin identity: nothing. The record is signed by the operator; an edited one grants nothing
// (no Active phase, no RoleBinding, no access-API answer), takes nothing away (an Active person
// stays Active, is not mailed again) and does not use up the tenant's hourly cap. And one email is
// one person: a second User with the same email gets no invitation, no binding and no answer until
// the first is gone. RBAC (kubectl auth can-i) and the access API (its decision over the same
// operator's caches) are asked alike.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideAuthorize } from '../../operator/access/decide.js';
import { cacheDirectory } from '../../operator/access/directory.js';
import type { Directory } from '../../operator/access/directory.js';
import type { User } from '../../operator/api/index.js';
import { ACCOUNT_KINDS } from '../../operator/api/index.js';
import { INVITATION_SIGNATURE_ANNOTATION, invitationSecretName } from '../../operator/invitations/invitation-record.js';
import type { SecretObject } from '../../operator/invitations/invitation-record.js';
import type { RunningOperator } from '../../operator/operator.js';
import type { KubeObject } from '../../operator/runtime/kinds.js';
import { builtinKinds } from '../../operator/runtime/kinds.js';
import { tenantsFeature } from '../../operator/tenants/feature.js';
import { createUsersFeature } from '../../operator/users/feature.js';
import { eventually, kubectl, useNamespace } from '../harness/kube.js';
import { newShard, startTestOperator } from '../harness/operator.js';
import { acceptOverHttp, condition, getRecord, getUser, linkOf, startTestSmtp, waitForUser } from './fixtures.js';
import type { TestSmtp } from './fixtures.js';
import { adminClient, cleanUp, createTenant, tenantReady, uniqueName } from '../harness/tenant.js';

const operatorNs = useNamespace('integrity-op');
const shard = newShard('integrity');
const client = adminClient();
const tenant = uniqueName('integ');
const ns = `tenant-${tenant}`;
const capped = uniqueName('capped');
const cappedNs = `tenant-${capped}`;
const domain = `${tenant}.example.com`;
let smtp: TestSmtp;
let operator: RunningOperator;
let directory: Directory;

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const startOperator = (): Promise<RunningOperator> => startTestOperator({ shard, namespace: operatorNs.name, smtpSecret: smtp.secret }, [tenantsFeature, createUsersFeature()]);

beforeAll(async () => {
  smtp = await startTestSmtp(operatorNs.name);
  operator = await startOperator();
  directory = cacheDirectory(operator.context, { authenticate: () => ({ ok: false, reason: 'malformed' }) });
  await createTenant(client, tenant, shard);
  await createTenant(client, capped, shard, { invitationEmailsPerHour: 2 });
  await tenantReady(client, tenant);
  await tenantReady(client, capped);
});

afterAll(async () => {
  await kubectl(['delete', 'users', '--all', '-n', ns, '--wait=true', '--timeout=20s']).catch(() => undefined);
  await kubectl(['delete', 'users', '--all', '-n', cappedNs, '--wait=true', '--timeout=20s']).catch(() => undefined);
  await cleanUp(client, [tenant, capped], [ns, cappedNs]);
  await operator?.stop();
  await smtp?.close();
  client.close();
});

/** Creates a User in `namespace`. */
function createUser(namespace: string, name: string, email: string, role: string): Promise<KubeObject> {
  return client.create(ACCOUNT_KINDS.user, { metadata: { name, namespace }, spec: { email, role } });
}

/** May `email` create Users in the tenant, by Kubernetes RBAC (only Admins may)? */
const rbacMayCreateUsers = (email: string): Promise<boolean> =>
  kubectl(['auth', 'can-i', 'create', 'users.accounts.blinkops.com', '-n', ns, `--as=${email}`]).then(
    () => true,
    () => false,
  );
/** May `email` change the tenant's settings, by the access API (only Admins may)? */
const apiAllowsSettings = (email: string): { allowed: boolean; reason: string } => decideAuthorize(directory, { tenant, principal: { user: email }, action: 'settings' });
/** Does the access API know `email` as an Active principal (any role may use the portal)? */
const apiAllowsPortal = (email: string): { allowed: boolean; reason: string } => decideAuthorize(directory, { tenant, principal: { user: email }, action: 'portal' });
const bound = (namespace: string, user: string): Promise<boolean> => client.get(builtinKinds.roleBinding, namespace, `blink-user-${user}`).then(() => true, () => false);
const readyReason = async (namespace: string, name: string): Promise<string | undefined> => condition(await getUser(namespace, name), 'Ready')?.reason;

/** Warning Events about a User with `reason`. */
async function warnings(namespace: string, user: string, reason: string): Promise<string[]> {
  const events = await client.list<KubeObject & { type?: string; reason?: string; note?: string; regarding?: { name?: string } }>(builtinKinds.event, { namespace });
  return events.items.filter((e) => e.type === 'Warning' && e.reason === reason && e.regarding?.name === user).map((e) => e.note ?? '');
}

/** Merge-patches the data of a User's invitation record with the admin identity. */
async function patchRecord(namespace: string, user: string, data: Record<string, string>): Promise<void> {
  await client.patch(builtinKinds.secret, namespace, invitationSecretName(user), { data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])) });
}

/** Waits for the invitation email to `email` (the `count`-th) and accepts its link over HTTP. */
async function acceptInvitation(email: string, count = 1): Promise<void> {
  const link = linkOf(await smtp.waitForMessage(email, count));
  const answer = await acceptOverHttp(link);
  expect(answer.status).toBe(200);
}

/** Waits until nothing has changed for a moment, then counts the emails to `email`. */
async function emailsTo(email: string): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  return (await smtp.messagesTo(email)).length;
}

describe('an edited invitation record steers nothing', () => {
  it('a record patched to accepted makes nobody Active: InvitationRecordTampered, no RoleBinding, the access API denies; a resend then works', async () => {
    const ivy = `ivy@${domain}`;
    await createUser(ns, 'ivy', ivy, 'Admin');
    const link = linkOf(await smtp.waitForMessage(ivy));
    await waitForUser(ns, 'ivy', (u) => condition(u, 'InvitationSent')?.status === 'True', 'invitation sent');

    await patchRecord(ns, 'ivy', { state: 'accepted', acceptedAt: '2026-01-01T00:00:00Z' });
    const user = await waitForUser(ns, 'ivy', (u) => condition(u, 'Ready')?.reason === 'InvitationRecordTampered', 'Ready=False InvitationRecordTampered');
    expect(user.status?.phase).toBe('Invited');
    expect(user.status?.acceptedAt).toBeUndefined();
    expect(condition(user, 'Ready')?.message).toContain('Increase spec.invitation.resend');
    // Given time, still nothing: no binding, RBAC and the access API both say no.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await getUser(ns, 'ivy')).status?.phase).toBe('Invited');
    expect(await bound(ns, 'ivy')).toBe(false);
    expect(await rbacMayCreateUsers(ivy)).toBe(false);
    expect(apiAllowsPortal(ivy)).toMatchObject({ allowed: false });
    expect(await eventually(async () => ((await warnings(ns, 'ivy', 'InvitationRecordTampered')).length > 0 ? true : undefined), 10_000, 'a Warning Event')).toBe(true);
    // The link of an edited record is no link at all; no email was sent of the operator's own accord.
    expect((await fetch(link)).status).toBe(404);
    expect(await emailsTo(ivy)).toBe(1);

    // The next step follows from the spec: a raised resend counter sends a new, signed invitation.
    await client.patch(ACCOUNT_KINDS.user, ns, 'ivy', { spec: { invitation: { resend: 1 } } });
    await acceptInvitation(ivy, 2);
    await waitForUser(ns, 'ivy', (u) => u.status?.phase === 'Active' && condition(u, 'Ready')?.status === 'True', 'Active after accepting the new link');
    await eventually(async () => ((await bound(ns, 'ivy')) && apiAllowsSettings(ivy).allowed ? true : undefined), 15_000, 'ivy bound and allowed');
    expect(await rbacMayCreateUsers(ivy)).toBe(true);
  });

  it('a forged revoked (and a changed expiry) on an Active user takes nothing away: still Active and bound, no email', async () => {
    const ada = `ada@${domain}`;
    await createUser(ns, 'ada', ada, 'Admin');
    await acceptInvitation(ada);
    await waitForUser(ns, 'ada', (u) => u.status?.phase === 'Active', 'Active');
    await eventually(async () => ((await bound(ns, 'ada')) ? true : undefined), 15_000, 'ada bound');

    await patchRecord(ns, 'ada', { state: 'revoked', expiresAt: '2000-01-01T00:00:00Z' });
    const user = await waitForUser(ns, 'ada', (u) => condition(u, 'Ready')?.reason === 'InvitationRecordTampered', 'Ready=False InvitationRecordTampered');
    expect(user.status?.phase).toBe('Active');
    expect(condition(user, 'Ready')?.message).toContain('keeps the phase');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await getUser(ns, 'ada')).status?.phase).toBe('Active');
    expect(await bound(ns, 'ada')).toBe(true);
    expect(apiAllowsSettings(ada)).toMatchObject({ allowed: true });
    expect(await emailsTo(ada)).toBe(1);

    // Deleting the edited record has the operator write it again, signed, from status.
    await client.delete(builtinKinds.secret, ns, invitationSecretName('ada'));
    await waitForUser(ns, 'ada', (u) => u.status?.phase === 'Active' && condition(u, 'Ready')?.reason === 'Active', 'Ready=True again');
    expect((await getRecord(ns, 'ada'))?.state).toBe('accepted');
    expect(await emailsTo(ada)).toBe(1);
  });

  it("deleting an Invited user's record does not make the operator mail the person again of its own accord", async () => {
    const dee = `dee@${domain}`;
    await createUser(ns, 'dee', dee, 'Builder');
    await smtp.waitForMessage(dee);
    await waitForUser(ns, 'dee', (u) => u.status?.invitation?.recordSigned === true && condition(u, 'InvitationSent')?.status === 'True', 'invitation sent');
    await client.delete(builtinKinds.secret, ns, invitationSecretName('dee'));
    const user = await waitForUser(ns, 'dee', (u) => condition(u, 'Ready')?.reason === 'InvitationRecordTampered', 'Ready=False InvitationRecordTampered');
    expect(user.status?.phase).toBe('Invited');
    expect(await emailsTo(dee)).toBe(1);
    expect(await getRecord(ns, 'dee')).toBeUndefined();
    // The admin asks for a new one: it goes.
    await client.patch(ACCOUNT_KINDS.user, ns, 'dee', { spec: { invitation: { resend: 1 } } });
    await smtp.waitForMessage(dee, 2);
    await waitForUser(ns, 'dee', (u) => condition(u, 'Ready')?.reason === 'InvitationPending', 'InvitationPending again');
  });

  it("deleting the record while the first email is on its way, before status records the invitation: no second email", async () => {
    // The 250 is held, so the record says "sending" and the User's one status write (after the
    // email's outcome) has not happened: only the operator's memory says the record was signed.
    const eve = `eve@${domain}`;
    smtp.server.setDelay(3_000);
    try {
      await createUser(ns, 'eve', eve, 'Builder');
      await smtp.waitForMessage(eve);
      expect((await getUser(ns, 'eve')).status?.invitation).toBeUndefined();
      await client.delete(builtinKinds.secret, ns, invitationSecretName('eve'));
    } finally {
      smtp.server.setDelay(0);
    }
    const user = await waitForUser(ns, 'eve', (u) => condition(u, 'Ready')?.reason === 'InvitationRecordTampered', 'Ready=False InvitationRecordTampered');
    expect(user.status?.phase).toBe('Invited');
    expect(user.status?.invitation?.recordSigned).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await emailsTo(eve)).toBe(1);
    expect(await getRecord(ns, 'eve')).toBeUndefined();
    expect(await bound(ns, 'eve')).toBe(false);
  });

  it("a stuffed email history, or a made-up record, does not use up the tenant's hourly cap", async () => {
    const sam = `sam@${capped}.example.com`;
    await createUser(cappedNs, 'sam', sam, 'Builder');
    await smtp.waitForMessage(sam);
    await waitForUser(cappedNs, 'sam', (u) => condition(u, 'InvitationSent')?.status === 'True', 'invitation sent');
    // Fifty emails "sent" in the last minute, in sam's record and in a record nobody signed.
    const now = Date.now();
    const stuffed = Array.from({ length: 50 }, (_, i) => `Stuffed${String(i).padStart(5, '0')}:${now - i * 1_000}`).join(';');
    await patchRecord(cappedNs, 'sam', { recentEmails: stuffed });
    await client.create(builtinKinds.secret, {
      metadata: {
        name: invitationSecretName('ghost'),
        namespace: cappedNs,
        labels: { 'app.kubernetes.io/managed-by': 'blink-accounts-operator', 'app.kubernetes.io/component': 'invitation', 'accounts.blinkops.com/tenant': capped, 'accounts.blinkops.com/user': 'ghost' },
      },
      type: 'accounts.blinkops.com/invitation',
      data: { invitationId: b64('Ghost0000001'), email: b64('ghost@example.com'), issuedAt: b64('2026-01-01T00:00:00Z'), expiresAt: b64('2099-01-01T00:00:00Z'), state: b64('pending'), delivery: b64('sent'), recentEmails: b64(stuffed) },
    } as SecretObject);
    await waitForUser(cappedNs, 'sam', (u) => condition(u, 'Ready')?.reason === 'InvitationRecordTampered', 'sam tampered');

    // The cap is 2 and one email went out: the next one goes.
    const tom = `tom@${capped}.example.com`;
    await createUser(cappedNs, 'tom', tom, 'Builder');
    await smtp.waitForMessage(tom, 1, 15_000);
    const after = await waitForUser(cappedNs, 'tom', (u) => condition(u, 'InvitationSent')?.status === 'True', 'tom invited');
    expect(condition(after, 'InvitationSent')?.reason).toBe('Sent');
    expect(await emailsTo(sam)).toBe(1);
  });

  it('an unsigned record from before signatures: an accepted person is signed again from status; one that only says accepted grants nothing', async () => {
    const una = `una@${domain}`;
    const vic = `vic@${domain}`;
    await createUser(ns, 'una', una, 'Builder');
    await acceptInvitation(una);
    await waitForUser(ns, 'una', (u) => u.status?.phase === 'Active', 'una Active');
    await createUser(ns, 'vic', vic, 'Builder');
    await smtp.waitForMessage(vic);
    await waitForUser(ns, 'vic', (u) => u.status?.invitation?.recordSigned === true && condition(u, 'InvitationSent')?.status === 'True', 'vic invited');

    // What an older operator left: records without a signature, status without the mark of one.
    await operator.stop();
    const strip = async (name: string, data: Record<string, string>): Promise<void> => {
      await client.patch(builtinKinds.secret, ns, invitationSecretName(name), { metadata: { annotations: { [INVITATION_SIGNATURE_ANNOTATION]: null } }, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])) });
    };
    await strip('una', {});
    await strip('vic', { state: 'accepted', acceptedAt: '2026-01-01T00:00:00Z' });
    await client.patch(ACCOUNT_KINDS.user, ns, 'vic', { status: { invitation: { recordSigned: null } } }, { subresource: 'status' });
    operator = await startOperator();
    directory = cacheDirectory(operator.context, { authenticate: () => ({ ok: false, reason: 'malformed' }) });

    await eventually(async () => ((await client.get<SecretObject>(builtinKinds.secret, ns, invitationSecretName('una'))).metadata?.annotations?.[INVITATION_SIGNATURE_ANNOTATION] ? true : undefined), 15_000, "una's record signed again");
    expect((await getUser(ns, 'una')).status?.phase).toBe('Active');
    expect(await readyReason(ns, 'una')).toBe('Active');
    const user: User = await waitForUser(ns, 'vic', (u) => condition(u, 'Ready')?.reason === 'InvitationRecordTampered', 'vic tampered');
    expect(user.status?.phase).toBe('Invited');
    expect(await bound(ns, 'vic')).toBe(false);
    expect(apiAllowsPortal(vic)).toMatchObject({ allowed: false });
    expect(await emailsTo(una)).toBe(1);
    expect(await emailsTo(vic)).toBe(1);
  });
});

describe('one email is one person per tenant', () => {
  const kate = `kate@${domain}`;
  const KATE = kate.toUpperCase();
  /** Emails to kate's address in any case. */
  const emailsToKate = async (): Promise<number> => {
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    return (await smtp.server.messages()).filter((m) => m.to.some((to) => to.toLowerCase().includes(kate))).length;
  };

  it('a second User with the same email (other case) is DuplicateEmail: no invitation, no binding, and RBAC and the access API answer alike for the owner', async () => {
    await createUser(ns, 'kate', kate, 'Consumer');
    await acceptInvitation(kate);
    await waitForUser(ns, 'kate', (u) => u.status?.phase === 'Active', 'kate Active');
    await eventually(async () => ((await bound(ns, 'kate')) ? true : undefined), 15_000, 'kate bound');

    await createUser(ns, 'kate-admin', KATE, 'Admin');
    const dup = await waitForUser(ns, 'kate-admin', (u) => condition(u, 'Ready')?.reason === 'DuplicateEmail', 'Ready=False DuplicateEmail');
    expect(condition(dup, 'Ready')?.message).toContain('User "kate"');
    expect(dup.status?.phase).toBe('Invited');
    expect(dup.status?.invitation).toBeUndefined();
    expect(await emailsToKate()).toBe(1);
    expect(await getRecord(ns, 'kate-admin')).toBeUndefined();
    expect(await bound(ns, 'kate-admin')).toBe(false);
    // Both judges: a Consumer, not an Admin.
    expect(await rbacMayCreateUsers(kate)).toBe(false);
    expect(apiAllowsSettings(kate)).toMatchObject({ allowed: false });
    expect(apiAllowsPortal(kate)).toMatchObject({ allowed: true });
  });

  it('when the owner is deleted, the other one takes over through the normal invitation', async () => {
    await client.delete(ACCOUNT_KINDS.user, ns, 'kate');
    await eventually(async () => ((await bound(ns, 'kate')) ? undefined : true), 15_000, "kate's binding to go");
    const second = await eventually(async () => (await smtp.server.messages()).filter((m) => m.to.some((to) => to.toLowerCase().includes(kate)))[1], 30_000, 'the invitation of kate-admin');
    expect((await acceptOverHttp(linkOf(second))).status).toBe(200);
    expect(await emailsToKate()).toBe(2);
    await waitForUser(ns, 'kate-admin', (u) => u.status?.phase === 'Active' && condition(u, 'Ready')?.status === 'True', 'kate-admin Active');
    await eventually(async () => ((await bound(ns, 'kate-admin')) && apiAllowsSettings(kate).allowed ? true : undefined), 15_000, 'kate-admin bound and allowed');
    expect(await rbacMayCreateUsers(kate)).toBe(true);
  });
});
