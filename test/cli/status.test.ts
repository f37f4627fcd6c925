// `kubectl blink` as a kubectl plugin, and `status <kind> <name>`, against the real control
// plane with the operator running: what it shows for healthy and broken objects, -o json|yaml,
// exit codes, kubectl's plugin discovery and completion, and no key or token in any output.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { RunningOperator } from '../../operator/operator.js';
import type { StatusReport } from '../../operator/cli/status-report.js';
import type { KubeClient } from '../../operator/runtime/kube-client.js';
import { kubectl, useNamespace } from '../harness/kube.js';
import { newShard, startTestOperator } from '../harness/operator.js';
import { findLeaks, readKey } from '../service-accounts/fixtures.js';
import { linkOf, startTestSmtp, userManifest, apply, waitForUser } from '../users/fixtures.js';
import type { TestSmtp } from '../users/fixtures.js';
import { blinkAccounts, kubeconfigWithNamespace, kubectlWithPlugin } from './fixtures.js';
import { cluster } from '../harness/kube.js';
import { adminClient, createServiceAccount, createTenantWithNamespace, createWorkspace, deleteTenant, waitForServiceAccount } from '../harness/tenant.js';

const operatorNs = useNamespace('cli-status');
const shard = newShard('cli-status');
const tenantName = `cls-${randomBytes(3).toString('hex')}`;
let ns: string;
let client: KubeClient;
let smtp: TestSmtp;
let operator: RunningOperator;
let contextKubeconfig: string;
const outputs: Record<string, string> = {};

function keep(label: string, ran: { stdout: string; stderr: string }): void {
  outputs[label] = ran.stdout + ran.stderr;
}

beforeAll(async () => {
  client = adminClient();
  smtp = await startTestSmtp(operatorNs.name);
  ns = await createTenantWithNamespace(adminClient(), { shard, name: tenantName, spec: { displayName: 'CLI Status Co' } });
  await createWorkspace(client, ns, 'ws-a');
  operator = await startTestOperator({ shard, namespace: operatorNs.name, smtpSecret: smtp.secret });
  contextKubeconfig = await kubeconfigWithNamespace(ns);
});

afterAll(async () => {
  await kubectl(['delete', 'users,serviceaccounts.accounts.blinkops.com', '--all', '-n', ns, '--wait=true', '--timeout=20s']).catch(() => undefined);
  await operator?.stop();
  await smtp?.close();
  client?.close();
  await deleteTenant(adminClient(), tenantName);
});

