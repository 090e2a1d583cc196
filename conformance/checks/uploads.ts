/**
 * Blob uploads (spec "Pushing blobs", end-4a/4b/4c, end-5, end-6, end-13, end-14): POST opens a
 * session (202 + Location, whose query the client keeps); monolithic POST+PUT and single POST
 * ?digest=; chunked PATCHes with Content-Range, each answered 202 with Location and
 * `Range: 0-<end>`, out of order → 416 (whose Range, if any, is the same `0-<end>`), the last chunk possibly in the PUT; the streamed PATCH real
 * clients send (non-normative, also with Transfer-Encoding: chunked); upload status; cancel; the
 * PUT's digest verified (400 DIGEST_INVALID, 400 without one); finished sessions are unknown
 * (404 BLOB_UPLOAD_UNKNOWN); the empty blob; sha512 blobs (served once accepted, and under their
 * own digest rather than a sha256 alias) and `?digest-algorithm=sha512`.
 */
import { randomUUID } from 'node:crypto';
import { ensure, expectCodeIfJson, expectDigestHeaderIfPresent, expectStatus } from '../client/expect.ts';
import type { Reply } from '../client/registry-client.ts';
import { OCTET, expectRange, locationOf, openUpload, patchChunk, pieces, putClose, putWhole, releaseUpload, sendChunk, type Session } from '../client/protocol.ts';
import { content, randomBlob, type Content } from '../content.ts';
import { EMPTY_BLOB_SHA256 } from '../../spec/grammars.ts';
import { expectLocationServes, expectServed } from './blobs.ts';
import type { CheckContext } from './context.ts';
import { defineChecks } from './types.ts';

/** Chunks are at least this big, or OCI-Chunk-Min-Length when the registry asks for more. */
const DEFAULT_CHUNK = 1024;
/** A registry asking for chunks larger than this is not tested chunk by chunk (memory, time). */
const MAX_CHUNK = 16 * 1024 * 1024;


function chunkSize(ctx: CheckContext, session: Session): number {
  if (session.minChunk > MAX_CHUNK) ctx.skip(`the registry asks for chunks of at least ${session.minChunk} bytes (OCI-Chunk-Min-Length)`);
  return Math.max(DEFAULT_CHUNK, session.minChunk);
}

/** PUT <session>?digest= (optionally with a last chunk): 201 with Location; the blob is then served. */
/** An upload holding its first chunk, and the answer to its third chunk sent next (the second skipped). */
async function outOfOrderChunk(ctx: CheckContext): Promise<{ url: string; size: number; reply: Reply }> {
  const session = await openUpload(ctx.client, ctx.repo());
  const size = chunkSize(ctx, session);
  const blob = randomBlob(3 * size);
  const url = await patchChunk(ctx.client, session.url, blob.bytes.subarray(0, size), 0, 'first chunk');
  return { url, size, reply: await sendChunk(ctx.client, url, blob.bytes.subarray(2 * size), 2 * size) };
}

async function close(ctx: CheckContext, repo: string, url: string, blob: Content, what: string, last?: { bytes: Buffer; start: number }): Promise<Reply> {
  const reply = await putClose(ctx.client, url, blob.digest, last);
  expectStatus(reply, [201], `${what}: PUT ?digest=${blob.digest}`);
  await expectCreated(ctx, repo, reply, blob, what);
  return reply;
}

/** A 201 for a blob: Location serving it, a truthful digest header if any, and the blob in `repo`. */
async function expectCreated(ctx: CheckContext, repo: string, reply: Reply, blob: Content, what: string): Promise<void> {
  expectDigestHeaderIfPresent(reply, blob.bytes, `${what}: 201`);
  await expectLocationServes(ctx, reply, blob, what);
  await expectServed(ctx, repo, blob, what);
}

/** A fresh sha512 blob pushed monolithically: 201, or the check is skipped when the registry refuses sha512 (a MAY). */
async function pushSha512(ctx: CheckContext): Promise<{ repo: string; blob: Content; reply: Reply }> {
  const repo = ctx.repo();
  // Larger than one 64 KiB read: a registry that hashes the session's file again for a digest of
  // another algorithm than the session's (the reference does) must read all of it.
  const blob = content(randomBlob(200 * 1024).bytes, 'application/octet-stream', 'sha512');
  const session = await openUpload(ctx.client, repo);
  const reply = await putWhole(ctx.client, session.url, blob.bytes, blob.digest);
  if (reply.status >= 400 && reply.status < 500) {
    await releaseUpload(ctx.client, session.url);
    ctx.skip(`the registry does not accept sha512 blobs (PUT ?digest=sha512:… answered ${reply.status})`);
  }
  expectStatus(reply, [201], `PUT ?digest=${blob.digest.slice(0, 20)}…`);
  return { repo, blob, reply };
}

