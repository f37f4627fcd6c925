// The Argo CD health check of deploy/argocd/health.lua, run by a real Lua 5.1
// interpreter (the dialect of Argo CD's gopher-lua) against objects whose status
// the operator wrote on the test control plane, exactly as Argo CD would read them.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningOperator } from '../../operator/operator.js';
import { eventually, kubectl, useNamespace } from '../harness/kube.js';
import { newShard, startTestOperator } from '../harness/operator.js';
import { apply, startTestSmtp } from '../users/fixtures.js';
import type { TestSmtp } from '../users/fixtures.js';
import { adminClient, createTenantWithNamespace, deleteTenant } from '../harness/tenant.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../deploy/argocd/health.lua', import.meta.url));
const API = 'accounts.blinkops.com/v1alpha1';

/** A string as a Lua literal: printable ASCII as is, every other byte as a 3-digit decimal escape. */
function luaString(text: string): string {
  let out = '"';
  for (const byte of Buffer.from(text, 'utf8')) {
    if (byte === 0x22 || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`;
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\${String(byte).padStart(3, '0')}`;
  }
  return `${out}"`;
}

/** A JSON value as a Lua table constructor (what Argo CD hands the script as `obj`). */
function toLua(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'string') return luaString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `{${value.map(toLua).join(', ')}}`;
  return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `[${luaString(k)}] = ${toLua(v)}`).join(', ')}}`;
}

/** Runs the health script on an object with lua5.1; returns Argo CD's { status, message }. */
async function health(object: unknown): Promise<{ status: string; message: string }> {
  const script = await readFile(SCRIPT, 'utf8');
  const program = `obj = ${toLua(object)}\nlocal hs = (function()\n${script}\nend)()\nio.write(hs.status, "\\n", hs.message or "")`;
  const { stdout } = await run('lua5.1', ['-e', program]);
  const [status = '', ...message] = stdout.split('\n');
  return { status, message: message.join('\n') };
}

async function read(kind: string, name: string, namespace?: string): Promise<Record<string, unknown>> {
  return JSON.parse((await kubectl(['get', kind, name, ...(namespace ? ['-n', namespace] : []), '-o', 'json'])).stdout) as Record<string, unknown>;
}

/** Reads an object until `done` holds for it. */
async function readWhen(kind: string, name: string, namespace: string | undefined, done: (o: { status?: { conditions?: { type: string; status: string; reason: string }[] } }) => boolean, what: string) {
  return eventually(async () => {
    const object = await read(kind, name, namespace);
    return done(object) ? object : undefined;
  }, 30_000, what);
}

const condition = (type: string, status: string, reason?: string) => (o: { status?: { conditions?: { type: string; status: string; reason: string }[] } }) =>
  o.status?.conditions?.some((c) => c.type === type && c.status === status && (reason === undefined || c.reason === reason)) ?? false;

describe('Argo CD health (deploy/argocd/health.lua) on real status', () => {
  const shard = newShard('argocd');
  const operatorNs = useNamespace('argocd-op');
  const outside = useNamespace('argocd-outside');
  const tenant = `argo-${shard.slice(-8)}`;
  let namespace = '';
  let smtp: TestSmtp | undefined;
  let operator: RunningOperator | undefined;

  beforeAll(async () => {
    smtp = await startTestSmtp(operatorNs.name);
    operator = await startTestOperator({ shard, namespace: operatorNs.name, smtpSecret: smtp.secret });
    namespace = await createTenantWithNamespace(adminClient(), { shard, name: tenant, spec: { displayName: 'Argo Health' } });
    await apply(
      { apiVersion: API, kind: 'Workspace', metadata: { name: 'ops', namespace }, spec: {} },
      { apiVersion: API, kind: 'Group', metadata: { name: 'admins', namespace }, spec: {} },
      { apiVersion: API, kind: 'ServiceAccount', metadata: { name: 'robot', namespace }, spec: { role: 'Builder', workspaces: ['ops'] } },
      { apiVersion: API, kind: 'ServiceAccount', metadata: { name: 'lost', namespace }, spec: { role: 'Builder', workspaces: ['no-such-workspace'] } },
      { apiVersion: API, kind: 'User', metadata: { name: 'ada', namespace }, spec: { email: 'ada@argo.example', role: 'Admin', groups: ['admins'] } },
      // In a namespace no tenant owns: the operator never writes its status.
      { apiVersion: API, kind: 'Workspace', metadata: { name: 'stray', namespace: outside.name }, spec: {} },
    );
  });

  afterAll(async () => {
    await operator?.stop();
    await smtp?.close().catch(() => undefined);
    await deleteTenant(adminClient(), tenant);
  });

  it('Healthy: a Ready Tenant, Workspace, Group and ServiceAccount', async () => {
    const objects = [
      await readWhen('tenant', tenant, undefined, condition('Ready', 'True'), 'the Tenant to be Ready'),
      await readWhen('workspaces.accounts.blinkops.com', 'ops', namespace, condition('Ready', 'True'), 'the Workspace to be Ready'),
      await readWhen('groups.accounts.blinkops.com', 'admins', namespace, condition('Ready', 'True'), 'the Group to be Ready'),
      await readWhen('serviceaccounts.accounts.blinkops.com', 'robot', namespace, condition('Ready', 'True'), 'the ServiceAccount to be Ready'),
    ];
    for (const object of objects) expect((await health(object)).status, String(object['kind'])).toBe('Healthy');
  });

  it('Healthy: a User whose invitation was sent and waits for the person (Ready=False, InvitationPending)', async () => {
    const user = await readWhen('users.accounts.blinkops.com', 'ada', namespace, condition('InvitationSent', 'True'), 'the invitation to be sent');
    expect(condition('Ready', 'False', 'InvitationPending')(user)).toBe(true);
    expect(await health(user)).toEqual({ status: 'Healthy', message: 'Waiting for ada@argo.example to accept the invitation' });
  });

  it('Degraded: Ready=False with a reason (a reference to a Workspace that does not exist)', async () => {
    const sa = await readWhen('serviceaccounts.accounts.blinkops.com', 'lost', namespace, condition('Ready', 'False', 'MissingReferences'), 'the missing reference to be reported');
    expect(await health(sa)).toEqual({ status: 'Degraded', message: 'MissingReferences: The API key works, but workspaces are missing: no-such-workspace' });
  });

  it('Progressing: no status yet, and a spec newer than the status', async () => {
    const stray = await read('workspaces.accounts.blinkops.com', 'stray', outside.name);
    expect(stray['status']).toBeUndefined();
    expect((await health(stray)).status).toBe('Progressing');

    const tenantObject = await read('tenant', tenant);
    const metadata = tenantObject['metadata'] as { generation: number };
    const newer = { ...tenantObject, metadata: { ...metadata, generation: metadata.generation + 1 } };
    expect(await health(newer)).toMatchObject({ status: 'Progressing', message: `Waiting for the operator to observe generation ${metadata.generation + 1}` });
  });

  it('Degraded: a User whose invitation cannot be sent (InvitationSent=False)', async () => {
    // No SMTP for this operator's second tenant: delivery fails and is reported.
    await smtp!.close();
    await apply({ apiVersion: API, kind: 'User', metadata: { name: 'bob', namespace }, spec: { email: 'bob@argo.example', role: 'Builder' } });
    const user = await readWhen('users.accounts.blinkops.com', 'bob', namespace, condition('InvitationSent', 'False'), 'the failed delivery to be reported');
    const result = await health(user);
    expect(result.status).toBe('Degraded');
    expect(result.message).toMatch(/^SmtpError: /);
  });
});
