// The Helm chart is the one source of the operator's deployment; the plain
// manifests of deploy/ are rendered from it, and the chart's copy of the CRDs
// comes from crds/. `npm run manifests` writes them; test/helm/drift.test.ts
// fails when a committed file differs from what this renders.
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The repository root. */
export const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** The chart's folder. */
export const CHART = join(REPO, 'deploy/helm/blink-accounts-operator');
/** Release name and namespace of the plain manifests (the names they always had). */
export const PLAIN_RELEASE = { name: 'blink-accounts-operator', namespace: 'blink-accounts-system' } as const;

/** Builds (once, cached) and returns the pinned Helm binary. */
export async function helmBinary(): Promise<string> {
  const { stdout } = await run('bash', [join(REPO, 'tools/helm/build.sh')], { maxBuffer: 1024 * 1024 });
  return stdout.trim();
}

/** `helm template` of the chart with `--set` values; rejects with Helm's message. */
export async function helmTemplate(helm: string, sets: readonly string[], release: { name: string; namespace: string } = PLAIN_RELEASE): Promise<string> {
  const args = ['template', release.name, CHART, '--namespace', release.namespace, ...sets.flatMap((s) => ['--set', s])];
  const { stdout } = await run(helm, args, { maxBuffer: 32 * 1024 * 1024 });
  return stdout;
}

const HEADER = (what: string) =>
  `# ${what}\n# Generated from the Helm chart deploy/helm/blink-accounts-operator by\n# tools/helm/render-manifests.ts (npm run manifests). Do not edit: change the chart.\n`;

/** Values of the plain manifests: their own namespace, no Helm labels, CRDs and role ClusterRoles in their own files. */
const PLAIN = ['namespace.create=true', 'helmLabels=false', 'crds.install=false'];

/** Every generated file, by path relative to the repository, with its content. */
export async function renderAll(helm: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const name of (await readdir(join(REPO, 'crds'))).filter((f) => f.endsWith('.yaml')).sort()) {
    files.set(`deploy/helm/blink-accounts-operator/files/crds/${name}`, await readFile(join(REPO, 'crds', name), 'utf8'));
  }
  files.set('deploy/helm/blink-accounts-operator/files/user-email-domain-policy.yaml', await readFile(join(REPO, 'deploy/rbac/user-email-domain-policy.yaml'), 'utf8'));
  const operator = await helmTemplate(helm, [...PLAIN, 'roles.install=false', 'admissionPolicy.install=false', 'accessApi.clientClusterRole.create=false']);
  files.set(
    'deploy/operator.yaml',
    HEADER('The operator in a cluster: namespace, identity, RBAC, Deployment, disruption budget, network policy, Services.') +
      '# Install the CRDs first (kubectl apply -f crds/), then this file, then deploy/rbac/.\n' +
      operator.replace(/^---\n/, ''),
  );
  files.set('deploy/argocd/argocd-cm.yaml', argoCdHealthConfigMap(await readFile(join(REPO, 'deploy/argocd/health.lua'), 'utf8')));
  return files;
}

/** The kinds of the product, for per-kind settings such as Argo CD health checks. */
export const KINDS = ['Tenant', 'User', 'ServiceAccount', 'Workspace', 'Group'] as const;

/**
 * deploy/argocd/argocd-cm.yaml: the health script under Argo CD's documented
 * per-kind key (resource.customizations.health.<group>_<kind>), one per kind.
 */
export function argoCdHealthConfigMap(lua: string): string {
  const body = lua.trimEnd().split('\n').map((line) => (line ? `    ${line}` : '')).join('\n');
  const entries = KINDS.map((kind) => `  resource.customizations.health.accounts.blinkops.com_${kind}: |\n${body}\n`).join('');
  return (
    '# Argo CD health checks of the five kinds: merge into the argocd-cm ConfigMap, e.g.\n' +
    '#   kubectl -n argocd patch configmap argocd-cm --patch-file deploy/argocd/argocd-cm.yaml\n' +
    '# Rendered from deploy/argocd/health.lua by tools/helm/render-manifests.ts (npm run manifests).\n' +
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\n  namespace: argocd\n  labels:\n    app.kubernetes.io/part-of: argocd\ndata:\n' +
    entries
  );
}

/** The documents of a multi-document YAML stream that are of `kind` (text kept as rendered). */
export function onlyKind(stream: string, kind: string): string {
  return stream
    .split(/^---\n/m)
    .filter((doc) => new RegExp(`^kind: ${kind}$`, 'm').test(doc))
    .map((doc) => `---\n${doc}`)
    .join('');
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const helm = await helmBinary();
  for (const [path, content] of await renderAll(helm)) {
    await writeFile(join(REPO, path), content);
    process.stdout.write(`Wrote ${path}\n`);
  }
}
