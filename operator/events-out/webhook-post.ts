// One HTTP attempt at a webhook: POST the signed CloudEvent, 2xx is delivered, anything else
// (another status, a redirect, a timeout, a refused connection) failed. What a failure says is a
// status code or an error kind, never the response body or the URL's query.
import type { EventMessage } from './cloud-event.js';

/** How an attempt ended. */
export type PostOutcome = { readonly ok: true; readonly status: number } | { readonly ok: false; readonly error: string; readonly notSent?: true };

/** Longest an attempt may take. */
export const POST_TIMEOUT_MS = 10_000;

/** POSTs `message` with `signature` headers to `url`; never follows a redirect, never throws. */
export async function postEvent(url: string, message: EventMessage, signature: Readonly<Record<string, string>>, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<PostOutcome> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? POST_TIMEOUT_MS);
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { ...message.headers, ...signature, 'user-agent': 'blink-accounts-operator' },
      body: message.body,
      redirect: 'manual',
      signal: options.signal ? AbortSignal.any([timeout, options.signal]) : timeout,
    });
    // The body is not read beyond what frees the connection.
    await response.body?.cancel().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
    return { ok: false, error: response.status >= 300 && response.status < 400 ? `redirect ${response.status} (not followed)` : `HTTP ${response.status}` };
  } catch (error) {
    return { ok: false, error: errorKind(error, timeout) };
  }
}

function errorKind(error: unknown, timeout: AbortSignal): string {
  if (timeout.aborted) return 'timeout';
  const cause = (error as { cause?: { code?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  return error instanceof Error && error.name === 'AbortError' ? 'aborted' : 'connection failed';
}
