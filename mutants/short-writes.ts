/**
 * Short writes for npm run mutants' short-write pass (mutants/passes.ts): every writev to a file
 * under a store's directory writes at most half of what it is given (at least one byte), as POSIX
 * allows a write to do and as a disk near full, a file size limit or a network file system does.
 * A writer must go on with the rest and must count, and hash, only what was written
 * (reference/store/blob-writer.ts). It replaces node:fs/promises' open for this process
 * (mutants/store-fs.ts) so that the handles it opens under a shortened store write short; every
 * other file is left alone.
 */
import type { FileHandle } from 'node:fs/promises';
import { storeFs } from './store-fs.ts';

/** The first half of the bytes of `buffers` (at least one byte when there is any). */
export function firstHalf(buffers: readonly NodeJS.ArrayBufferView[]): Buffer[] {
  let left = Math.max(1, Math.floor(buffers.reduce((sum, buffer) => sum + buffer.byteLength, 0) / 2));
  const taken: Buffer[] = [];
  for (const view of buffers) {
    if (left === 0) break;
    const buffer = Buffer.from(view.buffer, view.byteOffset, view.byteLength);
    taken.push(buffer.subarray(0, left));
    left -= Math.min(left, buffer.length);
  }
  return taken;
}

/** From now on, writevs to files opened under `root` write at most half of their buffers. */
export const shortWrites = storeFs('open', (open, under) => async (...args: Parameters<typeof open>): Promise<FileHandle> => {
  const handle = await open(...args);
  if (under(args[0])) {
    const writev = handle.writev.bind(handle);
    handle.writev = ((buffers: NodeJS.ArrayBufferView[], position?: number) => writev(firstHalf(buffers), position)) as typeof handle.writev;
  }
  return handle;
});
