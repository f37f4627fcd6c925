// The chaos suite's secret-hygiene row: it finds a registered secret in any form, and fails when
// it had nothing to scan (no text kept, or no secret registered), instead of passing with 0 hits.
import { describe, expect, it } from 'vitest';
import { generateApiKey } from '../../operator/apikeys/index.js';
import { SCIM_TOKEN_PREFIX, generateScimToken } from '../../operator/scim/token.js';
import { Evidence } from './evidence.js';
import { failed, hygieneRow } from './report.js';

const failedNames = (evidence: Evidence) => failed(hygieneRow(evidence)).map((c) => c.name);

describe('hygieneRow', () => {
  const { key } = generateApiKey();

  it('passes texts that hold none of the registered secrets', () => {
    const evidence = new Evidence();
    evidence.secret('api-key', key);
    evidence.text('operator log #1', '{"msg":"Issued API key","keyId":"abc"}');
    expect(failedNames(evidence)).toEqual([]);
  });

  it('fails when nothing was kept and nothing registered', () => {
    expect(failedNames(new Evidence())).toEqual(['something to scan: texts, and secrets to look for']);
    expect(failed(hygieneRow(new Evidence()))[0]?.detail).toBe('nothing to scan: no text was kept, no secret was registered to look for');
  });

  it('fails when texts were kept but no secret was registered to look for', () => {
    const evidence = new Evidence();
    evidence.text('operator log #1', '{"msg":"Reconciled"}');
    expect(failedNames(evidence)).toEqual(['something to scan: texts, and secrets to look for']);
  });

  it('fails when secrets were registered but no text was kept', () => {
    const evidence = new Evidence();
    evidence.secret('api-key', key);
    evidence.text('an empty response', '');
    expect(failedNames(evidence)).toEqual(['something to scan: texts, and secrets to look for']);
  });

  it.each([
    ['raw', (k: string) => `{"key":"${k}"}`],
    ['base64', (k: string) => Buffer.from(k).toString('base64')],
    ['url-encoded in a link', (k: string) => `http://x/invitations/${encodeURIComponent(k)}`],
  ])('fails on a registered key found %s', (_form, render) => {
    const evidence = new Evidence();
    evidence.secret('api-key', key);
    evidence.text('operator log #1', render(key));
    expect(failedNames(evidence)).toEqual(['no key, token or hash in any form']);
  });
});

describe('hygieneRow and the SCIM token', () => {
  const { token } = generateScimToken();

  it('fails on a registered SCIM token found raw, base64 or as its secret part alone', () => {
    for (const text of [`Authorization: Bearer ${token}`, Buffer.from(token).toString('base64'), `secret=${token.slice(SCIM_TOKEN_PREFIX.length + 13)}`]) {
      const evidence = new Evidence();
      evidence.secret('scim-token', token);
      evidence.text('operator log #1', text);
      expect(failedNames(evidence)).toEqual(['no key, token or hash in any form']);
    }
  });

  it('fails on a SCIM-token-shaped string it was never told about', () => {
    const evidence = new Evidence();
    evidence.secret('api-key', generateApiKey().key);
    evidence.text('Events tenant-a', `issued ${generateScimToken().token}`);
    expect(failedNames(evidence)).toEqual(['no key, token or hash in any form']);
  });
});
