import { describe, expect, it } from 'vitest';
import { parseAuthenticateRequest, parseAuthorizeRequest } from './request.js';

describe('parseAuthorizeRequest', () => {
  it.each([
    { body: { tenant: 'acme', principal: { user: 'jane@example.com' }, workspace: 'ws', action: 'read' }, value: { tenant: 'acme', principal: { user: 'jane@example.com' }, workspace: 'ws', action: 'read' } },
    { body: { tenant: 'acme', principal: { serviceAccount: 'ci' }, action: 'settings' }, value: { tenant: 'acme', principal: { serviceAccount: 'ci' }, action: 'settings' } },
    { body: { tenant: 'acme', principal: { apiKey: 'blink_sa_x' }, action: 'portal', workspace: 'ws' }, value: { tenant: 'acme', principal: { apiKey: 'blink_sa_x' }, action: 'portal', workspace: 'ws' } },
  ])('accepts $body', ({ body, value }) => {
    expect(parseAuthorizeRequest(body)).toEqual({ ok: true, value });
  });

  it.each([
    { what: 'a non-object body', body: [1], fields: [''] },
    { what: 'null', body: null, fields: [''] },
    { what: 'everything missing', body: {}, fields: ['tenant', 'principal', 'action'] },
    { what: 'an unknown field', body: { tenant: 'acme', principal: { user: 'a@b.c' }, action: 'portal', extra: 1 }, fields: ['extra'] },
    { what: 'an unknown principal field', body: { tenant: 'acme', principal: { user: 'a@b.c', group: 'x' }, action: 'portal' }, fields: ['principal.group'] },
    { what: 'two principals', body: { tenant: 'acme', principal: { user: 'a@b.c', serviceAccount: 'ci' }, action: 'portal' }, fields: ['principal'] },
    { what: 'no principal kind', body: { tenant: 'acme', principal: {}, action: 'portal' }, fields: ['principal'] },
    { what: 'a bad email', body: { tenant: 'acme', principal: { user: 'not-an-email' }, action: 'portal' }, fields: ['principal.user'] },
    { what: 'a bad service account name', body: { tenant: 'acme', principal: { serviceAccount: 'Bad_Name' }, action: 'portal' }, fields: ['principal.serviceAccount'] },
    { what: 'an empty API key', body: { tenant: 'acme', principal: { apiKey: '' }, action: 'portal' }, fields: ['principal.apiKey'] },
    { what: 'a huge API key', body: { tenant: 'acme', principal: { apiKey: 'x'.repeat(300) }, action: 'portal' }, fields: ['principal.apiKey'] },
    { what: 'an unknown action', body: { tenant: 'acme', principal: { user: 'a@b.c' }, action: 'delete' }, fields: ['action'] },
    { what: 'a workspace action without workspace', body: { tenant: 'acme', principal: { user: 'a@b.c' }, action: 'execute' }, fields: ['workspace'] },
    { what: 'a bad tenant name', body: { tenant: 'ACME', principal: { user: 'a@b.c' }, action: 'portal' }, fields: ['tenant'] },
    { what: 'a bad workspace name', body: { tenant: 'acme', principal: { user: 'a@b.c' }, action: 'read', workspace: 'a/b' }, fields: ['workspace'] },
    { what: 'a number as tenant', body: { tenant: 7, principal: { user: 'a@b.c' }, action: 'portal' }, fields: ['tenant'] },
  ])('rejects $what, naming the field', ({ body, fields }) => {
    const parsed = parseAuthorizeRequest(body);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problems.map((p) => p.field)).toEqual(fields);
  });
});

describe('parseAuthenticateRequest', () => {
  it('accepts an API key', () => {
    expect(parseAuthenticateRequest({ apiKey: 'blink_sa_abc' })).toEqual({ ok: true, value: { apiKey: 'blink_sa_abc' } });
  });
  it.each([{ body: {} }, { body: { apiKey: 3 } }, { body: { apiKey: '' } }, { body: { apiKey: 'k', user: 'x' } }, { body: 'key' }])('rejects $body', ({ body }) => {
    expect(parseAuthenticateRequest(body).ok).toBe(false);
  });
});
