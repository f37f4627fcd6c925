// The durable outbox of one tenant's events (pure; outbox.test.ts): a cursor per account (the last
// history entry taken), the events not yet delivered to every webhook they are for, in the order
// they were taken, and the give-ups per webhook. outbox-store.ts keeps it in one object; the
// controller turns history into events, hands each webhook the first undelivered event of each
// account (the head: events of one account go out in order, one at a time), and records outcomes.
import { gunzipSync, gzipSync } from 'node:zlib';
import type { AccountEventName } from '../api/index.js';
import { eventsOf, entryKey } from './account-events.js';
import type { AccountEvent, ObjectCursor, ObservedAccount } from './account-events.js';

/** Most events an outbox holds; past it the oldest are given up (reason OutboxFull). */
export const OUTBOX_MAX_EVENTS = 5000;

/** An event waiting for the webhooks named in `to`. */
export interface OutboxEvent extends AccountEvent {
  /** When the outbox took it (ms): retrying stops `retryFor` after this. */
  readonly enqueuedAt: number;
  /** Webhooks it has not been delivered to yet. */
  readonly to: readonly string[];
}

/** Events given up on for one webhook since its last delivery. */
export interface GiveUps {
  readonly count: number;
  /** Why the last one failed (status code or error kind, never a body). */
  readonly lastError: string;
}

/** What the outbox of one tenant holds. */
export interface OutboxState {
  /** Cursor per account uid. */
  readonly objects: Readonly<Record<string, ObjectCursor>>;
  /** Undelivered events, oldest first. */
  readonly events: readonly OutboxEvent[];
  /** Give-ups per webhook since its last successful delivery. */
  readonly abandoned: Readonly<Record<string, GiveUps>>;
}

/** Which events a webhook wants (spec.notifications.webhooks[]). */
export interface WebhookFilter {
  readonly name: string;
  readonly events?: readonly AccountEventName[] | undefined;
}

/** One delivery: an event for one webhook. */
export interface Delivery {
  readonly event: OutboxEvent;
  readonly webhook: string;
}

/** An outbox that starts now: every account's cursor at its latest history entry, no events (what happened before the webhooks were declared is not sent). */
export function baselineOutbox(accounts: readonly ObservedAccount[]): OutboxState {
  const objects: Record<string, ObjectCursor> = {};
  for (const a of accounts) {
    const last = a.history.at(-1);
    objects[a.uid] = { kind: a.kind, name: a.name, sequence: 0, ...(last ? { last: entryKey(last) } : {}), ...(a.deleting ? { removed: true as const } : {}) };
  }
  return { objects, events: [], abandoned: {} };
}

/** What {@link takeEvents} did. */
export interface TakeResult {
  readonly state: OutboxState;
  /** Events added. */
  readonly added: number;
  /** Accounts whose history moved on by more than it keeps since the last pass (some transitions were not seen). */
  readonly gaps: readonly string[];
  /** Deliveries given up because the outbox was full, per webhook. */
  readonly overflow: Readonly<Record<string, number>>;
}

/**
 * Takes the events of every account since its cursor (and a removal event for each account that
 * is deleting or gone), addressed to the webhooks whose filter lets them through, after the ones
 * already waiting. Accounts gone from the caches leave the cursors once their removal is taken.
 */
