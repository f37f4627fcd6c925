import { describe, expect, it } from 'vitest';
import type { HistoryItem } from '../runtime/history.js';
import type { ObservedAccount } from './account-events.js';
import { baselineOutbox, decodeOutbox, deliveryHeads, encodeOutbox, keepWebhooks, markAbandoned, markDelivered, OUTBOX_MAX_EVENTS, takeEvents, waitingPerWebhook } from './outbox.js';
import type { OutboxState } from './outbox.js';

const h = (event: string, second = 0): HistoryItem => ({ at: `2026-12-07T10:00:${String(second).padStart(2, '0')}Z`, event, reason: 'R', message: event });
const acc = (kind: ObservedAccount['kind'], name: string, history: HistoryItem[], deleting = false): ObservedAccount => ({ kind, name, uid: `uid-${name}`, deleting, history });
const empty: OutboxState = { objects: {}, events: [], abandoned: {} };
const hooks = [{ name: 'a' }, { name: 'b', events: ['serviceaccount.key.issued' as const] }];

function names(state: OutboxState): string[] {
  return state.events.map((e) => `${e.object.name}:${e.name}>${e.to.join(',')}`);
}

describe('baselineOutbox', () => {
  it('starts from now: what happened before the webhooks is not sent, what comes after is', () => {
    const ann = acc('User', 'ann', [h('Invited'), h('InvitationSent', 1)]);
    const base = baselineOutbox([ann]);
    expect(takeEvents(base, [ann], hooks, 0, 't').added).toBe(0);
    const later = acc('User', 'ann', [h('Invited'), h('InvitationSent', 1), h('Accepted', 2)]);
    const taken = takeEvents(base, [later], hooks, 0, 't');
    expect(names(taken.state)).toEqual(['ann:user.accepted>a']);
    expect(taken.state.events[0]?.sequence).toBe(1);
  });
  it('does not announce the removal of an object already deleting at the baseline', () => {
    const base = baselineOutbox([acc('User', 'ann', [h('Invited')], true)]);
    expect(takeEvents(base, [], hooks, 0, 't').added).toBe(0);
  });
});

describe('takeEvents', () => {
  it('addresses each event to the webhooks whose filter lets it through, and keeps them in order of taking', () => {
    const taken = takeEvents(empty, [acc('User', 'ann', [h('Invited')]), acc('ServiceAccount', 'bot', [h('KeyIssued'), h('KeyRotated', 1)])], hooks, 5, 't');
    expect(names(taken.state)).toEqual(['ann:user.invited>a', 'bot:serviceaccount.key.issued>a,b', 'bot:serviceaccount.key.rotated>a']);
    expect(taken.state.events.every((e) => e.enqueuedAt === 5)).toBe(true);
  });
  it('takes a removal for an object gone from the caches and forgets its cursor', () => {
    const first = takeEvents(empty, [acc('User', 'ann', [h('Invited')])], hooks, 0, 't').state;
    const gone = takeEvents(first, [], hooks, 1, '2026-12-07T11:00:00Z');
    expect(names(gone.state)).toEqual(['ann:user.invited>a', 'ann:user.removed>a']);
    expect(gone.state.objects).toEqual({});
    expect(takeEvents(gone.state, [], hooks, 2, 't').added).toBe(0);
  });
  it('takes nothing twice', () => {
    const accounts = [acc('User', 'ann', [h('Invited'), h('InvitationSent', 1)])];
    const once = takeEvents(empty, accounts, hooks, 0, 't').state;
    expect(takeEvents(once, accounts, hooks, 0, 't').state).toEqual(once);
  });
  it('drops the oldest events past OUTBOX_MAX_EVENTS and counts them as given up per webhook', () => {
    const full: OutboxState = { ...empty, events: Array.from({ length: OUTBOX_MAX_EVENTS }, (_, i) => ({ id: `e${i}`, name: 'user.invited' as const, object: { kind: 'User' as const, name: `u${i}`, uid: `x${i}` }, sequence: 1, time: 't', transition: { event: 'Invited', reason: 'R', message: 'm' }, enqueuedAt: 0, to: ['a'] })) };
    const taken = takeEvents(full, [acc('ServiceAccount', 'bot', [h('KeyIssued')])], hooks, 1, 't');
    expect(taken.state.events).toHaveLength(OUTBOX_MAX_EVENTS);
    expect(taken.state.events[0]?.id).toBe('e1');
    expect(taken.overflow).toEqual({ a: 1 });
    expect(taken.state.abandoned).toEqual({ a: { count: 1, lastError: 'OutboxFull' } });
  });
});

