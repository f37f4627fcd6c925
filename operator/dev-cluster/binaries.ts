// Finds or builds the control-plane binaries (etcd, kube-apiserver,
// kube-controller-manager, kubectl) of one pinned Kubernetes release.
//
// Order of precedence, like controller-runtime's envtest:
//   1. BLINK_ACCOUNTS_ASSETS (or KUBEBUILDER_ASSETS): a folder holding all four;
//   2. the cache (~/.cache/blink-accounts/control-plane/<release>/bin);
//   3. a build from Kubernetes' Go modules with the Go toolchain, into a staging
//      folder that is renamed into the cache only when every binary linked, so a
//      failed or interrupted build leaves nothing half-cached.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { access, constants, cp, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheRoot } from './paths.js';

/** The pinned releases. Changing one means a new cache folder and a rebuild. */
export const RELEASES = { kubernetes: 'v1.36.3', etcd: 'v3.6.16' } as const;

/** The binaries the embedded control plane runs. */
export const COMPONENTS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kubectl'] as const;
export type Component = (typeof COMPONENTS)[number];

/** Absolute paths of every component binary. */
export type Binaries = Record<Component, string>;

const SOURCES: Record<Component, { module: 'etcd' | 'kubernetes'; pkg: string }> = {
  etcd: { module: 'etcd', pkg: 'go.etcd.io/etcd/server/v3' },
  'kube-apiserver': { module: 'kubernetes', pkg: 'k8s.io/kubernetes/cmd/kube-apiserver' },
  'kube-controller-manager': { module: 'kubernetes', pkg: 'k8s.io/kubernetes/cmd/kube-controller-manager' },
  kubectl: { module: 'kubernetes', pkg: 'k8s.io/kubernetes/cmd/kubectl' },
};

/** The wrapper Go modules committed in the repository (go.mod, go.sum, tools.go). */
const WRAPPER_MODULES = fileURLToPath(new URL('../../tools/control-plane/', import.meta.url));

/** Where a build of the pinned release lands. */
export function cachedBinDir(): string {
  return join(cacheRoot(), 'control-plane', `kubernetes-${RELEASES.kubernetes}-etcd-${RELEASES.etcd}`, 'bin');
}

