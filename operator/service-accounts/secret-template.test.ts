import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { TemplateObservation } from './secret-template.js';
import { KEY_DATA_KEY_ANNOTATION, moveKeyPatch, planTemplateWrites, secretTemplateOf, TEMPLATE_RECORD_ANNOTATION, templateContent, templateRecordText } from './secret-template.js';

const digest = (v: string): string => createHash('sha256').update(v).digest('hex');
const b64 = (v: string): string => Buffer.from(v).toString('base64');

const template = secretTemplateOf({ labels: { team: 'data' }, annotations: { 'reloader.stakater.com/match': 'true' }, keyName: 'BLINK_API_KEY', data: { tenant: 'acme' } });

function observed(overrides: Partial<TemplateObservation> = {}): TemplateObservation {
  return {
    labels: { 'app.kubernetes.io/component': 'api-key', team: 'data' },
    annotations: { 'accounts.blinkops.com/key-fingerprint': 'sha256:x', 'reloader.stakater.com/match': 'true', [TEMPLATE_RECORD_ANNOTATION]: templateRecordText(template) },
    dataDigests: { tenant: digest('acme') },
    keyDataKey: 'BLINK_API_KEY',
    ...overrides,
  };
}

describe('secretTemplateOf / templateContent', () => {
  it('defaults to no extras and the data key apiKey', () => {
    expect(secretTemplateOf(undefined)).toEqual({ labels: {}, annotations: {}, keyName: 'apiKey', data: {} });
  });
  it('adds nothing to a Secret without a template', () => {
    expect(templateContent(secretTemplateOf(undefined))).toEqual({ labels: {}, annotations: {}, data: {} });
    expect(planTemplateWrites({ labels: {}, annotations: {}, dataDigests: {}, keyDataKey: 'apiKey' }, secretTemplateOf(undefined), digest)).toBeUndefined();
  });

  it('puts the template, the record and the key data key on a Secret written whole', () => {
    expect(templateContent(template)).toEqual({
      labels: { team: 'data' },
      annotations: {
        'reloader.stakater.com/match': 'true',
        [TEMPLATE_RECORD_ANNOTATION]: '{"labels":["team"],"annotations":["reloader.stakater.com/match"],"data":["tenant"]}',
        [KEY_DATA_KEY_ANNOTATION]: 'BLINK_API_KEY',
      },
      data: { tenant: b64('acme') },
    });
  });
});

describe('planTemplateWrites', () => {
  it('writes nothing when the Secret matches', () => {
    expect(planTemplateWrites(observed(), template, digest)).toBeUndefined();
  });

  it('sets changed entries and removes only what the template had put there', () => {
    const next = secretTemplateOf({ labels: { team: 'ml' }, keyName: 'BLINK_API_KEY', data: { baseURL: 'https://access.example' } });
    const writes = planTemplateWrites(observed({ labels: { team: 'data', owner: 'someone-else' } }), next, digest);
    expect(writes).toEqual({
      merge: {
        metadata: {
          labels: { team: 'ml' },
          annotations: { 'reloader.stakater.com/match': null, [TEMPLATE_RECORD_ANNOTATION]: templateRecordText(next) },
        },
        data: { baseURL: b64('https://access.example'), tenant: null },
      },
    });
  });

  it('moves the key when keyName changes, and only that', () => {
    const renamed = secretTemplateOf({ ...template, keyName: 'token' });
    expect(planTemplateWrites(observed(), renamed, digest)).toEqual({ moveKey: { from: 'BLINK_API_KEY', to: 'token' } });
  });

  it('restores a template value edited by hand', () => {
    expect(planTemplateWrites(observed({ dataDigests: { tenant: digest('other') } }), template, digest)?.merge?.data).toEqual({ tenant: b64('acme') });
  });

  it('removes the record when the template becomes empty', () => {
    expect(planTemplateWrites(observed(), secretTemplateOf({ keyName: 'BLINK_API_KEY' }), digest)).toEqual({
      merge: { metadata: { labels: { team: null }, annotations: { 'reloader.stakater.com/match': null, [TEMPLATE_RECORD_ANNOTATION]: null } }, data: { tenant: null } },
    });
  });
});

describe('moveKeyPatch', () => {
  it('is a JSON patch guarded by the resourceVersion, with JSON-pointer escapes', () => {
    expect(moveKeyPatch({ from: 'apiKey', to: 'a/b~c' }, '42')).toEqual([
      { op: 'test', path: '/metadata/resourceVersion', value: '42' },
      { op: 'move', from: '/data/apiKey', path: '/data/a~1b~0c' },
      { op: 'add', path: '/metadata/annotations/accounts.blinkops.com~1key-data-key', value: 'a/b~c' },
    ]);
  });
});

describe('an edited template record (the annotation is not signed)', () => {
  it('never makes the operator remove its own labels, annotations or the previous key hash', () => {
    const forged = JSON.stringify({
      labels: ['app.kubernetes.io/managed-by', 'app.kubernetes.io/component', 'accounts.blinkops.com/key-id', 'team'],
      annotations: ['accounts.blinkops.com/key-signature', 'accounts.blinkops.com/key-revision', 'reloader.stakater.com/match'],
      data: ['previousKeyHash', 'tenant'],
    });
    const writes = planTemplateWrites(
      observed({
        labels: { 'app.kubernetes.io/managed-by': 'blink-accounts-operator', 'app.kubernetes.io/component': 'api-key', 'accounts.blinkops.com/key-id': 'k', team: 'data' },
        annotations: { 'accounts.blinkops.com/key-signature': 'v1.x', 'accounts.blinkops.com/key-revision': '0', 'reloader.stakater.com/match': 'true', [TEMPLATE_RECORD_ANNOTATION]: forged },
        dataDigests: { tenant: digest('acme'), previousKeyHash: digest('h') },
      }),
      secretTemplateOf(undefined),
      digest,
    );
    // Only what a template can have put there goes.
    expect(writes?.merge?.metadata.labels).toEqual({ team: null });
    expect(writes?.merge?.metadata.annotations).toEqual({ 'reloader.stakater.com/match': null, [TEMPLATE_RECORD_ANNOTATION]: null });
    expect(writes?.merge?.data).toEqual({ tenant: null });
  });
});
