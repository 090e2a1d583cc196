/**
 * Blob uploads (spec "Pushing blobs"): POST /v2/<name>/blobs/uploads/ opens a session (end-4a),
 * pushes a whole blob with ?digest= (end-4b, 201), mounts with ?mount=&from= (end-11: 201, or 202
 * with a session when the source lacks the blob); PATCH appends a chunk with Content-Range (end-5,
 * 416 out of order) or streams a body without one (what skopeo and podman send, docs/clients.md);
 * PUT ?digest= closes the session, possibly with a last chunk (end-6); GET reports progress
 * (end-13); DELETE cancels (end-14).
 */
import type { IncomingMessage } from 'node:http';
import { CONTENT_RANGE_PATTERN } from '../../spec/grammars.ts';
import { isStoreError } from '../store/errors.ts';
import type { ChunkRange } from '../store/uploads.ts';
import { HttpError } from './errors.ts';
import { sendEmpty } from './respond.ts';
import type { Context } from './context.ts';

function sessionHeaders(ctx: Context, id: string, size: number): Record<string, string> {
  return {
    Location: `/v2/${ctx.name}/blobs/uploads/${id}`,
    // "Range: 0-<end-of-range>"; an empty session reports 0-0, as Distribution does.
    Range: `0-${Math.max(0, size - 1)}`,
    'Docker-Upload-UUID': id,
  };
}

function blobCreated(ctx: Context, digest: string): void {
  sendEmpty(ctx.res, 201, { Location: `/v2/${ctx.name}/blobs/${digest}`, 'Docker-Content-Digest': digest });
}

export async function startUpload(ctx: Context): Promise<void> {
  const { store, autoMount } = ctx.config;
  const query = ctx.url.searchParams;
  const mount = query.get('mount');
  const from = query.get('from');
  if (mount !== null && (from !== null || autoMount)) {
    if (await store.mountBlob(ctx.name, mount, from ?? undefined)) {
      blobCreated(ctx, mount);
      return;
    }
  }
  const digest = query.get('digest');
  if (digest !== null && mount === null) {
    await streaming(ctx, () => store.uploads.putWhole(ctx.name, digest, ctx.req));
    blobCreated(ctx, digest);
    return;
  }
  const id = await store.uploads.create(ctx.name, query.get('digest-algorithm') ?? undefined);
  sendEmpty(ctx.res, 202, sessionHeaders(ctx, id, 0));
}

export async function getUpload(ctx: Context): Promise<void> {
  const size = await ctx.config.store.uploads.size(ctx.name, ctx.ref);
  sendEmpty(ctx.res, 204, sessionHeaders(ctx, ctx.ref, size));
}

export async function patchUpload(ctx: Context): Promise<void> {
  const size = await streaming(ctx, () => withProgressOnError(ctx, () => ctx.config.store.uploads.append(ctx.name, ctx.ref, ctx.req, chunkRange(ctx.req))));
  sendEmpty(ctx.res, 202, sessionHeaders(ctx, ctx.ref, size));
}

export async function putUpload(ctx: Context): Promise<void> {
  const digest = ctx.url.searchParams.get('digest');
  if (digest === null) throw new HttpError('DIGEST_MISSING', 'closing an upload needs ?digest=<digest of the whole blob>');
  const body = hasBody(ctx.req) ? ctx.req : undefined;
  const range = body ? chunkRange(ctx.req) : {};
  const finish = (): Promise<number> => withProgressOnError(ctx, () => ctx.config.store.uploads.finish(ctx.name, ctx.ref, digest, body, range));
  await (body ? streaming(ctx, finish) : finish());
  blobCreated(ctx, digest);
}

export async function cancelUpload(ctx: Context): Promise<void> {
  await ctx.config.store.uploads.cancel(ctx.name, ctx.ref);
  sendEmpty(ctx.res, 204);
}

/** A request that streams blob bytes holds one of the registry's upload slots while it does (429 when none is free). */
async function streaming<T>(ctx: Context, step: () => Promise<T>): Promise<T> {
  const release = ctx.config.limits.upload();
  try {
    return await step();
  } finally {
    release();
  }
}

/** On 416 the client needs to know where to resume: Location and Range of the session. */
async function withProgressOnError<T>(ctx: Context, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (isStoreError(error, 'UPLOAD_OUT_OF_ORDER')) {
      const size = (error.detail as { size: number }).size;
      throw new HttpError('UPLOAD_OUT_OF_ORDER', error.message, error.detail, sessionHeaders(ctx, ctx.ref, size));
    }
    throw error;
  }
}

function chunkRange(req: IncomingMessage): ChunkRange {
  const lengthHeader = req.headers['content-length'];
  const length = lengthHeader === undefined ? undefined : Number(lengthHeader);
  const header = req.headers['content-range'];
  if (header === undefined) return { length };
  const match = CONTENT_RANGE_PATTERN.exec(header.trim());
  if (!match) throw new HttpError('CONTENT_RANGE_INVALID', `Content-Range ${JSON.stringify(header)} is not <start>-<end>`);
  const start = Number(match[1]);
  const end = Number(match[2]);
  if (end < start) throw new HttpError('CONTENT_RANGE_INVALID', `Content-Range ${header} ends before it starts`);
  return { start, end, length };
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && Number(length) > 0);
}
