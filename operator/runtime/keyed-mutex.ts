// One at a time per key: what must not interleave (deciding whether a tenant may send one more
// invitation email and recording that it did) is serialised by this, not by a controller
// happening to run one worker.

/** Runs functions one at a time per key, in the order they asked; different keys run side by side. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `fn` once every earlier `run` of `key` has settled; resolves or rejects as `fn` does. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release: () => void = () => undefined;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** How many keys have a run holding or waiting (for tests). */
  get size(): number {
    return this.tails.size;
  }
}
