// crds/ is what the generator writes from the TypeScript source, and the source
// keeps its promises: a description on every field, a TypeScript twin for every
// CEL rule, the names and categories of the design.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { writeCrds } from '../cli/generate.js';
import { customResourceDefinitions, renderCrd } from './crds.js';
import { ruleCheck } from './schema-builder.js';

const CRDS_DIR = fileURLToPath(new URL('../../crds/', import.meta.url));

type Node = { [key: string]: unknown };

/** Every schema node with its path. */
function* nodes(node: Node, path: string): Generator<[string, Node]> {
  yield [path, node];
  for (const [name, child] of Object.entries((node['properties'] as Record<string, Node> | undefined) ?? {})) yield* nodes(child, `${path}.${name}`);
  if (node['items']) yield* nodes(node['items'] as Node, `${path}[]`);
}

describe('crds/', () => {
  it('is up to date with operator/api/ (run `npm run crds` when this fails)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'blink-crds-'));
    try {
      const written = await writeCrds(dir);
      const committed = (await readdir(CRDS_DIR)).filter((f) => f.endsWith('.yaml')).sort();
      expect(committed).toEqual([...written].sort());
      for (const file of written) {
        expect(await readFile(join(CRDS_DIR, file), 'utf8'), `crds/${file}`).toBe(await readFile(join(dir, file), 'utf8'));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('renders the same bytes every time', () => {
    expect(customResourceDefinitions().map(renderCrd)).toEqual(customResourceDefinitions().map(renderCrd));
  });
});

describe('the CRD schemas', () => {
  const crds = customResourceDefinitions();

  it('define the five kinds with their names, scope and category', () => {
    const summary = crds.map((crd) => ({ name: crd.metadata?.name, scope: crd.spec.scope, shortNames: crd.spec.names.shortNames, categories: crd.spec.names.categories }));
    expect(summary).toEqual([
      { name: 'tenants.accounts.blinkops.com', scope: 'Cluster', shortNames: ['btenant', 'btn'], categories: ['blink'] },
      { name: 'users.accounts.blinkops.com', scope: 'Namespaced', shortNames: ['buser', 'bu'], categories: ['blink'] },
      { name: 'serviceaccounts.accounts.blinkops.com', scope: 'Namespaced', shortNames: ['bsa'], categories: ['blink'] },
      { name: 'workspaces.accounts.blinkops.com', scope: 'Namespaced', shortNames: ['bws'], categories: ['blink'] },
      { name: 'groups.accounts.blinkops.com', scope: 'Namespaced', shortNames: ['bgroup', 'bgrp'], categories: ['blink'] },
    ]);
  });

  it('describe every field except the Kubernetes metadata', () => {
    const undescribed: string[] = [];
    for (const crd of crds) {
      const root = crd.spec.versions[0]?.schema?.openAPIV3Schema as Node;
      for (const [path, node] of nodes(root, crd.spec.names.kind)) {
        if (path.includes('.metadata')) continue;
        if (typeof node['description'] !== 'string' || node['description'].length < 10) undescribed.push(path);
      }
    }
    expect(undescribed).toEqual([]);
  });

  it('give every node a type and bound every string and list that a CEL rule reads', () => {
    for (const crd of crds) {
      const root = crd.spec.versions[0]?.schema?.openAPIV3Schema as Node;
      for (const [path, node] of nodes(root, crd.spec.names.kind)) {
        expect(node['type'], path).toBeTypeOf('string');
        if (node['x-kubernetes-validations'] && node['type'] === 'string') expect(node['maxLength'], path).toBeTypeOf('number');
        if (node['type'] === 'array' && path.includes('.spec')) expect(node['maxItems'], path).toBeTypeOf('number');
      }
    }
  });

  it('have a TypeScript check and an actionable message for every CEL rule', () => {
    let rules = 0;
    for (const crd of crds) {
      for (const [path, node] of nodes(crd.spec.versions[0]?.schema?.openAPIV3Schema as Node, crd.spec.names.kind)) {
        for (const rule of (node['x-kubernetes-validations'] as Array<{ rule: string; message: string }> | undefined) ?? []) {
          rules++;
          expect(ruleCheck(rule.rule), `${path}: ${rule.rule}`).toBeTypeOf('function');
          // The message says what to do: a colon separates what is wrong from the remedy.
          expect(rule.message, `${path}: ${rule.rule}`).toMatch(/^[a-zA-Z.]+ [^:]+: (?!\/\/).+/);
        }
      }
    }
    expect(rules).toBeGreaterThanOrEqual(15);
  });

  it('mark spec name lists as sets and status conditions as a map keyed by type', () => {
    const user = crds[1]?.spec.versions[0]?.schema?.openAPIV3Schema as Node;
    const spec = (user['properties'] as Record<string, Node>)['spec'] as Node;
    const status = (user['properties'] as Record<string, Node>)['status'] as Node;
    const specProps = spec['properties'] as Record<string, Node>;
    expect(specProps['groups']?.['x-kubernetes-list-type']).toBe('set');
    expect(specProps['workspaces']?.['x-kubernetes-list-type']).toBe('set');
    const conditions = (status['properties'] as Record<string, Node>)['conditions'] as Node;
    expect(conditions['x-kubernetes-list-type']).toBe('map');
    expect(conditions['x-kubernetes-list-map-keys']).toEqual(['type']);
  });
});
