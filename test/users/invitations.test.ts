// The invitation lifecycle end to end: a User is applied, an email arrives over real SMTP,
// the link is opened in headless Chromium and accepted, and kubectl sees the phase change.
// Then resend, deactivate/re-activate, cancel, expiry, missing references, memberships.
import { randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningOperator } from '../../operator/operator.js';
import { builtinKinds } from '../../operator/runtime/kinds.js';
import { membershipsFeature } from '../../operator/memberships/feature.js';
import { createUsersFeature } from '../../operator/users/feature.js';
import { eventually, kubectl, useNamespace } from '../harness/kube.js';
import { newShard, startTestOperator } from '../harness/operator.js';
import {
  acceptOverHttp,
  apply,
  condition,
  getRecord,
  getUser,
  launchChromium,
  linkOf,
  shiftableClock,
  startTestSmtp,
  userManifest,
  waitForUser,
} from './fixtures.js';
import type { TestSmtp } from './fixtures.js';
import { adminClient, createTenantWithNamespace, deleteTenant } from '../harness/tenant.js';

const operatorNs = useNamespace('users-op');
const shard = newShard('users');
const suffix = randomBytes(3).toString('hex');
const tenantName = `acme-${suffix}`;
const shortTenantName = `brief-${suffix}`;
const clock = shiftableClock();
let ns: string;
let shortNs: string;
let smtp: TestSmtp;
let operator: RunningOperator;
let browser: Browser;

beforeAll(async () => {
  smtp = await startTestSmtp(operatorNs.name);
  ns = await createTenantWithNamespace(adminClient(), { shard, name: tenantName, spec: { displayName: 'Acme Corp' } });
  shortNs = await createTenantWithNamespace(adminClient(), { shard, name: shortTenantName, spec: { displayName: 'Brief Inc', invitationTTL: '1m' } });
  operator = await startTestOperator({ shard, namespace: operatorNs.name, smtpSecret: smtp.secret }, [createUsersFeature({ clock }), membershipsFeature]);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await kubectl(['delete', 'users', '--all', '-n', ns, '--wait=true', '--timeout=20s']).catch(() => undefined);
  await kubectl(['delete', 'users', '--all', '-n', shortNs, '--wait=true', '--timeout=20s']).catch(() => undefined);
  await operator?.stop();
  await smtp?.close();
  await deleteTenant(adminClient(), tenantName);
  await deleteTenant(adminClient(), shortTenantName);
});

async function waitPhase(namespace: string, name: string, phase: string): Promise<void> {
  await kubectl(['wait', `--for=jsonpath={.status.phase}=${phase}`, `user/${name}`, '-n', namespace, '--timeout=30s']);
}

