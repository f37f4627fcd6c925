// Which lifecycle event a transition is (pure; account-events.test.ts). The source of every event
// is the account's status.history, written in the same status write as the transition itself
// (users/user-history.ts, service-accounts/service-account-status.ts), so an event exists exactly
// when the transition was recorded; removals are seen as the object going away. An event's id is
// a digest of the object's uid and the history entry, so the same transition has the same id
// however often it is computed, sent or re-sent.
import { createHash } from 'node:crypto';
import type { AccountEventName } from '../api/index.js';
import type { HistoryItem } from '../runtime/history.js';

/** The kinds whose transitions are events. */
export type AccountKind = 'User' | 'ServiceAccount';

/** The history events of each kind, by the lifecycle event they are. */
const EVENT_NAMES: Readonly<Record<AccountKind, Readonly<Record<string, AccountEventName>>>> = {
  User: {
    Invited: 'user.invited',
    InvitationSent: 'user.invitation.sent',
    Accepted: 'user.accepted',
    InvitationExpired: 'user.invitation.expired',
    Deactivated: 'user.deactivated',
    Reactivated: 'user.reactivated',
    RoleChanged: 'user.role.changed',
  },
  ServiceAccount: {
    KeyIssued: 'serviceaccount.key.issued',
    KeyRotated: 'serviceaccount.key.rotated',
    KeyRepaired: 'serviceaccount.key.repaired',
    KeyExpiredUnused: 'serviceaccount.key.expired',
    RoleChanged: 'serviceaccount.role.changed',
  },
};

/** The event of an object that is gone (or being deleted). */
export const REMOVAL_EVENT: Readonly<Record<AccountKind, AccountEventName>> = { User: 'user.removed', ServiceAccount: 'serviceaccount.key.deleted' };

/** Prefix of every CloudEvent type (the API group, reversed). */
export const EVENT_TYPE_PREFIX = 'com.blinkops.accounts.';

/** The lifecycle event a history entry of `kind` is, if any. */
export function eventNameFor(kind: AccountKind, historyEvent: string): AccountEventName | undefined {
  return EVENT_NAMES[kind][historyEvent];
}

/** A short digest naming one history entry of an object (history entries are never edited). */
export function entryKey(entry: HistoryItem): string {
  return createHash('sha256').update(JSON.stringify([entry.at, entry.event, entry.reason, entry.message, entry.by ?? ''])).digest('base64url').slice(0, 16);
}

/** The stable id of the event of `key` (an entry key, or `removed`) of the object with `uid`. */
export function eventId(uid: string, key: string): string {
  return createHash('sha256').update(`${uid}\n${key}`).digest('hex').slice(0, 32);
}

/** An account as the caches show it. */
export interface ObservedAccount {
  readonly kind: AccountKind;
  readonly name: string;
  readonly uid: string;
  /** deletionTimestamp is set. */
  readonly deleting: boolean;
  readonly history: readonly HistoryItem[];
}

/** What changed, as the event's data says it (never a key, token or hash: history never holds one). */
export interface EventTransition {
  readonly event: string;
  readonly reason: string;
  readonly message: string;
  readonly by?: string;
}

/** One lifecycle event, before it is put on the wire. */
export interface AccountEvent {
  readonly id: string;
  readonly name: AccountEventName;
  readonly object: { readonly kind: AccountKind; readonly name: string; readonly uid: string };
  /** 1, 2, 3… per object: the order in which its events happened (and are delivered). */
  readonly sequence: number;
  /** When it happened (RFC 3339). */
  readonly time: string;
  readonly transition: EventTransition;
}

/** Where the outbox stands for one object: the last history entry turned into an event, and its sequence. */
export interface ObjectCursor {
  readonly kind: AccountKind;
  readonly name: string;
  /** entryKey of the last history entry taken (absent: none yet). */
  readonly last?: string;
  readonly sequence: number;
  /** Its removal event was taken. */
  readonly removed?: true;
}

/** The history entries after the one `last` names; all of them when it is not there (new object, or more than history keeps went by: `gap`). */
export function entriesAfter(history: readonly HistoryItem[], last: string | undefined): { entries: HistoryItem[]; gap: boolean } {
  if (last === undefined) return { entries: [...history], gap: false };
  for (let i = history.length - 1; i >= 0; i--) {
    if (entryKey(history[i] as HistoryItem) === last) return { entries: history.slice(i + 1), gap: false };
  }
  return { entries: [...history], gap: history.length > 0 };
}

/**
 * The events of one object since its cursor, and the cursor after them. `removedAt` is when
 * the object was seen gone or deleting (the removal event's time); its id is stable too.
 */
export function eventsOf(account: ObservedAccount | undefined, uid: string, cursor: ObjectCursor | undefined, removedAt: string): { events: AccountEvent[]; cursor: ObjectCursor | undefined; gap: boolean } {
  const kind = account?.kind ?? cursor?.kind;
  const name = account?.name ?? cursor?.name;
  if (!kind || !name) return { events: [], cursor, gap: false };
  const object = { kind, name, uid };
  const events: AccountEvent[] = [];
  let sequence = cursor?.sequence ?? 0;
  let last = cursor?.last;
  let gap = false;
  if (account) {
    const after = entriesAfter(account.history, last);
    gap = after.gap;
    for (const entry of after.entries) {
      last = entryKey(entry);
      const eventName = eventNameFor(kind, entry.event);
      if (!eventName) continue;
      sequence++;
      events.push({
        id: eventId(uid, last),
        name: eventName,
        object,
        sequence,
        time: entry.at,
        transition: { event: entry.event, reason: entry.reason, message: entry.message, ...(entry.by ? { by: entry.by } : {}) },
      });
    }
  }
  let removed = cursor?.removed;
  if ((!account || account.deleting) && !removed) {
    sequence++;
    removed = true;
    events.push({
      id: eventId(uid, 'removed'),
      name: REMOVAL_EVENT[kind],
      object,
      sequence,
      time: removedAt,
      transition: kind === 'User'
        ? { event: 'Removed', reason: 'Deleted', message: 'The User was deleted: its invitation and every grant are revoked' }
        : { event: 'KeyDeleted', reason: 'Deleted', message: 'The ServiceAccount was deleted: its API key stopped working and its Secret is removed' },
    });
  }
  return { events, cursor: { kind, name, ...(last !== undefined ? { last } : {}), sequence, ...(removed ? { removed } : {}) }, gap };
}
