/**
 * Manifest pushes aimed at the blobs a collection is deleting (docs/gc.md#locking). A push checks
 * that the blobs it references are there, then records the manifest; a collection deletes the old
 * blobs nothing references, one after another. A push that references a blob the collection has
 * begun to delete must be refused with MANIFEST_BLOB_UNKNOWN (§Pushing Manifests), or the
 * registry must keep the blob for it: a 201 whose layer then goes serves an image that cannot be
 * pulled (end-2, end-3). Where deletes are slow (object storage, a busy disk) a delete lasts long
 * enough for pushes to land in it, if they arrive all through the collection's deletes; the check
 * times them so. In a fresh repository a tagged image keeps the config every push shares. First a
 * collection over LAYERS old unreferenced blobs is timed; then, each round, LAYERS new ones are
 * uploaded, a collection past the grace period starts, and one push per blob, each tagged and
 * referencing that blob as its layer, goes out at a random moment within the time the first collection took.
 * Every push answered 201 must keep its layer, every refused one must have lost it. It runs with
 * --race-checks, and needs a trigger that can collect past the grace period. A registry that
 * answers no push while it collects (an offline collection) is never raced: the check skips.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CheckFailure, HarnessError } from '../client/errors.ts';
import { expectStatus } from '../client/expect.ts';
import { imageConfig, imageManifest, randomBlob, type Content } from '../content.ts';
import { inParallel } from '../model/probe.ts';
import type { CheckContext } from './context.ts';
import { collection, gcRule, seconds, type Collection } from './gc.ts';
import { expectBlobUnknown, pastGrace, raceTrigger, upload } from './gc-races.ts';
import { defineChecks } from './types.ts';

/** Old unreferenced blobs per collection, and pushes aimed at them: each push has about one chance in LAYERS to land in its blob's delete. */
const LAYERS = 24;
/** Rounds after the timed collection: each lands about one push in a delete where deletes are slow. */
const ROUNDS = 5;
/** The longest the pushes are spread over, whatever the timed collection took. */
const MAX_SPREAD_MS = 10_000;

interface Outcome {
  readonly layer: Content;
  readonly tag: string;
  readonly status: 'pushed' | 'refused' | 'unanswered';
}

/** LAYERS new blobs in `repo`, nothing referencing them. */
async function uploadLayers(ctx: CheckContext, repo: string): Promise<Content[]> {
  const layers = Array.from({ length: LAYERS }, () => randomBlob(24));
  await inParallel(layers, (layer) => upload(ctx, repo, layer));
  return layers;
}

/**
 * One push of a manifest whose layer is `layer`, sent `delayMs` after the collection started. It
 * is tagged: an untagged manifest is itself garbage to a collection past the grace period, and
 * would take its layer with it.
 */
async function aimedPush(ctx: CheckContext, repo: string, config: Content, layer: Content, tag: string, delayMs: number, label: string): Promise<Outcome> {
  await sleep(delayMs);
  const manifest = imageManifest(config, [layer]);
  const what = `${label}: PUT ${repo}:${tag}, whose layer ${layer.digest} the collection may be deleting`;
  let reply;
  try {
    reply = await ctx.request('PUT', `/v2/${repo}/manifests/${tag}`, { body: manifest.bytes, headers: { 'Content-Type': manifest.mediaType } });
  } catch (error) {
    // No answer while the registry collects: an offline collection, which no push can race.
    if (error instanceof HarnessError) return { layer, tag, status: 'unanswered' };
    throw error;
  }
  if (reply.status === 201) return { layer, tag, status: 'pushed' };
  expectBlobUnknown(reply, what);
  return { layer, tag, status: 'refused' };
}

/** After the collection: a pushed manifest keeps its layer, a refused one lost it. */
async function judge(ctx: CheckContext, repo: string, { layer, tag, status }: Outcome, label: string): Promise<void> {
  if (status === 'unanswered') return;
  const reply = await ctx.request('HEAD', `/v2/${repo}/blobs/${layer.digest}`);
  if (status === 'pushed' && reply.status === 404) {
    throw new CheckFailure(`${label}: ${repo}:${tag}, whose layer is ${layer.digest}, was answered 201 while a collection ran, and the collection then deleted that layer: the tagged image cannot be pulled`, reply.exchange);
  }
  if (status === 'refused' && reply.status === 200) {
    throw new CheckFailure(`${label}: ${repo}:${tag} was refused while a collection ran as if its layer ${layer.digest} were unknown, yet the layer is still there after the collection`, reply.exchange);
  }
  expectStatus(reply, [status === 'pushed' ? 200 : 404], `${label}: HEAD the layer ${layer.digest} of a manifest ${status} during the collection`);
}

/** Times a collection over LAYERS old blobs: how long the pushes of a round are spread over. */
async function timedCollection(ctx: CheckContext, repo: string, collect: Collection): Promise<number> {
  await uploadLayers(ctx, repo);
  const started = Date.now();
  await collect.run();
  return Math.min(MAX_SPREAD_MS, Date.now() - started);
}

export default defineChecks([
  {
    id: 'gc.race.push-during-deletes',
    title: `Manifests pushed while a collection deletes their layers are refused (MANIFEST_BLOB_UNKNOWN) or keep them (${ROUNDS} rounds)`,
    spec: `${gcRule('locking')}; §Pushing Manifests (MANIFEST_BLOB_UNKNOWN for a blob the registry does not hold); §Pulling blobs (end-2)`,
    level: 'MUST',
    async run(ctx) {
      const trigger = raceTrigger(ctx, 'pushes');
      const advanceMs = pastGrace(ctx, trigger);
      const collect = collection(trigger, advanceMs, '');
      const repo = ctx.repo('gc-race-deletes');
      const config = imageConfig(`race ${repo}`);
      const anchorLayer = randomBlob(32);
      // Tagged, so the config every push shares is never deleted under them.
      await ctx.pushImage(repo, 'anchor', config, [anchorLayer], imageManifest(config, [anchorLayer]));
      const spreadMs = await timedCollection(ctx, repo, collect);
      const totals = { pushed: 0, refused: 0, unanswered: 0 };
      for (let round = 1; round <= ROUNDS; round += 1) {
        const label = `round ${round} of ${ROUNDS}`;
        const layers = await uploadLayers(ctx, repo);
        const collecting = collect.run();
        // Every push and the collection end before the verdict, whatever happened.
        const settled = await Promise.allSettled(layers.map((layer, i) => aimedPush(ctx, repo, config, layer, `deletes-${round}-${i}`, Math.random() * spreadMs, label)));
        await collecting;
        const outcomes = settled.map((result) => {
          if (result.status === 'rejected') throw result.reason;
          return result.value;
        });
        for (const outcome of outcomes) {
          totals[outcome.status] += 1;
          await judge(ctx, repo, outcome, label);
        }
        if (totals.unanswered > 0) {
          ctx.skip(`the registry answered no push while it collected (${totals.unanswered} unanswered; ${totals.pushed} accepted and whole, ${totals.refused} refused): an offline collection, which no push can race (docs/gc.md#locking)`);
        }
      }
      return `${ROUNDS} collections${advanceMs > 0 ? ` as if ${seconds(advanceMs)} had passed` : ''}, each deleting ${LAYERS} old blobs while one push per blob, each referencing it, went out within the ${spreadMs} ms a collection took: ${totals.pushed} accepted and whole, ${totals.refused} refused with their layer gone`;
    },
  },
]);
