import { describe, expect, it } from 'vitest';
import { ApiError } from '../runtime/errors.js';
import { classifySmtpFailure, describeSmtpError, isLoopbackHost, loadNodemailer, NODEMAILER_MODULES, parseSmtpSettings, SmtpSettingsCache, SmtpSettingsError } from './smtp.js';

const b64 = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));

describe('SMTP settings', () => {
  it('parses the Secret keys', () => {
    expect(parseSmtpSettings(b64({ host: 'smtp.example', port: '465', secure: 'true', username: 'u', password: 'p', from: 'Blink <no@x.example>' }), 'ns/s')).toEqual({
      host: 'smtp.example',
      port: 465,
      secure: true,
      requireTLS: true,
      username: 'u',
      password: 'p',
      from: 'Blink <no@x.example>',
    });
  });

  it.each([
    { data: { port: '25', from: 'a@b.example' }, message: 'has no "host"' },
    { data: { host: 'h', port: 'x', from: 'a@b.example' }, message: 'port' },
    { data: { host: 'h', port: '25' }, message: 'has no "from"' },
    { data: { host: 'h', port: '25', from: 'a@b.example', secure: 'yes' }, message: 'secure' },
    { data: { host: 'h', port: '25', from: 'a@b.example', requireTLS: 'maybe' }, message: '"requireTLS" that is neither true nor false' },
    { data: { host: 'h', port: '25', from: 'a@b.example', caCert: 'not a pem' }, message: '"caCert" that is not a PEM certificate' },
  ])('refuses $data with a reason', ({ data, message }) => {
    const error = (() => {
      try {
        parseSmtpSettings(b64(data), 'ns/s');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(SmtpSettingsError);
    expect((error as SmtpSettingsError).reason).toBe('SmtpSettingsInvalid');
    expect((error as Error).message).toContain(message);
  });

  it.each([
    { host: 'smtp.example.com', data: {}, requireTLS: true },
    { host: '10.0.0.25', data: {}, requireTLS: true },
    { host: '127.0.0.1', data: {}, requireTLS: false },
    { host: 'localhost', data: {}, requireTLS: false },
    { host: '::1', data: {}, requireTLS: false },
    { host: 'smtp.example.com', data: { requireTLS: 'false' }, requireTLS: false },
    { host: '127.0.0.1', data: { requireTLS: 'TRUE' }, requireTLS: true },
  ])('requireTLS for $host with $data: $requireTLS', ({ host, data, requireTLS }) => {
    expect(parseSmtpSettings(b64({ host, from: 'a@b.example', ...data }), 'ns/s').requireTLS).toBe(requireTLS);
  });

  it('keeps a caCert PEM as it is', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    expect(parseSmtpSettings(b64({ host: 'h', from: 'a@b.example', caCert: pem }), 'ns/s').caCert).toBe(pem);
  });

  it.each([
    ['localhost', true],
    ['LOCALHOST.', true],
    ['mail.localhost', true],
    ['127.0.0.1', true],
    ['127.9.9.9', true],
    ['::1', true],
    ['[::1]', true],
    ['::ffff:127.0.0.1', true],
    ['128.0.0.1', false],
    ['::2', false],
    ['localhost.example.com', false],
    ['smtp.example.com', false],
  ])('isLoopbackHost(%s) is %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });

  it.each([
    { error: Object.assign(new Error('Error upgrading connection with STARTTLS'), { code: 'ETLS', responseCode: 502 }), reason: 'SmtpTlsRequired' },
    { error: Object.assign(new Error('EHLO failed but HELO does not support required STARTTLS. response=500'), { code: 'ECONNECTION' }), reason: 'SmtpTlsRequired' },
    { error: Object.assign(new Error('Error initiating TLS - self-signed certificate'), { code: 'ETLS' }), reason: 'SmtpTlsFailed' },
    { error: Object.assign(new Error('self-signed certificate'), { code: 'ESOCKET', originalCode: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), reason: 'SmtpTlsFailed' },
    { error: Object.assign(new Error('Hostname/IP does not match'), { code: 'ESOCKET', originalCode: 'ERR_TLS_CERT_ALTNAME_INVALID' }), reason: 'SmtpTlsFailed' },
    { error: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ESOCKET', originalCode: 'ECONNREFUSED' }), reason: 'SmtpError' },
    { error: 'weird', reason: 'SmtpError' },
  ])('classifies $error.message as $reason', ({ error, reason }) => {
    expect(classifySmtpFailure(error)).toBe(reason);
  });

  it('names the TLS code of a rejected certificate', () => {
    const error = Object.assign(new Error('self-signed certificate'), { code: 'ESOCKET', originalCode: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(describeSmtpError(error)).toBe('ESOCKET DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate');
  });

  it('describes an SMTP error on one line without the password', () => {
    const error = Object.assign(new Error('Invalid login: 535 bad credentials for hunter2\n more'), { code: 'EAUTH', responseCode: 535 });
    expect(describeSmtpError(error, { host: 'h', port: 25, secure: false, requireTLS: false, from: 'a@b', password: 'hunter2' })).toBe('EAUTH 535: Invalid login: 535 bad credentials for [REDACTED] more');
  });
});

describe('SmtpSettingsCache', () => {
  const ref = { namespace: 'ops', name: 'smtp' };
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  /** A reader of one Secret that counts its GETs; `data` undefined: NotFound. */
  function reader(initial: Record<string, string> | undefined) {
    const state = { data: initial, gets: 0 };
    const client = {
      get: async <T>(): Promise<T> => {
        state.gets++;
        await Promise.resolve();
        if (!state.data) throw new ApiError('secrets "smtp" not found', 404, 'NotFound');
        return { metadata: { name: 'smtp', namespace: 'ops' }, data: state.data } as T;
      },
    };
    return { state, client };
  }
  const good = (host: string): Record<string, string> => ({ host: b64(host), from: b64('no-reply@blink.example') });

  it('reads the Secret once for a burst of loads (in flight and within the TTL), again after the TTL', async () => {
    let now = 0;
    const cache = new SmtpSettingsCache(() => now, 1_000);
    const { state, client } = reader(good('mail-a.example'));
    const burst = await Promise.all(Array.from({ length: 20 }, () => cache.load(client, ref)));
    expect(burst.every((s) => s.host === 'mail-a.example')).toBe(true);
    now = 999;
    await cache.load(client, ref);
    expect(state.gets).toBe(1);
    state.data = good('mail-b.example');
    now = 1_000;
    expect((await cache.load(client, ref)).host).toBe('mail-b.example');
    expect(state.gets).toBe(2);
  });

  it('keeps no failed read: a missing or invalid Secret is read again at once, and forget() drops good settings', async () => {
    const cache = new SmtpSettingsCache(() => 0, 60_000);
    const { state, client } = reader(undefined);
    await expect(cache.load(client, ref)).rejects.toMatchObject({ reason: 'SmtpNotConfigured' });
    state.data = { from: b64('x@blink.example') };
    await expect(cache.load(client, ref)).rejects.toMatchObject({ reason: 'SmtpSettingsInvalid' });
    state.data = good('mail-a.example');
    expect((await cache.load(client, ref)).host).toBe('mail-a.example');
    state.data = good('mail-b.example');
    expect((await cache.load(client, ref)).host).toBe('mail-a.example');
    cache.forget();
    expect((await cache.load(client, ref)).host).toBe('mail-b.example');
    expect(state.gets).toBe(4);
  });

  it('drops the settings once no send that loaded them is under way: the next invitation reads the Secret as it is now', async () => {
    const cache = new SmtpSettingsCache(() => 0, 60_000);
    const { state, client } = reader(good('mail-a.example'));
    await cache.load(client, ref);
    await cache.load(client, ref);
    state.data = good('mail-b.example');
    cache.release();
    // One send of the burst is still under way: the burst keeps what it read.
    expect((await cache.load(client, ref)).host).toBe('mail-a.example');
    cache.release();
    cache.release();
    expect((await cache.load(client, ref)).host).toBe('mail-b.example');
    expect(state.gets).toBe(2);
  });

  it('never serves one Secret\'s settings for another name', async () => {
    const cache = new SmtpSettingsCache(() => 0, 60_000);
    const { state, client } = reader(good('mail-a.example'));
    await cache.load(client, ref);
    await cache.load(client, { namespace: 'ops', name: 'other' });
    expect(state.gets).toBe(2);
  });
});

describe('loadNodemailer', () => {
  it('loads the mailer once per process, one module per turn of the event loop (no one long task at the first email)', async () => {
    let turns = 0;
    let counting = true;
    const count = (): void => {
      turns++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    const first = loadNodemailer();
    expect(loadNodemailer()).toBe(first);
    const { Mail, SMTPTransport, MailComposer } = await first;
    counting = false;
    expect(turns).toBeGreaterThanOrEqual(NODEMAILER_MODULES.length);
    const options = { host: '127.0.0.1', port: 1, disableFileAccess: true, disableUrlAccess: true };
    const transport = new Mail(new SMTPTransport(options), options);
    expect(typeof transport.sendMail).toBe('function');
    transport.close();
    expect(typeof new MailComposer({ from: 'a@example.com', to: 'b@example.com', text: 'x' }).compile().build).toBe('function');
    expect(loadNodemailer()).toBe(first);
  });
});