// Every CLI run starts Node, tsx and @kubernetes/client-node: seconds each on a loaded 2-core machine.
describe('kubectl blink (plugin)', { timeout: 300_000 }, () => {
  it('is found by kubectl and names itself "kubectl blink"', async () => {
    const list = await kubectlWithPlugin(['plugin', 'list']);
    expect(list.stdout).toMatch(/\/kubectl-blink\n/);
    const help = await kubectlWithPlugin(['blink', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: kubectl blink [options] [command]');
    expect(help.stdout).toContain('Exit codes: 0 done, 1 failed, 2 bad command line, 3 not found, 4 input rejected (nothing changed), 5 partly done.');
  });

  it('shows a healthy service account: conditions, the Secret without its key, the KeyIssued Event, nothing wrong', async () => {
    await createServiceAccount(client, ns, 'etl', { role: 'Builder', workspaces: ['ws-a'] });
    const sa = await waitForServiceAccount(client, ns, 'etl');
    // The namespace comes from the kubeconfig context, as with kubectl.
    const ran = await kubectlWithPlugin(['blink', 'status', 'sa', 'etl'], contextKubeconfig);
    keep('status sa etl', ran);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toContain(`ServiceAccount ${ns}/etl`);
    expect(ran.stdout).toMatch(/Ready: +True \(Ready\)/);
    expect(ran.stdout).toMatch(/KeyIssued +True +KeyIssued/);
    expect(ran.stdout).toContain(`API key Secret etl-api-key:`);
    expect(ran.stdout).toMatch(/Data keys: +apiKey\n/);
    expect(ran.stdout).toContain(`Key:                  valid format, id ${sa.status?.keyId ?? '?'}, fingerprint ${sa.status?.fingerprint ?? '?'}`);
    expect(ran.stdout).toMatch(/Owner: +this ServiceAccount/);
    expect(ran.stdout).toMatch(/Normal +KeyIssued +1 +Issued API key/);
    expect(ran.stdout).toContain('Diagnosis:\n  Nothing is wrong.');
    const leaks = findLeaks([await readKey(client, ns, 'etl')], outputs);
    expect(leaks).toEqual([]);
  });

  it('-o json and -o yaml print the same report', async () => {
    const json = await kubectlWithPlugin(['blink', 'status', 'serviceaccount/etl', '-n', ns, '-o', 'json']);
    const yaml = await kubectlWithPlugin(['blink', 'status', 'bsa', 'etl', '-n', ns, '-o', 'yaml']);
    keep('json', json);
    keep('yaml', yaml);
    const fromJson = JSON.parse(json.stdout) as StatusReport;
    expect(fromJson).toMatchObject({ kind: 'ServiceAccount', name: 'etl', namespace: ns, ready: { status: 'True', reason: 'Ready' }, findings: [] });
    expect(fromJson.sections[0]?.fields['Data keys']).toBe('apiKey');
    expect(fromJson.events.map((e) => e.reason)).toContain('KeyIssued');
    const fromYaml = parse(yaml.stdout) as StatusReport;
    expect({ ...fromYaml, fields: {}, sections: [] }).toEqual({ ...fromJson, fields: {}, sections: [] });
    expect(findLeaks([await readKey(client, ns, 'etl')], outputs)).toEqual([]);
  });

  it('says what is wrong with a missing workspace, and what to type', async () => {
    await createServiceAccount(client, ns, 'broken', { role: 'Consumer', workspaces: ['ws-a', 'ws-gone'] });
    await waitForServiceAccount(client, ns, 'broken', (sa) => sa.status?.keyId !== undefined && sa.status.observedGeneration === sa.metadata?.generation);
    const ran = await blinkAccounts(['status', 'sa', 'broken', '-n', ns, '--kubeconfig', cluster().kubeconfig]);
    keep('status sa broken', ran);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/Ready: +False \(MissingReferences\)/);
    expect(ran.stdout).toContain('WARNING: Workspaces not found in this namespace: ws-gone');
    expect(ran.stdout).toContain(`→ create them (kubectl get blink -n ${ns} lists what exists), or remove them from the spec: kubectl edit serviceaccounts.accounts.blinkops.com broken -n ${ns}`);
    expect(findLeaks([await readKey(client, ns, 'broken')], outputs)).toEqual([]);
  });

  it('shows an invited user with its invitation record but never the token or its hash', async () => {
    await apply(userManifest(ns, 'jo', { email: 'jo@status.test', role: 'Builder', groups: ['nobody'] }));
    const message = await smtp.waitForMessage('jo@status.test');
    await waitForUser(ns, 'jo', (u) => u.status?.conditions?.some((c) => c.type === 'InvitationSent' && c.status === 'True') === true, 'jo sent');
    const ran = await kubectlWithPlugin(['blink', 'status', 'user', 'jo'], contextKubeconfig);
    keep('status user jo', ran);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toMatch(/Phase: +Invited/);
    expect(ran.stdout).toContain('Invitation record blink-invitation-jo:');
    expect(ran.stdout).toMatch(/State: +pending/);
    expect(ran.stdout).toMatch(/Delivery: +sent/);
    expect(ran.stdout).toContain(`NOTE: Waiting for jo@status.test to accept the invitation\n    → nothing to do until they accept; a new link: kubectl blink user resend jo -n ${ns}`);
    expect(ran.stdout).toMatch(/WARNING: Group not found|WARNING: .*nobody/);
    const token = linkOf(message).split('/').pop() ?? '';
    const secret = (await client.get<{ data: Record<string, string> }>({ group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true }, ns, 'blink-invitation-jo')).data;
    const hash = Buffer.from(secret['tokenHash'] ?? '', 'base64').toString('utf8');
    expect(token.length).toBeGreaterThan(20);
    expect(hash.length).toBeGreaterThan(20);
    for (const [label, text] of Object.entries(outputs)) {
      expect(text.includes(token), `${label} shows the token`).toBe(false);
      expect(text.includes(hash), `${label} shows the token hash`).toBe(false);
    }
  });

  it('shows a Tenant (cluster-scoped) and a Workspace with its members', async () => {
    const tenant = await kubectlWithPlugin(['blink', 'status', 'tenant', tenantName]);
    expect(tenant.code, tenant.stderr).toBe(0);
    expect(tenant.stdout).toContain(`Tenant ${tenantName}\n`);
    expect(tenant.stdout).toMatch(new RegExp(`Namespace: +${ns}`));
    const ws = await kubectlWithPlugin(['blink', 'status', 'workspace', 'ws-a', '-n', ns]);
    expect(ws.stdout).toMatch(/Service accounts: +broken, etl/);
  });

  it('exits 3 for an object that does not exist and 2 for an unknown kind, saying what to type', async () => {
    const missing = await kubectlWithPlugin(['blink', 'status', 'user', 'nobody', '-n', ns]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain(`Error: User "nobody" not found in namespace "${ns}" (kubectl get users.accounts.blinkops.com -n ${ns})`);
    const kind = await kubectlWithPlugin(['blink', 'status', 'pod', 'x']);
    expect(kind.code).toBe(2);
    expect(kind.stderr).toContain('Unknown kind "pod": use one of tenant, user, sa (serviceaccount), workspace, group, e.g. kubectl blink status user jane -n tenant-acme');
  });

  it('completes through kubectl: plugin commands, kinds and names from the cluster', async () => {
    const commands = await kubectlWithPlugin(['__complete', 'blink', 'st']);
    expect(commands.stdout.split('\n')).toContain('status');
    const names = await kubectlWithPlugin(['__complete', 'blink', 'status', 'sa', '-n', ns, '']);
    expect(names.stdout.split('\n')).toEqual(expect.arrayContaining(['broken', 'etl']));
  });
});
