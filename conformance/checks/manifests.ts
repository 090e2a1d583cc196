/**
 * Manifests (spec "Pulling manifests", "Checking if content exists in the registry", "Pushing
 * Manifests", "Pushing Manifests with Subject"; end-3, end-7, and end-7b of the main branch): a
 * push by tag or by digest answers 201 with a pullable Location and a truthful
 * Docker-Content-Digest; a digest that does not match the body is refused; GET and HEAD by tag and
 * by digest serve the exact bytes pushed with their Content-Type (well-formed, as is ETag), Docker-Content-Digest and
 * Content-Length, also without an Accept header or with one naming only the pushed type; unknown
 * manifests and repositories are 404 (MANIFEST_UNKNOWN); image indexes (also nested), artifacts,
 * Docker schema2 manifests and lists, manifests with a subject that does not exist yet (and
 * OCI-Subject when the registry offers referrers), sha512 digests and manifests of 4 MB are
 * accepted, also with a Content-Type carrying parameters, and with a non-distributable layer (urls)
 * never pushed; missing config, layers or children are accepted or refused with MANIFEST_BLOB_UNKNOWN;
 * oversized manifests get 413; a moved tag leaves the old manifest pullable; tags pushed at the
 * same time all stay; `?tag=` applies every
 * tag with one OCI-Tag each; manifests are scoped to their repository.
 */
import { unknownDigest } from '../content.ts';
import { randomUUID } from 'node:crypto';
import { CheckFailure, HarnessError } from '../client/errors.ts';
import { digestNames, ensure, expectBody, expectCodeIfJson, expectDigestHeaderIfPresent, expectErrorCode, expectLengthIfPresent, expectStatus } from '../client/expect.ts';
import type { Reply } from '../client/registry-client.ts';
import {
  EMPTY_CONFIG, artifactManifest, content, descriptor, dockerConfig, dockerLayer, dockerManifest, dockerManifestList,
  imageConfig, imageIndex, imageManifest, randomBlob, type Content,
} from '../content.ts';
import { DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST } from '../../spec/media-types.ts';
import { ACCEPT_MANIFESTS, bareType, headerValues } from '../client/headers.ts';
import type { CheckContext } from './context.ts';
import { expectHeaderSyntax } from './blobs.ts';
import { defineChecks } from './types.ts';

/** Tags pushed at once by manifests.push.concurrent-tags: enough that some arrive while others are being written. */
const CONCURRENT_TAGS = 16;

const ARTIFACT_TYPE = 'application/vnd.touchstone.test.v1';

export interface Image {
  readonly config: Content;
  readonly layers: readonly Content[];
  readonly manifest: Content;
}

/** A fresh OCI image: random config and one random layer, so no registry already has it. */
export function freshImage(): Image {
  const config = imageConfig(randomUUID());
  const layers = [randomBlob(256)];
  return { config, layers, manifest: imageManifest(config, layers) };
}

export async function pushBlobsOf(ctx: CheckContext, repo: string, image: Pick<Image, 'config' | 'layers'>): Promise<void> {
  for (const blob of [image.config, ...image.layers]) await ctx.pushBlob(repo, blob);
}

/** A fresh image pushed to a fresh repository under `tag`. */
async function pushedImage(ctx: CheckContext, tag = 'latest'): Promise<Image & { repo: string }> {
  const repo = ctx.repo();
  const image = freshImage();
  await ctx.pushImage(repo, tag, image.config, image.layers, image.manifest);
  return { repo, ...image };
}

/** PUT a manifest with its media type as Content-Type (spec: clients MUST when it has mediaType); no expectation. */
export function putManifest(ctx: CheckContext, repo: string, reference: string, manifest: Content): Promise<Reply> {
  return ctx.request('PUT', `/v2/${repo}/manifests/${reference}`, { body: manifest.bytes, headers: { 'Content-Type': manifest.mediaType } });
}

/** GET a manifest: 200 with exactly the bytes pushed, truthful digest and length headers if any. */
export async function expectManifest(ctx: CheckContext, repo: string, reference: string, manifest: Content, what: string, headers: Record<string, string> = ACCEPT_MANIFESTS): Promise<Reply> {
  const reply = await ctx.request('GET', `/v2/${repo}/manifests/${reference}`, { headers });
  expectStatus(reply, [200], `${what}: GET /v2/${repo}/manifests/${reference}`);
  expectBody(reply, manifest.bytes, `${what}: GET manifest ${reference}`);
  expectDigestHeaderIfPresent(reply, manifest.bytes, `${what}: GET manifest ${reference}`);
  expectLengthIfPresent(reply, manifest.size, `${what}: GET manifest ${reference}`);
  return reply;
}

/** A 201 for a manifest: Location present and pullable ("The <location> is a pullable manifest URL"). */
async function expectLocationServesManifest(ctx: CheckContext, reply: Reply, manifest: Content, what: string): Promise<void> {
  const location = reply.header('location');
  if (location === undefined || location === '') throw new CheckFailure(`${what}: ${reply.status} without Location`, reply.exchange);
  const got = await ctx.request('GET', ctx.client.resolve(location), { headers: ACCEPT_MANIFESTS });
  expectStatus(got, [200], `${what}: GET the Location ${location}`);
  expectBody(got, manifest.bytes, `${what}: GET the Location ${location}`);
}

