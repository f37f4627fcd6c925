// Stalled watch: the operator process reaches kube-apiserver through a
// loopback TCP proxy; mid-run the proxy freezes every connection open at that
// moment (the long-lived watches among them) without closing it, the way a
// dead NAT entry or a hung load balancer does, while Users and
// ServiceAccounts keep being created and edited directly against the real
// API server. The operator must notice the silence (its watch health timeout,
// --watch-health-timeout), reconnect and converge, without exiting.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ACCOUNT_KINDS } from '../../../operator/api/index.js';
import { builtinKinds } from '../../../operator/runtime/kinds.js';
import { KubeClient } from '../../../operator/runtime/kube-client.js';
import { spawnOperator } from '../../harness/operator.js';
import type { OperatorProcess } from '../../harness/operator.js';
import { startTcpProxy } from '../../runtime/fixtures/tcp-proxy.js';
import type { TcpProxy } from '../../runtime/fixtures/tcp-proxy.js';
import type { ChaosContext, Scenario, ScenarioResult } from '../scenario.js';
import { Checks, random, sleep } from '../scenario.js';
import type { Made } from './workload.js';
import {
  KeyWatcher,
  collectClusterEvidence,
  createObject,
  createTenant,
  editObject,
  emailOffenders,
  inPool,
  keepLog,
  metricSum,
  notConverged,
  plan,
  scrapeMetrics,
  startChaosSmtp,
  unconverged,
  until,
} from './workload.js';

/** The operator's watch health timeout in this scenario (seconds). */
const HEALTH_TIMEOUT_S = 5;

