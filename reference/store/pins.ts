/**
 * Digests a write in progress is about to reference, per repository. A manifest push checks that
 * its config and layers exist without holding the repository's lock (a manifest may list tens of
 * thousands of them), so it pins them first, and garbage collection claims each blob before it
 * deletes it: a pinned blob cannot be claimed, and a push that pins a blob already claimed learns
 * that it is going. Both steps are synchronous, so there is no instant at which a push has checked
 * a blob that GC is free to delete.
 */
export interface Hold {
  /** Digests that garbage collection had already claimed when they were pinned: they are going. */
  readonly claimed: readonly string[];
  release(): void;
}

export class Pins {
  readonly #held = new Map<string, Map<string, number>>();
  readonly #claimed = new Map<string, Set<string>>();

  /** Pins `digests` in repository `name` until the hold is released. */
  hold(name: string, digests: Iterable<string>): Hold {
    const counts = this.#held.get(name) ?? new Map<string, number>();
    this.#held.set(name, counts);
    const mine = [...new Set(digests)];
    for (const digest of mine) counts.set(digest, (counts.get(digest) ?? 0) + 1);
    const claimed = this.#claimed.get(name);
    let released = false;
    return {
      claimed: claimed ? mine.filter((digest) => claimed.has(digest)) : [],
      release: () => {
        if (released) return;
        released = true;
        for (const digest of mine) {
          const left = (counts.get(digest) ?? 1) - 1;
          if (left > 0) counts.set(digest, left);
          else counts.delete(digest);
        }
        if (counts.size === 0 && this.#held.get(name) === counts) this.#held.delete(name);
      },
    };
  }

  /** The digests pinned in repository `name` now. */
  of(name: string): string[] {
    return [...(this.#held.get(name)?.keys() ?? [])];
  }

  /** Garbage collection, before deleting `digest`: false when a write pins it (keep it). */
  claim(name: string, digest: string): boolean {
    if (this.#held.get(name)?.has(digest)) return false;
    const claimed = this.#claimed.get(name) ?? new Set<string>();
    this.#claimed.set(name, claimed);
    claimed.add(digest);
    return true;
  }

  /** Garbage collection of `name` is over: what it claimed is gone or kept for good. */
  settle(name: string): void {
    this.#claimed.delete(name);
  }
}
