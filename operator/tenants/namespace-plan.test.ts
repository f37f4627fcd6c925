import { describe, expect, it } from 'vitest';
import { ADOPT_ANNOTATION, CREATED_FOR_ANNOTATION, MANAGED_LABELS, SHARD_LABEL, TENANT_LABEL } from '../api/index.js';
import { namespaceLabels, operatorLabelKeys, planNamespace } from './namespace-plan.js';
import type { NamespacePlan } from './namespace-plan.js';

const ns = (labels?: Record<string, string>, deleting = false, annotations?: Record<string, string>) => ({
  metadata: {
    name: 'tenant-acme',
    ...(labels ? { labels } : {}),
    ...(annotations ? { annotations } : {}),
    ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
  },
});
const optedIn = (labels?: Record<string, string>, tenant = 'acme') => ns(labels, false, { [ADOPT_ANNOTATION]: tenant });
const plan = (observed: ReturnType<typeof ns> | undefined, options: { namespace?: string; shard?: string } = {}) =>
  planNamespace({ tenant: 'acme', tenantUid: 'uid-acme', namespace: options.namespace ?? 'tenant-acme', operatorNamespace: 'blink-accounts-system', shard: options.shard, observed });

describe('planNamespace', () => {
  const cases: {
    name: string;
    namespace?: string;
    shard?: string;
    observed: ReturnType<typeof ns> | undefined;
    want: NamespacePlan['action'];
    labels?: Record<string, string>;
    reason?: string;
    unlabel?: string[];
  }[] = [
    { name: 'creates a missing namespace with all labels', observed: undefined, want: 'create', labels: namespaceLabels('acme', undefined) },
    { name: 'creates with the shard label when sharded', shard: 's1', observed: undefined, want: 'create', labels: namespaceLabels('acme', 's1') },
    { name: 'refuses an existing unlabelled namespace without the opt-in', observed: ns({ team: 'x' }), want: 'refuse', reason: 'NamespaceNotOptedIn', unlabel: [] },
    { name: 'refuses a namespace whose opt-in names another tenant', observed: optedIn({}, 'globex'), want: 'refuse', reason: 'NamespaceNotOptedIn' },
    { name: 'refuses a namespace marked as created for another Tenant uid, without the opt-in', observed: ns({}, false, { [CREATED_FOR_ANNOTATION]: 'uid-old' }), want: 'refuse', reason: 'NamespaceNotOptedIn' },
    { name: 'adopts an opted-in namespace: only the tenant label', observed: optedIn({ team: 'x' }), want: 'label', labels: { [TENANT_LABEL]: 'acme' } },
    { name: 'adopts an opted-in namespace into the shard', shard: 's1', observed: optedIn(), want: 'label', labels: { [TENANT_LABEL]: 'acme', [SHARD_LABEL]: 's1' } },
    { name: 'keeps a namespace already ours', observed: ns({ [TENANT_LABEL]: 'acme' }), want: 'none' },
    { name: 'keeps a sharded namespace already ours', shard: 's1', observed: ns({ [TENANT_LABEL]: 'acme', [SHARD_LABEL]: 's1' }), want: 'none' },
    { name: 'adds a missing shard label to our namespace', shard: 's1', observed: ns({ [TENANT_LABEL]: 'acme' }), want: 'label', labels: { [SHARD_LABEL]: 's1' } },
    { name: 'fixes a shard label that drifted', shard: 's2', observed: ns({ [TENANT_LABEL]: 'acme', [SHARD_LABEL]: 's1' }), want: 'label', labels: { [SHARD_LABEL]: 's2' } },
    { name: 'refuses another tenant\'s namespace', observed: ns({ [TENANT_LABEL]: 'globex' }), want: 'refuse', reason: 'NamespaceOwnedByAnotherTenant', unlabel: [] },
    { name: 'refuses another tenant\'s namespace even when it opted in for this one', observed: optedIn({ [TENANT_LABEL]: 'globex' }), want: 'refuse', reason: 'NamespaceOwnedByAnotherTenant' },
    { name: 'refuses another tenant\'s namespace even when it is deleting', observed: ns({ [TENANT_LABEL]: 'globex' }, true), want: 'refuse', reason: 'NamespaceOwnedByAnotherTenant' },
    { name: 'waits for a namespace being deleted', observed: ns({ [TENANT_LABEL]: 'acme' }, true), want: 'refuse', reason: 'NamespaceTerminating' },
    { name: 'refuses kube-system, existing or not', namespace: 'kube-system', observed: optedIn(), want: 'refuse', reason: 'NamespaceReserved', unlabel: [] },
    { name: 'refuses any kube- namespace', namespace: 'kube-node-lease', observed: undefined, want: 'refuse', reason: 'NamespaceReserved' },
    { name: 'refuses default', namespace: 'default', observed: ns(), want: 'refuse', reason: 'NamespaceReserved' },
    { name: 'refuses the operator\'s own namespace and creates nothing', namespace: 'blink-accounts-system', observed: undefined, want: 'refuse', reason: 'NamespaceReserved', unlabel: [] },
    {
      name: 'refuses a reserved namespace labelled for the tenant earlier, removing the operator\'s labels only',
      namespace: 'blink-accounts-system',
      shard: 's1',
      observed: ns({ [TENANT_LABEL]: 'acme', [SHARD_LABEL]: 's1', ...MANAGED_LABELS, team: 'platform' }),
      want: 'refuse',
      reason: 'NamespaceReserved',
      unlabel: [...Object.keys(MANAGED_LABELS), TENANT_LABEL, SHARD_LABEL],
    },
  ];
  it.each(cases)('$name', ({ namespace, shard, observed, want, labels, reason, unlabel }) => {
    const got = plan(observed, { ...(namespace ? { namespace } : {}), ...(shard ? { shard } : {}) });
    expect(got.action).toBe(want);
    if (labels) expect('labels' in got ? got.labels : undefined).toEqual(labels);
    if (reason) expect('reason' in got ? got.reason : undefined).toBe(reason);
    if (unlabel) expect('unlabel' in got ? [...got.unlabel].sort() : undefined).toEqual([...unlabel].sort());
  });

  it('marks a namespace it creates with the Tenant\'s uid', () => {
    expect(plan(undefined)).toMatchObject({ action: 'create', annotations: { [CREATED_FOR_ANNOTATION]: 'uid-acme' } });
  });

  it('names the owning tenant when it refuses', () => {
    expect(plan(ns({ [TENANT_LABEL]: 'globex' }), { namespace: 'shared' })).toMatchObject({ action: 'refuse', message: expect.stringContaining('"globex"') });
  });

  it('says exactly which annotation opts a namespace in', () => {
    expect(plan(ns())).toMatchObject({ message: expect.stringContaining(`kubectl annotate namespace tenant-acme ${ADOPT_ANNOTATION}=acme`) });
  });
});

describe('operatorLabelKeys', () => {
  it('are the operator\'s labels with the operator\'s values, on a namespace labelled for the tenant', () => {
    expect(operatorLabelKeys(ns({ [TENANT_LABEL]: 'acme', 'app.kubernetes.io/managed-by': 'someone-else', team: 'x' }), 'acme')).toEqual([TENANT_LABEL]);
    expect(operatorLabelKeys(ns({ [TENANT_LABEL]: 'globex' }), 'acme')).toEqual([]);
    expect(operatorLabelKeys(undefined, 'acme')).toEqual([]);
  });
});
