// What happens to a person the identity provider provisions, with the whole
// operator (every feature but observability, a real SMTP server): lifecycle
// ActiveAtOnce makes them Active without an email, and the access API allows
// them; the default, Invite, emails an invitation as for any User; active false
// takes access away at once (access API and RoleBinding, within a second),
// active true gives it back (no email), DELETE removes the User with its
// RoleBinding and invitation record.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_KINDS } from '../../operator/api/index.js';
import { accessApiFeature } from '../../operator/access/feature.js';
import { membershipsFeature } from '../../operator/memberships/feature.js';
import { serviceAccountsFeature } from '../../operator/service-accounts/feature.js';
import type { RunningOperator } from '../../operator/operator.js';
import { builtinKinds } from '../../operator/runtime/kinds.js';
import type { KubeObject } from '../../operator/runtime/kinds.js';
import { scimFeature } from '../../operator/scim/feature.js';
import { tenantsFeature } from '../../operator/tenants/feature.js';
import { usersFeature } from '../../operator/users/feature.js';
import { accessApiToken } from '../harness/access.js';
import { eventually, useNamespace } from '../harness/kube.js';
import { newShard, startTestOperator } from '../harness/operator.js';
import { adminClient, cleanUp, createTenant, tenantReady, uniqueName } from '../harness/tenant.js';
import { startTestSmtp } from '../users/fixtures.js';
import type { TestSmtp } from '../users/fixtures.js';
import { oktaUser, scimClient, scimEndpoint } from './client.js';
import type { ScimClient } from './client.js';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const operatorNs = useNamespace('scim-op');
const shard = newShard('scim-life');
const client = adminClient();
const vouched = uniqueName('scim-now');
const invited = uniqueName('scim-inv');
let smtp: TestSmtp;
let operator: RunningOperator;
let now: ScimClient;
let invite: ScimClient;
let callerToken = '';

type UserObject = KubeObject & { status?: { phase?: string; acceptedAt?: string } };

const phaseOf = async (namespace: string, name: string) => (await client.get<UserObject>(ACCOUNT_KINDS.user, namespace, name).catch(() => undefined))?.status?.phase;
/** Whether the access API lets the person use the portal now. */
async function portalAllowed(tenant: string, email: string): Promise<boolean> {
  const res = await fetch(`${operator.accessApiUrl}/api/v1/authorize`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${callerToken}` },
    body: JSON.stringify({ tenant, principal: { user: email }, action: 'portal' }),
  });
  return ((await res.json()) as { allowed?: boolean }).allowed === true;
}
const bindings = async (namespace: string, user: string) => (await client.list(builtinKinds.roleBinding, { namespace, query: { labelSelector: `accounts.blinkops.com/user=${user}` } })).items;

beforeAll(async () => {
  smtp = await startTestSmtp(operatorNs.name);
  operator = await startTestOperator({ shard, namespace: operatorNs.name, smtpSecret: smtp.secret }, [tenantsFeature, serviceAccountsFeature, usersFeature, membershipsFeature, accessApiFeature, scimFeature]);
  await createTenant(client, vouched, shard, { provisioning: { scim: { enabled: true, lifecycle: 'ActiveAtOnce' } } });
  await createTenant(client, invited, shard, { provisioning: { scim: { enabled: true } } });
  await tenantReady(client, vouched);
  await tenantReady(client, invited);
  const a = await scimEndpoint(client, vouched, `tenant-${vouched}`);
  const b = await scimEndpoint(client, invited, `tenant-${invited}`);
  callerToken = await accessApiToken();
  now = scimClient(a.baseUrl, a.token);
  invite = scimClient(b.baseUrl, b.token);
}, 60_000);

afterAll(async () => {
  await operator?.stop();
  await smtp?.close();
  await cleanUp(client, [vouched, invited], [`tenant-${vouched}`, `tenant-${invited}`]);
});

describe('lifecycle ActiveAtOnce', () => {
  it('makes a provisioned person Active without an email; active false takes access away (access API and RoleBinding) within a second; true gives it back; DELETE removes everything', async () => {
    const ns = `tenant-${vouched}`;
    const created = await now.post('/Users', oktaUser('vouched@example.com'));
    expect(created.status).toBe(201);
    const id = String(created.body['id']);
    await eventually(async () => ((await phaseOf(ns, 'vouched')) === 'Active' ? true : undefined), 15_000, 'vouched to be Active');
    await eventually(async () => ((await bindings(ns, 'vouched')).length === 1 ? true : undefined), 15_000, 'the RoleBinding of vouched');
    expect(await smtp.messagesTo('vouched@example.com')).toEqual([]);
    await eventually(async () => ((await portalAllowed(vouched, 'vouched@example.com')) ? true : undefined), 15_000, 'the access API to allow vouched');

    const started = Date.now();
    expect((await now.patch(`/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] })).status).toBe(200);
    await eventually(async () => ((await portalAllowed(vouched, 'vouched@example.com')) ? undefined : true), 5_000, 'the access API to deny vouched');
    await eventually(async () => ((await bindings(ns, 'vouched')).length === 0 ? true : undefined), 5_000, 'the RoleBinding to go');
    expect(Date.now() - started).toBeLessThan(1_000);
    await eventually(async () => ((await phaseOf(ns, 'vouched')) === 'Inactive' ? true : undefined), 10_000, 'vouched to be Inactive');

    expect((await now.patch(`/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: true } }] })).status).toBe(200);
    await eventually(async () => ((await bindings(ns, 'vouched')).length === 1 ? true : undefined), 15_000, 'the RoleBinding back');
    expect(await phaseOf(ns, 'vouched')).toBe('Active');
    expect(await smtp.messagesTo('vouched@example.com')).toEqual([]);

    expect((await now.delete(`/Users/${id}`)).status).toBe(204);
    await eventually(async () => ((await phaseOf(ns, 'vouched')) === undefined ? true : undefined), 15_000, 'the User to go');
    await eventually(async () => ((await bindings(ns, 'vouched')).length === 0 ? true : undefined), 15_000, 'its RoleBinding to go');
    await eventually(async () => client.get(builtinKinds.secret, ns, 'blink-invitation-vouched').then(() => undefined, () => true), 15_000, 'its invitation record to go');
  }, 60_000);
});

describe('lifecycle Invite (the default)', () => {
  it('emails a provisioned person an invitation, as for any User; they stay Invited until they accept', async () => {
    const ns = `tenant-${invited}`;
    expect((await invite.post('/Users', oktaUser('invited@example.com'))).status).toBe(201);
    const message = await smtp.waitForMessage('invited@example.com', 1, 30_000);
    expect(message.to).toContain('invited@example.com');
    expect(await phaseOf(ns, 'invited')).toBe('Invited');
    expect(await bindings(ns, 'invited')).toEqual([]);
  }, 60_000);
});
