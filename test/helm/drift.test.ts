// One source: the chart. The plain manifests of deploy/, the chart's copy of the
// CRDs and the Argo CD ConfigMap are rendered from it (tools/helm/render-manifests.ts);
// this fails when a committed file differs. Fix: `npm run manifests`.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { roleClusterRoles } from '../../operator/tenants/cluster-roles.js';
import { helmBinary, helmTemplate, renderAll, REPO } from '../../tools/helm/render-manifests.js';

type Doc = { kind: string; metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }; rules?: unknown[] };

describe('the plain manifests are rendered from the chart', () => {
  let helm = '';
  beforeAll(async () => {
    helm = await helmBinary();
  }, 900_000);

  it('every generated file is up to date (npm run manifests)', async () => {
    const rendered = await renderAll(helm);
    expect(rendered.size).toBeGreaterThan(5);
    for (const [path, content] of rendered) {
      const committed = await readFile(join(REPO, path), 'utf8').catch(() => '<missing>');
      expect(committed, `${path} differs from what the chart renders: run npm run manifests`).toBe(content);
    }
  });

  it('the chart\'s role ClusterRoles grant what the operator\'s code says each role may do', async () => {
    const docs = parseAllDocuments(await helmTemplate(helm, ['helmLabels=false']))
      .map((d) => d.toJS() as Doc | null)
      .filter((d): d is Doc => d?.kind === 'ClusterRole' && d.metadata.annotations?.['accounts.blinkops.com/role'] !== undefined);
    const fromCode = roleClusterRoles();
    expect(docs.map((d) => d.metadata.name).sort()).toEqual(fromCode.map((r) => r.metadata?.name).sort());
    for (const role of fromCode) {
      const chart = docs.find((d) => d.metadata.name === role.metadata?.name)!;
      expect(chart.rules, role.metadata?.name).toEqual((role as unknown as Doc).rules);
      expect(chart.metadata.annotations?.['accounts.blinkops.com/role']).toBe(role.metadata?.annotations?.['accounts.blinkops.com/role']);
    }
  });

  it('the chart\'s access-API client ClusterRole grants what deploy/rbac/access-api-client.yaml (from the operator\'s code) does', async () => {
    const chart = parseAllDocuments(await helmTemplate(helm, ['helmLabels=false']))
      .map((d) => d.toJS() as Doc | null)
      .find((d) => d?.kind === 'ClusterRole' && d.metadata.name === 'blink-accounts-access-api-client');
    const shipped = parseAllDocuments(await readFile(join(REPO, 'deploy/rbac/access-api-client.yaml'), 'utf8'))
      .map((d) => d.toJS() as Doc | null)
      .find((d) => d?.kind === 'ClusterRole');
    expect(chart?.rules).toEqual(shipped?.rules);
    expect(chart?.rules?.length).toBeGreaterThan(0);
  });

  it('the chart\'s CRDs are those of crds/, marked to be kept on uninstall', async () => {
    const crds = parseAllDocuments(await helmTemplate(helm, []))
      .map((d) => d.toJS() as (Doc & { spec: unknown }) | null)
      .filter((d): d is Doc & { spec: unknown } => d?.kind === 'CustomResourceDefinition');
    expect(crds).toHaveLength(5);
    for (const crd of crds) {
      const source = parseAllDocuments(await readFile(join(REPO, 'crds', `${crd.metadata.name}.yaml`), 'utf8'))[0]!.toJS() as { spec: unknown };
      expect(crd.spec, crd.metadata.name).toEqual(source.spec);
      expect(crd.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
    }
    const dropped = parseAllDocuments(await helmTemplate(helm, ['crds.keep=false']))
      .map((d) => d.toJS() as Doc | null)
      .filter((d) => d?.kind === 'CustomResourceDefinition');
    expect(dropped.map((d) => d?.metadata.annotations?.['helm.sh/resource-policy'])).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});
