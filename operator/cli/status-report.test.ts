import { describe, expect, it } from 'vitest';
import type { Condition } from '../api/index.js';
import { age, buildStatusReport, diagnose, renderStatusReport } from './status-report.js';
import type { StatusInputs } from './status-report.js';

const NOW = Date.parse('2026-12-01T12:00:00Z');

function condition(type: string, status: Condition['status'], reason: string, message: string): Condition {
  return { type, status, reason, message, lastTransitionTime: '2026-12-01T11:00:00Z', observedGeneration: 1 };
}

function inputs(overrides: Partial<StatusInputs> & { spec?: Record<string, unknown>; status?: Record<string, unknown> }): StatusInputs {
  const { spec, status, ...rest } = overrides;
  return {
    kind: 'ServiceAccount',
    object: { metadata: { name: 'etl', namespace: 'tenant-acme', generation: 1, uid: 'u1' }, spec: spec ?? { role: 'Builder', workspaces: ['ws-a'] }, status: status ?? {} },
    events: [],
    cli: 'kubectl blink',
    now: NOW,
    ...rest,
  };
}

const readySa = {
  secretName: 'etl-api-key',
  keyId: 'k1',
  fingerprint: 'fp1',
  keyCreatedAt: '2026-11-28T12:00:00.000Z',
  keyRevision: 0,
  workspaces: ['ws-a'],
  observedGeneration: 1,
  conditions: [condition('KeyIssued', 'True', 'KeyIssued', 'API key k1 is in Secret etl-api-key'), condition('Ready', 'True', 'Ready', 'The API key works')],
};
const goodSecret = {
  found: { name: 'etl-api-key', type: 'accounts.blinkops.com/api-key', dataKeys: ['apiKey'], keyState: 'ok', keyId: 'k1', fingerprint: 'fp1', recordedFingerprint: 'fp1', createdAt: '2026-11-28T12:00:00.000Z', revision: '0', ownedByAccount: true },
};

describe('age', () => {
  it.each([
    ['2026-12-01T11:59:30Z', '30s'],
    ['2026-12-01T11:55:00Z', '5m'],
    ['2026-12-01T09:30:00Z', '2h30m'],
    ['2026-11-28T10:00:00Z', '3d2h'],
    [undefined, '-'],
  ])('%s -> %s', (time, text) => expect(age(time, NOW)).toBe(text));
});

describe('diagnose', () => {
  it('finds nothing wrong with a Ready account whose Secret matches', () => {
    expect(diagnose(inputs({ status: readySa, secret: goodSecret }))).toEqual([]);
  });

  it.each<[string, Partial<StatusInputs> & { status?: Record<string, unknown>; spec?: Record<string, unknown> }, RegExp, RegExp]>([
    ['no status yet', { status: {} }, /has not reported/, /kubectl get pods -n blink-accounts-system/],
    ['a newer generation', { status: { ...readySa, observedGeneration: 0 } }, /generation 1, status is for 0/, /wait/],
    [
      'not in a tenant namespace',
      { status: { conditions: [condition('Ready', 'False', 'NotInTenantNamespace', 'Namespace tenant-acme belongs to no Tenant: no API key is issued')] } },
      /belongs to no Tenant/,
      /create a Tenant whose spec.namespace is tenant-acme/,
    ],
    [
      'a foreign Secret',
      { status: { conditions: [condition('KeyIssued', 'False', 'SecretConflict', 'Secret etl-api-key exists and is not managed'), condition('Ready', 'False', 'SecretConflict', 'same')] } },
      /not managed/,
      /kubectl delete secret etl-api-key -n tenant-acme/,
    ],
    ['a deleted Secret', { status: readySa, secret: { absent: 'etl-api-key' } }, /etl-api-key is missing: the key k1 no longer works/, /issues a new key/],
    ['an altered key', { status: readySa, secret: { found: { ...goodSecret.found, fingerprint: 'other' } } }, /was altered/, /never edit the Secret/],
    [
      'a failed rollout restart',
      { status: { ...readySa, conditions: [...readySa.conditions, condition('RolloutRestarted', 'False', 'RestartFailed', 'Could not restart deployment/api (NotFound) for API key k1')] }, secret: goodSecret },
      /Could not restart deployment\/api/,
      /fix the target .* then kubectl rollout restart it/,
    ],
    [
      'a restart target that does not use the key',
      { status: { ...readySa, conditions: [...readySa.conditions, condition('RolloutRestarted', 'False', 'NotAKeyConsumer', 'Not restarted: deployment/api does not use the key')] }, secret: goodSecret },
      /Not restarted: deployment\/api/,
      /annotate it accounts.blinkops.com\/restart-on-key-rotation=etl, or remove the target \(kubectl edit serviceaccounts.accounts.blinkops.com etl -n tenant-acme\)/,
    ],
    ['a pending rotation', { status: readySa, secret: goodSecret, spec: { role: 'Builder', workspaces: ['ws-a'], keyRotation: { revision: 2 } } }, /revision 2 requested/, /shortly/],
  ])('%s', (_name, overrides, problem, fix) => {
    const findings = diagnose(inputs(overrides));
    const finding = findings.find((f) => problem.test(f.problem));
    expect(finding, JSON.stringify(findings)).toBeDefined();
    expect(finding?.fix).toMatch(fix);
  });

  it('tells what to type for an expired invitation, a pending one, missing references and a deactivated user', () => {
    const user = (status: Record<string, unknown>) =>
      diagnose(inputs({ kind: 'User', spec: { email: 'jo@acme.example', role: 'Builder', groups: ['g'], workspaces: [] }, status: { observedGeneration: 1, ...status } }));
    expect(user({ conditions: [condition('InvitationExpired', 'True', 'Expired', 'The invitation link has expired')] })[0]?.fix).toBe('kubectl blink user resend etl -n tenant-acme');
    expect(user({ conditions: [condition('Ready', 'False', 'InvitationPending', 'Waiting for jo@acme.example to accept the invitation')] })[0]).toMatchObject({ severity: 'info' });
    expect(user({ conditions: [condition('ReferencesResolved', 'False', 'MissingReferences', 'Group not found: g')] })[0]?.fix).toMatch(/kubectl edit users.accounts.blinkops.com etl -n tenant-acme/);
    expect(user({ phase: 'Inactive', conditions: [condition('Ready', 'True', 'Inactive', 'deactivated')] })[0]?.fix).toBe('kubectl blink user activate etl -n tenant-acme');
  });

  it('reports a failing condition once, not again through Ready with the same reason', () => {
    const findings = diagnose(
      inputs({
        status: {
          observedGeneration: 1,
          workspaces: ['ws-a'],
          conditions: [condition('ReferencesResolved', 'False', 'MissingReferences', 'Workspaces not found in this namespace: ws-b'), condition('Ready', 'False', 'MissingReferences', 'The API key works, but workspaces are missing: ws-b')],
        },
      }),
    );
    expect(findings.map((f) => f.problem)).toEqual(['Workspaces not found in this namespace: ws-b']);
  });

  it('reports an unknown failing condition once, not again through Ready', () => {
    const findings = diagnose(inputs({ status: { observedGeneration: 1, workspaces: ['ws-a'], conditions: [condition('Widget', 'False', 'Broken', 'It broke'), condition('Ready', 'False', 'Broken', 'It broke')] } }));
    expect(findings).toHaveLength(1);
    expect(findings[0]?.problem).toBe('Widget is False (Broken): It broke');
  });
});

