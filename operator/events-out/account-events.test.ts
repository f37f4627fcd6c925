import { describe, expect, it } from 'vitest';
import type { HistoryItem } from '../runtime/history.js';
import { entriesAfter, entryKey, eventId, eventNameFor, eventsOf } from './account-events.js';
import type { ObservedAccount } from './account-events.js';

const h = (event: string, at = '2026-12-07T10:00:00Z', message = event): HistoryItem => ({ at, event, reason: 'R', message });
const user = (history: HistoryItem[], deleting = false): ObservedAccount => ({ kind: 'User', name: 'ann', uid: 'u-1', deleting, history });

describe('eventNameFor', () => {
  it.each([
    ['User', 'Invited', 'user.invited'],
    ['User', 'InvitationSent', 'user.invitation.sent'],
    ['User', 'Accepted', 'user.accepted'],
    ['User', 'InvitationExpired', 'user.invitation.expired'],
    ['User', 'Deactivated', 'user.deactivated'],
    ['User', 'Reactivated', 'user.reactivated'],
    ['User', 'RoleChanged', 'user.role.changed'],
    ['ServiceAccount', 'KeyIssued', 'serviceaccount.key.issued'],
    ['ServiceAccount', 'KeyRotated', 'serviceaccount.key.rotated'],
    ['ServiceAccount', 'KeyRepaired', 'serviceaccount.key.repaired'],
    ['ServiceAccount', 'KeyExpiredUnused', 'serviceaccount.key.expired'],
    ['ServiceAccount', 'RoleChanged', 'serviceaccount.role.changed'],
  ] as const)('%s %s is %s', (kind, event, name) => {
    expect(eventNameFor(kind, event)).toBe(name);
  });

  it('maps nothing else (a history event of another kind, an unknown one)', () => {
    expect(eventNameFor('User', 'KeyIssued')).toBeUndefined();
    expect(eventNameFor('ServiceAccount', 'Invited')).toBeUndefined();
    expect(eventNameFor('User', 'Something')).toBeUndefined();
  });
});

describe('entriesAfter', () => {
  const list = [h('Invited', '2026-12-07T10:00:00Z'), h('InvitationSent', '2026-12-07T10:00:01Z'), h('Accepted', '2026-12-07T10:00:02Z')];
  it('gives what follows the last entry taken', () => {
    expect(entriesAfter(list, entryKey(list[0] as HistoryItem))).toEqual({ entries: list.slice(1), gap: false });
    expect(entriesAfter(list, entryKey(list[2] as HistoryItem))).toEqual({ entries: [], gap: false });
  });
  it('gives everything for a new object, and everything with a gap when the last one slid out of history', () => {
    expect(entriesAfter(list, undefined)).toEqual({ entries: list, gap: false });
    expect(entriesAfter(list, entryKey(h('Older', '2026-12-07T09:00:00Z')))).toEqual({ entries: list, gap: true });
  });
  it('tells apart two entries of one event at one second by their message', () => {
    const two = [h('KeyRotated', '2026-12-07T10:00:00Z', 'to A'), h('KeyRotated', '2026-12-07T10:00:00Z', 'to B')];
    expect(entriesAfter(two, entryKey(two[0] as HistoryItem)).entries).toEqual([two[1]]);
  });
});

describe('eventsOf', () => {
  it('numbers the events of one object 1, 2, 3… and moves its cursor past them', () => {
    const first = eventsOf(user([h('Invited'), h('InvitationSent')]), 'u-1', undefined, 'now');
    expect(first.events.map((e) => [e.name, e.sequence])).toEqual([['user.invited', 1], ['user.invitation.sent', 2]]);
    const history = [h('Invited'), h('InvitationSent'), h('Accepted', '2026-12-07T11:00:00Z')];
    const second = eventsOf(user(history), 'u-1', first.cursor, 'now');
    expect(second.events.map((e) => [e.name, e.sequence])).toEqual([['user.accepted', 3]]);
    expect(eventsOf(user(history), 'u-1', second.cursor, 'now').events).toEqual([]);
  });

  it('gives the same id for the same transition every time, and different ids to different ones', () => {
    const a = eventsOf(user([h('Invited')]), 'u-1', undefined, 'now').events[0];
    const b = eventsOf(user([h('Invited')]), 'u-1', undefined, 'later').events[0];
    expect(a?.id).toBe(b?.id);
    expect(a?.id).toBe(eventId('u-1', entryKey(h('Invited'))));
    expect(eventsOf(user([h('Invited')]), 'u-2', undefined, 'now').events[0]?.id).not.toBe(a?.id);
  });

  it('adds one removal event when the object is deleting or gone, after its last transitions, and never again', () => {
    const deleting = eventsOf(user([h('Invited')], true), 'u-1', undefined, '2026-12-07T12:00:00Z');
    expect(deleting.events.map((e) => e.name)).toEqual(['user.invited', 'user.removed']);
    expect(deleting.events[1]).toMatchObject({ sequence: 2, time: '2026-12-07T12:00:00Z', object: { kind: 'User', name: 'ann', uid: 'u-1' } });
    expect(eventsOf(undefined, 'u-1', deleting.cursor, 'later').events).toEqual([]);
    const gone = eventsOf(undefined, 'u-9', { kind: 'ServiceAccount', name: 'bot', sequence: 4 }, 't');
    expect(gone.events.map((e) => [e.name, e.sequence, e.id])).toEqual([['serviceaccount.key.deleted', 5, eventId('u-9', 'removed')]]);
  });

  it('skips history events that are no lifecycle event but moves past them', () => {
    const result = eventsOf(user([h('Invited'), h('Unknown')]), 'u-1', undefined, 'now');
    expect(result.events.map((e) => e.name)).toEqual(['user.invited']);
    expect(result.cursor?.last).toBe(entryKey(h('Unknown')));
  });

  it('carries the transition as history says it, without anything else', () => {
    const event = eventsOf(user([{ at: 't', event: 'RoleChanged', reason: 'SpecChanged', message: 'Role changed from Builder to Admin', by: 'kubectl-patch' }]), 'u-1', undefined, 'now').events[0];
    expect(event?.transition).toEqual({ event: 'RoleChanged', reason: 'SpecChanged', message: 'Role changed from Builder to Admin', by: 'kubectl-patch' });
  });
});
