/**
 * A bounded in-memory map for the store's caches (manifest summaries, running upload hashes):
 * memory stays flat however many manifests or sessions the store sees, at the cost of recomputing
 * what was evicted. Each entry has a weight (1 by default; a manifest summary weighs as many
 * descriptors as it holds, so one manifest listing 25,000 layers counts as 25,000 small ones), and
 * the oldest entries (insertion order) go while the total exceeds the budget.
 */
export class BoundedMap<K, V> {
  readonly #entries = new Map<K, { value: V; weight: number }>();
  readonly #budget: number;
  readonly #weigh: (value: V) => number;
  #total = 0;

  constructor(budget: number, weigh: (value: V) => number = () => 1) {
    this.#budget = budget;
    this.#weigh = weigh;
  }

  get(key: K): V | undefined {
    return this.#entries.get(key)?.value;
  }

  set(key: K, value: V): void {
    this.delete(key);
    const weight = this.#weigh(value);
    if (weight > this.#budget) return; // too big to keep: recomputed when asked again
    this.#entries.set(key, { value, weight });
    this.#total += weight;
    for (const [oldest, entry] of this.#entries) {
      if (this.#total <= this.#budget) break;
      this.#entries.delete(oldest);
      this.#total -= entry.weight;
    }
  }

  delete(key: K): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    this.#total -= entry.weight;
  }

  get size(): number {
    return this.#entries.size;
  }
}
