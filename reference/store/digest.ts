/**
 * Digests: parsing with the spec grammar (spec/grammars.ts), the supported algorithms (sha256
 * MUST, sha512 MAY), and hashing while streaming so a blob is never held in memory.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DIGEST_ALGORITHMS, DIGEST_PATTERN, type DigestAlgorithm } from '../../spec/grammars.ts';
import { StoreError } from './errors.ts';

export interface ParsedDigest {
  readonly digest: string;
  readonly algorithm: DigestAlgorithm;
  readonly encoded: string;
}

export function isSupportedAlgorithm(algorithm: string): algorithm is DigestAlgorithm {
  return Object.hasOwn(DIGEST_ALGORITHMS, algorithm);
}

/** Parses a digest; malformed → DIGEST_INVALID, well-formed but unknown algorithm → DIGEST_UNSUPPORTED. */
export function parseDigest(digest: string): ParsedDigest {
  if (!DIGEST_PATTERN.test(digest)) {
    throw new StoreError('DIGEST_INVALID', `malformed digest ${JSON.stringify(digest)}`, { digest });
  }
  const colon = digest.indexOf(':');
  const algorithm = digest.slice(0, colon);
  const encoded = digest.slice(colon + 1);
  if (!isSupportedAlgorithm(algorithm)) {
    throw new StoreError('DIGEST_UNSUPPORTED', `unsupported digest algorithm ${algorithm}`, { digest });
  }
  if (!DIGEST_ALGORITHMS[algorithm].encoded.test(encoded)) {
    throw new StoreError('DIGEST_INVALID', `invalid ${algorithm} digest ${JSON.stringify(digest)}`, { digest });
  }
  return { digest, algorithm, encoded };
}

export function digestOf(algorithm: DigestAlgorithm, data: Uint8Array): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

export function finishHash(algorithm: DigestAlgorithm, hash: Hash): string {
  return `${algorithm}:${hash.digest('hex')}`;
}

/**
 * A pass-through stream that feeds every chunk to a hash and counts bytes; past `limit` bytes it
 * fails with BLOB_TOO_LARGE instead of passing the chunk on.
 */
export class HashingCounter extends Transform {
  bytes = 0;
  readonly hash: Hash | undefined;
  readonly #limit: number;

  constructor(hash: Hash | undefined, limit = Infinity) {
    super();
    this.hash = hash;
    this.#limit = limit;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.bytes + chunk.length > this.#limit) {
      callback(new StoreError('BLOB_TOO_LARGE', `the blob would pass this registry's maximum blob size`, { limit: this.#limit }));
      return;
    }
    this.bytes += chunk.length;
    this.hash?.update(chunk);
    callback(null, chunk);
  }
}

/** Digest of a file, read as a stream. */
export async function digestFile(path: string, algorithm: DigestAlgorithm): Promise<string> {
  const hash = createHash(algorithm);
  await pipeline(createReadStream(path), new HashingCounter(hash), async function* (source) {
    for await (const _chunk of source) {
      // drained: the hash saw every byte
    }
  });
  return finishHash(algorithm, hash);
}
