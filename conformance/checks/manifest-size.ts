/**
 * How big a manifest a registry takes, and what a push that never arrives whole leaves behind
 * (spec "Pushing Manifests": "Client and registry implementations SHOULD expect to be able to
 * support manifest pushes of at least 4 megabytes"; "A registry that enforces this limit SHOULD
 * respond to a request to push a manifest over this limit with a response code 413"). A manifest
 * just under 4 MiB is taken; one of exactly 4 MiB is taken or refused with 413 (a limit of
 * 4 MB = 4,000,000 bytes is within the spec), never left unanswered; one of 5 MiB, past the limit
 * zot and Distribution enforce, gets 413, with or without a Content-Length. A registry holds a
 * manifest whole to validate it, so it must give back what a PUT broken off mid-body held: after
 * more such PUTs announcing 4 MiB than a registry would hold at once, a push still gets 201. A
 * descriptor whose size is not its content's (image-spec descriptor.md: "If the length of the
 * retrieved content does not match the specified length, the content SHOULD NOT be trusted") may be
 * refused (400) or taken, as a registry may take a manifest without looking at what it references
 * (§Pushing Manifests: it "MAY reject"), never answered with a server error.
 */
import { BrokenResponse, CheckFailure, HarnessError } from '../client/errors.ts';
import { expectCodeIfJson, expectStatus } from '../client/expect.ts';
import { pieces } from '../client/protocol.ts';
import type { Reply } from '../client/registry-client.ts';
import { content, descriptor, imageIndex, imageManifest, type Content } from '../content.ts';
import { OCI_INDEX, OCI_MANIFEST } from '../../spec/media-types.ts';
import type { CheckContext } from './context.ts';
import { expectManifest, freshImage, pushBlobsOf, putManifest, type Image } from './manifests.ts';
import { defineChecks } from './types.ts';

const MiB = 1024 * 1024;
/** Just under 4 MiB: "SHOULD expect to be able to support manifest pushes of at least 4 megabytes". */
export const LARGE_MANIFEST_BYTES = 4 * MiB - 4096;
/** Clearly above the 4 MiB limit zot and Distribution enforce (docs/deviations.md#cncf-distribution-282). */
const OVERSIZED_MANIFEST_BYTES = 5 * MiB;
/** Broken-off PUTs announcing 4 MiB each: 80 MiB in all, more manifest memory than a registry holds at once (the reference's is 64 MiB). */
const BROKEN_PUTS = 20;
/** What each broken-off PUT sends of its announced 4 MiB before the client goes away. */
const SENT_BEFORE_BREAK = 64 * 1024;
/** A push after the broken ones that meets 429 (the registry still releasing them) is tried again this often, 500 ms apart. */
const ATTEMPTS = 5;

/** An image manifest of exactly `size` bytes: a padding annotation fills it up. */
export function manifestOfSize(image: Pick<Image, 'config' | 'layers'>, size: number): Content {
  const padded = (padding: string): Content => imageManifest(image.config, image.layers, { annotations: { 'org.touchstone.padding': padding } });
  const free = size - padded('').size;
  if (free < 0) throw new HarnessError(`cannot build a manifest of ${size} bytes`);
  return padded('x'.repeat(free));
}

/**
 * A failed request of a huge body: the registry closed the connection instead of answering (while
 * the body was still going out), or broke its answer off.
 */
export function closedEarly(error: unknown): boolean {
  return error instanceof BrokenResponse || (error instanceof HarnessError && /UND_ERR_SOCKET|other side closed|EPIPE|ECONNRESET/.test(error.message));
}

/** PUT a manifest that announces `size` bytes and breaks off after SENT_BEFORE_BREAK; a 2xx for it fails the check. */
async function breakOff(ctx: CheckContext, repo: string, reference: string, manifest: Content): Promise<void> {
  const body = async function* (): AsyncGenerator<Uint8Array> {
    yield manifest.bytes.subarray(0, SENT_BEFORE_BREAK);
    throw new Error('touchstone: the client goes away in the middle of the manifest');
  };
  const reply = await ctx
    .request('PUT', `/v2/${repo}/manifests/${reference}`, { body: body(), headers: { 'Content-Type': OCI_MANIFEST, 'Content-Length': String(manifest.size) } })
    .catch(() => undefined);
  if (reply !== undefined && reply.status < 300) {
    throw new CheckFailure(`a manifest PUT broken off after ${SENT_BEFORE_BREAK} of ${manifest.size} bytes was answered ${reply.status}: the registry answered a manifest it never received whole`, reply.exchange);
  }
}

