// The operator as a child process, killed and restarted 10 times (SIGKILL and
// SIGTERM in turn) while accounts are created, edited and rotated: every key
// that was not rotated is byte-identical at the end, no key was ever "repaired"
// by mistake, each account has exactly one Secret, and nothing the processes
// logged or exposed contains key material.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintOf } from '../../operator/apikeys/index.js';
import { ACCOUNT_KINDS } from '../../operator/api/index.js';
import { builtinKinds } from '../../operator/runtime/kinds.js';
import type { KubeClient } from '../../operator/runtime/kube-client.js';
import { useNamespace } from '../harness/kube.js';
import { scrapeMetrics as scrapeAsScraper } from '../harness/metrics.js';
import { newShard, spawnOperator } from '../harness/operator.js';
import type { OperatorProcess } from '../harness/operator.js';
import { eventsText, findLeaks, readKey, statusesText } from './fixtures.js';
import { adminClient, createServiceAccount, createTenantWithNamespace, createWorkspace, uniqueName, waitForServiceAccount } from '../harness/tenant.js';

const ns = useNamespace('sa-restart');
// The replicas' own namespace (their Lease): never the tenant namespace, which the operator refuses to a tenant.
const operatorNs = useNamespace('sa-restart-ops');
const shard = newShard('sa-restart');
const RESTARTS = 10;
const STABLE = ['stable-0', 'stable-1', 'stable-2', 'stable-3', 'stable-4', 'stable-5'];
let client: KubeClient;
let tenant: string;
let current: OperatorProcess | undefined;
const outputs: string[] = [];
const metricsTexts: string[] = [];

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Every process in the replicas' namespace, as in a deployment: they share its key-signing Secret (a
// signature made with another signing key is a wrong one, and every key would be replaced).
async function spawn(): Promise<OperatorProcess> {
  return spawnOperator(['--shard', shard, '--namespace', operatorNs.name, '--no-leader-elect', '--metrics-port', '0', '--http-port', '0'], { LOG_LEVEL: 'debug' });
}

async function scrapeMetrics(operator: OperatorProcess): Promise<void> {
  const port = /"metricsPort":(\d+)/.exec(operator.output())?.[1];
  if (!port) return;
  try {
    metricsTexts.push(await scrapeAsScraper(`http://127.0.0.1:${port}/metrics`));
  } catch {
    // A process in the middle of being killed; the next one is scraped.
  }
}

beforeAll(async () => {
  client = adminClient();
  tenant = uniqueName('sa');
  await createTenantWithNamespace(client, { name: tenant, shard, namespace: ns.name, spec: { displayName: 'Service account tests' } });
  await createWorkspace(client, ns.name, 'ws-a');
});

afterAll(async () => {
  if (current) {
    await current.kill('SIGTERM');
    outputs.push(current.output());
  }
  await client?.delete(ACCOUNT_KINDS.tenant, undefined, tenant).catch(() => undefined);
  client?.close();
});

