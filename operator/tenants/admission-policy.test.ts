import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderEmailDomainPolicyYaml } from './admission-policy.js';

describe('email-domain admission policy', () => {
  it('deploy/rbac/user-email-domain-policy.yaml is rendered from the code (npx tsx operator/tenants/admission-policy.ts > deploy/rbac/user-email-domain-policy.yaml)', () => {
    expect(readFileSync(new URL('../../deploy/rbac/user-email-domain-policy.yaml', import.meta.url), 'utf8')).toBe(renderEmailDomainPolicyYaml());
  });
});
