// The generated CRDs as the API server serves them: accepted (structural, CEL
// within cost), kubectl explain, the blink category, printer columns, short
// names, defaults, the status subresource, and the examples.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUP, KINDS, validate, VERSION } from '../../operator/api/index.js';
import type { Tenant, User } from '../../operator/api/index.js';
import { readManifests } from '../../operator/kube/apply.js';
import { adminKubeConfig, kubectl, useNamespace } from '../harness/kube.js';
import { installCrds } from './install-crds.js';
import { validObjects } from './malformed-cases.js';

const ns = useNamespace('api-crds');
const tenantName = `crds-${randomBytes(3).toString('hex')}`;
const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));

function custom(): CustomObjectsApi {
  return adminKubeConfig().makeApiClient(CustomObjectsApi);
}

/** Header cells of a `kubectl get` table. */
function header(stdout: string): string[] {
  return (stdout.split('\n')[0] ?? '').trim().split(/\s{2,}/);
}

beforeAll(async () => {
  await installCrds(adminKubeConfig());
  // One object of every kind.
  const objects = validObjects(ns.name, tenantName);
  await kubectl(['apply', '--server-side', '-f', '-'], { input: Object.values(objects).map((o) => JSON.stringify(o)).join('\n') });
});

afterAll(async () => {
  await custom().deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: 'tenants', name: tenantName }).catch(() => undefined);
});

