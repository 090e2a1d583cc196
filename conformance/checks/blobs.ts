/**
 * Pulling blobs (spec "Pulling blobs" and "Checking if content exists", end-2): GET serves the
 * exact bytes, HEAD the same headers without a body, Docker-Content-Digest and Content-Length
 * name the blob, an unknown blob is 404 (BLOB_UNKNOWN), `Range: bytes=a-b` gives 206 with the
 * right slice (range support is a SHOULD: a registry that ignores Range is skipped), an
 * unsatisfiable range 416, and content is scoped to its repository. Also exports expectServed
 * and expectLocationServes, which the upload, mount, delete and GC checks share.
 */
import { BrokenResponse, CheckFailure } from '../client/errors.ts';
import { digestNames, ensure, expectBody, expectDigestHeaderIfPresent, expectErrorCode, expectLengthIfPresent, expectStatus } from '../client/expect.ts';
import type { Reply } from '../client/registry-client.ts';
import { randomBlob, unknownDigest, type Content } from '../content.ts';
import type { CheckContext } from './context.ts';
import { defineChecks } from './types.ts';

/** GET the blob from `repo`: 200 with exactly its bytes, and a truthful digest header if any. */
export async function expectServed(ctx: CheckContext, repo: string, blob: Content, what: string): Promise<Reply> {
  const reply = await ctx.request('GET', `/v2/${repo}/blobs/${blob.digest}`);
  expectStatus(reply, [200], `${what}: GET /v2/${repo}/blobs/${blob.digest}`);
  expectBody(reply, blob.bytes, `${what}: GET blob`);
  expectDigestHeaderIfPresent(reply, blob.bytes, `${what}: GET blob`);
  return reply;
}

/** GET a blob Location (absolute or relative, possibly elsewhere): 200 with exactly the bytes. */
export async function expectLocationServes(ctx: CheckContext, reply: Reply, blob: Content, what: string): Promise<void> {
  const location = reply.header('location');
  if (location === undefined || location === '') throw new CheckFailure(`${what}: ${reply.status} without Location`, reply.exchange);
  const got = await ctx.request('GET', ctx.client.resolve(location));
  expectStatus(got, [200], `${what}: GET the Location ${location}`);
  expectBody(got, blob.bytes, `${what}: GET the Location ${location}`);
}

/** A blob of `size` random bytes pushed to a fresh repository (so the repository exists). */
async function pushedBlob(ctx: CheckContext, size = 1024): Promise<{ repo: string; blob: Content }> {
  const repo = ctx.repo();
  const blob = randomBlob(size);
  await ctx.pushBlob(repo, blob);
  return { repo, blob };
}

/** The whole blob in answer to a Range request: the registry does not do ranges (allowed). */
function ignoresRange(reply: Reply, blob: Content): boolean {
  return reply.status === 200 && reply.body.equals(blob.bytes);
}

