// The dev SMTP server speaks real SMTP: nodemailer delivers to it, it stores and
// parses what it got, and it can be made slow or unavailable.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invitationLinks, startDevSmtp } from '../operator/dev-smtp/server.js';
import type { DevSmtpServer } from '../operator/dev-smtp/server.js';

let smtp: DevSmtpServer;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dev-smtp-'));
  smtp = await startDevSmtp({ dir });
});
afterAll(async () => {
  await smtp.close();
  await rm(dir, { recursive: true, force: true });
});

function transport() {
  return createTransport({ host: smtp.host, port: smtp.port, secure: false, ignoreTLS: true, connectionTimeout: 2_000, greetingTimeout: 2_000 });
}

describe('dev SMTP server', () => {
  it('stores a multipart message and finds the invitation link', async () => {
    await transport().sendMail({
      from: 'Blink <noreply@blink.local>',
      to: 'jane@acme.example',
      subject: 'You are invited',
      text: 'Accept: http://127.0.0.1:8080/invitations/abc_DEF-123 now',
      html: '<p><a href="http://127.0.0.1:8080/invitations/abc_DEF-123">Accept</a></p>',
    });
    const [message] = await smtp.messages();
    expect(message?.to).toEqual(['jane@acme.example']);
    expect(message?.subject).toBe('You are invited');
    expect(message?.html).toContain('<a href=');
    expect(invitationLinks(message!)).toEqual(['http://127.0.0.1:8080/invitations/abc_DEF-123']);
  });

  it('refuses sessions while down and accepts again afterwards', async () => {
    smtp.setDown(true);
    const error = await transport()
      .sendMail({ from: 'a@b.example', to: 'c@d.example', subject: 'x', text: 'x' })
      .catch((e: unknown) => e as { responseCode?: number; message: string });
    expect(error).toBeInstanceOf(Error);
    smtp.setDown(false);
    const before = (await smtp.messages()).length;
    await transport().sendMail({ from: 'a@b.example', to: 'c@d.example', subject: 'y', text: 'y' });
    expect((await smtp.messages()).length).toBe(before + 1);
  });

  it('holds the DATA reply when slowed down, with the message already stored', async () => {
    smtp.setDelay(1_500);
    const before = (await smtp.messages()).length;
    const started = Date.now();
    const sending = transport().sendMail({ from: 'a@b.example', to: 'slow@d.example', subject: 'slow', text: 'slow' });
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect((await smtp.messages()).length).toBe(before + 1);
    await sending;
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    smtp.setDelay(0);
  });
});
