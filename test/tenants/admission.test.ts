// The email-domain ValidatingAdmissionPolicy of deploy/rbac/: a User outside its
// tenant's allowedEmailDomains is refused at admission with a clear message.
// The binding here is scoped to this file's shard, so other files are unaffected.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_KINDS, SHARD_LABEL } from '../../operator/api/index.js';
import type { RunningOperator } from '../../operator/operator.js';
import type { KindDescriptor } from '../../operator/runtime/kinds.js';
import { EMAIL_DOMAIN_POLICY, emailDomainPolicy, emailDomainPolicyBinding } from '../../operator/tenants/admission-policy.js';
import { tenantsFeature } from '../../operator/tenants/feature.js';
import { eventually } from '../harness/kube.js';
import { newShard, startTestOperator } from '../harness/operator.js';
import { adminClient, cleanUp, createTenant, createUser, tenantReady, uniqueName } from '../harness/tenant.js';

const POLICY: KindDescriptor = { group: 'admissionregistration.k8s.io', version: 'v1', kind: 'ValidatingAdmissionPolicy', plural: 'validatingadmissionpolicies', namespaced: false };
const BINDING: KindDescriptor = { group: 'admissionregistration.k8s.io', version: 'v1', kind: 'ValidatingAdmissionPolicyBinding', plural: 'validatingadmissionpolicybindings', namespaced: false };

describe('allowed email domains at admission', () => {
  const shard = newShard('vap');
  const client = adminClient();
  const strict = uniqueName('strict');
  const open = uniqueName('open');
  const bindingName = `${EMAIL_DOMAIN_POLICY}-${shard}`;
  let operator: RunningOperator;

  beforeAll(async () => {
    operator = await startTestOperator({ shard }, [tenantsFeature]);
    await client.apply(POLICY, emailDomainPolicy(), { fieldManager: 'blink-accounts-test' });
    await client.apply(BINDING, emailDomainPolicyBinding(bindingName, { matchLabels: { [SHARD_LABEL]: shard } }), { fieldManager: 'blink-accounts-test' });
    await createTenant(client, strict, shard, { allowedEmailDomains: ['example.com', 'acme.io'] });
    await createTenant(client, open, shard);
    await tenantReady(client, strict);
    await tenantReady(client, open);
  });
  afterAll(async () => {
    await client.delete(BINDING, undefined, bindingName);
    await cleanUp(client, [strict, open], [`tenant-${strict}`, `tenant-${open}`]);
    await operator?.stop();
    client.close();
  });

  it('refuses a User outside the tenant\'s domains, naming the domains', async () => {
    // The policy takes effect once the API server has loaded it.
    const error = await eventually(
      () => createUser(client, `tenant-${strict}`, uniqueName('eve'), { email: 'eve@evil.com', role: 'Admin' }).then(() => undefined, (e: unknown) => e as { code?: number; message: string }),
      20_000,
      'the policy to refuse',
    );
    expect(error.code).toBe(422);
    expect(error.message).toContain(`the email domain of eve@evil.com is not allowed in tenant ${strict}; allowed domains: example.com, acme.io`);
  });

  it('admits Users in an allowed domain, in any letter case', async () => {
    await createUser(client, `tenant-${strict}`, 'jane', { email: 'jane@example.com', role: 'Admin' });
    await createUser(client, `tenant-${strict}`, 'bob', { email: 'Bob@ACME.io', role: 'Builder' });
    expect(await client.get(ACCOUNT_KINDS.user, `tenant-${strict}`, 'bob')).toMatchObject({ spec: { email: 'Bob@ACME.io' } });
  });

  it('admits anyone in a tenant that lists no domains: another tenant\'s list does not apply', async () => {
    await createUser(client, `tenant-${open}`, 'eve', { email: 'eve@evil.com', role: 'Consumer' });
  });
});
