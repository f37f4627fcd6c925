// The layering of operator/ (operator/README.md draws it): features stand side
// by side on the policy core, api/ and runtime/, and import no other feature.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { crossFeatureImports, FEATURE_FOLDERS, fileImportEdges, floors, importCycles, importEdges } from '../tools/import-graph.js';

describe('the import graph of operator/', () => {
  const edges = importEdges();

  it('has no feature importing another feature', () => {
    expect(crossFeatureImports(edges)).toEqual([]);
  });

  it('keeps every feature on one floor, above the policy core, api/ and runtime/', () => {
    const floor = floors(edges);
    const featureFloors = new Set(FEATURE_FOLDERS.map((f) => floor.get(f)));
    expect(featureFloors.size).toBe(1);
    for (const base of ['api', 'policy', 'runtime']) expect(floor.get(base)).toBeLessThan([...featureFloors][0] ?? 0);
  });

  it('keeps the bottom free of features: api/, policy/ and runtime/ import none', () => {
    for (const base of ['api', 'policy', 'runtime']) {
      expect([...(edges.get(base) ?? [])].filter((to) => (FEATURE_FOLDERS as readonly string[]).includes(to) || to === 'operator' || to === 'context')).toEqual([]);
    }
  });

  it('has no import circle between files (type-only imports included)', () => {
    expect(importCycles(fileImportEdges()).map((cycle) => cycle.join(' -> '))).toEqual([]);
  });

  it('would see a circle if there were one', () => {
    const edges = new Map([
      ['a.ts', new Set(['b.ts'])],
      ['b.ts', new Set(['c.ts', 'd.ts'])],
      ['c.ts', new Set(['a.ts'])],
      ['d.ts', new Set<string>()],
    ]);
    expect(importCycles(edges)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });
});

describe('comments and docs of operator/', () => {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? files(join(dir, entry.name)) : /\.(ts|md)$/.test(entry.name) ? [join(dir, entry.name)] : []));

  it('name only test files that exist (beside the file, or by their path from the repository root)', () => {
    const missing: string[] = [];
    for (const file of files(join(root, 'operator'))) {
      for (const match of readFileSync(file, 'utf8').matchAll(/(?<![\w*./-])([A-Za-z][\w./-]*\.test\.ts)/g)) {
        const named = match[1] ?? '';
        if (!existsSync(join(dirname(file), named)) && !existsSync(join(root, named))) missing.push(`${relative(root, file)}: ${named}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
