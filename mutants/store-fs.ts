/**
 * The disk a pass's registry runs on (mutants/slow-deletes.ts, mutants/short-writes.ts): one
 * function of node:fs/promises replaced for this process, once, by a wrapper that changes what it
 * does only for files under the store directories registered with it. The reference registry
 * imports these functions by name; syncBuiltinESMExports updates those imports.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';

const require = createRequire(import.meta.url);

type FsPromises = typeof import('node:fs/promises');

/**
 * Returns the function that registers a store directory: on the first registration `name` is
 * replaced by `wrap(the original, under)`, where `under(path)` says whether a path lies under a
 * registered store.
 */
export function storeFs<K extends 'unlink' | 'open'>(name: K, wrap: (original: FsPromises[K], under: (path: unknown) => boolean) => FsPromises[K]): (root: string) => void {
  const roots = new Set<string>();
  const under = (path: unknown): boolean => {
    const file = String(path);
    return [...roots].some((dir) => file.startsWith(`${dir}/`));
  };
  return (root) => {
    if (roots.size === 0) {
      const fs = require('node:fs/promises') as FsPromises;
      fs[name] = wrap(fs[name], under);
      syncBuiltinESMExports();
    }
    roots.add(root);
  };
}
