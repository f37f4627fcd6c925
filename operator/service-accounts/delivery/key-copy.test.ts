import { describe, expect, it } from 'vitest';
import { generateApiKey } from '../../apikeys/index.js';
import type { KubeObject } from '../../runtime/kinds.js';
import { toCachedApiKeySecret } from '../api-key-secret.js';
import { secretTemplateOf } from '../secret-template.js';
import type { CopyIdentity } from './key-copy.js';
import { accountOfCopy, buildKeyCopy, copyIsExact, copyOwnership, KEY_COPY_SECRET_TYPE } from './key-copy.js';

const generated = generateApiKey();
const id: CopyIdentity = { tenant: 'acme', sourceNamespace: 'tenant-acme', serviceAccount: 'etl', uid: 'uid-1', sourceSecret: 'etl-api-key', keyId: generated.keyId, fingerprint: generated.fingerprint };
const template = secretTemplateOf({ keyName: 'BLINK_API_KEY', labels: { team: 'data' }, annotations: { note: 'x' }, data: { BLINK_TENANT: 'acme' } });

/** The copy as the operator writes it, as the API server would return it. */
function written(): KubeObject & { data: Record<string, string>; type: string } {
  const copy = structuredClone(buildKeyCopy({ namespace: 'payments', name: 'etl-api-key', id, key: generated.key, template })) as KubeObject & { data: Record<string, string>; type: string };
  return { ...copy, metadata: { ...copy.metadata, uid: 'c1', resourceVersion: '5' } };
}

describe('a key copy', () => {
  it('is of its own type (never the API-key type the verifier reads), carries no signature, previous key hash or owner reference', () => {
    const copy = written();
    expect(copy.type).toBe(KEY_COPY_SECRET_TYPE);
    expect(Object.keys(copy.data).sort()).toEqual(['BLINK_API_KEY', 'BLINK_TENANT']);
    expect(Object.keys(copy.metadata?.annotations ?? {}).filter((a) => a.includes('signature'))).toEqual([]);
    expect(copy.metadata?.ownerReferences).toBeUndefined();
    expect(accountOfCopy(copy)).toBe('tenant-acme/etl');
  });

  it('is exact as written, and not once anything about it changes', () => {
    const exact = toCachedApiKeySecret(written());
    expect(copyIsExact(exact, id, template)).toBe(true);
    const edits: [string, (c: ReturnType<typeof written>) => void][] = [
      ['another key', (c) => (c.data['BLINK_API_KEY'] = Buffer.from(generateApiKey().key).toString('base64'))],
      ['no key', (c) => delete c.data['BLINK_API_KEY']],
      ['extra data', (c) => (c.data['more'] = 'eA==')],
      ['template data changed', (c) => (c.data['BLINK_TENANT'] = 'eA==')],
      ['a previous key hash', (c) => (c.data['previousKeyHash'] = 'eA==')],
      ['a label removed', (c) => delete c.metadata?.labels?.['team']],
      ["a label of the operator's added", (c) => ((c.metadata?.labels ?? {})['accounts.blinkops.com/user'] = 'y')],
      ["an annotation of the operator's added", (c) => ((c.metadata?.annotations ?? {})['accounts.blinkops.com/key-signature'] = 'v1.0')],
      ['a template label changed', (c) => ((c.metadata?.labels ?? {})['team'] = 'other')],
      ['an annotation edited', (c) => ((c.metadata?.annotations ?? {})['accounts.blinkops.com/key-fingerprint'] = 'sha256:0')],
      ['an owner reference', (c) => ((c.metadata ?? {}).ownerReferences = [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'u' }])],
    ];
    for (const [what, edit] of edits) {
      const copy = written();
      edit(copy);
      expect(copyIsExact(toCachedApiKeySecret(copy), id, template), what).toBe(false);
    }
    // Another template makes the same copy inexact, also one that only drops an entry.
    expect(copyIsExact(exact, id, secretTemplateOf({ keyName: 'BLINK_API_KEY' })), 'template').toBe(false);
    expect(copyIsExact(exact, id, secretTemplateOf({ keyName: 'BLINK_API_KEY', labels: {}, annotations: { note: 'x' }, data: { BLINK_TENANT: 'acme' } })), 'a label dropped').toBe(false);
  });

  it("leaves other tools' labels and annotations alone: they are no alteration", () => {
    const copy = written();
    (copy.metadata ?? {}).labels = { ...copy.metadata?.labels, 'argocd.argoproj.io/instance': 'payments' };
    (copy.metadata ?? {}).annotations = { ...copy.metadata?.annotations, 'reloader.stakater.com/last-seen': 'abc' };
    expect(copyIsExact(toCachedApiKeySecret(copy), id, template)).toBe(true);
  });

  it("is this account's only with the copy type and the operator's labels naming it", () => {
    const copy = written();
    expect(copyOwnership(copy, 'tenant-acme', 'etl')).toBe('this');
    expect(copyOwnership(copy, 'tenant-acme', 'other')).toBe('foreign');
    expect(copyOwnership(copy, 'tenant-globex', 'etl')).toBe('foreign');
    expect(copyOwnership({ ...copy, type: 'Opaque' }, 'tenant-acme', 'etl')).toBe('foreign');
    expect(copyOwnership({ metadata: { name: 'etl-api-key' }, type: 'Opaque' }, 'tenant-acme', 'etl')).toBe('foreign');
  });
});
