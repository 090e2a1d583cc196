/**
 * Slow deletes for npm run mutants' slow-delete pass (mutants/passes.ts): every unlink of a file
 * under a store's directory waits before it happens, as a delete does on object storage or a busy
 * disk, so that a collection's deletes last long enough for the pushes of
 * gc.race.push-during-deletes to land in them. It replaces node:fs/promises' unlink for this
 * process (mutants/store-fs.ts) and leaves every other file alone.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { storeFs } from './store-fs.ts';

/** How long each delete under a slowed store waits: about an object store's DELETE. */
export const SLOW_DELETE_MS = 20;

/** From now on, unlinks under `root` wait SLOW_DELETE_MS first. */
export const slowDeletes = storeFs('unlink', (unlink, under) => async (path) => {
  if (under(path)) await sleep(SLOW_DELETE_MS);
  return unlink(path);
});
