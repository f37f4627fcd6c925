import { describe, expect, it } from 'vitest';
import { nextTurn, Slicer } from './slicing.js';

describe('nextTurn', () => {
  it('resumes one waiter per turn of the event loop, oldest first, so that sliced work of several callers never shares a turn', async () => {
    const order: string[] = [];
    let turn = 0;
    let counting = true;
    const count = (): void => {
      turn++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    const worker = async (name: string): Promise<void> => {
      for (let i = 0; i < 3; i++) {
        await nextTurn();
        order.push(`${name}${i}@${turn}`);
      }
    };
    await Promise.all([worker('a'), worker('b')]);
    counting = false;
    const turns = order.map((step) => Number(step.split('@')[1]));
    expect(order.map((step) => step.split('@')[0])).toEqual(['a0', 'b0', 'a1', 'b1', 'a2', 'b2']);
    // Every resumption in a turn of its own.
    expect(new Set(turns).size).toBe(turns.length);
  });
});

describe('Slicer', () => {
  it('is due at once with 0 ms, not before its time otherwise, and counts the turns it gave back', async () => {
    const eager = new Slicer(0);
    expect(eager.due).toBe(true);
    await eager.next();
    expect(eager.yields).toBe(1);
    const patient = new Slicer(60_000);
    expect(patient.due).toBe(false);
  });
});
