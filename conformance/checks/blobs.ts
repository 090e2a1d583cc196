/**
 * Pulling blobs (spec "Pulling blobs" and "Checking if content exists", end-2): GET serves the
 * exact bytes, HEAD the same headers without a body, Docker-Content-Digest and Content-Length
 * name the blob, the standard headers sent are well-formed, an unknown blob is 404 (BLOB_UNKNOWN), `Range: bytes=a-b` and the suffix range
 * `bytes=-n` give 206 with the right slice (range support is a SHOULD: a registry that ignores
 * Range is skipped), an unsatisfiable range (past the end, `bytes=-0`) 416, a range of the empty
 * blob never 206, a 416 names the size, an unknown unit is ignored, two ranges are served whole
 * or completely, an invalid range (last before first) is ignored or refused, and content is
 * scoped to its repository. Also exports expectServed
 * and expectLocationServes, which the upload, mount, delete and GC checks share.
 */
import { BrokenResponse, CheckFailure, HarnessError } from '../client/errors.ts';
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

/**
 * GET with a Range header. A connection the registry drops mid-answer is its failure, not the
 * harness's: e.g. a 416 declaring the blob's size as Content-Length with a shorter error body
 * (CNCF Distribution 2.8.2), or a 206 whose body falls short of its Content-Length. So is a
 * connection it closes before answering: the blob was just pushed, only the Range can have failed.
 */
async function rangeRequest(ctx: CheckContext, url: string, header: string): Promise<Reply> {
  return ctx.request('GET', url, { headers: { Range: header } }).catch((error: unknown) => {
    if (error instanceof HarnessError && /UND_ERR_SOCKET|other side closed|ECONNRESET/.test(error.message)) {
      throw new CheckFailure(`GET with Range: ${header}: the registry closed the connection without an answer: ${error.message}`);
    }
    if (error instanceof BrokenResponse) {
      throw new BrokenResponse(`GET with Range: ${header}: the registry broke off its answer (a Content-Length its body does not have?): ${error.message}`, error.exchange);
    }
    throw error;
  });
}

/** RFC 9110 grammars of the standard headers a blob or manifest answer may carry (§5.6.2 token, §8.3.1, §8.8.3, §14.3). */
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const HEADER_SYNTAX: Readonly<Record<string, RegExp>> = {
  'content-type': new RegExp(`^${TOKEN}/${TOKEN}(\\s*;\\s*${TOKEN}=(${TOKEN}|"[^"]*"))*$`),
  etag: /^(W\/)?"[\x21\x23-\x7e\x80-\xff]*"$/,
  'accept-ranges': new RegExp(`^${TOKEN}(\\s*,\\s*${TOKEN})*$`),
};

/**
 * Content-Type, ETag and Accept-Ranges, each when present, follow RFC 9110's grammar: a client
 * (a cache, a resuming download) parses them. Shared with the manifest checks.
 */
