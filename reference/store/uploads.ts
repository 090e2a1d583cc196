/**
 * Blob upload sessions (spec "Pushing blobs": POST, PATCH, PUT, GET status, DELETE cancel) and the
 * single-request pushes (POST ?digest=, POST + PUT monolithic). A session lives in
 * <root>/_uploads/<id>/ — outside every blobs tree — as `data` plus `session.json`, which binds it
 * to one repository. Bytes are streamed to disk and hashed as the disk takes them (blob-writer.ts);
 * the running hash is kept in memory (bounded) and recomputed from the file after a restart, for
 * another algorithm, or when the hash was dropped.
 * A chunk whose length disagrees with what it declared is truncated away; a chunk cut off by the
 * client (or by the idle timeout) keeps the bytes that arrived, so the client can resume: either
 * way a session is always a prefix of what the client sent.
 */
import { lstat, mkdir, open, readFile, readdir, rm, stat, truncate, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { v4 as uuidv4, validate as isUuid } from 'uuid';
import type { DigestAlgorithm } from '../../spec/grammars.ts';
import { BlobWriter } from './blob-writer.ts';
import { BoundedMap } from './bounded.ts';
import { StoreError, isNotFound, isStoreError } from './errors.ts';
import { HashingCounter, digestFile, finishHash, isSupportedAlgorithm, parseDigest } from './digest.ts';
import { writeFileAtomic } from './fs-atomic.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import { validateName, type Layout } from './layout.ts';
import type { BlobStore } from './blobs.ts';

/** Where a chunk goes: `start`/`end` from Content-Range (inclusive), `length` from Content-Length. */
export interface ChunkRange {
  readonly start?: number;
  readonly end?: number;
  readonly length?: number;
}

interface SessionRecord {
  readonly name: string;
  readonly createdAt: string;
  readonly algorithm: DigestAlgorithm;
}

/** The hash of a session's data file, kept only while it covers exactly the bytes in that file. */
interface RunningHash {
  readonly algorithm: DigestAlgorithm;
  readonly hash: Hash;
}

export interface SessionFile {
  /** The entry's name in the uploads directory: a session id, or a stray temp file's name. */
  readonly id: string;
  readonly path: string;
  readonly mtimeMs: number;
}

/** The file whose mtime tells when an uploads entry was last written: a session's data, else the entry. */
function activityFile(id: string, path: string): string {
  return isUuid(id) ? join(path, 'data') : path;
}

/** Running hashes kept in memory at most; older sessions are rehashed from disk at PUT. */
const MAX_RUNNING_HASHES = 1024;

export class UploadStore {
  readonly #layout: Layout;
  readonly #blobs: BlobStore;
  readonly #locks = new KeyedMutex();
  readonly #hashes: BoundedMap<string, RunningHash>;

  /** Largest blob an upload may make (BLOB_TOO_LARGE past it). */
  readonly #maxBlobBytes: number;

  constructor(layout: Layout, blobs: BlobStore, maxBlobBytes = Infinity, runningHashes = MAX_RUNNING_HASHES) {
    this.#layout = layout;
    this.#blobs = blobs;
    this.#maxBlobBytes = maxBlobBytes;
    this.#hashes = new BoundedMap<string, RunningHash>(runningHashes);
  }

  /** Opens a session (POST); `algorithm` is the spec's `digest-algorithm` parameter. */
  async create(name: string, algorithm: string = 'sha256'): Promise<string> {
    validateName(name);
    if (!isSupportedAlgorithm(algorithm)) {
      throw new StoreError('DIGEST_UNSUPPORTED', `unsupported digest algorithm ${algorithm}`, { algorithm });
    }
    const id = uuidv4();
    const dir = join(this.#layout.uploadsDir, id);
    // Under the session's lock: GC never sees the directory half made and takes it for debris.
    await this.#locks.run(id, async () => {
      await mkdir(dir, { recursive: true });
      await (await open(join(dir, 'data'), 'wx')).close();
      const record: SessionRecord = { name, createdAt: new Date().toISOString(), algorithm };
      await writeFileAtomic(join(dir, 'session.json'), JSON.stringify(record));
    });
    return id;
  }

  /** Bytes received so far (GET status). */
  async size(name: string, id: string): Promise<number> {
    await this.#session(name, id);
    return this.#currentSize(id);
  }

  /** Appends a chunk (PATCH); with `start`, it must equal the current size (else out of order). */
  async append(name: string, id: string, body: Readable, range: ChunkRange): Promise<number> {
    return this.#locks.run(id, async () => {
      const session = await this.#session(name, id);
      return this.#append(id, session, body, range);
    });
  }

  /** Closes a session (PUT ?digest=), with an optional last chunk; the blob enters the repository. */
  async finish(name: string, id: string, digest: string, body?: Readable, range: ChunkRange = {}): Promise<number> {
    const expected = parseDigest(digest);
    return this.#locks.run(id, async () => {
      const session = await this.#session(name, id);
      const size = body ? await this.#append(id, session, body, range) : await this.#currentSize(id);
      const running = this.#hashes.get(id);
      const data = this.#layout.uploadData(id);
      const actual =
        running?.algorithm === expected.algorithm
          ? finishHash(running.algorithm, running.hash.copy())
          : await digestFile(data, expected.algorithm);
      if (actual !== digest) {
        // Like Distribution, a failed commit ends the session; the client starts over.
        await this.#remove(id);
        throw new StoreError('DIGEST_MISMATCH', `upload has digest ${actual}, not ${digest}`, { expected: digest, actual });
      }
      await syncFile(data);
      await this.#blobs.commit(name, expected, data);
      await this.#remove(id);
      return size;
    });
  }

  /** Cancels a session (DELETE on the upload URL). */
  async cancel(name: string, id: string): Promise<void> {
    await this.#locks.run(id, async () => {
      await this.#session(name, id);
      await this.#remove(id);
    });
  }

  /**
   * A whole blob in one request (POST ?digest=): streamed to a temp file, verified, committed. The
   * temp file's lock is held throughout, so expiry (which never waits) leaves it alone however old.
   */
  async putWhole(name: string, digest: string, body: Readable): Promise<number> {
    validateName(name);
    const expected = parseDigest(digest);
    const id = `.whole-${uuidv4()}`;
    const temp = join(this.#layout.uploadsDir, id);
    const counter = new HashingCounter(createHash(expected.algorithm), this.#maxBlobBytes);
    return this.#locks.run(id, async () => {
      try {
        await pipeline(body, counter, new BlobWriter(temp, 'wx'));
        const actual = finishHash(expected.algorithm, counter.hash as Hash);
        if (actual !== digest) {
          throw new StoreError('DIGEST_MISMATCH', `body has digest ${actual}, not ${digest}`, { expected: digest, actual });
        }
        await syncFile(temp);
        await this.#blobs.commit(name, expected, temp);
        return counter.bytes;
      } finally {
        await unlink(temp).catch(() => undefined);
      }
    });
  }

  /** Session directories and stray temp files, with the time of their last write, for GC. */
  async listFiles(): Promise<SessionFile[]> {
    let entries: string[];
    try {
      entries = await readdir(this.#layout.uploadsDir);
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
    const files: SessionFile[] = [];
    for (const entry of entries) {
      const path = join(this.#layout.uploadsDir, entry);
      try {
        files.push({ id: entry, path, mtimeMs: (await stat(activityFile(entry, path))).mtimeMs });
      } catch (error) {
        if (!isNotFound(error)) throw error;
        files.push({ id: entry, path, mtimeMs: 0 }); // a session without data is debris
      }
    }
    return files;
  }

  /**
   * Removes upload sessions and stray temp files idle since before `cutoffMs` (garbage collection,
   * and `serve`'s expiry of abandoned sessions); returns how many it removed.
   */
  async expireIdle(cutoffMs: number): Promise<number> {
    let removed = 0;
    for (const file of await this.listFiles()) {
      if (file.mtimeMs < cutoffMs && (await this.expire(file, cutoffMs))) removed += 1;
    }
    return removed;
  }

  /** Removes every stray temp file among the sessions (start-up: no write is in flight); returns how many. */
  async sweepTemporary(): Promise<number> {
    let removed = 0;
    for (const file of await this.listFiles()) {
      if (!isUuid(file.id) && (await this.expire(file, Infinity))) removed += 1;
    }
    return removed;
  }

  /**
   * Removes one session or temp file found by listFiles if it is still there and still idle.
   * Never waits: a session whose lock is held (a PATCH in progress, however stalled) is in use,
   * and is skipped.
   */
  async expire(file: SessionFile, olderThanMs: number): Promise<boolean> {
    return this.#locks.tryRun(
      file.id,
      async () => {
        if (!(await lstat(file.path).then(() => true, () => false))) return false; // finished or cancelled since it was listed
        const mtimeMs = await stat(activityFile(file.id, file.path)).then((s) => s.mtimeMs, () => 0);
        if (mtimeMs >= olderThanMs) return false; // written to since it was listed
        this.#hashes.delete(file.id);
        await rm(file.path, { recursive: true, force: true });
        return true;
      },
      false,
    );
  }

  async #append(id: string, session: SessionRecord, body: Readable, range: ChunkRange): Promise<number> {
    const data = this.#layout.uploadData(id);
    const size = await this.#currentSize(id);
    if (range.start !== undefined && range.start !== size) {
      body.resume();
      throw new StoreError('UPLOAD_OUT_OF_ORDER', `chunk starts at ${range.start}, upload has ${size} bytes`, { size });
    }
    const declared =
      range.start !== undefined && range.end !== undefined ? range.end - range.start + 1 : range.length;
    if (declared !== undefined && (declared < 0 || (range.length !== undefined && range.length !== declared))) {
      body.resume();
      throw new StoreError('UPLOAD_INVALID', 'Content-Range and Content-Length disagree', { range });
    }
    if (declared !== undefined && size + declared > this.#maxBlobBytes) {
      body.resume();
      throw new StoreError('BLOB_TOO_LARGE', `a chunk of ${declared} bytes would make the blob larger than ${this.#maxBlobBytes} bytes`, { limit: this.#maxBlobBytes });
    }
    // The running hash leaves the cache for the time of the write; the chunk is hashed into a copy
    // of it, as the disk takes the bytes, and whichever covers exactly the bytes in the file goes
    // back. A failure this code does not foresee leaves no hash, and the file is hashed again at
    // PUT: the cache stays an optimisation, never the record of which bytes were hashed.
    const running = this.#takeHash(id, session, size);
    const advanced = running && { algorithm: running.algorithm, hash: running.hash.copy() };
    const writer = new BlobWriter(data, 'a', advanced?.hash);
    const counter = new HashingCounter(undefined, this.#maxBlobBytes - size);
    try {
      await pipeline(body, counter, writer);
    } catch (error) {
      await writer.settled;
      if (isStoreError(error, 'BLOB_TOO_LARGE')) return this.#rollBack(id, size, running, error);
      // Cut off (the client went away, or stalled past the idle timeout): the bytes that reached
      // the disk stay, so the client can ask for the session's Range and resume from there.
      this.#keepHash(id, advanced);
      throw error;
    }
    if (declared !== undefined && writer.written !== declared) {
      return this.#rollBack(id, size, running, new StoreError('UPLOAD_INVALID', `chunk declared ${declared} bytes, carried ${writer.written}`, { declared }));
    }
    this.#keepHash(id, advanced);
    return size + writer.written;
  }

  /**
   * Takes the session's running hash out of the cache; an empty session gets a fresh one. Undefined
   * when the cache lost it (a restart, too many sessions): the file is hashed at PUT.
   */
  #takeHash(id: string, session: SessionRecord, size: number): RunningHash | undefined {
    const running = this.#hashes.get(id);
    this.#hashes.delete(id);
    if (size === 0) return { algorithm: session.algorithm, hash: createHash(session.algorithm) };
    return running;
  }

  #keepHash(id: string, running: RunningHash | undefined): void {
    if (running) this.#hashes.set(id, running);
  }

  /** Truncates the session back to `size` bytes, where `running` is its hash again, and throws `error`. */
  async #rollBack(id: string, size: number, running: RunningHash | undefined, error: StoreError): Promise<never> {
    await truncate(this.#layout.uploadData(id), size);
    this.#keepHash(id, running);
    throw error;
  }

  async #session(name: string, id: string): Promise<SessionRecord> {
    validateName(name);
    const unknown = new StoreError('UPLOAD_UNKNOWN', `upload ${id} unknown to repository ${name}`, { id });
    if (!isUuid(id)) throw unknown;
    let record: SessionRecord;
    try {
      record = JSON.parse(await readFile(join(this.#layout.uploadsDir, id, 'session.json'), 'utf8')) as SessionRecord;
    } catch (error) {
      if (isNotFound(error)) throw unknown;
      throw error;
    }
    if (record.name !== name) throw unknown;
    return record;
  }

  async #currentSize(id: string): Promise<number> {
    try {
      return (await stat(this.#layout.uploadData(id))).size;
    } catch (error) {
      if (isNotFound(error)) throw new StoreError('UPLOAD_UNKNOWN', `upload ${id} is gone`, { id });
      throw error;
    }
  }

  async #remove(id: string): Promise<void> {
    this.#hashes.delete(id);
    await rm(join(this.#layout.uploadsDir, id), { recursive: true, force: true });
  }
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
