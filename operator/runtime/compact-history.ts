// status.history as the informer caches it: one flat string per object instead of an array of
// entry objects (issue 24 §2, heap per cached object). Readers see no difference: `status.history`
// stays an enumerable property (spread, JSON.stringify, structuredClone, Object.keys and jsonEqual
// see it) whose getter decodes a fresh array on each read, so a reader may even edit what it got.
// History is read only when a reconcile writes status or the events-out controller takes new
// entries: a few microseconds per read, against ~250 B less per User for as long as it is cached.

/** Where the encoded history is kept on a compacted status (not enumerable: spread and JSON ignore it). */
const HISTORY_TEXT = Symbol('status.history as text');

/** An entry: its values in {@link ENTRY_KEYS} order (`by` last, when present); a leading 0 when its keys were sorted. */
type Encoded = [at: string, event: string, reason: string, message: string, by?: string] | [sorted: 0, at: string, event: string, reason: string, message: string, by?: string];

const ENTRY_KEYS = ['at', 'event', 'reason', 'message', 'by'] as const;
/**
 * The two key orders an entry comes in: the operator's (it writes entries in {@link ENTRY_KEYS}
 * order) and kube-apiserver's, which returns a custom resource with every object's keys sorted
 * (so every entry of a real cluster, which the first version of this file left uncompacted).
 */
const SORTED_KEYS = ['at', 'by', 'event', 'message', 'reason'] as const;
const SORTED_KEYS_WITHOUT_BY = ['at', 'event', 'message', 'reason'] as const;

function inOrder(keys: readonly string[], order: readonly string[]): boolean {
  for (let i = 0; i < keys.length; i++) if (keys[i] !== order[i]) return false;
  return true;
}

/** The entry as a tuple, or undefined when it is not exactly {at, event, reason, message, by?} of strings in one of the two orders (kept as it is then). */
function encodeEntry(entry: unknown): Encoded | undefined {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return undefined;
  const record = entry as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length !== 4 && keys.length !== 5) return undefined;
  const sorted = !inOrder(keys, ENTRY_KEYS);
  if (sorted && !inOrder(keys, keys.length === 5 ? SORTED_KEYS : SORTED_KEYS_WITHOUT_BY)) return undefined;
  const out: (string | 0)[] = sorted ? [0] : [];
  for (const key of ENTRY_KEYS) {
    const value = record[key];
    if (key === 'by' && value === undefined && keys.length === 4) break;
    if (typeof value !== 'string') return undefined;
    out.push(value);
  }
  return out as Encoded;
}

function decodeEntry(tuple: Encoded): Record<string, string> {
  if (tuple[0] !== 0) {
    const [at, event, reason, message, by] = tuple;
    return by === undefined ? { at, event, reason, message } : { at, event, reason, message, by };
  }
  const [, at, event, reason, message, by] = tuple;
  return by === undefined ? { at, event, message, reason } : { at, by, event, message, reason };
}

function decode(text: string): Record<string, string>[] {
  return (JSON.parse(text) as Encoded[]).map(decodeEntry);
}

// One getter and setter for every compacted status: objects of the same shape share a hidden class.
function getHistory(this: { [HISTORY_TEXT]: string }): Record<string, string>[] {
  return decode(this[HISTORY_TEXT]);
}
function setHistory(this: object, value: unknown): void {
  Object.defineProperty(this, 'history', { value, writable: true, enumerable: true, configurable: true });
}

/**
 * `text` as one flat string. JSON.stringify builds its result as a tree of parts (~150 B more for
 * 300 characters); reading a character flattens it in place, and the garbage collector then drops
 * the tree for the flat copy. Cheaper than any copy. Exported for history.ts.
 */
export function flat(text: string): string {
  text.charCodeAt(0);
  return text;
}

/**
 * Returns `status` with its `history` kept as one string, or `status` itself when there is nothing to
 * compact (no history, or entries of another shape). A new object: the fields keep their order.
 */
export function compactHistory<S extends object>(status: S): S {
  const history = (status as { history?: unknown }).history;
  if (!Array.isArray(history) || history.length === 0 || Object.getOwnPropertyDescriptor(status, 'history')?.get) return status;
  const encoded: Encoded[] = [];
  for (const entry of history) {
    const tuple = encodeEntry(entry);
    if (tuple === undefined) return status;
    encoded.push(tuple);
  }
  const text = flat(JSON.stringify(encoded));
  const out: Record<string | symbol, unknown> = {};
  for (const key of Object.keys(status)) {
    if (key === 'history') Object.defineProperty(out, 'history', { get: getHistory, set: setHistory, enumerable: true, configurable: true });
    else out[key] = (status as Record<string, unknown>)[key];
  }
  Object.defineProperty(out, HISTORY_TEXT, { value: text });
  return out as S;
}