describe('the CRDs', () => {
  it('are accepted and established, structural, with the status subresource', async () => {
    const ext = adminKubeConfig().makeApiClient(ApiextensionsV1Api);
    for (const definition of KINDS) {
      const crd = await ext.readCustomResourceDefinition({ name: `${definition.plural}.${GROUP}` });
      const conditions = Object.fromEntries((crd.status?.conditions ?? []).map((c) => [c.type, c.status]));
      expect(conditions, definition.kind).toMatchObject({ Established: 'True', NamesAccepted: 'True' });
      expect(conditions['NonStructuralSchema'], definition.kind).toBeUndefined();
      expect(crd.spec.names.categories).toEqual(['blink']);
      expect(crd.spec.versions[0]?.subresources?.status).toEqual({});
    }
  });

  it('serve descriptions to kubectl explain', async () => {
    const { stdout } = await kubectl(['explain', 'users.spec.role']);
    expect(stdout).toContain('ENUM');
    expect(stdout).toContain('Builder: read, write and execute in');
    const email = await kubectl(['explain', 'users.spec.email']);
    expect(email.stdout).toContain('Immutable');
    const tenant = await kubectl(['explain', 'tenants.spec.invitationTTL']);
    expect(tenant.stdout).toContain('between 1m and 720h');
  });

  it('list every kind under kubectl get blink', async () => {
    const { stdout } = await kubectl(['get', 'blink', '-n', ns.name, '-o', 'name']);
    const kinds = new Set(stdout.trim().split('\n').map((line) => line.split('/')[0]));
    for (const definition of KINDS) expect(kinds, stdout).toContain(`${definition.singular}.${GROUP}`);
  });

  it('answer to their short names; sa stays the core ServiceAccount', async () => {
    for (const definition of KINDS) {
      for (const shortName of definition.shortNames) {
        const { stdout } = await kubectl(['get', shortName, ...(definition.scope === 'Namespaced' ? ['-n', ns.name] : []), '-o', 'name']);
        expect(stdout, shortName).toContain(`${definition.singular}.${GROUP}/`);
      }
    }
    const core = await kubectl(['get', 'sa', '-n', ns.name, '-o', 'name']);
    expect(core.stdout).toContain('serviceaccount/default');
    expect(core.stdout).not.toContain(GROUP);
  });

  it('show the printer columns', async () => {
    const users = await kubectl(['get', 'users', '-n', ns.name]);
    expect(header(users.stdout)).toEqual(['NAME', 'EMAIL', 'ROLE', 'STATUS', 'GROUPS', 'AGE']);
    expect(users.stdout).toMatch(/jane\s+jane@acme\.example\s+Builder\s+\["data-engineering"\]/);
    const wide = await kubectl(['get', 'users', '-n', ns.name, '-o', 'wide']);
    expect(header(wide.stdout)).toEqual(['NAME', 'EMAIL', 'ROLE', 'STATUS', 'GROUPS', 'SOURCE', 'READY', 'AGE']);
    const bsa = await kubectl(['get', 'bsa', '-n', ns.name]);
    expect(header(bsa.stdout)).toEqual(['NAME', 'ROLE', 'WORKSPACES', 'SECRET', 'KEY AGE', 'LAST USED', 'READY', 'AGE']);
    expect(bsa.stdout).toMatch(/etl-runner\s+Builder\s+\["data-platform","security-ops"\]/);
    const tenants = await kubectl(['get', 'tenants', tenantName]);
    expect(header(tenants.stdout)).toEqual(['NAME', 'NAMESPACE', 'ACTIVE', 'INVITED', 'INACTIVE', 'SERVICEACCOUNTS', 'READY', 'AGE']);
    expect(header((await kubectl(['get', 'bws', '-n', ns.name])).stdout)).toEqual(['NAME', 'DISPLAY NAME', 'READY', 'AGE']);
    expect(header((await kubectl(['get', 'bgroup', '-n', ns.name])).stdout)).toEqual(['NAME', 'DISPLAY NAME', 'READY', 'AGE']);
  });

  it('apply the defaults', async () => {
    const user = (await custom().getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns.name, plural: 'users', name: 'jane' })) as User;
    expect(user.spec).toMatchObject({ active: true });
    const tenant = (await custom().getClusterCustomObject({ group: GROUP, version: VERSION, plural: 'tenants', name: tenantName })) as Tenant;
    expect(tenant.spec).toMatchObject({ invitationTTL: '168h', deletionPolicy: 'Retain' });
    const { stdout } = await kubectl(['get', 'bsa', 'etl-runner', '-n', ns.name, '-o', 'jsonpath={.spec.keyRotation.gracePeriod}']);
    expect(stdout).toBe('1h');
    const bare = validObjects(ns.name, tenantName).user;
    await kubectl(['apply', '--server-side', '-f', '-'], {
      input: JSON.stringify({ ...bare, metadata: { ...bare.metadata, name: 'bare' }, spec: { email: 'bare@acme.example', role: 'Consumer', invitation: {} } }),
    });
    const stored = (await custom().getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns.name, plural: 'users', name: 'bare' })) as User;
    expect(stored.spec).toEqual({ email: 'bare@acme.example', role: 'Consumer', active: true, groups: [], workspaces: [], invitation: { resend: 0 } });
  });

  it('keep status apart from spec (status subresource)', async () => {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const status = {
      phase: 'Invited',
      groups: ['data-engineering'],
      observedGeneration: 1,
      conditions: [{ type: 'Ready', status: 'False', reason: 'InvitationPending', message: 'Waiting for the person to accept the invitation', lastTransitionTime: now, observedGeneration: 1 }],
    };
    await custom().patchNamespacedCustomObjectStatus({
      group: GROUP,
      version: VERSION,
      namespace: ns.name,
      plural: 'users',
      name: 'jane',
      body: [{ op: 'add', path: '/status', value: status }],
    });
    const user = (await custom().getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns.name, plural: 'users', name: 'jane' })) as User;
    expect(user.status).toEqual(status);
    expect(user.metadata.generation).toBe(1);
    const { stdout } = await kubectl(['get', 'users', 'jane', '-n', ns.name, '-o', 'wide']);
    expect(stdout).toMatch(/jane\s+jane@acme\.example\s+Builder\s+Invited\s+\["data-engineering"\]\s+False/);
    await kubectl(['wait', '--for=condition=Ready=False', '-n', ns.name, 'users/jane', '--timeout=10s']);
  });
});

describe('examples/', () => {
  it('are valid for the TypeScript validators', async () => {
    const objects = await readManifests(EXAMPLES);
    const ours = objects.filter((o) => o.apiVersion?.startsWith(`${GROUP}/`));
    expect(new Set(ours.map((o) => o.kind))).toEqual(new Set(KINDS.map((k) => k.kind)));
    for (const object of ours) expect(validate(object), `${object.kind} ${object.metadata?.name}`).toEqual([]);
  });

  it('pass kubectl apply --dry-run=server', async () => {
    // The tenant namespace is one of the examples; a dry run does not create it,
    // so it is created for real first (as applying 00-tenant.yaml would).
    const core = adminKubeConfig().makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'tenant-acme', labels: { 'blink-test': 'true' } } } }).catch((error: unknown) => {
      if ((error as { code?: number }).code !== 409) throw error;
    });
    const { stdout } = await kubectl(['apply', '--dry-run=server', '-f', EXAMPLES]);
    expect(stdout).toContain('tenant.accounts.blinkops.com/acme created (server dry run)');
    expect(stdout).toContain('serviceaccount.accounts.blinkops.com/etl-runner created (server dry run)');
    expect(stdout.trim().split('\n')).toHaveLength((await readManifests(EXAMPLES)).length);
  });
});
