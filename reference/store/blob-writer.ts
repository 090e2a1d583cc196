/**
 * The write stream blob bytes go to disk through (upload sessions, single-request pushes). It
 * feeds its hash only with bytes the disk has taken, after each write returns, so the hash and the
 * file never disagree: not when the client goes away with bytes still queued (the queue is
 * dropped, the write in flight completes first), not on a short write. `written` is then exactly
 * the bytes this stream put in the file, and an upload session resumed after a cut-off goes on
 * from a hash that covers its file (spec "Pushing a blob in chunks": the client resumes from the
 * session's Range). It buffers up to 1 MiB while a write is in flight, so the socket's 64 KiB
 * chunks reach the disk as one writev of many: far fewer system calls than one write per chunk.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { Hash } from 'node:crypto';
import { Writable } from 'node:stream';

export class BlobWriter extends Writable {
  /** Bytes this stream has put in the file (a short write counts what it wrote). */
  written = 0;
  /** Settles once the file is closed, after the last write, however the stream ended. */
  readonly settled: Promise<void>;
  readonly #path: string;
  readonly #flags: 'wx' | 'a';
  readonly #hash: Hash | undefined;
  #handle: FileHandle | undefined;
  #inFlight: Promise<void> = Promise.resolve();
  #markSettled: () => void = () => undefined;

  constructor(path: string, flags: 'wx' | 'a', hash?: Hash) {
    super({ highWaterMark: 1024 * 1024 });
    this.#path = path;
    this.#flags = flags;
    this.#hash = hash;
    this.settled = new Promise((resolve) => {
      this.#markSettled = resolve;
    });
  }

  override _construct(callback: (error?: Error | null) => void): void {
    open(this.#path, this.#flags).then((handle) => {
      this.#handle = handle;
      callback();
    }, callback);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#start([chunk], callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.#start(chunks.map(({ chunk }) => chunk), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#close().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // A write may be in flight: it completes (and is hashed) before the file closes.
    this.#inFlight.then(() => this.#close()).then(() => callback(error), (closeError: Error) => callback(error ?? closeError));
  }

  #start(buffers: Buffer[], callback: (error?: Error | null) => void): void {
    this.#inFlight = this.#writeAll(buffers).then(() => callback(), (error: Error) => callback(error));
  }

  /** Writes every buffer, going on after a short write; hashes each byte once it is written. */
  async #writeAll(buffers: Buffer[]): Promise<void> {
    const handle = this.#handle as FileHandle;
    let pending = buffers;
    while (pending.length > 0) {
      const { bytesWritten } = await handle.writev(pending);
      if (bytesWritten === 0) throw new Error(`no byte of ${this.#path} could be written`);
      this.written += bytesWritten;
      pending = this.#hashed(pending, bytesWritten);
    }
  }

  /** Hashes the first `bytes` bytes of `buffers`; returns what is left of them. */
  #hashed(buffers: Buffer[], bytes: number): Buffer[] {
    let left = bytes;
    for (const [i, buffer] of buffers.entries()) {
      if (left < buffer.length) {
        this.#hash?.update(buffer.subarray(0, left));
        return [buffer.subarray(left), ...buffers.slice(i + 1)];
      }
      this.#hash?.update(buffer);
      left -= buffer.length;
    }
    return [];
  }

  async #close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    try {
      await handle?.close();
    } finally {
      this.#markSettled();
    }
  }
}
