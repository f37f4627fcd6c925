// status.history of Users and ServiceAccounts: the last few transitions of the
// account, for people ("what happened to this account?"), bounded, never secret.
import { Type } from '@sinclair/typebox';
import type { Static, TArray } from '@sinclair/typebox';
import { timestamp } from './schema-builder.js';

/** How many transitions status.history keeps (the oldest goes first). */
export const HISTORY_MAX = 10;

/** One transition of an account. */
export const HistoryEntrySchema = Type.Object(
  {
    at: timestamp('When the operator saw the transition.'),
    event: Type.String({ description: 'What happened, in CamelCase: Invited, InvitationSent, InvitationExpired, Accepted, Deactivated, Reactivated, RoleChanged, KeyIssued, KeyRotated, KeyRepaired, KeyExpiredUnused.', maxLength: 64 }),
    reason: Type.String({ description: 'Why, in CamelCase (for example Requested, Scheduled, SecretDeleted, Page).', maxLength: 64 }),
    message: Type.String({ description: 'Details for people; never a key, token or hash.', maxLength: 512 }),
    by: Type.Optional(Type.String({ description: 'The field manager (client) of the latest spec change, when the transition came from one (from metadata.managedFields); not an authenticated user name.', maxLength: 128 })),
  },
  { description: 'One transition of the account.' },
);

/** One transition of an account. */
export type HistoryEntry = Static<typeof HistoryEntrySchema>;

/** The `status.history` field. */
export function historyField(): TArray<typeof HistoryEntrySchema> {
  return Type.Array(HistoryEntrySchema, {
    description: `The last ${HISTORY_MAX} transitions of the account, oldest first (kubectl blink history prints them). Written only with a status change that happens anyway.`,
    maxItems: HISTORY_MAX,
    'x-kubernetes-list-type': 'atomic',
  });
}
