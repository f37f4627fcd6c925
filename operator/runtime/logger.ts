// Structured JSON logs. Secret material is kept out by construction: known
// secret-bearing fields are redacted wherever they appear (two levels deep),
// and Kubernetes objects logged under `object` are reduced to a reference.
import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';

export type { Logger } from 'pino';

const SECRET_FIELDS = ['data', 'stringData', 'token', 'apiKey', 'key', 'password', 'authorization', 'secret'];

/** Paths pino redacts: each secret field at the top level, one and two levels down. */
export const REDACTED_PATHS: readonly string[] = SECRET_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]);

/** Reduces a Kubernetes object to what identifies it, so a whole Secret can never reach a log line. */
export function objectReference(object: unknown): unknown {
  if (typeof object !== 'object' || object === null) return object;
  const o = object as { kind?: unknown; apiVersion?: unknown; metadata?: { namespace?: unknown; name?: unknown; resourceVersion?: unknown } };
  return { kind: o.kind, apiVersion: o.apiVersion, namespace: o.metadata?.namespace, name: o.metadata?.name, resourceVersion: o.metadata?.resourceVersion };
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** @default 'info', or LOG_LEVEL */
  readonly level?: string;
  /** Bound to every line (e.g. the replica identity). */
  readonly base?: Record<string, unknown>;
  /** Where lines go. @default stdout */
  readonly destination?: DestinationStream;
}

/** A JSON logger with secret redaction. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env['LOG_LEVEL'] ?? 'info',
      base: options.base ?? {},
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: [...REDACTED_PATHS], censor: '[REDACTED]' },
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err, object: objectReference, obj: objectReference },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}
