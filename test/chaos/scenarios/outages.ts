// Outages: on a control plane of its own, kube-apiserver and then etcd are
// killed (SIGKILL) for a few seconds while the operator process is converging a batch
// of Users (with real invitation emails) and ServiceAccounts over several
// tenants; then two replicas share the lease and the leader is killed over and
// over (SIGKILL and SIGTERM in turn) while more objects are created, edited
// and deleted. At the end every object is converged for its generation, each
// service account has exactly one API-key Secret holding the key it was first
// issued, each person got exactly one invitation email, and nothing the
// operator made outlived its owner.
import { KubeConfig } from '@kubernetes/client-node';
import { ACCOUNT_KINDS } from '../../../operator/api/index.js';
import type { ClusterState } from '../../../operator/dev-cluster/cluster.js';
import { startCluster, startComponent, stopCluster, stopComponent, waitForApiServer } from '../../../operator/dev-cluster/cluster.js';
import { OPERATOR_NAMESPACE, installProduct } from '../../../operator/kube/install.js';
import { builtinKinds } from '../../../operator/runtime/kinds.js';
import { KubeClient } from '../../../operator/runtime/kube-client.js';
import type { CaughtMessage } from '../../../operator/dev-smtp/server.js';
import { spawnOperator } from '../../harness/operator.js';
import type { OperatorProcess } from '../../harness/operator.js';
import { acceptOverHttp, linkOf } from '../../users/fixtures.js';
import type { ChaosContext, Scenario, ScenarioResult } from '../scenario.js';
import { DEFAULT_SEND_CONCURRENCY } from '../../../operator/users/send-queue.js';
import { unconfirmedDeliveryCheck } from '../invariants.js';
import { Checks, random, sleep } from '../scenario.js';
import type { Made } from './workload.js';
import {
  KeyWatcher,
  collectClusterEvidence,
  createObject,
  createTenant,
  deleteObject,
  editObject,
  emailOffenders,
  inPool,
  keepLog,
  notConverged,
  orphanSecrets,
  plan,
  scrapeMetrics,
  startChaosSmtp,
  unconfirmedUsers,
  unconverged,
  until,
} from './workload.js';

const LEASE = 'blink-accounts-operator';

/** One operator process and what it logged about leadership. */
interface Replica {
  readonly identity: string;
  readonly process: OperatorProcess;
  /** Set when the scenario killed it (any other exit is a failure). */
  killed?: NodeJS.Signals;
}

/** Wall-clock times of the "Became leader" lines a process logged. */
function leadershipTimes(operator: OperatorProcess): number[] {
  const times: number[] = [];
  for (const line of operator.output().split('\n')) {
    if (!line.includes('"Became leader"')) continue;
    try {
      times.push(Date.parse((JSON.parse(line) as { time: string }).time));
    } catch {
      // A partial line; the next read has it whole.
    }
  }
  return times;
}

