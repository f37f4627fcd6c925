import { describe, expect, it } from 'vitest';
import { createLogger } from '../runtime/logger.js';
import { secretFromRecord } from '../invitations/invitation-record.js';
import type { DeliveryState, SecretObject } from '../invitations/invitation-record.js';
import { pendingRecord } from '../invitations/invitation-record.fixture.js';
import { InvitationSendQueue, SEND_SETTLE_MS, sendOutcomeArrived } from './send-queue.js';

const log = createLogger({ level: 'silent' });

/** A send that finishes when the test says so. */
function gated(): { promise: Promise<void>; open: () => void; started: boolean } {
  const handle = { started: false, open: () => undefined as void, promise: Promise.resolve() };
  handle.promise = new Promise<void>((resolve) => {
    handle.open = resolve;
  });
  return handle;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('InvitationSendQueue', () => {
  it('sends several records at once, never more than its concurrency', async () => {
    const queue = new InvitationSendQueue({ concurrency: 3, log });
    const sends = Array.from({ length: 5 }, () => gated());
    sends.forEach((s, i) =>
      queue.enqueue({
        key: `ns/u${i}`,
        invitationId: `id${i}`,
        run: async () => {
          s.started = true;
          await s.promise;
        },
      }),
    );
    await tick();
    expect(sends.map((s) => s.started)).toEqual([true, true, true, false, false]);
    expect(queue.inFlight).toBe(3);
    expect(queue.has('id4')).toBe(true);
    sends[0]?.open();
    await tick();
    await tick();
    expect(sends[3]?.started).toBe(true);
    sends.forEach((s) => s.open());
    await queue.drained();
    // Finished with its outcome written: still "in flight" until the controller's cache shows the record.
    expect(queue.has('id4')).toBe(true);
    queue.settled('id4');
    expect(queue.has('id4')).toBe(false);
  });

  it('a finished send counts as in flight until settled or SEND_SETTLE_MS; a send that threw does not', async () => {
    let now = 0;
    const queue = new InvitationSendQueue({ concurrency: 2, log, now: () => now });
    queue.enqueue({ key: 'ns/a', invitationId: 'a', run: async () => undefined });
    queue.enqueue({ key: 'ns/b', invitationId: 'b', run: () => Promise.reject(new Error('record write failed')) });
    await queue.drained();
    // The outcome of "b" was not written: its record still says "preparing", and a reconcile must be free to take it up.
    expect(queue.has('b')).toBe(false);
    expect(queue.has('a')).toBe(true);
    now = SEND_SETTLE_MS - 1;
    expect(queue.has('a')).toBe(true);
    now = SEND_SETTLE_MS;
    expect(queue.has('a')).toBe(false);
  });

  it('one send per record at a time: a newer one waits, and replaces one still waiting', async () => {
    const queue = new InvitationSendQueue({ concurrency: 4, log });
    const ran: string[] = [];
    const first = gated();
    queue.enqueue({ key: 'ns/jane', invitationId: 'a', run: async () => { ran.push('a'); await first.promise; } });
    queue.enqueue({ key: 'ns/jane', invitationId: 'b', run: async () => { ran.push('b'); } });
    queue.enqueue({ key: 'ns/jane', invitationId: 'c', run: async () => { ran.push('c'); } });
    await tick();
    expect(ran).toEqual(['a']);
    expect(queue.has('b')).toBe(false);
    expect(queue.has('c')).toBe(true);
    first.open();
    await queue.drained();
    expect(ran).toEqual(['a', 'c']);
  });

  it('a failing send does not stop the others; after stop nothing new starts', async () => {
    const failed: string[] = [];
    const queue = new InvitationSendQueue({ concurrency: 1, log, onError: (job) => failed.push(job.key) });
    const ran: string[] = [];
    queue.enqueue({ key: 'ns/a', invitationId: 'a', run: () => Promise.reject(new Error('boom')) });
    queue.enqueue({ key: 'ns/b', invitationId: 'b', run: async () => { ran.push('b'); } });
    await queue.drained();
    expect(ran).toEqual(['b']);
    expect(failed).toEqual(['ns/a']);
    queue.stop();
    queue.enqueue({ key: 'ns/c', invitationId: 'c', run: async () => { ran.push('c'); } });
    await tick();
    expect(ran).toEqual(['b']);
  });
});

describe('InvitationSendQueue lateness', () => {
  /** A queue of `concurrency` on a clock the test moves, whose sends finish when the test says. */
  function world(concurrency: number) {
    let now = 1_000;
    const told: string[] = [];
    const queue = new InvitationSendQueue({ concurrency, log, now: () => now, lateAfterMs: 10_000, onLate: (job) => told.push(job.invitationId) });
    const sends = new Map<string, ReturnType<typeof gated>>();
    const add = (id: string): void => {
      const send = gated();
      sends.set(id, send);
      queue.enqueue({ key: `ns/${id}`, invitationId: id, run: () => send.promise });
    };
    return { queue, told, add, sends, advance: (ms: number) => void (now += ms) };
  }

  it('a send running for lateAfterMs is late, told once; one waiting its turn in a queue that keeps starting sends is not', async () => {
    const w = world(1);
    w.add('a');
    w.add('b');
    await tick();
    w.advance(6_000);
    w.queue.checkLate();
    expect([w.queue.isLate('a'), w.queue.isLate('b'), w.told]).toEqual([false, false, []]);
    // a ends, b starts: b has waited 6 s, but the queue started a send just now.
    w.sends.get('a')?.open();
    await tick();
    w.add('c');
    w.advance(6_000);
    w.queue.checkLate();
    expect([w.queue.isLate('b'), w.queue.isLate('c'), w.told]).toEqual([false, false, []]);
    w.advance(4_000);
    w.queue.checkLate();
    w.queue.checkLate();
    // b has run 10 s: late. c waits on a queue that started nothing for 10 s: late too. Each told once.
    expect([w.queue.isLate('b'), w.queue.isLate('c'), w.told]).toEqual([true, true, ['b', 'c']]);
    w.sends.get('b')?.open();
    await tick();
    // c starts: it has run 0 s, so it is not late now.
    expect(w.queue.isLate('c')).toBe(false);
    expect(w.queue.isLate('b')).toBe(false); // done: not in the queue
    w.sends.get('c')?.open();
    await w.queue.drained();
  });

  it('a send replaced while waiting forgets that it was told; stop ends the ticker', async () => {
    const w = world(1);
    w.add('a');
    w.add('b');
    await tick();
    w.advance(10_000);
    w.queue.checkLate();
    expect(w.told).toEqual(['a', 'b']);
    w.queue.enqueue({ key: 'ns/b', invitationId: 'b2', run: () => Promise.resolve() });
    w.advance(1);
    w.queue.checkLate();
    expect(w.told).toEqual(['a', 'b', 'b2']);
    w.queue.stop();
    w.sends.get('a')?.open();
    await w.queue.drained();
  });
});

describe('sendOutcomeArrived', () => {
  const KEY = Buffer.alloc(32, 7);
  const location = { namespace: 'tenant-acme', userName: 'jane', tenantName: 'acme' };
  const record = (delivery: DeliveryState, invitationId = 'inv-1'): SecretObject => secretFromRecord(location, pendingRecord({ delivery, invitationId }), KEY);

  it.each([
    ['preparing', 'sent', true],
    ['sending', 'sent', true],
    ['preparing', 'failed', true],
    ['sending', 'failed', true],
    ['preparing', 'sending', false],
    ['sent', 'sent', false],
    ['failed', 'preparing', false],
    ['sent', 'failed', false],
  ] as const)('%s → %s: %s', (before, after, expected) => {
    expect(sendOutcomeArrived(record(before), record(after))).toBe(expected);
  });

  it('is no outcome for a new record (an add, a relist), another invitation, or what is not a record', () => {
    expect(sendOutcomeArrived(undefined, record('sent'))).toBe(false);
    expect(sendOutcomeArrived(record('sending', 'inv-1'), record('sent', 'inv-2'))).toBe(false);
    expect(sendOutcomeArrived({ metadata: { name: 'x' } }, record('sent'))).toBe(false);
  });
});