/**
 * The same manifest written the way no JSON encoder would re-create it: tab indentation, a
 * trailing newline and an escaped non-ASCII character. A registry that re-serializes changes it.
 */
function unusuallyFormatted(image: Image): Content {
  const body = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: descriptor(image.config),
    layers: image.layers.map((layer) => descriptor(layer)),
    annotations: { 'org.touchstone.note': 'caf\u00e9' },
  };
  const text = `${JSON.stringify(body, null, '\t').replace('\u00e9', '\\u00e9')}\n`;
  return content(text, OCI_MANIFEST);
}

/**
 * A manifest whose config, layer or child is missing: the registry MAY refuse it, and then MUST
 * answer MANIFEST_BLOB_UNKNOWN (spec §Push); accepted (201), it must be served like any other.
 */
async function expectAcceptedOrBlobUnknown(ctx: CheckContext, repo: string, manifest: Content, what: string): Promise<string> {
  const reply = await putManifest(ctx, repo, 'incomplete', manifest);
  expectStatus(reply, [201, 400], `PUT ${what}`);
  if (reply.status === 400) {
    expectErrorCode(reply, ['MANIFEST_BLOB_UNKNOWN'], `PUT ${what} refused`);
    return `refused with MANIFEST_BLOB_UNKNOWN`;
  }
  await expectManifest(ctx, repo, 'incomplete', manifest, `${what}, accepted`);
  return 'accepted (201)';
}