describe('renderStatusReport', () => {
  it('shows the object, conditions, the Secret without values, events and the diagnosis', () => {
    const report = buildStatusReport(
      inputs({ status: readySa, secret: goodSecret, events: [{ type: 'Normal', reason: 'KeyIssued', message: 'Issued API key k1 (fp1) into Secret etl-api-key', lastSeen: '2026-11-28T12:00:00Z', count: 1 }] }),
    );
    const text = renderStatusReport(report, NOW);
    expect(text).toContain('ServiceAccount tenant-acme/etl');
    expect(text).toMatch(/Ready: +True \(Ready\): The API key works/);
    expect(text).toMatch(/Key issued: +2026-11-28T12:00:00.000Z \(3d ago\)/);
    expect(text).toMatch(/KeyIssued +True +KeyIssued +1h +API key k1/);
    expect(text).toMatch(/API key Secret etl-api-key:\n +Type: +accounts.blinkops.com\/api-key\n +Data keys: +apiKey/);
    expect(text).toMatch(/Events \(last 1\):\n +LAST SEEN +TYPE +REASON +COUNT +MESSAGE\n +3d +Normal +KeyIssued +1 +Issued API key k1/);
    expect(text).toContain('Diagnosis:\n  Nothing is wrong.');
  });
});

describe('a ServiceAccount with spec.delivery', () => {
  it('shows where copies are, which key each holds, and why one is missing', () => {
    const status = {
      ...readySa,
      deliveredTo: [{ namespace: 'payments', secretName: 'etl-api-key', keyId: 'k1' }],
      conditions: [
        ...readySa.conditions,
        condition('KeyDelivered', 'False', 'NamespaceNotOptedIn', 'Not delivered to billing: a namespace receives keys only once its owner labels it accounts.blinkops.com/accept-keys-from=acme'),
      ],
    };
    const spec = { role: 'Builder', workspaces: ['ws-a'], delivery: [{ namespace: 'payments' }, { namespace: 'billing' }] };
    const text = renderStatusReport(buildStatusReport(inputs({ spec, status, secret: goodSecret })), NOW);
    expect(text).toMatch(/Delivered to: +payments\/etl-api-key \(key k1\)/);
    expect(text).toMatch(/Delivery asked: +payments, billing/);
    expect(diagnose(inputs({ spec, status, secret: goodSecret })).map((f) => f.problem)).toEqual([
      'KeyDelivered is False (NamespaceNotOptedIn): Not delivered to billing: a namespace receives keys only once its owner labels it accounts.blinkops.com/accept-keys-from=acme',
    ]);
  });
});
