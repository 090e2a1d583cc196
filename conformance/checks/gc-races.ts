/**
 * Manifest pushes racing a collection (docs/gc.md#locking: "A collection must be safe while
 * clients push and delete"). A push checks that the config and layers it references are there,
 * then records the manifest; a collection lists the repository's blobs, marks what is live, then
 * deletes the rest. A push whose check lands between the collection's listing and its deletes
 * must either keep its blobs (the registry holds them for the push) or be refused with
 * MANIFEST_BLOB_UNKNOWN (§Pushing Manifests: the registry "MUST" answer that when a referenced
 * blob is missing, and the client uploads it again), and then one of its blobs is indeed gone; a 201 for a manifest whose blob the
 * collection then deletes serves an image that cannot be pulled (end-2, end-3). The window is as
 * long as the collection's pass over the repository, so the check fills the repository with many
 * small unreferenced blobs and pushes manifests from several lanes while a collection past the
 * grace period runs; every manifest answered 201 must then be pullable with all its blobs. Each
 * push is followed, while in flight, by a decoy: a manifest sharing its layer and referencing a
 * blob never uploaded, refused (MANIFEST_BLOB_UNKNOWN); whatever the registry held for the decoy
 * it lets go then, and a registry that lets go of what it holds for the push too loses the layer.
 * Four more lanes push indexes of an image already pushed: pushes that reference no blob, coming
 * and going among the others, must not make the registry forget what those others hold. It
 * runs with --race-checks (tens of seconds of pushes), and needs a trigger that can collect past
 * the grace period and a registry declared to reclaim (--expect-gc-reclaims). A registry that
 * answers no push while it collects (an offline collection, as CNCF Distribution's garbage-collect)
 * is not raced: the check skips saying so.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CheckFailure, HarnessError } from '../client/errors.ts';
import { expectCodeIfJson, expectStatus } from '../client/expect.ts';
import { ACCEPT_MANIFESTS } from '../client/headers.ts';
import type { Reply } from '../client/registry-client.ts';
import { imageConfig, imageIndex, imageManifest, randomBlob, type Content } from '../content.ts';
import { advanceFor } from '../model/collect.ts';
import { inParallel } from '../model/probe.ts';
import type { GcTrigger } from '../config.ts';
import type { CheckContext } from './context.ts';
import { collection, gcRule, seconds, triggerOf } from './gc.ts';
import { defineChecks } from './types.ts';

/** Unreferenced blobs that make the collection's pass over the repository last. */
const FILLERS = 600;
/** Images (one layer each, one config for all) whose manifests are pushed until the collection ends. */
const IMAGES = 400;
/** Pushes answered before the collection starts. */
const PUSHES_BEFORE_COLLECTION = 8;
/** Pushes in flight at once: a push waiting for the repository the collection holds leaves the others going. */
const PUSH_LANES = 24;
/** Each push lane waits up to this long before each push, so pushes arrive all through the collection. */
const JITTER_MS = 400;
/** Collections, each over a fresh repository: a race is a matter of chance, so it gets several. */
const ROUNDS = 3;
/** Indexes (each of one image already pushed) pushed until the collection ends, from lanes of their own. */
const INDEXES = 400;
const INDEX_LANES = 4;
/** A decoy follows its image's push by this long: it lands while that push is still in flight. */
const DECOY_DELAY_MS = 2;

interface Image {
  readonly config: Content;
  readonly layer: Content;
  readonly manifest: Content;
  /** References the image's layer and a blob never uploaded: always refused, it shares the layer with the push. */
  readonly decoy: Content;
}

/** A blob in one POST ?digest= (end-4b), or a session when the registry answers 202 to that. */
export async function upload(ctx: CheckContext, repo: string, blob: Content): Promise<void> {
  const reply = await ctx.request('POST', `/v2/${repo}/blobs/uploads/?digest=${blob.digest}`, { body: blob.bytes, headers: { 'Content-Type': 'application/octet-stream' } });
  if (reply.status === 202) {
    const location = reply.header('location');
    if (location) await ctx.request('DELETE', ctx.client.resolve(location)).catch(() => undefined);
    await ctx.pushBlob(repo, blob);
    return;
  }
  expectStatus(reply, [201], `setup: POST ?digest=${blob.digest} to ${repo}`);
}

