/**
 * Crash-safe file writes: write a temp file in the target's directory, fsync it, rename it over
 * the target, fsync the directory. A reader sees the old file or the new one, never a torn one,
 * even after SIGKILL or a full disk (zot's early code wrote index.json in place: docs/deviations.md#zots-early-storage-code).
 */
import { link, open, rename, unlink } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { randomUUID } from 'node:crypto';

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temp = await writeTemp(path, data);
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dirname(path));
}

/**
 * Creates `path` with `data` only if it does not exist, atomically: the complete temp file is
 * hard-linked into place, which fails when another writer got there first. Returns false then.
 */
export async function createFileExclusive(path: string, data: string | Uint8Array): Promise<boolean> {
  const temp = await writeTemp(path, data);
  try {
    await link(temp, path);
    await syncDirectory(dirname(path));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

async function writeTemp(path: string, data: string | Uint8Array): Promise<string> {
  const temp = join(dirname(path), `.${basename(path)}.${randomUUID()}${TEMP_SUFFIX}`);
  await writeFileDurable(temp, data);
  return temp;
}

/** Temporary files of atomic writes end with this; a kill can leave them behind (sweepers look for it). */
export const TEMP_SUFFIX = '.tmp';

/** Creates `path` (which must not exist) with `data`, flushed to disk before it returns. */
export async function writeFileDurable(path: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(path, 'wx', 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(path).catch(() => undefined);
    throw error;
  }
  await handle.close();
}

/** Makes a rename or unlink in `dir` durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
