// /metrics names tenants and counts: a real operator serves it only to a bearer
// token that kube-apiserver vouches for (TokenReview) and whose identity may get
// the non-resource URL /metrics (SubjectAccessReview), as controller-runtime's
// secure metrics do. The probes stay open for the kubelet.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningOperator } from '../../operator/operator.js';
import { accessApiToken } from '../harness/access.js';
import { eventually } from '../harness/kube.js';
import { metricsScraper } from '../harness/metrics.js';
import { newShard, startTestOperator } from '../harness/operator.js';

describe('who may read /metrics', () => {
  let operator: RunningOperator;
  const get = async (path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; wwwAuthenticate: string | null }> => {
    const res = await fetch(`${operator.metricsUrl}${path}`, { headers });
    return { status: res.status, body: await res.text(), wwwAuthenticate: res.headers.get('www-authenticate') };
  };

  beforeAll(async () => {
    operator = await startTestOperator({ shard: newShard('metrics-auth') });
  });
  afterAll(async () => {
    await operator?.stop();
  });

  it('answers 401 to a request without a token, or with one kube-apiserver does not vouch for, and shows no figure', async () => {
    for (const headers of [{}, { authorization: 'Bearer not-a-token' }, { authorization: 'Basic YWRtaW46YWRtaW4=' }]) {
      const answer = await get('/metrics', headers);
      expect({ headers, status: answer.status, www: answer.wwwAuthenticate }).toEqual({ headers, status: 401, www: 'Bearer realm="blink-accounts-operator"' });
      expect(answer.body).not.toMatch(/# HELP|blink_/);
    }
    // A valid token for another audience (the access API's) is not one for the API server.
    const accessToken = await accessApiToken();
    expect((await get('/metrics', { authorization: `Bearer ${accessToken}` })).status).toBe(401);
  });

  it('answers 403 to a valid token whose identity may not get /metrics', async () => {
    const { headers } = await metricsScraper({ bind: false });
    const answer = await get('/metrics', headers);
    expect(answer.status).toBe(403);
    expect(answer.body).not.toMatch(/# HELP|blink_/);
    expect(answer.body).toMatch(/nonResourceURLs/);
  });

  it('serves the figures to a token allowed to get /metrics', async () => {
    const { headers } = await metricsScraper();
    // The ClusterRoleBinding reaches kube-apiserver's authorizer within moments.
    const answer = await eventually(async () => {
      const a = await get('/metrics', headers);
      return a.status === 200 ? a : undefined;
    }, 15_000, '200 from /metrics');
    expect(answer.body).toContain('workqueue_depth');
  });

  it('keeps the probes open', async () => {
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/readyz')).status).toBe(200);
  });
});
