/**
 * GET/HEAD/DELETE /v2/<name>/blobs/<digest> (spec end-2, end-10, "Pulling blobs"): the blob with
 * Content-Length and Docker-Content-Digest, one byte range on request (206, or 416 with
 * Content-Range: bytes *\/size), streamed from disk.
 */
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HttpError } from './errors.ts';
import { sendEmpty } from './respond.ts';
import type { Context } from './context.ts';

export async function getBlob(ctx: Context): Promise<void> {
  const { store, faults } = ctx.config;
  const blob = await store.statBlob(ctx.name, ctx.ref);
  const headers = {
    'Content-Type': 'application/octet-stream',
    'Docker-Content-Digest': faults.has('blob-digest-header-wrong') ? alteredDigest(blob.digest) : blob.digest,
    'Accept-Ranges': 'bytes',
    ETag: `"${blob.digest}"`,
  };
  let range = parseRange(ctx.req.headers.range, blob.size);
  if (range === 'unsatisfiable') {
    throw new HttpError('RANGE_NOT_SATISFIABLE', `range ${ctx.req.headers.range} outside a blob of ${blob.size} bytes`, { size: blob.size }, { 'Content-Range': `bytes */${blob.size}` });
  }
  const status = range ? 206 : 200;
  if (range && faults.has('range-off-by-one')) range = { start: Math.min(range.start + 1, range.end), end: range.end };
  if (!range && faults.has('blob-body-truncated') && blob.size > 0) range = { start: 0, end: blob.size - 2 };
  const length = range ? range.end - range.start + 1 : blob.size;
  ctx.res.writeHead(status, {
    ...headers,
    'Content-Length': length,
    ...(status === 206 && range ? { 'Content-Range': `bytes ${range.start}-${range.end}/${blob.size}` } : {}),
  });
  if (ctx.req.method === 'HEAD' || length <= 0) {
    ctx.res.end();
    return;
  }
  const source = store.blobs.open(blob, range);
  if (faults.has('blob-body-corrupted')) {
    await pipeline(source, flipFirstByte(), ctx.res);
    return;
  }
  await pipeline(source, ctx.res);
}

/** The fault blob-digest-header-wrong: the last hex digit changed. */
function alteredDigest(digest: string): string {
  return `${digest.slice(0, -1)}${digest.endsWith('0') ? '1' : '0'}`;
}

/** The fault blob-body-corrupted: the first byte of the body inverted. */
function flipFirstByte(): Transform {
  let first = true;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (first && chunk.length > 0) {
        first = false;
        const copy = Buffer.from(chunk);
        copy[0] = (copy[0] ?? 0) ^ 0xff;
        callback(null, copy);
        return;
      }
      callback(null, chunk);
    },
  });
}

export async function deleteBlob(ctx: Context): Promise<void> {
  if (!ctx.config.deletes.blobs) throw new HttpError('DELETE_DISABLED', 'blob deletion is disabled on this registry');
  await ctx.config.store.deleteBlob(ctx.name, ctx.ref);
  sendEmpty(ctx.res, 202);
}

/**
 * One `bytes=` range (RFC 9110 §14.1.2): `a-b`, `a-` or `-n`. A header this registry does not
 * understand (several ranges, another unit) is ignored and the whole blob served, as RFC allows.
 */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const match = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const [first, last] = [match[1] ?? '', match[2] ?? ''];
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size) return 'unsatisfiable';
  if (end < start) return undefined;
  return { start, end };
}
