import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { Informer } from './informer.js';
import type { KindDescriptor, KubeObject } from './kinds.js';
import type { KubeClient, ObjectList } from './kube-client.js';
import { createLogger } from './logger.js';

const kind: KindDescriptor = { group: 'test.example.com', version: 'v1', kind: 'Widget', plural: 'widgets', namespaced: true };
type Widget = KubeObject & { spec?: { size: number } };

/** A client serving `total` widgets (with managedFields) in pages of `pageSize`; watches never start. */
function pagedClient(total: number, pageSize: number, onPage: (page: number) => void): KubeClient {
  let page = 0;
  return {
    list: (_kind: KindDescriptor, options: { query?: { continue?: string } }): Promise<ObjectList<Widget>> => {
      const start = Number(options.query?.continue ?? 0);
      onPage(page++);
      const items = Array.from({ length: Math.min(pageSize, total - start) }, (_, i) => ({
        metadata: { name: `w${start + i}`, namespace: 'ns', resourceVersion: '1', managedFields: [{ manager: 'kubectl', fieldsV1: { 'f:spec': {} } }] },
        spec: { size: start + i },
      })) as unknown as Widget[];
      const next = start + pageSize;
      return Promise.resolve({ metadata: { resourceVersion: '9', ...(next < total ? { continue: String(next) } : {}) }, items });
    },
    watch: () => new Promise(() => {}),
  } as unknown as KubeClient;
}

describe('Informer list', () => {
  it('prepares each page as it arrives (managedFields dropped, transform applied) before asking for the next', async () => {
    let transformed = 0;
    const transformedBeforePage: number[] = [];
    const informer = new Informer<Widget>({
      client: pagedClient(1_200, 500, () => transformedBeforePage.push(transformed)),
      kind,
      clock: new ManualClock(),
      logger: createLogger({ level: 'silent' }),
      pageSize: 500,
      transform: (w) => (transformed++, w),
    });
    informer.start();
    expect(await informer.waitForSync()).toBe(true);
    expect(transformedBeforePage).toEqual([0, 500, 1_000]);
    expect(informer.size).toBe(1_200);
    expect(informer.list().every((w) => w.metadata?.managedFields === undefined)).toBe(true);
    expect(informer.get('ns/w1199')?.spec?.size).toBe(1_199);
    void informer.stop();
  });
});
