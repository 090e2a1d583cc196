/** Preparation shared by workloads (the pull pool, the tagged image): made once per registry and key. */
import type { Target } from './types.ts';

const cache = new WeakMap<Target, Map<string, Promise<unknown>>>();

export function memo<T>(target: Target, key: string, make: () => Promise<T>): Promise<T> {
  let made = cache.get(target);
  if (made === undefined) cache.set(target, (made = new Map()));
  let value = made.get(key) as Promise<T> | undefined;
  if (value === undefined) {
    value = make();
    made.set(key, value);
  }
  return value;
}
