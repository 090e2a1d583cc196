/**
 * Manifest pulls racing a collection (docs/gc.md#locking, docs/gc.md#untagged-manifests). A pull
 * looks the manifest up, then reads its bytes; a collection that reclaims untagged manifests drops
 * them from the repository, then deletes their bytes. A pull that looked a manifest up just before
 * the drop and reads it just after the delete must still get a truthful answer: the manifest with
 * exactly its bytes (200), or not found (404, MANIFEST_UNKNOWN when the body is the JSON envelope:
 * §Pulling manifests, end-3), never a 5xx nor other bytes. The window is a few file operations
 * wide, so the check widens it. In a fresh repository one tagged image keeps the config and layer
 * every other manifest shares, and gets 3000 tags of 100 characters (pushed 120 at a time with
 * ?tag=, when the registry takes it: end-7b), so that a lookup takes long where a registry keeps a
 * repository's tags in one file, as the reference registry does. Then, ten times, one untagged
 * manifest is pushed by digest (all the next collection deletes), 8 lanes GET (and now and then
 * HEAD) it in tight loops, and a collection past the grace period runs; after it the manifest must
 * be gone (the run declares that the registry reclaims untagged manifests), or nothing raced. It
 * runs with --race-checks, and needs a trigger that can collect past the grace period. A registry
 * that answers no request while it collects (an offline collection, as CNCF Distribution's
 * garbage-collect) is never raced: the check skips saying so.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CheckFailure } from '../client/errors.ts';
import { expectBody, expectCodeIfJson, expectDigestHeaderIfPresent, expectLengthIfPresent, expectStatus } from '../client/expect.ts';
import { ACCEPT_MANIFESTS, bareType, headerValues } from '../client/headers.ts';
import type { Reply } from '../client/registry-client.ts';
import { imageConfig, imageManifest, randomBlob, type Content } from '../content.ts';
import type { CheckContext } from './context.ts';
import { collection, gcRule, seconds } from './gc.ts';
import { expectUntaggedGone, laneRequest, newRace, raceRound, type LaneRace } from './gc-race-lanes.ts';
import { pastGrace, raceTrigger } from './gc-races.ts';
import { defineChecks } from './types.ts';

/** Tags on the anchor image, pushed TAGS_PER_PUSH at a time with ?tag=; each TAG_LENGTH characters. */
const TAGS = 3000;
const TAGS_PER_PUSH = 120;
const TAG_LENGTH = 100;
/** Collections, each deleting one untagged manifest: a race is a matter of chance, so it gets several. */
const COLLECTIONS = 10;
/** Untagged manifests pushed before each collection: all it deletes. */
const UNTAGGED = 1;
/** Pulls in flight at once. */
const LANES = 8;
/** Every this many requests a lane sends HEAD instead of GET. */
const HEAD_EVERY = 8;
/** Pulls of the current untagged manifests answered before each collection starts. */
const PULLS_BEFORE_COLLECTION = LANES;
/** Requests per lane at most, and the longest the lanes pull: the loops are bounded even if a collection never ends. */
const MAX_PULLS_PER_LANE = 20_000;
const MAX_PULLING_MS = 120_000;
/**
 * Pulls of a large index cost the registry CPU that its collection then waits for: on a registry
 * holding many repositories the lanes would slow the whole collection down many times over. They
 * stop once the manifest is gone, or this long after the collection started, whichever is first.
 */
const PULL_WINDOW_MS = 3_000;

interface Race extends LaneRace {
  /** The untagged manifests the lanes pull; the next collection deletes them. */
  targets: readonly Content[];
  ok: number;
  gone: number;
  /** Collections whose deletion the pulls met (a 404 while the collection ran). */
  met: number;
}

/** What a pull of `manifest` may answer while a collection runs: the manifest, or not found. */
export function judge(reply: Reply, method: 'GET' | 'HEAD', manifest: Content, what: string): 'ok' | 'gone' {
  expectStatus(reply, [200, 404], what);
  if (reply.status === 404) {
    expectCodeIfJson(reply, ['MANIFEST_UNKNOWN'], what);
    return 'gone';
  }
  if (method === 'GET') expectBody(reply, manifest.bytes, what);
  expectDigestHeaderIfPresent(reply, manifest.bytes, what);
  expectLengthIfPresent(reply, manifest.size, what);
  // Media types compare without case and parameters (RFC 9110 §8.3.1), as every check compares them.
  const type = bareType(reply.header('content-type'));
  if (type !== undefined && type !== manifest.mediaType) {
    throw new CheckFailure(`${what}: Content-Type ${JSON.stringify(type)}, the manifest was pushed as ${manifest.mediaType}`, reply.exchange);
  }
  return 'ok';
}

