// Prints the import graph of operator/ by folder, its floors (the longest
// import chain above each folder), and any import that breaks the layering:
// a feature importing another feature. `npx tsx tools/import-graph.ts`
// (`--json` for the raw edges); operator/layers.test.ts asserts the rules.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Folders that are features: each stands beside the others and imports none of them. */
export const FEATURE_FOLDERS = ['tenants', 'users', 'service-accounts', 'memberships', 'access', 'observability', 'scim', 'events-out'] as const;

const ROOT = fileURLToPath(new URL('../operator/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.fixture.ts') ? [path] : [];
  });
}

/** The unit of a file: its folder under operator/, or the file name for files at the top. */
function unitOf(file: string): string {
  const rel = relative(ROOT, file);
  const slash = rel.indexOf('/');
  return slash < 0 ? rel.replace(/\.ts$/, '') : rel.slice(0, slash);
}

/** Folder-level import edges of operator/ (type-only imports included: they are dependencies too). */
export function importEdges(): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>();
  for (const file of sourceFiles(ROOT)) {
    const from = unitOf(file);
    const set = edges.get(from) ?? new Set<string>();
    edges.set(from, set);
    for (const match of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
      const target = normalize(join(dirname(file), (match[1] ?? '').replace(/\.js$/, '.ts')));
      const to = unitOf(target);
      if (to !== from) set.add(to);
    }
  }
  return edges;
}

/** File-level import edges of operator/, as paths relative to operator/ (type-only imports and re-exports included). */
export function fileImportEdges(): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>();
  for (const file of sourceFiles(ROOT)) {
    const targets = new Set<string>();
    for (const match of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
      targets.add(relative(ROOT, normalize(join(dirname(file), (match[1] ?? '').replace(/\.js$/, '.ts')))));
    }
    edges.set(relative(ROOT, file), targets);
  }
  return edges;
}

/**
 * Import circles between files (each as the files around it, starting from its smallest name), found
 * by a depth-first search: a circle makes module start-up order matter and a file impossible to read
 * on its own.
 */
export function importCycles(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const cycles = new Map<string, string[]>();
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    path.push(file);
    for (const next of [...(edges.get(file) ?? [])].sort()) {
      if (!edges.has(next)) continue;
      const seen = state.get(next);
      if (seen === 'open') {
        const cycle = path.slice(path.indexOf(next));
        const start = cycle.indexOf([...cycle].sort()[0] ?? '');
        const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
        cycles.set(rotated.join(' -> '), rotated);
      } else if (seen === undefined) visit(next);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of [...edges.keys()].sort()) if (!state.has(file)) visit(file);
  return [...cycles.values()];
}

/** Floor of each unit: 0 for one importing nothing, else 1 + the highest floor it imports. */
export function floors(edges: ReadonlyMap<string, ReadonlySet<string>>): Map<string, number> {
  const floor = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (unit: string): number => {
    const known = floor.get(unit);
    if (known !== undefined) return known;
    if (visiting.has(unit)) throw new Error(`Import cycle through ${unit}`);
    visiting.add(unit);
    const below = [...(edges.get(unit) ?? [])].map(visit);
    visiting.delete(unit);
    const value = below.length === 0 ? 0 : 1 + Math.max(...below);
    floor.set(unit, value);
    return value;
  };
  for (const unit of edges.keys()) visit(unit);
  return floor;
}

/** Imports from one feature folder into another. */
export function crossFeatureImports(edges: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const features = new Set<string>(FEATURE_FOLDERS);
  return [...edges].flatMap(([from, tos]) => (features.has(from) ? [...tos].filter((to) => features.has(to)).map((to) => `${from} -> ${to}`) : []));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  const edges = importEdges();
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(Object.fromEntries([...edges].map(([k, v]) => [k, [...v].sort()])), null, 2)}\n`);
  } else {
    const floor = floors(edges);
    const byFloor = new Map<number, string[]>();
    for (const [unit, f] of floor) byFloor.set(f, [...(byFloor.get(f) ?? []), unit].sort());
    const top = Math.max(...floor.values());
    process.stdout.write(`operator/ import graph: ${edges.size} units, ${top + 1} floors\n`);
    for (let f = top; f >= 0; f -= 1) process.stdout.write(`  floor ${f}: ${(byFloor.get(f) ?? []).join(', ')}\n`);
    const cross = crossFeatureImports(edges);
    process.stdout.write(cross.length === 0 ? 'No feature imports another feature.\n' : `Features importing features:\n${cross.map((c) => `  ${c}`).join('\n')}\n`);
    const cycles = importCycles(fileImportEdges());
    process.stdout.write(cycles.length === 0 ? 'No import circle between files.\n' : `Import circles:\n${cycles.map((c) => `  ${[...c, c[0]].join(' -> ')}`).join('\n')}\n`);
    process.exitCode = cross.length === 0 && cycles.length === 0 ? 0 : 1;
  }
}
