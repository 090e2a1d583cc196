/**
 * gc.race.referrers-during-collection (conformance/checks/gc-race-referrers.ts) against the
 * reference registry with a one-hour grace period, untagged manifests reclaimed and a small cache
 * of manifest summaries (as npm run mutants' race pass keeps), collected through its admin endpoint: it
 * passes; it fails against the reference with its store broken by hand as the mutant of
 * ManifestStore.summary that revealed it breaks it (a manifest deleted under a listing made the
 * listing answer 404), and against a registry that keeps untagged manifests although the run
 * declares it reclaims them; it skips, saying why, without --race-checks, without the referrers
 * API, without declared reclaims of untagged manifests, and when the trigger cannot age what the
 * check pushed.
 */
import t, { type Test } from 'tap';
import gcRaceReferrers from '../../../conformance/checks/gc-race-referrers.ts';
import { ALL_CAPABILITIES, type Capabilities, type GcConfig } from '../../../conformance/config.ts';
import type { Result } from '../../../conformance/report/types.ts';
import type { RegistryOptions } from '../../../reference/registry.ts';
import { ManifestStore } from '../../../reference/store/manifests.ts';
import { StoreError } from '../../../reference/store/errors.ts';
import { startTestRegistry } from '../../helpers/registry.ts';
import { adminTrigger } from '../../helpers/gc.ts';
import { describeResult, runChecks } from '../../helpers/checks.ts';

const ID = 'gc.race.referrers-during-collection';
const GRACE_MS = 3_600_000;

interface Setup {
  readonly gc?: Partial<GcConfig>;
  readonly canAdvance?: boolean;
  readonly registry?: Partial<RegistryOptions>;
  readonly capabilities?: Capabilities;
}

async function run(t: Test, setup: Setup = {}): Promise<Result | undefined> {
  const registry = await startTestRegistry(t, { gcGraceMs: GRACE_MS, gcDeleteUntagged: true, summaryDescriptors: 64, ...setup.registry });
  const trigger = adminTrigger(registry.url, setup.canAdvance ?? true);
  const config: GcConfig = { trigger, graceMs: GRACE_MS, expectReclaims: true, reclaimsUntagged: true, races: true, ...setup.gc };
  const results = await runChecks(t, registry.url, gcRaceReferrers, [ID], { gc: config, capabilities: setup.capabilities ?? ALL_CAPABILITIES });
  t.comment(describeResult(results, ID));
  return results.get(ID);
}

t.test('the reference passes: every listing during a collection is 200 with exactly the one referrer', async (t) => {
  const result = await run(t);
  t.equal(result?.status, 'pass', result?.message ?? '');
  t.match(result?.message, /^3 collections as if 3660 s had passed, each deleting 200 untagged manifests while 6 lanes listed the referrers of the tagged subject: \d+ listings, each exactly its one referrer; the untagged manifests gone after$/);
});

t.test('a listing that meets a manifest deleted under it answering 404 (the ManifestStore.summary mutant) fails it', async (t) => {
  // As the mutant does: summary() lets the store error of a manifest whose bytes are gone out,
  // instead of taking the manifest for one that is no longer there.
  const original = ManifestStore.prototype.summary;
  ManifestStore.prototype.summary = async function (this: ManifestStore, name: string, digest: string, mediaType: string) {
    const summary = await original.call(this, name, digest, mediaType);
    if (summary === undefined) throw new StoreError('MANIFEST_UNKNOWN', `manifest ${digest} is missing from repository ${name}`, { digest });
    return summary;
  };
  t.teardown(() => {
    ManifestStore.prototype.summary = original;
  });
  const result = await run(t);
  t.equal(result?.status, 'fail', result?.message ?? '');
  t.match(result?.message, /^collection \d of 3: GET \/v2\/\S+\/referrers\/sha256:[0-9a-f]{64} while a collection deletes untagged manifests of the repository: expected status 200, got 404/);
});

t.test('a registry that keeps untagged manifests, declared to reclaim them, fails it: nothing raced', async (t) => {
  const result = await run(t, { registry: { gcDeleteUntagged: false } });
  t.equal(result?.status, 'fail', result?.message ?? '');
  t.match(result?.message, /^collection 1 of 3: untagged manifest \S+, older than the grace period and reachable from nothing, is still served after the collection although the run declares that the registry reclaims untagged manifests: no listing raced its deletion/);
});

t.test('it skips without --race-checks, the referrers API or declared reclaims, or when the trigger cannot age what it pushed', async (t) => {
  for (const [gc, canAdvance, capabilities, reason] of [
    [{ races: false }, true, ALL_CAPABILITIES, /race checks run with --race-checks/],
    [{}, true, { ...ALL_CAPABILITIES, referrers: false }, /declared without the referrers API/],
    [{ reclaimsUntagged: false }, true, ALL_CAPABILITIES, /does not declare that the registry reclaims untagged manifests/],
    [{}, false, ALL_CAPABILITIES, /grace period is 3600 s and its GC trigger cannot pretend time passed/],
  ] as const) {
    const result = await run(t, { gc, canAdvance, capabilities });
    t.equal(result?.status, 'skip', result?.message ?? '');
    t.match(result?.message, reason);
  }
});