export function takeEvents(state: OutboxState, accounts: readonly ObservedAccount[], webhooks: readonly WebhookFilter[], now: number, nowTime: string): TakeResult {
  const objects: Record<string, ObjectCursor> = { ...state.objects };
  const events: OutboxEvent[] = [...state.events];
  const gaps: string[] = [];
  let added = 0;
  const take = (list: readonly AccountEvent[]): void => {
    for (const event of list) {
      const to = webhooks.filter((w) => !w.events || w.events.length === 0 || w.events.includes(event.name)).map((w) => w.name);
      if (to.length === 0) continue;
      events.push({ ...event, enqueuedAt: now, to });
      added++;
    }
  };
  const seen = new Set<string>();
  for (const account of accounts) {
    seen.add(account.uid);
    const result = eventsOf(account, account.uid, objects[account.uid], nowTime);
    if (result.gap) gaps.push(`${account.kind}/${account.name}`);
    take(result.events);
    if (result.cursor) objects[account.uid] = result.cursor;
  }
  for (const [uid, cursor] of Object.entries(state.objects)) {
    if (seen.has(uid)) continue;
    take(eventsOf(undefined, uid, cursor, nowTime).events);
    delete objects[uid];
  }
  const overflow: Record<string, number> = {};
  const abandoned: Record<string, GiveUps> = { ...state.abandoned };
  if (events.length > OUTBOX_MAX_EVENTS) {
    const dropped = events.splice(0, events.length - OUTBOX_MAX_EVENTS);
    for (const e of dropped) for (const w of e.to) overflow[w] = (overflow[w] ?? 0) + 1;
    for (const [w, n] of Object.entries(overflow)) abandoned[w] = { count: (abandoned[w]?.count ?? 0) + n, lastError: 'OutboxFull' };
  }
  return { state: { objects, events, abandoned }, added, gaps, overflow };
}

/** The outbox without webhooks that are no longer declared (their waiting events and give-ups go). */
export function keepWebhooks(state: OutboxState, names: ReadonlySet<string>): OutboxState {
  const events = state.events.map((e) => (e.to.every((w) => names.has(w)) ? e : { ...e, to: e.to.filter((w) => names.has(w)) })).filter((e) => e.to.length > 0);
  const abandoned = Object.fromEntries(Object.entries(state.abandoned).filter(([w]) => names.has(w)));
  return { ...state, events, abandoned };
}

/** The outbox once `webhook` got the event `id`: it leaves the event's `to`, and the webhook's give-ups are cleared. */
export function markDelivered(state: OutboxState, id: string, webhook: string): OutboxState {
  const { [webhook]: _cleared, ...abandoned } = state.abandoned;
  return { ...state, events: withoutDelivery(state.events, id, webhook), abandoned };
}

/** The outbox once the event `id` is given up for `webhook` (it goes on with the account's next event). */
export function markAbandoned(state: OutboxState, id: string, webhook: string, lastError: string): OutboxState {
  const before = state.abandoned[webhook];
  return { ...state, events: withoutDelivery(state.events, id, webhook), abandoned: { ...state.abandoned, [webhook]: { count: (before?.count ?? 0) + 1, lastError } } };
}

function withoutDelivery(events: readonly OutboxEvent[], id: string, webhook: string): OutboxEvent[] {
  const out: OutboxEvent[] = [];
  for (const e of events) {
    if (e.id !== id || !e.to.includes(webhook)) out.push(e);
    else if (e.to.length > 1) out.push({ ...e, to: e.to.filter((w) => w !== webhook) });
  }
  return out;
}

/** The deliveries that may go out now: for each webhook and account, its oldest waiting event (in order per account, one at a time). */
export function deliveryHeads(state: OutboxState): Delivery[] {
  const taken = new Set<string>();
  const heads: Delivery[] = [];
  for (const event of state.events) {
    for (const webhook of event.to) {
      const key = `${webhook}\n${event.object.uid}`;
      if (taken.has(key)) continue;
      taken.add(key);
      heads.push({ event, webhook });
    }
  }
  return heads;
}

/** Events waiting, per webhook. */
export function waitingPerWebhook(state: OutboxState): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of state.events) for (const w of e.to) out[w] = (out[w] ?? 0) + 1;
  return out;
}

/** The outbox as stored: gzipped JSON (events of one tenant repeat most of their text). */
export function encodeOutbox(state: OutboxState): Buffer {
  return gzipSync(Buffer.from(JSON.stringify({ v: 1, ...state })));
}

/** The outbox from what {@link encodeOutbox} wrote; undefined when it is not one (the controller starts a new one and says so). */
export function decodeOutbox(data: Buffer): OutboxState | undefined {
  try {
    const value = JSON.parse(gunzipSync(data).toString('utf8')) as Partial<OutboxState> & { v?: unknown };
    if (value.v !== 1 || typeof value.objects !== 'object' || value.objects === null || !Array.isArray(value.events) || typeof value.abandoned !== 'object' || value.abandoned === null) return undefined;
    return { objects: value.objects, events: value.events, abandoned: value.abandoned };
  } catch {
    return undefined;
  }
}