export const stalledWatch: Scenario = {
  name: 'stalled-watch',
  title: 'the operator\'s connections to kube-apiserver freeze without closing (a hung proxy) mid-run; it notices, reconnects and converges',
  async run(ctx: ChaosContext): Promise<ScenarioResult> {
    const rand = random(ctx.seed ^ 0x57a11ed);
    const perKind = ctx.short ? 20 : 100;
    const freezes = ctx.short ? 1 : 3;
    const suffix = randomBytes(3).toString('hex');
    const shard = `chaos-sw-${suffix}`;
    const opsNamespace = `chaos-sw-ops-${suffix}`;
    const timings: Record<string, number> = {};
    const notes: string[] = [];
    const checks = new Checks();
    const kc = new KubeConfig();
    kc.loadFromFile(ctx.cluster.kubeconfig);
    const admin = new KubeClient(kc, { requestTimeoutMs: 10_000 });
    let proxy: TcpProxy | undefined;
    let operator: OperatorProcess | undefined;
    let smtp: Awaited<ReturnType<typeof startChaosSmtp>> | undefined;
    let keys: KeyWatcher | undefined;
    const dir = await mkdtemp(join(tmpdir(), 'chaos-stalled-'));
    try {
      await admin.create(builtinKinds.namespace, { metadata: { name: opsNamespace, labels: { 'blink-test': 'true' } } });
      smtp = await startChaosSmtp(admin, opsNamespace, ctx);
      proxy = await startTcpProxy(ctx.cluster.ports.apiserver);
      // The operator's kubeconfig: the run's, with the server behind the proxy.
      const proxied = join(dir, 'kubeconfig');
      const original = await readFile(ctx.cluster.kubeconfig, 'utf8');
      await writeFile(proxied, original.replace(/server: \S+/, `server: https://127.0.0.1:${proxy.port}`), { mode: 0o600 });
      operator = await spawnOperator(
        ['--kubeconfig', proxied, '--shard', shard, '--namespace', opsNamespace, '--no-leader-elect', '--metrics-port', '0', '--http-port', '0', '--smtp-secret', `${opsNamespace}/smtp`, '--watch-health-timeout', String(HEALTH_TIMEOUT_S)],
        { LOG_LEVEL: 'debug' },
      );
      const running = operator;

      const tenants = [`${shard}-a`, `${shard}-b`];
      const namespaces = await Promise.all(tenants.map((t) => createTenant(admin, t, shard)));
      keys = new KeyWatcher(admin, () => namespaces, ctx);
      keys.start();
      const objects = plan(namespaces, perKind, 'sw-', `${suffix}.stalled.chaos.test`);
      const all: Made[] = [];
      const edited: Made[] = [];
      const firstBatch = objects.slice(0, Math.floor(objects.length / 2));
      await inPool(firstBatch, 6, (m) => createObject(admin, m));
      all.push(...firstBatch);
      const before = await until(() => unconverged(admin, namespaces, tenants), 90_000);
      if (before.offenders.length > 0) throw new Error(`Not converged before the first freeze: ${before.offenders.slice(0, 3).join('; ')}`);

      const rest = objects.slice(firstBatch.length);
      const per = Math.ceil(rest.length / freezes);
      let frozenTotal = 0;
      const silentBefore = metricSum((await scrapeMetrics(running, 'stalled-watch before', ctx)) ?? '', 'blink_informer_watch_restarts_total', { reason: 'silent' });
      const recoveries: number[] = [];
      for (let f = 0; f < freezes; f++) {
        await sleep(Math.floor(rand() * 1_000));
        const frozen = proxy.freeze();
        frozenTotal += frozen;
        const frozenAt = Date.now();
        ctx.say(`stalled-watch: froze ${frozen} connections of the operator`);
        // Work the operator can only learn about from its watches, written straight to kube-apiserver.
        const probe: Made = { kind: 'ServiceAccount', namespace: namespaces[0] as string, name: `sw-probe-${f}` };
        await createObject(admin, probe);
        all.push(probe);
        const batch = rest.slice(f * per, (f + 1) * per);
        const edits = firstBatch.filter((m) => !edited.includes(m)).slice(0, ctx.short ? 4 : 10);
        edited.push(...edits);
        await Promise.all([inPool(batch, 6, (m) => createObject(admin, m)), inPool(edits, 4, (m) => editObject(admin, m, f))]);
        all.push(...batch);
        const progress = await until(async () => {
          const why = notConverged(await admin.get(ACCOUNT_KINDS.serviceAccount, probe.namespace, probe.name).catch(() => undefined), 'ServiceAccount');
          return why ? [why] : [];
        }, 120_000, 100);
        timings[`freeze ${f + 1}: first progress`] = progress.at - frozenAt;
        const converged = await until(() => unconverged(admin, namespaces, tenants), 120_000);
        timings[`freeze ${f + 1}: all Ready`] = converged.at - frozenAt;
        recoveries.push(converged.at - frozenAt);
        ctx.say(`stalled-watch: converged ${((converged.at - frozenAt) / 1000).toFixed(1)} s after the freeze`);
        if (converged.offenders.length > 0) notes.push(`freeze ${f + 1}: not converged within 120 s: ${converged.offenders.slice(0, 3).join('; ')}`);
      }
      const metrics = (await scrapeMetrics(running, 'stalled-watch after', ctx)) ?? '';
      const silentRestarts = metricSum(metrics, 'blink_informer_watch_restarts_total', { reason: 'silent' }) - silentBefore;

      const final = await until(() => unconverged(admin, namespaces, tenants), 30_000);
      checks.none('every object Ready, observed generation current', final.offenders, `${all.length} Users and ServiceAccounts (${edited.length} edited while frozen), ${namespaces.length} Workspaces, ${tenants.length} Tenants`);
      checks.add('the silence was noticed (watches restarted as silent)', silentRestarts > 0, `${silentRestarts} watch restarts for silence (health timeout ${HEALTH_TIMEOUT_S} s)`);
      // A frozen pooled connection is given up after the client's request timeout (30 s); a watch after the health timeout.
      const bound = 30_000 + HEALTH_TIMEOUT_S * 1_000 + 15_000;
      checks.add('recovered within request timeout + health timeout + slack', recoveries.every((ms) => ms <= bound), `max ${(Math.max(...recoveries) / 1000).toFixed(1)} s of ${bound / 1000} s`);
      checks.add('operator process never exited', running.child.exitCode === null && running.child.signalCode === null, running.child.exitCode === null ? 'still running at the end' : `exited ${running.child.exitCode ?? running.child.signalCode}`);
      await keys.stop();
      const now = await keys.poll();
      const sas = all.filter((m) => m.kind === 'ServiceAccount');
      checks.none('one API-key Secret per account, key unchanged since first read', sas.filter((m) => {
        const id = `${m.namespace}/${m.name}`;
        return (now.get(id) ?? []).length !== 1 || now.get(id)?.[0] !== keys?.first.get(id);
      }).map((m) => `${m.namespace}/${m.name}`), `${sas.length} accounts`);
      const counts = await smtp.countsByAddress();
      const users = all.filter((m) => m.kind === 'User');
      checks.none('one invitation email per user', emailOffenders(users, counts), `${users.length} users, one email each`);
      await collectClusterEvidence(admin, namespaces, 'stalled-watch', ctx);
      return {
        counts: { freezes, 'frozen connections': frozenTotal, 'silent watch restarts': silentRestarts, objects: all.length, edits: edited.length, emails: [...counts.values()].reduce((a, b) => a + b, 0) },
        timingsMs: timings,
        checks: checks.list,
        notes,
      };
    } finally {
      await keys?.stop();
      if (operator) {
        await operator.kill('SIGTERM');
        ctx.evidence.text('stalled-watch operator log', operator.output());
        await keepLog('stalled-watch-operator', operator.output());
      }
      await proxy?.close();
      await smtp?.close();
      await admin.delete(builtinKinds.namespace, undefined, opsNamespace).catch(() => undefined);
      admin.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
