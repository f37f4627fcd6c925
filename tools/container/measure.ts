// Start-up time and memory of the operator image, compiled JavaScript (the
// shipped target) against TypeScript through tsx (the `tsx` target), each run as
// a container with the Deployment's restrictions against a running cluster:
//   node --import tsx tools/container/measure.ts <kubeconfig of a cluster with the CRDs> [runs] [variants, default compiled,tsx; image=<ref> measures a built image]
// Start-up: `podman run` until /readyz (on the metrics port) answers 200 (caches synced). Memory: the
// resident set of every process of the container (tsx adds an esbuild process)
// after it settled for 5 s. The kubeconfig and its CA file are copied to a folder
// the container's non-root user can read, mounted read-only.
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const podman = (args: string[]) => run(join(REPO, 'tools/container/podman.sh'), args, { maxBuffer: 16 * 1024 * 1024 });

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Resident set (kB) of a process and all its descendants. */
async function treeRssKb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  let total = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  for (const task of await readdir(`/proc/${pid}/task`).catch(() => [] as string[])) {
    const children = (await readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '')).trim();
    for (const child of children ? children.split(/\s+/) : []) total += await treeRssKb(Number(child));
  }
  return total;
}

async function measure(image: string, kubeconfig: string, extra: readonly string[]): Promise<{ startMs: number; rssMb: number }> {
  const [metrics, http] = [await freePort(), await freePort()];
  const name = `measure-${process.pid}-${Date.now()}`;
  const started = Date.now();
  await podman([
    'run', '--detach', '--name', name, '--network=host', '--user', '65532:65532', '--read-only', '--read-only-tmpfs=false', '--cap-drop=ALL', '--security-opt=no-new-privileges',
    '--volume', `${dirname(kubeconfig)}:${dirname(kubeconfig)}:ro`, ...extra,
    image, 'operator', 'run', '--kubeconfig', kubeconfig, '--namespace', 'default', '--shard', name, '--host', '127.0.0.1', `--metrics-port=${metrics}`, `--http-port=${http}`, '--access-api-port=0',
  ]);
  try {
    for (;;) {
      if ((await podman(['inspect', '--format', '{{.State.Running}}', name])).stdout.trim() !== 'true') {
        throw new Error(`${image} exited:\n${(await podman(['logs', name]).catch(() => ({ stdout: '' }))).stdout}`);
      }
      const status = await fetch(`http://127.0.0.1:${metrics}/readyz`).then((r) => r.status, () => 0);
      if (status === 200) break;
      if (Date.now() - started > 120_000) throw new Error(`${image} was not ready within 120 s:\n${(await podman(['logs', name]).catch(() => ({ stdout: '' }))).stdout}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const startMs = Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const pid = Number((await podman(['inspect', '--format', '{{.State.Pid}}', name])).stdout.trim());
    return { startMs, rssMb: (await treeRssKb(pid)) / 1024 };
  } finally {
    await podman(['rm', '--force', '--time', '0', name]).catch(() => undefined);
  }
}

const given = process.argv[2];
const runs = Number(process.argv[3] ?? 3);
const wanted = (process.argv[4] ?? 'compiled,tsx').split(',');
if (!given) throw new Error('usage: measure.ts <kubeconfig> [runs] [compiled,tsx]');
const dir = await mkdtemp(join(tmpdir(), 'measure-'));
await chmod(dir, 0o755);
let text = await readFile(given, 'utf8');
const ca = /certificate-authority: (\S+)/.exec(text)?.[1];
if (ca) {
  await writeFile(join(dir, 'ca.crt'), await readFile(resolve(dirname(given), ca)), { mode: 0o644 });
  text = text.replace(ca, join(dir, 'ca.crt'));
}
const kubeconfig = join(dir, 'kubeconfig');
await writeFile(kubeconfig, text, { mode: 0o644 });
// tsx writes its compile cache to /tmp: on a read-only root it needs a writable
// /tmp (an emptyDir in a pod), or it exits with EROFS at start-up.
const variants = [
  { variant: 'compiled', target: [], extra: [] },
  { variant: 'tsx', target: ['--target', 'tsx'], extra: ['--mount', 'type=tmpfs,destination=/tmp'] },
  // `image=<reference>`: an image built earlier (e.g. of another commit), measured as it is.
  ...wanted.filter((w) => w.startsWith('image=')).map((w) => ({ variant: w, target: [] as string[], extra: [] as string[], image: w.slice('image='.length) })),
].filter((v) => wanted.includes(v.variant));
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)] ?? 0;
for (const variant of variants) {
  const { target, extra } = variant;
  const image = 'image' in variant ? variant.image : (await run(join(REPO, 'tools/container/build-image.sh'), target)).stdout.trim();
  const size = (await podman(['image', 'inspect', '--format', '{{.Size}}', image])).stdout.trim();
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await measure(image, kubeconfig, extra));
  const line = results.map((r) => `${(r.startMs / 1000).toFixed(2)} s / ${r.rssMb.toFixed(0)} MB`).join(', ');
  process.stdout.write(`${variant.variant.padEnd(8)} image ${(Number(size) / 1e6).toFixed(0)} MB (${image}); start-up to ready / RSS: ${line}; median ${(median(results.map((r) => r.startMs)) / 1000).toFixed(2)} s / ${median(results.map((r) => r.rssMb)).toFixed(0)} MB\n`);
}
await rm(dir, { recursive: true, force: true });
