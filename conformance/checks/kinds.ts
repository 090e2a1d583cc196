/**
 * Kinds of content the official suite's main branch pushes (its OCI_DATA_* data sets) and the
 * other checks do not: a descriptor's `data` field, unknown fields and annotations, an image with
 * no layers, an empty index, uncompressed layers, non-distributable layers never uploaded, a
 * manifest with many layers, an index of artifacts and an index with a subject. Expectations are
 * data: each kind is a row — what to push (blobs, then manifests children first, the last under a
 * tag), the statement it exercises, its level, and whether the registry may refuse it — and one
 * check per row runs the same API matrix on it: the PUT answers 201 (or, where the spec lets the
 * registry refuse, 400 MANIFEST_BLOB_UNKNOWN), then GET and HEAD by tag and by digest of the top
 * manifest, and GET by digest of every child, serve exactly the bytes pushed ("The registry MUST
 * store the manifest in the exact byte representation provided by the client", end-7), with
 * Docker-Content-Digest and Content-Length, when present, naming them; the blobs pushed are served
 * byte for byte, and a blob never uploaded is 404 (end-2). A row may add its own expectation (referrers of an index with a subject).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { CheckFailure } from '../client/errors.ts';
import { ensure, expectBody, expectDigestHeaderIfPresent, expectErrorCode, expectLengthIfPresent, expectStatus } from '../client/expect.ts';
import { ACCEPT_MANIFESTS, nextLink } from '../client/headers.ts';
import { EMPTY_CONFIG, artifactManifest, content, descriptor, imageConfig, imageIndex, imageManifest, randomBlob, type Content } from '../content.ts';
import { OCI_CONFIG, OCI_INDEX, OCI_LAYER_TAR_GZIP, OCI_MANIFEST } from '../../spec/media-types.ts';
import type { Capability } from '../config.ts';
import type { CheckContext } from './context.ts';
import { defineChecks, type Check, type Level } from './types.ts';

const OCI_LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';
const NONDISTRIBUTABLE_TAR_GZIP = 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip';
const NONDISTRIBUTABLE_TAR = 'application/vnd.oci.image.layer.nondistributable.v1.tar';
const ARTIFACT_TYPE = 'application/vnd.touchstone.kind.v1';
const PAYLOAD_TYPE = 'application/vnd.touchstone.payload.v1';
/** Layers of the many-layers image: past the 127 some runtimes stack, far under 4 MB of manifest. */
const MANY_LAYERS = 130;
/** Blobs pulled back per kind: all of them up to this many, else the first and the last. */
const BLOBS_PULLED = 8;
/** Blob pushes in flight at once (each its own POST and PUT, as clients push layers in parallel). */
const PUSHES_IN_FLIGHT = 8;

/** What a kind pushes: blobs first, then manifests in order (children by digest, the last under a tag). */
interface Built {
  readonly blobs: readonly Content[];
  readonly manifests: readonly Content[];
  /** Blobs the manifests reference but the client never uploads (non-distributable layers). */
  readonly absent?: readonly Content[];
}

interface Kind {
  readonly id: string;
  readonly title: string;
  readonly spec: string;
  readonly level: Level;
  readonly requires?: readonly Capability[];
  /** The spec lets the registry refuse the top manifest with MANIFEST_BLOB_UNKNOWN. */
  readonly mayRefuse?: boolean;
  build(): Built;
  /** An expectation of this kind beyond the API matrix. */
  also?(ctx: CheckContext, repo: string, built: Built): Promise<string | void>;
}

/** A small tar archive of one file, uncompressed: a real layer, unlike random bytes. */
function tarLayer(text: string, mediaType = OCI_LAYER_TAR): Content {
  const header = Buffer.alloc(512);
  const body = Buffer.from(text);
  header.write('touchstone.txt', 0, 'utf8');
  header.write('0000644\0', 100, 'utf8');
  header.write('0000000\0', 108, 'utf8');
  header.write('0000000\0', 116, 'utf8');
  header.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124, 'utf8');
  header.write('00000000000\0', 136, 'utf8');
  header.write('0', 156, 'utf8');
  header.write('ustar\u000000', 257, 'utf8');
  header.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'utf8');
  const padding = Buffer.alloc((512 - (body.length % 512)) % 512);
  return content(Buffer.concat([header, body, padding, Buffer.alloc(1024)]), mediaType);
}

