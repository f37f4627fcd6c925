// Which invitation record the User controller may believe (pure; record-trust.test.ts). Anyone
// who may write Secrets in the tenant namespace can edit the record, so only what the operator
// signed steers anything, and even a signed record may not take back what status already
// recorded from a later one (a replayed earlier record). Status is written only by the operator
// (users/status), so it is the last trusted state when the record cannot be believed.
import type { UserStatus } from '../api/index.js';
import type { InvitationRecord, ReadInvitationRecord } from '../invitations/invitation-record.js';

/** What the controller makes of the record Secret. */
export type RecordTrust =
  /** There is none. */
  | { readonly trust: 'absent' }
  /** Signed by the operator and not older than what status recorded: the truth. */
  | { readonly trust: 'trusted'; readonly record: InvitationRecord }
  /**
   * Unsigned and nothing says it was ever signed: written by a version of the operator from before
   * signatures. Never believed as it is: signed again from status when status says the person
   * accepted, else replaced by a new invitation.
   */
  | { readonly trust: 'legacy' }
  /** Not the operator's (a wrong or removed signature, an earlier record put back): ignored; the User keeps its last trusted phase. */
  | { readonly trust: 'tampered'; readonly detail: string };

/** The parts of status that say what the operator last believed. */
export type TrustedStatus = Pick<UserStatus, 'acceptedAt' | 'invitation'>;

/** Decides how far the record `read` (undefined: no Secret) is believed for a User with `status` and `email`. */
export function trustRecord(read: ReadInvitationRecord | undefined, status: TrustedStatus | undefined, email: string): RecordTrust {
  const acceptedInStatus = !!status?.acceptedAt;
  if (!read) {
    // Gone while status says a signed invitation is pending: deleted by someone else (the operator
    // deletes a record only with its User). Re-inviting of its own accord would let whoever may
    // delete Secrets have the operator mail the person, and use up the tenant's hour, at will.
    if (!acceptedInStatus && status?.invitation?.recordSigned) return { trust: 'tampered', detail: 'it was deleted' };
    return { trust: 'absent' };
  }
  const { record } = read;
  switch (read.integrity) {
    case 'forged':
      return { trust: 'tampered', detail: "its content does not match the operator's signature" };
    case 'unsigned':
      // Signing it again from status grants nothing status did not already say.
      if (acceptedInStatus) return { trust: 'legacy' };
      if (record?.state === 'accepted') return { trust: 'tampered', detail: "it says accepted without the operator's signature" };
      if (status?.invitation?.recordSigned) return { trust: 'tampered', detail: "the operator's signature was removed from it" };
      return { trust: 'legacy' };
    case 'signed':
      if (!record) return { trust: 'tampered', detail: 'it cannot be read' };
      // Once accepted, a User's record stays accepted; the resend counter acted on never goes down.
      if (acceptedInStatus && !(record.state === 'accepted' && record.email === email)) {
        return { trust: 'tampered', detail: 'it is an earlier record of this User put back (status says the invitation was accepted)' };
      }
      if (record.email === email && status?.invitation?.resend !== undefined && record.resend < status.invitation.resend) {
        return { trust: 'tampered', detail: 'it is an earlier invitation of this User put back (status has a later one)' };
      }
      return { trust: 'trusted', record };
  }
}

/** Ready=False message of a User whose record is not believed, saying what keeps and what the admin can do. */
export function tamperedMessage(secretName: string, detail: string, acceptedInStatus: boolean): string {
  const head = `The invitation record Secret ${secretName} was changed by someone other than the operator (${detail}), so it is not believed`;
  return acceptedInStatus
    ? `${head}. The user keeps the phase the operator last recorded; delete that Secret to have the operator write it again from status`
    : `${head} and its link does not work. Increase spec.invitation.resend to send a new invitation`;
}