/** Thousands of tags on the anchor, with ?tag= while the registry answers OCI-Tag for them; how many it took. */
async function padWithTags(ctx: CheckContext, repo: string, anchor: Content): Promise<number> {
  let tagged = 0;
  for (let start = 0; start < TAGS; start += TAGS_PER_PUSH) {
    const tags = Array.from({ length: Math.min(TAGS_PER_PUSH, TAGS - start) }, (_, i) => `keep-${start + i}-`.padEnd(TAG_LENGTH, 'x'));
    const reply = await ctx.request('PUT', `/v2/${repo}/manifests/${anchor.digest}?${tags.map((tag) => `tag=${tag}`).join('&')}`, { body: anchor.bytes, headers: { 'Content-Type': anchor.mediaType } });
    // ?tag= is optional (end-7b: "MAY"): a registry without it gets a small repository, and a narrower window.
    if (reply.status !== 201 || headerValues(reply, 'oci-tag').length !== tags.length) break;
    tagged += tags.length;
  }
  return tagged;
}

/** One lane: pulls the current targets by digest until told to stop. */
async function lane(ctx: CheckContext, repo: string, race: Race, index: number, deadline: number): Promise<void> {
  for (let n = 0; n < MAX_PULLS_PER_LANE && !race.stop && Date.now() < Math.min(deadline, race.until); n += 1) {
    const { targets } = race;
    const manifest = targets[(index + n) % targets.length];
    if (manifest === undefined) {
      await sleep(1);
      continue;
    }
    const method = (index + n) % HEAD_EVERY === 0 ? 'HEAD' : 'GET';
    const what = `${race.label}: ${method} ${repo}@${manifest.digest} (untagged) while a collection deletes it`;
    await laneRequest(race, async () => {
      const reply = await ctx.request(method, `/v2/${repo}/manifests/${manifest.digest}`, { headers: ACCEPT_MANIFESTS });
      const verdict = judge(reply, method, manifest, what);
      race[verdict] += 1;
      // Gone: the collection has deleted it, the race is over (pulls in flight still get judged).
      if (verdict === 'gone' && race.collecting && !race.stop) {
        race.stop = true;
        race.met += 1;
      }
      if (targets === race.targets) race.answered += 1;
    });
  }
}

export default defineChecks([
  {
    id: 'gc.race.pull-during-collection',
    title: `A manifest pulled while a collection deletes it answers 200 with its bytes or 404 MANIFEST_UNKNOWN, never an error (${COLLECTIONS} collections)`,
    spec: `${gcRule('locking')}; ${gcRule('untagged-manifests')}; §Pulling manifests (end-3: "MUST provide the expected manifest"; "If the manifest is not found in the repository, the response code MUST be 404")`,
    level: 'MUST',
    async run(ctx) {
      const trigger = raceTrigger(ctx, 'pulls');
      if (!ctx.config.gc.reclaimsUntagged) ctx.skip('the run does not declare that the registry reclaims untagged manifests (--gc-reclaims-untagged): no manifest is deleted under the pulls');
      const advanceMs = pastGrace(ctx, trigger);
      const collect = collection(trigger, advanceMs, '');

      const repo = ctx.repo('gc-race-pull');
      const config = imageConfig(`race ${repo}`);
      const layer = randomBlob(32);
      const anchor = imageManifest(config, [layer]);
      await ctx.pushImage(repo, 'anchor', config, [layer], anchor);
      const tags = await padWithTags(ctx, repo, anchor);

      const race: Race = { ...newRace(), targets: [], ok: 0, gone: 0, met: 0 };
      const deadline = Date.now() + MAX_PULLING_MS;
      for (let round = 1; round <= COLLECTIONS && race.unanswered === 0; round += 1) {
        const label = `collection ${round} of ${COLLECTIONS}`;
        const untagged = Array.from({ length: UNTAGGED }, (_, i) => imageManifest(config, [layer], { annotations: { 'org.touchstone.race': `${round}.${i}` } }));
        for (const manifest of untagged) await ctx.pushManifest(repo, manifest.digest, manifest);
        race.targets = untagged;
        await raceRound(race, label, collect, (i) => lane(ctx, repo, race, i, deadline), { lanes: LANES, warmUp: PULLS_BEFORE_COLLECTION, windowMs: PULL_WINDOW_MS, deadline });
        if (race.unanswered === 0) await expectUntaggedGone(ctx, repo, untagged, label, 'pull');
      }
      if (race.unanswered > 0) {
        ctx.skip(`the registry answered no request while it collected (${race.unanswered} pulls unanswered, ${race.ok} served and ${race.gone} not found, none wrong): an offline collection, which no pull can race (docs/gc.md#locking)`);
      }
      const anchored = await ctx.request('GET', `/v2/${repo}/manifests/anchor`, { headers: ACCEPT_MANIFESTS });
      expectStatus(anchored, [200], `GET ${repo}:anchor (tagged) after the collections`);
      return `${COLLECTIONS} collections${advanceMs > 0 ? ` as if ${seconds(advanceMs)} had passed` : ''} in a repository of ${tags + 1} tags, each deleting ${UNTAGGED} untagged manifest${UNTAGGED === 1 ? '' : 's'} pulled from ${LANES} lanes: ${race.ok} pulls served whole, ${race.gone} not found, none wrong; all gone after; the pulls met the deletion in ${race.met} of ${COLLECTIONS} (they stop ${seconds(PULL_WINDOW_MS)} into a collection)`;
    },
  },
]);