/** A fresh image: random config, `layers` fresh layers of `mediaType`, optional manifest fields. */
function image(layers = 1, mediaType = OCI_LAYER_TAR_GZIP): Built & { manifests: [Content] } {
  const config = imageConfig(randomUUID());
  const blobs = Array.from({ length: layers }, () => (mediaType === OCI_LAYER_TAR ? tarLayer(randomUUID()) : randomBlob(64, mediaType)));
  return { blobs: [config, ...blobs], manifests: [imageManifest(config, blobs)] };
}

/** JSON of `body` with an extra member of a random name: a field no spec defines. */
function withUnknownField(body: Record<string, unknown>): string {
  return JSON.stringify({ ...body, [`org.touchstone.${randomBytes(4).toString('hex')}`]: randomUUID() });
}

const KINDS: readonly Kind[] = [
  {
    id: 'data-field',
    title: 'An image whose descriptors embed their content in `data` is accepted (201) and served byte for byte',
    spec: 'image-spec descriptor.md ("data": "an embedded representation of the referenced content", base64), §Pushing Manifests (end-7: "MUST store the manifest in the exact byte representation provided by the client")',
    level: 'MUST',
    build() {
      const config = imageConfig(randomUUID());
      const layer = randomBlob(48);
      const body = {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: descriptor(config, { data: config.bytes.toString('base64') }),
        layers: [descriptor(layer, { data: layer.bytes.toString('base64') })],
      };
      return { blobs: [config, layer], manifests: [content(JSON.stringify(body), OCI_MANIFEST)] };
    },
  },
  {
    id: 'custom-fields',
    title: 'An index, images and config with fields no spec defines and custom annotations are accepted (201) and served byte for byte',
    spec: 'image-spec considerations.md ("Extensibility": implementations "MUST NOT generate an error if they encounter an unknown property"), §Pushing Manifests (end-7: "exact byte representation")',
    level: 'MUST',
    build() {
      const blobs: Content[] = [];
      const children = ['amd64', 'arm64'].map((architecture) => {
        const config = content(withUnknownField({ architecture, os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, seed: randomUUID() }), OCI_CONFIG);
        const layer = randomBlob(64);
        blobs.push(config, layer);
        const body = { schemaVersion: 2, mediaType: OCI_MANIFEST, config: descriptor(config), layers: [descriptor(layer, { annotations: { 'org.touchstone.layer': architecture } })], annotations: { 'org.touchstone.custom': 'x\u00e9' } };
        return content(withUnknownField(body), OCI_MANIFEST);
      });
      const body = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: children.map((c) => descriptor(c, { 'org.touchstone.descriptor-field': true })), annotations: { 'org.touchstone.custom': 'index' } };
      return { blobs, manifests: [...children, content(withUnknownField(body), OCI_INDEX)] };
    },
  },
  {
    id: 'no-layers',
    title: 'An image manifest whose layers are an empty list is accepted (201) and served byte for byte',
    spec: 'image-spec manifest.md ("layers": "For portability, layers SHOULD have at least one entry": none is valid), §Pushing Manifests (end-7: "exact byte representation")',
    level: 'MUST',
    build: () => image(0),
  },
  {
    id: 'empty-index',
    title: 'An image index whose manifests are an empty list is accepted (201) and served byte for byte',
    spec: 'image-spec image-index.md ("manifests": a list of descriptors; an empty list is valid), §Pushing Manifests (end-7: "exact byte representation")',
    level: 'MUST',
    build: () => ({ blobs: [], manifests: [imageIndex([], { annotations: { 'org.touchstone.nonce': randomUUID() } })] }),
  },
  {
    id: 'uncompressed-layers',
    title: 'An image of uncompressed layers (application/vnd.oci.image.layer.v1.tar) is accepted (201) and served, layers byte for byte',
    spec: 'image-spec layer.md ("Layer Changesets for the media type application/vnd.oci.image.layer.v1.tar MUST be packaged in tar archive": the uncompressed layer), §Pushing Manifests (end-7: "exact byte representation")',
    level: 'MUST',
    build: () => image(2, OCI_LAYER_TAR),
  },
  {
    id: 'non-distributable',
    title: 'An image whose non-distributable layers (with urls) were never uploaded is accepted, or refused with MANIFEST_BLOB_UNKNOWN',
    spec: 'image-spec layer.md ("Non-distributable layers … are typically downloaded directly from a distributor but never uploaded"), §Push ("A registry MAY reject a manifest … that reference … blobs that do not exist … it MUST result in one or more MANIFEST_BLOB_UNKNOWN errors")',
    level: 'MUST',
    mayRefuse: true,
    build() {
      const config = imageConfig(randomUUID());
      const foreign = [randomBlob(256, NONDISTRIBUTABLE_TAR_GZIP), randomBlob(256, NONDISTRIBUTABLE_TAR)];
      const local = randomBlob(128);
      const layers = [...foreign.map((f) => descriptor(f, { urls: [`https://store.example.com/blobs/${f.digest.replace(':', '/')}`] })), descriptor(local)];
      const body = { schemaVersion: 2, mediaType: OCI_MANIFEST, config: descriptor(config), layers };
      return { blobs: [config, local], manifests: [content(JSON.stringify(body), OCI_MANIFEST)], absent: foreign };
    },
  },
  {
    id: 'many-layers',
    title: `An image of ${MANY_LAYERS} layers is accepted (201) and served byte for byte`,
    spec: '§Pushing Manifests ("SHOULD expect to be able to support manifest pushes of at least 4 megabytes": this one is far smaller; end-7 "exact byte representation")',
    level: 'SHOULD',
    build: () => image(MANY_LAYERS),
  },
  {
    id: 'artifact-index',
    title: 'An index with an artifactType whose children are artifacts is accepted (201) and served byte for byte',
    spec: 'image-spec image-index.md ("artifactType" of an index; children may be artifacts), §Pushing Manifests (end-7: "exact byte representation")',
    level: 'MUST',
    build() {
      const payloads = [randomBlob(64, PAYLOAD_TYPE), randomBlob(64, PAYLOAD_TYPE)];
      const children = payloads.map((payload) => imageManifest(EMPTY_CONFIG, [payload], { artifactType: ARTIFACT_TYPE }));
      return { blobs: [EMPTY_CONFIG, ...payloads], manifests: [...children, imageIndex(children, { artifactType: ARTIFACT_TYPE })] };
    },
  },
  {
    id: 'index-subject',
    title: 'An index with a subject is accepted (201), served byte for byte, and listed among the subject\'s referrers',
    spec: '§Pushing Manifests with Subject ("When processing a request for an image manifest or image index with the subject field"), §Listing Referrers (end-12a), end-7 "exact byte representation"',
    level: 'MUST',
    build() {
      const subject = image(1);
      const [subjectManifest] = subject.manifests;
      const child = artifactManifest(undefined, ARTIFACT_TYPE, [EMPTY_CONFIG], { 'org.touchstone.nonce': randomUUID() });
      const referrer = imageIndex([child], { artifactType: ARTIFACT_TYPE, subject: descriptor(subjectManifest), annotations: { 'org.touchstone.nonce': randomUUID() } });
      return { blobs: [...subject.blobs, EMPTY_CONFIG], manifests: [subjectManifest, child, referrer] };
    },
    async also(ctx, repo, built) {
      if (!ctx.config.capabilities.referrers) return 'referrers not checked: the registry is declared without them';
      const [subject, , referrer] = built.manifests as [Content, Content, Content];
      let url: string | undefined = `/v2/${repo}/referrers/${subject.digest}`;
      for (let page = 1; url !== undefined && page <= 20; page += 1) {
        const reply = await ctx.request('GET', url);
        expectStatus(reply, [200], `GET ${url}`);
        const listed = reply.json<{ manifests?: { digest?: unknown; artifactType?: unknown }[] }>()?.manifests ?? [];
        const found = listed.find((d) => d.digest === referrer.digest);
        if (found !== undefined) {
          ensure(found.artifactType === ARTIFACT_TYPE, `the index with a subject is listed with artifactType ${JSON.stringify(found.artifactType)}, expected ${ARTIFACT_TYPE}`, reply);
          return 'listed among the referrers of its subject';
        }
        url = nextLink(reply, `GET ${url}`);
      }
      throw new CheckFailure(`the index with a subject ${referrer.digest} is not among the referrers of ${subject.digest}`);
    },
  },
];

