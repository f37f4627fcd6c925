// Scrapers of /metrics, made the way Prometheus is in a real cluster: a
// ServiceAccount bound to a ClusterRole that grants `get` on the non-resource URL
// /metrics (what the chart's metrics-reader ClusterRole grants), and a token of
// the API server's own audience (the pod token Prometheus sends). The operator
// checks it for real (TokenReview, SubjectAccessReview).
import { randomBytes } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import { applyObjects } from '../../operator/kube/apply.js';
import { KubeClient } from '../../operator/runtime/kube-client.js';
import { METRICS_PERMISSION } from '../../operator/runtime/metrics-auth.js';
import { adminKubeConfig } from './kube.js';

/** Namespace of the test scrapers' ServiceAccounts. */
export const SCRAPERS_NAMESPACE = 'blink-test-metrics-scrapers';
/** The ClusterRole of the test scrapers: the same rule as the chart's `<release>-metrics-reader`. */
export const TEST_METRICS_READER_ROLE = 'blink-test-metrics-reader';

/** A scraper: its ServiceAccount and the headers to send. */
export interface MetricsScraper {
  readonly serviceAccount: string;
  readonly token: string;
  /** `Authorization: Bearer <token>`. */
  readonly headers: Readonly<Record<string, string>>;
}

/** A fresh ServiceAccount and its token; bound to the metrics-reader ClusterRole unless `bind` is false. */
export async function metricsScraper(options: { readonly bind?: boolean; readonly kubeConfig?: KubeConfig } = {}): Promise<MetricsScraper> {
  const kc = options.kubeConfig ?? adminKubeConfig();
  const name = `scraper-${randomBytes(4).toString('hex')}`;
  const subject = { kind: 'ServiceAccount', name, namespace: SCRAPERS_NAMESPACE };
  await applyObjects(kc, [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: TEST_METRICS_READER_ROLE },
      rules: [{ nonResourceURLs: [METRICS_PERMISSION.path], verbs: [METRICS_PERMISSION.verb] }],
    } as never,
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SCRAPERS_NAMESPACE } } as never,
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: SCRAPERS_NAMESPACE } } as never,
    ...(options.bind === false
      ? []
      : [
          {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'ClusterRoleBinding',
            metadata: { name: `blink-test-${name}` },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: TEST_METRICS_READER_ROLE },
            subjects: [subject],
          } as never,
        ]),
  ]);
  const client = new KubeClient(kc);
  try {
    // No audiences: the API server's own, as a pod's ServiceAccount token has.
    const answer = await client.request<{ status?: { token?: string } }>('POST', `/api/v1/namespaces/${SCRAPERS_NAMESPACE}/serviceaccounts/${name}/token`, {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
    });
    const token = answer.status?.token;
    if (!token) throw new Error(`The TokenRequest of ${SCRAPERS_NAMESPACE}/${name} returned no token`);
    return { serviceAccount: name, token, headers: { authorization: `Bearer ${token}` } };
  } finally {
    client.close();
  }
}

const shared = new Map<string, Promise<MetricsScraper>>();

/** One bound scraper per control plane for the whole process (made on first use). */
export function sharedMetricsScraper(kubeConfig: KubeConfig = adminKubeConfig()): Promise<MetricsScraper> {
  const server = kubeConfig.getCurrentCluster()?.server ?? '';
  let scraper = shared.get(server);
  if (!scraper) {
    scraper = metricsScraper({ kubeConfig });
    scraper.catch(() => shared.delete(server));
    shared.set(server, scraper);
  }
  return scraper;
}

/** GET `url` (an operator's /metrics) as the shared scraper; rejects unless it answers 200. */
export async function scrapeMetrics(url: string, options: { readonly kubeConfig?: KubeConfig; readonly signal?: AbortSignal } = {}): Promise<string> {
  const { headers } = await sharedMetricsScraper(options.kubeConfig);
  const res = await fetch(url, { headers, ...(options.signal ? { signal: options.signal } : {}) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${text.trim()}`);
  return text;
}
