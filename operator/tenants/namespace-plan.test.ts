import { describe, expect, it } from 'vitest';
import { SHARD_LABEL, TENANT_LABEL } from '../api/index.js';
import { namespaceLabels, planNamespace } from './namespace-plan.js';
import type { NamespacePlan } from './namespace-plan.js';

const ns = (labels?: Record<string, string>, deleting = false) => ({
  metadata: { name: 'tenant-acme', ...(labels ? { labels } : {}), ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
});

describe('planNamespace', () => {
  const cases: { name: string; shard?: string; observed: ReturnType<typeof ns> | undefined; want: NamespacePlan['action']; labels?: Record<string, string>; reason?: string }[] = [
    { name: 'creates a missing namespace with all labels', observed: undefined, want: 'create', labels: namespaceLabels('acme', undefined) },
    { name: 'creates with the shard label when sharded', shard: 's1', observed: undefined, want: 'create', labels: namespaceLabels('acme', 's1') },
    { name: 'adopts an unlabelled namespace', observed: ns({ team: 'x' }), want: 'label', labels: namespaceLabels('acme', undefined) },
    { name: 'adopts an unlabelled namespace into the shard', shard: 's1', observed: ns(), want: 'label', labels: namespaceLabels('acme', 's1') },
    { name: 'keeps a namespace already ours', observed: ns({ [TENANT_LABEL]: 'acme' }), want: 'none' },
    { name: 'keeps a sharded namespace already ours', shard: 's1', observed: ns({ [TENANT_LABEL]: 'acme', [SHARD_LABEL]: 's1' }), want: 'none' },
    { name: 'adds a missing shard label to our namespace', shard: 's1', observed: ns({ [TENANT_LABEL]: 'acme' }), want: 'label', labels: { [SHARD_LABEL]: 's1' } },
    { name: 'fixes a shard label that drifted', shard: 's2', observed: ns({ [TENANT_LABEL]: 'acme', [SHARD_LABEL]: 's1' }), want: 'label', labels: { [SHARD_LABEL]: 's2' } },
    { name: 'refuses another tenant\'s namespace', observed: ns({ [TENANT_LABEL]: 'globex' }), want: 'refuse', reason: 'NamespaceOwnedByAnotherTenant' },
    { name: 'refuses another tenant\'s namespace even when it is deleting', observed: ns({ [TENANT_LABEL]: 'globex' }, true), want: 'refuse', reason: 'NamespaceOwnedByAnotherTenant' },
    { name: 'waits for a namespace being deleted', observed: ns({ [TENANT_LABEL]: 'acme' }, true), want: 'refuse', reason: 'NamespaceTerminating' },
  ];
  it.each(cases)('$name', ({ shard, observed, want, labels, reason }) => {
    const plan = planNamespace({ tenant: 'acme', namespace: 'tenant-acme', shard, observed });
    expect(plan.action).toBe(want);
    if (labels) expect('labels' in plan ? plan.labels : undefined).toEqual(labels);
    if (reason) expect('reason' in plan ? plan.reason : undefined).toBe(reason);
  });

  it('names the owning tenant when it refuses', () => {
    const plan = planNamespace({ tenant: 'acme', namespace: 'shared', shard: undefined, observed: ns({ [TENANT_LABEL]: 'globex' }) });
    expect(plan).toMatchObject({ action: 'refuse', message: expect.stringContaining('"globex"') });
  });
});
