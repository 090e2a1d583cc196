/**
 * Garbage collection. The spec says nothing of GC, so these checks hold a registry to the rules
 * of docs/gc.md, what makes GC safe and useful, with the same notion of "reachable" as the
 * property layer (model/gc-expectations.ts): tags → index children, nested → configs and layers;
 * referrers of kept manifests, to a fixed point; anything younger than the grace period. Safety
 * (MUST: a registry that loses what a client can still pull breaks §Pulling manifests and
 * §Pulling blobs): a young blob uploaded for a manifest not pushed yet, an upload in progress, a
 * tagged image, the untagged children of a tagged index (CNCF Distribution 2.8.2
 * `garbage-collect --delete-untagged` deletes them: docs/deviations.md#cncf-distribution-282), a
 * nested index, a layer shared with a deleted image, a referrer of a tagged image. Reclaim
 * (SHOULD, only when the run declares that the registry reclaims): an unreferenced blob, the
 * unique blobs of a deleted manifest, an untagged manifest nothing reaches, an abandoned upload
 * (Distribution 2.8.2 never removes them). Each check pushes into fresh repositories everything
 * it asserts on before the collection, which is registry-wide. "Past the grace period" is one
 * advanced collection (model/collect.ts advanceFor), or a plain one when the registry has no grace
 * period (a reclaim check first waits the model's margin); a check needing old items skips
 * otherwise. A trigger that fails is a harness error, not a registry's.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CheckFailure, HarnessError } from '../client/errors.ts';
import { expectBody, expectStatus } from '../client/expect.ts';
import { ACCEPT_MANIFESTS } from '../client/headers.ts';
import { locationOf, openUpload, OCTET, patchChunk, putClose } from '../client/protocol.ts';
import type { Reply } from '../client/registry-client.ts';
import { EMPTY_CONFIG, artifactManifest, imageConfig, imageIndex, imageManifest, randomBlob, type Content } from '../content.ts';
import type { GcTrigger } from '../config.ts';
import { advanceFor } from '../model/collect.ts';
import { RECLAIM_MARGIN_MS } from '../model/gc-expectations.ts';
import { expectServed } from './blobs.ts';
import type { CheckContext } from './context.ts';
import { defineChecks } from './types.ts';

/** The rule of docs/gc.md a check holds the registry to (the spec says nothing of GC). */
export const gcRule = (section: string): string => `docs/gc.md#${section} (GC is outside the spec)`;
const PULLABLE = '§Pulling manifests (end-3) and §Pulling blobs (end-2): a manifest that is still there, and the config and layers it references, must stay pullable';

/** Chunks of an upload left open are at least this big, or OCI-Chunk-Min-Length when larger. */
const CHUNK = 1024;
/** A registry asking for chunks larger than this is not given an upload to keep open (memory). */
const MAX_CHUNK = 16 * 1024 * 1024;

const SIGNATURE = 'application/vnd.touchstone.signature.v1';

/** A garbage collection this check can run, and how it ran (for the pass note). */
export interface Collection {
  run(): Promise<void>;
  readonly how: string;
}

/** What a check expects to find (or not) after the collection, and why. */
interface Item {
  readonly kind: 'blob' | 'manifest';
  readonly repo: string;
  readonly content: Content;
  /** A tag, for a manifest GET by tag; the digest otherwise. */
  readonly reference?: string;
  readonly why: string;
}

interface Image {
  readonly config: Content;
  readonly layers: readonly Content[];
  readonly manifest: Content;
}

export function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}

/** A short span in milliseconds, a long one in seconds. */
export function duration(ms: number): string {
  return ms < 10_000 ? `${ms} ms` : seconds(ms);
}

export function triggerOf(ctx: CheckContext): GcTrigger {
  const { trigger } = ctx.config.gc;
  if (trigger === undefined) ctx.skip('no way to make the registry collect garbage: use --gc-command CMD');
  return trigger;
}

