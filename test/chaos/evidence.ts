// The secret-hygiene scan of the chaos suite: every text the run saw (operator
// logs, Events, statuses, /metrics, HTTP responses) is kept, every secret the
// run issued or learnt (API keys, invitation tokens, SCIM tokens, the hashes stored for them)
// is registered, and `scan` reports any form of any secret found in any text:
// raw, base64 (standard and URL-safe, with or without padding), URL-encoded, and
// for API keys the secret part alone. Strings shaped like a key or a token that
// the run never registered are reported too.
import { API_KEY_PREFIX } from '../../operator/apikeys/index.js';
import { SCIM_TOKEN_PREFIX } from '../../operator/scim/token.js';
import { KEY_SHAPE } from '../harness/suite-logs.js';

/** A kind of secret, for the report. */
export type SecretKind = 'api-key' | 'invitation-token' | 'scim-token' | 'hash' | 'caller-token' | 'webhook-secret';

/** One finding of the scan: which kind of secret, in which form, in which text (never the value). */
export interface Leak {
  readonly kind: SecretKind | 'unregistered-key-shape';
  readonly form: string;
  readonly where: string;
}

// Runs of these characters are the candidate tokens of a text: a secret in any
// of its forms is one such run, or a part of one.
const TOKEN_CHARS = /[A-Za-z0-9_\-+/%]{16,}/g;

function formsOf(kind: SecretKind, value: string): Map<string, string> {
  const forms = new Map<string, string>();
  const add = (label: string, form: string) => {
    const bare = form.replace(/=+$/, '');
    if (bare.length >= 16) forms.set(bare, label);
  };
  add('raw', value);
  add('base64', Buffer.from(value).toString('base64'));
  add('base64url', Buffer.from(value).toString('base64url'));
  add('url-encoded', encodeURIComponent(value));
  if (kind === 'api-key' && value.startsWith(API_KEY_PREFIX)) {
    // blink_sa_<12-char id>_<secret><checksum>: the part after the id is the secret.
    const secretPart = value.slice(API_KEY_PREFIX.length + 13);
    add('secret part', secretPart);
  }
  if (kind === 'scim-token' && value.startsWith(SCIM_TOKEN_PREFIX)) {
    // blink_scim_<12-char id>_<secret><checksum>: the part after the id is the secret.
    add('secret part', value.slice(SCIM_TOKEN_PREFIX.length + 13));
  }
  return forms;
}

/** Texts and secrets of a run, and the scan over them. */
export class Evidence {
  private readonly texts: { label: string; text: string }[] = [];
  private readonly secrets = new Map<string, { kind: SecretKind; label: string }>();
  private bytes = 0;

  /** Keeps a text the run saw, labelled by where it came from (`operator log #3`, `Events tenant-a`, …). */
  text(label: string, text: string): void {
    if (text.length === 0) return;
    this.texts.push({ label, text });
    this.bytes += text.length;
  }

  /** Registers a secret the run issued or learnt. */
  secret(kind: SecretKind, value: string): void {
    for (const [form, label] of formsOf(kind, value)) if (!this.secrets.has(form)) this.secrets.set(form, { kind, label });
  }

  /** What was kept so far. */
  get size(): { texts: number; bytes: number; secrets: number } {
    return { texts: this.texts.length, bytes: this.bytes, secrets: this.secrets.size };
  }

  /** Every form of every registered secret found in a kept text, and every unregistered key-shaped string. */
  scan(): Leak[] {
    const leaks: Leak[] = [];
    const known = new Set(this.secrets.keys());
    const byHead = new Map<string, string[]>();
    for (const needle of known) byHead.set(needle.slice(0, 16), [...(byHead.get(needle.slice(0, 16)) ?? []), needle]);
    for (const { label, text } of this.texts) {
      // Exact runs first (cheap): a secret standing alone between delimiters.
      for (const run of text.match(TOKEN_CHARS) ?? []) {
        const hit = this.secrets.get(run.replace(/=+$/, ''));
        if (hit) leaks.push({ kind: hit.kind, form: hit.label, where: label });
      }
      // Then a secret embedded in a longer run, found through the first 16 characters of every form.
      for (const run of text.match(TOKEN_CHARS) ?? []) {
        if (run.length <= 16 || known.has(run.replace(/=+$/, ''))) continue;
        for (let i = 0; i + 16 <= run.length; i++) {
          for (const needle of byHead.get(run.slice(i, i + 16)) ?? []) {
            if (run.length > needle.length && run.startsWith(needle, i)) {
              const hit = this.secrets.get(needle)!;
              leaks.push({ kind: hit.kind, form: hit.label, where: label });
            }
          }
        }
      }
      for (const shaped of text.match(KEY_SHAPE) ?? []) {
        if (!known.has(shaped)) leaks.push({ kind: 'unregistered-key-shape', form: `${shaped.slice(0, 10)}… (${shaped.length} chars)`, where: label });
      }
    }
    return leaks;
  }
}
