// The shared shape of Blink credentials: `<prefix><id>_<secret><checksum>`, all base62 after the prefix.
// API keys and invitation tokens differ only in their prefix (see README.md).
import { crc32 } from 'node:zlib';
import { BASE62_PATTERN, encodeBase62 } from './base62.js';
import { randomBase62 } from './random.js';
import type { RandomBytes } from './random.js';

/** Characters in the non-secret id: 12 × log2(62) ≈ 71 bits, so ids do not collide in practice. */
export const TOKEN_ID_LENGTH = 12;
/** Characters in the secret: 43 × log2(62) ≈ 256.03 bits of randomness. */
export const TOKEN_SECRET_LENGTH = 43;
/** Characters in the checksum: base62 of the CRC32 (62^6 > 2^32) of everything before it. */
export const TOKEN_CHECKSUM_LENGTH = 6;

/** How one kind of credential is written. */
export interface TokenFormat {
  /** Fixed leading text, ending in `_`, that secret scanners and people recognise. */
  readonly prefix: string;
  /** What the credential is called in error messages, e.g. "service-account API key". */
  readonly label: string;
}

/** Why a text is not a credential of the expected kind. */
export type TokenParseErrorCode = 'wrong-prefix' | 'malformed' | 'bad-checksum';

/** A text that is not a well-formed credential; the message never contains the text. */
export class TokenParseError extends Error {
  override readonly name = 'TokenParseError';
  /** Machine-readable cause. */
  readonly code: TokenParseErrorCode;

  constructor(code: TokenParseErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** The outcome of parsing untrusted text: parsing never throws. */
export type ParseResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: TokenParseError };

/** A freshly generated credential. */
export interface GeneratedToken {
  /** The full secret text. */
  readonly token: string;
  /** The embedded non-secret id. */
  readonly id: string;
}

// Far above any real credential; keeps hostile input from costing anything.
const MAX_INPUT_LENGTH = 512;

/** The checksum characters for `body` (everything before the checksum). */
export function checksumOf(body: string): string {
  return encodeBase62(BigInt(crc32(body)), TOKEN_CHECKSUM_LENGTH);
}

/** Generates a credential of `format` from `random`. */
export function generateToken(format: TokenFormat, random: RandomBytes): GeneratedToken {
  const id = randomBase62(random, TOKEN_ID_LENGTH);
  const body = `${format.prefix}${id}_${randomBase62(random, TOKEN_SECRET_LENGTH)}`;
  return { token: body + checksumOf(body), id };
}

/** Checks prefix, shape and checksum of `text` offline and returns the embedded id. */
export function parseToken(format: TokenFormat, text: string): ParseResult<{ readonly id: string }> {
  const fail = (code: TokenParseErrorCode, why: string): ParseResult<never> => ({
    ok: false,
    error: new TokenParseError(code, `Not a valid ${format.label}: ${why}`),
  });
  if (typeof text !== 'string' || !text.startsWith(format.prefix)) return fail('wrong-prefix', `it does not start with "${format.prefix}"`);
  const rest = text.slice(format.prefix.length);
  const expectedLength = TOKEN_ID_LENGTH + 1 + TOKEN_SECRET_LENGTH + TOKEN_CHECKSUM_LENGTH;
  if (text.length > MAX_INPUT_LENGTH || rest.length !== expectedLength) {
    return fail('malformed', `expected ${format.prefix.length + expectedLength} characters, got ${text.length}`);
  }
  const id = rest.slice(0, TOKEN_ID_LENGTH);
  const separator = rest.charAt(TOKEN_ID_LENGTH);
  const tail = rest.slice(TOKEN_ID_LENGTH + 1);
  if (separator !== '_' || !BASE62_PATTERN.test(id) || !BASE62_PATTERN.test(tail)) {
    return fail('malformed', `expected "${format.prefix}" followed by ${TOKEN_ID_LENGTH} letters or digits, "_", and ${TOKEN_SECRET_LENGTH + TOKEN_CHECKSUM_LENGTH} letters or digits`);
  }
  const checksumAt = text.length - TOKEN_CHECKSUM_LENGTH;
  if (checksumOf(text.slice(0, checksumAt)) !== text.slice(checksumAt)) return fail('bad-checksum', 'its checksum does not match (probably a typo or a truncated copy)');
  return { ok: true, value: { id } };
}

/** A regular expression source matching the shape (not the checksum) of a credential with `prefix`, for secret scanners. */
export function tokenPatternSource(prefix: string): string {
  return `${prefix}[0-9A-Za-z]{${TOKEN_ID_LENGTH}}_[0-9A-Za-z]{${TOKEN_SECRET_LENGTH + TOKEN_CHECKSUM_LENGTH}}`;
}
