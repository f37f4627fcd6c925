// The operator process itself: probes, metrics, graceful shutdown of the CLI.
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningOperator } from '../operator/operator.js';
import { scrapeMetrics } from './harness/metrics.js';
import { newShard, spawnOperator, startTestOperator } from './harness/operator.js';

describe('operator process', () => {
  let running: RunningOperator | undefined;
  afterAll(async () => {
    await running?.stop();
  });

  it('serves health, readiness and metrics once its caches synced', async () => {
    running = await startTestOperator({ shard: newShard() });
    expect((await fetch(`${running.metricsUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${running.metricsUrl}/readyz`)).status).toBe(200);
    // Probes and metrics stay off the public port of the acceptance page.
    expect((await fetch(`${running.url}/healthz`)).status).toBe(404);
    const metricsUrl = `http://127.0.0.1:${running.manager.metricsServer.port}/metrics`;
    const metrics = await scrapeMetrics(metricsUrl);
    expect(metrics).toContain('workqueue_depth');
  });

  it('runs from the CLI and exits 0 on SIGTERM', async () => {
    const operator = await spawnOperator(['--shard', newShard(), '--no-leader-elect', '--metrics-port', '0', '--http-port', '0', '--access-api-port', '0']);
    const code = await operator.kill('SIGTERM');
    expect(code).toBe(0);
    expect(operator.output()).toMatch(/Shutting down/);
  });
});
