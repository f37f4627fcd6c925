// Email delivery behind one small interface (the controller gets a Mailer; tests of the pure
// parts need none). The nodemailer implementation tells a certain failure (nothing was
// accepted: safe to send again) from an unconfirmed hand-off (the whole message went out and no
// verdict came back: it may have been delivered), which the invitation record keeps apart.
import { BlockList, isIP } from 'node:net';
import { Readable } from 'node:stream';
import { isNotFound } from '../runtime/errors.js';
import { builtinKinds } from '../runtime/kinds.js';
import type { KubeWriter } from '../runtime/kube-writer.js';
import { nextTurn } from '../runtime/slicing.js';
import type { SecretObject } from './invitation-record.js';
import type MailComposer from 'nodemailer/lib/mail-composer';
import type Mail from 'nodemailer/lib/mailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { SMTPTransportOptions } from 'nodemailer/lib/smtp-transport';

/** SMTP settings, from the Secret named by the operator's `smtpSecret`. */
export interface SmtpSettings {
  readonly host: string;
  readonly port: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS. */
  readonly secure: boolean;
  /**
   * Without `secure`: demand STARTTLS and never send in plaintext (a server that does not offer it
   * fails the send). Secret key `requireTLS`. @default true, unless the host is loopback
   */
  readonly requireTLS: boolean;
  /** PEM of the CA(s) that sign the server's certificate, instead of the system's (a private CA, a self-signed server). Secret key `caCert`. */
  readonly caCert?: string;
  readonly username?: string;
  readonly password?: string;
  /** Default From address. */
  readonly from: string;
}

/** Why the SMTP settings cannot be used; reason and message go to a condition. */
export class SmtpSettingsError extends Error {
  override readonly name = 'SmtpSettingsError';
  readonly reason: string;

