import { describe, expect, it } from 'vitest';
import { INVITATION_ID_LABEL, INVITATION_SECRET_TYPE, invitationSecretName, recordFromSecret, secretFromRecord, USER_LABEL } from './invitation-record.js';
import type { InvitationRecord } from './invitation-record.js';

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

describe('invitation record', () => {
  it('round-trips through its Secret, labelled for lookups, without an ownerReference', () => {
    const secret = secretFromRecord({ namespace: 'tenant-acme', userName: 'jane', tenantName: 'acme' }, record, '42');
    expect(secret.metadata?.name).toBe(invitationSecretName('jane'));
    expect(secret.type).toBe(INVITATION_SECRET_TYPE);
    expect(secret.metadata?.labels?.[USER_LABEL]).toBe('jane');
    expect(secret.metadata?.labels?.[INVITATION_ID_LABEL]).toBe('AbCdEf123456');
    expect(secret.metadata?.ownerReferences).toBeUndefined();
    expect(recordFromSecret(secret)).toEqual({ ...record, resourceVersion: '42' });
  });

  it('round-trips the failure reason and the recent emails; drops broken entries', () => {
    const full: InvitationRecord = { ...record, delivery: 'failed', deliveryFailure: 'SmtpTlsRequired', recentEmails: [{ invitationId: 'Aaaaaaaaaaa1', at: 1_767_225_600_000 }, { invitationId: 'Bbbbbbbbbbb2', at: 1_767_225_601_000 }] };
    const secret = secretFromRecord({ namespace: 'n', userName: 'u', tenantName: 't' }, full);
    expect(recordFromSecret(secret)).toEqual({ ...full, resourceVersion: '' });
    const broken = { ...secret, data: { ...secret.data, recentEmails: Buffer.from('x:1;;bad;Ccc:notanumber;Ddd:5').toString('base64'), deliveryFailure: Buffer.from('not a reason').toString('base64') } };
    expect(recordFromSecret(broken)?.recentEmails).toEqual([{ invitationId: 'x', at: 1 }, { invitationId: 'Ddd', at: 5 }]);
    expect(recordFromSecret(broken)?.deliveryFailure).toBeUndefined();
  });

  it('treats a foreign or broken Secret as no record', () => {
    const secret = secretFromRecord({ namespace: 'n', userName: 'u', tenantName: 't' }, record);
    expect(recordFromSecret({ ...secret, type: 'Opaque' })).toBeUndefined();
    expect(recordFromSecret({ ...secret, data: { ...secret.data, state: Buffer.from('maybe').toString('base64') } })).toBeUndefined();
    expect(recordFromSecret(undefined)).toBeUndefined();
  });
});
