// What the runtime says when a reconcile keeps failing: the object's own status
// would otherwise keep its last values (an account could show Ready=True while
// its Secret is gone). After a terminal error at once, after a few transient
// failures in a row, the runtime writes Ready=False (reason from the error, else
// ReconcileError; Stalled follows for kstatus and Argo CD) and a Warning Event.
// The next successful pass of the controller writes Ready again from what it
// observed, which clears it: one write, since the message carries no count and
// no time, and a repeated failure writes nothing new.
import { REASONS } from '../api/reasons.js';
import type { Clock } from './clock.js';
import { setCondition } from './conditions.js';
import type { Condition } from './conditions.js';
import { ApiError, isConflict, TerminalError, TransientError } from './errors.js';
import type { EventRecorder } from './events.js';
import type { KindDescriptor, KubeObject } from './kinds.js';
import type { KubeWriter } from './kube-writer.js';
import type { Logger } from './logger.js';
import { writeStatus } from './status-writer.js';

/** Consecutive transient failures of a key before the runtime reports them. @see {@link shouldReportFailure} */
export const REPORT_AFTER_FAILURES = 3;

/** Longest condition message the runtime writes (the Event note is cut at 1024 by the recorder). */
const MAX_MESSAGE = 1_000;

/**
 * Whether failure number `failures` (1 for the first) of a key is reported in status: a terminal
 * error at once; a transient one from the `threshold`-th in a row; never a write conflict (the
 * object moved on and the next pass reads it) nor a failure the reconcile already put in status.
 */
export function shouldReportFailure(error: unknown, failures: number, threshold = REPORT_AFTER_FAILURES): boolean {
  if (error instanceof TerminalError) return true;
  if (error instanceof TransientError && error.reportedInStatus) return false;
  if (isConflict(error)) return false;
  return failures >= threshold;
}

/** The Ready=False reason of a failure: the error's own (terminal, or transient with a reason), else ReconcileError. */
export function failureReason(error: unknown): string {
  if ((error instanceof TerminalError || error instanceof TransientError) && error.reason && /^[A-Z][A-Za-z0-9]*$/.test(error.reason)) return error.reason;
  return REASONS.reconcileError;
}

/** RFC 3339 times an error may carry: a message that changes would be written again on every retry. */
const TIMESTAMP = /\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?/g;
/** Credentials of this product (API keys, invitation tokens) and bearer tokens: never in status or Events. */
const CREDENTIAL = /\bblink_[a-z]+_[A-Za-z0-9_]+|\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g;

/**
 * What failed, for people: the messages of the error and its causes joined by ': ' (an API
 * server error as the server worded it, without method, path or code), times and credentials
 * taken out, cut to a bounded length.
 */
export function failureMessage(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 6; depth++) {
    const text = e instanceof ApiError ? (e.statusMessage ?? e.message) : e instanceof Error ? e.message : String(e);
    const trimmed = text.trim();
    if (trimmed && !parts.some((p) => p.includes(trimmed))) parts.push(trimmed);
    e = e instanceof Error ? e.cause : undefined;
  }
  const message = (parts.join(': ') || 'The reconcile failed')
    .replace(TIMESTAMP, '<time>')
    .replace(CREDENTIAL, '[REDACTED]');
  return message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message;
}

/** `status` with Ready=False for a failure (other conditions and fields kept). */
export function failedStatus(status: unknown, generation: number | undefined, reason: string, message: string, now: number): Record<string, unknown> {
  const current = (typeof status === 'object' && status !== null ? status : {}) as Record<string, unknown> & { conditions?: Condition[] };
  const conditions = setCondition(current.conditions, { type: 'Ready', status: 'False', reason, message, ...(generation !== undefined ? { observedGeneration: generation } : {}) }, now);
  return { ...current, conditions };
}

/** Where {@link reportFailure} reads and writes. */
export interface FailureReporting {
  readonly kind: KindDescriptor;
  /** The object of a key, as cached. */
  readonly get: (key: string) => KubeObject | undefined;
  readonly client: KubeWriter;
  readonly recorder: EventRecorder;
  readonly clock: Clock;
  readonly log: Logger;
}

/**
 * Writes Ready=False for `error` on the object of `key` (only when that changes its status; conflict-safe:
 * from the cached resourceVersion) and records a Warning Event (folded into a series when repeated).
 * Never throws: a report that cannot be written is logged.
 */
export async function reportFailure(to: FailureReporting, key: string, error: unknown): Promise<void> {
  const object = to.get(key) as (KubeObject & { status?: unknown }) | undefined;
  if (!object) return;
  const reason = failureReason(error);
  const message = failureMessage(error);
  try {
    await writeStatus(to.client, to.kind, object, failedStatus(object.status, object.metadata?.generation, reason, message, to.clock.now()));
  } catch (writeError) {
    to.log.debug({ err: writeError, reason }, 'Could not write the failure into status');
  }
  await to.recorder.event(object, 'Warning', reason, message);
}
