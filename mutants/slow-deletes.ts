/**
 * Slow deletes for npm run mutants' slow-delete pass (mutants/passes.ts): every unlink of a file
 * under a store's directory waits before it happens, as a delete does on object storage or a busy
 * disk, so that a collection's deletes last long enough for the pushes of
 * gc.race.push-during-deletes to land in them. It replaces node:fs/promises' unlink for this
 * process (the reference registry imports it by name; syncBuiltinESMExports updates those
 * imports), and leaves every other file alone.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';

const require = createRequire(import.meta.url);

/** How long each delete under a slowed store waits: about an object store's DELETE. */
export const SLOW_DELETE_MS = 20;

const slowed = new Set<string>();

/** From now on, unlinks under `root` wait SLOW_DELETE_MS first. */
export function slowDeletes(root: string): void {
  const fs = require('node:fs/promises') as typeof import('node:fs/promises');
  if (slowed.size === 0) {
    const unlink = fs.unlink;
    fs.unlink = async (path) => {
      const file = String(path);
      if ([...slowed].some((dir) => file.startsWith(`${dir}/`))) await sleep(SLOW_DELETE_MS);
      return unlink(path);
    };
    syncBuiltinESMExports();
  }
  slowed.add(root);
}
