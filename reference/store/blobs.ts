/**
 * Blobs of one repository, stored content-addressed under its layout's blobs/<alg>/<hex>
 * (spec "Pulling blobs", "Cross-repository blob mount"). Files enter only by rename of a complete,
 * verified temp file, so a reader never sees a partial blob; a mount hard-links the source's file.
 * Every commit or mount refreshes the file's mtime: garbage collection's grace period counts from
 * the moment a client last gave the blob to this repository (docs/gc.md#grace-period).
 */
import { createReadStream, type ReadStream } from 'node:fs';
import { copyFile, link, mkdir, readdir, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { DIGEST_ALGORITHMS } from '../../spec/grammars.ts';
import { StoreError, isNotFound, isStoreError } from './errors.ts';
import { TEMP_SUFFIX } from './fs-atomic.ts';
import { parseDigest, type ParsedDigest } from './digest.ts';
import type { KeyedMutex } from './keyed-mutex.ts';
import type { Layout } from './layout.ts';

const READ_CHUNK_BYTES = 1024 * 1024;

export interface BlobInfo {
  readonly digest: string;
  readonly size: number;
  readonly path: string;
}

export interface StoredBlob extends BlobInfo {
  readonly mtimeMs: number;
}

export class BlobStore {
  readonly #layout: Layout;
  readonly #repoLocks: KeyedMutex;

  /** `repoLocks` serializes blob arrivals with garbage collection of the same repository. */
  constructor(layout: Layout, repoLocks: KeyedMutex) {
    this.#layout = layout;
    this.#repoLocks = repoLocks;
  }

  /** Size and path of a blob; BLOB_UNKNOWN when this repository does not hold it. */
  async stat(name: string, digest: string): Promise<BlobInfo> {
    const parsed = parseDigest(digest);
    const path = this.#layout.blobPath(name, parsed);
    try {
      const info = await stat(path);
      if (info.isFile()) return { digest, size: info.size, path };
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    throw new StoreError('BLOB_UNKNOWN', `blob ${digest} unknown to repository ${name}`, { digest });
  }

  async has(name: string, digest: string): Promise<boolean> {
    try {
      await this.stat(name, digest);
      return true;
    } catch (error) {
      if (isStoreError(error, 'BLOB_UNKNOWN')) return false;
      throw error;
    }
  }

  /**
   * A stream of the blob's bytes, `start`..`end` inclusive when given (spec: Range on GET), read
   * 1 MiB at a time: with the default 64 KiB a download costs sixteen times the system calls.
   */
  open(blob: BlobInfo, range?: { start: number; end: number }): ReadStream {
    return createReadStream(blob.path, { highWaterMark: READ_CHUNK_BYTES, ...(range ? { start: range.start, end: range.end } : {}) });
  }

  /** Moves a verified temp file into the repository as `digest`. */
  async commit(name: string, digest: ParsedDigest, tempPath: string): Promise<void> {
    const path = this.#layout.blobPath(name, digest);
    await this.#repoLocks.run(name, async () => {
      await this.#layout.ensureRepo(name);
      await mkdir(dirname(path), { recursive: true });
      await touch(tempPath); // fresh when it becomes visible: GC's grace period covers it
      await rename(tempPath, path);
    });
  }

  /** Stores small content (a manifest) as a blob, atomically. Callers hold the repository lock. */
  async write(name: string, digest: ParsedDigest, content: Uint8Array): Promise<void> {
    const path = this.#layout.blobPath(name, digest);
    await mkdir(dirname(path), { recursive: true });
    const temp = join(this.#layout.repoDir(name), `.manifest-${randomUUID()}${TEMP_SUFFIX}`); // swept only under the repository's lock, which the caller holds
    await writeFile(temp, content, { flush: true });
    await rename(temp, path);
  }

  /**
   * Makes `digest` from repository `from` available in `to` (hard link, copy across devices).
   * Returns false when `from` does not hold the blob.
   */
  async mount(from: string, to: string, digest: string): Promise<boolean> {
    const parsed = parseDigest(digest);
    let source: BlobInfo;
    try {
      source = await this.stat(from, digest);
    } catch (error) {
      if (isStoreError(error, 'BLOB_UNKNOWN')) return false;
      throw error;
    }
    const target = this.#layout.blobPath(to, parsed);
    return this.#repoLocks.run(to, async () => {
      await this.#layout.ensureRepo(to);
      await mkdir(dirname(target), { recursive: true });
      try {
        await touch(source.path); // the link shares the inode: fresh when it becomes visible
        await link(source.path, target);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return false; // collected between stat and link
        if (code === 'EEXIST') {
          await touch(target);
        } else if (code === 'EXDEV' || code === 'EPERM') {
          const temp = join(this.#layout.uploadsDir, `.mount-${randomUUID()}`);
          await copyFile(source.path, temp);
          await rename(temp, target);
        } else {
          throw error;
        }
      }
      return true;
    });
  }

  /** Removes a blob found by stat(); BLOB_UNKNOWN when it went since. Callers check references first. */
  async remove(name: string, blob: BlobInfo): Promise<void> {
    try {
      await unlink(blob.path);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      throw new StoreError('BLOB_UNKNOWN', `blob ${blob.digest} unknown to repository ${name}`, { digest: blob.digest });
    }
  }

  /** Every blob file of the repository, for garbage collection and scrub. */
  async list(name: string): Promise<StoredBlob[]> {
    const blobsDir = join(this.#layout.repoDir(name), 'blobs');
    const found: StoredBlob[] = [];
    for (const algorithm of Object.keys(DIGEST_ALGORITHMS)) {
      let entries: string[];
      try {
        entries = await readdir(join(blobsDir, algorithm));
      } catch (error) {
        if (isNotFound(error)) continue;
        throw error;
      }
      for (const encoded of entries) {
        const path = join(blobsDir, algorithm, encoded);
        try {
          const info = await stat(path);
          if (info.isFile()) found.push({ digest: `${algorithm}:${encoded}`, size: info.size, path, mtimeMs: info.mtimeMs });
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
      }
    }
    return found;
  }
}

async function touch(path: string): Promise<void> {
  const now = new Date();
  await utimes(path, now, now);
}
