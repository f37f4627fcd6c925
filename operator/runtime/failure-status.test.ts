import { describe, expect, it } from 'vitest';
import { ManualClock, flushMicrotasks } from './clock.js';
import { setCondition } from './conditions.js';
import type { Condition } from './conditions.js';
import { Controller } from './controller.js';
import type { Reconciler } from './controller.js';
import { ApiError, TerminalError, TransientError } from './errors.js';
import { FakeKubeWriter } from './fake-kube-writer.js';
import { failureMessage, failureReason, shouldReportFailure } from './failure-status.js';
import type { KubeObject } from './kinds.js';
import { createLogger } from './logger.js';
import { RuntimeMetrics } from './metrics.js';
import { exponentialRateLimiter } from './rate-limiter.js';
import { writeStatus } from './status-writer.js';

const quota = new ApiError(
  'POST /api/v1/namespaces/tenant-acme/secrets: 403 secrets "etl-runner-api-key" is forbidden: exceeded quota: secrets, requested: count/secrets=1, used: count/secrets=1, limited: count/secrets=1',
  403,
  'Forbidden',
  { statusMessage: 'secrets "etl-runner-api-key" is forbidden: exceeded quota: secrets, requested: count/secrets=1, used: count/secrets=1, limited: count/secrets=1' },
);
const refused = (): TransientError => new TransientError('Creating Secret etl-runner-api-key failed', { cause: quota });

describe('shouldReportFailure', () => {
  it.each<[string, unknown, number, boolean]>([
    ['a terminal error, at once', new TerminalError('InvalidSpec', 'bad'), 1, true],
    ['a transient failure, the first time', refused(), 1, false],
    ['a transient failure, the second time', refused(), 2, false],
    ['a transient failure, the third time in a row', refused(), 3, true],
    ['any thrown error, the third time', new Error('boom'), 3, true],
    ['a write conflict, however often', new TransientError('Writing status failed', { cause: new ApiError('conflict', 409, 'Conflict') }), 9, false],
    ['a failure the reconcile put in status itself', new TransientError('SMTP down', { reportedInStatus: true }), 9, false],
  ])('%s → %s', (_what, error, failures, expected) => {
    expect(shouldReportFailure(error, failures)).toBe(expected);
  });
});

describe('failureReason and failureMessage', () => {
  it('take the reason the error carries, else ReconcileError (never the API server reason)', () => {
    expect(failureReason(new TerminalError('NamespaceReserved', 'x'))).toBe('NamespaceReserved');
    expect(failureReason(new TransientError('x', { reason: 'SecretQuotaExceeded' }))).toBe('SecretQuotaExceeded');
    expect(failureReason(new TransientError('x', { reason: 'not camel case' }))).toBe('ReconcileError');
    expect(failureReason(quota)).toBe('ReconcileError');
    expect(failureReason('thrown text')).toBe('ReconcileError');
  });

  it('say what failed and why, as the API server worded it, without method, path or code', () => {
    expect(failureMessage(refused())).toBe(
      'Creating Secret etl-runner-api-key failed: secrets "etl-runner-api-key" is forbidden: exceeded quota: secrets, requested: count/secrets=1, used: count/secrets=1, limited: count/secrets=1',
    );
  });

  it('carry no time (the same failure gives the same message) and no credential', () => {
    const at = (time: string): Error => new Error(`Webhook denied the request at ${time}`, { cause: new Error('token blink_sa_AbC123_xyz789 and Bearer eyJhbGciOi.abc.def were refused') });
    const message = failureMessage(at('2026-12-07T16:00:01.123Z'));
    expect(message).toBe(failureMessage(at('2026-12-08T09:30:00+02:00')));
    expect(message).not.toMatch(/2026|blink_sa_|eyJ/);
    expect(message).toContain('[REDACTED]');
  });

  it('stay bounded', () => {
    expect(failureMessage(new Error('x'.repeat(5_000))).length).toBeLessThanOrEqual(1_000);
  });
});

const kind = { group: 'example.com', version: 'v1', kind: 'Account', plural: 'accounts', namespaced: true } as const;
type Account = KubeObject & { status?: { conditions?: Condition[] } };