/** PUT a manifest with its media type; the reply, not yet judged. */
function put(ctx: CheckContext, repo: string, reference: string, manifest: Content) {
  return ctx.request('PUT', `/v2/${repo}/manifests/${reference}`, { body: manifest.bytes, headers: { 'Content-Type': manifest.mediaType } });
}

/** GET and HEAD of `reference` serve `manifest`: 200, the exact bytes (GET), truthful digest and length. */
async function expectServed(ctx: CheckContext, repo: string, reference: string, manifest: Content, methods: readonly string[]): Promise<void> {
  for (const method of methods) {
    const reply = await ctx.request(method, `/v2/${repo}/manifests/${reference}`, { headers: ACCEPT_MANIFESTS });
    const what = `${method} /v2/${repo}/manifests/${reference}`;
    expectStatus(reply, [200], what);
    if (method === 'GET') expectBody(reply, manifest.bytes, what);
    expectDigestHeaderIfPresent(reply, manifest.bytes, what);
    expectLengthIfPresent(reply, manifest.size, what);
  }
}

async function runKind(kind: Kind, ctx: CheckContext): Promise<string> {
  const repo = ctx.repo(kind.id);
  const built = kind.build();
  const queue = [...built.blobs];
  await Promise.all(Array.from({ length: PUSHES_IN_FLIGHT }, async () => {
    for (let blob = queue.shift(); blob !== undefined; blob = queue.shift()) await ctx.pushBlob(repo, blob);
  }));
  const top = built.manifests.at(-1) as Content;
  for (const child of built.manifests.slice(0, -1)) await ctx.pushManifest(repo, child.digest, child);
  const reply = await put(ctx, repo, kind.id, top);
  if (kind.mayRefuse && reply.status === 400) {
    expectErrorCode(reply, ['MANIFEST_BLOB_UNKNOWN'], `PUT ${kind.id} refused`);
    return 'refused with MANIFEST_BLOB_UNKNOWN (allowed: its blobs were never uploaded)';
  }
  expectStatus(reply, kind.mayRefuse ? [201, 400] : [201], `PUT the ${kind.id} manifest by tag`);
  expectDigestHeaderIfPresent(reply, top.bytes, `PUT the ${kind.id} manifest`);
  await expectServed(ctx, repo, kind.id, top, ['GET', 'HEAD']);
  await expectServed(ctx, repo, top.digest, top, ['GET', 'HEAD']);
  for (const child of built.manifests.slice(0, -1)) await expectServed(ctx, repo, child.digest, child, ['GET']);
  const pulled = built.blobs.length <= BLOBS_PULLED ? built.blobs : [built.blobs[0] as Content, built.blobs.at(-1) as Content];
  for (const blob of pulled) {
    const got = await ctx.request('GET', `/v2/${repo}/blobs/${blob.digest}`);
    expectStatus(got, [200], `GET blob ${blob.digest} of the ${kind.id} image`);
    expectBody(got, blob.bytes, `GET blob ${blob.digest} (${blob.mediaType})`);
  }
  for (const blob of built.absent ?? []) {
    // Never uploaded: the registry has no such blob in the repository (end-2: "MUST be 404").
    expectStatus(await ctx.request('HEAD', `/v2/${repo}/blobs/${blob.digest}`), [404], `HEAD of the non-distributable layer ${blob.digest}, never uploaded`);
  }
  const note = kind.mayRefuse ? 'accepted (201) and served byte for byte' : `served byte for byte (${built.manifests.length} manifests, ${built.blobs.length} blobs)`;
  const extra = kind.also ? await kind.also(ctx, repo, built) : undefined;
  return extra ? `${note}; ${extra}` : note;
}

/** The check id of a kind: manifests.kind.<kind>. */
export const kindCheckId = (kind: string): string => `manifests.kind.${kind}`;

export default defineChecks(KINDS.map((kind): Check => ({
  id: kindCheckId(kind.id),
  title: kind.title,
  spec: kind.spec,
  level: kind.level,
  ...(kind.requires ? { requires: kind.requires } : {}),
  run: (ctx) => runKind(kind, ctx),
})));
