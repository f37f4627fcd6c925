import { describe, expect, it } from 'vitest';
import type { DeliveryTarget, NamespaceFacts } from './delivery-plan.js';
import { deliveredTo, deliveryCondition, mergeRollouts, namespaceAccess, planDelivery } from './delivery-plan.js';

const OPT_IN = 'accounts.blinkops.com/accept-keys-from';

function facts(namespace: string, extra: Partial<NamespaceFacts> = {}): NamespaceFacts {
  return { namespace, accountNamespace: 'tenant-acme', operatorNamespace: 'ops', tenant: 'acme', isTenantNamespace: false, optInLabels: { [OPT_IN]: 'acme' }, ...extra };
}

describe('namespaceAccess', () => {
  it.each([
    ['a namespace opted in for the tenant', facts('payments'), 'opted-in'],
    ['no opt-in label', facts('payments', { optInLabels: undefined }), 'not-opted-in'],
    ['an opt-in for another tenant', facts('payments', { optInLabels: { [OPT_IN]: 'globex' } }), 'not-opted-in'],
    ['an opt-in with a look-alike value', facts('payments', { optInLabels: { [OPT_IN]: 'Acme' } }), 'not-opted-in'],
    ['a namespace being deleted', facts('payments', { terminating: true }), 'not-opted-in'],
  ])('%s → %s', (_what, input, want) => {
    expect(namespaceAccess(input)).toEqual(want);
  });

  it.each([
    ['kube-system', facts('kube-system'), 'it is a system namespace'],
    ['kube-public', facts('kube-public'), 'it is a system namespace'],
    ['default', facts('default'), 'it is a system namespace'],
    ["the operator's namespace", facts('ops'), "it is the operator's own namespace"],
    ['blink-accounts-system where the operator runs elsewhere', facts('blink-accounts-system'), "it is the operator's own namespace"],
    ["the account's own namespace", facts('tenant-acme'), "it is the account's own namespace, where the key Secret already is"],
    ["another tenant's namespace, opted in all the same", facts('tenant-globex', { isTenantNamespace: true }), "it is a tenant's namespace"],
  ])('refuses %s, opt-in or not', (_what, input, why) => {
    expect(namespaceAccess(input)).toEqual({ refused: why });
    expect(namespaceAccess({ ...input, optInLabels: undefined })).toEqual({ refused: why });
  });
});

const KEY = 'k2';

function target(extra: Partial<DeliveryTarget> = {}): DeliveryTarget {
  return { namespace: 'payments', secretName: 'etl-api-key', access: 'opted-in', copy: undefined, deliveredKeyId: undefined, ...extra };
}
const copy = (c: Partial<NonNullable<DeliveryTarget['copy']>> = {}): DeliveryTarget['copy'] => ({ ownership: 'this', keyId: KEY, holdsKey: true, exact: true, ...c });

describe('planDelivery', () => {
  it.each<[string, DeliveryTarget, boolean, object]>([
    ['first delivery', target(), false, { action: 'write', reason: 'Delivered', restart: false }],
    ['an exact copy', target({ copy: copy(), deliveredKeyId: KEY }), false, { action: 'keep', restart: false }],
    ['a copy deleted by someone else', target({ deliveredKeyId: KEY }), false, { action: 'write', reason: 'Deleted', restart: false }],
    ['a copy deleted right after a rotation', target({ deliveredKeyId: 'k1' }), false, { action: 'write', reason: 'Deleted', restart: true }],
    ['a copy still holding the previous key after a rotation', target({ copy: copy({ keyId: 'k1', holdsKey: false, exact: false }), deliveredKeyId: 'k1' }), false, { action: 'write', reason: 'Rotated', restart: true }],
    ['a copy holding some other key', target({ copy: copy({ keyId: 'k9', holdsKey: false, exact: false }), deliveredKeyId: KEY }), false, { action: 'write', reason: 'Altered', restart: false }],
    ['a copy with an unreadable key', target({ copy: copy({ keyId: undefined, holdsKey: false, exact: false }), deliveredKeyId: KEY }), false, { action: 'write', reason: 'Altered', restart: false }],
    ['the right key, metadata edited by hand', target({ copy: copy({ exact: false }), deliveredKeyId: KEY }), false, { action: 'write', reason: 'Altered', restart: false }],
    ['the right key, the template changed in the spec', target({ copy: copy({ exact: false }), deliveredKeyId: KEY }), true, { action: 'write', reason: 'Updated', restart: false }],
    ['a copy written before status recorded it', target({ copy: copy({ exact: false }) }), false, { action: 'write', reason: 'Delivered', restart: false }],
    ['a copy written but its restarts not recorded (restart again)', target({ copy: copy(), deliveredKeyId: 'k1' }), false, { action: 'keep', restart: true }],
    ["someone else's Secret of that name", target({ copy: copy({ ownership: 'foreign' }) }), false, { action: 'conflict' }],
    ['a namespace without opt-in', target({ access: 'not-opted-in', copy: copy(), deliveredKeyId: KEY }), false, { action: 'not-opted-in' }],
    ['a refused namespace', target({ access: { refused: 'it is a system namespace' } }), false, { action: 'refused', why: 'it is a system namespace' }],
  ])('%s', (_what, t, specChanged, want) => {
    expect(planDelivery({ keyId: KEY, targets: [t], specChanged, copies: [] }).targets[0]?.plan).toEqual(want);
  });

  it('removes every copy of the account that is not wanted where it is: entry gone, renamed, opt-in withdrawn', () => {
    const plan = planDelivery({
      keyId: KEY,
      specChanged: false,
      targets: [target({ copy: copy(), deliveredKeyId: KEY }), target({ namespace: 'billing', secretName: 'renamed' }), target({ namespace: 'withdrawn', access: 'not-opted-in' })],
      copies: [
        { namespace: 'payments', name: 'etl-api-key' },
        { namespace: 'billing', name: 'etl-api-key' },
        { namespace: 'withdrawn', name: 'etl-api-key' },
        { namespace: 'dropped', name: 'etl-api-key' },
      ],
    });
    expect(plan.remove).toEqual([
      { namespace: 'billing', name: 'etl-api-key' },
      { namespace: 'withdrawn', name: 'etl-api-key' },
      { namespace: 'dropped', name: 'etl-api-key' },
    ]);
    expect(deliveredTo(plan, KEY)).toEqual([
      { namespace: 'payments', secretName: 'etl-api-key', keyId: KEY },
      { namespace: 'billing', secretName: 'renamed', keyId: KEY },
    ]);
  });

  it('never removes anything when there are no copies, whatever is asked', () => {
    expect(planDelivery({ keyId: KEY, specChanged: false, targets: [target({ access: 'not-opted-in' })], copies: [] }).remove).toEqual([]);
  });
});