/** Runs the trigger; a trigger that fails is the harness's problem (error), not the registry's. */
export function collection(trigger: GcTrigger, advanceMs: number, how: string): Collection {
  return {
    how,
    async run() {
      try {
        await trigger.run(advanceMs);
      } catch (error) {
        if (error instanceof HarnessError) throw error;
        throw new HarnessError(`the GC trigger (${trigger.description}) failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
  };
}

/** A collection on the real clock, which must see what the check just pushed as young. */
function youngCollection(ctx: CheckContext): Collection {
  const trigger = triggerOf(ctx);
  if (ctx.config.gc.graceMs === 0) ctx.skip('the registry has no grace period (0 s): nothing it holds is young');
  return collection(trigger, 0, `a collection on the real clock, within the grace period of ${seconds(ctx.config.gc.graceMs)}`);
}

/**
 * A collection that must see what the check just pushed as older than the grace period: advanced
 * past it when the trigger can, else a plain one when there is no grace period. What must be
 * reclaimed is old only by RECLAIM_MARGIN_MS (the clocks of two machines, a registry's rounding:
 * the model's rule), so before a plain collection a reclaim check waits that long.
 */
function pastGraceCollection(ctx: CheckContext, purpose: 'keep' | 'reclaim'): Collection {
  const trigger = triggerOf(ctx);
  const { gc } = ctx.config;
  if (trigger.canAdvance) return collection(trigger, advanceFor(gc), `a collection as if ${seconds(advanceFor(gc))} had passed`);
  if (gc.graceMs > 0) ctx.skip(`the registry's grace period is ${seconds(gc.graceMs)} and its GC trigger cannot pretend time passed`);
  const plain = collection(trigger, 0, 'a collection on the real clock (no grace period)');
  if (purpose === 'keep') return plain;
  return {
    how: `${plain.how}, ${seconds(RECLAIM_MARGIN_MS)} after the pushes`,
    async run() {
      await sleep(RECLAIM_MARGIN_MS);
      await plain.run();
    },
  };
}

/**
 * Reclaim checks run only with a trigger and when the run declares that the registry reclaims
 * (and, for manifests, untagged ones): skipped in that order.
 */
function expectingReclaims(ctx: CheckContext, what: 'garbage' | 'untagged manifests'): void {
  triggerOf(ctx);
  const { gc } = ctx.config;
  if (!gc.expectReclaims) ctx.skip('the run does not declare that the registry reclaims garbage (--expect-gc-reclaims)');
  if (what === 'untagged manifests' && !gc.reclaimsUntagged) ctx.skip('the run does not declare that the registry reclaims untagged manifests (--gc-reclaims-untagged)');
}

function requireManifestDeletes(ctx: CheckContext): void {
  if (!ctx.config.capabilities.manifestDeletes) ctx.skip('registry declared without: manifestDeletes (the check deletes a manifest before collecting)');
}

function newImage(seed: string, layers: readonly Content[] = [randomBlob(512)]): Image {
  const config = imageConfig(`gc ${seed} ${layers.map((l) => l.digest).join(' ')}`);
  return { config, layers, manifest: imageManifest(config, layers) };
}

/** Pushes config, layers and manifest, under `reference` (a tag, or by digest when omitted). */
async function pushImage(ctx: CheckContext, repo: string, image: Image, reference = image.manifest.digest): Promise<void> {
  await ctx.pushImage(repo, reference, image.config, image.layers, image.manifest);
}

interface SharedLayer {
  readonly shared: Content;
  readonly deleted: Image;
  readonly kept: Image;
}

/**
 * Two images sharing a layer, tagged "deleted" and "kept"; then DELETE of the first by digest
 * (skipped when the registry does not answer 202: deletes.manifest.by-digest says why).
 */
async function deleteOneOfTwoSharing(ctx: CheckContext, repo: string, ownLayers: readonly Content[]): Promise<SharedLayer> {
  const shared = randomBlob(800);
  const deleted = newImage('deleted', [shared, ...ownLayers]);
  const kept = newImage('kept', [shared]);
  await pushImage(ctx, repo, deleted, 'deleted');
  await pushImage(ctx, repo, kept, 'kept');
  const reply = await ctx.request('DELETE', `/v2/${repo}/manifests/${deleted.manifest.digest}`);
  if (reply.status !== 202) ctx.skip(`DELETE of a manifest answered ${reply.status}, not 202: see deletes.manifest.by-digest`);
  return { shared, deleted, kept };
}

/** The manifest (by digest), its config and its layers, each with the reason it must stay. */
function imageItems(repo: string, image: Image, why: string): Item[] {
  const digest = image.manifest.digest;
  return [
    { kind: 'manifest', repo, content: image.manifest, why },
    { kind: 'blob', repo, content: image.config, why: `the config of manifest ${digest}, which is ${why}` },
    ...image.layers.map((layer): Item => ({ kind: 'blob', repo, content: layer, why: `a layer of manifest ${digest}, which is ${why}` })),
  ];
}

function describeItem(item: Item): string {
  if (item.kind === 'blob') return `blob ${item.content.digest} of ${item.repo}`;
  return item.reference === undefined ? `manifest ${item.repo}@${item.content.digest}` : `manifest ${item.repo}:${item.reference} (${item.content.digest})`;
}

function fetchItem(ctx: CheckContext, item: Item, method = 'GET'): Promise<Reply> {
  if (item.kind === 'blob') return ctx.request(method, `/v2/${item.repo}/blobs/${item.content.digest}`);
  return ctx.request(method, `/v2/${item.repo}/manifests/${item.reference ?? item.content.digest}`, { headers: ACCEPT_MANIFESTS });
}

/** Each item is still served, byte for byte. */
async function expectKept(ctx: CheckContext, items: readonly Item[]): Promise<void> {
  for (const item of items) {
    const reply = await fetchItem(ctx, item);
    if (reply.status === 404) throw new CheckFailure(`the collection removed ${describeItem(item)}, which had to stay: ${item.why}`, reply.exchange);
    expectStatus(reply, [200], `GET of ${describeItem(item)} after the collection`);
    expectBody(reply, item.content.bytes, `GET of ${describeItem(item)} after the collection`);
  }
}

/** Each item is gone (404). */
async function expectReclaimed(ctx: CheckContext, items: readonly Item[]): Promise<void> {
  for (const item of items) {
    // HEAD too (end-2, end-3: "404 Not Found" when absent): a registry that drops the content but
    // still lists it answers the existence check as if it were there.
    for (const method of ['GET', 'HEAD']) {
      const reply = await fetchItem(ctx, item, method);
      if (reply.status === 200) throw new CheckFailure(`the collection kept ${describeItem(item)}, which should have been reclaimed: ${item.why}${method === 'HEAD' ? ' (HEAD still answers 200)' : ''}`, reply.exchange);
      expectStatus(reply, [404], `${method} of ${describeItem(item)} after the collection`);
    }
  }
}

/**
 * Something young disappeared: a failure while the collection ended within the grace period of
 * `since` (the model's "young"), a skip when the check was too slow to tell.
 */
function lostYoung(ctx: CheckContext, since: number, message: string, reply: Reply): never {
  const elapsed = Date.now() - since;
  if (elapsed >= ctx.config.gc.graceMs) ctx.skip(`the collection ended ${duration(elapsed)} after the push, past the grace period of ${seconds(ctx.config.gc.graceMs)}: nothing was young any more`);
  throw new CheckFailure(message, reply.exchange);
}

/** An upload session with its first chunk sent, and the blob it is meant to become. */
async function sessionWithOneChunk(ctx: CheckContext, repo: string): Promise<{ url: string; blob: Content; sent: number }> {
  const session = await openUpload(ctx.client, repo);
  if (session.minChunk > MAX_CHUNK) ctx.skip(`the registry asks for chunks of at least ${session.minChunk} bytes (OCI-Chunk-Min-Length)`);
  const size = Math.max(CHUNK, session.minChunk);
  const blob = randomBlob(size + 300);
  const url = await patchChunk(ctx.client, session.url, blob.bytes.subarray(0, size), 0, 'setup: first chunk');
  return { url, blob, sent: size };
}

export default defineChecks([
  {
    id: 'gc.safety.young-blob',
    title: 'A blob uploaded for a manifest not pushed yet survives a collection within the grace period; the manifest then pushes',
    spec: `${gcRule('grace-period')}: blobs begin life unreferenced, so young ones stay; §Pushing Manifests (a client pushes the blobs first, then the manifest that "MUST reference any blobs that make up the object")`,
    level: 'MUST',
    async run(ctx) {
      const collect = youngCollection(ctx);
      const repo = ctx.repo('gc-young');
      const image = newImage('young');
      const since = Date.now();
      for (const blob of [image.config, ...image.layers]) await ctx.pushBlob(repo, blob);
      await collect.run();
      for (const blob of [image.config, ...image.layers]) {
        const reply = await ctx.request('GET', `/v2/${repo}/blobs/${blob.digest}`);
        if (reply.status === 404) {
          lostYoung(ctx, since, `the collection removed blob ${blob.digest} of ${repo}, uploaded ${duration(Date.now() - since)} before the collection ended, for a manifest not pushed yet, which had to stay: younger than the grace period (${seconds(ctx.config.gc.graceMs)}), and a client pushes blobs before the manifest that needs them`, reply);
        }
        expectStatus(reply, [200], `GET of young blob ${blob.digest} after the collection`);
        expectBody(reply, blob.bytes, `GET of young blob ${blob.digest} after the collection`);
      }
      const reply = await ctx.request('PUT', `/v2/${repo}/manifests/young`, { body: image.manifest.bytes, headers: { 'Content-Type': image.manifest.mediaType } });
      expectStatus(reply, [201], 'PUT of the manifest whose blobs were uploaded before the collection');
      return collect.how;
    },
  },
  {
    id: 'gc.safety.upload-in-progress',
    title: 'An upload session with one chunk sent survives a collection within the grace period: the next chunk and the PUT are accepted',
    spec: `${gcRule('upload-sessions')}: uploads in progress are young; §Pushing a blob in chunks (end-5: "Each successful chunk upload MUST have a 202 Accepted"; end-6: closing PUT "MUST be 201 Created")`,
    level: 'MUST',
    async run(ctx) {
      const collect = youngCollection(ctx);
      const repo = ctx.repo('gc-upload');
      const since = Date.now();
      const { url, blob, sent } = await sessionWithOneChunk(ctx, repo);
      await collect.run();
      const rest = blob.bytes.subarray(sent);
      const range = `${sent}-${blob.size - 1}`;
      const reply = await ctx.request('PATCH', url, { body: rest, headers: { ...OCTET, 'Content-Range': range, 'Content-Length': String(rest.length) } });
      if (reply.status === 404) {
        lostYoung(ctx, since, `the collection removed upload session ${url} (${sent} bytes sent, more to come), which had to stay: younger than the grace period (${seconds(ctx.config.gc.graceMs)}), the client is still uploading`, reply);
      }
      expectStatus(reply, [202], `PATCH Content-Range ${range} of the upload session after the collection`);
      const close = await putClose(ctx.client, locationOf(ctx.client, reply, 'PATCH after the collection'), blob.digest);
      expectStatus(close, [201], `PUT ?digest=${blob.digest} closing the upload session after the collection`);
      await expectServed(ctx, repo, blob, 'the blob whose upload spanned the collection');
      return collect.how;
    },
  },
  {
    id: 'gc.safety.tagged-image',
    title: 'A tagged image survives a collection past the grace period: manifest by tag and digest, config and layers',
    spec: `${gcRule('roots-and-marking')}; ${PULLABLE}`,
    level: 'MUST',
    async run(ctx) {
      const collect = pastGraceCollection(ctx, 'keep');
      const repo = ctx.repo('gc-tagged');
      const image = newImage('tagged', [randomBlob(700), randomBlob(900)]);
      await pushImage(ctx, repo, image, 'latest');
      await collect.run();
      const why = 'tagged "latest"';
      await expectKept(ctx, [{ kind: 'manifest', repo, content: image.manifest, reference: 'latest', why }, ...imageItems(repo, image, why)]);
      return collect.how;
    },
  },
  {
    id: 'gc.safety.index-children',
    title: 'A tagged index survives a collection past the grace period with its untagged children and their blobs',
    spec: `${gcRule('roots-and-marking')}: a live index keeps its children (CNCF Distribution 2.8.2 garbage-collect --delete-untagged deletes them: docs/deviations.md#cncf-distribution-282); ${PULLABLE}`,
    level: 'MUST',
    async run(ctx) {
      const collect = pastGraceCollection(ctx, 'keep');
      const repo = ctx.repo('gc-index');
      const children = [newImage('amd64'), newImage('arm64')];
      for (const child of children) await pushImage(ctx, repo, child);
      const index = imageIndex(children.map((child) => child.manifest));
      await ctx.pushManifest(repo, 'multi', index);
      await collect.run();
      const why = 'tagged "multi"';
      const childWhy = `untagged, but a child of index ${index.digest}, which is ${why}: pulling the index needs it`;
      await expectKept(ctx, [
        { kind: 'manifest', repo, content: index, reference: 'multi', why },
        { kind: 'manifest', repo, content: index, why },
        ...children.flatMap((child) => imageItems(repo, child, childWhy)),
      ]);
      return collect.how;
    },
  },
  {
    id: 'gc.safety.nested-index',
    title: 'A tagged index → untagged index → untagged image chain survives a collection past the grace period',
    spec: `${gcRule('roots-and-marking')}: marking goes from tags through index children and nested indexes; ${PULLABLE}`,
    level: 'MUST',
    async run(ctx) {
      const collect = pastGraceCollection(ctx, 'keep');
      const repo = ctx.repo('gc-nested');
      const image = newImage('nested');
      await pushImage(ctx, repo, image);
      const inner = imageIndex([image.manifest]);
      await ctx.pushManifest(repo, inner.digest, inner);
      const outer = imageIndex([inner]);
      await ctx.pushManifest(repo, 'nested', outer);
      await collect.run();
      const why = 'tagged "nested"';
      const innerWhy = `untagged, but a child of index ${outer.digest}, which is ${why}`;
      await expectKept(ctx, [
        { kind: 'manifest', repo, content: outer, reference: 'nested', why },
        { kind: 'manifest', repo, content: inner, why: innerWhy },
        ...imageItems(repo, image, `untagged, but a child of index ${inner.digest}, which is ${innerWhy}`),
      ]);
      return collect.how;
    },
  },
  {
    id: 'gc.safety.shared-layer',
    title: 'After one of two images sharing a layer is deleted, a collection past the grace period keeps the other image and the shared layer',
    spec: `${gcRule('roots-and-marking')}; §Deleting Manifests (end-9: only that manifest goes); ${PULLABLE}`,
    level: 'MUST',
    async run(ctx) {
      const collect = pastGraceCollection(ctx, 'keep');
      requireManifestDeletes(ctx);
      const repo = ctx.repo('gc-shared');
      const { shared, deleted, kept } = await deleteOneOfTwoSharing(ctx, repo, [randomBlob(300)]);
      await collect.run();
      const why = `tagged "kept" (it shares layer ${shared.digest} with the deleted manifest ${deleted.manifest.digest})`;
      await expectKept(ctx, [{ kind: 'manifest', repo, content: kept.manifest, reference: 'kept', why }, ...imageItems(repo, kept, why)]);
      return collect.how;
    },
  },
  {
    id: 'gc.safety.referrers',
    title: 'A referrer (pushed by digest, subject = a tagged image) and a referrer of it pushed before it survive a collection past the grace period, and stay listed',
    spec: `${gcRule('referrers')}: referrers of live manifests stay, and the referrers of those, to a fixed point (signatures of live images stay); ${PULLABLE}; §Pushing Manifests with Subject (a subject may be pushed after its referrer); §Listing Referrers (end-12a)`,
    level: 'MUST',
    async run(ctx) {
      const collect = pastGraceCollection(ctx, 'keep');
      const repo = ctx.repo('gc-referrers');
      const image = newImage('signed');
      await pushImage(ctx, repo, image, 'signed');
      const signature = randomBlob(256, SIGNATURE);
      const referrer = artifactManifest(image.manifest, SIGNATURE, [signature]);
      // A signature of the signature, pushed first: live only once its subject is, which a single
      // pass over the repository's manifests in push order does not see.
      const countersignature = randomBlob(128, SIGNATURE);
      const second = artifactManifest(referrer, SIGNATURE, [countersignature]);
      for (const blob of [EMPTY_CONFIG, signature, countersignature]) await ctx.pushBlob(repo, blob);
      await ctx.pushManifest(repo, second.digest, second);
      await ctx.pushManifest(repo, referrer.digest, referrer);
      await collect.run();
      const why = `a referrer of ${image.manifest.digest}, which is tagged "signed"`;
      const whySecond = `a referrer of ${referrer.digest}, which is ${why}`;
      await expectKept(ctx, [
        { kind: 'manifest', repo, content: image.manifest, reference: 'signed', why: 'tagged "signed"' },
        { kind: 'manifest', repo, content: referrer, why },
        { kind: 'blob', repo, content: EMPTY_CONFIG, why: `the config of manifest ${referrer.digest}, which is ${why}` },
        { kind: 'blob', repo, content: signature, why: `a layer of manifest ${referrer.digest}, which is ${why}` },
        { kind: 'manifest', repo, content: second, why: `${whySecond} (pushed before it)` },
        { kind: 'blob', repo, content: countersignature, why: `a layer of manifest ${second.digest}, which is ${whySecond}` },
      ]);
      if (!ctx.config.capabilities.referrers) return `${collect.how}; referrers listing not checked (registry declared without: referrers)`;
      const listing = await ctx.request('GET', `/v2/${repo}/referrers/${image.manifest.digest}`);
      expectStatus(listing, [200], `GET of the referrers of ${image.manifest.digest} after the collection`);
      const listed = listing.json<{ manifests?: { digest?: unknown }[] }>()?.manifests;
      if (!Array.isArray(listed) || !listed.some((d) => d?.digest === referrer.digest)) {
        throw new CheckFailure(`after the collection the referrers of ${image.manifest.digest} in ${repo} no longer list ${referrer.digest}, which had to stay: ${why}`, listing.exchange);
      }
      return collect.how;
    },
  },
  {
    id: 'gc.reclaim.unreferenced-blob',
    title: 'A blob no manifest references is 404 after a collection past the grace period, and can be pushed again with a manifest that uses it',
    spec: `${gcRule('grace-period')}: garbage is reclaimed once the grace period has passed (only when the run declares it); §Pulling blobs (end-2: 404 when absent); §Pushing blobs and manifests (end-4a … end-7: content pushed again is content like any other)`,
    level: 'SHOULD',
    async run(ctx) {
      expectingReclaims(ctx, 'garbage');
      const collect = pastGraceCollection(ctx, 'reclaim');
      const repo = ctx.repo('gc-unreferenced');
      const blob = randomBlob(600);
      await ctx.pushBlob(repo, blob);
      await collect.run();
      await expectReclaimed(ctx, [{ kind: 'blob', repo, content: blob, why: 'referenced by no manifest and older than the grace period' }]);
      // What a collection took must not stay marked as being collected: the same bytes pushed again
      // are a blob like any other, and a manifest may use them.
      const config = imageConfig(`gc again ${repo}`);
      const manifest = imageManifest(config, [blob]);
      await ctx.pushImage(repo, 'again', config, [blob], manifest);
      await expectKept(ctx, [{ kind: 'manifest', repo, content: manifest, reference: 'again', why: 'pushed again after the collection, with the reclaimed blob as its layer' }]);
      return collect.how;
    },
  },
  {
    id: 'gc.reclaim.deleted-manifest',
    title: 'After a manifest is deleted, a collection past the grace period reclaims its own config and layers but keeps a layer a live image shares',
    spec: `${gcRule('roots-and-marking')}: garbage is reclaimed once the grace period has passed (only when the run declares it); §Deleting Manifests (end-9); ${PULLABLE}`,
    level: 'SHOULD',
    async run(ctx) {
      expectingReclaims(ctx, 'garbage');
      const collect = pastGraceCollection(ctx, 'reclaim');
      requireManifestDeletes(ctx);
      const repo = ctx.repo('gc-deleted');
      const unique = randomBlob(400);
      const { shared, deleted, kept } = await deleteOneOfTwoSharing(ctx, repo, [unique]);
      await collect.run();
      const gone = `referenced only by the deleted manifest ${deleted.manifest.digest}, and older than the grace period`;
      await expectReclaimed(ctx, [
        { kind: 'blob', repo, content: deleted.config, why: `the config of a deleted manifest: ${gone}` },
        { kind: 'blob', repo, content: unique, why: `a layer of a deleted manifest: ${gone}` },
      ]);
      await expectKept(ctx, [
        { kind: 'manifest', repo, content: kept.manifest, reference: 'kept', why: 'tagged "kept"' },
        { kind: 'blob', repo, content: shared, why: `a layer of manifest ${kept.manifest.digest}, which is tagged "kept" (the deleted manifest shared it)` },
      ]);
      return collect.how;
    },
  },
  {
    id: 'gc.reclaim.untagged-manifest',
    title: 'An untagged manifest nothing reaches is 404 after a collection past the grace period; an untagged child of a tagged index stays',
    spec: `${gcRule('untagged-manifests')}: untagged manifests are collected only by policy, never the children of a live index (only when the run declares that untagged manifests are reclaimed); §Pulling manifests (end-3)`,
    level: 'SHOULD',
    async run(ctx) {
      expectingReclaims(ctx, 'untagged manifests');
      const collect = pastGraceCollection(ctx, 'reclaim');
      const repo = ctx.repo('gc-untagged');
      const orphan = newImage('orphan');
      await pushImage(ctx, repo, orphan);
      const child = newImage('child');
      await pushImage(ctx, repo, child);
      const index = imageIndex([child.manifest]);
      await ctx.pushManifest(repo, 'index', index);
      await collect.run();
      await expectReclaimed(ctx, [{ kind: 'manifest', repo, content: orphan.manifest, why: 'untagged, reachable from no tag, index or subject, and older than the grace period' }]);
      await expectKept(ctx, [{ kind: 'manifest', repo, content: child.manifest, why: `untagged, but a child of index ${index.digest}, which is tagged "index"` }]);
      return collect.how;
    },
  },
  {
    id: 'gc.reclaim.abandoned-upload',
    title: 'An upload session abandoned after one chunk is gone (404) after a collection past the grace period',
    spec: `${gcRule('upload-sessions')}: idle uploads are reclaimed once the grace period has passed (CNCF Distribution 2.8.2 never removes them: docs/deviations.md#cncf-distribution-282); §Pushing a blob in chunks (end-13: only "an active upload" answers 204)`,
    level: 'SHOULD',
    async run(ctx) {
      expectingReclaims(ctx, 'garbage');
      const collect = pastGraceCollection(ctx, 'reclaim');
      const { url, sent } = await sessionWithOneChunk(ctx, ctx.repo('gc-abandoned'));
      await collect.run();
      const reply = await ctx.request('GET', url);
      if (reply.status >= 200 && reply.status < 300) {
        throw new CheckFailure(`the collection kept upload session ${url} (answered ${reply.status}), which should have been reclaimed: abandoned after ${sent} bytes, never closed, and idle for longer than the grace period`, reply.exchange);
      }
      expectStatus(reply, [404], `GET of the abandoned upload session ${url} after the collection`);
      return collect.how;
    },
  },
]);
