// A local SMTP server for `npm start` and the tests: accepts every message on
// loopback and stores it as an .eml file, so invitation emails travel over real
// SMTP and can be read back (CLI `blink-accounts invitations links`, tests).
//
// Test controls: `setDelay` holds the reply to DATA (a slow server, to kill the
// operator after it handed a message over), `setDown` refuses every session with
// 421 (SMTP outage).
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** One message the server accepted. */
export interface CaughtMessage {
  /** File the raw message is stored in. */
  readonly file: string;
  readonly messageId: string | undefined;
  readonly from: string;
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly date: Date | undefined;
}

/** Options for {@link startDevSmtp}. */
export interface DevSmtpOptions {
  /** Folder the .eml files go to; created when missing. */
  readonly dir: string;
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  readonly port?: number;
  /** Largest accepted message in bytes. Default 1 MiB. */
  readonly maxSize?: number;
}

/** A running dev SMTP server. */
export interface DevSmtpServer {
  readonly host: string;
  readonly port: number;
  readonly dir: string;
  /** Holds the 250 reply to DATA for this long, after the message is stored. */
  setDelay(ms: number): void;
  /** While down, every connection is answered with 421 and closed. */
  setDown(down: boolean): void;
  /** Messages received so far, oldest first. */
  messages(): Promise<CaughtMessage[]>;
  close(): Promise<void>;
}

/** Starts the server on 127.0.0.1. */
export async function startDevSmtp(options: DevSmtpOptions): Promise<DevSmtpServer> {
  await mkdir(options.dir, { recursive: true });
  let delayMs = 0;
  let down = false;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    size: options.maxSize ?? 1024 * 1024,
    logger: false,
    banner: 'blink-accounts dev SMTP (stores every message, delivers nothing)',
    onConnect(_session, callback) {
      if (down) {
        const error = Object.assign(new Error('Service not available (dev SMTP server is switched off)'), { responseCode: 421 });
        callback(error);
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (stream.sizeExceeded) {
          callback(Object.assign(new Error('Message too large'), { responseCode: 552 }));
          return;
        }
        const name = `${Date.now()}-${randomBytes(4).toString('hex')}.eml`;
        const envelope = `X-Dev-Smtp-Envelope-To: ${session.envelope.rcptTo.map((r) => r.address).join(', ')}\r\n`;
        writeFile(join(options.dir, name), Buffer.concat([Buffer.from(envelope), ...chunks])).then(
          () => setTimeout(() => callback(), delayMs),
          (error: unknown) => callback(error as Error),
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  // Errors of single sessions (a client that disconnects) must not stop the server.
  server.on('error', () => {});
  const address = server.server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port: address.port,
    dir: options.dir,
    setDelay: (ms) => {
      delayMs = ms;
    },
    setDown: (value) => {
      down = value;
    },
    messages: () => readMessages(options.dir),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Reads every stored message of a folder, oldest first. */
export async function readMessages(dir: string): Promise<CaughtMessage[]> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => f.endsWith('.eml')).sort();
  } catch {
    return [];
  }
  const messages: CaughtMessage[] = [];
  for (const file of files) {
    const raw = await readFile(join(dir, file));
    const parsed = await simpleParser(raw);
    const envelopeTo = /^X-Dev-Smtp-Envelope-To: (.*)$/m.exec(raw.toString('utf8', 0, 2048))?.[1] ?? '';
    messages.push({
      file: join(dir, file),
      messageId: parsed.messageId,
      from: parsed.from?.text ?? '',
      to: envelopeTo.split(',').map((s) => s.trim()).filter(Boolean),
      subject: parsed.subject ?? '',
      text: parsed.text ?? '',
      html: typeof parsed.html === 'string' ? parsed.html : '',
      date: parsed.date,
    });
  }
  return messages;
}

/** The invitation links in a message's text part (acceptance URLs carry `/invitations/`). */
export function invitationLinks(message: CaughtMessage): string[] {
  return [...message.text.matchAll(/https?:\/\/[^\s<>"]+\/invitations\/[^\s<>"]+/g)].map((m) => m[0]);
}
