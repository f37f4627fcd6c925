import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderEmailDomainPolicyYaml } from './admission-policy.js';

describe('email-domain admission policy', () => {
  it('deploy/rbac/user-email-domain-policy.yaml is rendered from the code (npx blink-accounts generate rbac)', () => {
    expect(readFileSync(new URL('../../deploy/rbac/user-email-domain-policy.yaml', import.meta.url), 'utf8')).toBe(renderEmailDomainPolicyYaml());
  });
});