  constructor(reason: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

/** Reads and checks the SMTP Secret; throws SmtpSettingsError (never with a password in it). */
export async function loadSmtpSettings(client: Pick<KubeWriter, 'get'>, ref: { readonly namespace: string; readonly name: string } | undefined): Promise<SmtpSettings> {
  if (!ref) throw new SmtpSettingsError('SmtpNotConfigured', 'The operator has no SMTP Secret configured (--smtp-secret), so it cannot send invitations');
  let secret: SecretObject;
  try {
    secret = await client.get<SecretObject>(builtinKinds.secret, ref.namespace, ref.name);
  } catch (error) {
    if (isNotFound(error)) throw new SmtpSettingsError('SmtpNotConfigured', `The SMTP Secret ${ref.namespace}/${ref.name} does not exist`, { cause: error });
    throw new SmtpSettingsError('SmtpSecretUnreadable', `The SMTP Secret ${ref.namespace}/${ref.name} could not be read`, { cause: error });
  }
  return parseSmtpSettings(secret.data ?? {}, `${ref.namespace}/${ref.name}`);
}

/** How long {@link SmtpSettingsCache} reuses settings it read. */
export const SMTP_SETTINGS_TTL_MS = 10_000;

/**
 * {@link loadSmtpSettings} with a short memory, for the User controller: while sends that loaded
 * settings are still under way (a burst of invitations), later ones reuse what was read, for at
 * most `ttlMs`, and a read in flight is shared; so a burst reads the Secret a few times instead of
 * once per invitation (benchmark: one live GET per User before). Once no send is under way the
 * settings are dropped, so an invitation sent after a quiet moment always reads the Secret as it is
 * now (a changed `requireTLS`, host or password applies to the next invitation). Every
 * {@link load} is paired with one {@link release} when its send is over (or did not happen).
 * The read itself is unchanged: the same named Secret in the operator's namespace, the same `get`,
 * no new grant. Only a good read is kept: a missing, unreadable or invalid Secret is read again on
 * the next try, and {@link forget} drops what is kept (after a failed send, so the retry uses a
 * rotated password at once).
 */
export class SmtpSettingsCache {
  private readonly now: () => number;
  private readonly ttlMs: number;
  private kept: { readonly key: string; readonly at: number; readonly settings: Promise<SmtpSettings> } | undefined;
  private inUse = 0;

  constructor(now: () => number, ttlMs: number = SMTP_SETTINGS_TTL_MS) {
    this.now = now;
    this.ttlMs = ttlMs;
  }

  /** The settings of `ref`: kept ones if read less than `ttlMs` ago by a send still under way, else read (and kept if good). Pair with {@link release}. */
  load(client: Pick<KubeWriter, 'get'>, ref: { readonly namespace: string; readonly name: string } | undefined): Promise<SmtpSettings> {
    this.inUse++;
    if (!ref) return loadSmtpSettings(client, ref);
    const key = `${ref.namespace}/${ref.name}`;
    const at = this.now();
    const kept = this.kept;
    if (kept && kept.key === key && at - kept.at < this.ttlMs) return kept.settings;
    const settings = loadSmtpSettings(client, ref);
    const entry = { key, at, settings };
    this.kept = entry;
    settings.catch(() => {
      if (this.kept === entry) this.kept = undefined;
    });
    return settings;
  }

  /** Forgets the kept settings: the next load reads the Secret. */
  forget(): void {
    this.kept = undefined;
  }

  /** Ends the use begun by one {@link load}; when none is left, the settings are dropped. */
  release(): void {
    this.inUse = Math.max(0, this.inUse - 1);
    if (this.inUse === 0) this.kept = undefined;
  }
}

/** Parses the Secret data (base64 values) of an SMTP Secret. */
export function parseSmtpSettings(data: Readonly<Record<string, string>>, where: string): SmtpSettings {
  const get = (key: string): string | undefined => {
    const value = data[key];
    return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8').trim();
  };
  const host = get('host');
  const port = Number(get('port') ?? '587');
  const from = get('from');
  const secure = (get('secure') ?? 'false').toLowerCase();
  const invalid = (what: string): SmtpSettingsError => new SmtpSettingsError('SmtpSettingsInvalid', `The SMTP Secret ${where} ${what}`);
  if (!host) throw invalid('has no "host"');
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid('has a "port" that is not a port number');
  if (!from) throw invalid('has no "from" address');
  if (secure !== 'true' && secure !== 'false') throw invalid('has a "secure" that is neither true nor false');
  const requireTLS = (get('requireTLS') ?? (isLoopbackHost(host) ? 'false' : 'true')).toLowerCase();
  if (requireTLS !== 'true' && requireTLS !== 'false') throw invalid('has a "requireTLS" that is neither true nor false');
  const caCert = get('caCert');
  if (caCert !== undefined && caCert !== '' && !caCert.includes('-----BEGIN CERTIFICATE-----')) throw invalid('has a "caCert" that is not a PEM certificate');
  const username = get('username');
  const password = get('password');
  return {
    host,
    port,
    secure: secure === 'true',
    requireTLS: requireTLS === 'true',
    from,
    ...(caCert ? { caCert } : {}),
    ...(username ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
  };
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Whether `host` is this machine (`localhost`, 127.0.0.0/8, ::1): plaintext there never crosses a network. */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  const family = isIP(name);
  return family !== 0 && LOOPBACK.check(name, family === 4 ? 'ipv4' : 'ipv6');
}

/** A message to send. */
export interface OutgoingMessage {
  readonly from: { readonly name: string; readonly address: string };
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly messageId: string;
}

/** Why a send certainly failed, as a condition reason. */
export const SMTP_FAILURE_REASONS = {
  /** Refused, unreachable, timed out before the message went out. */
  error: 'SmtpError',
  /** requireTLS is on and the server did not offer or accept STARTTLS: nothing was sent in plaintext. */
  tlsRequired: 'SmtpTlsRequired',
  /** The TLS handshake failed, typically a certificate that is not trusted (see caCert). */
  tlsFailed: 'SmtpTlsFailed',
} as const;

/** One of {@link SMTP_FAILURE_REASONS}. */
export type SmtpFailureReason = (typeof SMTP_FAILURE_REASONS)[keyof typeof SMTP_FAILURE_REASONS];

/** What became of a send. */
export type DeliveryResult =
  | { readonly outcome: 'sent' }
  /** Certainly not accepted: safe to send a new message. */
  | { readonly outcome: 'failed'; readonly error: string; readonly reason: SmtpFailureReason }
  /** The message went out completely but no verdict came back: it may have been delivered. */
  | { readonly outcome: 'unconfirmed'; readonly error: string };

/** Sends email. Never throws. */
export interface Mailer {
  /**
   * Sends `message`. `hooks.beforeEnd` runs when everything but the end of the message went out
   * (the end is what makes an SMTP server accept it); the message is ended only once it resolved,
   * and abandoned (outcome "failed": nothing delivered) when it rejects.
   */
  send(settings: SmtpSettings, message: OutgoingMessage, hooks?: SendHooks): Promise<DeliveryResult>;
}

/** What a sender is told while a message goes out. */
export interface SendHooks {
  readonly beforeEnd?: () => Promise<void>;
}

/** Timeouts of the SMTP client. */
export interface SmtpTimeouts {
  /** @default 10_000 */
  readonly connectionMs?: number;
  /** @default 10_000 */
  readonly greetingMs?: number;
  /** Inactivity, including the wait for the reply to the message. @default 60_000 */
  readonly socketMs?: number;
}

/** A one-line SMTP error for a condition: code, reply code and message, truncated, no credentials. */
export function describeSmtpError(error: unknown, settings?: SmtpSettings): string {
  const e = error as { code?: unknown; originalCode?: unknown; responseCode?: unknown; message?: unknown };
  const parts = [typeof e.code === 'string' ? e.code : undefined, typeof e.originalCode === 'string' ? e.originalCode : undefined, typeof e.responseCode === 'number' ? String(e.responseCode) : undefined].filter(Boolean);
  let message = typeof e.message === 'string' ? e.message : String(error);
  if (settings?.password) message = message.split(settings.password).join('[REDACTED]');
  message = message.replace(/\s+/g, ' ').trim().slice(0, 300);
  return `${parts.length ? `${parts.join(' ')}: ` : ''}${message}`;
}

/** Node's codes of TLS handshake and certificate errors (DEPTH_ZERO_SELF_SIGNED_CERT, ERR_TLS_CERT_ALTNAME_INVALID, …). */
const TLS_ERROR_CODE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|^ERR_TLS_|^ERR_SSL_/;

/** Tells a missing STARTTLS and a failed handshake from other SMTP failures (nodemailer's `ETLS` errors). */
export function classifySmtpFailure(error: unknown): SmtpFailureReason {
  const e = error as { code?: unknown; originalCode?: unknown; message?: unknown };
  const message = typeof e.message === 'string' ? e.message : '';
  if (e.code === 'ETLS' && message.startsWith('Error upgrading connection with STARTTLS')) return SMTP_FAILURE_REASONS.tlsRequired;
  if (message.includes('does not support required STARTTLS')) return SMTP_FAILURE_REASONS.tlsRequired;
  if (e.code === 'ETLS') return SMTP_FAILURE_REASONS.tlsFailed;
  // A certificate the handshake rejected comes as ESOCKET with node's TLS code kept aside.
  if (typeof e.originalCode === 'string' && TLS_ERROR_CODE.test(e.originalCode)) return SMTP_FAILURE_REASONS.tlsFailed;
  return SMTP_FAILURE_REASONS.error;
}

/**
 * The parts of nodemailer this mailer uses and what they import, leaves first: the SMTP transport,
 * the mailer around it and the message composer, not the package's index (its pool, sendmail, SES,
 * JSON and stream transports, the test-account helper). Loading them all in one go is one task of
 * 40-60 ms of CPU at the first invitation (issue 24: event-loop lag); one module per turn of the
 * event loop, none takes more than a few ms.
 */
export const NODEMAILER_MODULES = [
  'nodemailer/lib/punycode',
  'nodemailer/lib/base64',
  'nodemailer/lib/qp',
  'nodemailer/lib/fetch',
  'nodemailer/lib/shared',
  'nodemailer/lib/mime-funcs',
  'nodemailer/lib/xoauth2',
  'nodemailer/lib/well-known',
  'nodemailer/lib/smtp-connection',
  'nodemailer/lib/mime-node',
  'nodemailer/lib/mail-composer',
  'nodemailer/lib/dkim',
  'nodemailer/lib/smtp-transport',
  'nodemailer/lib/mailer',
] as const;

type Nodemailer = { readonly Mail: typeof Mail; readonly SMTPTransport: typeof SMTPTransport; readonly MailComposer: typeof MailComposer };
let nodemailerLoaded: Promise<Nodemailer> | undefined;

/**
 * Loads what {@link nodemailerMailer} sends with, once per process, at the first email (not at
 * start-up: an operator that sends nothing never holds it): {@link NODEMAILER_MODULES} one per turn
 * of the event loop. A failed load is tried again at the next email.
 */
export function loadNodemailer(): Promise<Nodemailer> {
  nodemailerLoaded ??= (async (): Promise<Nodemailer> => {
    for (const specifier of NODEMAILER_MODULES) {
      await import(specifier);
      await nextTurn();
    }
    const [{ default: Mail }, { default: SMTPTransport }, { default: MailComposer }] = await Promise.all([import('nodemailer/lib/mailer'), import('nodemailer/lib/smtp-transport'), import('nodemailer/lib/mail-composer')]);
    return { Mail, SMTPTransport, MailComposer };
  })().catch((error: unknown) => {
    nodemailerLoaded = undefined;
    throw error;
  });
  return nodemailerLoaded as Promise<Nodemailer>;
}

/** Sends through nodemailer over SMTP, one connection per message (invitations are rare). */
export function nodemailerMailer(timeouts: SmtpTimeouts = {}): Mailer {
  return {
    async send(settings, message, hooks = {}) {
      const nodemailer = await loadNodemailer();
      const raw = await new nodemailer.MailComposer({
        from: message.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        messageId: message.messageId,
      })
        .compile()
        .build();
      // Whether the message stream was read to its end tells a refused session (nothing
      // delivered) from a lost verdict after the whole message went out (maybe delivered).
      let handedOver = false;
      const beforeEnd = hooks.beforeEnd;
      const stream = Readable.from(
        (async function* body() {
          yield raw;
          // The server accepts only at the end of the data: nothing is delivered until this resolved.
          if (beforeEnd) await beforeEnd();
        })(),
      );
      stream.on('end', () => {
        handedOver = true;
      });
      const options: SMTPTransportOptions = {
        host: settings.host,
        port: settings.port,
        secure: settings.secure,
        // With requireTLS nodemailer demands STARTTLS even when the server does not announce it,
        // and fails instead of falling back to plaintext.
        requireTLS: settings.requireTLS && !settings.secure,
        ...(settings.caCert ? { tls: { ca: settings.caCert } } : {}),
        ...(settings.username ? { auth: { user: settings.username, pass: settings.password ?? '' } } : {}),
        connectionTimeout: timeouts.connectionMs ?? 10_000,
        greetingTimeout: timeouts.greetingMs ?? 10_000,
        socketTimeout: timeouts.socketMs ?? 60_000,
        disableFileAccess: true,
        disableUrlAccess: true,
      };
      // What nodemailer's createTransport builds for these options, without loading its index.
      const transport = new nodemailer.Mail(new nodemailer.SMTPTransport(options), options);
      try {
        await transport.sendMail({ envelope: { from: settings.from, to: [message.to] }, raw: stream });
        return { outcome: 'sent' };
      } catch (error) {
        const responseCode = (error as { responseCode?: unknown }).responseCode;
        const rejected = typeof responseCode === 'number' && responseCode >= 400;
        const description = describeSmtpError(error, settings);
        return !handedOver || rejected ? { outcome: 'failed', error: description, reason: classifySmtpFailure(error) } : { outcome: 'unconfirmed', error: description };
      } finally {
        transport.close();
      }
    },
  };
}
