// A real webhook receiver for the events-out tests: node:http on 127.0.0.1, verifying every
// request's Standard Webhooks signature with the library, keeping what arrived. It can be down
// (the port closed: connection refused), refuse (503), or hang (take the request, never answer).
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** One request as received. */
export interface Received {
  readonly id: string;
  /** The request's path (and query). */
  readonly path: string;
  readonly type: string;
  readonly subject: string;
  readonly data: { tenant: string; namespace: string; object: { kind: string; name: string; uid: string }; sequence: number; transition: { event: string; reason: string; message: string; by?: string } };
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The signature verified with the receiver's secret. */
  readonly verified: boolean;
  readonly contentType: string;
}

/** How the receiver answers. */
export type ReceiverMode = 'ok' | 'refuse' | 'hang';

/** A running receiver. */
export interface TestReceiver {
  /** The webhook URL. */
  readonly url: string;
  /** The signing secret (whsec_…). */
  readonly secret: string;
  /** Everything received so far, in arrival order (verified or not). */
  readonly received: Received[];
  setMode(mode: ReceiverMode): void;
  /** Closes the port (connection refused) until {@link up}. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

/** A fresh Standard Webhooks secret: whsec_ + base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** Starts a receiver on a free port of 127.0.0.1. */
export async function startReceiver(secret = newWebhookSecret()): Promise<TestReceiver> {
  const received: Received[] = [];
  const verifier = new Webhook(secret);
  let mode: ReceiverMode = 'ok';
  const hung: ServerResponse[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      let verified = false;
      try {
        verifier.verify(body, headers);
        verified = true;
      } catch {
        verified = false;
      }
      const event = JSON.parse(body) as { id: string; type: string; subject: string; data: Received['data'] };
      received.push({ id: event.id, path: req.url ?? '', type: event.type, subject: event.subject, data: event.data, body, headers, verified, contentType: headers['content-type'] ?? '' });
      if (mode === 'hang') {
        hung.push(res);
        return;
      }
      res.statusCode = mode === 'ok' ? 204 : 503;
      res.end();
    });
  };
  let server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const closeServer = async (): Promise<void> => {
    for (const res of hung.splice(0)) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    url: `http://127.0.0.1:${port}/hooks/blink`,
    secret,
    received,
    setMode: (m) => {
      mode = m;
    },
    down: closeServer,
    async up() {
      server = createServer(handler);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', resolve);
      });
    },
    close: () => (server.listening ? closeServer() : Promise.resolve()),
  };
}
