// Whether an invitation link may be shown or accepted (pure; acceptance-decision.test.ts).
// Every refusal names no user and no invitation; only the holder of the real token ever
// learns more than "not valid" (expired, or already used).
import type { ResultKind } from './page.js';
import { isExpired } from './token.js';
import type { InvitationRecord } from './invitation-record.js';

/** What the handler found for a well-formed token. */
export interface AcceptanceFacts {
  /** The record whose invitation id the token names, if any in this operator's scope. */
  readonly record: InvitationRecord | undefined;
  /** The token hashes to the record's stored hash. */
  readonly tokenMatches: boolean;
  /** The User exists, is not being deleted, is active and has the record's email. */
  readonly userActive: boolean;
  /** The record is an earlier invitation put back: the User's status acted on a later one. @default false */
  readonly superseded?: boolean;
  readonly now: number;
}

/** The verdict: go on, or answer with this page and status. */
export type AcceptanceVerdict = { readonly ok: true } | { readonly ok: false; readonly page: ResultKind; readonly status: number };

/** Judges a link. */
export function judgeInvitation(facts: AcceptanceFacts): AcceptanceVerdict {
  const { record } = facts;
  if (!record || !facts.tokenMatches || record.tokenHash === '') return { ok: false, page: 'invalid', status: 404 };
  if (record.state === 'accepted') return { ok: false, page: 'invalid', status: 409 };
  if (record.state === 'revoked' || !facts.userActive || facts.superseded) return { ok: false, page: 'invalid', status: 404 };
  if (isExpired(new Date(record.expiresAt), new Date(facts.now))) return { ok: false, page: 'expired', status: 410 };
  return { ok: true };
}
