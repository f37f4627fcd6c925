// Exit codes of every command, and the error type that carries one. README.md
// documents them ("Exit codes"); scripts may rely on them.
import { ApiError, TransientError } from '../runtime/errors.js';
import { InvalidObjectError } from '../api/index.js';

/** What the process exit code means. */
export const EXIT = {
  /** Done (for a dry run: the API server accepted every write). */
  ok: 0,
  /** The command failed: the API server refused, could not be reached, or something unexpected happened. */
  failed: 1,
  /** Bad command line: unknown command or flag, missing or malformed argument. Nothing was sent. */
  usage: 2,
  /** The object named does not exist. */
  notFound: 3,
  /** The input was rejected before any write (schema, CEL rule, bad CSV rows): nothing was changed. */
  invalid: 4,
  /** Partly done: some writes were applied, others were skipped or failed (the summary says which). */
  partial: 5,
  /** `can-i`: the answer is no (as `kubectl auth can-i` says no with a non-zero code). */
  denied: 6,
  /** `can-i`, `who-can`: Kubernetes RBAC and the access API disagree, which is a bug (the output says where). */
  disagreement: 7,
} as const;

/** An exit code of {@link EXIT}. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as it is, with its exit code; the message says what to type next. */
export class CliError extends Error {
  override readonly name = 'CliError';

  constructor(
    message: string,
    readonly exitCode: ExitCode,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The exit code for an error thrown by a command. */
export function exitCodeOf(error: unknown): ExitCode {
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    if (e instanceof CliError) return e.exitCode;
    if (e instanceof InvalidObjectError) return EXIT.invalid;
    if (e instanceof ApiError) return e.code === 404 ? EXIT.notFound : e.code === 422 ? EXIT.invalid : EXIT.failed;
    if (!(e instanceof Error)) break;
  }
  return EXIT.failed;
}

function innermost<T>(error: unknown, type: abstract new (...args: never[]) => T): T | undefined {
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    if (e instanceof type) return e;
    if (!(e instanceof Error)) break;
  }
  return undefined;
}

/** One line: the error and its causes, then (for errors every command can meet) what to do about it. */
export function describeError(error: unknown, cli: string): string {
  const parts: string[] = [];
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    const message = e instanceof Error ? e.message : String(e);
    if (!parts.includes(message)) parts.push(message);
    if (!(e instanceof Error)) break;
  }
  const text = parts.join(': ');
  if (innermost(error, CliError)) return text;
  const api = innermost(error, ApiError);
  if (api?.code === 401) return `${text}\nThe API server did not accept your credentials: refresh them (kubectl get --raw /version shows whether kubectl can get in)`;
  if (api?.code === 403) return `${text}\nYour identity may not do this here: ask a tenant Admin, or check with kubectl auth can-i --list -n <namespace>`;
  const transient = innermost(error, TransientError);
  if (transient && /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|timed out|socket hang up/i.test(text)) {
    return `${text}\nCould not reach the API server: check --kubeconfig, --context and KUBECONFIG (kubectl cluster-info), or start the dev cluster with \`npm start\` (${cli} dev-cluster status)`;
  }
  return text;
}
