/**
 * Blobs arriving while a collection runs (docs/gc.md#grace-period and #locking). A blob is young
 * from its arrival: an upload of content the repository already holds (end-4b) or a mount
 * (end-11) makes it new again, and a collection must keep what is young even when it arrives
 * between the collection's listing of the repository and its deletes. The check fills a source
 * repository with unreferenced blobs, waits AGED_MS, then collects as if the grace period less
 * MARGIN_MS had passed, so the old blobs go, while lanes upload the same blobs again into the
 * source and mount them into a target (kept busy by pushes, so mounts queue between their look at
 * the source and their link): every arrival answered 201 must stay, and a mount the registry
 * cannot do (its source just collected) answers 202 (end-11), never an error. It runs with
 * --race-checks and needs a trigger that can collect as if time had passed (the reference
 * registry's) and a grace period longer than the wait.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CheckFailure } from '../client/errors.ts';
import { expectBody, expectStatus } from '../client/expect.ts';
import { imageConfig, imageManifest, randomBlob, type Content } from '../content.ts';
import { inParallel } from '../model/probe.ts';
import type { CheckContext } from './context.ts';
import { collection, gcRule, seconds } from './gc.ts';
import { raceTrigger, upload } from './gc-races.ts';
import { mount } from './gc-timing.ts';
import { defineChecks } from './types.ts';

/** Unreferenced blobs per source repository: the collection's pass over it lasts while they go. */
const FILLERS = 600;
/** Between the fillers' upload and the collection, which dates its cutoff MARGIN_MS before it decides. */
const AGED_MS = 3_000;
/**
 * The collection runs as if the grace period less this had passed: the fillers, older, go; an
 * arrival answered less than this before the collection ended is young whenever the registry
 * took its cutoff.
 */
const MARGIN_MS = 2_500;
/** Arrivals in flight at once: mounts into one target queue behind each other, which widens the window. */
const LANES = 16;
/** Pushes of one manifest under new tags into the target while the collection runs, and their lanes. */
const BUSY_PUSHES = 400;
const BUSY_LANES = 4;
/** Collections, each over a fresh source and target. */
const ROUNDS = 3;

interface Arrival {
  readonly repo: string;
  readonly blob: Content;
  readonly how: string;
  /** When the registry answered 201. */
  readonly at: number;
}

interface Round {
  readonly source: string;
  readonly target: string;
  readonly fillers: readonly Content[];
  /** A tagged image of the target, pushed again and again under new tags while mounts arrive. */
  readonly image: Content;
}

function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

async function prepare(ctx: CheckContext): Promise<Round> {
  const source = ctx.repo('gc-arrivals-source');
  const target = ctx.repo('gc-arrivals-target');
  const config = imageConfig(`arrivals ${target}`);
  const layer = randomBlob(40);
  const image = imageManifest(config, [layer]);
  const fillers = Array.from({ length: FILLERS }, () => randomBlob(24));
  await inParallel(fillers, (blob) => upload(ctx, source, blob));
  await ctx.pushBlob(target, config);
  await ctx.pushBlob(target, layer);
  await ctx.pushManifest(target, 'arrivals-0', image);
  return { source, target, fillers, image };
}

