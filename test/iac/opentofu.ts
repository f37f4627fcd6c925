// Finds or builds the OpenTofu (`tofu`) the infrastructure-as-code tests run,
// the way operator/dev-cluster/binaries.ts builds the control plane: from the
// wrapper Go module tools/opentofu/ (which pins the release), with
// `CGO_ENABLED=0 go build -trimpath`, into a staging folder renamed into
// ~/.cache/blink-accounts/opentofu/<version>/bin only once it linked.
//
// `node --import tsx test/iac/opentofu.ts` (run by tools/setup.sh) builds it
// and prints its path.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { access, constants, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheRoot } from '../../operator/dev-cluster/paths.js';

/** The wrapper module that pins the release. */
const WRAPPER_MODULE = fileURLToPath(new URL('../../tools/opentofu/', import.meta.url));
const MODULE = 'github.com/opentofu/opentofu';

/** The OpenTofu release tools/opentofu/go.mod requires, such as `v1.12.6`. */
export async function pinnedVersion(): Promise<string> {
  const goMod = await readFile(join(WRAPPER_MODULE, 'go.mod'), 'utf8');
  const version = new RegExp(`^require ${MODULE.replace(/\./g, '\\.')} (v\\S+)$`, 'm').exec(goMod)?.[1];
  if (version === undefined) throw new Error(`${WRAPPER_MODULE}go.mod does not require ${MODULE}`);
  return version;
}

/** Where the build of `version` lands. */
export function tofuPath(version: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), 'opentofu', version, 'bin', 'tofu');
}

async function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/** The path of the pinned `tofu`, built first unless cached. Needs `go` (1.26.6+) on PATH for the build. */
export async function ensureTofu(progress: (message: string) => void = () => {}, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const version = await pinnedVersion();
  const path = tofuPath(version, env);
  if (await isExecutable(path)) return path;
  const releaseDir = join(path, '..', '..');
  await mkdir(releaseDir, { recursive: true });
  const staging = join(releaseDir, `.staging-${process.pid}-${Date.now()}`);
  const logPath = join(releaseDir, 'build.log');
  const started = Date.now();
  progress(`Building OpenTofu ${version} from Go modules (several minutes on 2 cores the first time); log: ${logPath}`);
  try {
    await runGo(['build', '-trimpath', '-ldflags', '-s -w -X github.com/opentofu/opentofu/version.dev=no', '-o', join(staging, 'tofu'), `${MODULE}/cmd/tofu`], logPath, env);
    await rm(join(path, '..'), { recursive: true, force: true });
    await rename(staging, join(path, '..'));
  } catch (error) {
    throw new Error(`Building OpenTofu ${version} failed; see ${logPath}`, { cause: error });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  progress(`Built ${path} in ${Math.round((Date.now() - started) / 1000)} s`);
  return path;
}

function runGo(args: string[], logPath: string, env: NodeJS.ProcessEnv): Promise<void> {
  const log = createWriteStream(logPath, { flags: 'a' });
  log.write(`\n$ (cd ${WRAPPER_MODULE} && go ${args.join(' ')})\n`);
  return new Promise<void>((resolve, reject) => {
    const child = spawn('go', args, { cwd: WRAPPER_MODULE, env: { ...env, CGO_ENABLED: '0', GOFLAGS: '-mod=readonly' }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on('error', (error) => reject(new Error('Could not run `go`: install Go 1.26.6+ to build OpenTofu', { cause: error })));
    child.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`go build exited with ${signal ?? code}`))));
  }).finally(() => log.end());
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const path = await ensureTofu((message) => process.stderr.write(`setup: ${message}\n`));
  process.stdout.write(`${path}\n`);
}
