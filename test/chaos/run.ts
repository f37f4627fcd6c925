// `npm run chaos [-- --short] [--only a,b] [--seed N] [--json file]`: starts an
// embedded control plane of its own, runs every scenario against it and the real
// operator process, scans everything it saw for secrets, prints the table and
// exits 1 when any check failed.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { ensureBinaries } from '../../operator/dev-cluster/binaries.js';
import { reapStaleClusters, startCluster, stopCluster } from '../../operator/dev-cluster/cluster.js';
import { installProduct } from '../../operator/kube/install.js';
import { useClusterOutsideVitest } from '../harness/kube.js';
import { Evidence } from './evidence.js';
import { failed, formatReport, hygieneRow, runScenario } from './report.js';
import type { ScenarioRow } from './report.js';
import type { ChaosContext } from './scenario.js';
import { SCENARIOS } from './scenarios/index.js';

const { values } = parseArgs({
  options: {
    short: { type: 'boolean', default: false },
    only: { type: 'string' },
    seed: { type: 'string' },
    json: { type: 'string' },
  },
});

function say(message: string): void {
  process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
const unknown = only?.filter((name) => !SCENARIOS.some((s) => s.name === name)) ?? [];
if (unknown.length > 0) {
  say(`Unknown scenario(s): ${unknown.join(', ')}. Known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  process.exit(2);
}
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);

await reapStaleClusters();
const binaries = await ensureBinaries(say);
const name = `chaos-${process.pid}`;
say(`Starting control plane ${name} (seed ${seed}${values.short ? ', short mode' : ''})`);
const cluster = await startCluster({ name, binaries, ownerPid: process.pid });
const rows: ScenarioRow[] = [];
try {
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  await installProduct(kc);
  useClusterOutsideVitest(cluster);
  const evidence = new Evidence();
  const context: ChaosContext = { cluster, short: values.short ?? false, seed, say, evidence };
  for (const scenario of SCENARIOS.filter((s) => !only || only.includes(s.name))) rows.push(await runScenario(scenario, context));
  rows.push(hygieneRow(evidence));
} finally {
  await stopCluster(name);
}

process.stdout.write(`\n${formatReport(rows)}\n(seed ${seed}: rerun with --seed ${seed} to replay the same kill moments and generated input)\n`);
if (values.json) await writeFile(values.json, JSON.stringify({ seed, short: values.short, date: new Date().toISOString(), rows }, null, 2));
process.exit(rows.some((r) => failed(r).length > 0) ? 1 : 0);
