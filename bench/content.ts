/**
 * The benchmark's blobs: deterministic content generated from a seed while it streams, never held
 * whole in memory. Blob `index` of size N is N − 16 bytes shared by every blob of that size (1 MiB
 * blocks of seeded pseudo-random bytes, each rotated by its block number) followed by 16 bytes
 * unique to the blob (a run nonce and the index). The SHA-256 state after the shared part is
 * computed once per size, so a blob's digest — needed before a monolithic push (spec "Pushing
 * blobs", end-4b and end-6 take `?digest=`) — costs 16 bytes of hashing, not N; the bytes that go
 * out are hashed again while they stream, so what was sent is what was claimed.
 */
import { createHash, type Hash } from 'node:crypto';

const BLOCK = 1024 * 1024;
const SUFFIX = 16;
/** Largest piece yielded to the socket at a time. */
export const PIECE = 256 * 1024;

export interface BlobRef {
  readonly index: number;
  readonly size: number;
  readonly digest: string;
}

/** mulberry32: a small seeded PRNG, enough for filler bytes (not cryptographic). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

export class BlobFactory {
  readonly seed: number;
  readonly #base: Buffer;
  readonly #nonce: Buffer;
  readonly #prefixes = new Map<number, Hash>();

  constructor(seed: number) {
    this.seed = seed;
    const next = prng(seed);
    const words = new Uint32Array(BLOCK / 4);
    for (let i = 0; i < words.length; i += 1) words[i] = next();
    this.#base = Buffer.from(words.buffer);
    this.#nonce = Buffer.alloc(8);
    this.#nonce.writeUInt32BE(next(), 0);
    this.#nonce.writeUInt32BE(next(), 4);
  }

  /** The blob `index` of `size` bytes, with its digest. */
  blob(index: number, size: number): BlobRef {
    const hash = this.#prefix(size).copy();
    hash.update(this.#suffix(index, size, size - Math.min(SUFFIX, size), size));
    return { index, size, digest: `sha256:${hash.digest('hex')}` };
  }

  /**
   * Bytes [start, end) of the blob, in fresh pieces of at most PIECE bytes (the socket may still
   * hold a piece after it was yielded, so none is reused); each piece goes through `hash` first.
   */
  *bytes(blob: BlobRef, start = 0, end = blob.size, hash?: Hash): Generator<Buffer> {
    for (let at = start; at < end; at += PIECE) {
      const piece = this.#range(blob, at, Math.min(end, at + PIECE));
      hash?.update(piece);
      yield piece;
    }
  }

  /** The SHA-256 state after the part every blob of `size` shares. */
  #prefix(size: number): Hash {
    let hash = this.#prefixes.get(size);
    if (hash === undefined) {
      hash = createHash('sha256');
      const shared = size - Math.min(SUFFIX, size);
      for (let at = 0; at < shared; at += BLOCK) hash.update(this.#filler(at, Math.min(shared, at + BLOCK)));
      this.#prefixes.set(size, hash);
    }
    return hash;
  }

  /** Bytes [start, end) of a blob: filler, then the blob's own suffix over its last 16 bytes. */
  #range(blob: BlobRef, start: number, end: number): Buffer {
    const shared = blob.size - Math.min(SUFFIX, blob.size);
    const piece = this.#filler(start, Math.min(end, shared));
    if (end <= shared) return piece;
    const from = Math.max(start, shared);
    return Buffer.concat([piece, this.#suffix(blob.index, blob.size, from, end)]);
  }

  /** Filler bytes [start, end): block k is the base block rotated by k × 4099 bytes. */
  #filler(start: number, end: number): Buffer {
    const out = Buffer.allocUnsafe(Math.max(0, end - start));
    for (let at = start; at < end;) {
      const block = Math.floor(at / BLOCK);
      const stop = Math.min(end, (block + 1) * BLOCK);
      let from = (at - block * BLOCK + block * 4099) % BLOCK;
      let written = at - start;
      let left = stop - at;
      while (left > 0) {
        const n = Math.min(left, BLOCK - from);
        this.#base.copy(out, written, from, from + n);
        written += n;
        left -= n;
        from = 0;
      }
      at = stop;
    }
    return out;
  }

  /** Bytes [start, end) (absolute positions within the last 16) of the blob's unique suffix. */
  #suffix(index: number, size: number, start: number, end: number): Buffer {
    const suffix = Buffer.alloc(SUFFIX);
    this.#nonce.copy(suffix, 0);
    suffix.writeUInt32BE(Math.floor(index / 2 ** 32), 8);
    suffix.writeUInt32BE(index >>> 0, 12);
    const offset = size - Math.min(SUFFIX, size);
    return suffix.subarray(SUFFIX - (size - offset) + (start - offset), SUFFIX - (size - offset) + (end - offset));
  }
}
