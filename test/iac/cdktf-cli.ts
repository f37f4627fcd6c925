// Finds or installs the cdktf CLI that the example README's `cdktf synth`,
// `cdktf deploy` and `cdktf destroy` run. It is not a dependency of the project
// (an archived tool with some 600 packages): the wrapper package
// tools/cdktf-cli/ pins it with a lock file, and it is installed with `npm ci`
// into ~/.cache/blink-accounts/cdktf-cli/<version>-<lock hash>/, like the Go
// tools are built into the cache.
//
// Its terminal addon (@cdktf/node-pty-prebuilt-multiarch) ships prebuilt only
// for Node 20 and would download other builds from the internet; it is built
// instead with the pinned node-gyp against the headers of the project's Node
// (the `node` package), so no download is needed. npm's own settings are kept
// away from node-gyp: it takes `npm_config_*` from the environment over its
// command line, and a machine's ~/.npmrc may say `nodedir=/usr` (seen here:
// the addon was then built against the system Node 20's headers and failed to
// load in Node 24 with ERR_DLOPEN_FAILED).
//
// `node --import tsx test/iac/cdktf-cli.ts` (run by tools/setup.sh) installs it
// and prints the path of `cdktf`.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { createWriteStream, existsSync } from 'node:fs';
import { access, constants, cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheRoot } from '../../operator/dev-cluster/paths.js';

const WRAPPER = fileURLToPath(new URL('../../tools/cdktf-cli/', import.meta.url));
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const PTY = join('node_modules', '@cdktf', 'node-pty-prebuilt-multiarch');

/** Folder of the installation of the pinned CLI and lock file. */
async function installDir(env: NodeJS.ProcessEnv): Promise<string> {
  const manifest = JSON.parse(await readFile(join(WRAPPER, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const lock = createHash('sha256').update(await readFile(join(WRAPPER, 'package-lock.json'))).digest('hex').slice(0, 12);
  return join(cacheRoot(env), 'cdktf-cli', `${manifest.dependencies['cdktf-cli']}-${lock}`);
}

/** The Node headers of the Node running this process (the `node` package ships them beside its binary). */
function nodeHeaders(): string {
  const candidates = [
    join(dirname(dirname(process.execPath)), 'node_modules', `node-${process.platform}-${process.arch}`),
    join(REPO, 'node_modules', 'node', 'node_modules', `node-${process.platform}-${process.arch}`),
    dirname(dirname(process.execPath)),
  ];
  const found = candidates.find((dir) => existsSync(join(dir, 'include', 'node', 'node.h')));
  if (!found) throw new Error(`No Node headers (include/node/node.h) found in ${candidates.join(', ')}`);
  return found;
}

/** The path of the pinned `cdktf`, installed first unless cached. */
export async function ensureCdktfCli(progress: (message: string) => void = () => {}, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const dir = await installDir(env);
  const cli = join(dir, 'node_modules', '.bin', 'cdktf');
  // The marker is written last, with the Node ABI the addon was built for.
  const marker = join(dir, '.installed');
  const abi = `node-abi-${process.versions.modules}`;
  const ready = await access(cli, constants.X_OK).then(
    async () => (await readFile(marker, 'utf8').catch(() => '')) === abi && addonLoads(dir),
    () => false,
  );
  if (ready) return cli;
  const staging = `${dir}.staging-${process.pid}-${Date.now()}`;
  const logPath = `${dir}.log`;
  await mkdir(dirname(dir), { recursive: true });
  progress(`Installing the cdktf CLI of tools/cdktf-cli into ${dir} (npm ci, then its terminal addon is built); log: ${logPath}`);
  const started = Date.now();
  try {
    await mkdir(staging, { recursive: true });
    await cp(join(WRAPPER, 'package.json'), join(staging, 'package.json'));
    await cp(join(WRAPPER, 'package-lock.json'), join(staging, 'package-lock.json'));
    await run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], staging, logPath, env);
    await run(process.execPath, [join(staging, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'), 'rebuild', `--nodedir=${nodeHeaders()}`], join(staging, PTY), logPath, withoutNpmSettings(env));
    if (!addonLoads(staging)) throw new Error(`The terminal addon built in ${join(staging, PTY)} does not load in Node ${process.version}`);
    await writeFile(join(staging, '.installed'), abi);
    await rm(dir, { recursive: true, force: true });
    await rename(staging, dir);
  } catch (error) {
    throw new Error(`Installing the cdktf CLI failed; see ${logPath}`, { cause: error });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  progress(`Installed ${cli} in ${Math.round((Date.now() - started) / 1000)} s`);
  return cli;
}

/** The environment without npm's settings (`npm_config_*`), which node-gyp would take over its command line. */
function withoutNpmSettings(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !/^npm_config_/i.test(name)));
}

/** Whether the built terminal addon loads in the Node running this process (a cache built by another Node does not). */
function addonLoads(dir: string): boolean {
  try {
    createRequire(join(dir, PTY, 'package.json'))('./build/Release/pty.node');
    return true;
  } catch {
    return false;
  }
}

function run(command: string, args: string[], cwd: string, logPath: string, env: NodeJS.ProcessEnv): Promise<void> {
  const log = createWriteStream(logPath, { flags: 'a' });
  log.write(`\n$ (cd ${cwd} && ${command} ${args.join(' ')})\n`);
  return new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on('error', reject);
    child.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`${command} ${args[0]} exited with ${signal ?? code}`))));
  }).finally(() => log.end());
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const cli = await ensureCdktfCli((message) => process.stderr.write(`setup: ${message}\n`));
  process.stdout.write(`${cli}\n`);
}