describe('deliveryCondition', () => {
  const plan = (targets: DeliveryTarget[]): ReturnType<typeof planDelivery> => planDelivery({ keyId: KEY, specChanged: false, targets, copies: [] });

  it('is absent without targets, True when every copy is in place', () => {
    expect(deliveryCondition(plan([]), 'acme')).toBeUndefined();
    expect(deliveryCondition(plan([target({ copy: copy(), deliveredKeyId: KEY }), target({ namespace: 'billing' })]), 'acme')).toEqual({
      status: 'True',
      reason: 'Delivered',
      message: 'The API key is in payments/etl-api-key, billing/etl-api-key',
    });
  });

  it('names what is missing and why, the refusal first, and the command the namespace owner types', () => {
    const condition = deliveryCondition(
      plan([
        target({ namespace: 'ghost', access: 'not-opted-in' }),
        target({ namespace: 'shared', copy: copy({ ownership: 'foreign' }) }),
        target({ namespace: 'kube-system', access: { refused: 'it is a system namespace' } }),
        target({ copy: copy(), deliveredKeyId: KEY }),
      ]),
      'acme',
    );
    expect(condition).toEqual({
      status: 'False',
      reason: 'NamespaceRefused',
      message:
        "Never delivered to kube-system (it is a system namespace): keys go only to namespaces outside every tenant and the cluster's own. Secret shared/etl-api-key exists and is not this account's copy: delete or rename it, or choose another secretName. Not delivered to ghost: a namespace receives keys only once its owner labels it accounts.blinkops.com/accept-keys-from=acme (kubectl label namespace ghost accounts.blinkops.com/accept-keys-from=acme). The API key is in payments/etl-api-key",
    });
    expect(deliveryCondition(plan([target({ copy: copy({ ownership: 'foreign' }) }), target({ namespace: 'x', access: 'not-opted-in' })]), 'acme')?.reason).toBe('SecretConflict');
    expect(deliveryCondition(plan([target({ access: 'not-opted-in' })]), 'acme')?.reason).toBe('NamespaceNotOptedIn');
  });
});

describe('mergeRollouts', () => {
  it('keeps a lone outcome of the account namespace as it is, and says which namespace the others are', () => {
    expect(mergeRollouts([])).toBeUndefined();
    const own = { status: 'True' as const, reason: 'Restarted', message: 'Restarted deployment/a for API key k2' };
    expect(mergeRollouts([own])).toEqual(own);
    expect(mergeRollouts([own, { status: 'False', reason: 'NotAKeyConsumer', message: 'Not restarted: deployment/x', namespace: 'payments' }])).toEqual({
      status: 'False',
      reason: 'NotAKeyConsumer',
      message: 'Restarted deployment/a for API key k2. In namespace payments: Not restarted: deployment/x',
    });
    expect(
      mergeRollouts([
        { status: 'False', reason: 'NotAKeyConsumer', message: 'n', namespace: 'a' },
        { status: 'False', reason: 'RestartFailed', message: 'f', namespace: 'b' },
      ])?.reason,
    ).toBe('RestartFailed');
  });
});
