// The kstatus verdict of real objects: tools/kstatus/ is a tiny Go program over
// sigs.k8s.io/cli-utils' kstatus (the library Flux and kpt read status with),
// built once from the Go module proxy into ~/.cache/blink-accounts/kstatus/.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, constants, mkdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cacheRoot } from '../../operator/dev-cluster/paths.js';

const exec = promisify(execFile);
const MODULE_DIR = fileURLToPath(new URL('../../tools/kstatus/', import.meta.url));

/** kstatus's verdict on one object. */
export interface KstatusVerdict {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  /** Current, InProgress, Failed, Terminating, NotFound or Unknown. */
  readonly status: string;
  readonly message: string;
}

/** The path of the kstatus checker, built first unless cached (needs `go` on PATH, or at /usr/local/go/bin). */
export async function ensureKstatusCheck(): Promise<string> {
  const version = /sigs\.k8s\.io\/cli-utils (v\S+)/.exec(await readFile(join(MODULE_DIR, 'go.mod'), 'utf8'))?.[1] ?? 'unknown';
  // A changed program is built again: the cache is keyed by the library's version and the source.
  const source = createHash('sha256').update(await readFile(join(MODULE_DIR, 'main.go'))).digest('hex').slice(0, 12);
  const dir = join(cacheRoot(), 'kstatus', `${version}-${source}`);
  const path = join(dir, 'kstatus-check');
  if (await access(path, constants.X_OK).then(() => true, () => false)) return path;
  await mkdir(dir, { recursive: true });
  const staging = `${path}.${process.pid}`;
  const env = { ...process.env, CGO_ENABLED: '0', PATH: `${process.env['PATH'] ?? ''}:/usr/local/go/bin` };
  await exec('go', ['build', '-trimpath', '-o', staging, '.'], { cwd: MODULE_DIR, env, timeout: 600_000 });
  await rename(staging, path);
  return path;
}

/** kstatus's verdicts on `objects` (as read from the API server). */
export async function kstatusOf(objects: readonly unknown[]): Promise<KstatusVerdict[]> {
  const binary = await ensureKstatusCheck();
  const child = execFile(binary, [], { timeout: 30_000 });
  const output = new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`kstatus-check exited ${code}`))));
  });
  child.stdin?.end(JSON.stringify(objects));
  return (await output).split('\n').filter(Boolean).map((line) => JSON.parse(line) as KstatusVerdict);
}
