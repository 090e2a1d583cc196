/**
 * One async mutex per key (a repository name or an upload id). Read-modify-write of index.json
 * runs under its repository's key, so concurrent tag updates never lose one another (zot's early
 * code declared a mutex and never used it: docs/deviations.md#zots-early-storage-code). Streaming a blob never takes a repository
 * key, so a large upload never blocks manifest pushes.
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(key: string, critical: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.#tails.set(key, tail);
    await previous;
    try {
      return await critical();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  /**
   * Runs `critical` only if nobody holds or waits for `key`; otherwise returns `busy` at once.
   * Garbage collection uses it so that it never waits on a client: an upload session whose lock
   * a stalled PATCH holds is in use, not idle.
   */
  async tryRun<T, B>(key: string, critical: () => Promise<T>, busy: B): Promise<T | B> {
    if (this.#tails.has(key)) return busy;
    return this.run(key, critical);
  }

  /** Number of keys with a holder or waiters; lets tests see that nothing leaks. */
  get size(): number {
    return this.#tails.size;
  }
}