export default defineChecks([
  {
    id: 'manifests.push.by-tag',
    title: 'PUT of an image manifest by tag answers 201 with a pullable Location and a truthful Docker-Content-Digest',
    spec: '§Pushing Manifests (end-7: "MUST return response code 201 Created, and MUST have … Location"; Docker-Content-Digest "MUST be equal to the client provided digest")',
    level: 'MUST',
    async run(ctx) {
      const repo = ctx.repo();
      const image = freshImage();
      await pushBlobsOf(ctx, repo, image);
      const reply = await putManifest(ctx, repo, 'latest', image.manifest);
      expectStatus(reply, [201], 'PUT manifest by tag');
      expectDigestHeaderIfPresent(reply, image.manifest.bytes, 'PUT manifest by tag: 201');
      await expectLocationServesManifest(ctx, reply, image.manifest, 'PUT manifest by tag');
    },
  },
  {
    id: 'manifests.push.by-digest',
    title: 'PUT of an image manifest by its digest answers 201 with a pullable Location; Docker-Content-Digest is that digest',
    spec: '§Pushing Manifests (end-7: "<reference> MUST be either a) a digest or b) a tag"; Docker-Content-Digest "MUST be equal to the client provided digest")',
    level: 'MUST',
    async run(ctx) {
      const repo = ctx.repo();
      const image = freshImage();
      await pushBlobsOf(ctx, repo, image);
      const { digest } = image.manifest;
      const reply = await putManifest(ctx, repo, digest, image.manifest);
      expectStatus(reply, [201], 'PUT manifest by digest');
      const header = reply.header('docker-content-digest');
      ensure(header === undefined || header === digest, `PUT manifest by digest: Docker-Content-Digest ${header} is not the digest pushed (${digest})`, reply);
      await expectLocationServesManifest(ctx, reply, image.manifest, 'PUT manifest by digest');
      await expectManifest(ctx, repo, digest, image.manifest, 'pushed by digest');
    },
  },
  {
    id: 'manifests.push.digest-mismatch',
    title: 'PUT by a digest that does not match the body answers 400 DIGEST_INVALID and stores nothing',
    spec: '§Pushing Manifests (end-7: Docker-Content-Digest "MUST be equal to the client provided digest"), §Error Codes (code-4 DIGEST_INVALID)',
    level: 'MUST',
    async run(ctx) {
      const repo = ctx.repo();
      const image = freshImage();
      await pushBlobsOf(ctx, repo, image);
      const claimed = freshImage().manifest.digest;
      const reply = await putManifest(ctx, repo, claimed, image.manifest);
      expectStatus(reply, [400], 'PUT /manifests/<digest of other content> with a manifest');
      expectCodeIfJson(reply, ['DIGEST_INVALID'], 'PUT manifest with a mismatched digest');
      for (const digest of [claimed, image.manifest.digest]) {
        expectStatus(await ctx.request('GET', `/v2/${repo}/manifests/${digest}`, { headers: ACCEPT_MANIFESTS }), [404], `GET ${digest === claimed ? 'the digest the refused PUT named' : 'the digest of the refused body'}`);
      }
    },
  },
  {
    id: 'manifests.push.byte-exact',
    title: 'A manifest is stored byte for byte: unusual whitespace and escapes come back unchanged',
    spec: '§Pushing Manifests (end-7: "The registry MUST store the manifest in the exact byte representation provided by the client")',
    level: 'MUST',
    async run(ctx) {
      const repo = ctx.repo();
      const image = freshImage();
      const manifest = unusuallyFormatted(image);
      await pushBlobsOf(ctx, repo, image);
      await ctx.pushManifest(repo, 'formatted', manifest);
      await expectManifest(ctx, repo, 'formatted', manifest, 'by tag');
      await expectManifest(ctx, repo, manifest.digest, manifest, 'by digest');
    },
  },
  {
    id: 'manifests.pull.by-tag',
    title: 'GET of a manifest by tag answers 200 with exactly the bytes pushed',
    spec: '§Pulling manifests (end-3: "MUST provide the expected manifest, with a response code that MUST be 200 OK")',
    level: 'MUST',
    async run(ctx) {
      const { repo, manifest } = await pushedImage(ctx);
      await expectManifest(ctx, repo, 'latest', manifest, 'pull by tag');
    },
  },
  {
    id: 'manifests.pull.by-digest',
    title: 'GET of a manifest by digest answers 200 with exactly the bytes pushed',
    spec: '§Pulling manifests (end-3: "<reference> MUST be either (a) the digest of the manifest or (b) a tag")',
    level: 'MUST',
    async run(ctx) {
      const { repo, manifest } = await pushedImage(ctx);
      await expectManifest(ctx, repo, manifest.digest, manifest, 'pull by digest');
    },
  },
  {
    id: 'manifests.pull.content-type',
    title: 'GET and HEAD of a manifest or index answer the Content-Type it was pushed with',
    spec: '§Pulling manifests (end-3: "The Content-Type header SHOULD match what the client pushed"; "SHOULD NOT include parameters")',
    level: 'SHOULD',
    async run(ctx) {
      const { repo, manifest } = await pushedImage(ctx);
      const index = imageIndex([manifest]);
      await ctx.pushManifest(repo, 'index', index);
      for (const [pushed, references] of [[manifest, ['latest', manifest.digest]], [index, ['index', index.digest]]] as const) {
        for (const reference of references) {
          for (const method of ['GET', 'HEAD']) {
            const reply = await ctx.request(method, `/v2/${repo}/manifests/${reference}`, { headers: ACCEPT_MANIFESTS });
            expectStatus(reply, [200], `${method} manifest ${reference}`);
            const type = reply.header('content-type');
            ensure(type === pushed.mediaType, `${method} manifest ${reference}: Content-Type ${type === undefined ? 'none' : JSON.stringify(type)}, pushed as ${pushed.mediaType}`, reply);
          }
        }
      }
    },
  },
  {
    id: 'manifests.push.content-type-parameters',
    title: 'A manifest pushed with a Content-Type carrying parameters, other case or spaces is accepted and served as its media type',
    spec: '§Pushing Manifests (Content-Type: the manifest\'s media type), §Pulling manifests (end-3: Content-Type "SHOULD match what the client pushed", "SHOULD NOT include parameters"); RFC 9110 §8.3.1 (type and subtype are case-insensitive; parameters follow ";" with optional whitespace)',
    level: 'SHOULD',
    async run(ctx) {
      const repo = ctx.repo();
      const image = freshImage();
      await pushBlobsOf(ctx, repo, image);
      // With a mediaType field, and without one (the Content-Type alone then names the type).
      const { mediaType: _type, ...bare } = JSON.parse(image.manifest.bytes.toString('utf8')) as Record<string, unknown>;
      const untyped = content(JSON.stringify(bare), OCI_MANIFEST);
      for (const [manifest, contentType] of [[image.manifest, `${OCI_MANIFEST}; charset=utf-8`], [untyped, `${OCI_MANIFEST.toUpperCase()} ;charset=utf-8`]] as const) {
        const reply = await ctx.request('PUT', `/v2/${repo}/manifests/${manifest.digest}`, { body: manifest.bytes, headers: { 'Content-Type': contentType } });
        expectStatus(reply, [201], `PUT a manifest with Content-Type: ${contentType}`);
        const got = await expectManifest(ctx, repo, manifest.digest, manifest, `pushed with Content-Type: ${contentType}`);
        const served = got.header('content-type');
        ensure(bareType(served) === OCI_MANIFEST, `GET of a manifest pushed with Content-Type: ${contentType} answers Content-Type ${served === undefined ? 'none' : JSON.stringify(served)}, not ${OCI_MANIFEST}`, got);
      }
    },
  },
  {
    id: 'manifests.pull.header-syntax',
    title: 'GET and HEAD of a manifest send Content-Type and ETag, when they do, in RFC 9110 form',
    spec: 'RFC 9110 §8.3.1 (Content-Type: type/subtype with parameters), §8.8.3 (ETag: a quoted entity-tag)',
    level: 'SHOULD',
    async run(ctx) {
      const { repo, manifest } = await pushedImage(ctx);
      for (const method of ['GET', 'HEAD']) {
        const reply = await ctx.request(method, `/v2/${repo}/manifests/${manifest.digest}`, { headers: ACCEPT_MANIFESTS });
        expectStatus(reply, [200], `${method} manifest`);
        expectHeaderSyntax(reply, `${method} manifest`);
      }
    },
  },
  {
    id: 'manifests.pull.headers',
    title: 'GET and HEAD of a manifest carry Docker-Content-Digest naming it and Content-Length',
    spec: '§Pulling manifests, §Checking if content exists (end-3: "SHOULD contain the digest … in the header Docker-Content-Digest", "SHOULD contain the size … Content-Length")',
    level: 'SHOULD',
    async run(ctx) {
      const { repo, manifest } = await pushedImage(ctx);
      for (const reference of ['latest', manifest.digest]) {
        for (const method of ['GET', 'HEAD']) {
          const reply = await ctx.request(method, `/v2/${repo}/manifests/${reference}`, { headers: ACCEPT_MANIFESTS });
          expectStatus(reply, [200], `${method} manifest ${reference}`);
          const digest = reply.header('docker-content-digest');
          ensure(digest !== undefined, `${method} manifest ${reference} answered without Docker-Content-Digest`, reply);
          ensure(digestNames(digest, manifest.bytes), `${method} manifest ${reference}: Docker-Content-Digest ${digest} does not name the manifest ${manifest.digest}`, reply);
          const length = reply.header('content-length');
          ensure(length !== undefined, `${method} manifest ${reference} answered without Content-Length`, reply);
          ensure(Number(length) === manifest.size, `${method} manifest ${reference}: Content-Length ${length}, expected ${manifest.size}`, reply);
        }
      }
    },
  },
  {
    id: 'manifests.pull.headers-required',
    title: 'GET and HEAD of a manifest include Content-Type and Docker-Content-Digest; HEAD includes Content-Length',
    spec: '§Pulling manifests ("A successful response must include: Content-Type … Docker-Content-Digest"), §Checking if content exists (HEAD "must return … Docker-Content-Digest … Content-Length")',
    level: 'MUST',
    since: 'main',
    async run(ctx) {
      const { repo, manifest } = await pushedImage(ctx);
      for (const reference of ['latest', manifest.digest]) {
        for (const method of ['GET', 'HEAD']) {
          const reply = await ctx.request(method, `/v2/${repo}/manifests/${reference}`, { headers: ACCEPT_MANIFESTS });
          expectStatus(reply, [200], `${method} manifest ${reference}`);
          ensure(reply.header('content-type') !== undefined, `${method} manifest ${reference} answered without Content-Type`, reply);
          const digest = reply.header('docker-content-digest');
          ensure(digest !== undefined, `${method} manifest ${reference} answered without Docker-Content-Digest`, reply);
          ensure(digestNames(digest, manifest.bytes), `${method} manifest ${reference}: Docker-Content-Digest ${digest} does not name the manifest ${manifest.digest}`, reply);
          if (method === 'HEAD') {
            const length = reply.header('content-length');
            ensure(length !== undefined && Number(length) === manifest.size, `HEAD manifest ${reference}: Content-Length ${length ?? 'none'}, expected ${manifest.size}`, reply);
          }
        }
      }
    },
  },
  {
    id: 'manifests.pull.head',
    title: 'HEAD of a manifest by tag and by digest answers 200, no body, the headers GET gives',
    spec: '§Checking if content exists in the registry (end-3: "A HEAD request to an existing blob or manifest URL MUST return 200 OK")',
    level: 'MUST',
    async run(ctx) {
      const { repo, manifest } = await pushedImage(ctx);
      for (const reference of ['latest', manifest.digest]) {
        const got = await expectManifest(ctx, repo, reference, manifest, 'GET before HEAD');
        const reply = await ctx.request('HEAD', `/v2/${repo}/manifests/${reference}`, { headers: ACCEPT_MANIFESTS });
        expectStatus(reply, [200], `HEAD manifest ${reference}`);
        ensure(reply.body.length === 0, `HEAD manifest ${reference} answered with a body of ${reply.body.length} bytes`, reply);
        expectLengthIfPresent(reply, manifest.size, `HEAD manifest ${reference}`);
        expectDigestHeaderIfPresent(reply, manifest.bytes, `HEAD manifest ${reference}`);
        for (const name of ['content-type', 'docker-content-digest']) {
          const [head, get] = [reply.header(name), got.header(name)];
          ensure(head === undefined || get === undefined || head === get, `HEAD manifest ${reference}: ${name} ${JSON.stringify(head)}, GET answered ${JSON.stringify(get)}`, reply);
        }
      }
    },
  },
  {
    id: 'manifests.pull.unknown',
    title: 'GET and HEAD of an unknown tag or digest answer 404',
    spec: '§Pulling manifests, §Checking if content exists (end-3: "If the manifest is not found in the repository, the response code MUST be 404 Not Found")',
    level: 'MUST',
    async run(ctx) {
      const { repo } = await pushedImage(ctx);
      for (const reference of ['no-such-tag', unknownDigest()]) {
        for (const method of ['GET', 'HEAD']) {
          expectStatus(await ctx.request(method, `/v2/${repo}/manifests/${reference}`, { headers: ACCEPT_MANIFESTS }), [404], `${method} of an unknown manifest ${reference}`);
        }
      }
    },
  },
  {
    id: 'manifests.pull.unknown-code',
    title: 'GET of an unknown manifest, also under a tag no manifest can have, answers 404 and the error code MANIFEST_UNKNOWN (when the body is JSON)',
    spec: '§Error Codes (code-7 MANIFEST_UNKNOWN; "A 4XX response code … MAY return a body in any format"), §Pulling manifests (end-3: "If the manifest is not found in the repository, the response code MUST be 404"; the official suite pulls `.INVALID_MANIFEST_NAME` as its nonexistent manifest)',
    level: 'SHOULD',
    async run(ctx) {
      const { repo } = await pushedImage(ctx);
      for (const reference of ['no-such-tag', unknownDigest(), '.INVALID_MANIFEST_NAME']) {
        const reply = await ctx.request('GET', `/v2/${repo}/manifests/${reference}`, { headers: ACCEPT_MANIFESTS });
        expectStatus(reply, [404], `GET of an unknown manifest ${reference}`);
        expectCodeIfJson(reply, ['MANIFEST_UNKNOWN'], `GET of an unknown manifest ${reference}`);
      }
    },
  },
  {
    id: 'manifests.pull.unknown-repository',
    title: 'GET of a manifest in a repository that does not exist answers 404',
    spec: '§Pushing Manifests ("An attempt to pull a nonexistent repository MUST return response code 404 Not Found")',
    level: 'MUST',
    readOnly: true,
    async run(ctx) {
      const repo = ctx.repo('never-pushed');
      for (const reference of ['latest', unknownDigest()]) {
        expectStatus(await ctx.request('GET', `/v2/${repo}/manifests/${reference}`, { headers: ACCEPT_MANIFESTS }), [404], `GET manifest ${reference} of a repository never pushed to`);
      }
    },
  },
  {
    id: 'manifests.pull.no-accept',
    title: 'GET of an OCI manifest without an Accept header answers 200 with the manifest',
    spec: '§Pulling manifests (end-3: "MUST provide the expected manifest"; Accept is only a client SHOULD, and its absence accepts any type: RFC 9110 §12.5.1)',
    level: 'MUST',
    async run(ctx) {
      const { repo, manifest } = await pushedImage(ctx);
      for (const reference of ['latest', manifest.digest]) await expectManifest(ctx, repo, reference, manifest, 'no Accept header', {});
    },
  },
  {
    id: 'manifests.pull.accept-exact',
    title: 'GET with an Accept header naming only the pushed type answers 200 with the manifest or index',
    spec: '§Pulling manifests (end-3: "The client SHOULD include an Accept header indicating which manifest content types it supports"; content-negotiation.md)',
    level: 'MUST',
    async run(ctx) {
      const { repo, manifest } = await pushedImage(ctx);
      const index = imageIndex([manifest]);
      await ctx.pushManifest(repo, 'index', index);
      await expectManifest(ctx, repo, 'latest', manifest, `Accept: ${OCI_MANIFEST}`, { Accept: OCI_MANIFEST });
      await expectManifest(ctx, repo, 'index', index, `Accept: ${OCI_INDEX}`, { Accept: OCI_INDEX });
    },
  },
  {
    id: 'manifests.pull.repo-isolation',
    title: 'A manifest pushed to one repository is 404 in another, by digest and by tag',
    spec: '§Pulling manifests (end-3: 404 "if the manifest is not found in the repository"; Definitions: a repository is "a scope for API calls")',
    level: 'MUST',
    async run(ctx) {
      const { manifest } = await pushedImage(ctx, 'only-in-first');
      const { repo: other } = await pushedImage(ctx);
      for (const reference of [manifest.digest, 'only-in-first']) {
        for (const method of ['GET', 'HEAD']) {
          const reply = await ctx.request(method, `/v2/${other}/manifests/${reference}`, { headers: ACCEPT_MANIFESTS });
          expectStatus(reply, [404], `${method} in ${other} of manifest ${reference}, pushed only to another repository`);
        }
      }
    },
  },
  {
    id: 'manifests.push.index',
    title: 'An OCI image index of two images, children pushed by digest, is accepted (201) and served',
    spec: '§Pushing Manifests (end-7), image-spec image-index.md',
    level: 'MUST',
    async run(ctx) {
      const repo = ctx.repo();
      const children = [freshImage(), freshImage()];
      for (const child of children) {
        await pushBlobsOf(ctx, repo, child);
        await ctx.pushManifest(repo, child.manifest.digest, child.manifest);
      }
      const index = imageIndex(children.map((c) => c.manifest));
      expectStatus(await putManifest(ctx, repo, 'multi', index), [201], 'PUT an image index');
      await expectManifest(ctx, repo, 'multi', index, 'image index');
    },
  },
  {
    id: 'manifests.push.nested-index',
    title: 'An image index whose child is another index is accepted (201) and served',
    spec: '§Pushing Manifests (end-7), image-spec image-index.md ("manifests": descriptors of image manifests or indexes)',
    level: 'MUST',
    async run(ctx) {
      const repo = ctx.repo();
      const image = freshImage();
      await pushBlobsOf(ctx, repo, image);
      await ctx.pushManifest(repo, image.manifest.digest, image.manifest);
      const inner = imageIndex([image.manifest]);
      expectStatus(await putManifest(ctx, repo, inner.digest, inner), [201], 'PUT the inner index by digest');
      const outer = imageIndex([inner]);
      expectStatus(await putManifest(ctx, repo, 'nested', outer), [201], 'PUT an index of an index');
      await expectManifest(ctx, repo, 'nested', outer, 'outer index');
      await expectManifest(ctx, repo, inner.digest, inner, 'inner index');
    },
  },
  {
    id: 'manifests.push.index-missing-child',
    title: 'An index whose child is not in the repository is accepted, or refused with MANIFEST_BLOB_UNKNOWN',
    spec: '§Push ("A registry MAY reject a manifest … that reference a manifest or blob that does not exist … it MUST result in one or more MANIFEST_BLOB_UNKNOWN errors")',
    level: 'MUST',
    async run(ctx) {
      const { repo, manifest } = await pushedImage(ctx);
      const index = imageIndex([manifest, freshImage().manifest]);
      return expectAcceptedOrBlobUnknown(ctx, repo, index, 'an index with a child missing from the repository');
    },
  },
  {
    id: 'manifests.push.missing-blob',
    title: 'An image manifest whose config or layer is missing is accepted, or refused with MANIFEST_BLOB_UNKNOWN',
    spec: '§Push ("A registry MAY reject a manifest … that reference a manifest or blob that does not exist … it MUST result in one or more MANIFEST_BLOB_UNKNOWN errors")',
    level: 'MUST',
    async run(ctx) {
      const notes: string[] = [];
      const withoutConfig = freshImage();
      const repo = ctx.repo();
      for (const layer of withoutConfig.layers) await ctx.pushBlob(repo, layer);
      notes.push(`config missing: ${await expectAcceptedOrBlobUnknown(ctx, repo, withoutConfig.manifest, 'a manifest whose config is missing')}`);
      const withoutLayer = freshImage();
      const other = ctx.repo();
      await ctx.pushBlob(other, withoutLayer.config);
      notes.push(`layer missing: ${await expectAcceptedOrBlobUnknown(ctx, other, withoutLayer.manifest, 'a manifest whose layer is missing')}`);
      return notes.join('; ');
    },
  },
  {
    id: 'manifests.push.non-distributable',
    title: 'An image manifest whose layer has urls (non-distributable) and was never pushed is accepted and served',
    spec: 'image-spec descriptor.md ("urls … specifies a list of URIs from which this object MAY be downloaded": such a layer lives outside the registry); §Pushing Manifests (only blobs that "do not exist in the repository" may be refused)',
    level: 'SHOULD',
    async run(ctx) {
      const repo = ctx.repo();
      const config = imageConfig(randomUUID());
      await ctx.pushBlob(repo, config);
      const foreign = randomBlob(512);
      const body = {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: descriptor(config),
        layers: [descriptor(foreign, { urls: [`https://foreign.example/${foreign.digest}`] })],
      };
      const manifest = content(JSON.stringify(body), OCI_MANIFEST);
      const reply = await putManifest(ctx, repo, 'foreign', manifest);
      expectStatus(reply, [201], 'PUT a manifest whose only layer is non-distributable (urls) and was never pushed');
      await expectManifest(ctx, repo, 'foreign', manifest, 'a manifest with a non-distributable layer');
    },
  },
  {
    id: 'manifests.push.artifact',
    title: 'An artifact (image manifest with artifactType and the empty config) is accepted (201) and served',
    spec: '§Pushing Manifests (end-7), image-spec manifest.md (artifactType; "Guidance for an Empty Descriptor": application/vnd.oci.empty.v1+json, {})',
    level: 'MUST',
    async run(ctx) {
      const repo = ctx.repo();
      const payload = randomBlob(128, 'application/vnd.touchstone.payload.v1');
      for (const blob of [EMPTY_CONFIG, payload]) await ctx.pushBlob(repo, blob);
      const artifact = imageManifest(EMPTY_CONFIG, [payload], { artifactType: ARTIFACT_TYPE });
      expectStatus(await putManifest(ctx, repo, 'artifact', artifact), [201], 'PUT an artifact manifest');
      await expectManifest(ctx, repo, 'artifact', artifact, 'artifact');
    },
  },
  {
    id: 'manifests.push.artifact-empty-layer',
    title: 'An artifact whose only layer is the empty descriptor is accepted (201) and served',
    spec: '§Pushing Manifests ("the list of blobs MAY be empty"), image-spec manifest.md ("Guidance for an Empty Descriptor")',
    level: 'MUST',
    async run(ctx) {
      const repo = ctx.repo();
      await ctx.pushBlob(repo, EMPTY_CONFIG);
      const artifact = artifactManifest(undefined, ARTIFACT_TYPE, [EMPTY_CONFIG], { 'org.touchstone.nonce': randomUUID() });
      expectStatus(await putManifest(ctx, repo, 'artifact', artifact), [201], 'PUT an artifact with the empty descriptor as its layer');
      await expectManifest(ctx, repo, 'artifact', artifact, 'artifact whose layer is the empty descriptor');
    },
  },
  {
    id: 'manifests.push.subject-missing',
    title: 'A manifest whose subject does not exist yet is accepted (201) and served',
    spec: '§Push ("A registry MUST initially accept an otherwise valid manifest with a subject field that references a manifest that does not exist in the repository")',
    level: 'MUST',
    async run(ctx) {
      const repo = ctx.repo();
      await ctx.pushBlob(repo, EMPTY_CONFIG);
      const referrer = artifactManifest(freshImage().manifest, ARTIFACT_TYPE, [EMPTY_CONFIG], { 'org.touchstone.nonce': randomUUID() });
      expectStatus(await putManifest(ctx, repo, referrer.digest, referrer), [201], 'PUT a manifest whose subject was never pushed');
      await expectManifest(ctx, repo, referrer.digest, referrer, 'manifest with a missing subject');
    },
  },
  {
    id: 'manifests.push.subject-header',
    title: 'A registry with the referrers API answers a manifest with a subject with OCI-Subject: <subject digest>',
    spec: '§Pushing Manifests with Subject ("a registry implementation that supports the referrers API MUST respond with the response header OCI-Subject: <subject digest>")',
    level: 'MUST',
    requires: ['referrers'],
    async run(ctx) {
      const { repo, manifest } = await pushedImage(ctx);
      await ctx.pushBlob(repo, EMPTY_CONFIG);
      for (const [subject, which] of [[manifest, 'an existing subject'], [freshImage().manifest, 'a subject not pushed yet']] as const) {
        const referrer = artifactManifest(subject, ARTIFACT_TYPE, [EMPTY_CONFIG], { 'org.touchstone.nonce': randomUUID() });
        const reply = await putManifest(ctx, repo, referrer.digest, referrer);
        expectStatus(reply, [201], `PUT a manifest with ${which}`);
        const header = reply.header('oci-subject');
        ensure(header === subject.digest, `PUT a manifest with ${which}: OCI-Subject ${header === undefined ? 'missing' : JSON.stringify(header)}, expected ${subject.digest}`, reply);
      }
    },
  },
  {
    id: 'manifests.push.docker-manifest',
    title: 'A Docker schema2 manifest is accepted (201) and served with the same bytes and Content-Type',
    spec: '§Pushing Manifests (end-7: "exact byte representation"), §Pulling manifests (Content-Type SHOULD match; Docker schema2 is what clients still push: docs/clients.md#manifests-and-indexes)',
    level: 'SHOULD',
    nonNormative: true,
    async run(ctx) {
      const repo = ctx.repo();
      const seed = randomUUID();
      const config = dockerConfig(seed);
      const layer = dockerLayer(seed);
      for (const blob of [config, layer]) await ctx.pushBlob(repo, blob);
      const manifest = dockerManifest(config, [layer]);
      expectStatus(await putManifest(ctx, repo, 'docker', manifest), [201], 'PUT a Docker schema2 manifest');
      const reply = await expectManifest(ctx, repo, 'docker', manifest, 'Docker schema2 manifest');
      ensure(bareType(reply.header('content-type')) === DOCKER_MANIFEST, `GET Docker schema2 manifest: Content-Type ${reply.header('content-type') ?? 'none'}, pushed as ${DOCKER_MANIFEST}`, reply);
    },
  },
  {
    id: 'manifests.push.docker-manifest-list',
    title: 'A Docker manifest list is accepted (201) and served with the same bytes and Content-Type',
    spec: '§Pushing Manifests (end-7: "exact byte representation"), §Pulling manifests (Content-Type SHOULD match; Docker lists are what clients still push: docs/clients.md#manifests-and-indexes)',
    level: 'SHOULD',
    nonNormative: true,
    async run(ctx) {
      const repo = ctx.repo();
      const children: Content[] = [];
      for (const seed of [randomUUID(), randomUUID()]) {
        const config = dockerConfig(seed);
        const layer = dockerLayer(seed);
        for (const blob of [config, layer]) await ctx.pushBlob(repo, blob);
        const child = dockerManifest(config, [layer]);
        await ctx.pushManifest(repo, child.digest, child);
        children.push(child);
      }
      const list = dockerManifestList(children);
      expectStatus(await putManifest(ctx, repo, 'list', list), [201], 'PUT a Docker manifest list');
      const reply = await expectManifest(ctx, repo, 'list', list, 'Docker manifest list');
      ensure(bareType(reply.header('content-type')) === DOCKER_MANIFEST_LIST, `GET Docker manifest list: Content-Type ${reply.header('content-type') ?? 'none'}, pushed as ${DOCKER_MANIFEST_LIST}`, reply);
    },
  },
  {
    id: 'manifests.push.sha512',
    title: 'A manifest pushed by its sha512 digest, once accepted (201), is served by that digest',
    spec: '§Pushing Manifests (end-7: Docker-Content-Digest "MUST be equal to the client provided digest"); image-spec §Digests (sha512 MAY)',
    level: 'MUST',
    requires: ['sha512'],
    async run(ctx) {
      const repo = ctx.repo();
      const image = freshImage();
      await pushBlobsOf(ctx, repo, image);
      const manifest = content(image.manifest.bytes, OCI_MANIFEST, 'sha512');
      const reply = await putManifest(ctx, repo, manifest.digest, manifest);
      if (reply.status >= 400 && reply.status < 500) ctx.skip(`the registry does not accept sha512 manifests (PUT /manifests/sha512:… answered ${reply.status})`);
      expectStatus(reply, [201], `PUT /manifests/${manifest.digest.slice(0, 20)}…`);
      const header = reply.header('docker-content-digest');
      ensure(header === undefined || header === manifest.digest, `PUT by sha512 digest: Docker-Content-Digest ${header} is not the digest pushed (${manifest.digest.slice(0, 20)}…)`, reply);
      await expectManifest(ctx, repo, manifest.digest, manifest, 'by its sha512 digest');
    },
  },
  {
    id: 'manifests.push.tag-move',
    title: 'Pushing another manifest under an existing tag moves the tag; the old manifest stays pullable by digest',
    spec: '§Definitions ("Tag: a custom, human-readable pointer to a manifest"), §Pulling manifests (end-3: an existing manifest "MUST" be provided)',
    level: 'MUST',
    async run(ctx) {
      const { repo, manifest: old } = await pushedImage(ctx, 'moving');
      const next = freshImage();
      await ctx.pushImage(repo, 'moving', next.config, next.layers, next.manifest);
      const reply = await expectManifest(ctx, repo, 'moving', next.manifest, 'the moved tag');
      const header = reply.header('docker-content-digest');
      ensure(header === undefined || header === next.manifest.digest, `GET the moved tag: Docker-Content-Digest ${header}, expected the new manifest ${next.manifest.digest}`, reply);
      await expectManifest(ctx, repo, old.digest, old, 'the manifest the tag moved away from');
    },
  },
  {
    id: 'manifests.push.concurrent-tags',
    title: `${CONCURRENT_TAGS} tags pushed to one repository at the same time all stay: every PUT answered 201 leaves its tag pullable`,
    spec: '§Pushing Manifests (end-7: 201 Created for the tag), §Pulling manifests (end-3: an existing manifest "MUST" be provided): concurrent pushes must not lose one another',
    level: 'MUST',
    async run(ctx) {
      const { repo, manifest } = await pushedImage(ctx, 'first');
      const tags = Array.from({ length: CONCURRENT_TAGS }, (_, i) => `at-once-${i}`);
      // Two waves: the second starts as soon as the first answer arrives, while the rest of the
      // first wave is still being written, so pushes overlap however the registry queues them.
      const half = tags.length / 2;
      const first = tags.slice(0, half).map((tag) => putManifest(ctx, repo, tag, manifest));
      await Promise.race(first);
      const second = tags.slice(half).map((tag) => putManifest(ctx, repo, tag, manifest));
      const pushes = await Promise.all([...first, ...second]);
      pushes.forEach((reply, i) => expectStatus(reply, [201], `PUT tag ${tags[i]} (one of ${tags.length} pushed at once)`));
      const heads = await Promise.all(tags.map((tag) => ctx.request('HEAD', `/v2/${repo}/manifests/${tag}`, { headers: ACCEPT_MANIFESTS })));
      const lost = tags.filter((_, i) => heads[i]?.status !== 200);
      ensure(lost.length === 0, `after ${tags.length} tags were pushed at once (each answered 201), HEAD of ${lost.length} answers 404 or worse: ${lost.join(', ')} (a lost index update?)`, heads.find((reply) => reply.status !== 200));
    },
  },
  {
    id: 'manifests.push.tags-param',
    title: 'PUT by digest with ?tag=a&tag=b answers 201 with one OCI-Tag per tag; each tag then resolves to the digest',
    spec: '§Pushing Manifests (end-7b: "the registry MAY support the pushing of tags specified by addition of tag query parameters. If a registry supports this, it MUST" answer OCI-Tag for each)',
    level: 'MUST',
    since: 'main',
    async run(ctx) {
      const repo = ctx.repo();
      const image = freshImage();
      await pushBlobsOf(ctx, repo, image);
      const tags = ['first', 'second'];
      const { digest } = image.manifest;
      const reply = await putManifest(ctx, repo, `${digest}?${tags.map((tag) => `tag=${tag}`).join('&')}`, image.manifest);
      expectStatus(reply, [201], `PUT /manifests/<digest>?tag=${tags.join('&tag=')}`);
      const answered = headerValues(reply, 'oci-tag');
      if (answered.length === 0) ctx.skip('the registry does not support ?tag= on a push by digest (no OCI-Tag header: clients push each tag separately)');
      for (const tag of tags) ensure(answered.includes(tag), `PUT ?tag=${tags.join('&tag=')}: no OCI-Tag header for ${tag} (got ${answered.join(', ')})`, reply);
      for (const tag of tags) await expectManifest(ctx, repo, tag, image.manifest, `tag ${tag} pushed with ?tag=`);
    },
  },
]);
