import { describe, expect, it } from 'vitest';
import {
  INVITATION_ID_LABEL,
  INVITATION_SECRET_TYPE,
  INVITATION_SIGNATURE_ANNOTATION,
  invitationSecretName,
  readInvitationRecord,
  recordFromSecret,
  secretFromRecord,
  USER_LABEL,
} from './invitation-record.js';
import type { InvitationRecord, SecretObject } from './invitation-record.js';
import { compactSecretData } from '../runtime/compact-secret-data.js';

const KEY = Buffer.alloc(32, 1);
const location = { namespace: 'tenant-acme', userName: 'jane', tenantName: 'acme' };
const record: InvitationRecord = {
  invitationId: 'AbCdEf123456',
  tokenHash: 'b'.repeat(64),
  email: 'jane@acme.example',
  issuedAt: '2026-01-01T00:00:00Z',
  expiresAt: '2026-01-08T00:00:00Z',
  state: 'pending',
  resend: 4,
  delivery: 'sending',
  messageId: '<invitation.AbCdEf123456@blink-accounts.invalid>',
};
const b64 = (text: string): string => Buffer.from(text).toString('base64');
/** `secret` with data field `key` set to `value` (as someone with write access on Secrets would). */
const edited = (secret: SecretObject, key: string, value: string): SecretObject => ({ ...secret, data: { ...secret.data, [key]: b64(value) } });

