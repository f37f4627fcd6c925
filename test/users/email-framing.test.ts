// A tenant's display name reaches everyone it invites: through the real operator
// and real SMTP, a display name that is a phishing URL arrives quoted as the
// tenant's words, cut short, and in neither part as a link or as text a mail
// client would turn into one. The acceptance link stays the only link.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningOperator } from '../../operator/operator.js';
import { createUsersFeature } from '../../operator/users/feature.js';
import { kubectl, useNamespace } from '../harness/kube.js';
import { newShard, startTestOperator } from '../harness/operator.js';
import { apply, linkOf, startTestSmtp, userManifest } from './fixtures.js';
import type { TestSmtp } from './fixtures.js';
import { adminClient, createTenantWithNamespace, deleteTenant } from '../harness/tenant.js';

const operatorNs = useNamespace('email-framing');
const shard = newShard('email-framing');
const tenantName = `lure-${randomBytes(3).toString('hex')}`;
/** Admissible (no control character), and a lure: a URL, a domain and an address. */
const LURE = 'Account locked: sign in at https://evil.example/login or www.evil.example, mail ceo@evil.example';
/** Anything a mail client would turn into a link: a scheme, or a domain-like word.word. */
const LINKABLE = /[a-z][a-z0-9+.-]*:\/\/|[\p{L}\p{N}-][.\u3002\uFF0E\uFF61][\p{L}\p{N}]/iu;
let ns: string;
let smtp: TestSmtp;
let operator: RunningOperator;

beforeAll(async () => {
  smtp = await startTestSmtp(operatorNs.name);
  ns = await createTenantWithNamespace(adminClient(), { shard, name: tenantName, spec: { displayName: LURE } });
  operator = await startTestOperator({ shard, namespace: operatorNs.name, smtpSecret: smtp.secret }, [createUsersFeature()]);
});
afterAll(async () => {
  await kubectl(['delete', 'users', '--all', '-n', ns, '--wait=true', '--timeout=20s']).catch(() => undefined);
  await operator?.stop();
  await smtp?.close();
  await deleteTenant(adminClient(), tenantName);
});

describe('the invitation email of a tenant whose display name is a URL', () => {
  it('quotes it as the tenant\'s words, short, and links nothing but the acceptance link', async () => {
    await apply(userManifest(ns, 'pat', { email: 'pat@lure.test', displayName: 'Pat (see www.evil.example)', role: 'Consumer' }));
    const message = await smtp.waitForMessage('pat@lure.test');
    const link = linkOf(message);

    expect(message.subject).toBe('You are invited to join “Account locked: sign in at https[:]//evil[.]example/login or ww…” on Blink');
    expect(message.text).toContain('Names in quotes are as “Account locked');
    // Text part: the link is the only linkable text (the invitee's own address aside).
    const text = message.text.replace(link, '').replace(/pat@lure\.test/g, '');
    expect(text).not.toMatch(LINKABLE);
    expect(text).toContain('www[.]evil[.]example');
    // HTML part: every href is the acceptance link, and no visible text would be linked.
    const hrefs = new Set([...message.html.matchAll(/href="([^"]*)"/g)].map((m) => (m[1] ?? '').replaceAll('&amp;', '&')));
    expect(hrefs).toEqual(new Set([link]));
    const visible = message.html.replace(/<[^>]*>/g, ' ').replaceAll(link, '').replace(/pat@lure\.test/g, '');
    expect(visible).not.toMatch(LINKABLE);
  });
});
