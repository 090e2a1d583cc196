/**
 * Resuming an upload whose PATCH broke off (spec "Pushing a blob in chunks", end-5, end-6,
 * end-13). Networks drop connections mid-body; clients such as containerd then ask the session
 * for its progress (GET <location>: 204 with "Range: 0-<end-of-range>") and send the rest from
 * there. Whatever part of the broken chunk the registry kept, the Range must say exactly that
 * much, and the blob assembled from it must be the client's: the closing PUT with the whole
 * blob's digest answers 201 and the blob is served byte for byte. A registry that ends the
 * session when a PATCH breaks (404 on the status) offers no resumption: the check skips.
 */
import { CheckFailure } from '../client/errors.ts';
import { ensure, expectStatus } from '../client/expect.ts';
import { chunkHeaders, locationOf, openUpload, patchChunk, putClose, sendChunk } from '../client/protocol.ts';
import type { Reply } from '../client/registry-client.ts';
import { randomBlob } from '../content.ts';
import { expectServed } from './blobs.ts';
import { defineChecks } from './types.ts';

/** A first chunk that arrives whole, so the progress after the break is never the ambiguous "0-0". */
const FIRST = 4096;
/** Bytes the client streams of its second chunk before it goes away, in pieces of PIECE. */
const SENT_BEFORE_BREAK = 2 * 1024 * 1024;
const PIECE = 64 * 1024;
const TOTAL = 3 * 1024 * 1024;
/** A registry asking for larger chunks than this is not given one (memory). */
const MAX_CHUNK = 1024 * 1024;
/** Resumptions met by 416 before the check gives up. */
const MAX_ATTEMPTS = 5;

/**
 * The bytes a session holds by its `Range: 0-<end>`; never fewer than the first chunk, whole, nor
 * more than the client ever sent before the break.
 */
function progressOf(reply: Reply, first: number, what: string): number {
  const range = /^0-(\d+)$/.exec(reply.header('range') ?? '');
  ensure(range !== null, `${what}: Range ${JSON.stringify(reply.header('range'))} is not 0-<end>`, reply);
  const kept = Number(range[1]) + 1;
  ensure(kept >= first && kept <= first + SENT_BEFORE_BREAK, `${what}: Range 0-${kept - 1} says ${kept} bytes, but the client had sent ${first} in a whole chunk and ${SENT_BEFORE_BREAK} more before the break`, reply);
  return kept;
}

export default defineChecks([
  {
    id: 'blobs.upload.resume-after-break',
    title: 'A PATCH that breaks off mid-body: the session\'s Range says what the registry kept, and the blob resumed from it is the client\'s',
    spec: '§Pushing a blob in chunks (end-13: GET <location> reports the upload\'s progress, "Range: 0-<end-of-range>"; end-5: the next chunk starts after it; end-6: the closing PUT "MUST be 201 Created" when the digest matches)',
    level: 'MUST',
    async run(ctx) {
      const repo = ctx.repo();
      const session = await openUpload(ctx.client, repo);
      if (session.minChunk > MAX_CHUNK) ctx.skip(`the registry asks for chunks of at least ${session.minChunk} bytes (OCI-Chunk-Min-Length)`);
      const first = Math.max(FIRST, session.minChunk);
      const blob = randomBlob(TOTAL);
      const url = await patchChunk(ctx.client, session.url, blob.bytes.subarray(0, first), 0, 'first chunk');
      // The second chunk announces the rest of the blob and breaks off after SENT_BEFORE_BREAK bytes.
      const broken = async function* (): AsyncGenerator<Uint8Array> {
        for (let at = first; at < first + SENT_BEFORE_BREAK; at += PIECE) yield blob.bytes.subarray(at, at + PIECE);
        throw new Error('touchstone: the client goes away in the middle of the chunk');
      };
      await ctx.request('PATCH', url, { body: broken(), headers: chunkHeaders(first, TOTAL - first) }).then(
        (reply) => {
          throw new CheckFailure(`the PATCH whose body broke off after ${SENT_BEFORE_BREAK} of ${TOTAL - first} bytes was answered ${reply.status}: the registry answered a chunk it never received whole`, reply.exchange);
        },
        () => undefined,
      );
      const status = await ctx.request('GET', url);
      if (status.status === 404) ctx.skip('the registry ended the session when the PATCH broke off (GET <location> 404): it offers no resumption');
      expectStatus(status, [204], 'GET <location> after the PATCH broke off');
      // The registry may still be taking in what arrived of the broken chunk when the status is
      // asked: the rest sent from that progress may meet 416 (end-5: out of order), and the client
      // asks the status again and resumes from there, as clients do.
      let reply = status;
      const reported: number[] = [];
      for (let attempt = 1; ; attempt += 1) {
        const what = `GET <location> after the PATCH broke off (${attempt === 1 ? 'first' : `again, after ${attempt - 1} 416`})`;
        const kept = progressOf(reply, first, what);
        reported.push(kept);
        const location = locationOf(ctx.client, reply, what);
        const next = await sendChunk(ctx.client, location, blob.bytes.subarray(kept), kept);
        if (next.status === 202) {
          reply = next;
          break;
        }
        ensure(next.status === 416 && attempt < MAX_ATTEMPTS, `PATCH of the rest from byte ${kept}, the progress the registry reported (${reported.join(', then ')}): expected 202${attempt < MAX_ATTEMPTS ? ', or 416 when more had arrived by then' : ''}, got ${next.status}`, next);
        reply = await ctx.request('GET', location);
        expectStatus(reply, [204], `GET <location> after the 416 to the rest from byte ${kept}`);
      }
      const resumed = locationOf(ctx.client, reply, 'PATCH of the rest');
      const close = await putClose(ctx.client, resumed, blob.digest);
      const kept = reported.at(-1) as number;
      expectStatus(close, [201], `PUT ?digest= closing the upload resumed at byte ${kept} (the registry kept ${kept - first} bytes of the broken chunk)`);
      await expectServed(ctx, repo, blob, 'the blob resumed after a broken PATCH');
      return `progress reported ${reported.join(', then ')}: the registry kept ${kept - first} of the ${SENT_BEFORE_BREAK} bytes sent before the break`;
    },
  },
]);
