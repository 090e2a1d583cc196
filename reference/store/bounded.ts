/**
 * Bounded in-memory maps for the store's caches (manifest summaries, running upload hashes): memory
 * stays flat however many manifests or sessions the store sees, at the cost of recomputing what
 * was evicted.
 */

/** Sets `key`, then evicts the oldest entry (insertion order) while the map holds more than `max`. */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.set(key, value);
  while (map.size > max) {
    const oldest = map.keys().next();
    if (oldest.done === true) return;
    map.delete(oldest.value);
  }
}
