// The operator image, built for real with podman (tools/container/), and the
// containers of a test run. Containers run in the host's network namespace, so
// they reach the test control plane and SMTP server on loopback.
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const PODMAN = `${REPO}tools/container/podman.sh`;

/** Runs podman with the project's settings; rejects on a non-zero exit. */
export async function podman(args: readonly string[], timeoutMs = 120_000): Promise<string> {
  const { stdout } = await run(PODMAN, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** Everything a container wrote to stdout and stderr so far. */
export async function containerLogs(container: string): Promise<string> {
  const { stdout, stderr } = await run(PODMAN, ['logs', container], { maxBuffer: 64 * 1024 * 1024 });
  return stdout + stderr;
}

/** Builds the operator image (cached by the hash of its inputs) and returns its reference. */
export async function buildImage(target?: string): Promise<string> {
  const args = target ? ['--target', target] : [];
  const { stdout } = await run(`${REPO}tools/container/build-image.sh`, args, { cwd: REPO, timeout: 900_000, maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim().split('\n').at(-1) ?? '';
}

/** A loopback port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The security context of the chart's Deployment, as podman flags. */
export interface PodSecurity {
  readonly runAsUser: number;
  readonly runAsGroup: number;
  readonly readOnlyRootFilesystem: boolean;
  readonly dropCapabilities: readonly string[];
  readonly allowPrivilegeEscalation: boolean;
}

/** podman run flags that give a container the same restrictions a kubelet would. */
export function securityFlags(security: PodSecurity): string[] {
  return [
    '--user',
    `${security.runAsUser}:${security.runAsGroup}`,
    ...(security.readOnlyRootFilesystem ? ['--read-only', '--read-only-tmpfs=false'] : []),
    ...security.dropCapabilities.map((cap) => `--cap-drop=${cap}`),
    ...(security.allowPrivilegeEscalation ? [] : ['--security-opt=no-new-privileges']),
  ];
}