export function expectHeaderSyntax(reply: Reply, what: string): void {
  for (const [name, pattern] of Object.entries(HEADER_SYNTAX)) {
    const value = reply.header(name);
    if (value === undefined) continue;
    ensure(pattern.test(value), `${what}: ${name} ${JSON.stringify(value)} is not what RFC 9110 allows there`, reply);
  }
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
    id: 'blobs.pull.header-syntax',
    title: 'GET and HEAD of a blob send Content-Type, ETag and Accept-Ranges, when they do, in RFC 9110 form',
    spec: 'RFC 9110 §8.3.1 (Content-Type: type/subtype with parameters), §8.8.3 (ETag: a quoted entity-tag), §14.3 (Accept-Ranges: range units)',
    level: 'SHOULD',
    async run(ctx) {
      const { repo, blob } = await pushedBlob(ctx, 64);
      for (const method of ['GET', 'HEAD']) {
        const reply = await ctx.request(method, `/v2/${repo}/blobs/${blob.digest}`);
        expectStatus(reply, [200], `${method} blob`);
        expectHeaderSyntax(reply, `${method} blob`);
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
      // A last-pos past the end is the remainder of the blob (RFC 9110 §14.1.2); one byte
      // (bytes=0-0, the probe clients send to learn whether ranges are served) is a range too.
      const ranges = [['bytes=100-299', 100, 299], ['bytes=900-', 900, 999], ['bytes=990-5000', 990, 999], ['bytes=0-0', 0, 0], ['bytes=999-999', 999, 999]] as const;
      for (const [header, start, end] of ranges) {
        const reply = await rangeRequest(ctx, url, header);
        if (header === ranges[0][0] && ignoresRange(reply, blob)) ctx.skip(`the registry ignores Range (answered 200 with the whole blob to Range: ${header})`);
        expectStatus(reply, [206], `GET with Range: ${header} (${ranges[0][0]} was served as a range)`);
        const contentRange = reply.header('content-range');
        ensure(contentRange === `bytes ${start}-${end}/${blob.size}`, `GET with Range: ${header}: Content-Range ${JSON.stringify(contentRange)}, expected "bytes ${start}-${end}/${blob.size}"`, reply);
        expectBody(reply, blob.bytes.subarray(start, end + 1), `GET with Range: ${header}`);
        expectLengthIfPresent(reply, end - start + 1, `GET with Range: ${header}`);
      }
    },
  },
  {
    id: 'blobs.pull.range-suffix',
    title: 'GET with a suffix range (Range: bytes=-n) answers 206 with the last n bytes, or the whole blob when n exceeds it',
    spec: '§Pulling blobs, range requests (end-2; RFC 9110 §14.1.2: "a suffix-range … selects the last N bytes"; "If the selected representation is shorter than the specified suffix-length, the entire representation is used")',
    level: 'SHOULD',
    async run(ctx) {
      const { repo, blob } = await pushedBlob(ctx, 1000);
      const url = `/v2/${repo}/blobs/${blob.digest}`;
      for (const [header, start] of [['bytes=-500', 500], ['bytes=-1', 999], ['bytes=-2000', 0]] as const) {
        const reply = await rangeRequest(ctx, url, header);
        if (ignoresRange(reply, blob)) ctx.skip(`the registry ignores Range (answered 200 with the whole blob to Range: ${header})`);
        expectStatus(reply, [206], `GET with Range: ${header}`);
        const contentRange = reply.header('content-range');
        const expected = `bytes ${start}-${blob.size - 1}/${blob.size}`;
        ensure(contentRange === expected, `GET with Range: ${header}: Content-Range ${JSON.stringify(contentRange)}, expected "${expected}"`, reply);
        expectBody(reply, blob.bytes.subarray(start), `GET with Range: ${header}`);
      }
    },
  },
  {
    id: 'blobs.pull.range-suffix-unsatisfiable',
    title: 'GET with Range: bytes=-0 answers 416 (or the whole blob, ignoring Range), never 206',
    spec: '§Pulling blobs, range requests (end-2; RFC 9110 §14.1.2: satisfiable only with "at least one suffix-range with a non-zero suffix-length"; §15.5.17: 416)',
    level: 'SHOULD',
    async run(ctx) {
      const { repo, blob } = await pushedBlob(ctx, 100);
      const reply = await rangeRequest(ctx, `/v2/${repo}/blobs/${blob.digest}`, 'bytes=-0');
      if (ignoresRange(reply, blob)) ctx.skip('the registry ignores Range (answered 200 with the whole blob to Range: bytes=-0)');
      expectStatus(reply, [416], `GET with Range: bytes=-0 (a blob of ${blob.size} bytes)`);
    },
  },
  {
    id: 'blobs.pull.range-empty-blob',
    title: 'GET of the empty blob with a Range answers 416 or 200 with no bytes, never 206 (no byte range exists)',
    spec: '§Pulling blobs, range requests (end-2; RFC 9110 §14.4: a 206\'s Content-Range is "first-pos - last-pos", which an empty representation does not have; §14.2: a server MAY ignore Range)',
    level: 'SHOULD',
    async run(ctx) {
      const { repo, blob } = await pushedBlob(ctx, 0);
      for (const header of ['bytes=-500', 'bytes=0-']) {
        const reply = await rangeRequest(ctx, `/v2/${repo}/blobs/${blob.digest}`, header);
        expectStatus(reply, [416, 200], `GET of the empty blob with Range: ${header}`);
        if (reply.status === 200) expectBody(reply, blob.bytes, `GET of the empty blob with Range: ${header}`);
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
      const reply = await rangeRequest(ctx, `/v2/${repo}/blobs/${blob.digest}`, header);
      if (ignoresRange(reply, blob)) ctx.skip(`the registry ignores Range (answered 200 with the whole blob to Range: ${header})`);
      expectStatus(reply, [416], `GET with Range: ${header} (a blob of ${blob.size} bytes)`);
    },
  },
  {
    id: 'blobs.pull.range-unsatisfiable-length',
    title: 'A 416 to a Range outside the blob carries Content-Range: bytes */<size>',
    spec: '§Pulling blobs, range requests (end-2; RFC 9110 §15.5.17: "A server that generates a 416 response to a byte-range request SHOULD generate a Content-Range header field specifying the current length", §14.4: "bytes */" complete-length)',
    level: 'SHOULD',
    async run(ctx) {
      const { repo, blob } = await pushedBlob(ctx, 100);
      const header = `bytes=${blob.size}-`;
      const reply = await rangeRequest(ctx, `/v2/${repo}/blobs/${blob.digest}`, header).catch((error: unknown) => {
        if (error instanceof CheckFailure) return ctx.skip(`no complete answer to judge (blobs.pull.range-unsatisfiable reports it): ${error.message}`);
        throw error;
      });
      if (reply.status !== 416) return ctx.skip(`GET with Range: ${header} answered ${reply.status}: no 416 to judge (blobs.pull.range-unsatisfiable judges the status)`);
      const contentRange = reply.header('content-range');
      ensure(contentRange === `bytes */${blob.size}`, `416 to Range: ${header}: Content-Range ${contentRange === undefined ? 'none' : JSON.stringify(contentRange)}, expected "bytes */${blob.size}"`, reply);
    },
  },
  {
    id: 'blobs.pull.range-unit-unknown',
    title: 'GET with a Range in a unit the registry does not know (xbytes=0-9) serves the whole blob',
    spec: '§Pulling blobs, range requests (end-2; RFC 9110 §14.2: "An origin server MUST ignore a Range header field that contains a range unit it does not understand")',
    level: 'SHOULD',
    async run(ctx) {
      const { repo, blob } = await pushedBlob(ctx, 100);
      const reply = await rangeRequest(ctx, `/v2/${repo}/blobs/${blob.digest}`, 'xbytes=0-9');
      expectStatus(reply, [200], 'GET with Range: xbytes=0-9');
      expectBody(reply, blob.bytes, 'GET with Range: xbytes=0-9');
    },
  },
  {
    id: 'blobs.pull.range-multiple',
    title: 'GET with two ranges (bytes=0-9,50-59) serves the whole blob, a multipart answer, or one part covering both — never one range alone',
    spec: '§Pulling blobs, range requests (end-2; RFC 9110 §14.2: a server MAY ignore Range; §15.3.7: a 206 carries "one or more parts", each the requested ranges, coalesced only where they overlap or are close)',
    level: 'SHOULD',
    async run(ctx) {
      const { repo, blob } = await pushedBlob(ctx, 100);
      const header = 'bytes=0-9,50-59';
      const reply = await rangeRequest(ctx, `/v2/${repo}/blobs/${blob.digest}`, header);
      expectStatus(reply, [200, 206], `GET with Range: ${header}`);
      if (reply.status === 200) return expectBody(reply, blob.bytes, `GET with Range: ${header}`);
      if (/^multipart\/byteranges/i.test(reply.header('content-type') ?? '')) return;
      const contentRange = /^bytes (\d+)-(\d+)\/\d+$/.exec(reply.header('content-range') ?? '');
      ensure(contentRange !== null && Number(contentRange[1]) <= 0 && Number(contentRange[2]) >= 59, `GET with Range: ${header}: a single-part 206 with Content-Range ${JSON.stringify(reply.header('content-range'))} does not hold both ranges`, reply);
    },
  },
  {
    id: 'blobs.pull.range-invalid',
    title: 'GET with an invalid range (bytes=50-10: last before first) serves the whole blob or answers 416, never 206',
    spec: '§Pulling blobs, range requests (end-2; RFC 9110 §14.1.1: "A range-spec is invalid if the last-pos value is present and less than the first-pos"; §14.2: "A server MAY ignore or reject a Range header field that contains an invalid ranges-specifier")',
    level: 'SHOULD',
    async run(ctx) {
      const { repo, blob } = await pushedBlob(ctx, 100);
      const header = 'bytes=50-10';
      const reply = await rangeRequest(ctx, `/v2/${repo}/blobs/${blob.digest}`, header);
      expectStatus(reply, [200, 416], `GET with Range: ${header}`);
      if (reply.status === 200) expectBody(reply, blob.bytes, `GET with Range: ${header}`);
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