describe('invitations', () => {
  it('emails a multipart invitation, accepts it in Chromium, and the User becomes Active with exactly its memberships', async () => {
    await apply(
      { apiVersion: 'accounts.blinkops.com/v1alpha1', kind: 'Group', metadata: { name: 'devs', namespace: ns }, spec: {} },
      { apiVersion: 'accounts.blinkops.com/v1alpha1', kind: 'Group', metadata: { name: 'ops', namespace: ns }, spec: {} },
      { apiVersion: 'accounts.blinkops.com/v1alpha1', kind: 'Workspace', metadata: { name: 'prod', namespace: ns }, spec: {} },
      { apiVersion: 'accounts.blinkops.com/v1alpha1', kind: 'Workspace', metadata: { name: 'staging', namespace: ns }, spec: {} },
      { apiVersion: 'accounts.blinkops.com/v1alpha1', kind: 'Workspace', metadata: { name: 'other', namespace: ns }, spec: {} },
    );
    await apply(userManifest(ns, 'jane', { email: 'jane@acme.test', displayName: 'Jane Doe', role: 'Builder', groups: ['devs'], workspaces: ['prod', 'staging'] }));

    const message = await smtp.waitForMessage('jane@acme.test');
    expect(message.subject).toBe('You are invited to join “Acme Corp” on Blink');
    expect(message.from).toContain('accounts@blink.test');
    expect(message.text).toContain('Hello Jane Doe');
    expect(message.text).toMatch(/Role:\s+Builder/);
    expect(message.text).toMatch(/Workspaces:\s+prod, staging/);
    const link = linkOf(message);
    expect(link.startsWith(`${operator.url}/invitations/blink_inv_`)).toBe(true);
    // A boolean, so that a failure does not print the token.
    expect(message.html.includes(`href="${link}"`)).toBe(true);
    expect(message.messageId).toMatch(/^<invitation\.[A-Za-z0-9]{12}@blink-accounts\.invalid>$/);

    const invited = await waitForUser(ns, 'jane', (u) => condition(u, 'InvitationSent')?.status === 'True', 'InvitationSent=True');
    expect(invited.status?.phase).toBe('Invited');
    expect(invited.status?.invitation?.id).toBe(message.messageId?.slice('<invitation.'.length, '<invitation.'.length + 12));
    expect(JSON.stringify(invited.status)).not.toContain(link.split('/invitations/')[1]);

    const page = await browser.newPage();
    const response = await page.goto(link);
    expect(response?.status()).toBe(200);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Join Acme Corp on Blink');
    expect(await page.locator('dl').textContent()).toContain('prod, staging');
    await page.getByRole('button', { name: 'Accept invitation' }).click();
    await page.waitForURL(link);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Invitation accepted');
    await page.close();

    await waitPhase(ns, 'jane', 'Active');
    const active = await getUser(ns, 'jane');
    expect(active.status?.groups).toEqual(['devs']);
    expect(active.status?.workspaces).toEqual(['prod', 'staging']);
    expect(active.status?.acceptedAt).toBeDefined();
    expect(condition(active, 'Ready')).toMatchObject({ status: 'True', reason: 'Active' });
    expect((await getRecord(ns, 'jane'))?.state).toBe('accepted');

    // Group and Workspace list their members.
    await eventually(async () => {
      const { stdout } = await kubectl(['get', 'groups.accounts.blinkops.com', 'devs', '-n', ns, '-o', 'jsonpath={.status.users}']);
      return stdout.includes('jane') ? true : undefined;
    }, 15_000, 'Group devs lists jane');
    const { stdout: otherUsers } = await kubectl(['get', 'workspaces.accounts.blinkops.com', 'other', '-n', ns, '-o', 'jsonpath={.status.users}']);
    expect(otherUsers).not.toContain('jane');

    // The link is single-use.
    const again = await fetch(link);
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('This invitation link is not valid');
    expect((await smtp.messagesTo('jane@acme.test')).length).toBe(1);
  });

  it('deactivates (Inactive) and re-activates (Active) without a new email', async () => {
    await kubectl(['patch', 'user', 'jane', '-n', ns, '--type=merge', '-p', '{"spec":{"active":false}}']);
    await waitPhase(ns, 'jane', 'Inactive');
    expect(condition(await getUser(ns, 'jane'), 'Ready')).toMatchObject({ status: 'True', reason: 'Inactive' });
    await kubectl(['patch', 'user', 'jane', '-n', ns, '--type=merge', '-p', '{"spec":{"active":true}}']);
    await waitPhase(ns, 'jane', 'Active');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await smtp.messagesTo('jane@acme.test')).length).toBe(1);
  });

  it('acceptance is durable: a User restored without status, with no operator running at deletion, comes back Active without an email', async () => {
    const acceptedAt = (await getRecord(ns, 'jane'))?.acceptedAt;
    expect(acceptedAt).toBeDefined();
    await operator.stop();
    // A backup restore: the object is gone (its finalizer never ran) and comes back from its manifest, without status.
    await kubectl(['patch', 'user', 'jane', '-n', ns, '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
    await kubectl(['delete', 'user', 'jane', '-n', ns, '--timeout=30s']);
    await apply(userManifest(ns, 'jane', { email: 'jane@acme.test', displayName: 'Jane Doe', role: 'Builder', groups: ['devs'], workspaces: ['prod', 'staging'] }));
    expect((await getUser(ns, 'jane')).status).toBeUndefined();
    operator = await startTestOperator({ shard, namespace: operatorNs.name, smtpSecret: smtp.secret }, [createUsersFeature({ clock }), membershipsFeature]);
    await waitPhase(ns, 'jane', 'Active');
    expect((await getUser(ns, 'jane')).status?.acceptedAt).toBe(acceptedAt);

    // Status wiped in place: derived again from the record.
    await kubectl(['patch', 'user', 'jane', '-n', ns, '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Invited","acceptedAt":null}}']);
    await waitForUser(ns, 'jane', (u) => u.status?.phase === 'Active' && u.status.acceptedAt === acceptedAt, 'Active again from the record');
    expect((await smtp.messagesTo('jane@acme.test')).length).toBe(1);
  });

  it('resends: a new link, the old one dead, a new expiry; the new link works', async () => {
    await apply(userManifest(ns, 'bob', { email: 'bob@acme.test', role: 'Consumer', workspaces: ['prod'] }));
    const first = linkOf(await smtp.waitForMessage('bob@acme.test', 1));
    const before = await waitForUser(ns, 'bob', (u) => condition(u, 'InvitationSent')?.status === 'True', 'first invitation sent');

    await kubectl(['patch', 'user', 'bob', '-n', ns, '--type=merge', '-p', '{"spec":{"invitation":{"resend":1}}}']);
    const second = linkOf(await smtp.waitForMessage('bob@acme.test', 2));
    expect(second).not.toBe(first);
    const after = await waitForUser(ns, 'bob', (u) => u.status?.invitation?.resend === 1 && condition(u, 'InvitationSent')?.status === 'True', 'resend acted on');
    expect(after.status?.invitation?.id).not.toBe(before.status?.invitation?.id);

    const old = await fetch(first);
    expect(old.status).toBe(404);
    expect(await old.text()).toContain('This invitation link is not valid');
    const accepted = await acceptOverHttp(second);
    expect(accepted.status).toBe(200);
    await waitPhase(ns, 'bob', 'Active');
    expect((await smtp.messagesTo('bob@acme.test')).length).toBe(2);
  });

  it('deactivating before acceptance revokes the link; re-activating sends a fresh invitation', async () => {
    await apply(userManifest(ns, 'carol', { email: 'carol@acme.test' }));
    const first = linkOf(await smtp.waitForMessage('carol@acme.test', 1));
    await kubectl(['patch', 'user', 'carol', '-n', ns, '--type=merge', '-p', '{"spec":{"active":false}}']);
    await waitPhase(ns, 'carol', 'Inactive');
    await eventually(async () => ((await getRecord(ns, 'carol'))?.state === 'revoked' ? true : undefined), 15_000, 'record revoked');
    expect((await fetch(first)).status).toBe(404);

    await kubectl(['patch', 'user', 'carol', '-n', ns, '--type=merge', '-p', '{"spec":{"active":true}}']);
    const second = linkOf(await smtp.waitForMessage('carol@acme.test', 2));
    await waitPhase(ns, 'carol', 'Invited');
    expect(second).not.toBe(first);
    expect((await fetch(second)).status).toBe(200);
  });

  it('deleting an Invited user kills its link and removes its record', async () => {
    await apply(userManifest(ns, 'dave', { email: 'dave@acme.test' }));
    const link = linkOf(await smtp.waitForMessage('dave@acme.test'));
    expect((await fetch(link)).status).toBe(200);
    await kubectl(['delete', 'user', 'dave', '-n', ns, '--timeout=30s']);
    expect(await getRecord(ns, 'dave')).toBeUndefined();
    await eventually(async () => ((await fetch(link)).status === 404 ? true : undefined), 10_000, 'link dead');
  });

  it('removing a user never deletes a Secret of someone else that has the record name', async () => {
    // Created inactive: no invitation, so no record of the operator's with that name.
    await apply(userManifest(ns, 'zed', { email: 'zed@acme.test', active: false }));
    await waitPhase(ns, 'zed', 'Inactive');
    await adminClient().create(builtinKinds.secret, { metadata: { name: 'blink-invitation-zed', namespace: ns }, type: 'Opaque', data: { note: Buffer.from('not the operator\'s').toString('base64') } } as never);
    await kubectl(['delete', 'user', 'zed', '-n', ns, '--timeout=30s']);
    const kept = (await adminClient().get(builtinKinds.secret, ns, 'blink-invitation-zed')) as { data?: Record<string, string> };
    expect(Object.keys(kept.data ?? {})).toEqual(['note']);
    await adminClient().delete(builtinKinds.secret, ns, 'blink-invitation-zed');
  });

  it('reports missing Groups and Workspaces, and resolves them once they exist', async () => {
    await apply(userManifest(ns, 'erin', { email: 'erin@acme.test', groups: ['devs', 'ghosts'], workspaces: ['nowhere'] }));
    const user = await waitForUser(ns, 'erin', (u) => condition(u, 'ReferencesResolved')?.status === 'False', 'ReferencesResolved=False');
    expect(condition(user, 'ReferencesResolved')).toMatchObject({ reason: 'MissingReferences', message: 'Group "ghosts" does not exist; Workspace "nowhere" does not exist' });
    expect(user.status?.groups).toEqual(['devs']);
    expect(user.status?.workspaces).toEqual([]);
    await apply(
      { apiVersion: 'accounts.blinkops.com/v1alpha1', kind: 'Group', metadata: { name: 'ghosts', namespace: ns }, spec: {} },
      { apiVersion: 'accounts.blinkops.com/v1alpha1', kind: 'Workspace', metadata: { name: 'nowhere', namespace: ns }, spec: {} },
    );
    const resolved = await waitForUser(ns, 'erin', (u) => condition(u, 'ReferencesResolved')?.status === 'True', 'ReferencesResolved=True');
    expect(resolved.status?.groups).toEqual(['devs', 'ghosts']);
    expect(resolved.status?.workspaces).toEqual(['nowhere']);
  });

  it('an expired link gets a clear page; the phase stays Invited and a condition says expired', async () => {
    await apply(userManifest(shortNs, 'frank', { email: 'frank@brief.test' }));
    const link = linkOf(await smtp.waitForMessage('frank@brief.test'));
    // The email goes out from the send queue, so status may say InvitationExpired=False (record
    // prepared) a moment before it records the send: wait for the sent time too.
    const sent = await waitForUser(shortNs, 'frank', (u) => condition(u, 'InvitationExpired')?.status === 'False' && u.status?.invitation?.sentAt !== undefined, 'InvitationExpired=False and the send recorded');
    expect(Date.parse(sent.status?.invitation?.expiresAt ?? '') - Date.parse(sent.status?.invitation?.sentAt ?? '')).toBeLessThanOrEqual(60_000);
    // invitationTTL is at least 1m by schema: move the operator's clock past it instead of waiting.
    clock.shift(2 * 60_000);
    try {
      const page = await fetch(link);
      expect(page.status).toBe(410);
      expect(await page.text()).toContain('This invitation has expired');
      await kubectl(['annotate', 'user', 'frank', '-n', shortNs, 'test/poke=1']);
      const expired = await waitForUser(shortNs, 'frank', (u) => condition(u, 'InvitationExpired')?.status === 'True', 'InvitationExpired=True');
      expect(expired.status?.phase).toBe('Invited');
      expect(condition(expired, 'InvitationExpired')?.message).toContain('spec.invitation.resend');
    } finally {
      clock.reset();
    }
  });
});