/** A controller over one Account whose reconcile fails while `failing` holds, and otherwise writes Ready=True the way features do. */
function harness(first: Account): { fake: FakeKubeWriter; clock: ManualClock; controller: Controller; setFailing(error: Error | undefined): void; run(): Promise<void> } {
  const fake = new FakeKubeWriter([{ kind, object: first }]);
  const clock = new ManualClock();
  let failing: Error | undefined;
  const reconcile: Reconciler = async (key, rc) => {
    const [namespace = '', name = ''] = key.split('/');
    const account = fake.stored<Account>(kind, namespace, name) as Account;
    if (failing) throw failing;
    const conditions = setCondition(account.status?.conditions, { type: 'Ready', status: 'True', reason: 'KeyIssued', message: 'The API key works' }, rc.clock.now());
    await writeStatus(rc.client, kind, account, { ...account.status, conditions });
    return undefined;
  };
  const controller = new Controller({
    name: 'accounts',
    reconcile,
    clock,
    logger: createLogger({ level: 'silent' }),
    metrics: new RuntimeMetrics(),
    client: fake,
    recorder: fake,
    rateLimiter: exponentialRateLimiter({ baseMs: 100, random: () => 0 }),
    reportFailures: { kind, get: (key) => fake.stored(kind, key.split('/')[0], key.split('/')[1] ?? '') },
  });
  const stop = new AbortController();
  let running: Promise<void> | undefined;
  return {
    fake,
    clock,
    controller,
    setFailing: (error) => (failing = error),
    run: async () => {
      running ??= controller.run(stop.signal, new AbortController().signal);
      // Workers yield to the event loop between items: let them.
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
      await flushMicrotasks();
    },
  };
}

const ready = (fake: FakeKubeWriter): { ready?: string; stalled?: string } => {
  const conditions = fake.stored<Account>(kind, 'ns', 'etl-runner')?.status?.conditions ?? [];
  const find = (type: string): string | undefined => {
    const c = conditions.find((x) => x.type === type);
    return c ? `${c.status} ${c.reason}: ${c.message}` : undefined;
  };
  const out: { ready?: string; stalled?: string } = {};
  const readyText = find('Ready');
  const stalledText = find('Stalled');
  if (readyText) out.ready = readyText;
  if (stalledText) out.stalled = stalledText;
  return out;
};

describe('a reconcile that keeps failing, through the Controller', () => {
  const account = (): Account => ({ metadata: { name: 'etl-runner', namespace: 'ns', uid: 'u1', resourceVersion: '1', generation: 2 }, status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KeyIssued', message: 'The API key works', lastTransitionTime: '2026-01-01T00:00:00Z' }] } });

  it('says Ready=False (and Stalled) with what failed after the third failure, with a Warning Event; one success restores Ready=True in one write', async () => {
    const h = harness(account());
    h.setFailing(refused());
    h.controller.queue.add('ns/etl-runner');
    await h.run();
    await h.clock.advance(100);
    await h.run();
    // Two failures: status still says what it said.
    expect(h.fake.writes).toEqual([]);
    expect(h.fake.events).toEqual([]);
    await h.clock.advance(200);
    await h.run();
    const why = 'Creating Secret etl-runner-api-key failed: secrets "etl-runner-api-key" is forbidden: exceeded quota: secrets, requested: count/secrets=1, used: count/secrets=1, limited: count/secrets=1';
    expect(ready(h.fake)).toEqual({ ready: `False ReconcileError: ${why}`, stalled: `True ReconcileError: ${why}` });
    expect(h.fake.writes).toEqual(['patch Account ns/etl-runner/status']);
    expect(h.fake.events).toEqual([{ regarding: 'ns/etl-runner', type: 'Warning', reason: 'ReconcileError', note: why }]);
    // The same failure again: no new status write (the recorder folds the repeated Event into a series).
    await h.clock.advance(400);
    await h.run();
    expect(h.fake.writes).toEqual(['patch Account ns/etl-runner/status']);
    // Healed: the controller's own status pass replaces the runtime's condition, once.
    h.setFailing(undefined);
    await h.clock.advance(800);
    await h.run();
    expect(ready(h.fake)).toEqual({ ready: 'True KeyIssued: The API key works' });
    expect(h.fake.writes).toEqual(['patch Account ns/etl-runner/status', 'patch Account ns/etl-runner/status']);
    h.controller.queue.add('ns/etl-runner');
    await h.run();
    expect(h.fake.writes).toHaveLength(2);
  });

  it('reports a terminal error at once, with its own reason', async () => {
    const h = harness(account());
    h.setFailing(new TerminalError('InvalidTemplate', 'spec.secretTemplate names the data key of the API key twice'));
    h.controller.queue.add('ns/etl-runner');
    await h.run();
    expect(ready(h.fake).ready).toBe('False InvalidTemplate: spec.secretTemplate names the data key of the API key twice');
    expect(h.fake.events.map((e) => `${e.type} ${e.reason}`)).toEqual(['Warning InvalidTemplate']);
  });
});