describe('ServiceAccount keys across operator restarts', () => {
  it(`keeps every untouched key byte-identical across ${RESTARTS} restarts`, async () => {
    current = await spawn();
    for (const [i, name] of STABLE.entries()) {
      await createServiceAccount(client, ns.name, name, { role: (['Admin', 'Builder', 'Consumer'] as const)[i % 3] ?? 'Builder', workspaces: ['ws-a'] });
    }
    await createServiceAccount(client, ns.name, 'rotated', { role: 'Builder' });
    const original = new Map<string, string>();
    for (const name of [...STABLE, 'rotated']) {
      await waitForServiceAccount(client, ns.name, name);
      original.set(name, await readKey(client, ns.name, name));
    }

    const created: string[] = [];
    let rotations = 0;
    const started = Date.now();
    for (let round = 0; round < RESTARTS; round++) {
      // Work for the operator to be in the middle of when it dies.
      await client.patch(ACCOUNT_KINDS.serviceAccount, ns.name, STABLE[round % STABLE.length] ?? '', { spec: { description: `edited in round ${round}` } });
      if (round % 2 === 0) {
        const name = `late-${round}`;
        await createServiceAccount(client, ns.name, name, { role: 'Consumer', workspaces: ['ws-a'] });
        created.push(name);
      }
      if (round === 3 || round === 7) {
        rotations++;
        await client.patch(ACCOUNT_KINDS.serviceAccount, ns.name, 'rotated', { spec: { keyRotation: { revision: rotations } } });
      }
      await sleep((round * 37) % 250);
      await scrapeMetrics(current);
      const signal = round % 2 === 0 ? 'SIGKILL' : 'SIGTERM';
      await current.kill(signal);
      outputs.push(current.output());
      current = await spawn();
    }
    const restartMs = Date.now() - started;

    const all = [...STABLE, 'rotated', ...created];
    const finalKeys = new Map<string, string>();
    for (const name of all) {
      const sa = await waitForServiceAccount(client, ns.name, name, (s) => s.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true && s.status?.observedGeneration === s.metadata?.generation && s.status?.keyRevision === (s.spec.keyRotation?.revision ?? 0), 60_000);
      const key = await readKey(client, ns.name, name);
      expect(sa.status?.fingerprint, name).toBe(fingerprintOf(key));
      finalKeys.set(name, key);
      const secrets = await client.list(builtinKinds.secret, { namespace: ns.name, query: { labelSelector: `accounts.blinkops.com/service-account=${name}` } });
      expect(secrets.items.length, name).toBe(1);
    }
    await scrapeMetrics(current);

    for (const name of STABLE) expect(finalKeys.get(name), name).toBe(original.get(name));
    expect(finalKeys.get('rotated')).not.toBe(original.get('rotated'));
    expect((await waitForServiceAccount(client, ns.name, 'rotated')).status?.keyRevision).toBe(2);

    // No restart was mistaken for a deleted or altered key.
    const events = (await eventsText(client, ns.name)).items;
    expect(events.filter((e) => e['type'] === 'Warning').map((e) => `${e['reason']} ${(e['regarding'] as { name?: string }).name}`)).toEqual([]);
    for (const name of created) {
      expect(events.filter((e) => e['reason'] === 'KeyIssued' && (e['regarding'] as { name?: string }).name === name).length, name).toBeLessThanOrEqual(1);
    }
    process.stderr.write(`[service-accounts] ${RESTARTS} restarts in ${restartMs} ms; ${all.length} accounts converged; ${STABLE.length} untouched keys identical\n`);

    outputs.push(current.output());
    const logs = outputs.join('\n');
    expect(logs).toMatch(/"level":"debug"/);
    const texts = { logs, events: (await eventsText(client, ns.name)).text, status: await statusesText(client, ns.name), metrics: metricsTexts.join('\n') };
    expect(metricsTexts.length).toBeGreaterThan(0);
    expect(findLeaks([...original.values(), ...finalKeys.values()], texts)).toEqual([]);
  }, 400_000);

  it('keeps every key across a leader change between two replicas', async () => {
    if (current) {
      await current.kill('SIGTERM');
      outputs.push(current.output());
      current = undefined;
    }
    const names = [...STABLE, 'rotated'];
    const before = new Map<string, string>();
    for (const name of names) before.set(name, await readKey(client, ns.name, name));
    const replica = (identity: string): Promise<OperatorProcess> =>
      spawnOperator(['--shard', shard, '--namespace', operatorNs.name, '--identity', identity, '--metrics-port', '0', '--http-port', '0'], { LOG_LEVEL: 'debug' });
    const first = await replica('replica-a');
    await first.waitForLog(/Caches synced; starting controllers/, 30_000);
    const second = await replica('replica-b');
    await first.kill('SIGTERM');
    outputs.push(first.output());
    current = second;
    await second.waitForLog(/Caches synced; starting controllers/, 30_000);
    // The new leader converges a change, and touches no key.
    await client.patch(ACCOUNT_KINDS.serviceAccount, ns.name, 'stable-0', { spec: { description: 'after the leader change' } });
    await createServiceAccount(client, ns.name, 'after-failover', { role: 'Builder' });
    await waitForServiceAccount(client, ns.name, 'after-failover');
    for (const name of names) {
      await waitForServiceAccount(client, ns.name, name);
      expect(await readKey(client, ns.name, name), name).toBe(before.get(name));
    }
    const warnings = (await eventsText(client, ns.name)).items.filter((e) => e['type'] === 'Warning');
    expect(warnings).toEqual([]);
    const keys = [...before.values(), await readKey(client, ns.name, 'after-failover')];
    await scrapeMetrics(second);
    expect(findLeaks(keys, { logs: [...outputs, second.output()].join('\n'), metrics: metricsTexts.join('\n') })).toEqual([]);
  }, 200_000);
});
