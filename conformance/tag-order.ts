/**
 * The orders a tag list may be in. The spec says "lexical order (i.e. case-insensitive
 * alphanumeric order)" (end-8a), which registries read as byte (code-point) order — Go's
 * sort.Strings, as Distribution, zot and the reference do — or as case-insensitive order, folded
 * one way or the other (the spec does not say how to fold; `_` lies between the capitals and the
 * small letters). A list sorted in any of them passes; ties of a fold may come in either order.
 */
export interface TagOrder {
  readonly name: string;
  readonly compare: (a: string, b: string) => number;
}

export function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export const TAG_ORDERS: readonly TagOrder[] = [
  { name: 'byte order (code points, as Go\'s sort.Strings)', compare: compareCodePoints },
  { name: 'case-insensitive order', compare: (a, b) => compareCodePoints(a.toLowerCase(), b.toLowerCase()) },
  { name: 'case-insensitive order (folded to capitals)', compare: (a, b) => compareCodePoints(a.toUpperCase(), b.toUpperCase()) },
];

export function isSorted(tags: readonly string[], compare: TagOrder['compare']): boolean {
  return tags.every((tag, i) => i === 0 || compare(tags[i - 1] as string, tag) <= 0);
}

/** The orders `tags` follows; empty when it follows none. */
export function ordersOf(tags: readonly string[]): TagOrder[] {
  return TAG_ORDERS.filter((order) => isSorted(tags, order.compare));
}
