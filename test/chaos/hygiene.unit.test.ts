// The chaos suite's secret-hygiene row: it finds a registered secret in any form, and fails when
// it had nothing to scan (no text kept, or no secret registered), instead of passing with 0 hits.
import { describe, expect, it } from 'vitest';
import { generateApiKey } from '../../operator/apikeys/index.js';
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
