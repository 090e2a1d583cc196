/**
 * Referrers listings racing a collection (docs/gc.md#locking, docs/gc.md#untagged-manifests). A
 * listing reads which manifests the repository holds, then reads each to learn its subject; a
 * collection that reclaims untagged manifests drops them from the repository, then deletes their
 * bytes. A listing that read the repository just before the drop and reads a manifest just after
 * its deletion must still answer as the spec says: 200 with an image index, never 404 ("the
 * registry MUST NOT return a 404 Not Found to a referrers API request") nor a 5xx, and the index
 * lists exactly the referrers of the subject (§Listing Referrers, end-12a). In a fresh repository
 * a tagged subject has one tagged referrer, which stays; then, a few times, hundreds of untagged
 * manifests with no subject are pushed by digest (all the next collection deletes), 6 lanes list
 * the subject's referrers in tight loops, and a collection past the grace period runs; after it the
 * untagged manifests must be gone (the run declares that the registry reclaims them), or nothing
 * raced. A registry whose listings read manifests from a cache it filled while collecting meets no
 * deleted manifest; one that reads them from disk does. It runs with --race-checks, and needs the
 * referrers API and a trigger that can collect past the grace period. A registry that answers no
 * request while it collects (an offline collection) is never raced: the check skips saying so.
 */
import { CheckFailure } from '../client/errors.ts';
import { artifactManifest, EMPTY_CONFIG, imageConfig, imageManifest, randomBlob, type Content } from '../content.ts';
import { inParallel } from '../model/probe.ts';
import type { CheckContext } from './context.ts';
import { collection, gcRule, seconds } from './gc.ts';
import { expectUntaggedGone, laneRequest, newRace, raceRound, type LaneRace } from './gc-race-lanes.ts';
import { pastGrace, raceTrigger } from './gc-races.ts';
import { expectIndex } from './referrers.ts';
import { defineChecks } from './types.ts';

/** Collections, each deleting UNTAGGED manifests: a race is a matter of chance, so it gets several. */
const COLLECTIONS = 3;
/** Untagged manifests pushed before each collection: all it deletes, and what each listing reads. */
const UNTAGGED = 200;
/** Listings in flight at once. */
const LANES = 6;
/** Listings answered before each collection starts. */
const LISTINGS_BEFORE_COLLECTION = LANES;
/** Listings per lane at most, and the longest the lanes list: the loops are bounded even if a collection never ends. */
const MAX_LISTINGS_PER_LANE = 5_000;
const MAX_LISTING_MS = 120_000;
/** The lanes stop this long after a collection started: on a registry holding many repositories its collection would otherwise wait for them. */
const LIST_WINDOW_MS = 3_000;
const SBOM = 'application/vnd.touchstone.sbom.v1';

interface Race extends LaneRace {
  listings: number;
}

/** One lane: lists the subject's referrers until told to stop; each answer must list exactly `referrer`. */
async function lane(ctx: CheckContext, repo: string, subject: Content, referrer: Content, race: Race, deadline: number): Promise<void> {
  for (let n = 0; n < MAX_LISTINGS_PER_LANE && !race.stop && Date.now() < Math.min(deadline, race.until); n += 1) {
    const what = `${race.label}: GET /v2/${repo}/referrers/${subject.digest} while a collection deletes untagged manifests of the repository`;
    await laneRequest(race, async () => {
      const reply = await ctx.request('GET', `/v2/${repo}/referrers/${subject.digest}`);
      const listed = expectIndex(reply, what).map((descriptor) => descriptor.digest);
      if (listed.length !== 1 || listed[0] !== referrer.digest) {
        throw new CheckFailure(`${what}: lists ${JSON.stringify(listed)}, the subject's only referrer is ${referrer.digest} (tagged, it stays)`, reply.exchange);
      }
      race.listings += 1;
      race.answered += 1;
    });
  }
}

export default defineChecks([
  {
    id: 'gc.race.referrers-during-collection',
    title: `A referrers listing while a collection deletes manifests of the repository answers 200 with exactly the subject's referrers, never 404 or an error (${COLLECTIONS} collections)`,
    spec: `${gcRule('locking')}; ${gcRule('untagged-manifests')}; §Listing Referrers (end-12a: "MUST return a 200 OK"; "MUST NOT return a 404 Not Found to a referrers API request"; the list holds the manifests whose subject is the digest)`,
    level: 'MUST',
    async run(ctx) {
      const trigger = raceTrigger(ctx, 'referrers listings');
      if (!ctx.config.capabilities.referrers) ctx.skip('the registry is declared without the referrers API (--no-referrers): nothing to list');
      if (!ctx.config.gc.reclaimsUntagged) ctx.skip('the run does not declare that the registry reclaims untagged manifests (--gc-reclaims-untagged): no manifest is deleted under the listings');
      const advanceMs = pastGrace(ctx, trigger);
      const collect = collection(trigger, advanceMs, '');

      const repo = ctx.repo('gc-race-referrers');
      const config = imageConfig(`race ${repo}`);
      const layer = randomBlob(32);
      const subject = imageManifest(config, [layer]);
      await ctx.pushImage(repo, 'subject', config, [layer], subject);
      await ctx.pushBlob(repo, EMPTY_CONFIG);
      const referrer = artifactManifest(subject, SBOM);
      await ctx.pushManifest(repo, 'referrer', referrer);

      const race: Race = { ...newRace(), listings: 0 };
      const deadline = Date.now() + MAX_LISTING_MS;
      for (let round = 1; round <= COLLECTIONS && race.unanswered === 0; round += 1) {
        const label = `collection ${round} of ${COLLECTIONS}`;
        const untagged = Array.from({ length: UNTAGGED }, (_, i) => imageManifest(config, [layer], { annotations: { 'org.touchstone.race': `${round}.${i}` } }));
        await inParallel(untagged, async (manifest) => {
          await ctx.pushManifest(repo, manifest.digest, manifest);
        });
        await raceRound(race, label, collect, () => lane(ctx, repo, subject, referrer, race, deadline), { lanes: LANES, warmUp: LISTINGS_BEFORE_COLLECTION, windowMs: LIST_WINDOW_MS, deadline });
        if (race.unanswered === 0) await expectUntaggedGone(ctx, repo, [untagged[0], untagged[UNTAGGED - 1]] as Content[], label, 'listing');
      }
      if (race.unanswered > 0) {
        ctx.skip(`the registry answered no request while it collected (${race.unanswered} listings unanswered, ${race.listings} answered, none wrong): an offline collection, which no listing can race (docs/gc.md#locking)`);
      }
      return `${COLLECTIONS} collections${advanceMs > 0 ? ` as if ${seconds(advanceMs)} had passed` : ''}, each deleting ${UNTAGGED} untagged manifests while ${LANES} lanes listed the referrers of the tagged subject: ${race.listings} listings, each exactly its one referrer; the untagged manifests gone after`;
    },
  },
]);
