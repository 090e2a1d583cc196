/**
 * GET/HEAD/PUT/DELETE /v2/<name>/manifests/<reference> (spec end-3, end-7, end-7b, end-9).
 * Manifests are stored byte-exact and served with the Content-Type they were pushed with,
 * Docker-Content-Digest and Content-Length. PUT reads at most 4 MiB (413 above), answers
 * OCI-Subject when the manifest has a subject and one OCI-Tag per ?tag= parameter.
 */
import type { IncomingMessage } from 'node:http';
import { MANIFEST_MAX_BYTES } from '../../spec/media-types.ts';
import type { PutManifestResult, StoredManifest } from '../store/manifests.ts';
import { HttpError } from './errors.ts';
import { sendEmpty } from './respond.ts';
import type { Context } from './context.ts';

export async function getManifest(ctx: Context): Promise<void> {
  const { store } = ctx.config;
  const found: StoredManifest & { body?: Buffer } =
    ctx.req.method === 'HEAD' ? await store.manifests.resolve(ctx.name, ctx.ref) : await store.manifests.get(ctx.name, ctx.ref);
  ctx.res.writeHead(200, {
    'Content-Type': found.mediaType,
    'Content-Length': found.size,
    'Docker-Content-Digest': found.digest,
    ETag: `"${found.digest}"`,
  });
  ctx.res.end(found.body);
}

export async function putManifest(ctx: Context): Promise<void> {
  const length = Number(ctx.req.headers['content-length'] ?? MANIFEST_MAX_BYTES);
  const declared = Number.isSafeInteger(length) && length >= 0 ? length : MANIFEST_MAX_BYTES;
  if (declared > MANIFEST_MAX_BYTES) {
    ctx.req.resume();
    throw tooLarge(MANIFEST_MAX_BYTES);
  }
  // The body is held whole to be validated: it counts against the registry's manifest memory.
  const release = ctx.config.limits.manifest(declared);
  let result: PutManifestResult;
  try {
    const body = await readLimited(ctx.req, MANIFEST_MAX_BYTES);
    result = await ctx.config.store.manifests.put(ctx.name, ctx.ref, ctx.req.headers['content-type'], body, extraTagsOf(ctx));
  } finally {
    release();
  }
  const extraTags = extraTagsOf(ctx);
  const headers: Record<string, string | string[]> = {
    Location: `/v2/${ctx.name}/manifests/${result.digest}`,
    'Docker-Content-Digest': result.digest,
  };
  if (result.subject !== undefined) headers['OCI-Subject'] = result.subject;
  if (extraTags.length > 0) headers['OCI-Tag'] = [...result.tags];
  sendEmpty(ctx.res, 201, headers);
}

export async function deleteManifest(ctx: Context): Promise<void> {
  const { deletes } = ctx.config;
  const byDigest = ctx.ref.includes(':'); // a digest always has one, a tag never
  if (byDigest ? !deletes.manifests : !deletes.tags) {
    throw new HttpError('DELETE_DISABLED', byDigest ? 'manifest deletion is disabled on this registry' : 'tag deletion is disabled on this registry');
  }
  await ctx.config.store.manifests.delete(ctx.name, ctx.ref);
  sendEmpty(ctx.res, 202);
}

function extraTagsOf(ctx: Context): string[] {
  return ctx.url.searchParams.getAll('tag');
}

function tooLarge(limit: number): HttpError {
  return new HttpError('MANIFEST_TOO_LARGE', `manifest exceeds ${limit} bytes`, { limit }, { Connection: 'close' });
}

/**
 * Reads a request body of at most `limit` bytes; MANIFEST_TOO_LARGE (413) past it. The rest of an
 * oversized body is drained, not buffered, and the connection closed after the answer.
 */
function readLimited(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    req.on('data', (chunk: Buffer) => {
      if (total > limit) return; // draining an oversized body
      total += chunk.length;
      if (total <= limit) {
        chunks.push(chunk);
        return;
      }
      chunks.length = 0;
      reject(tooLarge(limit));
    });
    req.on('end', () => {
      if (total <= limit) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}
