// Probes shared by the service-account integration tests: Secrets, keys, leaks, Events,
// status text. The tenant, its accounts and the waits on them are test/harness/tenant.ts.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { API_KEY_PREFIX, hashApiKey } from '../../operator/apikeys/index.js';
import { ACCOUNT_KINDS } from '../../operator/api/index.js';
import { builtinKinds } from '../../operator/runtime/kinds.js';
import type { KubeObject } from '../../operator/runtime/kinds.js';
import type { KubeClient } from '../../operator/runtime/kube-client.js';
import { cluster } from '../harness/kube.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../bin/blink-accounts.js', import.meta.url));

/** A Secret with its data. */
export type SecretObject = KubeObject & { type?: string; data?: Record<string, string> };

/** Reads a Secret (undefined when missing). */
export async function getSecret(client: KubeClient, namespace: string, name: string): Promise<SecretObject | undefined> {
  try {
    return await client.get<SecretObject>(builtinKinds.secret, namespace, name);
  } catch (error) {
    if ((error as { code?: number }).code === 404) return undefined;
    throw error;
  }
}

/** The API key in a service account's Secret. */
export async function readKey(client: KubeClient, namespace: string, saName: string): Promise<string> {
  const secret = await getSecret(client, namespace, `${saName}-api-key`);
  const data = secret?.data?.['apiKey'];
  if (data === undefined) throw new Error(`Secret ${saName}-api-key has no apiKey`);
  return Buffer.from(data, 'base64').toString('utf8');
}

/** Runs the CLI (`blink-accounts <args>`) against the test control plane. */
export async function cli(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [CLI, ...args, '--kubeconfig', cluster().kubeconfig], { env: { ...process.env, KUBECONFIG: '' } });
}

/** Every form in which a key could leak: the key, its secret part, its hash, base64 of the key. */
export function leakForms(key: string): string[] {
  const secretPart = key.slice('blink_sa_'.length + 13);
  return [key, secretPart, secretPart.slice(0, 43), hashApiKey(key), Buffer.from(key).toString('base64')];
}

/** Texts among `texts` (labelled) that contain any form of any key; throws when there is nothing to scan or look for. */
export function findLeaks(keys: Iterable<string>, texts: Record<string, string>): string[] {
  const all = [...keys];
  if (all.length === 0) throw new Error('findLeaks: no key to look for: a scan for nothing finds nothing');
  const notKeys = all.filter((key) => !key.startsWith(API_KEY_PREFIX)).length;
  if (notKeys > 0) throw new Error(`findLeaks: ${notKeys} of the ${all.length} keys to look for are not API keys`);
  if (Object.values(texts).join('').length === 0) throw new Error('findLeaks: no text to scan: a scan of nothing finds nothing');
  const leaks: string[] = [];
  for (const key of all) {
    for (const form of leakForms(key)) {
      for (const [label, text] of Object.entries(texts)) if (text.includes(form)) leaks.push(`${label} contains key material (${form.length} chars)`);
    }
  }
  return leaks;
}

/** Events in a namespace: `items` from events.k8s.io/v1, `text` the JSON of both Event APIs (for leak scans). */
export async function eventsText(client: KubeClient, namespace: string): Promise<{ text: string; items: KubeObject[] }> {
  const modern = await client.list(builtinKinds.event, { namespace });
  const core = await client.list({ group: '', version: 'v1', kind: 'Event', plural: 'events', namespaced: true }, { namespace });
  return { text: JSON.stringify([...modern.items, ...core.items]), items: modern.items };
}

/** Status of every object of the product in a namespace (and the Tenants), as JSON text: the whole status, history and last-use times included (the chaos suite's hygiene scan reads it). */
export async function statusesText(client: KubeClient, namespace: string): Promise<string> {
  const parts: unknown[] = [];
  for (const kind of [ACCOUNT_KINDS.serviceAccount, ACCOUNT_KINDS.workspace, ACCOUNT_KINDS.user, ACCOUNT_KINDS.group]) {
    parts.push((await client.list(kind, { namespace })).items.map((o) => ({ metadata: o.metadata, status: o['status'] })));
  }
  parts.push((await client.list(ACCOUNT_KINDS.tenant)).items.map((o) => o['status']));
  return JSON.stringify(parts);
}