export default defineChecks([
  {
    id: 'blobs.upload.post-session',
    title: 'POST …/blobs/uploads/ opens a session: 202 with a Location unique to it',
    spec: '§Pushing a blob monolithically, POST then PUT (end-4a)',
    level: 'MUST',
    async run(ctx) {
      const repo = ctx.repo();
      const first = await openUpload(ctx.client, repo);
      const second = await openUpload(ctx.client, repo);
      ensure(first.url !== second.url, `two POSTs got the same upload Location ${first.url}: a session must be unique`);
      await releaseUpload(ctx.client, first.url);
      await releaseUpload(ctx.client, second.url);
    },
  },
  {
    id: 'blobs.upload.monolithic',
    title: 'POST then PUT with the whole blob answers 201 with Location; the blob is then served',
    spec: '§Pushing a blob monolithically, POST then PUT (end-4a, end-6)',
    level: 'MUST',
    async run(ctx) {
      const repo = ctx.repo();
      const blob = randomBlob(2048);
      const session = await openUpload(ctx.client, repo);
      const reply = await putWhole(ctx.client, session.url, blob.bytes, blob.digest);
      expectStatus(reply, [201], `PUT ?digest=${blob.digest} with the whole blob`);
      await expectCreated(ctx, repo, reply, blob, 'monolithic');
    },
  },
  {
    id: 'blobs.upload.single-post',
    title: 'A single POST ?digest= with the blob answers 201 (202 = not supported)',
    spec: '§Pushing a blob monolithically, single POST (end-4b)',
    level: 'MAY',
    async run(ctx) {
      const repo = ctx.repo();
      const blob = randomBlob(1500);
      const reply = await ctx.request('POST', `/v2/${repo}/blobs/uploads/?digest=${blob.digest}`, {
        body: blob.bytes,
        headers: { ...OCTET, 'Content-Length': String(blob.size) },
      });
      if (reply.status === 202) {
        const location = reply.header('location');
        if (location) await releaseUpload(ctx.client, ctx.client.resolve(location));
        ctx.skip('the registry does not support single-POST uploads (answered 202: the spec\'s fallback to POST then PUT)');
      }
      expectStatus(reply, [201], `POST ?digest=${blob.digest} with the blob`);
      await expectCreated(ctx, repo, reply, blob, 'single POST');
    },
  },
  {
    id: 'blobs.upload.chunked',
    title: 'Chunked PATCHes with Content-Range each answer 202 with Location and Range: 0-<end>; PUT closes',
    spec: '§Pushing a blob in chunks (end-5, end-6)',
    level: 'MUST',
    async run(ctx) {
      const repo = ctx.repo();
      const session = await openUpload(ctx.client, repo);
      const size = chunkSize(ctx, session);
      const blob = randomBlob(2 * size + 100);
      let url = session.url;
      for (let start = 0, n = 1; start < blob.size; start += size, n += 1) {
        url = await patchChunk(ctx.client, url, blob.bytes.subarray(start, start + size), start, `chunk ${n}`);
      }
      await close(ctx, repo, url, blob, 'chunked');
    },
  },
  {
    id: 'blobs.upload.chunked-last-in-put',
    title: 'The last chunk may travel in the closing PUT',
    spec: '§Pushing a blob in chunks (end-6: "The final chunk MAY be uploaded … in the closing PUT")',
    level: 'MUST',
    async run(ctx) {
      const repo = ctx.repo();
      const session = await openUpload(ctx.client, repo);
      const size = chunkSize(ctx, session);
      const blob = randomBlob(size + 300);
      const url = await patchChunk(ctx.client, session.url, blob.bytes.subarray(0, size), 0, 'first chunk');
      await close(ctx, repo, url, blob, 'last chunk in PUT', { bytes: blob.bytes.subarray(size), start: size });
    },
  },
  {
    id: 'blobs.upload.chunked-out-of-order',
    title: 'A chunk that does not start where the upload ends answers 416',
    spec: '§Pushing a blob in chunks (end-5: "If a chunk is uploaded out of order, the registry MUST respond with a 416")',
    level: 'MUST',
    async run(ctx) {
      const { url, size, reply } = await outOfOrderChunk(ctx);
      expectStatus(reply, [416], `PATCH Content-Range ${2 * size}-${3 * size - 1} after 0-${size - 1} (chunk 2 skipped)`);
      await releaseUpload(ctx.client, url);
    },
  },
  {
    id: 'blobs.upload.out-of-order-range',
    title: 'The 416 for an out-of-order chunk, when it carries Range, names what the upload holds: 0-<end>',
    spec: '§Pushing a blob in chunks (end-5, end-13: an upload\'s progress is "Range: 0-<end-of-range>"; a client resumes from it after the 416)',
    level: 'SHOULD',
    async run(ctx) {
      const { url, size, reply } = await outOfOrderChunk(ctx);
      if (reply.status !== 416) {
        await releaseUpload(ctx.client, url);
        return ctx.skip(`the out-of-order chunk answered ${reply.status}, not 416: no 416 to judge (blobs.upload.chunked-out-of-order judges the status)`);
      }
      if (reply.header('range') === undefined) ctx.skip('the 416 carries no Range header (the client asks GET <location> for the progress)');
      expectRange(reply, size, 'the 416 for an out-of-order chunk');
      await releaseUpload(ctx.client, url);
    },
  },
  {
    id: 'blobs.upload.streamed',
    title: 'A PATCH with the whole blob and no Content-Range (what skopeo and podman send) answers 202',
    spec: '§Pushing blobs (streamed PATCH: not defined by the spec; every major registry and the official suite support it)',
    level: 'SHOULD',
    nonNormative: true,
    async run(ctx) {
      const repo = ctx.repo();
      const blob = randomBlob(3000);
      const session = await openUpload(ctx.client, repo);
      const reply = await ctx.request('PATCH', session.url, { body: blob.bytes, headers: { ...OCTET, 'Content-Length': String(blob.size) } });
      expectStatus(reply, [202], 'streamed PATCH with Content-Length');
      await close(ctx, repo, locationOf(ctx.client, reply, 'streamed PATCH'), blob, 'streamed');
    },
  },
  {
    id: 'blobs.upload.streamed-chunked-encoding',
    title: 'A streamed PATCH with Transfer-Encoding: chunked (length unknown) answers 202',
    spec: '§Pushing blobs (streamed PATCH without Content-Length, as skopeo sends when the size is unknown)',
    level: 'SHOULD',
    nonNormative: true,
    async run(ctx) {
      const repo = ctx.repo();
      const blob = randomBlob(5000);
      const session = await openUpload(ctx.client, repo);
      const reply = await ctx.request('PATCH', session.url, { body: pieces(blob.bytes, 1024), headers: OCTET });
      expectStatus(reply, [202], 'streamed PATCH with Transfer-Encoding: chunked');
      await close(ctx, repo, locationOf(ctx.client, reply, 'streamed PATCH'), blob, 'streamed (chunked encoding)');
    },
  },
  {
    id: 'blobs.upload.status',
    title: 'GET on the session answers 204 with Location and Range, by the Location of the PATCH or the POST',
    spec: '§Pushing a blob in chunks (end-13: "<location> … obtained from any preceding POST or PATCH request")',
    level: 'MUST',
    async run(ctx) {
      const repo = ctx.repo();
      const session = await openUpload(ctx.client, repo);
      const size = chunkSize(ctx, session);
      const blob = randomBlob(size + 10);
      const latest = await patchChunk(ctx.client, session.url, blob.bytes.subarray(0, size), 0, 'first chunk');
      for (const [which, url] of [['PATCH', latest], ['POST', session.url]] as const) {
        const reply = await ctx.request('GET', url);
        expectStatus(reply, [204], `GET upload status by the Location of the ${which}`);
        locationOf(ctx.client, reply, `GET upload status by the Location of the ${which}`);
        expectRange(reply, size, `GET upload status by the Location of the ${which}`);
      }
      await releaseUpload(ctx.client, latest);
    },
  },
  {
    id: 'blobs.upload.cancel',
    title: 'DELETE on the session cancels it: 204, then the session is 404 BLOB_UPLOAD_UNKNOWN',
    spec: '§Cancel a blob upload (end-14)',
    level: 'SHOULD',
    since: 'main',
    async run(ctx) {
      const repo = ctx.repo();
      const session = await openUpload(ctx.client, repo);
      const size = chunkSize(ctx, session);
      const url = await patchChunk(ctx.client, session.url, randomBlob(size).bytes, 0, 'first chunk');
      expectStatus(await ctx.request('DELETE', url, { headers: { 'Content-Length': '0' } }), [204], 'DELETE the upload session');
      const reply = await ctx.request('GET', url);
      expectStatus(reply, [404], 'GET status of a cancelled session');
      expectCodeIfJson(reply, ['BLOB_UPLOAD_UNKNOWN'], 'GET status of a cancelled session');
    },
  },
  {
    id: 'blobs.upload.cancel-honoured',
    title: 'A DELETE of a session answered with success really ends it: no more chunks, no blob',
    spec: '§Cancel a blob upload (end-14, main; Docker Registry API v2 before it); RFC 9110 §9.3.5 (a successful DELETE removes the resource)',
    level: 'SHOULD',
    async run(ctx) {
      const repo = ctx.repo();
      const session = await openUpload(ctx.client, repo);
      const size = chunkSize(ctx, session);
      const blob = randomBlob(2 * size);
      const url = await patchChunk(ctx.client, session.url, blob.bytes.subarray(0, size), 0, 'first chunk');
      const cancel = await ctx.request('DELETE', url, { headers: { 'Content-Length': '0' } });
      if (cancel.status >= 400 && cancel.status < 500) ctx.skip(`the registry does not cancel upload sessions (DELETE answered ${cancel.status})`);
      expectStatus(cancel, [200, 202, 204], 'DELETE the upload session');
      const rest = blob.bytes.subarray(size);
      const patch = await sendChunk(ctx.client, url, rest, size);
      ensure(patch.status === 404, `DELETE answered ${cancel.status}, but the session still ${patch.status < 300 ? `accepts data (PATCH → ${patch.status})` : `answers PATCH with ${patch.status}`}: expected 404`, patch);
      const close = await putClose(ctx.client, url, blob.digest);
      expectStatus(close, [404], 'PUT ?digest= to the cancelled session');
      expectStatus(await ctx.request('GET', `/v2/${repo}/blobs/${blob.digest}`), [404], 'GET of the blob a cancelled session never finished');
    },
  },
  {
    id: 'blobs.upload.digest-mismatch',
    title: 'A PUT whose digest does not match the content answers 400 DIGEST_INVALID and stores nothing',
    spec: '§Pushing a blob monolithically (end-6), §Error Codes (code-4 DIGEST_INVALID)',
    level: 'MUST',
    async run(ctx) {
      const repo = ctx.repo();
      const blob = randomBlob(512);
      const wrong = randomBlob(512);
      const session = await openUpload(ctx.client, repo);
      const reply = await putWhole(ctx.client, session.url, blob.bytes, wrong.digest);
      expectStatus(reply, [400], `PUT ?digest=<digest of other content> with the blob`);
      expectCodeIfJson(reply, ['DIGEST_INVALID'], 'PUT with a mismatched digest');
      expectStatus(await ctx.request('GET', `/v2/${repo}/blobs/${wrong.digest}`), [404], 'GET of the digest a rejected PUT named');
    },
  },
  {
    id: 'blobs.upload.put-without-digest',
    title: 'A PUT closing a session without ?digest= answers 400',
    spec: '§Pushing a blob in chunks (end-6: "The closing PUT request MUST include the <digest>")',
    level: 'MUST',
    async run(ctx) {
      const repo = ctx.repo();
      const blob = randomBlob(512);
      const session = await openUpload(ctx.client, repo);
      const reply = await ctx.request('PUT', session.url, { body: blob.bytes, headers: { ...OCTET, 'Content-Length': String(blob.size) } });
      expectStatus(reply, [400], 'PUT without ?digest=');
      await releaseUpload(ctx.client, session.url);
    },
  },
  {
    id: 'blobs.upload.unknown-session',
    title: 'A finished or made-up upload session is unknown: 404 BLOB_UPLOAD_UNKNOWN',
    spec: '§Pushing blobs (end-5, end-6, end-13: 404), §Error Codes (code-3 BLOB_UPLOAD_UNKNOWN)',
    level: 'MUST',
    async run(ctx) {
      const repo = ctx.repo();
      const blob = randomBlob(256);
      const session = await openUpload(ctx.client, repo);
      expectStatus(await putWhole(ctx.client, session.url, blob.bytes, blob.digest), [201], 'setup: close the session');
      const chunk = randomBlob(16).bytes;
      const status = await ctx.request('GET', session.url);
      expectStatus(status, [404], 'GET status of a session already closed by PUT');
      expectCodeIfJson(status, ['BLOB_UPLOAD_UNKNOWN'], 'GET status of a closed session');
      const patch = await sendChunk(ctx.client, session.url, chunk, 0);
      expectStatus(patch, [404], 'PATCH to a session already closed by PUT');
      expectCodeIfJson(patch, ['BLOB_UPLOAD_UNKNOWN'], 'PATCH to a closed session');
      // A URL the registry never issued: 404 (or 400, since clients must not build session URLs).
      const madeUp = await sendChunk(ctx.client, `/v2/${repo}/blobs/uploads/${randomUUID()}`, chunk, 0);
      expectStatus(madeUp, [404, 400], 'PATCH to a made-up upload session');
      expectCodeIfJson(madeUp, ['BLOB_UPLOAD_UNKNOWN', 'BLOB_UPLOAD_INVALID'], 'PATCH to a made-up upload session');
    },
  },
  {
    id: 'blobs.upload.empty-blob',
    title: 'The empty blob (sha256:e3b0…) uploads and is served with Content-Length 0',
    spec: '§Pushing a blob monolithically (end-6), §Pulling blobs (end-2)',
    level: 'MUST',
    async run(ctx) {
      const repo = ctx.repo();
      const blob = content(Buffer.alloc(0));
      ensure(blob.digest === EMPTY_BLOB_SHA256, `harness: empty blob digest ${blob.digest}`);
      const session = await openUpload(ctx.client, repo);
      const reply = await ctx.request('PUT', ctx.withDigest(session.url, blob.digest), { headers: { ...OCTET, 'Content-Length': '0' } });
      expectStatus(reply, [201], 'PUT ?digest=<empty blob> with no body');
      const served = await expectServed(ctx, repo, blob, 'empty blob');
      const length = served.header('content-length');
      ensure(length === undefined || length === '0', `GET of the empty blob: Content-Length ${length}`, served);
    },
  },
  {
    id: 'blobs.upload.sha512',
    title: 'A sha512 blob, once accepted (201), is served under its sha512 digest',
    spec: '§Pushing blobs (end-6); image-spec §Digests (sha512 MAY; a blob accepted with 201 MUST be pullable)',
    level: 'MUST',
    requires: ['sha512'],
    async run(ctx) {
      const { repo, blob, reply } = await pushSha512(ctx);
      await expectCreated(ctx, repo, reply, blob, 'sha512 blob');
    },
  },
  {
    id: 'blobs.upload.sha512-identity',
    title: 'A sha512 blob fetched by its sha512 digest carries a Docker-Content-Digest clients can check against it: sha512:…, not a sha256 alias',
    spec: '§Pulling blobs (end-2, main: Docker-Content-Digest "should be validated by clients against the requested digest"; v1.1.1 lets the 201 name a "canonical digest" that differs, so only GET and HEAD are held to it)',
    level: 'SHOULD',
    requires: ['sha512'],
    since: 'main',
    async run(ctx) {
      const { repo, blob } = await pushSha512(ctx);
      for (const method of ['GET', 'HEAD']) {
        const answer = await ctx.request(method, `/v2/${repo}/blobs/${blob.digest}`);
        expectStatus(answer, [200], `${method} by the sha512 digest`);
        const digest = answer.header('docker-content-digest');
        ensure(digest === undefined || digest === blob.digest, `${method} by the sha512 digest: Docker-Content-Digest ${digest} instead of the digest the blob was pushed and asked for (${blob.digest.slice(0, 20)}…)`, answer);
      }
    },
  },
  {
    id: 'blobs.upload.digest-algorithm',
    title: 'POST ?digest-algorithm=sha512 opens a session that takes a sha512 blob',
    spec: '§Pushing a blob in chunks (end-4c)',
    level: 'SHOULD',
    requires: ['sha512'],
    since: 'main',
    async run(ctx) {
      const repo = ctx.repo();
      const blob = content(randomBlob(1024).bytes, 'application/octet-stream', 'sha512');
      const reply = await ctx.request('POST', `/v2/${repo}/blobs/uploads/?digest-algorithm=sha512`, { headers: { 'Content-Length': '0' } });
      if (reply.status === 400) ctx.skip('the registry refuses digest-algorithm=sha512 (400: it does not offer sha512 uploads)');
      expectStatus(reply, [202], 'POST ?digest-algorithm=sha512');
      const session = locationOf(ctx.client, reply, 'POST ?digest-algorithm=sha512');
      const patched = await patchChunk(ctx.client, session, blob.bytes, 0, 'sha512 session');
      await close(ctx, repo, patched, blob, 'digest-algorithm=sha512');
    },
  },
]);
