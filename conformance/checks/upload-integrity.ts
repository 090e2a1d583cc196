/**
 * What an upload may never do to the content it stores (spec "Pushing blobs", end-4b, end-5,
 * end-6, end-13). A single POST whose body has another digest than its ?digest= is refused
 * (400 DIGEST_INVALID) or not offered (202: end-4b, "do POST then PUT"), never stored under the
 * digest it claims: content-addressed storage that stores bytes under another name serves them
 * to every client that asks for that digest. An upload session belongs to the repository whose
 * POST opened it: its URL under another repository's name is no session there (end-13: the
 * <location> is "the URL obtained from" the POST or PATCH), so the bytes cannot land in a
 * repository the upload was not opened for. Sessions fed in turn, a chunk each, as a client pushing
 * the layers of an image in parallel feeds them, each make the blob their own bytes say (end-5,
 * end-6), however many the registry keeps state for at once.
 */
import { expectStatus } from '../client/expect.ts';
import { OCTET, openUpload, patchChunk, putClose } from '../client/protocol.ts';
import { randomBlob } from '../content.ts';
import { expectServed } from './blobs.ts';
import { defineChecks } from './types.ts';

/** Sessions fed in turn by blobs.upload.interleaved-sessions, and the chunks of each. */
const SESSIONS = 12;
const ROUNDS = 3;
/** A chunk's size, unless the registry asks for more (OCI-Chunk-Min-Length, up to MAX_CHUNK). */
const CHUNK = 1024;
const MAX_CHUNK = 1024 * 1024;

export default defineChecks([
  {
    id: 'blobs.upload.single-post-digest-mismatch',
    title: 'A single POST ?digest= whose body has another digest is refused (400) or not offered (202), never stored under that digest',
    spec: '§Pushing a blob monolithically, single POST (end-4b: 201, or 202 when the registry does not support it); §Error Codes (code-4 DIGEST_INVALID: "the content does not match the digest provided")',
    level: 'MUST',
    async run(ctx) {
      const repo = ctx.repo();
      const claimed = randomBlob(500);
      const sent = randomBlob(500);
      const reply = await ctx.request('POST', `/v2/${repo}/blobs/uploads/?digest=${claimed.digest}`, { body: sent.bytes, headers: { ...OCTET, 'Content-Length': String(sent.size) } });
      expectStatus(reply, [202, 400], `POST ?digest=<digest of other bytes> with ${sent.size} bytes`);
      const stored = await ctx.request('GET', `/v2/${repo}/blobs/${claimed.digest}`);
      expectStatus(stored, [404], `GET of the digest a refused single POST claimed`);
      if (reply.status === 202) return 'the single POST is not offered (202): the blob was not stored';
    },
  },
  {
    id: 'blobs.upload.session-other-repository',
    title: 'An upload session\'s URL under another repository\'s name is no session there (4xx), and nothing lands in that repository',
    spec: '§Pushing a blob in chunks (end-13: "The <location> refers to the URL obtained from any preceding POST or PATCH request"; end-5, end-6, end-13 failures: 404)',
    level: 'MUST',
    async run(ctx) {
      const repo = ctx.repo('mine');
      const other = ctx.repo('other');
      const blob = randomBlob(300);
      await ctx.pushBlob(other, randomBlob(10)); // the other repository exists
      const session = await openUpload(ctx.client, repo);
      const url = await patchChunk(ctx.client, session.url, blob.bytes, 0, 'the only chunk');
      const mine = `/v2/${repo}/blobs/uploads/`;
      const location = new URL(url);
      if (!location.pathname.startsWith(mine)) ctx.skip(`the session's Location (${location.pathname}) is not under ${mine}: no other repository's URL can be made from it`);
      const elsewhere = new URL(location);
      elsewhere.pathname = `/v2/${other}/blobs/uploads/${location.pathname.slice(mine.length)}`;
      expectStatus(await ctx.request('GET', elsewhere.toString()), [400, 401, 403, 404], `GET of the session's URL under ${other}`);
      elsewhere.searchParams.set('digest', blob.digest);
      expectStatus(await ctx.request('PUT', elsewhere.toString(), { headers: { 'Content-Length': '0' } }), [400, 401, 403, 404], `PUT ?digest= closing the session through ${other}'s URL`);
      expectStatus(await ctx.request('GET', `/v2/${other}/blobs/${blob.digest}`), [404], `GET in ${other} of the blob uploaded to ${repo}'s session`);
      await ctx.request('DELETE', url).catch(() => undefined);
    },
  },
  {
    id: 'blobs.upload.interleaved-sessions',
    title: `${SESSIONS} upload sessions in one repository, fed ${ROUNDS} chunks each in turn, each make the blob the client sent`,
    spec: '§Pushing a blob in chunks (end-5: each PATCH carries the next chunk of its session; end-6: the closing PUT "MUST be 201 Created" when the digest matches, and the blob is the bytes sent)',
    level: 'MUST',
    async run(ctx) {
      const repo = ctx.repo();
      const sessions = [];
      for (let i = 0; i < SESSIONS; i += 1) sessions.push(await openUpload(ctx.client, repo));
      const chunk = Math.max(CHUNK, ...sessions.map((session) => session.minChunk));
      if (chunk > MAX_CHUNK) ctx.skip(`the registry asks for chunks of at least ${chunk} bytes (OCI-Chunk-Min-Length)`);
      const blobs = sessions.map(() => randomBlob(chunk * ROUNDS));
      const urls = sessions.map((session) => session.url);
      for (let round = 0; round < ROUNDS; round += 1) {
        for (const [i, blob] of blobs.entries()) {
          urls[i] = await patchChunk(ctx.client, urls[i] as string, blob.bytes.subarray(round * chunk, (round + 1) * chunk), round * chunk, `session ${i + 1} of ${SESSIONS}, chunk ${round + 1}`);
        }
      }
      for (const [i, blob] of blobs.entries()) {
        expectStatus(await putClose(ctx.client, urls[i] as string, blob.digest), [201], `PUT ?digest= closing session ${i + 1} of ${SESSIONS}, fed in turn with the others`);
        await expectServed(ctx, repo, blob, `the blob of session ${i + 1} of ${SESSIONS}`);
      }
      return `${SESSIONS} sessions of ${ROUNDS} chunks of ${chunk} bytes, fed in turn`;
    },
  },
]);
