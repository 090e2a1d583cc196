/**
 * Blob upload sessions (spec "Pushing blobs": POST, PATCH, PUT, GET status, DELETE cancel) and the
 * single-request pushes (POST ?digest=, POST + PUT monolithic). A session lives in
 * <root>/uploads/<id>/ — outside every blobs tree — as `data` plus `session.json`, which binds it
 * to one repository. Bytes are streamed to disk and hashed while streaming; the running hash is
 * kept in memory (bounded) and recomputed from the file after a restart or for another algorithm.
 * A chunk whose length disagrees with what it declared is truncated away; a chunk cut off by the
 * client (or by the idle timeout) keeps the bytes that arrived, so the client can resume: either
 * way a session is always a prefix of what the client sent.
 */
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, open, readFile, readdir, rm, stat, truncate, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { v4 as uuidv4, validate as isUuid } from 'uuid';
import type { DigestAlgorithm } from '../../spec/grammars.ts';
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

interface RunningHash {
  readonly algorithm: DigestAlgorithm;
  hash: Hash;
  offset: number;
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

/**
 * A write stream for blob bytes that buffers up to 1 MiB while a write is in flight, so the
 * socket's 64 KiB chunks reach the disk as one writev of many: a push costs far fewer system calls
 * than with the default 16 KiB (which allows one chunk at a time), at 1 MiB of memory per upload.
 */
function blobWriter(path: string, flags: 'wx' | 'a'): ReturnType<typeof createWriteStream> {
  return createWriteStream(path, { flags, highWaterMark: 1024 * 1024 });
}

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
        running && running.algorithm === expected.algorithm && running.offset === size
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
        await pipeline(body, counter, blobWriter(temp, 'wx'));
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
    // The chunk is hashed into a copy of the running hash, which replaces it only once the bytes
    // it covers are known to be on disk: the cache stays an optimisation (a miss re-reads the
    // file), never the one record of which bytes were hashed.
    const running = this.#hashAt(id, session, size);
    const hash = running?.hash.copy();
    const counter = new HashingCounter(hash, this.#maxBlobBytes - size);
    const advance = (offset: number): void => {
      if (running && hash) this.#remember(id, { algorithm: running.algorithm, hash, offset });
    };
    try {
      await pipeline(body, counter, blobWriter(data, 'a'));
    } catch (error) {
      if (isStoreError(error, 'BLOB_TOO_LARGE')) {
        await truncate(data, size);
        throw error;
      }
      // Cut off (the client went away, or stalled past the idle timeout): the bytes that reached
      // the disk stay, so the client can ask for the session's Range and resume from there. The
      // new hash is kept only if it covers exactly those bytes.
      const kept = (await stat(data)).size;
      if (kept === size + counter.bytes) advance(kept);
      throw error;
    }
    if (declared !== undefined && counter.bytes !== declared) {
      await truncate(data, size);
      throw new StoreError('UPLOAD_INVALID', `chunk declared ${declared} bytes, carried ${counter.bytes}`, { declared });
    }
    advance(size + counter.bytes);
    return size + counter.bytes;
  }

  /** The running hash if it covers exactly the first `size` bytes; starts one for an empty session. */
  #hashAt(id: string, session: SessionRecord, size: number): RunningHash | undefined {
    const running = this.#hashes.get(id);
    if (running && running.offset === size) return running;
    this.#hashes.delete(id);
    if (size !== 0) return undefined;
    const fresh = { algorithm: session.algorithm, hash: createHash(session.algorithm), offset: 0 };
    this.#remember(id, fresh);
    return fresh;
  }

  #remember(id: string, running: RunningHash): void {
    this.#hashes.set(id, running);
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
