/**
 * How an upload request frames its bytes (spec "Pushing a blob in chunks", end-5, end-6). A PATCH
 * whose Content-Range breaks the spec's form (`^[0-9]+-[0-9]+$`, inclusive, or the HTTP response
 * form `bytes 0-99/100` some clients send) is the client's error: refused with 400 or 416, or
 * taken as a streamed chunk (202) by a registry that ignores what it cannot read, never a server
 * error. The last chunk carried by the closing PUT may come with chunked transfer coding (HTTP/1.1,
 * RFC 9112 §7.1: a body of unannounced length, as a client streaming a file sends it) rather than
 * a Content-Length: the registry must read that body as the chunk, not take the PUT for a close
 * without one. A chunk whose body is shorter than its Content-Range (with a Content-Length that
 * says so, or in chunked transfer coding) is no chunk the range describes: it should be refused
 * (400 BLOB_UPLOAD_INVALID, or 416) and leave the session as it was, so the client can send it again.
 */
import { ensure, expectCodeIfJson, expectStatus } from '../client/expect.ts';
import { OCTET, expectRange, openUpload, patchChunk, pieces, putClose, withDigest } from '../client/protocol.ts';
import { randomBlob, type Content } from '../content.ts';
import type { CheckContext } from './context.ts';
import { expectServed } from './blobs.ts';
import { defineChecks } from './types.ts';

/** Content-Range values that break `^[0-9]+-[0-9]+$` or end before they start, each with why. */
const MALFORMED: readonly (readonly [string, string])[] = [
  ['bytes 0-99/100', 'the HTTP response form'],
  ['0-', 'no end'],
  ['-99', 'no start'],
  ['zero-ninety', 'not numbers'],
  ['99-0', 'an end before the start'],
];

/** A first chunk that every registry takes (OCI-Chunk-Min-Length at most this is honoured). */
const FIRST = 1024;

/** A session holding a whole first chunk (FIRST bytes, or the registry's minimum), and the blob of `rest` bytes more it is to become. */
async function firstChunkSent(ctx: CheckContext, repo: string, rest: number): Promise<{ url: string; blob: Content; first: number }> {
  const session = await openUpload(ctx.client, repo);
  if (session.minChunk > 4 * FIRST * FIRST) ctx.skip(`the registry asks for chunks of at least ${session.minChunk} bytes (OCI-Chunk-Min-Length)`);
  const first = Math.max(FIRST, session.minChunk);
  const blob = randomBlob(first + rest);
  const url = await patchChunk(ctx.client, session.url, blob.bytes.subarray(0, first), 0, 'first chunk');
  return { url, blob, first };
}

export default defineChecks([
  {
    id: 'blobs.upload.content-range-malformed',
    title: 'A PATCH with a malformed Content-Range is refused (400, 416) or taken as a streamed chunk (202), never a 5xx',
    spec: '§Pushing a blob in chunks (end-5: the <range> "MUST match the following regular expression: ^[0-9]+-[0-9]+$" and "MUST be inclusive on both ends"; failures 404, 416), §Error Codes (code-2 BLOB_UPLOAD_INVALID)',
    level: 'MUST',
    async run(ctx) {
      const repo = ctx.repo();
      const body = randomBlob(100).bytes;
      for (const [range, why] of MALFORMED) {
        const session = await openUpload(ctx.client, repo);
        const reply = await ctx.request('PATCH', session.url, { body, headers: { ...OCTET, 'Content-Range': range, 'Content-Length': String(body.length) } });
        expectStatus(reply, [202, 400, 416], `PATCH with Content-Range ${JSON.stringify(range)} (${why})`);
        await ctx.request('DELETE', session.url).catch(() => undefined);
      }
      return `${MALFORMED.length} malformed Content-Range values answered 202, 400 or 416`;
    },
  },
  {
    id: 'blobs.upload.last-chunk-chunked-encoding',
    title: 'The last chunk may travel in the closing PUT with chunked transfer coding (no Content-Length)',
    spec: '§Pushing a blob in chunks (end-6: "The final chunk MAY be uploaded … in the closing PUT"); RFC 9112 §7.1 (chunked transfer coding: a body of unannounced length)',
    level: 'MUST',
    async run(ctx) {
      const repo = ctx.repo();
      const { url, blob, first } = await firstChunkSent(ctx, repo, 5000);
      // An async iterable body goes out with Transfer-Encoding: chunked and no Content-Length.
      const reply = await ctx.request('PUT', withDigest(url, blob.digest), { body: pieces(blob.bytes.subarray(first), 1000), headers: OCTET });
      expectStatus(reply, [201], `PUT ?digest= closing the upload with the last ${blob.size - first} bytes in chunked transfer coding`);
      await expectServed(ctx, repo, blob, 'the blob whose last chunk came in a chunked PUT');
    },
  },
  {
    id: 'blobs.upload.chunk-length-mismatch',
    title: 'A PATCH whose body is shorter than its Content-Range is refused (400, 416) and leaves the session as it was',
    spec: '§Pushing a blob in chunks (end-5: "Content-Range: <range>" names the chunk\'s bytes, "Content-Length: <length of chunk>"; failures 404, 416), §Error Codes (code-2 BLOB_UPLOAD_INVALID "the upload was invalid")',
    level: 'SHOULD',
    async run(ctx) {
      const repo = ctx.repo();
      const sent = await firstChunkSent(ctx, repo, 400);
      const { blob, first } = sent;
      let { url } = sent;
      const short = blob.bytes.subarray(first, first + 200);
      const range = `${first}-${first + 399}`;
      const probes: { what: string; body: Uint8Array | AsyncIterable<Uint8Array>; headers: Record<string, string> }[] = [
        { what: `PATCH Content-Range ${range} (400 bytes) with Content-Length 200 and 200 bytes`, body: short, headers: { 'Content-Length': String(short.length) } },
        { what: `PATCH Content-Range ${range} (400 bytes) with 200 bytes in chunked transfer coding`, body: pieces(short, 100), headers: {} },
      ];
      for (const probe of probes) {
        const reply = await ctx.request('PATCH', url, { body: probe.body, headers: { ...OCTET, 'Content-Range': range, ...probe.headers } });
        expectStatus(reply, [400, 416], probe.what);
        expectCodeIfJson(reply, ['BLOB_UPLOAD_INVALID'], probe.what);
        const status = await ctx.request('GET', url);
        expectStatus(status, [204], `GET <location> after the refused ${probe.what}`);
        expectRange(status, first, `GET <location> after the refused ${probe.what}`);
      }
      url = await patchChunk(ctx.client, url, blob.bytes.subarray(first), first, 'the whole second chunk');
      const close = await putClose(ctx.client, url, blob.digest);
      ensure(close.status === 201, `PUT ?digest= after the refused short chunks: expected 201, got ${close.status}`, close);
      await expectServed(ctx, repo, blob, 'the blob completed after two refused short chunks');
    },
  },
]);