/** The GC trigger of a race check; it skips, saying why, when the run does not race collections. */
export function raceTrigger(ctx: CheckContext, what: string): GcTrigger {
  if (ctx.config.gc.races !== true) ctx.skip(`race checks run with --race-checks (tens of seconds of ${what})`);
  const trigger = triggerOf(ctx);
  if (!ctx.config.gc.expectReclaims) ctx.skip('the run does not declare that the registry reclaims garbage (--expect-gc-reclaims): nothing is deleted to race with');
  return trigger;
}

/** How far ahead a race check's collections run so that what it pushed is past the grace period; skips when they cannot. */
export function pastGrace(ctx: CheckContext, trigger: GcTrigger): number {
  const { gc } = ctx.config;
  if (!trigger.canAdvance && gc.graceMs > 0) ctx.skip(`the registry's grace period is ${seconds(gc.graceMs)} and its GC trigger cannot pretend time passed: nothing the check pushes is old enough to collect`);
  return trigger.canAdvance ? advanceFor(gc) : 0;
}

/** A manifest push refused because a blob it references is not there (§Pushing Manifests: MANIFEST_BLOB_UNKNOWN). */
export function expectBlobUnknown(reply: Reply, what: string): void {
  expectStatus(reply, [400, 404], what);
  expectCodeIfJson(reply, ['MANIFEST_BLOB_UNKNOWN', 'BLOB_UNKNOWN'], what);
}

/** One round: fillers and the images' blobs uploaded, then the manifests pushed across a collection. */
async function round(ctx: CheckContext, run: () => Promise<void>, label: string): Promise<{ pushed: number; refused: number; unanswered: number }> {
  const repo = ctx.repo('gc-race');
  const config = imageConfig(`race ${repo}`);
  const images: Image[] = Array.from({ length: IMAGES }, () => {
    const layer = randomBlob(32);
    return { config, layer, manifest: imageManifest(config, [layer]), decoy: imageManifest(config, [layer, randomBlob(48)]) };
  });
  const fillers = Array.from({ length: FILLERS }, () => randomBlob(16));
  await inParallel([config, ...images.map((image) => image.layer), ...fillers], (blob) => upload(ctx, repo, blob));
  const pushed: (Image & { tag: string })[] = [];
  const refusedImages: Image[] = [];
  let refused = 0;
  let collecting: Promise<void> | undefined;
  let collected = false;
  let unanswered = 0;
  // No answer at all while the registry collects: an offline collection (the registry is down),
  // which no push can race; anything else is the harness's or the registry's error.
  const offline = (error: unknown): undefined => {
    if (!(error instanceof HarnessError) || collecting === undefined) throw error;
    unanswered += 1;
    return undefined;
  };
  const pushing = inParallel(images.map((image, i) => ({ ...image, tag: `race-${i}` })), async (image) => {
    if (collected) return; // the rest are not needed: the collection is over
    await sleep(Math.random() * JITTER_MS);
    // While the push is in flight, a manifest sharing its layer is refused: whatever the registry
    // held for the decoy it lets go, and what it holds for the push must stay held.
    const answers = await Promise.all([
      ctx.request('PUT', `/v2/${repo}/manifests/${image.tag}`, { body: image.manifest.bytes, headers: { 'Content-Type': image.manifest.mediaType } }),
      sleep(DECOY_DELAY_MS).then(() => ctx.request('PUT', `/v2/${repo}/manifests/${image.decoy.digest}`, { body: image.decoy.bytes, headers: { 'Content-Type': image.decoy.mediaType } })),
    ]).catch(offline);
    if (answers === undefined) return;
    const [reply, decoy] = answers;
    expectBlobUnknown(decoy, `PUT a manifest of ${repo} that references a blob never uploaded, while a collection runs`);
    if (reply.status === 201) pushed.push(image);
    else {
      // A blob the collection took first: refused, as a missing blob is (the client uploads it again).
      expectBlobUnknown(reply, `PUT a manifest of ${repo} while a collection runs`);
      refused += 1;
      refusedImages.push(image);
    }
    // The collection starts once the first pushes are in: the rest of the pushes overlap it.
    if (collecting === undefined && !collected && pushed.length + refused >= PUSHES_BEFORE_COLLECTION) {
      collecting = run().finally(() => {
        collected = true;
      });
    }
  }, PUSH_LANES);
  // Indexes of an image already pushed, from lanes of their own: a push that references no blob
  // comes and goes among the others, and must not make the registry forget what they hold.
  const indexing = inParallel(Array.from({ length: INDEXES }, (_, i) => i), async (i) => {
    for (let waited = 0; pushed.length === 0 && !collected && waited < JITTER_MS * 10; waited += 5) await sleep(5);
    const child = pushed[0];
    if (collected || child === undefined) return;
    const index = imageIndex([child.manifest], { annotations: { 'org.touchstone.race': `${repo} ${i}` } });
    const reply = await ctx.request('PUT', `/v2/${repo}/manifests/${index.digest}`, { body: index.bytes, headers: { 'Content-Type': index.mediaType } }).catch(offline);
    if (reply !== undefined) expectStatus(reply, [201], `PUT an index of ${repo} whose child ${child.tag} is tagged, while a collection runs`);
  }, INDEX_LANES);
  try {
    await Promise.all([pushing, indexing]);
  } finally {
    // A failed push stops the other lanes; the collection it may have started ends before the
    // verdict (a registry that collects offline is down meanwhile, and the next check needs it).
    collected = true;
    await collecting?.catch(() => undefined);
  }
  await collecting;
  for (const image of pushed) {
    const manifest = await ctx.request('GET', `/v2/${repo}/manifests/${image.tag}`, { headers: ACCEPT_MANIFESTS });
    if (manifest.status === 404) throw new CheckFailure(`${label}: manifest ${repo}:${image.tag} was answered 201 while a collection ran, and is gone although tagged`, manifest.exchange);
    expectStatus(manifest, [200], `${label}: GET ${repo}:${image.tag}, answered 201 during the collection`);
    for (const blob of [image.config, image.layer]) {
      const got = await ctx.request('HEAD', `/v2/${repo}/blobs/${blob.digest}`);
      if (got.status === 404) {
        throw new CheckFailure(`${label}: manifest ${repo}:${image.tag} was answered 201 while a collection ran and is still served, but its ${blob === image.config ? 'config' : 'layer'} ${blob.digest} is gone: the collection deleted a blob the push had checked`, got.exchange);
      }
      expectStatus(got, [200], `${label}: HEAD a blob of manifest ${repo}:${image.tag}`);
    }
  }
  // A refusal says a blob is unknown: after the collection, one of them must indeed be gone.
  for (const image of refusedImages) {
    const heads = await Promise.all([image.config, image.layer].map((blob) => ctx.request('HEAD', `/v2/${repo}/blobs/${blob.digest}`)));
    if (heads.every((reply) => reply.status === 200)) {
      throw new CheckFailure(`${label}: a manifest of ${repo} was refused while a collection ran as if a blob it references were unknown, yet both its config and its layer are still there after the collection`, heads[1]?.exchange);
    }
  }
  return { pushed: pushed.length, refused, unanswered };
}

