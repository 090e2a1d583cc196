/**
 * GET/HEAD/DELETE /v2/<name>/blobs/<digest> (spec end-2, end-10, "Pulling blobs"): the blob with
 * Content-Length and Docker-Content-Digest, one byte range on request (206, or 416 with
 * Content-Range: bytes *\/size), streamed from disk.
 */
import { pipeline } from 'node:stream/promises';
import { HttpError } from './errors.ts';
import { sendEmpty } from './respond.ts';
import type { Context } from './context.ts';

export async function getBlob(ctx: Context): Promise<void> {
  const { store } = ctx.config;
  const blob = await store.statBlob(ctx.name, ctx.ref);
  const range = parseRange(ctx.req.headers.range, blob.size);
  if (range === 'unsatisfiable') {
    throw new HttpError('RANGE_NOT_SATISFIABLE', `range ${ctx.req.headers.range} outside a blob of ${blob.size} bytes`, { size: blob.size }, { 'Content-Range': `bytes */${blob.size}` });
  }
  const length = range ? range.end - range.start + 1 : blob.size;
  ctx.res.writeHead(range ? 206 : 200, {
    'Content-Type': 'application/octet-stream',
    'Content-Length': length,
    'Docker-Content-Digest': blob.digest,
    'Accept-Ranges': 'bytes',
    ETag: `"${blob.digest}"`,
    ...(range ? { 'Content-Range': `bytes ${range.start}-${range.end}/${blob.size}` } : {}),
  });
  if (ctx.req.method === 'HEAD' || length === 0) {
    ctx.res.end();
    return;
  }
  await pipeline(store.blobs.open(blob, range), ctx.res);
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
