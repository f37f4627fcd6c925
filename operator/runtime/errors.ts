// What a reconcile can tell the runtime, besides "done".

/** What a {@link TransientError} may say besides its message and cause. */
export interface TransientErrorOptions extends ErrorOptions {
  /**
   * Stable CamelCase reason of the Ready=False condition the runtime writes when the failure
   * persists. @default 'ReconcileError'
   */
  readonly reason?: string;
  /** The reconcile already wrote the failure into status (with its own reason): the runtime writes no condition. */
  readonly reportedInStatus?: boolean;
}

/**
 * A failure worth retrying (network, conflict, a dependency not ready): the key is requeued with
 * per-key backoff; when it keeps failing the runtime reports it (Ready=False, a Warning Event).
 */
export class TransientError extends Error {
  override readonly name = 'TransientError';
  /** Reason for the Ready=False condition, when the reconcile knows a more specific one. */
  readonly reason: string | undefined;
  /** True when the reconcile already said so in status. */
  readonly reportedInStatus: boolean;

  constructor(message: string, options?: TransientErrorOptions) {
    super(message, options);
    this.reason = options?.reason;
    this.reportedInStatus = options?.reportedInStatus ?? false;
  }
}

/**
 * A failure that retrying cannot fix (invalid spec, a reference that is not allowed):
 * the reconciler reports it in a condition; the key is not retried until the object changes.
 */
export class TerminalError extends Error {
  override readonly name = 'TerminalError';
  /** Stable CamelCase reason for a condition. */
  readonly reason: string;

  constructor(reason: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

/** What a successful reconcile returns: nothing, or when to look again (for time-based work like expiries). */
export type ReconcileResult = void | undefined | { readonly requeueAfterMs: number };

/** An HTTP error from the API server, with its status code and Kubernetes `reason`. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly code: number;
  readonly reason: string | undefined;
  /** `details.causes[].reason` of the Status, such as `NamespaceTerminating`. */
  readonly causes: readonly string[];
  /** The Status `message` alone, as the API server worded it (no method, path or code). */
  readonly statusMessage: string | undefined;

  constructor(message: string, code: number, reason?: string, options?: ErrorOptions & { causes?: readonly string[]; statusMessage?: string }) {
    super(message, options);
    this.code = code;
    this.reason = reason;
    this.causes = options?.causes ?? [];
    this.statusMessage = options?.statusMessage;
  }
}

/** The first ApiError in the `cause` chain of `error` (itself included), if any. */
export function apiErrorIn(error: unknown): ApiError | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) if (e instanceof ApiError) return e;
  return undefined;
}

/**
 * True when the API server refused to create something because its namespace is being
 * deleted: there is nothing to converge there any more, and retrying cannot succeed.
 */
export function isNamespaceTerminating(error: unknown): boolean {
  const api = apiErrorIn(error);
  return api !== undefined && api.code === 403 && api.causes.includes('NamespaceTerminating');
}

/** True for a 404 from the API server. */
export function isNotFound(error: unknown): boolean {
  return error instanceof ApiError && error.code === 404;
}

/** True for a 409 from the API server (a resourceVersion precondition or an existing name), wrapped or not. */
export function isConflict(error: unknown): boolean {
  return apiErrorIn(error)?.code === 409;
}

/** The outcome label of a reconcile, as in controller-runtime's `controller_runtime_reconcile_total`. */
export type ReconcileOutcome = 'success' | 'error' | 'terminal_error' | 'requeue_after';

/** Classifies what a reconcile returned or threw. Anything not a TerminalError is retried. */
export function classifyOutcome(result: ReconcileResult, error: unknown): ReconcileOutcome {
  // The namespace is going away with everything in it; its objects' deletion events follow.
  if (isNamespaceTerminating(error)) return 'success';
  if (error !== undefined) return error instanceof TerminalError ? 'terminal_error' : 'error';
  return result && result.requeueAfterMs > 0 ? 'requeue_after' : 'success';
}