export default defineChecks([
  {
    id: 'blobs.pull.get',
    title: 'GET of a pushed blob answers 200 with exactly its bytes',
    spec: '§Pulling blobs (end-2)',
    level: 'MUST',
    async run(ctx) {
      const { repo, blob } = await pushedBlob(ctx);
      const reply = await expectServed(ctx, repo, blob, 'pull');
      expectLengthIfPresent(reply, blob.size, 'GET blob');
    },
  },
  {
    id: 'blobs.pull.head',
    title: 'HEAD of a pushed blob answers 200 with no body',
    spec: '§Checking if content exists in the registry (end-2)',
    level: 'MUST',
    async run(ctx) {
      const { repo, blob } = await pushedBlob(ctx);
      const reply = await ctx.request('HEAD', `/v2/${repo}/blobs/${blob.digest}`);
      expectStatus(reply, [200], 'HEAD blob');
      ensure(reply.body.length === 0, `HEAD blob answered with a body of ${reply.body.length} bytes`, reply);
      expectLengthIfPresent(reply, blob.size, 'HEAD blob');
      expectDigestHeaderIfPresent(reply, blob.bytes, 'HEAD blob');
    },
  },
  {
    id: 'blobs.pull.headers',
    title: 'GET and HEAD of a blob carry Docker-Content-Digest and Content-Length',
    spec: '§Pulling blobs, §Checking if content exists (end-2; the digest header is SHOULD in v1.1.1)',
    level: 'SHOULD',
    async run(ctx) {
      const { repo, blob } = await pushedBlob(ctx);
      for (const method of ['GET', 'HEAD']) {
        const reply = await ctx.request(method, `/v2/${repo}/blobs/${blob.digest}`);
        expectStatus(reply, [200], `${method} blob`);
        const digest = reply.header('docker-content-digest');
        ensure(digest !== undefined, `${method} blob answered without Docker-Content-Digest`, reply);
        ensure(digestNames(digest, blob.bytes), `${method} blob: Docker-Content-Digest ${digest} does not name the blob ${blob.digest}`, reply);
        const length = reply.header('content-length');
        ensure(length !== undefined, `${method} blob answered without Content-Length`, reply);
        ensure(Number(length) === blob.size, `${method} blob: Content-Length ${length}, expected ${blob.size}`, reply);
      }
    },
  },
  {
    id: 'blobs.pull.unknown',
    title: 'GET and HEAD of a blob the repository does not have answer 404',
    spec: '§Pulling blobs, §Checking if content exists (end-2)',
    level: 'MUST',
    async run(ctx) {
      const { repo } = await pushedBlob(ctx, 64);
      const digest = unknownDigest();
      for (const method of ['GET', 'HEAD']) {
        expectStatus(await ctx.request(method, `/v2/${repo}/blobs/${digest}`), [404], `${method} of an unknown blob`);
      }
    },
  },
  {
    id: 'blobs.pull.unknown-code',
    title: 'GET of an unknown blob answers the error code BLOB_UNKNOWN',
    spec: '§Error Codes (code-1), §Pulling blobs (end-2)',
    level: 'SHOULD',
    async run(ctx) {
      const { repo } = await pushedBlob(ctx, 64);
      const reply = await ctx.request('GET', `/v2/${repo}/blobs/${unknownDigest()}`);
      expectStatus(reply, [404], 'GET of an unknown blob');
      expectErrorCode(reply, ['BLOB_UNKNOWN'], 'GET of an unknown blob');
    },
  },
  {
    id: 'blobs.pull.range',
    title: 'GET with Range: bytes=a-b answers 206 with Content-Range and exactly those bytes',
    spec: '§Pulling blobs, range requests (end-2; RFC 9110 §14)',
    level: 'SHOULD',
    async run(ctx) {
      const { repo, blob } = await pushedBlob(ctx, 1000);
      const url = `/v2/${repo}/blobs/${blob.digest}`;
      for (const [header, start, end] of [['bytes=100-299', 100, 299], ['bytes=900-', 900, 999]] as const) {
        const reply = await ctx.request('GET', url, { headers: { Range: header } });
        if (ignoresRange(reply, blob)) ctx.skip(`the registry ignores Range (answered 200 with the whole blob to Range: ${header})`);
        expectStatus(reply, [206], `GET with Range: ${header}`);
        const contentRange = reply.header('content-range');
        ensure(contentRange === `bytes ${start}-${end}/${blob.size}`, `GET with Range: ${header}: Content-Range ${JSON.stringify(contentRange)}, expected "bytes ${start}-${end}/${blob.size}"`, reply);
        expectBody(reply, blob.bytes.subarray(start, end + 1), `GET with Range: ${header}`);
        expectLengthIfPresent(reply, end - start + 1, `GET with Range: ${header}`);
      }
    },
  },
  {
    id: 'blobs.pull.range-unsatisfiable',
    title: 'GET with a Range outside the blob answers 416',
    spec: '§Pulling blobs, range requests (end-2; RFC 9110 §15.5.17)',
    level: 'SHOULD',
    async run(ctx) {
      const { repo, blob } = await pushedBlob(ctx, 100);
      const header = `bytes=${blob.size + 100}-${blob.size + 199}`;
      const reply = await ctx.request('GET', `/v2/${repo}/blobs/${blob.digest}`, { headers: { Range: header } }).catch((error: unknown) => {
        // The connection dropped mid-answer: e.g. a 416 declaring the blob's size as Content-Length
        // with a shorter error body (CNCF Distribution 2.8.2). Clients see a broken response.
        if (error instanceof BrokenResponse) {
          throw new CheckFailure(`GET with Range: ${header}: the registry closed the connection before the end of its answer (a 416 whose Content-Length is not its body's length?): ${error.message}`, error.exchange);
        }
        throw error;
      });
      if (ignoresRange(reply, blob)) ctx.skip(`the registry ignores Range (answered 200 with the whole blob to Range: ${header})`);
      expectStatus(reply, [416], `GET with Range: ${header} (a blob of ${blob.size} bytes)`);
    },
  },
  {
    id: 'blobs.pull.repo-isolation',
    title: 'A blob pushed to one repository is not served from another that never got it',
    spec: '§Pulling blobs (end-2: 404 when the blob is not in the repository; content is scoped to repository)',
    level: 'MUST',
    async run(ctx) {
      const { blob } = await pushedBlob(ctx, 256);
      const { repo: other } = await pushedBlob(ctx, 64);
      for (const method of ['GET', 'HEAD']) {
        const reply = await ctx.request(method, `/v2/${other}/blobs/${blob.digest}`);
        expectStatus(reply, [404], `${method} in ${other} of a blob pushed only to another repository`);
      }
    },
  },
]);
