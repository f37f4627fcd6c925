// The one size-limited body reader of every HTTP handler the operator serves.
import type { IncomingMessage } from 'node:http';

/** Per request being read: what {@link onBodyData} and {@link onBodyEnd} need (no closure per request). */
interface BodyRead {
  readonly limit: number;
  readonly done: (body: Buffer | undefined, error?: Error) => void;
  first: Buffer | undefined;
  rest: Buffer[] | undefined;
  size: number;
  settled: boolean;
}

const READ = Symbol('bodyRead');
type Reading = IncomingMessage & { [READ]?: BodyRead | undefined };

function settle(req: Reading, body: Buffer | undefined, error?: Error): void {
  const read = req[READ];
  if (!read || read.settled) return;
  read.settled = true;
  req.off('data', onBodyData);
  req.off('end', onBodyEnd);
  req.off('error', onBodyError);
  req[READ] = undefined;
  read.done(body, error);
}

function onBodyData(this: Reading, chunk: Buffer): void {
  const read = this[READ];
  if (!read) return;
  read.size += chunk.length;
  if (read.size > read.limit) {
    settle(this, undefined);
    this.resume();
    return;
  }
  if (read.first === undefined) read.first = chunk;
  else (read.rest ??= [read.first]).push(chunk);
}

function onBodyEnd(this: Reading): void {
  const read = this[READ];
  if (!read) return;
  // The usual small body is one chunk: no copy.
  settle(this, read.rest ? Buffer.concat(read.rest, read.size) : (read.first ?? Buffer.alloc(0)));
}

function onBodyError(this: Reading, error: Error): void {
  settle(this, undefined, error);
}

/**
 * Reads the body and calls `done` once: with the body, with undefined when it is (or declares
 * itself) larger than `limit` bytes, or with the stream's error. The excess is read and discarded
 * rather than the socket destroyed, so the client still gets its 413 (the server's request and idle
 * timeouts bound a client that never stops sending). Shared listeners, no promise: the hot path of
 * the access API.
 */
export function readBodyLimitedThen(req: IncomingMessage, limit: number, done: (body: Buffer | undefined, error?: Error) => void): void {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    done(undefined);
    return;
  }
  (req as Reading)[READ] = { limit, done, first: undefined, rest: undefined, size: 0, settled: false };
  req.on('data', onBodyData);
  req.on('end', onBodyEnd);
  req.on('error', onBodyError);
}

/**
 * The body, or undefined when it is (or declares itself) larger than `limit` bytes. The excess
 * is read and discarded rather than the socket destroyed, so the client still gets its 413
 * (the server's request and idle timeouts bound a client that never stops sending).
 */
export function readBodyLimited(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => readBodyLimitedThen(req, limit, (body, error) => (error ? reject(error) : resolve(body))));
}
