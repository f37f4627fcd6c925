import { describe, expect, it } from 'vitest';
import { describeSmtpError, parseSmtpSettings, SmtpSettingsError } from './smtp.js';

const b64 = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));

describe('SMTP settings', () => {
  it('parses the Secret keys', () => {
    expect(parseSmtpSettings(b64({ host: 'smtp.example', port: '465', secure: 'true', username: 'u', password: 'p', from: 'Blink <no@x.example>' }), 'ns/s')).toEqual({
      host: 'smtp.example',
      port: 465,
      secure: true,
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

  it('describes an SMTP error on one line without the password', () => {
    const error = Object.assign(new Error('Invalid login: 535 bad credentials for hunter2\n more'), { code: 'EAUTH', responseCode: 535 });
    expect(describeSmtpError(error, { host: 'h', port: 25, secure: false, from: 'a@b', password: 'hunter2' })).toBe('EAUTH 535: Invalid login: 535 bad credentials for [REDACTED] more');
  });
});