export const outages: Scenario = {
  name: 'outages',
  title: 'kube-apiserver and etcd restarted mid-convergence, then the leader of two replicas killed again and again',
  async run(ctx: ChaosContext): Promise<ScenarioResult> {
    const rand = random(ctx.seed ^ 0x5eed0a7);
    const perKind = ctx.short ? 20 : 200;
    const tenantCount = ctx.short ? 2 : 3;
    const kills = ctx.short ? 2 : 6;
    const phase1 = Math.round(perKind * 0.6);
    const timings: Record<string, number> = {};
    const notes: string[] = [];
    const checks = new Checks();
    const name = `chaos-outages-${process.pid}`;
    ctx.say(`outages: private control plane ${name}`);
    const state: ClusterState = await startCluster({ name, binaries: ctx.cluster.binaries, ownerPid: process.pid });
    const replicas: Replica[] = [];
    let client: KubeClient | undefined;
    let smtp: Awaited<ReturnType<typeof startChaosSmtp>> | undefined;
    let keys: KeyWatcher | undefined;
    try {
      const kc = new KubeConfig();
      kc.loadFromFile(state.kubeconfig);
      await installProduct(kc);
      client = new KubeClient(kc, { requestTimeoutMs: 10_000 });
      const admin = client;
      smtp = await startChaosSmtp(admin, OPERATOR_NAMESPACE, ctx);

      let spawned = 0;
      const spawn = async (letter: string): Promise<Replica> => {
        const identity = `replica-${letter}-${spawned++}`;
        const operator = await spawnOperator(
          ['--kubeconfig', state.kubeconfig, '--identity', identity, '--metrics-port', '0', '--http-port', '0', '--smtp-secret', `${OPERATOR_NAMESPACE}/smtp`],
          { LOG_LEVEL: 'debug' },
        );
        const replica: Replica = { identity, process: operator };
        replicas.push(replica);
        return replica;
      };
      const holder = async (): Promise<string | undefined> => {
        const lease = await admin.get<{ spec?: { holderIdentity?: string | null } }>(builtinKinds.lease, OPERATOR_NAMESPACE, LEASE).catch(() => undefined);
        return lease?.spec?.holderIdentity ?? undefined;
      };

      // One replica, leading.
      const first = await spawn('a');
      await until(async () => ((await holder()) === first.identity ? [] : ['not leading']), 30_000);

      const tenants = Array.from({ length: tenantCount }, (_, i) => `chaos-${String.fromCharCode(97 + i)}`);
      const namespaces = await Promise.all(tenants.map((t) => createTenant(admin, t, undefined)));
      keys = new KeyWatcher(admin, () => namespaces, ctx);
      keys.start();
      const all: Made[] = [];
      const deleted: Made[] = [];
      const live = (): Made[] => all.filter((m) => !deleted.includes(m));
      const liveConverged = async (): Promise<string[]> => unconverged(admin, namespaces, tenants);

      // Creates `batch` in the background; resolves `started` once `fraction` of it was created.
      const createInBackground = (batch: readonly Made[], fraction: number): { started: Promise<void>; done: Promise<void> } => {
        all.push(...batch);
        let count = 0;
        let signal: () => void = () => undefined;
        const started = new Promise<void>((resolve) => (signal = resolve));
        const threshold = Math.max(1, Math.floor(batch.length * fraction));
        const done = inPool(batch, 6, async (made) => {
          await createObject(admin, made);
          if (++count >= threshold) signal();
        }).finally(() => signal());
        return { started, done };
      };

      // Stops a component mid-convergence and starts it again; returns when it answers again.
      const outage = async (component: 'kube-apiserver' | 'etcd'): Promise<number> => {
        const downMs = 2_000 + Math.floor(rand() * 1_000);
        const stoppedAt = Date.now();
        // A crash (SIGKILL), not a graceful stop: in-flight requests and watches are cut mid-way.
        await stopComponent(state, component, true);
        await sleep(downMs);
        await startComponent(state, component);
        await waitForApiServer(state, 60_000);
        const backAt = Date.now();
        timings[`${component} down`] = backAt - stoppedAt;
        ctx.say(`outages: ${component} was down ${((backAt - stoppedAt) / 1000).toFixed(1)} s`);
        return backAt;
      };

      // After an outage: a probe the operator has never seen (first progress), then everything Ready.
      const recovery = async (component: string, backAt: number, done: Promise<void>): Promise<void> => {
        const probe: Made = { kind: 'ServiceAccount', namespace: namespaces[0] as string, name: `probe-${component}` };
        await createObject(admin, probe);
        all.push(probe);
        const progress = await until(async () => {
          const why = notConverged(await admin.get(ACCOUNT_KINDS.serviceAccount, probe.namespace, probe.name).catch(() => undefined), 'ServiceAccount');
          return why ? [why] : [];
        }, 90_000, 100);
        timings[`${component}: first progress`] = progress.at - backAt;
        await done;
        const ready = await until(liveConverged, 120_000);
        timings[`${component}: all Ready`] = ready.at - backAt;
        if (ready.offenders.length > 0) notes.push(`after the ${component} restart, not converged within 120 s: ${ready.offenders.slice(0, 3).join('; ')}`);
      };

      // Phase 1: the outages, each while a batch is being created and converged.
      const phase1Objects = plan(namespaces, phase1, 'p1-', 'one.chaos.test');
      const half = Math.floor(phase1Objects.length / 2);
      const batch1 = createInBackground(phase1Objects.slice(0, half), 0.4);
      await batch1.started;
      const apiBack = await outage('kube-apiserver');
      await recovery('kube-apiserver', apiBack, batch1.done);
      const batch2 = createInBackground(phase1Objects.slice(half), 0.4);
      await batch2.started;
      const etcdBack = await outage('etcd');
      await recovery('etcd', etcdBack, batch2.done);

      // Phase 2: a second replica on the same lease; the leader killed `kills` times.
      await spawn('b');
      const phase2Objects = plan(namespaces, perKind - phase1, 'p2-', 'two.chaos.test');
      const chunk = Math.ceil(phase2Objects.length / kills);
      const editable = phase1Objects.slice();
      const handovers: { signal: NodeJS.Signals; ms: number }[] = [];
      for (let k = 0; k < kills; k++) {
        const signal: NodeJS.Signals = k % 2 === 0 ? 'SIGKILL' : 'SIGTERM';
        const creating = createInBackground(phase2Objects.slice(k * chunk, (k + 1) * chunk), 0.5);
        const edits = editable.splice(0, ctx.short ? 2 : 10);
        const removals = editable.splice(0, ctx.short ? 1 : 4);
        const churn = inPool([...edits.map((m) => () => editObject(admin, m, k)), ...removals.map((m) => () => deleteObject(admin, m).then(() => void deleted.push(m)))], 4, (f) => f());
        await creating.started;
        await sleep(Math.floor(rand() * 1_000));
        let leader: Replica | undefined;
        await until(async () => {
          const id = await holder();
          leader = replicas.find((r) => !r.killed && r.identity === id);
          return leader ? [] : [`holder ${id}`];
        }, 30_000);
        if (!leader) throw new Error(`No live replica holds the lease before kill ${k + 1}`);
        await scrapeMetrics(leader.process, `outages ${leader.identity}`, ctx, kc);
        const killedAt = Date.now();
        leader.killed = signal;
        await leader.process.kill(signal);
        const letter = leader.identity.split('-')[1] as string;
        const respawn = spawn(letter);
        const took = await until(async () => (replicas.some((r) => r !== leader && leadershipTimes(r.process).some((t) => t >= killedAt)) ? [] : ['no new leader']), 45_000, 50);
        const newLeaderAt = Math.min(...replicas.filter((r) => r !== leader).flatMap((r) => leadershipTimes(r.process).filter((t) => t >= killedAt)));
        if (took.offenders.length > 0) throw new Error(`No replica became leader within 45 s of ${signal} of ${leader.identity}`);
        handovers.push({ signal, ms: newLeaderAt - killedAt });
        timings[`hand-over ${k + 1} (${signal})`] = newLeaderAt - killedAt;
        ctx.say(`outages: ${signal} of ${leader.identity}, new leader after ${((newLeaderAt - killedAt) / 1000).toFixed(1)} s`);
        await respawn;
        await creating.done;
        await churn;
      }
      const lastKill = Date.now();
      await until(liveConverged, 180_000);

      // A few people accept over HTTP, on a replica that did not necessarily send their email
      // (every replica serves the page): they become Active, Ready=True.
      const mailed = await smtp.countsByAddress();
      const serving = replicas.find((r) => !r.killed);
      const accepting = live().filter((m) => m.kind === 'User' && mailed.get(m.email ?? '') === 1).slice(0, ctx.short ? 2 : 5);
      const messages = await smtp.server.messages();
      const refused: string[] = [];
      for (const user of accepting) {
        const message = messages.find((m) => m.to.includes(user.email ?? ''));
        const link = linkOf(message as CaughtMessage).replace(/^https?:\/\/[^/]+/, (serving?.process.urls().url ?? '').replace(/\/+$/, ''));
        const res = await acceptOverHttp(link);
        const body = await res.text();
        ctx.evidence.text(`outages acceptance page ${user.name} (HTTP ${res.status})`, body);
        if (res.status !== 200) refused.push(`${user.name}: HTTP ${res.status}`);
      }
      const active = await until(async () => {
        const out: string[] = [];
        for (const user of accepting) {
          const read = await admin.get<{ status?: { phase?: string } }>(ACCOUNT_KINDS.user, user.namespace, user.name);
          if (read.status?.phase !== 'Active') out.push(`${user.name}: ${read.status?.phase}`);
        }
        return out;
      }, 30_000);
      checks.none('accepted invitations make Active users', [...refused, ...active.offenders], `${accepting.length} accepted over HTTP on ${serving?.identity}, all Active`);
      const final = await until(liveConverged, 60_000);
      timings['all Ready after the last kill'] = final.at - lastKill;

      // Checks.
      checks.none('every object Ready for its generation', final.offenders, `${live().length} Users and ServiceAccounts, ${namespaces.length} Workspaces, ${tenants.length} Tenants converged`);
      await keys.stop();
      const now = await keys.poll();
      const liveSas = live().filter((m) => m.kind === 'ServiceAccount');
      checks.none('exactly one API-key Secret per service account', liveSas.filter((m) => (now.get(`${m.namespace}/${m.name}`) ?? []).length !== 1).map((m) => `${m.namespace}/${m.name}: ${(now.get(`${m.namespace}/${m.name}`) ?? []).length}`), `${liveSas.length} accounts, one Secret each`);
      checks.none('every key unchanged since first read', liveSas.filter((m) => { const id = `${m.namespace}/${m.name}`; return !keys!.first.has(id) || now.get(id)?.[0] !== keys!.first.get(id); }).map((m) => `${m.namespace}/${m.name}${keys!.first.has(`${m.namespace}/${m.name}`) ? ' changed' : ' never read'}`), `${liveSas.length} keys identical to the first read`);
      const counts = await smtp.countsByAddress();
      // A SIGKILL can cut short the sends in flight (the send queue's concurrency): each such User is
      // told DeliveryUnconfirmed and got at most one email; any other unconfirmed delivery is a fault.
      const unconfirmed = new Set(await unconfirmedUsers(admin, namespaces));
      const sigkills = handovers.filter((h) => h.signal === 'SIGKILL').length;
      const cut = live().filter((m) => m.kind === 'User' && unconfirmed.has(`${m.namespace}/${m.name}`));
      const unconfirmedCheck = unconfirmedDeliveryCheck(cut.map((u) => ({ name: u.name, emails: counts.get(u.email ?? '') ?? 0 })), sigkills, DEFAULT_SEND_CONCURRENCY);
      checks.add(unconfirmedCheck.name, unconfirmedCheck.ok, unconfirmedCheck.detail);
      if (cut.length > 0) notes.push(`${cut.map((u) => u.name).join(', ')}: InvitationSent=Unknown/DeliveryUnconfirmed after a SIGKILL mid-send (never mailed twice; the admin resends)`);
      const liveUsers = live().filter((m) => m.kind === 'User' && !unconfirmed.has(`${m.namespace}/${m.name}`));
      const deletedUsers = deleted.filter((m) => m.kind === 'User');
      const known = new Set(all.filter((m) => m.kind === 'User').map((m) => m.email));
      checks.none('one invitation email per user', [
        ...emailOffenders(liveUsers, counts),
        ...deletedUsers.filter((u) => (counts.get(u.email ?? '') ?? 0) > 1).map((u) => `${u.email} (deleted): ${counts.get(u.email ?? '')} emails`),
        ...[...counts.keys()].filter((a) => !known.has(a)).map((a) => `${a}: mail to an address no User has`),
      ], `${liveUsers.length} live users one email each (${cut.length} unconfirmed apart); ${deletedUsers.length} deleted users at most one`);
      const orphans = await until(() => orphanSecrets(admin, namespaces), 60_000, 500);
      checks.none('no orphan Secrets', orphans.offenders, `none left by ${deleted.length} deleted objects`);
      const sigkill = handovers.filter((h) => h.signal === 'SIGKILL').map((h) => h.ms);
      const sigterm = handovers.filter((h) => h.signal === 'SIGTERM').map((h) => h.ms);
      checks.add('SIGKILL hand-over within lease duration + slack', sigkill.every((ms) => ms <= 25_000), `max ${(Math.max(...sigkill) / 1000).toFixed(1)} s of 25 s (lease 15 s)`);
      // SIGTERM: in-flight reconciles finish (at most the 10 s shutdown bound), then the lease is released: sooner than its 15 s expiry.
      checks.add('SIGTERM hand-over on release, before the lease expires', sigterm.every((ms) => ms <= 12_000), `max ${(Math.max(...sigterm) / 1000).toFixed(1)} s of 12 s (shutdown bound 10 s; expiry would take 15 s)`);
      const died = replicas.filter((r) => !r.killed && (r.process.child.exitCode !== null || r.process.child.signalCode !== null));
      checks.none('no operator process exited on its own', died.map((r) => `${r.identity} exited ${r.process.child.exitCode ?? r.process.child.signalCode}`), `${replicas.length} processes, ${replicas.filter((r) => r.killed).length} killed by the scenario, none died otherwise`);

      for (const r of replicas.filter((x) => !x.killed)) await scrapeMetrics(r.process, `outages ${r.identity}`, ctx, kc);
      await collectClusterEvidence(admin, namespaces, 'outages', ctx);
      return {
        counts: { restarts: 2, kills, acceptances: accepting.length, 'operator processes': replicas.length, objects: all.length, deleted: deleted.length, tenants: tenants.length, emails: [...counts.values()].reduce((a, b) => a + b, 0) },
        timingsMs: timings,
        checks: checks.list,
        notes,
      };
    } finally {
      await keys?.stop();
      for (const r of replicas) {
        if (!r.killed) await r.process.kill('SIGTERM');
        ctx.evidence.text(`outages operator log ${r.identity}`, r.process.output());
        await keepLog(`outages-${r.identity}`, r.process.output());
      }
      client?.close();
      await smtp?.close();
      await stopCluster(name);
    }
  },
};