export default defineChecks([
  {
    id: 'gc.race.push-during-collection',
    title: `Manifests pushed while a collection runs are refused (MANIFEST_BLOB_UNKNOWN) or keep every blob they reference (${ROUNDS} rounds)`,
    spec: `${gcRule('locking')}; §Pushing Manifests (MANIFEST_BLOB_UNKNOWN for a blob the registry does not hold); ${'§Pulling manifests (end-3), §Pulling blobs (end-2)'}`,
    level: 'MUST',
    async run(ctx) {
      const trigger = raceTrigger(ctx, 'pushes');
      const advanceMs = pastGrace(ctx, trigger);
      const collect = collection(trigger, advanceMs, '');
      const totals = { pushed: 0, refused: 0 };
      for (let i = 1; i <= ROUNDS; i += 1) {
        const { pushed, refused, unanswered } = await round(ctx, () => collect.run(), `round ${i} of ${ROUNDS}`);
        totals.pushed += pushed;
        totals.refused += refused;
        if (unanswered > 0) {
          ctx.skip(`the registry answered no push while it collected (${unanswered} unanswered; ${pushed} accepted and whole, ${refused} refused): an offline collection, which no push can race (docs/gc.md#locking)`);
        }
      }
      return `${ROUNDS} collections${advanceMs > 0 ? ` as if ${seconds(advanceMs)} had passed` : ''}, each over ${FILLERS} unreferenced blobs while manifests were pushed from ${PUSH_LANES} lanes: ${totals.pushed} accepted and whole, ${totals.refused} refused`;
    },
  },
]);