describe('deliveryHeads', () => {
  it('hands each webhook the oldest waiting event of each object, one at a time', () => {
    const state = takeEvents(empty, [acc('ServiceAccount', 'bot', [h('KeyIssued'), h('KeyRotated', 1)]), acc('User', 'ann', [h('Invited')])], hooks, 0, 't').state;
    const heads = (s: OutboxState): string[] => deliveryHeads(s).map((d) => `${d.webhook}:${d.event.object.name}:${d.event.name}`);
    expect(heads(state)).toEqual(['a:bot:serviceaccount.key.issued', 'b:bot:serviceaccount.key.issued', 'a:ann:user.invited']);
    const issued = state.events[0]?.id ?? '';
    // Delivered to b only: a still has it as its head, so a's rotated event waits behind it.
    const afterB = markDelivered(state, issued, 'b');
    expect(heads(afterB)).toEqual(['a:bot:serviceaccount.key.issued', 'a:ann:user.invited']);
    const afterA = markDelivered(afterB, issued, 'a');
    expect(heads(afterA)).toEqual(['a:bot:serviceaccount.key.rotated', 'a:ann:user.invited']);
    expect(waitingPerWebhook(afterA)).toEqual({ a: 2 });
  });
});

describe('markAbandoned, markDelivered, keepWebhooks', () => {
  const state = takeEvents(empty, [acc('ServiceAccount', 'bot', [h('KeyIssued'), h('KeyRotated', 1)])], hooks, 0, 't').state;
  const issued = state.events[0]?.id ?? '';
  it('gives up one delivery, goes on with the next event of the object, and counts the give-ups until a delivery', () => {
    const given = markAbandoned(markAbandoned(state, issued, 'a', 'HTTP 503'), issued, 'b', 'timeout');
    expect(given.abandoned).toEqual({ a: { count: 1, lastError: 'HTTP 503' }, b: { count: 1, lastError: 'timeout' } });
    expect(deliveryHeads(given).map((d) => `${d.webhook}:${d.event.name}`)).toEqual(['a:serviceaccount.key.rotated']);
    const delivered = markDelivered(given, state.events[1]?.id ?? '', 'a');
    expect(delivered.abandoned).toEqual({ b: { count: 1, lastError: 'timeout' } });
    expect(delivered.events).toEqual([]);
  });
  it('forgets a webhook that is no longer declared: its deliveries and give-ups', () => {
    const kept = keepWebhooks(markAbandoned(state, issued, 'b', 'x'), new Set(['b']));
    expect(kept.events).toEqual([]);
    expect(kept.abandoned).toEqual({ b: { count: 1, lastError: 'x' } });
  });
});

describe('encodeOutbox / decodeOutbox', () => {
  it('round-trips, and is small for events that repeat themselves', () => {
    const many = Array.from({ length: 200 }, (_, i) => acc('User', `user-${i}`, [h('Invited'), h('InvitationSent', 1)]));
    const state = takeEvents(empty, many, hooks, 0, 't').state;
    const bytes = encodeOutbox(state);
    expect(decodeOutbox(bytes)).toEqual(state);
    expect(bytes.length).toBeLessThan(JSON.stringify(state).length / 3);
  });
  it('reads anything else as no outbox', () => {
    expect(decodeOutbox(Buffer.from('not gzip'))).toBeUndefined();
    expect(decodeOutbox(encodeOutbox({ objects: {}, events: 'x' } as unknown as OutboxState))).toBeUndefined();
  });
});
