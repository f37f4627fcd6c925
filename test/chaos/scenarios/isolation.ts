// Scenario `isolation`: two or more tenants served by one real operator
// process, and every way one tenant could reach into another, enumerated over
// kinds × directions × attempts, each expected refused:
//   reference     a User, ServiceAccount or Tenant of tenant A naming a workspace,
//                 group or namespace of tenant B (by plain name, by a qualified
//                 name, by a spoofed tenant label): refused at admission, or
//                 ReferencesResolved/Ready=False with a reason, and no grant in B;
//   authenticate  B's API keys presented with A's context on the access API;
//   authorize     A's principals (users, service accounts by name and by key)
//                 asked about B's workspaces and B's tenant;
//   impersonate   A's Admin (kubectl --as, the RoleBinding the operator made for
//                 it) creating, reading, editing and deleting in B's namespace.
// Each refusal is weighed against a control (the same identity doing the same in
// its own tenant succeeds), so a refusal is the isolation and not a broken setup.
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { hashApiKey } from '../../../operator/apikeys/index.js';
import { ACCOUNT_KINDS, TENANT_LABEL } from '../../../operator/api/index.js';
import { FORBIDDEN_MESSAGE, INVALID_KEY_MESSAGE } from '../../../operator/access/http-api.js';
import { builtinKinds } from '../../../operator/runtime/kinds.js';
import type { KubeObject } from '../../../operator/runtime/kinds.js';
import { accessApiCaller } from '../../harness/access.js';
import { eventually, kubectl } from '../../harness/kube.js';
import { newShard, spawnOperator } from '../../harness/operator.js';
import type { OperatorProcess } from '../../harness/operator.js';
import { eventsText, readKey, statusesText } from '../../service-accounts/fixtures.js';
import { getRecord, linkOf, startTestSmtp, userManifest, apply } from '../../users/fixtures.js';
import type { TestSmtp } from '../../users/fixtures.js';
import { Checks } from '../scenario.js';
import type { ChaosContext, Scenario, ScenarioResult } from '../scenario.js';
import { adminClient, cleanUp, createServiceAccount, createTenant, createWorkspace, tenantReady } from '../../harness/tenant.js';

type Condition = { type: string; status: string; reason?: string };
type Judged = KubeObject & { status?: { conditions?: Condition[]; observedGeneration?: number; phase?: string; users?: string[]; serviceAccounts?: string[] } };

/** One tenant of the scenario and what it holds. */
interface Tenant {
  readonly letter: string;
  readonly name: string;
  readonly ns: string;
  readonly ws: string;
  readonly group: string;
  readonly admin: string;
  readonly builder: string;
  /** API keys by service account name. */
  readonly keys: Record<string, string>;
  /** A caller of the access API bound in this tenant's namespace only. */
  readonly caller: string;
}

/** One attempt and what came of it. */
interface Attempt {
  readonly family: 'reference' | 'authenticate' | 'authorize' | 'impersonate';
  readonly label: string;
  readonly refused: boolean;
  readonly detail: string;
}

const email = (who: string, tenant: string): string => `${who}@${tenant}.example.com`;

/**
 * GET the page of `link` and POST its form from an address of `addresses` (the page limits requests per client
 * address); a 404 (the operator's cache has not seen the invitation yet) is tried again, spaced out, a few times.
 */
async function accept(base: string, link: string, addresses: () => string): Promise<number> {
  let status = 0;
  for (let attempt = 0; attempt < 8; attempt++) {
    status = await acceptFrom(base, link, addresses());
    if (status !== 404) return status;
    await new Promise((resolve) => setTimeout(resolve, 750));
  }
  return status;
}

/** GET the page of `link` and POST its form, from `localAddress`. */
async function acceptFrom(base: string, link: string, localAddress: string): Promise<number> {
  const url = new URL(base);
  const path = new URL(link).pathname;
  const send = (method: string, body?: string): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const headers = body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) };
      const r = request({ host: url.hostname, port: url.port, method, path, headers, agent: false, localAddress }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      r.on('error', reject);
      r.end(body);
    });
  const page = await send('GET');
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1];
  if (!csrf) return page.status;
  return (await send('POST', new URLSearchParams({ csrf }).toString())).status;
}

