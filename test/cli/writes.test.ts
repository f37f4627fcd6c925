// The CLI's writes through the real command line against the real API server (no operator:
// these only edit resources): --dry-run on every write changes nothing, `user invite --from-csv`
// applies all or nothing (or the good rows with --skip-invalid), bash completion, exit codes.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ServiceAccount, User } from '../../operator/api/index.js';
import { ACCOUNT_KINDS } from '../../operator/api/index.js';
import type { KubeObject } from '../../operator/runtime/kinds.js';
import type { KubeClient } from '../../operator/runtime/kube-client.js';
import { cluster, eventually, useNamespace } from '../harness/kube.js';
import { bash, blinkAccounts, csvFile, runZsh } from './fixtures.js';
import { adminClient } from '../harness/tenant.js';

const ns = useNamespace('cli-writes');
// Every CLI run starts Node, tsx and @kubernetes/client-node: seconds each on a loaded 2-core machine.
const SLOW = { timeout: 300_000 };
let client: KubeClient;
const target = () => ['-n', ns.name, '--kubeconfig', cluster().kubeconfig];

async function users(): Promise<(User & KubeObject)[]> {
  return (await client.list<User & KubeObject>(ACCOUNT_KINDS.user, { namespace: ns.name })).items;
}

async function userNames(): Promise<string[]> {
  return (await users()).map((u) => u.metadata?.name ?? '').sort();
}

async function deleteAllUsers(): Promise<void> {
  for (const name of await userNames()) await client.delete(ACCOUNT_KINDS.user, ns.name, name);
}

beforeAll(() => {
  client = adminClient();
});

afterAll(() => client?.close());