describe('invitation record', () => {
  it('round-trips through its Secret, labelled for lookups, without an ownerReference', () => {
    const secret = secretFromRecord(location, record, KEY, '42');
    expect(secret.metadata?.name).toBe(invitationSecretName('jane'));
    expect(secret.type).toBe(INVITATION_SECRET_TYPE);
    expect(secret.metadata?.labels?.[USER_LABEL]).toBe('jane');
    expect(secret.metadata?.labels?.[INVITATION_ID_LABEL]).toBe('AbCdEf123456');
    expect(secret.metadata?.ownerReferences).toBeUndefined();
    expect(recordFromSecret(secret)).toEqual({ ...record, resourceVersion: '42' });
    expect(readInvitationRecord(secret, KEY)).toEqual({ integrity: 'signed', record: { ...record, resourceVersion: '42' } });
  });

  it('round-trips the failure reason and the recent emails; drops broken entries', () => {
    const full: InvitationRecord = { ...record, delivery: 'failed', deliveryFailure: 'SmtpTlsRequired', recentEmails: [{ invitationId: 'Aaaaaaaaaaa1', at: 1_767_225_600_000 }, { invitationId: 'Bbbbbbbbbbb2', at: 1_767_225_601_000 }] };
    const secret = secretFromRecord({ namespace: 'n', userName: 'u', tenantName: 't' }, full, KEY);
    expect(recordFromSecret(secret)).toEqual({ ...full, resourceVersion: '' });
    expect(readInvitationRecord(secret, KEY)?.integrity).toBe('signed');
    const broken = { ...secret, data: { ...secret.data, recentEmails: b64('x:1;;bad;Ccc:notanumber;Ddd:5'), deliveryFailure: b64('not a reason') } };
    expect(recordFromSecret(broken)?.recentEmails).toEqual([{ invitationId: 'x', at: 1 }, { invitationId: 'Ddd', at: 5 }]);
    expect(recordFromSecret(broken)?.deliveryFailure).toBeUndefined();
  });

  it('signs what it reads back: optional fields left empty still verify', () => {
    const sparse: InvitationRecord = { ...record, tokenHash: '', acceptedAt: '', failedAttempts: 0, recentEmails: [] };
    expect(readInvitationRecord(secretFromRecord(location, sparse, KEY), KEY)?.integrity).toBe('signed');
  });

  it('treats a foreign or broken Secret as no record when parsing, and as forged when judging it', () => {
    const secret = secretFromRecord({ namespace: 'n', userName: 'u', tenantName: 't' }, record, KEY);
    expect(recordFromSecret({ ...secret, type: 'Opaque' })).toBeUndefined();
    expect(recordFromSecret(edited(secret, 'state', 'maybe'))).toBeUndefined();
    expect(recordFromSecret(undefined)).toBeUndefined();
    expect(readInvitationRecord(undefined, KEY)).toBeUndefined();
    expect(readInvitationRecord({ ...secret, type: 'Opaque' }, KEY)?.integrity).toBe('forged');
    expect(readInvitationRecord(edited(secret, 'state', 'maybe'), KEY)).toEqual({ integrity: 'forged', record: undefined });
  });

  const signed = secretFromRecord(location, { ...record, delivery: 'sent', sentAt: '2026-01-01T00:00:01Z', recentEmails: [{ invitationId: 'AbCdEf123456', at: 1_767_225_600_000 }] }, KEY);
  it.each([
    ['state', 'accepted'],
    ['state', 'revoked'],
    ['acceptedAt', '2026-01-02T00:00:00Z'],
    ['invitationId', 'Zzzzzz999999'],
    ['tokenHash', 'c'.repeat(64)],
    ['email', 'mallory@acme.example'],
    ['issuedAt', '2025-01-01T00:00:00Z'],
    ['expiresAt', '2099-01-01T00:00:00Z'],
    ['resend', '99'],
    ['delivery', 'failed'],
    ['messageId', '<other@example>'],
    ['sentAt', '2026-01-01T00:00:02Z'],
    ['deliveryError', 'oops'],
    ['deliveryFailure', 'SmtpError'],
    ['attemptedAt', '2026-01-01T00:00:00.000Z'],
    ['failedAttempts', '30'],
    ['recentEmails', 'Aaaaaaaaaaa1:1767225600000;Bbbbbbbbbbb2:1767225600001;Ccccccccccc3:1767225600002'],
  ])('a record whose %s was set to %j is forged', (field, value) => {
    expect(readInvitationRecord(signed, KEY)?.integrity).toBe('signed');
    expect(readInvitationRecord(edited(signed, field, value), KEY)?.integrity).toBe('forged');
  });

  it('a record without its signature is unsigned; with a wrong key, a wrong signature, or moved to another User it is forged', () => {
    const { [INVITATION_SIGNATURE_ANNOTATION]: _gone, ...annotations } = signed.metadata?.annotations ?? {};
    expect(readInvitationRecord({ ...signed, metadata: { ...signed.metadata, annotations } }, KEY)?.integrity).toBe('unsigned');
    expect(readInvitationRecord(signed, Buffer.alloc(32, 2))?.integrity).toBe('forged');
    expect(readInvitationRecord({ ...signed, metadata: { ...signed.metadata, annotations: { [INVITATION_SIGNATURE_ANNOTATION]: 'v1.00' } } }, KEY)?.integrity).toBe('forged');
    // Jane's signed record copied under Mallory's name (or relabelled) is not Mallory's.
    const copied = { ...signed, metadata: { ...signed.metadata, name: invitationSecretName('mallory'), labels: { ...signed.metadata?.labels, [USER_LABEL]: 'mallory' } } };
    expect(readInvitationRecord(copied, KEY)?.integrity).toBe('forged');
    expect(readInvitationRecord({ ...signed, metadata: { ...signed.metadata, labels: { ...signed.metadata?.labels, [USER_LABEL]: 'mallory' } } }, KEY)?.integrity).toBe('forged');
    expect(readInvitationRecord({ ...signed, metadata: { ...signed.metadata, namespace: 'tenant-other' } }, KEY)?.integrity).toBe('forged');
  });
});

describe('a record as the informer caches it (data compacted, runtime/compact-secret-data.ts)', () => {
  it('reads and verifies the same as the Secret as written', () => {
    const written = secretFromRecord(location, { ...record, recentEmails: [{ invitationId: record.invitationId, at: 1_796_689_810_025 }] }, KEY, '42');
    const cached = compactSecretData(JSON.parse(JSON.stringify(written)) as SecretObject);
    expect(Object.getOwnPropertyDescriptor(cached, 'data')?.get).toBeDefined();
    expect(recordFromSecret(cached)).toEqual(recordFromSecret(written));
    expect(readInvitationRecord(cached, KEY)).toEqual({ integrity: 'signed', record: recordFromSecret(written) });
  });
});