async function run(ctx: ChaosContext): Promise<ScenarioResult> {
  const checks = new Checks();
  const client = adminClient();
  const shard = newShard('chaos-iso');
  const opNs = `chaos-iso-${randomBytes(3).toString('hex')}`;
  const letters = ctx.short ? ['a', 'b'] : ['a', 'b', 'c'];
  const names = letters.map((l) => `iso-${l}-${randomBytes(3).toString('hex')}`);
  const extraTenants: string[] = [];
  const attempts: Attempt[] = [];
  const controls: Attempt[] = [];
  const notes: string[] = [];
  let smtp: TestSmtp | undefined;
  let operator: OperatorProcess | undefined;
  let addressIndex = 0;
  const nextAddress = (): string => `127.3.0.${(addressIndex++ % 250) + 1}`;
  try {
    await client.create(builtinKinds.namespace, { metadata: { name: opNs, labels: { 'blink-test': 'true' } } });
    smtp = await startTestSmtp(opNs);
    operator = await spawnOperator(['--shard', shard, '--namespace', opNs, '--no-leader-elect', '--metrics-port', '0', '--http-port', '0', '--smtp-secret', `${opNs}/smtp`], { LOG_LEVEL: 'debug' });
    const urls = operator.urls();
    const mail = smtp;

    // The tenants: a workspace and a group of their own, and one named alike in all; Active users; keys.
    for (const name of names) await createTenant(client, name, shard);
    for (const name of names) await tenantReady(client, name);
    const tenants: Tenant[] = [];
    for (const [i, name] of names.entries()) {
      const letter = letters[i] ?? '?';
      const ns = `tenant-${name}`;
      const ws = `ws-${letter}`;
      const group = `grp-${letter}`;
      await createWorkspace(client, ns, ws);
      await createWorkspace(client, ns, 'shared');
      await client.create(ACCOUNT_KINDS.group, { metadata: { name: group, namespace: ns }, spec: {} });
      await createServiceAccount(client, ns, 'sa-admin', { role: 'Admin' });
      await createServiceAccount(client, ns, 'sa-builder', { role: 'Builder', workspaces: [ws, 'shared'] });
      await apply(
        userManifest(ns, 'admin', { email: email('admin', name), role: 'Admin' }),
        userManifest(ns, 'builder', { email: email('builder', name), role: 'Builder', workspaces: [ws, 'shared'], groups: [group] }),
      );
      tenants.push({ letter, name, ns, ws, group, admin: email('admin', name), builder: email('builder', name), keys: { 'sa-admin': '', 'sa-builder': '' }, caller: (await accessApiCaller(ns)).token });
    }
    const global = await accessApiCaller();
    for (const t of tenants) {
      for (const who of ['admin', 'builder']) {
        const link = linkOf(await mail.waitForMessage(email(who, t.name)));
        ctx.evidence.secret('invitation-token', link.split('/invitations/')[1] ?? '');
        const status = await accept(urls.url, link, nextAddress);
        if (status !== 200) throw new Error(`Accepting the invitation of ${who}@${t.name} answered ${status}`);
      }
      for (const sa of ['sa-admin', 'sa-builder'] as const) {
        const key = await eventually(() => readKey(client, t.ns, sa).catch(() => undefined), 30_000, `the key of ${t.ns}/${sa}`);
        t.keys[sa] = key;
        ctx.evidence.secret('api-key', key);
        ctx.evidence.secret('hash', hashApiKey(key));
      }
      for (const token of [t.caller]) ctx.evidence.secret('caller-token', token.split('.')[2] ?? token);
      await eventually(() => client.get(builtinKinds.roleBinding, t.ns, 'blink-user-admin').catch(() => undefined), 30_000, `the RoleBinding of ${t.admin}`);
    }
    ctx.evidence.secret('caller-token', global.token.split('.')[2] ?? global.token);

    const ask = async (bearer: string, path: 'authorize' | 'authenticate', body: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
      const res = await fetch(`${urls.accessApiUrl}/api/v1/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` }, body: JSON.stringify(body) });
      const text = await res.text();
      ctx.evidence.text(`isolation access API ${path}`, text);
      return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
    };
    // The caches of the access API have everything before the first attempt.
    for (const t of tenants) {
      await eventually(async () => ((await ask(global.token, 'authorize', { tenant: t.name, principal: { user: t.builder }, action: 'execute', workspace: t.ws })).body['allowed'] === true ? true : undefined), 20_000, `builder of ${t.name} allowed`);
    }

    const pairs = tenants.flatMap((src) => tenants.filter((dst) => dst !== src).map((dst) => [src, dst] as const));

    // (a) References across tenants.
    const judged = (kind: (typeof ACCOUNT_KINDS)[keyof typeof ACCOUNT_KINDS], ns: string | undefined, name: string, check: (o: Judged) => string | undefined): Promise<string> =>
      eventually(async () => check(await client.get<Judged>(kind, ns, name)), 30_000, `${kind.kind} ${ns ?? ''}/${name} to be judged`).catch((error: Error) => `not judged: ${error.message}`);
    const condition = (o: Judged, type: string): Condition | undefined => o.status?.conditions?.find((c) => c.type === type);
    const missing = (o: Judged): string | undefined => {
      const refs = condition(o, 'ReferencesResolved');
      return refs?.status === 'False' && refs.reason === 'MissingReferences' && o.status?.observedGeneration === o.metadata?.generation ? `ReferencesResolved=False MissingReferences, Ready=${condition(o, 'Ready')?.status} ${condition(o, 'Ready')?.reason ?? ''}` : undefined;
    };
    const rejected = async (create: () => Promise<unknown>): Promise<{ refused: boolean; detail: string }> => {
      try {
        await create();
        return { refused: false, detail: 'admitted' };
      } catch (error) {
        const e = error as { code?: number; message?: string };
        return { refused: e.code === 422 || e.code === 400, detail: `admission: ${e.code} ${(e.message ?? '').slice(0, 120)}` };
      }
    };
    const referenceObjects: { src: Tenant; dst: Tenant; kind: 'User' | 'ServiceAccount'; name: string }[] = [];
    for (const [src, dst] of pairs) {
      const tag = `${src.letter}${dst.letter}`;
      const record = (label: string, refused: boolean, detail: string) => void attempts.push({ family: 'reference', label: `${src.letter}→${dst.letter} ${label}`, refused, detail });
      // By plain name: the operator reports the name missing in the object's own namespace.
      await apply(userManifest(src.ns, `xref-ws-${tag}`, { email: email(`xref-ws-${tag}`, src.name), role: 'Builder', workspaces: [dst.ws] }));
      await apply(userManifest(src.ns, `xref-grp-${tag}`, { email: email(`xref-grp-${tag}`, src.name), role: 'Consumer', groups: [dst.group] }));
      await createServiceAccount(client, src.ns, `xref-sa-${tag}`, { role: 'Builder', workspaces: [dst.ws] });
      referenceObjects.push({ src, dst, kind: 'User', name: `xref-ws-${tag}` }, { src, dst, kind: 'User', name: `xref-grp-${tag}` }, { src, dst, kind: 'ServiceAccount', name: `xref-sa-${tag}` });
      // Qualified names never pass admission (names are DNS labels of the object's own namespace).
      const qualified: [string, () => Promise<unknown>][] = [
        ['User workspace "<ns>/<ws>"', () => client.create(ACCOUNT_KINDS.user, { metadata: { name: `xq1-${tag}`, namespace: src.ns }, spec: { email: email(`xq1-${tag}`, src.name), role: 'Builder', workspaces: [`${dst.ns}/${dst.ws}`] } })],
        ['User group "../<ns>/<group>"', () => client.create(ACCOUNT_KINDS.user, { metadata: { name: `xq2-${tag}`, namespace: src.ns }, spec: { email: email(`xq2-${tag}`, src.name), role: 'Builder', groups: [`../${dst.ns}/${dst.group}`] } })],
        ['ServiceAccount workspace "<ws>.<ns>"', () => client.create(ACCOUNT_KINDS.serviceAccount, { metadata: { name: `xq3-${tag}`, namespace: src.ns }, spec: { role: 'Builder', workspaces: [`${dst.ws}.${dst.ns}`] } })],
        ['ServiceAccount workspace "<ns>:<ws>"', () => client.create(ACCOUNT_KINDS.serviceAccount, { metadata: { name: `xq4-${tag}`, namespace: src.ns }, spec: { role: 'Builder', workspaces: [`${dst.ns}:${dst.ws}`] } })],
      ];
      for (const [label, create] of qualified) {
        const { refused, detail } = await rejected(create);
        record(label, refused, detail);
      }
      // A spoofed tenant label: an Admin service account in A's namespace claiming to be B's.
      await client.create(ACCOUNT_KINDS.serviceAccount, { metadata: { name: `xspoof-${tag}`, namespace: src.ns, labels: { [TENANT_LABEL]: dst.name } }, spec: { role: 'Admin' } });
      // A Tenant claiming B's namespace.
      const claim = `iso-claim-${tag}-${randomBytes(2).toString('hex')}`;
      extraTenants.push(claim);
      await createTenant(client, claim, shard, { displayName: 'Claim', namespace: dst.ns });
      const claimed = await judged(ACCOUNT_KINDS.tenant, undefined, claim, (o) => {
        const ready = condition(o, 'Ready');
        return ready?.status === 'False' ? `Ready=False ${ready.reason ?? ''} (NamespaceReady ${condition(o, 'NamespaceReady')?.reason ?? ''})` : ready?.status === 'True' ? 'READY' : undefined;
      });
      const nsAfter = await client.get<KubeObject>(builtinKinds.namespace, undefined, dst.ns);
      const labelKept = nsAfter.metadata?.labels?.[TENANT_LABEL] === dst.name;
      record('Tenant claiming B\'s namespace', claimed.startsWith('Ready=False') && labelKept, `${claimed}; namespace label ${nsAfter.metadata?.labels?.[TENANT_LABEL]}`);
    }
    for (const ref of referenceObjects) {
      const kind = ref.kind === 'User' ? ACCOUNT_KINDS.user : ACCOUNT_KINDS.serviceAccount;
      const verdict = await judged(kind, ref.src.ns, ref.name, missing);
      attempts.push({ family: 'reference', label: `${ref.src.letter}→${ref.dst.letter} ${ref.kind} ${ref.name} naming B's ${ref.name.startsWith('xref-grp') ? 'group' : 'workspace'}`, refused: verdict.startsWith('ReferencesResolved=False'), detail: verdict });
    }
    // The users naming another tenant's workspace accept their invitations: Active, they still get nothing there.
    for (const ref of referenceObjects.filter((r) => r.kind === 'User')) {
      const link = linkOf(await mail.waitForMessage(email(ref.name, ref.src.name)));
      ctx.evidence.secret('invitation-token', link.split('/invitations/')[1] ?? '');
      const status = await accept(urls.url, link, nextAddress);
      if (status !== 200) notes.push(`accepting ${ref.name} answered ${status}`);
      const record = await getRecord(ref.src.ns, ref.name);
      if (record?.tokenHash) ctx.evidence.secret('hash', record.tokenHash);
      // Active now, the reference is still reported missing (a User's Ready follows its invitation, not its references).
      const verdict = await judged(ACCOUNT_KINDS.user, ref.src.ns, ref.name, (o) => (o.status?.phase === 'Active' ? missing(o) : undefined));
      attempts.push({ family: 'reference', label: `${ref.src.letter}→${ref.dst.letter} User ${ref.name} naming B's ${ref.name.startsWith('xref-grp') ? 'group' : 'workspace'}, once Active`, refused: verdict.startsWith('ReferencesResolved=False'), detail: verdict });
    }
    for (const t of tenants) {
      for (const sa of referenceObjects.filter((r) => r.kind === 'ServiceAccount' && r.src === t)) {
        const key = await eventually(() => readKey(client, t.ns, sa.name).catch(() => undefined), 30_000, `the key of ${sa.name}`);
        t.keys[sa.name] = key;
        ctx.evidence.secret('api-key', key);
        ctx.evidence.secret('hash', hashApiKey(key));
      }
      for (const spoof of pairs.filter(([src]) => src === t)) {
        const name = `xspoof-${spoof[0].letter}${spoof[1].letter}`;
        const key = await eventually(() => readKey(client, t.ns, name).catch(() => undefined), 30_000, `the key of ${name}`);
        t.keys[name] = key;
        ctx.evidence.secret('api-key', key);
        ctx.evidence.secret('hash', hashApiKey(key));
      }
    }
    await eventually(async () => {
      const [src] = pairs[0] ?? [];
      if (!src) return true;
      const ref = referenceObjects.find((r) => r.src === src && r.kind === 'User' && r.name.startsWith('xref-ws'));
      return ref && (await ask(global.token, 'authorize', { tenant: src.name, principal: { user: email(ref.name, src.name) }, action: 'portal' })).body['allowed'] === true ? true : undefined;
    }, 20_000, 'the accepted reference users to be Active in the caches');

    // (b) authenticate, (c) authorize, per direction.
    const allowedFalse = (answer: { status: number; body: Record<string, unknown> }): [boolean, string] => [answer.status === 200 && answer.body['allowed'] === false, `${answer.status} allowed=${String(answer.body['allowed'])} ${String(answer.body['reason'] ?? (answer.body['error'] as { code?: string } | undefined)?.code ?? '')}`];
    for (const [src, dst] of pairs) {
      const dir = `${src.letter}→${dst.letter}`;
      const garbage = await ask(src.caller, 'authenticate', { apiKey: 'blink_sa_not-a-real-key' });
      for (const [keyName, key] of Object.entries(dst.keys)) {
        const auth = await ask(src.caller, 'authenticate', { apiKey: key });
        const sameAsGarbage = JSON.stringify(auth.body) === JSON.stringify(garbage.body);
        attempts.push({
          family: 'authenticate',
          label: `${dir} ${dst.letter}'s ${keyName} key, ${src.letter}'s caller: authenticate`,
          refused: auth.status === 401 && (auth.body['error'] as { message?: string } | undefined)?.message === INVALID_KEY_MESSAGE && sameAsGarbage,
          detail: `${auth.status} ${sameAsGarbage ? 'as-for-garbage' : JSON.stringify(auth.body).slice(0, 100)}`,
        });
        for (const [who, bearer] of [[`${src.letter}'s caller`, src.caller], ['a caller allowed everywhere', global.token]] as const) {
          const [refused, detail] = allowedFalse(await ask(bearer, 'authorize', { tenant: src.name, principal: { apiKey: key }, action: 'portal' }));
          attempts.push({ family: 'authenticate', label: `${dir} ${dst.letter}'s ${keyName} key in ${src.letter}, ${who}: authorize`, refused: refused && detail.endsWith('InvalidApiKey'), detail });
        }
        // Control: the same key in its own tenant.
        const own = await ask(global.token, 'authorize', { tenant: dst.name, principal: { apiKey: key }, action: 'portal' });
        controls.push({ family: 'authenticate', label: `${dst.letter}'s ${keyName} key in ${dst.letter}`, refused: own.body['allowed'] !== true, detail: JSON.stringify(own.body).slice(0, 100) });
      }
      const principals: [string, Record<string, string>, string?][] = [
        ['Admin user', { user: src.admin }],
        ['Builder user', { user: src.builder }],
        // By name only about B's workspace in A: B has service accounts of the same names, which B may rightly answer for.
        ['Admin SA by name', { serviceAccount: 'sa-admin' }, 'home only'],
        ['Builder SA by name', { serviceAccount: 'sa-builder' }, 'home only'],
        ['Admin SA key', { apiKey: src.keys['sa-admin'] ?? '' }],
        ['Builder SA key', { apiKey: src.keys['sa-builder'] ?? '' }],
        [`user naming ${dst.letter}'s workspace`, { user: email(`xref-ws-${src.letter}${dst.letter}`, src.name) }],
        [`SA naming ${dst.letter}'s workspace`, { serviceAccount: `xref-sa-${src.letter}${dst.letter}` }],
        [`SA labelled as ${dst.letter}'s`, { serviceAccount: `xspoof-${src.letter}${dst.letter}` }],
        [`key of the SA labelled as ${dst.letter}'s`, { apiKey: src.keys[`xspoof-${src.letter}${dst.letter}`] ?? '' }],
      ];
      for (const [who, principal, scope] of principals) {
        const questions: [string, string, string, string | undefined][] = [
          ...(['read', 'write', 'execute'] as const).map((action): [string, string, string, string] => [`in ${src.letter} about ${dst.letter}'s workspace: ${action}`, src.name, action, dst.ws]),
          ...(scope === 'home only' ? [] : (['read', 'write', 'execute'] as const).map((action): [string, string, string, string] => [`in ${dst.letter}, ${dst.letter}'s workspace: ${action}`, dst.name, action, dst.ws])),
          ...(scope === 'home only' ? [] : (['portal', 'settings'] as const).map((action): [string, string, string, undefined] => [`in ${dst.letter}: ${action}`, dst.name, action, undefined])),
        ];
        for (const [what, tenant, action, workspace] of questions) {
          const [refused, detail] = allowedFalse(await ask(global.token, 'authorize', { tenant, principal, action, ...(workspace ? { workspace } : {}) }));
          attempts.push({ family: 'authorize', label: `${dir} ${who} ${what}`, refused, detail });
        }
        const viaSrc = await ask(src.caller, 'authorize', { tenant: dst.name, principal, action: 'portal' });
        attempts.push({ family: 'authorize', label: `${dir} ${who}, asked by ${src.letter}'s caller about ${dst.letter}`, refused: viaSrc.status === 403 && (viaSrc.body['error'] as { message?: string } | undefined)?.message === FORBIDDEN_MESSAGE, detail: `${viaSrc.status}` });
      }
      // Controls: the same principals at home.
      for (const [who, principal, action, workspace] of [['Admin user', { user: src.admin }, 'settings', undefined], ['Builder user', { user: src.builder }, 'execute', src.ws], ['Builder SA key', { apiKey: src.keys['sa-builder'] ?? '' }, 'execute', src.ws], ['Admin SA by name', { serviceAccount: 'sa-admin' }, 'execute', src.ws]] as const) {
        const own = await ask(src.caller, 'authorize', { tenant: src.name, principal, action, ...(workspace ? { workspace } : {}) });
        controls.push({ family: 'authorize', label: `${src.letter}'s ${who} at home`, refused: own.body['allowed'] !== true, detail: JSON.stringify(own.body).slice(0, 100) });
      }
    }

    // (d) Impersonation: A's Admin (and Builder) through Kubernetes RBAC, in B's namespace.
    const as = async (identity: string[], args: string[], input?: string): Promise<{ ok: boolean; output: string }> => {
      try {
        const { stdout, stderr } = await kubectl([...args, ...identity], input === undefined ? {} : { input });
        ctx.evidence.text('isolation kubectl', stdout + stderr);
        return { ok: true, output: stdout + stderr };
      } catch (error) {
        const e = error as { stdout?: string; stderr?: string };
        const output = `${e.stdout ?? ''}${e.stderr ?? ''}`;
        ctx.evidence.text('isolation kubectl', output);
        return { ok: false, output };
      }
    };
    const yaml = (kind: string, ns: string, name: string, spec: string) => `apiVersion: accounts.blinkops.com/v1alpha1\nkind: ${kind}\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nspec:\n${spec}`;
    for (const [src, dst] of pairs) {
      const dir = `${src.letter}→${dst.letter}`;
      const admin = [`--as=${src.admin}`];
      const tag = `${src.letter}${dst.letter}`;
      // Control: the identity really is an Admin at home.
      const home = await as(admin, ['create', '-f', '-'], yaml('Workspace', src.ns, `home-${tag}`, '  {}\n'));
      controls.push({ family: 'impersonate', label: `${src.letter}'s Admin creates a Workspace at home`, refused: !home.ok, detail: home.output.trim().slice(0, 100) });
      const tries: [string, string[], string[], string?][] = [
        ['create a User', admin, ['create', '-f', '-'], yaml('User', dst.ns, `intruder-${tag}`, `  email: intruder@${src.name}.example.com\n  role: Admin\n`)],
        ['create a ServiceAccount', admin, ['create', '-f', '-'], yaml('ServiceAccount', dst.ns, `intruder-${tag}`, '  role: Admin\n')],
        ['create a Workspace', admin, ['create', '-f', '-'], yaml('Workspace', dst.ns, `intruder-${tag}`, '  {}\n')],
        ['create a Group', admin, ['create', '-f', '-'], yaml('Group', dst.ns, `intruder-${tag}`, '  {}\n')],
        ['list Users', admin, ['get', 'users.accounts.blinkops.com', '-n', dst.ns]],
        ['list ServiceAccounts', admin, ['get', 'serviceaccounts.accounts.blinkops.com', '-n', dst.ns]],
        ['read the Admin SA\'s key Secret', admin, ['get', 'secret', 'sa-admin-api-key', '-n', dst.ns, '-o', 'yaml']],
        ['list Secrets', admin, ['get', 'secrets', '-n', dst.ns]],
        ['make B\'s Builder an Admin', admin, ['patch', 'users.accounts.blinkops.com', 'builder', '-n', dst.ns, '--type=merge', '-p', '{"spec":{"role":"Admin"}}']],
        ['deactivate B\'s Admin through status', admin, ['patch', 'users.accounts.blinkops.com', 'admin', '-n', dst.ns, '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Inactive"}}']],
        ['rotate B\'s Admin SA key', admin, ['patch', 'serviceaccounts.accounts.blinkops.com', 'sa-admin', '-n', dst.ns, '--type=merge', '-p', '{"spec":{"keyRotation":{"revision":7}}}']],
        ['delete B\'s workspace', admin, ['delete', 'workspaces.accounts.blinkops.com', dst.ws, '-n', dst.ns]],
        ['bind itself Admin in B', admin, ['create', 'rolebinding', `intruder-${tag}`, '-n', dst.ns, '--clusterrole=blink-accounts-admin', `--user=${src.admin}`]],
        ['relabel B\'s namespace', admin, ['label', 'namespace', dst.ns, `${TENANT_LABEL}=${src.name}`, '--overwrite']],
        ['edit B\'s Tenant', admin, ['patch', 'tenants.accounts.blinkops.com', dst.name, '--type=merge', '-p', '{"spec":{"allowedEmailDomains":["evil.example.com"]}}']],
        ['create a Tenant over B\'s namespace', admin, ['create', '-f', '-'], `apiVersion: accounts.blinkops.com/v1alpha1\nkind: Tenant\nmetadata:\n  name: intruder-${tag}-${randomBytes(2).toString('hex')}\nspec:\n  displayName: x\n  namespace: ${dst.ns}\n`],
        ['a token for a Kubernetes ServiceAccount of B', admin, ['create', 'token', 'default', '-n', dst.ns]],
        ['as Admin with B\'s Admin email as a group', [`--as=attacker@${src.name}.example.com`, `--as-group=${dst.admin}`], ['create', '-f', '-'], yaml('Workspace', dst.ns, `intruder-g-${tag}`, '  {}\n')],
        ['Builder: list Users', [`--as=${src.builder}`], ['get', 'users.accounts.blinkops.com', '-n', dst.ns]],
        ['Builder: create a Workspace', [`--as=${src.builder}`], ['create', '-f', '-'], yaml('Workspace', dst.ns, `intruder-b-${tag}`, '  {}\n')],
      ];
      const results = await Promise.all(tries.map(async ([label, identity, args, input]) => [label, await as(identity, args, input)] as const));
      for (const [label, result] of results) {
        attempts.push({ family: 'impersonate', label: `${dir} ${label}`, refused: !result.ok && /forbidden/i.test(result.output), detail: result.output.trim().split('\n')[0]?.slice(0, 140) ?? '' });
      }
      await client.delete(ACCOUNT_KINDS.workspace, src.ns, `home-${tag}`).catch(() => undefined);
    }

    // What B holds afterwards: nothing of A, nothing changed.
    const leftovers: string[] = [];
    for (const dst of tenants) {
      const others = tenants.filter((t) => t !== dst);
      const bindings = await client.list<KubeObject & { subjects?: { kind: string; name: string }[]; roleRef?: { name: string } }>(builtinKinds.roleBinding, { namespace: dst.ns });
      for (const b of bindings.items) {
        for (const s of b.subjects ?? []) if (others.some((o) => s.name.endsWith(`@${o.name}.example.com`))) leftovers.push(`RoleBinding ${dst.ns}/${b.metadata?.name} binds ${s.name}`);
      }
      for (const kind of [ACCOUNT_KINDS.user, ACCOUNT_KINDS.serviceAccount, ACCOUNT_KINDS.workspace, ACCOUNT_KINDS.group]) {
        for (const o of (await client.list<Judged>(kind, { namespace: dst.ns })).items) {
          // Attempts from A are named <what>-<A's letter><B's letter>: in B's namespace only B's own may exist.
          const tag = /^(?:xref-ws|xref-grp|xref-sa|xq\d|xspoof)-([a-z])[a-z]$/.exec(o.metadata?.name ?? '')?.[1];
          if (/^intruder-/.test(o.metadata?.name ?? '') || (tag !== undefined && tag !== dst.letter)) leftovers.push(`${kind.kind} ${dst.ns}/${o.metadata?.name}`);
          const members = [...(o.status?.users ?? []), ...(o.status?.serviceAccounts ?? [])];
          for (const m of members) if (/^(xref|xspoof|intruder)-/.test(m)) leftovers.push(`${kind.kind} ${dst.ns}/${o.metadata?.name} lists ${m}`);
        }
      }
      const builder = await client.get<KubeObject & { spec?: { role?: string }; status?: { phase?: string } }>(ACCOUNT_KINDS.user, dst.ns, 'builder');
      const admin = await client.get<KubeObject & { status?: { phase?: string } }>(ACCOUNT_KINDS.user, dst.ns, 'admin');
      if (builder.spec?.role !== 'Builder') leftovers.push(`${dst.ns}/builder is ${builder.spec?.role}`);
      if (admin.status?.phase !== 'Active') leftovers.push(`${dst.ns}/admin is ${admin.status?.phase}`);
      if (!(await client.get(ACCOUNT_KINDS.workspace, dst.ns, dst.ws).then(() => true, () => false))) leftovers.push(`${dst.ns}/${dst.ws} is gone`);
      const tenant = await client.get<KubeObject & { spec?: { allowedEmailDomains?: string[] } }>(ACCOUNT_KINDS.tenant, undefined, dst.name);
      if (tenant.spec?.allowedEmailDomains) leftovers.push(`Tenant ${dst.name} allowedEmailDomains ${tenant.spec.allowedEmailDomains.join(',')}`);
      const ns = await client.get<KubeObject>(builtinKinds.namespace, undefined, dst.ns);
      if (ns.metadata?.labels?.[TENANT_LABEL] !== dst.name) leftovers.push(`namespace ${dst.ns} labelled ${ns.metadata?.labels?.[TENANT_LABEL]}`);
      const key = await readKey(client, dst.ns, 'sa-admin');
      if (key !== dst.keys['sa-admin']) leftovers.push(`${dst.ns}/sa-admin has a new key`);
    }
    // The key Secret contents never reached an impersonated caller: checked by the hygiene scan over the kubectl outputs above.

    const families = ['reference', 'authenticate', 'authorize', 'impersonate'] as const;
    for (const family of families) {
      const mine = attempts.filter((a) => a.family === family);
      const through = mine.filter((a) => !a.refused).map((a) => `${a.label}: ${a.detail}`);
      const reasons = new Map<string, number>();
      for (const a of mine) {
        const reason = family === 'impersonate' ? 'Forbidden' : family === 'reference' ? (a.detail.split(' ')[0] ?? '') : (a.detail.split(' ').at(-1) ?? '');
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      }
      checks.none(`every cross-tenant ${family} attempt refused`, through, `${mine.length} attempts over ${pairs.length} directions, all refused (${[...reasons].map(([r, k]) => `${r} ${k}`).join(', ')})`);
    }
    checks.none('B holds nothing of A and nothing of B changed', leftovers, `${tenants.length} tenants: no foreign RoleBinding subject, member or object; roles, phases, workspaces, Tenant spec, namespace label and keys as they were`);
    const failedControls = controls.filter((c) => c.refused).map((c) => `${c.label}: ${c.detail}`);
    checks.none('controls: the same identities succeed at home', failedControls, `${controls.length} controls allowed`);
    checks.add('the operator process never exited', operator.child.exitCode === null && operator.child.signalCode === null, `pid ${operator.child.pid} still running`);

    ctx.evidence.text('isolation operator log', operator.output());
    for (const t of tenants) {
      ctx.evidence.text(`isolation Events ${t.ns}`, (await eventsText(client, t.ns)).text);
      ctx.evidence.text(`isolation statuses ${t.ns}`, await statusesText(client, t.ns));
    }
    // How each kind of reference was refused, once per kind (names and tenants stripped).
    const ways = new Map<string, string>();
    for (const a of attempts.filter((x) => x.family === 'reference')) {
      const what = a.label.replace(/^[a-z]→[a-z] /, '').replace(/ (xref|xspoof)-[a-z-]+/, '');
      if (!ways.has(what)) ways.set(what, a.detail.replace(/iso-[a-z0-9-]+/g, '<tenant>').slice(0, 140));
    }
    for (const [what, how] of ways) notes.push(`${what}: ${how}`);
    const count = (family: string) => attempts.filter((a) => a.family === family).length;
    return {
      counts: {
        tenants: tenants.length,
        directions: pairs.length,
        'reference attempts': count('reference'),
        'authenticate attempts': count('authenticate'),
        'authorize attempts': count('authorize'),
        'impersonated attempts': count('impersonate'),
        refused: attempts.filter((a) => a.refused).length,
        controls: controls.length,
      },
      checks: checks.list,
      notes,
    };
  } finally {
    await cleanUp(client, [...names, ...extraTenants], names.map((n) => `tenant-${n}`)).catch(() => undefined);
    await operator?.kill('SIGTERM');
    await smtp?.close();
    await client.delete(builtinKinds.namespace, undefined, opNs).catch(() => undefined);
    client.close();
  }
}

export const isolation: Scenario = {
  name: 'isolation',
  title: 'every cross-tenant reference, key, question and impersonated write refused, over kinds × directions × attempts',
  run,
};
