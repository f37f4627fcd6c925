// What a reconcile can tell the runtime, besides "done".

/** A failure worth retrying (network, conflict, a dependency not ready): the key is requeued with per-key backoff. */
export class TransientError extends Error {
  override readonly name = 'TransientError';
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

  constructor(message: string, code: number, reason?: string, options?: ErrorOptions & { causes?: readonly string[] }) {
    super(message, options);
    this.code = code;
    this.reason = reason;
    this.causes = options?.causes ?? [];
  }
}

/**
 * True when the API server refused to create something because its namespace is being
 * deleted: there is nothing to converge there any more, and retrying cannot succeed.
 */
export function isNamespaceTerminating(error: unknown): boolean {
  return error instanceof ApiError && error.code === 403 && error.causes.includes('NamespaceTerminating');
}

/** True for a 404 from the API server. */
export function isNotFound(error: unknown): boolean {
  return error instanceof ApiError && error.code === 404;
}

/** True for a 409 from the API server (a resourceVersion precondition or an existing name). */
export function isConflict(error: unknown): boolean {
  return error instanceof ApiError && error.code === 409;
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
