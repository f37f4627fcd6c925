// Runs the operator for a test file: in-process (fast, for most tests) or as a
// child process (for tests that kill or restart it). Each test file uses its own
// shard, so operators of different files never touch each other's tenants.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger } from '../../operator/runtime/logger.js';
import type { Logger } from '../../operator/runtime/logger.js';
import { FEATURES } from '../../operator/features.js';
import { startOperator } from '../../operator/operator.js';
import type { Feature, OperatorOptions } from '../../operator/context.js';
import type { RunningOperator } from '../../operator/operator.js';
import { cluster } from './kube.js';
import { suiteLogStream } from './suite-logs.js';

/** A shard name unique to this test file and run. */
export function newShard(prefix = 'test'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** The logger of an in-process operator: into the run's log folder (scanned for keys at the end), else silent. */
function testLogger(): Logger {
  const level = process.env['BLINK_TEST_LOG_LEVEL'];
  const stream = suiteLogStream('in-process');
  return stream ? createLogger({ level: level ?? 'info', destination: stream }) : createLogger({ level: level ?? 'silent' });
}

/** Starts the operator in this process against the test control plane (with `features`, only those; default: every feature). */
export async function startTestOperator(options: Partial<Omit<OperatorOptions, 'kubeConfig'>> & { shard: string }, features?: readonly Feature[]): Promise<RunningOperator> {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(cluster().kubeconfig);
  return startOperator({
    kubeConfig,
    leaderElection: false,
    metricsPort: 0,
    httpPort: 0,
    accessApiPort: 0,
    host: '127.0.0.1',
    logger: testLogger(),
    shutdownTimeoutMs: 2_000,
    ...options,
  }, features ?? FEATURES);
}

/** An operator running as `blink-accounts operator run` in a child process. */
export interface OperatorProcess {
  readonly child: ChildProcess;
  /** Everything it logged so far (stdout + stderr). */
  output(): string;
  /** The base URLs it logged when it started (public page, access API, metrics and probes). */
  urls(): { readonly url: string; readonly accessApiUrl: string; readonly metricsUrl: string };
  /** Resolves once the line matching `pattern` has been logged. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Sends a signal and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

const CLI = fileURLToPath(new URL('../../bin/blink-accounts.js', import.meta.url));

/** Starts `blink-accounts operator run <args>` and waits until it logged that it started. */
export async function spawnOperator(args: string[], env: NodeJS.ProcessEnv = {}): Promise<OperatorProcess> {
  // Test operators never take the fixed default port of the access API (8082): files run in parallel.
  const ports = args.includes('--access-api-port') ? [] : ['--access-api-port', '0'];
  const child = spawn(process.execPath, [CLI, 'operator', 'run', '--kubeconfig', cluster().kubeconfig, '--host', '127.0.0.1', ...ports, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const waiter of [...waiters]) {
      if (waiter.pattern.test(output)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const log = suiteLogStream('spawned');
  if (log) {
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    child.once('close', () => log.end());
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const handle: OperatorProcess = {
    child,
    output: () => output,
    urls() {
      const line = output.split('\n').find((l) => l.includes('Started the operator'));
      const logged = JSON.parse(line ?? '{}') as { url?: string; accessApiUrl?: string; metricsUrl?: string };
      return { url: logged.url ?? '', accessApiUrl: logged.accessApiUrl ?? '', metricsUrl: logged.metricsUrl ?? '' };
    },
    waitForLog(pattern, timeoutMs = 30_000) {
      if (pattern.test(output)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`Operator did not log ${pattern} within ${timeoutMs} ms; output:\n${output.slice(-3000)}`)), timeoutMs);
        waiters.push({ pattern, resolve: () => (clearTimeout(timer), resolve()) });
        void exited.then((code) => reject(new Error(`Operator exited (${code}) before logging ${pattern}; output:\n${output.slice(-3000)}`)));
      });
    },
    async kill(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
  await handle.waitForLog(/Started the operator/, 60_000);
  return handle;
}