/** Progress reports of a build; the CLI prints them, tests may ignore them. */
export interface BuildProgress {
  (message: string): void;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function completeIn(dir: string): Promise<Binaries | undefined> {
  const found = {} as Binaries;
  for (const component of COMPONENTS) {
    const path = join(dir, component);
    if (!(await isExecutable(path))) return undefined;
    found[component] = path;
  }
  return found;
}

/** The folder named by BLINK_ACCOUNTS_ASSETS or KUBEBUILDER_ASSETS, if any. */
export function assetsFromEnvironment(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env['BLINK_ACCOUNTS_ASSETS'] || env['KUBEBUILDER_ASSETS'] || undefined;
}

/** Returns the binaries without building, or undefined when none are available. */
export async function findBinaries(env: NodeJS.ProcessEnv = process.env): Promise<Binaries | undefined> {
  const given = assetsFromEnvironment(env);
  if (given) {
    const found = await completeIn(given);
    if (!found) {
      throw new Error(
        `${given} (from BLINK_ACCOUNTS_ASSETS/KUBEBUILDER_ASSETS) must hold executable ${COMPONENTS.join(', ')}; unset the variable to build them instead`,
      );
    }
    return found;
  }
  return completeIn(cachedBinDir());
}

/** Returns the binaries, building them first when neither the environment nor the cache has them. */
export async function ensureBinaries(progress: BuildProgress = () => {}, env: NodeJS.ProcessEnv = process.env): Promise<Binaries> {
  const found = await findBinaries(env);
  if (found) return found;
  await buildBinaries(progress, env);
  const built = await completeIn(cachedBinDir());
  if (!built) throw new Error(`Build finished but ${cachedBinDir()} is incomplete`);
  return built;
}

function formatElapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** Builds every component into the cache. Needs `go` on PATH (Go 1.26+). */
export async function buildBinaries(progress: BuildProgress, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const finalDir = cachedBinDir();
  const releaseDir = join(finalDir, '..');
  await mkdir(releaseDir, { recursive: true });
  const staging = join(releaseDir, `.staging-${process.pid}-${Date.now()}`);
  const logPath = join(releaseDir, 'build.log');
  const log = createWriteStream(logPath, { flags: 'a' });
  const started = Date.now();
  progress(`Building the control plane (Kubernetes ${RELEASES.kubernetes}, etcd ${RELEASES.etcd}) from Go modules; log: ${logPath}`);
  progress('A cold build downloads several hundred MB of modules and compiles for 15-30 minutes on 2 cores; later runs reuse the cache.');

  const cleanup = () => {
    // Synchronous best effort on interruption: never leave a staging folder behind.
    void rm(staging, { recursive: true, force: true });
  };
  process.once('SIGINT', cleanup);
  process.once('SIGTERM', cleanup);
  try {
    await cp(WRAPPER_MODULES, join(staging, 'src'), { recursive: true });
    const binDir = join(staging, 'bin');
    await mkdir(binDir, { recursive: true });
    for (const [index, component] of COMPONENTS.entries()) {
      const source = SOURCES[component];
      const label = `${component} (${index + 1}/${COMPONENTS.length})`;
      const componentStarted = Date.now();
      progress(`Building ${label}...`);
      const ticker = setInterval(() => {
        progress(`  still building ${label}: ${formatElapsed(Date.now() - componentStarted)} (total ${formatElapsed(Date.now() - started)})`);
      }, 30_000);
      try {
        await runGo(
          ['build', '-trimpath', '-ldflags', versionLdflags(component), '-o', join(binDir, component), source.pkg],
          join(staging, 'src', source.module),
          log,
          env,
        );
      } finally {
        clearInterval(ticker);
      }
      progress(`Built ${component} in ${formatElapsed(Date.now() - componentStarted)}`);
    }
    await rm(finalDir, { recursive: true, force: true });
    await rename(binDir, finalDir);
    progress(`Control plane ready in ${finalDir} after ${formatElapsed(Date.now() - started)}`);
  } catch (error) {
    throw new Error(`Building the control plane failed; see ${logPath}`, { cause: error });
  } finally {
    process.off('SIGINT', cleanup);
    process.off('SIGTERM', cleanup);
    await rm(staging, { recursive: true, force: true });
    log.end();
  }
}

function versionLdflags(component: Component): string {
  if (component === 'etcd') return '-s -w';
  const version = RELEASES.kubernetes;
  const [major, minor] = version.slice(1).split('.');
  const base = 'k8s.io/component-base/version';
  const client = 'k8s.io/client-go/pkg/version';
  const flags = [`-X ${base}.gitVersion=${version}`, `-X ${base}.gitMajor=${major}`, `-X ${base}.gitMinor=${minor}`, `-X ${base}.gitTreeState=clean`];
  flags.push(`-X ${client}.gitVersion=${version}`, `-X ${client}.gitMajor=${major}`, `-X ${client}.gitMinor=${minor}`);
  return ['-s -w', ...flags].join(' ');
}

function runGo(args: string[], cwd: string, log: NodeJS.WritableStream, env: NodeJS.ProcessEnv): Promise<void> {
  if (!existsSync(cwd)) return Promise.reject(new Error(`Missing wrapper module ${cwd}`));
  return new Promise((resolve, reject) => {
    log.write(`\n$ (cd ${cwd} && go ${args.join(' ')})\n`);
    const child = spawn('go', args, { cwd, env: { ...env, CGO_ENABLED: '0', GOFLAGS: '-mod=readonly' }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on('error', (error) =>
      reject(new Error('Could not run `go`: install Go 1.26+ or set BLINK_ACCOUNTS_ASSETS to prebuilt binaries', { cause: error })),
    );
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`go ${args.slice(0, 1).join(' ')} ${args.at(-1)} exited with ${signal ?? code}`));
    });
  });
}
