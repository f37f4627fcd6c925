// The state of one sign-in between the acceptance page and the provider's redirect back, kept by
// the browser in a cookie sealed with AES-256-GCM under a key derived from the replicas' shared
// key: any replica can open it, nobody can read or forge it (the PKCE verifier stays secret),
// and it is bound to one invitation and its current token (a resend makes it worthless).
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

/** How long a sign-in may take from the Accept button to the redirect back: 10 minutes. */
export const SIGN_IN_TTL_MS = 10 * 60_000;
/** Name of the cookie. */
export const SIGN_IN_COOKIE = 'blink_sign_in';

const INFO = 'blink-accounts/sign-in/v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** What a sign-in remembers. */
export interface SignInState {
  readonly invitationId: string;
  /** SHA-256 (hex) of the record's token hash: the state dies with the token it was started for. */
  readonly tokenBinding: string;
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  /** Milliseconds since the epoch after which the state is refused. */
  readonly expiresAt: number;
}

/** Why a sealed state was refused. */
export type SignInStateRejection = 'missing' | 'tampered' | 'expired';

/** The binding of a state to the record's token hash. */
export function tokenBinding(tokenHash: string): string {
  return createHash('sha256').update(`${INFO}\0${tokenHash}`).digest('hex');
}

function keyOf(sharedKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', sharedKey, Buffer.alloc(0), INFO, 32));
}

/** Seals a state for the cookie (base64url). */
export function sealSignInState(sharedKey: Buffer, state: SignInState): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keyOf(sharedKey), iv);
  cipher.setAAD(Buffer.from(INFO));
  const body = Buffer.concat([cipher.update(JSON.stringify(state), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
}

/** Opens a sealed state; never throws on input. */
export function openSignInState(sharedKey: Buffer, sealed: string | undefined, now: number): { ok: true; state: SignInState } | { ok: false; reason: SignInStateRejection } {
  if (sealed === undefined || sealed === '') return { ok: false, reason: 'missing' };
  const raw = /^[A-Za-z0-9_-]{1,4096}$/.test(sealed) ? Buffer.from(sealed, 'base64url') : Buffer.alloc(0);
  if (raw.length <= IV_BYTES + TAG_BYTES) return { ok: false, reason: 'tampered' };
  let state: SignInState;
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyOf(sharedKey), raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(INFO));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    const text = Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    state = JSON.parse(text) as SignInState;
  } catch {
    return { ok: false, reason: 'tampered' };
  }
  const fields = [state?.invitationId, state?.tokenBinding, state?.state, state?.nonce, state?.codeVerifier];
  if (!fields.every((f) => typeof f === 'string' && f !== '') || typeof state.expiresAt !== 'number') return { ok: false, reason: 'tampered' };
  if (now >= state.expiresAt) return { ok: false, reason: 'expired' };
  return { ok: true, state };
}

/** The value of one cookie from a Cookie header (the last one of that name wins nowhere: two are refused). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  const values = (header ?? '')
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.startsWith(`${name}=`))
    .map((part) => part.slice(name.length + 1));
  return values.length === 1 ? values[0] : undefined;
}