export default defineChecks([
  {
    id: 'manifests.push.large',
    title: 'A manifest just under 4 MiB is accepted (201) and served; one of exactly 4 MiB is accepted or refused with 413',
    spec: '§Pushing Manifests ("Client and registry implementations SHOULD expect to be able to support manifest pushes of at least 4 megabytes"; "A registry that enforces this limit SHOULD respond to a request to push a manifest over this limit with a response code 413")',
    level: 'SHOULD',
    async run(ctx) {
      const repo = ctx.repo();
      const image = freshImage();
      await pushBlobsOf(ctx, repo, image);
      const manifest = manifestOfSize(image, LARGE_MANIFEST_BYTES);
      expectStatus(await putManifest(ctx, repo, 'large', manifest), [201], `PUT a manifest of ${manifest.size} bytes`);
      await expectManifest(ctx, repo, 'large', manifest, `manifest of ${manifest.size} bytes`);
      const exact = manifestOfSize(image, 4 * MiB);
      const reply = await putManifest(ctx, repo, 'four-mib', exact);
      expectStatus(reply, [201, 413], `PUT a manifest of exactly ${exact.size} bytes (4 MiB)`);
      if (reply.status === 413) return `a manifest of exactly 4 MiB is refused with 413: the registry's limit is between ${manifest.size} bytes and 4 MiB`;
      await expectManifest(ctx, repo, 'four-mib', exact, `manifest of exactly ${exact.size} bytes`);
    },
  },
  {
    id: 'manifests.push.too-large',
    title: 'A manifest above the registry\'s limit (5 MiB) answers 413, never a server error',
    spec: '§Pushing Manifests ("A registry that enforces this limit SHOULD respond to a request to push a manifest over this limit with a response code 413 Payload Too Large")',
    level: 'SHOULD',
    async run(ctx) {
      const repo = ctx.repo();
      const image = freshImage();
      await pushBlobsOf(ctx, repo, image);
      const manifest = manifestOfSize(image, OVERSIZED_MANIFEST_BYTES);
      const reply = await putManifest(ctx, repo, 'oversized', manifest).catch((error: unknown) => {
        if (closedEarly(error)) throw new CheckFailure(`PUT a manifest of ${manifest.size} bytes: the connection closed before a complete answer (expected 413): ${(error as Error).message}`, (error as Partial<BrokenResponse>).exchange);
        throw error;
      });
      if (reply.status === 201) ctx.skip(`the registry accepted a manifest of ${manifest.size} bytes: its limit, if it enforces one, is higher`);
      if (reply.status >= 500) throw new CheckFailure(`PUT a manifest of ${manifest.size} bytes: a server error (${reply.status}) for an oversized manifest, expected 413`, reply.exchange);
      expectStatus(reply, [413], `PUT a manifest of ${manifest.size} bytes`);
      // The same body in chunked transfer coding, without a Content-Length to refuse it by: the
      // limit must hold on the bytes as they arrive.
      const streamed = await ctx.request('PUT', `/v2/${repo}/manifests/oversized-streamed`, { body: pieces(manifest.bytes, 64 * 1024), headers: { 'Content-Type': manifest.mediaType } });
      expectStatus(streamed, [413], `PUT a manifest of ${manifest.size} bytes in chunked transfer coding (no Content-Length), after the same body with one got 413`);
    },
  },
  {
    id: 'manifests.push.after-broken-off',
    title: `After ${BROKEN_PUTS} PUTs of a manifest just under 4 MiB broken off mid-body, the same manifest is still accepted (201)`,
    spec: '§Pushing Manifests ("Client and registry implementations SHOULD expect to be able to support manifest pushes of at least 4 megabytes": a registry that keeps what broken-off pushes held ends up refusing every push)',
    level: 'SHOULD',
    async run(ctx) {
      const repo = ctx.repo();
      const image = freshImage();
      await pushBlobsOf(ctx, repo, image);
      const large = manifestOfSize(image, LARGE_MANIFEST_BYTES);
      for (let i = 0; i < BROKEN_PUTS; i += 1) await breakOff(ctx, repo, `broken-${i}`, large);
      let reply: Reply | undefined;
      for (let attempt = 1; attempt <= ATTEMPTS; attempt += 1) {
        reply = await putManifest(ctx, repo, 'after', large);
        if (reply.status !== 429) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expectStatus(reply as Reply, [201], `PUT the manifest of ${large.size} bytes after ${BROKEN_PUTS} PUTs announcing it broke off${(reply as Reply).status === 429 ? ` (429 on all ${ATTEMPTS} attempts, 500 ms apart)` : ''}`);
      await expectManifest(ctx, repo, 'after', large, 'the manifest pushed after the broken-off PUTs');
    },
  },
  {
    id: 'manifests.push.descriptor-size-mismatch',
    title: 'A manifest whose layer, or index whose child, is described with the wrong size is refused (400) or accepted, never a server error',
    spec: 'image-spec descriptor.md (size: "If the length of the retrieved content does not match the specified length, the content SHOULD NOT be trusted"); §Pushing Manifests (a registry "MAY reject" a manifest whose references it cannot take; failures 400 with MANIFEST_INVALID or MANIFEST_BLOB_UNKNOWN)',
    level: 'MUST',
    async run(ctx) {
      const repo = ctx.repo();
      const image = freshImage();
      await ctx.pushImage(repo, 'latest', image.config, image.layers, image.manifest);
      const [layer] = image.layers as [Content];
      const wrongLayer = imageManifest(image.config, [], { layers: [descriptor(layer, { size: layer.size + 1 })] });
      const wrongChild = content(JSON.stringify({ ...JSON.parse(imageIndex([image.manifest]).bytes.toString()), manifests: [descriptor(image.manifest, { size: image.manifest.size + 1 })] }), OCI_INDEX);
      const answers: string[] = [];
      for (const [reference, manifest, what] of [['wrong-layer', wrongLayer, 'a layer'], ['wrong-child', wrongChild, 'an index child']] as const) {
        const reply = await putManifest(ctx, repo, reference, manifest);
        expectStatus(reply, [201, 400], `PUT a manifest whose descriptor of ${what} says ${what === 'a layer' ? layer.size + 1 : image.manifest.size + 1} bytes, one more than it has`);
        expectCodeIfJson(reply, ['MANIFEST_INVALID', 'MANIFEST_BLOB_UNKNOWN'], `PUT a manifest whose descriptor of ${what} has the wrong size`);
        answers.push(`${what}: ${reply.status}`);
      }
      return answers.join(', ');
    },
  },
]);
