import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ACCESS_API_CLIENT_ROLE, accessApiClientClusterRole, renderAccessApiClientRoleYaml } from './caller-access.js';

describe('access API client ClusterRole', () => {
  it('deploy/rbac/access-api-client.yaml is rendered from the code (run `npx blink-accounts generate rbac` to refresh)', () => {
    const file = readFileSync(new URL('../../deploy/rbac/access-api-client.yaml', import.meta.url), 'utf8');
    expect(file).toBe(renderAccessApiClientRoleYaml());
    expect(parseAllDocuments(file).map((d) => d.toJS() as unknown)).toEqual([accessApiClientClusterRole()]);
  });

  it('grants exactly create on accessreviews.accounts.blinkops.com, nothing that reads or writes an object', () => {
    const role = accessApiClientClusterRole() as { metadata: { name: string }; rules: unknown };
    expect(role.metadata.name).toBe(ACCESS_API_CLIENT_ROLE);
    expect(role.rules).toEqual([{ apiGroups: ['accounts.blinkops.com'], resources: ['accessreviews'], verbs: ['create'] }]);
  });
});