describe('--dry-run', SLOW, () => {
  it('invite, resend, deactivate, activate, remove and rotate-key are checked by the API server and change nothing', async () => {
    const invite = await blinkAccounts(['user', 'invite', 'dry', '--email', 'dry@cli.test', '--role', 'Builder', '--dry-run', ...target()]);
    expect(invite.code, invite.stderr).toBe(0);
    expect(invite.stdout).toBe('User dry (dry@cli.test) would be invited (server dry run: nothing was changed)\n');
    expect(await userNames()).toEqual([]);

    await client.create(ACCOUNT_KINDS.user, { metadata: { name: 'real', namespace: ns.name }, spec: { email: 'real@cli.test', role: 'Builder' } });
    await client.create(ACCOUNT_KINDS.serviceAccount, { metadata: { name: 'svc', namespace: ns.name }, spec: { role: 'Builder' } });
    const before = await client.get<User & KubeObject>(ACCOUNT_KINDS.user, ns.name, 'real');
    const saBefore = await client.get<ServiceAccount & KubeObject>(ACCOUNT_KINDS.serviceAccount, ns.name, 'svc');
    for (const command of ['resend', 'deactivate', 'activate', 'remove']) {
      const ran = await blinkAccounts(['user', command, 'real', '--dry-run', ...target()]);
      expect(ran.code, `${command}: ${ran.stderr}`).toBe(0);
      expect(ran.stdout).toContain('(server dry run: nothing was changed)');
    }
    const rotate = await blinkAccounts(['sa', 'rotate-key', 'svc', '--grace-period', '1h', '--dry-run', ...target()]);
    expect(rotate.code, rotate.stderr).toBe(0);
    expect(rotate.stderr).toContain('Key revision 1 for ServiceAccount "svc" would be requested (server dry run: nothing was changed)');
    const after = await client.get<User & KubeObject>(ACCOUNT_KINDS.user, ns.name, 'real');
    const saAfter = await client.get<ServiceAccount & KubeObject>(ACCOUNT_KINDS.serviceAccount, ns.name, 'svc');
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
    expect(saAfter.metadata?.resourceVersion).toBe(saBefore.metadata?.resourceVersion);

    // A dry run gets the API server's verdict: the name is taken.
    const taken = await blinkAccounts(['user', 'invite', 'real', '--email', 'other@cli.test', '--role', 'Builder', '--dry-run', ...target()]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain(`User "real" already exists in namespace "${ns.name}" (blink-accounts status user real -n ${ns.name})`);
    // The schema's verdict comes first, without a request.
    const invalid = await blinkAccounts(['user', 'invite', 'bad', '--email', 'Bad <bad@cli.test>', '--role', 'Admin', '--dry-run', ...target()]);
    expect(invalid.code).toBe(4);
    expect(invalid.stderr).toContain('User ' + ns.name + '/bad is invalid: spec.email: email must be a plain email address');
    await deleteAllUsers();
    await client.delete(ACCOUNT_KINDS.serviceAccount, ns.name, 'svc');
  });
});

describe('user invite --from-csv', SLOW, () => {
  // Each case starts from no Users, whatever an earlier one left.
  beforeEach(deleteAllUsers);

  const good = ['email,role,groups,workspaces', 'ana@acme.example,Builder,"admins,data",ws-a', 'bo@acme.example,consumer,,ws-a ws-b', 'cy@acme.example,Admin,,'].join('\n') + '\n';

  it('applies nothing when a row is bad, and names the bad rows by line', async () => {
    const file = await csvFile(['email,role,groups', 'ana@acme.example,Builder,admins', 'not-an-email,Builder,', 'cy@acme.example,Owner,', 'dee@acme.example,Consumer,'].join('\n'));
    const ran = await blinkAccounts(['user', 'invite', '--from-csv', file, ...target()]);
    expect(ran.code).toBe(4);
    expect(ran.stdout).toMatch(/^LINE +EMAIL +USER +ROLE +RESULT +MESSAGE\n/);
    expect(ran.stdout).toMatch(/\n2 +ana@acme.example +ana +Builder +not-applied +not applied: other rows are invalid\n/);
    expect(ran.stdout).toMatch(/\n3 +not-an-email +not-an-email +Builder +invalid +email: email must be a plain email address/);
    expect(ran.stdout).toMatch(/\n4 +cy@acme.example +cy +Owner +invalid +role: must be one of Admin, Builder, Consumer, got "Owner"\n/);
    expect(ran.stderr).toContain('4 rows: 0 invited, 0 already there, 2 invalid. Nothing was applied: fix the invalid rows (lines 3, 4) and run again, or add --skip-invalid to invite the others');
    expect(await userNames()).toEqual([]);
  });

  it('--dry-run has the API server check every row and creates nothing', async () => {
    const ran = await blinkAccounts(['user', 'invite', '--from-csv', await csvFile(good), '--dry-run', ...target()]);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout.match(/would-invite/g)).toHaveLength(3);
    expect(ran.stderr).toContain('3 rows: 3 would be invited, 0 already there, 0 invalid (server dry run: nothing was changed)');
    expect(await userNames()).toEqual([]);
  });

  it('invites every row with a progress line and a summary; a rerun leaves them alone', async () => {
    const file = await csvFile(good);
    const ran = await blinkAccounts(['user', 'invite', '--from-csv', file, ...target()]);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stderr).toContain('Inviting 1/3: ana@acme.example\nInviting 2/3: bo@acme.example\nInviting 3/3: cy@acme.example\n');
    expect(ran.stderr).toContain('3 rows: 3 invited, 0 already there, 0 invalid');
    expect(ran.stdout).toMatch(/\n2 +ana@acme.example +ana +Builder +invited +User ana created/);
    const specs = Object.fromEntries((await users()).map((u) => [u.metadata?.name, u.spec]));
    expect(specs).toEqual({
      ana: { email: 'ana@acme.example', role: 'Builder', groups: ['admins', 'data'], workspaces: ['ws-a'], active: true },
      bo: { email: 'bo@acme.example', role: 'Consumer', groups: [], workspaces: ['ws-a', 'ws-b'], active: true },
      cy: { email: 'cy@acme.example', role: 'Admin', groups: [], workspaces: [], active: true },
    });
    const managers = (await users()).map((u) => (u.metadata?.managedFields as { manager: string }[] | undefined)?.[0]?.manager);
    expect(managers).toEqual(['blink-accounts-cli', 'blink-accounts-cli', 'blink-accounts-cli']);

    const again = await blinkAccounts(['user', 'invite', '--from-csv', file, '-o', 'json', ...target()]);
    expect(again.code, again.stderr).toBe(0);
    const summary = JSON.parse(again.stdout) as { rows: { line: number; result: string; message: string }[] };
    expect(summary.rows.map((r) => [r.line, r.result])).toEqual([
      [2, 'exists'],
      [3, 'exists'],
      [4, 'exists'],
    ]);
    await deleteAllUsers();
  });

  it('--skip-invalid invites the good rows and exits 5', async () => {
    const file = await csvFile('ana@acme.example,Builder\nbad row,Builder\ncy@acme.example,Admin\n');
    const ran = await blinkAccounts(['user', 'invite', '--from-csv', file, '--skip-invalid', ...target()]);
    expect(ran.code).toBe(5);
    expect(ran.stdout).toMatch(/\n2 +bad row +bad-row +Builder +invalid +email: /);
    expect(await userNames()).toEqual(['ana', 'cy']);
    await deleteAllUsers();
  });

  it('rows the API server refuses (here a ResourceQuota) are found by the dry run, before anything is created', async () => {
    const quotaKind = { group: '', version: 'v1', kind: 'ResourceQuota', plural: 'resourcequotas', namespaced: true };
    await client.create(quotaKind, { metadata: { name: 'one-user', namespace: ns.name }, spec: { hard: { 'count/users.accounts.blinkops.com': '1' } } });
    // Until the quota controller has filled in status.hard, admission refuses every create.
    await eventually(async () => ((await client.get<{ status?: { hard?: object } }>(quotaKind, ns.name, 'one-user')).status?.hard ? true : undefined), 30_000, 'quota status');
    await client.create(ACCOUNT_KINDS.user, { metadata: { name: 'first', namespace: ns.name }, spec: { email: 'first@acme.example', role: 'Builder' } });
    const ran = await blinkAccounts(['user', 'invite', '--from-csv', await csvFile('ana@acme.example,Builder\nbo@acme.example,Builder\n'), ...target()]);
    expect(ran.code, ran.stdout + ran.stderr).toBe(4);
    expect(ran.stdout).toMatch(/\n1 +ana@acme.example +ana +Builder +invalid +refused by the API server: .*exceeded quota/);
    expect(await userNames()).toEqual(['first']);
    await client.delete(quotaKind, ns.name, 'one-user');
    await deleteAllUsers();
  });

  it('refuses a missing file and flags that do not go with --from-csv (exit 2)', async () => {
    const missing = await blinkAccounts(['user', 'invite', '--from-csv', '/nonexistent/people.csv', ...target()]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--from-csv /nonexistent/people.csv: no such file');
    const mixed = await blinkAccounts(['user', 'invite', 'x', '--role', 'Admin', '--from-csv', await csvFile(good), ...target()]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain('--from-csv takes the people from the file: leave out the name "x", --role');
  });
});

describe('exit codes and errors', SLOW, () => {
  it('2 for a bad command line, 3 for a missing object, 1 for an unreachable cluster; each says what to type', async () => {
    const flag = await blinkAccounts(['user', 'resend', 'x', '--frobnicate', ...target()]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("error: unknown option '--frobnicate'");
    const role = await blinkAccounts(['user', 'invite', 'x', '--email', 'x@cli.test', '--role', 'Owner', ...target()]);
    expect(role.code).toBe(2);
    const missing = await blinkAccounts(['sa', 'info', 'nope', ...target()]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain(`ServiceAccount "nope" not found in namespace "${ns.name}" (kubectl get bsa -n ${ns.name})`);
    const unreachable = await csvFile(
      'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
    );
    const down = await blinkAccounts(['status', 'user', 'x', '-n', ns.name, '--kubeconfig', unreachable]);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('Could not reach the API server: check --kubeconfig, --context and KUBECONFIG (kubectl cluster-info)');
    const context = await blinkAccounts(['status', 'user', 'x', '--context', 'nope', ...target()]);
    expect(context.code).toBe(2);
    expect(context.stderr).toMatch(/--context nope is not in the kubeconfig; its contexts: .+ \(kubectl config get-contexts\)/);
  });
});

describe('completion', SLOW, () => {
  it('the bash script completes commands, flags and User names from the cluster', async () => {
    await client.create(ACCOUNT_KINDS.user, { metadata: { name: 'zed', namespace: ns.name }, spec: { email: 'zed@cli.test', role: 'Builder' } });
    const script = (words: string) =>
      `source <(kubectl-blink completion bash); COMP_WORDS=(${words}); COMP_CWORD=$((\${#COMP_WORDS[@]}-1)); _blink_accounts_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const env = { KUBECONFIG: cluster().kubeconfig };
    expect((await bash(script(`kubectl-blink us`), env)).stdout).toBe('user\n');
    expect((await bash(script(`kubectl-blink user remove --dr`), env)).stdout).toBe('--dry-run\n');
    expect((await bash(script(`kubectl-blink user remove -n ${ns.name} z`), env)).stdout).toBe('zed\n');
    expect((await bash(script(`kubectl-blink status sa x -o y`), env)).stdout).toBe('yaml\n');
    expect((await blinkAccounts(['completion', 'fish'])).code).toBe(2);
    await deleteAllUsers();
  });

  // zsh comes from tools/setup.sh (Debian's zsh), like chromium.
  it('the zsh script completes commands and kinds, and falls back to file names', async () => {
    const script = await blinkAccounts(['completion', 'zsh']);
    expect(script.stdout).toMatch(/^#compdef blink-accounts kubectl-blink\n/);
    const file = await csvFile(script.stdout);
    // compadd and _files are zsh's completion builtins; here they print what they are given.
    const run = (words: string) =>
      runZsh(`source ${file}; compadd() { shift; print -l -- "$@"; }; _files() { print FILES; }; words=(${words}); CURRENT=\${#words}; _blink_accounts_complete`);
    expect((await run(`kubectl-blink us`)).stdout).toBe('user\n');
    expect((await run(`kubectl-blink status ''`)).stdout).toBe('tenant\nuser\nserviceaccount\nsa\nworkspace\ngroup\n');
    expect((await run(`kubectl-blink user invite --from-csv ''`)).stdout).toBe('FILES\n');
  });
});
