// Real SMTP servers for the TLS tests: one that offers no STARTTLS and one that offers it with a
// self-signed certificate (made by openssl for the addresses it listens on), both recording
// whether each message arrived over TLS.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SMTPServer } from 'smtp-server';

/** One message as the server saw it. */
export interface TlsCaughtMessage {
  readonly to: readonly string[];
  /** Whether the session was encrypted when the message came. */
  readonly secure: boolean;
}

/** A running test SMTP server. */
export interface TlsTestSmtp {
  readonly host: string;
  readonly port: number;
  readonly messages: TlsCaughtMessage[];
  messagesTo(address: string): TlsCaughtMessage[];
  close(): Promise<void>;
}

/** A self-signed certificate and its key (PEM). */
export interface SelfSigned {
  readonly cert: string;
  readonly key: string;
}


/** A self-signed certificate valid for `addresses` (subjectAltName IP entries). */
export async function selfSignedCertificate(addresses: readonly string[]): Promise<SelfSigned> {
  const dir = await mkdtemp(join(tmpdir(), 'smtp-tls-'));
  try {
    await promisify(execFile)('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=blink-accounts test SMTP', '-addext', `subjectAltName=${addresses.map((a) => `IP:${a}`).join(',')}`,
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ]);
    return { cert: await readFile(join(dir, 'cert.pem'), 'utf8'), key: await readFile(join(dir, 'key.pem'), 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Starts an SMTP server on `host`: with `tls`, it offers STARTTLS with that certificate; without, it offers none. */
export async function startTlsTestSmtp(host: string, tls?: SelfSigned): Promise<TlsTestSmtp> {
  const messages: TlsCaughtMessage[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    ...(tls ? { key: tls.key, cert: tls.cert } : {}),
    logger: false,
    onData(stream, session, callback) {
      stream.on('data', () => {});
      stream.on('end', () => {
        messages.push({ to: session.envelope.rcptTo.map((r) => r.address), secure: session.secure });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  server.on('error', () => {});
  return {
    host,
    port: (server.server.address() as AddressInfo).port,
    messages,
    messagesTo: (address) => messages.filter((m) => m.to.includes(address)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
