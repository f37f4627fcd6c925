// A cached Secret's `data` kept as two flat strings instead of an object of base64 strings (issue 24
// §2, heap per cached object): its keys joined (one shared copy for every Secret with the same keys,
// as every invitation record has) and its values joined. Readers see no difference: `data` stays an
// enumerable property (spread, JSON.stringify, structuredClone, Object.keys and jsonEqual see it)
// whose getter builds a fresh object on each read, so a reader may even edit what it got. Only
// Secrets cached with their data reach this: invitation records (13 values, ~360 B less each); key
// and SCIM token Secrets are cached without theirs (their features' transforms).

import { flat } from './compact-history.js';

/** Where the joined keys and values are kept on a compacted Secret (not enumerable: spread and JSON ignore them). */
const DATA_KEYS = Symbol('data keys');
const DATA_VALUES = Symbol('data values');

/** Base64 has no comma, so it separates values; a Secret whose keys or values hold one is kept as it is. */
const SEPARATOR = ',';
/** Fewer values than this and an object costs little more than the two strings: left alone. */
const MIN_VALUES = 4;

/** One copy of each joined key list (records of one kind all have the same keys). Bounded. */
const keyLists = new Map<string, string>();
const KEY_LISTS_LIMIT = 1_000;

function shared(keys: string): string {
  const known = keyLists.get(keys);
  if (known !== undefined) return known;
  if (keyLists.size >= KEY_LISTS_LIMIT) keyLists.clear();
  keyLists.set(keys, keys);
  return keys;
}

function decode(keys: string, values: string): Record<string, string> {
  const names = keys.split(SEPARATOR);
  const texts = values.split(SEPARATOR);
  const out: Record<string, string> = {};
  for (let i = 0; i < names.length; i++) out[names[i] as string] = texts[i] as string;
  return out;
}

// One getter and setter for every compacted Secret: objects of the same shape share a hidden class.
function getData(this: { [DATA_KEYS]: string; [DATA_VALUES]: string }): Record<string, string> {
  return decode(this[DATA_KEYS], this[DATA_VALUES]);
}
function setData(this: object, value: unknown): void {
  Object.defineProperty(this, 'data', { value, writable: true, enumerable: true, configurable: true });
}

/**
 * Returns `secret` with its `data` kept as joined strings, or `secret` itself when there is nothing to
 * compact (no data, fewer than {@link MIN_VALUES} values, a value that is not a string, a key or value
 * holding a comma, an empty key or `__proto__`). A new object: the fields keep their order.
 */
export function compactSecretData<S extends object>(secret: S): S {
  const data = (secret as { data?: unknown }).data;
  if (data === null || typeof data !== 'object' || Array.isArray(data) || Object.getOwnPropertyDescriptor(secret, 'data')?.get) return secret;
  const keys = Object.keys(data);
  if (keys.length < MIN_VALUES) return secret;
  const values: string[] = [];
  for (const key of keys) {
    const value = (data as Record<string, unknown>)[key];
    // `__proto__` (a valid data key) would set the prototype of the object decode builds: kept as it is.
    if (key === '' || key === '__proto__' || key.includes(SEPARATOR) || typeof value !== 'string' || value.includes(SEPARATOR)) return secret;
    values.push(value);
  }
  const out: Record<string | symbol, unknown> = {};
  for (const key of Object.keys(secret)) {
    if (key === 'data') Object.defineProperty(out, 'data', { get: getData, set: setData, enumerable: true, configurable: true });
    else out[key] = (secret as Record<string, unknown>)[key];
  }
  Object.defineProperty(out, DATA_KEYS, { value: shared(keys.join(SEPARATOR)) });
  Object.defineProperty(out, DATA_VALUES, { value: flat(values.join(SEPARATOR)) });
  return out as S;
}