/** One collection with uploads and mounts of the old fillers, in random order, until it ends; the arrivals answered 201. */
async function collectWhileArriving(ctx: CheckContext, run: () => Promise<void>, { source, target, fillers, image }: Round): Promise<{ arrivals: Arrival[]; refusedMounts: number; ended: number }> {
  const arrivals: Arrival[] = [];
  let refusedMounts = 0;
  let over = false;
  const stop = (error: unknown): never => {
    over = true;
    throw error;
  };
  const collecting = run().finally(() => {
    over = true;
  });
  const order = shuffled(fillers.map((blob, i) => ({ blob, kind: i % 2 === 0 ? 'upload' : 'mount' })));
  // Pushes of the target's image under new tags keep the target busy, so mounts into it wait
  // between their look at the source and their link, as they would on a loaded registry.
  const busy = inParallel(Array.from({ length: BUSY_PUSHES }, (_, i) => `arrivals-${i + 1}`), async (tag) => {
    if (!over) await ctx.pushManifest(target, tag, image).catch(stop);
  }, BUSY_LANES);
  const arriving = inParallel(order, async ({ blob, kind }) => {
    if (over) return;
    if (kind === 'upload') {
      await upload(ctx, source, blob);
      arrivals.push({ repo: source, blob, how: `uploaded again into ${source}`, at: Date.now() });
    } else if (await mount(ctx, source, target, blob)) {
      arrivals.push({ repo: target, blob, how: `mounted from ${source} into ${target}`, at: Date.now() });
    } else {
      refusedMounts += 1;
    }
  }, LANES).catch(stop);
  // A lane that fails stops the others at their next request; the collection ends before the verdict.
  const settled = await Promise.allSettled([collecting, busy, arriving]);
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  return { arrivals, refusedMounts, ended: Date.now() };
}

export default defineChecks([
  {
    id: 'gc.race.arrivals-during-collection',
    title: `Blobs uploaded again or mounted while a collection runs stay: their age starts at that arrival (${ROUNDS} rounds)`,
    spec: `${gcRule('grace-period')} (a blob is young from its arrival); ${gcRule('locking')}; §Pushing blobs (end-4b: 201 when the blob is in the repository), §Mounting a blob from another repository (end-11: 201 mounted, or 202 when the registry cannot mount)`,
    level: 'MUST',
    async run(ctx) {
      const trigger = raceTrigger(ctx, 'uploads');
      const { gc } = ctx.config;
      if (!trigger.canAdvance) ctx.skip(`the GC trigger (${trigger.description}) cannot collect as if a given time had passed, and the grace period is ${seconds(gc.graceMs)}`);
      if (gc.graceMs <= AGED_MS) ctx.skip(`the grace period (${seconds(gc.graceMs)}) is not longer than the ${AGED_MS} ms the check ages the blobs by`);
      const advanceMs = gc.graceMs - MARGIN_MS;
      const collect = collection(trigger, advanceMs, '');
      const totals = { kept: 0, refusedMounts: 0, unjudged: 0 };
      // A round at a time: each collection takes every old blob of the registry.
      for (let i = 0; i < ROUNDS; i += 1) {
        const label = `round ${i + 1} of ${ROUNDS}`;
        const round = await prepare(ctx);
        await sleep(AGED_MS);
        const { arrivals, refusedMounts, ended } = await collectWhileArriving(ctx, () => collect.run(), round);
        totals.refusedMounts += refusedMounts;
        await inParallel(arrivals, async ({ repo, blob, how, at }) => {
          const reply = await ctx.request('GET', `/v2/${repo}/blobs/${blob.digest}`);
          if (reply.status === 404) {
            // Dated from a cutoff taken late in the collection, an arrival well before its end may be old.
            if (ended - at >= MARGIN_MS) {
              totals.unjudged += 1;
              return;
            }
            throw new CheckFailure(`${label}: blob ${blob.digest}, ${how} and answered 201 ${ended - at} ms before a collection as if ${seconds(advanceMs)} had passed ended (the grace period is ${seconds(gc.graceMs)}), is gone: dated from that arrival it was young, so it had to stay`, reply.exchange);
          }
          expectStatus(reply, [200], `${label}: GET blob ${blob.digest} of ${repo}, ${how} during the collection`);
          expectBody(reply, blob.bytes, `${label}: GET blob ${blob.digest} of ${repo}, ${how} during the collection`);
          totals.kept += 1;
        });
      }
      const unjudged = totals.unjudged > 0 ? `; ${totals.unjudged} arrived too long before a collection ended to be judged` : '';
      return `${ROUNDS} collections as if ${seconds(advanceMs)} had passed, each over ${FILLERS} blobs ${AGED_MS} ms old, uploaded again or mounted from ${LANES} lanes meanwhile: ${totals.kept} arrivals kept, ${totals.refusedMounts} mounts answered 202${unjudged}`;
    },
  },
]);
