// Long work cut into slices of main-thread time, so that no single task grows with the size of the
// cluster (issue 24: event-loop lag ≤ 20 ms while converging). A slice ends when it has used its
// time ({@link Slicer}); the work goes on in a later turn of the event loop ({@link nextTurn}).

/** Work waiting for its next turn, oldest first. */
const waiting: (() => void)[] = [];
let scheduled = false;

function resumeOne(): void {
  const resolve = waiting.shift();
  if (waiting.length > 0) setImmediate(resumeOne);
  else scheduled = false;
  resolve?.();
}

/**
 * Resolves in a later turn of the event loop, after the I/O and timers then due. Work of every
 * caller takes turns, one waiter resumed per turn: several lists sliced at once (one per informer)
 * then add one slice to a turn, not one slice each, which a timer (the lag probe, prom-client's
 * event-loop delay) would see as one long task.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (!scheduled) {
      scheduled = true;
      setImmediate(resumeOne);
    }
  });
}

/**
 * Says when a slice of work has used its time: {@link due} is true once `sliceMs` have passed since
 * the slice began (its creation or the last {@link next}). Used as
 * `for (…) { work(); if (slicer.due) await slicer.next(); }`.
 */
export class Slicer {
  private readonly sliceMs: number;
  private started = performance.now();
  /** Turns of the event loop given back so far (tests and benchmarks). */
  yields = 0;

  /** `sliceMs`: main-thread time per slice; 0 gives the loop a turn after every step. */
  constructor(sliceMs: number) {
    this.sliceMs = sliceMs;
  }

  /** True once this slice has used its time: then `await next()`. */
  get due(): boolean {
    return performance.now() - this.started >= this.sliceMs;
  }

  /** Gives the event loop a turn and starts the next slice. */
  async next(): Promise<void> {
    await nextTurn();
    this.yields++;
    this.started = performance.now();
  }
}

/** Main-thread time of a slice where nothing else says: well under the 20-ms lag target, with room for GC and I/O in the same turn. */
export const DEFAULT_SLICE_MS = 4;
