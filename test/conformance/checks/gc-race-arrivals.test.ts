/**
 * gc.race.arrivals-during-collection (conformance/checks/gc-race-arrivals.ts) against the
 * reference registry with a one-hour grace period, collected through its admin endpoint: it
 * passes; it fails against a collection that takes what arrived during it (a trigger collecting
 * past the grace period, as a collector that dates blobs by their bytes or skips its re-check
 * would), against mounts that answer 500 when their source was just collected, and against mounts
 * that answer 201 without linking the blob; it skips, saying why, when it cannot race.
 */
import t, { type Test } from 'tap';
import gcRaceArrivals from '../../../conformance/checks/gc-race-arrivals.ts';
import { ALL_CAPABILITIES, type GcConfig, type GcTrigger } from '../../../conformance/config.ts';
import type { Result } from '../../../conformance/report/types.ts';
import { BlobStore } from '../../../reference/store/blobs.ts';
import { startTestRegistry } from '../../helpers/registry.ts';
import { adminTrigger } from '../../helpers/gc.ts';
import { describeResult, runChecks } from '../../helpers/checks.ts';

const ID = 'gc.race.arrivals-during-collection';
const GRACE_MS = 3_600_000;

async function run(t: Test, gc: Partial<GcConfig> = {}, trigger?: (url: string) => GcTrigger): Promise<Result | undefined> {
  const registry = await startTestRegistry(t, { gcGraceMs: GRACE_MS });
  const config: GcConfig = { trigger: (trigger ?? adminTrigger)(registry.url), graceMs: GRACE_MS, expectReclaims: true, reclaimsUntagged: false, races: true, ...gc };
  const results = await runChecks(t, registry.url, gcRaceArrivals, [ID], { gc: config, capabilities: ALL_CAPABILITIES });
  t.comment(describeResult(results, ID));
  return results.get(ID);
}

/** BlobStore.mount broken by hand for one test; restored at teardown. */
function breakMount(t: Test, whenRefused: () => boolean): void {
  const original = BlobStore.prototype.mount;
  BlobStore.prototype.mount = async function (this: BlobStore, from: string, to: string, digest: string) {
    return (await original.call(this, from, to, digest)) || whenRefused();
  };
  t.teardown(() => {
    BlobStore.prototype.mount = original;
  });
}

t.test('the reference passes: what arrives during a collection stays', async (t) => {
  const result = await run(t);
  t.equal(result?.status, 'pass', result?.message ?? '');
  t.match(result?.message, /^3 collections as if 3598 s had passed, each over 600 blobs 3000 ms old, uploaded again or mounted from 16 lanes meanwhile: \d+ arrivals kept, \d+ mounts answered 202$/);
});

t.test('a collection that takes blobs arrived during it fails it', async (t) => {
  // The trigger collects past the grace period: every blob is old, whenever it arrived.
  const result = await run(t, {}, (url) => {
    const real = adminTrigger(url);
    return { ...real, run: () => real.run(GRACE_MS + 60_000) };
  });
  t.equal(result?.status, 'fail', result?.message ?? '');
  t.match(result?.message, /round 1 of 3: blob sha256:[0-9a-f]{64}, (uploaded again into|mounted from) \S+ .*and answered 201 \d+ ms before a collection as if 3598 s had passed ended .* is gone: dated from that arrival it was young, so it had to stay/);
});

t.test('a mount that fails with a server error when its source went fails it', async (t) => {
  breakMount(t, () => {
    throw new Error('ENOENT: the source went between stat and link');
  });
  const result = await run(t);
  t.equal(result?.status, 'fail', result?.message ?? '');
  t.match(result?.message, /POST \?mount=sha256:[0-9a-f]{64}&from=\S+ to \S+: expected status 201 or 202, got 500/);
});

t.test('a mount answered 201 without the blob linked fails it', async (t) => {
  breakMount(t, () => true);
  const result = await run(t);
  t.equal(result?.status, 'fail', result?.message ?? '');
  t.match(result?.message, /mounted from \S+ into \S+ and answered 201 \d+ ms before a collection .* is gone/);
});

t.test('it skips without --race-checks, without declared reclaims, or when the trigger cannot age what it uploaded', async (t) => {
  for (const [gc, canAdvance, reason] of [
    [{ races: false }, true, /race checks run with --race-checks/],
    [{ expectReclaims: false }, true, /does not declare that the registry reclaims garbage/],
    [{}, false, /cannot collect as if a given time had passed, and the grace period is 3600 s/],
    [{ graceMs: 3000 }, true, /the grace period \(3 s\) is not longer than the 3000 ms the check ages the blobs by/],
  ] as const) {
    const result = await run(t, gc, (url) => adminTrigger(url, canAdvance));
    t.equal(result?.status, 'skip', result?.message ?? '');
    t.match(result?.message, reason);
  }
});
