import { describe, expect, it } from 'vitest';
import { ManualClock } from '../runtime/clock.js';
import { GuessLimiter } from './guess-limiter.js';

type Step = [client: string, expected: boolean | number] | ['wait', number];

/** A table of steps: a client's request (allowed, or the Retry-After of the 429) or time passing. */
const cases: { name: string; perClient: { burst: number; refillPerSecond: number }; global: { burst: number; refillPerSecond: number }; steps: Step[] }[] = [
  {
    name: 'a client runs out of its own bucket; another is not affected',
    perClient: { burst: 2, refillPerSecond: 0.5 },
    global: { burst: 100, refillPerSecond: 1 },
    steps: [['a', true], ['a', true], ['a', 2], ['b', true], ['b', true], ['b', 2], ['wait', 2_000], ['a', true], ['a', 2]],
  },
  {
    name: 'many clients together run out of the global bucket; it refills at its own rate',
    perClient: { burst: 5, refillPerSecond: 1 },
    global: { burst: 3, refillPerSecond: 0.5 },
    steps: [['a', true], ['b', true], ['c', true], ['d', 2], ['a', 2], ['wait', 2_000], ['d', true], ['e', 2]],
  },
  {
    name: 'a refused client does not drain the global bucket',
    perClient: { burst: 1, refillPerSecond: 0.1 },
    global: { burst: 2, refillPerSecond: 0 },
    steps: [['a', true], ['a', 10], ['a', 10], ['a', 10], ['b', true], ['c', 3600]],
  },
  {
    name: 'a refusal by the global bucket does not cost the client',
    perClient: { burst: 1, refillPerSecond: 0 },
    global: { burst: 1, refillPerSecond: 1 },
    steps: [['a', true], ['b', 1], ['wait', 1_000], ['b', true]],
  },
];

describe('GuessLimiter', () => {
  it.each(cases)('$name', async ({ perClient, global, steps }) => {
    const clock = new ManualClock();
    const limiter = new GuessLimiter({ clock, perClient, global });
    for (const [i, [who, expected]] of steps.entries()) {
      if (who === 'wait') {
        await clock.advance(expected as number);
        continue;
      }
      const decision = limiter.take(who);
      expect({ step: i, decision }).toEqual({ step: i, decision: expected === true ? { allowed: true } : { allowed: false, retryAfterSeconds: expected } });
    }
  });

  it('keeps at most maxClients client buckets', () => {
    const limiter = new GuessLimiter({ clock: new ManualClock(), perClient: { maxClients: 10 }, global: { burst: 1_000 } });
    for (let i = 0; i < 100; i++) limiter.take(`192.0.2.${i}`);
    expect(limiter.size).toBe(10);
  });
});
